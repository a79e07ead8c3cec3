"""Importer of the asset-freeze screening lists: `import_screening_list PATH [--list CODE] [--dry-run]`.

Vigie's own columns (`list`, `list_id`, `kind`, `name`, `aliases`, `birth_date`, `country`, `listed_on`) and
the headers of OpenSanctions' simplified CSV export (`targets.simple.csv`: `id`, `schema`, `name`,
`aliases`, `birth_date`, `countries`, `dataset`, `first_seen`; its other columns, `addresses`,
`identifiers`, `sanctions`, `phones`, `emails`, `program_ids`, `last_seen`, `last_change`, are ignored).
OpenSanctions joins the values of a multi-valued cell with `;` (quoted as in CSV when a value holds one);
Vigie's files may use `|` instead. `--list CODE` names the list of every row (an OpenSanctions export names
its source by its title in `dataset`, which is not a list code).

A list file replaces its list, all or nothing (one transaction, whatever the caller asks):

- a file without a name (or id, kind, list) column, or with a list id twice, is refused whole (exit 2);
- a rejected row (unknown kind, impossible birth date...) rolls the whole file back (exit 1): the list
  stays as it was, never half replaced;
- rows of other OpenSanctions schemas (vessels, aircraft...) are not stored: counted in a note;
- the entries of the list that the file no longer has are delisted with the date (Paris), those that come
  back are relisted; an entry whose screening content (kind, names, birth dates) changed gets a new
  `content_hash` and `changed_at` (its reviewed hits are raised again);
- when anything changed, the list's version moves, with `loaded_at`, `loaded_by` and the file's SHA-256,
  and its screening is queued after the commit. The same file twice changes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from typing import Any, ClassVar

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from core.dates import paris_date
from core.imports import Column, Importer, Row, RowError, RowSkipped, register
from core.imports.engine import max_query_params
from core.imports.parsers import Choice, Date, DateTime, InvalidValue, Parser, Text, max_length_of
from core.imports.readers import Refused
from core.imports.text import fold, fold_code
from core.services import save_with_history

from ..choices import EntryKind
from ..fingerprints import entry_hash
from ..matching import normalise
from ..models import ListEntry, ScreeningList

#: OpenSanctions' schemas (FollowTheMoney) stored as a company.
COMPANY_SCHEMAS = ("Organization", "Company", "LegalEntity", "PublicBody")
#: OpenSanctions' schemas that are no person nor company (assets, not counterparties): skipped.
OTHER_SCHEMAS = frozenset(
    fold(s)
    for s in (
        "Vessel",
        "Airplane",
        "Vehicle",
        "CryptoWallet",
        "Security",
        "BankAccount",
        "Address",
        "Position",
        "RealEstate",
        "Asset",
        "Thing",
    )
)
KIND = Choice(
    EntryKind,
    aliases={
        **dict.fromkeys(COMPANY_SCHEMAS, EntryKind.COMPANY),
        "personne physique": EntryKind.PERSON,
        "individu": EntryKind.PERSON,
        "individual": EntryKind.PERSON,
        "personne morale": EntryKind.COMPANY,
        "entité": EntryKind.COMPANY,
        "entity": EntryKind.COMPANY,
        "organisation": EntryKind.COMPANY,
    },
)
_FULL = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_MONTH = re.compile(r"(\d{4})-(\d{1,2})")
_YEAR = re.compile(r"\d{4}")
_FRENCH = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def split_values(text: str) -> list[str]:
    """The values of a multi-valued cell: `|`-separated (Vigie), else `;`-separated as OpenSanctions
    writes them (a value holding `;` is quoted, CSV-style); surrounding spaces and empty values dropped."""
    if not text:
        return []
    if "|" in text:
        parts = text.split("|")
    else:
        try:
            parts = next(csv.reader([text], delimiter=";", skipinitialspace=True))
        except (csv.Error, StopIteration):
            parts = text.split(";")
    return [part.strip() for part in parts if part.strip()]


class BirthDates(Parser):
    """One or more birth dates, `YYYY-MM-DD`, `YYYY-MM`, `YYYY` or `DD/MM/YYYY`, separated by `;` or `|`;
    returned `|`-joined as listed (ISO), sorted, without duplicates. A date that does not exist, is in the
    future or before 1900 is refused (an impossible birth date)."""

    cacheable = True
    empty = ""

    def __init__(self) -> None:
        self.expected = "YYYY-MM-DD, YYYY-MM, YYYY"

    def __call__(self, value: Any) -> str:
        if isinstance(value, dt.datetime):
            value = value.date()
        parts = [value.isoformat()] if isinstance(value, dt.date) else split_values(Text()(value))
        today = timezone.localdate()
        found: set[str] = set()
        for part in parts:
            found.add(self._one(part, today))
        return "|".join(sorted(found))

    def _one(self, text: str, today: dt.date) -> str:
        try:
            if match := _FULL.fullmatch(text):
                day = dt.date(*(int(g) for g in match.groups()))
                year, earliest = day.year, day
                iso = day.isoformat()
            elif match := _FRENCH.fullmatch(text):
                day = dt.date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
                year, earliest = day.year, day
                iso = day.isoformat()
            elif match := _MONTH.fullmatch(text):
                year, month = int(match.group(1)), int(match.group(2))
                earliest = dt.date(year, month, 1)
                iso = f"{year:04d}-{month:02d}"
            elif _YEAR.fullmatch(text):
                year = int(text)
                earliest = dt.date(year, 1, 1)
                iso = f"{year:04d}"
            else:
                raise InvalidValue(_("is not a birth date (expected %s)") % self.expected)
        except ValueError as exc:
            if isinstance(exc, InvalidValue):
                raise
            raise InvalidValue(_("is not a birth date (no such day: '%s')") % text) from None
        if year < 1900:
            raise InvalidValue(_("is an impossible birth date (before 1900): '%s'") % text)
        if earliest > today:
            raise InvalidValue(_("is an impossible birth date (in the future): '%s'") % text)
        return iso


def fit_birth_dates(joined: str, max_length: int) -> str:
    """`joined` (`|`-separated birth dates) within `max_length`: the years alone when the dates do not fit,
    nothing when the years do not either. Never a subset of the dates: a date left out could make screening
    exclude a counterparty born on it (a birth date too far from every listed one excludes the match)."""
    if len(joined) <= max_length:
        return joined
    years = "|".join(sorted({part[:4] for part in joined.split("|")}))
    return years if len(years) <= max_length else ""


class ListedOn(Parser):
    """A date, or a date and time (OpenSanctions' `first_seen`) taken as its date in Paris."""

    cacheable = True
    _date = Date()
    _datetime = DateTime()

    def __init__(self) -> None:
        self.expected = _("a date, or a date and time")

    def __call__(self, value: Any) -> dt.date:
        try:
            return self._date(value)
        except InvalidValue:
            return paris_date(self._datetime(value))


def queue_list_screening(codes: list[str]) -> None:
    """Screen every active counterparty against the lists `codes`, after the commit of their import (aml.tasks).
    The list is already committed: a broker that cannot be reached is logged, the nightly screening covers it."""
    from ..tasks import queue, screen_lists

    queue(screen_lists, codes, what="screening after a list import", covered_by="the nightly run")


#: A file that would delist more than this share of a list's entries, and more than MASS_DELISTING_MIN of them,
#: is refused unless `--allow-mass-delisting` is given.
MASS_DELISTING_SHARE = 0.1
MASS_DELISTING_MIN = 10


@register
class ScreeningListImporter(Importer):
    """List entries by (list, list id); a strict import that replaces each list present in the file."""

    kind = "screening_list"
    model = ListEntry
    natural_key = ("screening_list_id", "list_id")
    strict_only = True
    duplicate_key_refuses_file = True
    batch_size = 5000
    #: The list of every row (`--list CODE`); None: the `list` column says.
    list_code: ClassVar[str | None] = None
    allow_mass_delisting: ClassVar[bool] = False
    columns = (
        Column(
            "list",
            Text(),
            required=True,
            aliases=("dataset", "liste", "code liste", "list code"),
        ),
        Column(
            "list_id",
            Text(max_length_of(ListEntry, "list_id")),
            required=True,
            aliases=("id", "identifiant", "identifiant dans la liste", "référence", "reference"),
        ),
        Column("kind", Text(), required=True, aliases=("schema", "type", "nature")),
        Column("name", Text(max_length_of(ListEntry, "name")), required=True, aliases=("nom", "caption")),
        Column("aliases", Text(), aliases=("alias", "autres noms", "other names")),
        Column("birth_date", BirthDates(), aliases=("birth_dates", "date de naissance", "dates de naissance")),
        Column("country", Text(), aliases=("countries", "pays", "nationalité")),
        Column("listed_on", ListedOn(), aliases=("first_seen", "date d'inscription", "inscrit le")),
    )

    @classmethod
    def for_list(cls, code: str) -> type[ScreeningListImporter]:
        """This importer with every row in the list `code` (its `list` column, if any, is ignored)."""
        columns = tuple(Column(c.name, c.parser, aliases=c.aliases) if c.name == "list" else c for c in cls.columns)
        return type(cls.__name__, (cls,), {"list_code": code.strip(), "columns": columns, "__module__": cls.__module__})

    @classmethod
    def allowing_mass_delisting(cls) -> type[ScreeningListImporter]:
        """This importer without the bound on delisting (`--allow-mass-delisting`: a list that truly shrank)."""
        return type(cls.__name__, (cls,), {"allow_mass_delisting": True, "__module__": cls.__module__})

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.lists: dict[str, ScreeningList] = {}  # by fold_code(code)
        self.stored: dict[int, dict[str, tuple[str, dt.date | None, dt.datetime]]] = {}
        self.in_file: dict[int, set[str]] = {}
        self.changed_lists: set[int] = set()
        self.codes: dict[int, str] = {}

    def prepare(self) -> None:
        super().prepare()
        self.now = timezone.now()
        self.lists = {fold_code(sl.code): sl for sl in ScreeningList.objects.all()}
        self.code_max = max_length_of(ScreeningList, "code")
        self.country_max = max_length_of(ListEntry, "countries")
        self.birth_max = max_length_of(ListEntry, "birth_dates")

    def fetch_existing(self, keys: list[tuple]) -> dict[tuple, dict[str, Any]]:
        """The existing entries of `keys`, narrowed on the list ids of each list (the engine's default narrows
        on the first part of the key only, which would read the whole list for every batch)."""
        by_list: dict[int, list[str]] = {}
        for list_pk, list_id in keys:
            by_list.setdefault(list_pk, []).append(list_id)
        attnames = [f.attname for f in ListEntry._meta.concrete_fields]
        found: dict[tuple, dict[str, Any]] = {}
        step = max_query_params()
        for list_pk, list_ids in by_list.items():
            for start in range(0, len(list_ids), step):
                chunk = list_ids[start : start + step]
                for values in (
                    ListEntry._base_manager.filter(screening_list_id=list_pk, list_id__in=chunk)
                    .order_by()
                    .values(*attnames)
                ):
                    found[(list_pk, values["list_id"])] = values
        return found

    def describe_key(self, key: tuple) -> str:
        list_pk, list_id = key
        return _("list '%(list)s', id '%(id)s'") % {"list": self.codes.get(list_pk, list_pk), "id": list_id}

    def _list(self, row: Row) -> ScreeningList:
        code = self.list_code or row.get("list") or ""
        if not code:
            raise RowError("list: " + _("a value is required"))
        if len(split_values(code)) > 1:
            raise RowError(_("several lists in one row; import each list's own export or give --list"))
        if len(code) > self.code_max:
            raise RowError(
                _("list: '%(code)s' is not a list code (at most %(max)d characters); give the list's code with --list")
                % {"code": code[:60], "max": self.code_max}
            )
        found = self.lists.get(fold_code(code))
        if found is None:
            found = ScreeningList(code=code)
            save_with_history(found, actor=self.user, reason=self.change_reason)
            self.lists[fold_code(code)] = found
        if found.pk not in self.stored:
            self.codes[found.pk] = found.code
            self.in_file[found.pk] = set()
            self.stored[found.pk] = {
                list_id: (content_hash, delisted_on, changed_at)
                for list_id, content_hash, delisted_on, changed_at in ListEntry.objects.filter(
                    screening_list=found
                ).values_list("list_id", "content_hash", "delisted_on", "changed_at")
            }
        return found

    def build(self, row: Row) -> dict[str, Any] | None:
        schema = row["kind"] or ""
        if schema and fold(schema) in OTHER_SCHEMAS:
            raise RowSkipped(_("not screened (vessels, aircraft and other assets)"))
        kind = None
        if schema:
            try:
                kind = KIND(schema)
            except InvalidValue as exc:
                row.error("kind", f"'{schema[:60]}' {exc}")
        screening_list = self._list(row)
        name = row["name"] or ""
        if row["name"] is not None and not normalise(name):
            row.error("name", _("a name of letters or digits is required"))
        primary = normalise(name)
        aliases: dict[str, str] = {}
        for alias in split_values(row.get("aliases") or ""):
            folded = normalise(alias)
            if folded and folded != primary:
                aliases.setdefault(folded, alias)
        birth_dates = fit_birth_dates(row.get("birth_date") or "", self.birth_max)
        countries = "|".join(split_values(row.get("country") or "")).upper()[: self.country_max]
        values: dict[str, Any] = {
            "screening_list_id": screening_list.pk,
            "list_id": row["list_id"],
            "kind": kind,
            "name": name,
            "aliases": "\n".join(aliases.values()),
            "birth_dates": birth_dates,
            "countries": countries,
            "delisted_on": None,
        }
        if "listed_on" in row:
            values["listed_on"] = row["listed_on"]
        if row.errors or kind is None:
            return values
        values["content_hash"] = entry_hash(kind, name, aliases.values(), birth_dates)
        self.in_file[screening_list.pk].add(row["list_id"])
        stored = self.stored[screening_list.pk].get(row["list_id"])
        if stored is None or stored[0] != values["content_hash"] or stored[1] is not None:
            values["changed_at"] = self.now
        return values

    def after_write(
        self,
        *,
        created: list[tuple[Row, models.Model]],
        updated: list[tuple[Row, dict[str, Any]]],
        unchanged: list[Row],
    ) -> None:
        for row, _obj in created:
            assert row.built is not None
            self.changed_lists.add(row.built["screening_list_id"])
        for row, old in updated:
            assert row.built is not None
            self.changed_lists.add(row.built["screening_list_id"])
            if old["delisted_on"] is not None:
                self.note(_("relisted"))

    def finish(self) -> None:
        """Delist what each list of the file no longer has; move the version of the lists that changed.

        A file that would delist more than MASS_DELISTING_SHARE of a list's entries (and more than
        MASS_DELISTING_MIN) is refused whole: a download cut short, or a partial file under the wrong list code,
        would otherwise stop the screening against most of an asset-freeze list without anyone noticing."""
        today = timezone.localdate()
        plan: list[tuple[int, list[int]]] = []
        for list_pk, kept in self.in_file.items():
            listed = list(
                ListEntry.objects.filter(screening_list_id=list_pk, delisted_on__isnull=True)
                .order_by("pk")
                .values_list("pk", "list_id")
            )
            gone = [pk for pk, list_id in listed if list_id not in kept]
            if (
                not self.allow_mass_delisting
                and len(gone) > MASS_DELISTING_MIN
                and len(gone) > MASS_DELISTING_SHARE * len(listed)
            ):
                raise Refused(
                    _(
                        "This file would delist %(gone)s of the %(listed)s entries of the list %(code)s: is it "
                        "complete? Nothing was changed. If the list truly shrank, import it with "
                        "--allow-mass-delisting."
                    )
                    % {"gone": len(gone), "listed": len(listed), "code": self.codes.get(list_pk, list_pk)}
                )
            plan.append((list_pk, gone))
        for list_pk, gone in plan:
            if not gone:
                continue
            self.changed_lists.add(list_pk)
            self.note(_("delisted"), len(gone))
            step = 5000
            for start in range(0, len(gone), step):
                entries = list(ListEntry.objects.filter(pk__in=gone[start : start + step]))
                for entry in entries:
                    entry.delisted_on = today
                    entry.changed_at = self.now
                bulk_update_with_history(
                    entries,
                    ListEntry,
                    ["delisted_on", "changed_at"],
                    default_user=self.user,
                    default_change_reason=self.change_reason,
                    default_date=self.now,
                )
        codes = []
        for screening_list in self.lists.values():
            if screening_list.pk not in self.changed_lists:
                continue
            screening_list.version += 1
            screening_list.loaded_at = self.now
            screening_list.loaded_by = self.user
            screening_list.source_sha256 = self.run.sha256 if self.run is not None else ""
            save_with_history(screening_list, actor=self.user, reason=self.change_reason)
            codes.append(screening_list.code)
        if codes:
            self.note(_("lists updated"), len(codes))
            transaction.on_commit(lambda: queue_list_screening(sorted(codes)))
