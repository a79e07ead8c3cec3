"""Counterparties: the checks shared by the importer and the forms, and the save that keeps screening current.

What screening reads of a counterparty (kind, normalised name, birth date) is summed up in its
`screening_hash` (aml/fingerprints.py); when it changes, `changed_at` moves and the blocking keys
(`CounterpartyKey`) are rewritten, so the next screening of changed counterparties picks it up.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext

from core.dates import format_date
from core.services import save_with_history

from ..choices import CounterpartyKind
from ..fingerprints import counterparty_hash, counterparty_keys
from ..matching import normalise
from ..models import Counterparty, CounterpartyKey

#: The earliest birth date accepted (the database refuses an earlier one: aml_counterparty_birth_date_plausible).
EARLIEST_BIRTH_DATE = dt.date(1900, 1, 1)
#: Key rows per `executemany` (SQLite) when the keys of many counterparties are written.
KEYS_BATCH = 5000


def counterparty_problems(
    *, kind: str, name: str | None = None, birth_date: dt.date | None = None, today: dt.date | None = None
) -> dict[str, str]:
    """What is impossible in a counterparty, by field (empty when it holds together).

    Shared by the importer and the services, so each says the same thing. An unknown entity is the
    importer's to say (it reads an entity code, a form offers the entities that exist)."""
    problems: dict[str, str] = {}
    if kind not in CounterpartyKind.values:
        problems["kind"] = gettext("'%(kind)s' is not a kind of counterparty (expected %(expected)s).") % {
            "kind": kind,
            "expected": ", ".join(CounterpartyKind.values),
        }
    if name is not None and not normalise(name):
        problems["name"] = gettext("A counterparty needs a name.")
    if birth_date is not None:
        today = today or timezone.localdate()
        if kind == CounterpartyKind.COMPANY:
            problems["birth_date"] = gettext("Impossible birth date: a company has no birth date.")
        elif birth_date > today:
            problems["birth_date"] = gettext("Impossible birth date: %(day)s is in the future.") % {
                "day": format_date(birth_date)
            }
        elif birth_date < EARLIEST_BIRTH_DATE:
            problems["birth_date"] = gettext("Impossible birth date: %(day)s is before 1900.") % {
                "day": format_date(birth_date)
            }
    return problems


def screening_values(*, kind: str, name: str, birth_date: dt.date | None) -> dict[str, str]:
    """`name_normalised` and `screening_hash` of a counterparty with these values."""
    return {
        "name_normalised": normalise(name)[: Counterparty._meta.get_field("name_normalised").max_length],
        "screening_hash": counterparty_hash(kind, name, birth_date),
    }


def write_keys(counterparty_ids: Iterable[int], names: Iterable[str], *, replace: bool) -> int:
    """Write the blocking keys of these counterparties (ids and names in the same order), in bulk; with
    `replace`, their old keys are deleted first. Returns the number of key rows written.

    A name has a few dozen keys (aml/matching.py), so 100,000 counterparties make millions of rows: they
    are written with PostgreSQL's COPY, or one prepared INSERT run for every row on SQLite (`executemany`),
    not through model instances (derived data: no history, no signals)."""
    ids = list(counterparty_ids)
    if replace and ids:
        step = 20_000
        for start in range(0, len(ids), step):
            CounterpartyKey.objects.filter(counterparty_id__in=ids[start : start + step]).delete()
    rows = [(pk, key) for pk, name in zip(ids, names, strict=True) for key in sorted(counterparty_keys(name))]
    if not rows:
        return 0
    quote = connection.ops.quote_name
    table = quote(CounterpartyKey._meta.db_table)
    columns = f"({quote('counterparty_id')}, {quote('key')})"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} {columns} FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            for start in range(0, len(rows), KEYS_BATCH):
                cursor.executemany(f"INSERT INTO {table} {columns} VALUES (%s, %s)", rows[start : start + KEYS_BATCH])
    return len(rows)


def queue_screening() -> None:
    """Screen the counterparties whose screening data changed since they were last screened (`changed_at >
    screened_at`), after the commit of the transaction that changed them (aml.tasks). The change is already
    committed: a broker that cannot be reached is logged, and the nightly screening picks them up."""
    from ..tasks import queue, screen_changed_counterparties

    queue(screen_changed_counterparties, what="screening of changed counterparties", covered_by="the nightly run")


def counterparty_save(*, actor: Any, counterparty: Counterparty, reason: str) -> Counterparty:
    """Create or update `counterparty` with history (who, why). Its normalised name and screening hash are
    computed here; when the hash changes (or the counterparty is new), `changed_at` moves, its blocking keys
    are rewritten and a screening of the changed counterparties is queued after the commit.

    Raises ValidationError (by field) for an impossible counterparty (`counterparty_problems`)."""
    counterparty.name = (counterparty.name or "").strip()
    counterparty.country = (counterparty.country or "").strip().upper()
    problems = counterparty_problems(kind=counterparty.kind, name=counterparty.name, birth_date=counterparty.birth_date)
    if problems:
        raise ValidationError(problems)
    values = screening_values(kind=counterparty.kind, name=counterparty.name, birth_date=counterparty.birth_date)
    counterparty.name_normalised = values["name_normalised"]
    with transaction.atomic():
        stored = None
        ended_before = None
        if counterparty.pk is not None:
            found = (
                Counterparty.objects.select_for_update()
                .filter(pk=counterparty.pk)
                .values_list("screening_hash", "relationship_ended_on")
                .first()
            )
            if found is not None:
                stored, ended_before = found
        changed = stored != values["screening_hash"]
        counterparty.screening_hash = values["screening_hash"]
        if changed or counterparty.changed_at is None:
            counterparty.changed_at = timezone.now()
        save_with_history(counterparty, actor=actor, reason=reason)
        if counterparty.relationship_ended_on != ended_before:
            from .alerts import alerts_follow_relationships

            alerts_follow_relationships([counterparty.pk], actor=actor, reason=reason)
        if changed:
            write_keys([counterparty.pk], [counterparty.name], replace=stored is not None)
            transaction.on_commit(queue_screening)
    return counterparty
