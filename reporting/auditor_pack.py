"""The auditor pack of a fiscal year: what the independent third party needs to trace the DPEF figures
back to the records (docs/rules.md, "Indicators": it tests 20-40% of the data behind them).

One ZIP with the indicators export (XLSX and JSON), for every computed indicator the records behind
its value (`records/<CODE>.csv`) and a reproducible random sample of them (`sample/<CODE>.csv`), the
method of every indicator (`methods.md`), a README, and a manifest of SHA-256 checksums
(`manifest.sha256` for `sha256sum -c`, `manifest.json` for programs).

The records come from the year's stored snapshot (`IndicatorValue.records`) when there is one, else
from a computation now (nothing is written). Each model behind an indicator has its columns in
`COLUMNS`: the fields an auditor needs to trace a record, and no more personal data than that (no
requester names, emails or addresses, no employee names: `employee_id` traces a person). A model
missing from the table is a programming error, raised as such (a test checks every model a
computation can return is there).
"""
from __future__ import annotations

import array
import bisect
import contextlib
import csv
import datetime as dt
import functools
import hashlib
import heapq
import io
import itertools
import json
import math
import operator
import random
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, BinaryIO

from django.apps import apps
from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connections, models
from django.db.backends.utils import CursorDebugWrapper
from django.db.models import F, Q, Window
from django.db.models.expressions import RawSQL
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext as _

from core.roles import can_view
from core.spreadsheets import BOM, csv_field, csv_line, formula_safe

from . import catalogue, registry, services, visibility
from .models import IndicatorValue, ReportingYear

#: Rows fetched (and written) at a time: an indicator can stand on 600,000 records. Each model's records are
#: read in one query (their ids as one array on PostgreSQL, one JSON list on SQLite); elsewhere CHUNK_SIZE
#: ids per `pk__in`.
CHUNK_SIZE = 5000
#: zlib level of the files in the ZIP: on these CSV files, 1 is about 4 times as fast as the default 6, for
#: files about 25% bigger.
COMPRESS_LEVEL = 1
#: The sampling rate an auditor asks for (20-40% of the data), when the setting gives none.
DEFAULT_SAMPLE_RATE = 0.3
#: The bounds of the rate configured in the settings; a rate passed explicitly may be any of ]0, 1].
SETTINGS_RATE_BOUNDS = (0.2, 0.4)

@dataclass(frozen=True)
class Derived:
    """A column computed from field paths' values: `function(*values of paths)`."""

    function: Callable[..., Any]
    paths: tuple[str, ...]
    #: Whether its values can be written once per distinct value: values equal only when written alike (dates,
    #: texts, ints; not floats mixed with ints, nor Decimals of several exponents).
    by_value: bool = False


def _to_paris_day(value: dt.datetime | None) -> dt.date | None:
    return timezone.localtime(value, timezone.get_default_timezone()).date() if value else None


def paris_day(path: str) -> Derived:
    """The Paris calendar day of a datetime field (the day the indicators count)."""
    return Derived(_to_paris_day, (path,), by_value=True)


Accessor = str | Derived


#: The columns of each model's rows: (header, field path — `__` follows relations, a to-many relation
#: gives its values joined with "|" — or a Derived: a callable of field paths' values). "model" and "id"
#: come first on every row. Headers are stable identifiers, not translated. Rows are read as values
#: (no model instance): 100,000 records stay a matter of seconds.
COLUMNS: dict[str, tuple[tuple[str, Accessor], ...]] = {
    "gdpr.rightsrequest": (
        ("reference", "reference"),
        ("right", "right"),
        ("requester_category", "requester_category"),
        ("channel", "channel"),
        ("received_at", "received_at"),
        ("received_on", paris_day("received_at")),
        ("status", "status"),
        ("due_on", "due_on"),
        ("extended_due_on", "extended_due_on"),
        ("applicable_due_on", "applicable_due_on"),
        ("answered_at", "answered_at"),
        ("answered_on", paris_day("answered_at")),
        ("outcome", "outcome"),
    ),
    "gdpr.cnilcase": (
        ("reference", "reference"),
        ("kind", "kind"),
        ("cnil_reference", "cnil_reference"),
        ("received_on", "received_on"),
        ("due_on", "due_on"),
        ("answered_on", "answered_on"),
        ("rights_request_reference", "rights_request__reference"),
    ),
    "gdpr.breach": (
        ("reference", "reference"),
        ("aware_at", "aware_at"),
        ("notification_due_at", "notification_due_at"),
        ("notification_required", "notification_required"),
        ("notified_at", "notified_at"),
        ("cnil_notification_reference", "cnil_notification_reference"),
        ("high_risk", "high_risk"),
        ("subjects_informed_at", "subjects_informed_at"),
    ),
    "gdpr.processingactivity": (
        ("reference", "reference"),
        ("name", "name"),
        ("role", "role"),
        ("registered_on", "registered_on"),
        ("retired_on", "retired_on"),
        ("last_reviewed_on", "last_reviewed_on"),
    ),
    "compliance.conflictofinterestcase": (
        ("reference", "reference"),
        ("reported_on", "reported_on"),
        ("source", "source"),
        ("entity_code", "entity__code"),
        ("macro_process_code", "macro_process__code"),
        ("dossier_type", "dossier_type"),
        ("status", "status"),
        ("qualification", "qualification"),
        ("qualified_on", "qualified_on"),
        ("measures", "measures__kind"),
        ("closed_on", "closed_on"),
    ),
    # ESRS G1-4: no description (free text); the case is traced by its reference.
    "compliance.corruptionincident": (
        ("reference", "reference"),
        ("nature", "nature"),
        ("confirmed_on", "confirmed_on"),
        ("entity_code", "entity__code"),
        ("coi_case_reference", "coi_case__reference"),
        ("workers_disciplined", "workers_disciplined"),
        ("partner_contract_terminated", "partner_contract_terminated"),
    ),
    "compliance.legalproceeding": (
        ("reference", "reference"),
        ("incident_reference", "incident__reference"),
        ("defendant", "defendant"),
        ("entity_code", "entity__code"),
        ("court", "court"),
        ("opened_on", "opened_on"),
        ("outcome", "outcome"),
        ("decided_on", "decided_on"),
        ("fine_eur", "fine_eur"),
    ),
    "compliance.risk": (
        ("map_kind", "map__kind"),
        ("map_version", "map__version"),
        ("map_approved_on", "map__approved_on"),
        ("code", "code"),
        ("title", "title"),
        ("macro_process_code", "macro_process__code"),
        ("gross_score", "gross_score"),
        ("net_score", "net_score"),
    ),
    "compliance.macroprocess": (
        ("kind", "kind"),
        ("code", "code"),
        ("name", "name"),
    ),
    "compliance.riskinterview": (
        ("map_kind", "map__kind"),
        ("map_version", "map__version"),
        ("map_approved_on", "map__approved_on"),
        ("held_on", "held_on"),
        ("function", "function"),
        ("function_type", "function_type"),
        ("macro_process_code", "macro_process__code"),
    ),
    "organization.employee": (
        ("employee_id", "employee_id"),
        ("entity_code", "entity__code"),
        ("department", "department__name"),
        ("hired_on", "hired_on"),
        ("left_on", "left_on"),
        ("gender", "gender"),
        ("is_manager", "is_manager"),
        ("function_at_risk", "function_at_risk"),
        ("department_function_at_risk", "department__function_at_risk"),
    ),
    "training.completion": (
        ("employee_id", "employee__employee_id"),
        ("module_code", "module__code"),
        ("module_kind", "module__kind"),
        ("completed_at", "completed_at"),
        ("completed_on", "completed_on"),
        ("duration_minutes", "duration_minutes"),
        ("module_expected_minutes", "module__expected_minutes"),
        ("anomaly", "anomaly"),
    ),
    "training.attendance": (
        ("employee_id", "employee__employee_id"),
        ("session_reference", "session__reference"),
        ("module_code", "session__module__code"),
        ("module_kind", "session__module__kind"),
        ("held_on", "session__held_on"),
        ("minutes_attended", "minutes_attended"),
        ("role", "role"),
    ),
    "training.session": (
        ("reference", "reference"),
        ("module_code", "module__code"),
        ("module_kind", "module__kind"),
        ("held_on", "held_on"),
        ("duration_minutes", "duration_minutes"),
        ("entity_code", "entity__code"),
    ),
    "training.phishingcampaign": (
        ("reference", "reference"),
        ("sent_on", "sent_on"),
        ("theme", "theme"),
        ("targeted", "targeted"),
        ("clicked", "clicked"),
        ("submitted_credentials", "submitted_credentials"),
        ("reported", "reported"),
    ),
}


class UnknownRecordModel(LookupError):
    """A computation returned records of a model COLUMNS does not describe (a programming error)."""


# -- training columns of employee rows -----------------------------------------------------------------
# The records of a training rate are the employees of its denominator; these columns say which of them
# are in the numerator, and by which training, so that the auditor can trace both parts. Each is read in
# a few queries over all employees (not per chunk of ids): a rate's denominator is most of the roster.

ExtraRows = Callable[[list[int]], dict[int, tuple[Any, ...]]]


class ExtraColumns:
    """An `ExtraRows` made of columns: for each, a function of the employee ids giving their values (dict and
    set lookups, without a tuple a row), how a value is written, and whether once per distinct value."""

    def __init__(self, *columns: tuple[Callable[[list[int]], list], Callable[[Any], str], bool]) -> None:
        self.columns = columns

    def __call__(self, ids: list[int]) -> dict[int, tuple[Any, ...]]:
        return dict(zip(ids, zip(*(values(ids) for values, _write, _by_value in self.columns))))

    def fields(self, ids: list[int]) -> list[list[str]]:
        """The CSV fields of each column, for `ids`."""
        return [_write_column(write, values(ids), by_value) for values, write, by_value in self.columns]


@dataclass(frozen=True)
class Extra:
    headers: tuple[str, ...]
    #: (year) → a function of employee ids → {id: values in the order of `headers`}
    prepare: Callable[[int], ExtraRows]
    #: The training module whose rate it explains, if one.
    module: str = ""
    #: The models its columns are read from ("app_label.model"): who may not view one of them does not get them.
    models: tuple[str, ...] = ("training.module", "training.completion", "training.attendance")


#: Each employee's latest training of a module, compact: (employee ids, pks, days as ordinals).
_Latest = tuple[array.array, array.array, array.array]


def _latest_by_employee(querysets: dict[int, models.QuerySet], module_path: str,
                        day_path: str) -> dict[int, _Latest]:
    """{module pk: each employee's latest row (by `day_path`, then pk) of its queryset}: one query for all the
    modules (their querysets OR-ed: the table read once), the database keeping one row per module and employee
    (ROW_NUMBER() over their rows)."""
    result: dict[int, _Latest] = {}
    if not querysets:
        return result
    ranked = functools.reduce(operator.or_, querysets.values()).annotate(latest_rank=Window(
        RowNumber(), partition_by=[F(module_path), F("employee_id")], order_by=[F(day_path).desc(), F("pk").desc()],
    )).filter(latest_rank=1).order_by().values_list(module_path, "employee_id", "pk", day_path)
    for batch in _fetch(ranked):
        modules, employees, pks, days = zip(*batch)
        for module in set(modules):
            kept = list(map(module.__eq__, modules))
            latest = result.setdefault(module, (array.array("q"), array.array("q"), array.array("q")))
            latest[0].extend(itertools.compress(employees, kept))
            latest[1].extend(itertools.compress(pks, kept))
            latest[2].extend(map(dt.date.toordinal, itertools.compress(days, kept)))
    return result


def _latest_trainings(codes: Iterable[str], year: int) -> dict[str, tuple[_Latest, _Latest]]:
    """{module code: (each employee's latest counted completion, latest qualifying attendance) at 31/12}, the
    trainings that count that day (training.kpis): two queries whatever the number of modules."""
    from training import kpis
    from training.models import Module

    codes = set(codes)
    modules = list(Module.objects.filter(code__in=codes))
    if len(modules) < len(codes):
        raise Module.DoesNotExist(f"no module {sorted(codes - {m.code for m in modules})}")
    day = dt.date(year, 12, 31)
    completions = _latest_by_employee({m.pk: kpis.counted_completions(m, day) for m in modules}, "module_id",
                                      "completed_on")
    attendances = _latest_by_employee({m.pk: kpis.qualifying_attendances(m, day) for m in modules if m.has_sessions},
                                      "session__module_id", "session__held_on")
    nothing = (array.array("q"), array.array("q"), array.array("q"))
    return {m.code: (completions.get(m.pk, nothing), attendances.get(m.pk, nothing)) for m in modules}


def _module_rows(completions: _Latest, attendances: _Latest) -> ExtraRows:
    """The training columns of a module's rate from its latest trainings (`_latest_trainings`)."""
    def columns(latest: _Latest) -> tuple[tuple[Callable, Callable, bool], ...]:
        employees, pks, days = latest
        pk_of = dict(zip(employees, pks, strict=True))
        day_of = dict(zip(employees, map(dt.date.fromordinal, days), strict=True))
        return ((lambda ids: list(map(pk_of.get, ids)), _number_cell, False),
                (lambda ids: list(map(day_of.get, ids)), _date_cell, True))

    # kpis.trained_q: a counted completion or (a module with sessions) a qualifying attendance
    trained = set(completions[0]) | set(attendances[0])
    return ExtraColumns((lambda ids: list(map(trained.__contains__, ids)), _BOOLEANS.__getitem__, False),
                        *columns(completions), *columns(attendances))


def _trained_ids(condition: Q) -> set[int]:
    """The employees (all of them, one query) matching a training condition of training.kpis."""
    from organization.models import Employee

    trained: set[int] = set()
    for batch in _fetch(Employee.objects.filter(condition).order_by().values_list("pk")):
        trained.update(pk for (pk,) in batch)
    return trained


def _module_trained(module_code: str) -> Extra:
    """Trained in the module at 31/12 (training.kpis's definition), with the latest counted completion
    and qualifying attendance (the trainings that count at that day)."""
    def prepare(year: int) -> ExtraRows:
        return _module_rows(*_latest_trainings([module_code], year)[module_code])
    return Extra(("trained_on_31_12", "counted_completion_id", "counted_completion_on",
                  "qualifying_attendance_id", "qualifying_attendance_on"), prepare, module_code)


def _trained_in_year() -> Extra:
    def prepare(year: int) -> ExtraRows:
        from training import kpis

        trained = _trained_ids(kpis.trained_in_year_q(year))
        return ExtraColumns((lambda ids: list(map(trained.__contains__, ids)), _BOOLEANS.__getitem__, False))
    return Extra(("trained_in_year",), prepare)


def _anti_corruption_trained() -> Extra:
    """ESRS G1-3: covered at 31/12 by at least one anti-corruption module (training.kpis.at_risk_coverage)."""
    def prepare(year: int) -> ExtraRows:
        from training import kpis
        from training.models import Module

        day = dt.date(year, 12, 31)
        modules = list(Module.objects.filter(anti_corruption=True, deployed_on__lte=day).order_by("code"))
        trained = [(module.code, _trained_ids(kpis.trained_q(module, day))) for module in modules]

        def codes(ids: list[int]) -> list[list[str]]:
            return [[code for code, pks in trained if i in pks] for i in ids]
        return ExtraColumns((lambda ids: list(map(bool, codes(ids))), _BOOLEANS.__getitem__, False),
                            (codes, _csv_cell, False))
    return Extra(("anti_corruption_trained_on_31_12", "anti_corruption_modules"), prepare)


def employee_extras() -> dict[str, Extra]:
    """Indicator code → training columns added to its employee rows: for a completion rate, its module's
    (the `module` its computation declares, reporting/registry.py); trained in the year; anti-corruption."""
    extras = {code: _module_trained(c.module) for code, c in registry.computations().items() if c.module}
    extras["E8_TRAINED_AT_LEAST_ONCE_RATE"] = _trained_in_year()
    extras["G1_3_AT_RISK_TRAINED_RATE"] = _anti_corruption_trained()
    return extras


# -- cells ------------------------------------------------------------------------------------------------
# The CSV files are assembled here, a column at a time, for speed (600,000 records), from the primitives of
# Vigie's one CSV writer (core/spreadsheets.py): `formula_safe` for every text, `csv_field` for quoting.
def cell(value: Any) -> str:
    """A value as the CSV files write it (README: ISO dates, Paris date-times, 1/0, "|" between values)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value, timezone.get_default_timezone())
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    if isinstance(value, (list, tuple, set)):
        return "|".join(sorted({cell(item) for item in value} - {""}))
    return formula_safe(str(value))


# The rows are written a column at a time, each column by a function chosen once by its field's type (what
# `cell` then `csv_field` give, without testing the type of every value), and when its values repeat (5
# entities, a few hundred days in a year), once per distinct value.
def _csv_cell(value: Any) -> str:
    return csv_field(cell(value))


def _any_cell(value: Any) -> str:
    """`_csv_cell`, ints (ids) first."""
    return str(value) if value.__class__ is int else csv_field(cell(value))


#: Booleans written as `cell` writes them, by a dict lookup.
_BOOLEANS = {True: "1", False: "0", None: ""}


def _number_cell(value: Any) -> str:
    return "" if value is None else str(value)


def _date_cell(value: dt.date | None) -> str:
    return "" if value is None else value.isoformat()


def _text_cell(value: Any) -> str:
    if value is None:
        return ""
    return csv_field(formula_safe(value) if value.__class__ is str else cell(value))


def _datetime_cell(zone: Any) -> Callable[[dt.datetime | None], str]:
    def write(value: dt.datetime | None) -> str:
        if value is None:
            return ""
        if value.utcoffset() is not None:
            value = value.astimezone(zone)
        return value.isoformat(timespec="seconds")
    return write


_INTEGERS = {"AutoField", "BigAutoField", "SmallAutoField", "IntegerField", "BigIntegerField", "SmallIntegerField",
             "PositiveIntegerField", "PositiveBigIntegerField", "PositiveSmallIntegerField"}
_TEXTS = {"CharField", "TextField", "SlugField", "EmailField", "URLField"}


def _field_cell(field: Any) -> tuple[Callable[[Any], str], bool]:
    """(how a field's values are written, whether equal values are written alike: not Decimals, whose
    exponents may differ, nor floats)."""
    kind = "" if field.is_relation else field.get_internal_type()
    if kind == "BooleanField":
        return _BOOLEANS.__getitem__, False
    if kind == "DateTimeField":
        return _datetime_cell(timezone.get_default_timezone()), True
    if kind == "DateField":
        return _date_cell, True
    if kind in _INTEGERS:
        return _number_cell, True
    if kind in ("DecimalField", "FloatField"):
        return _number_cell, False
    if kind in _TEXTS:
        return _text_cell, True
    return _csv_cell, False


def _write_column(write: Callable[[Any], str], values: Iterable[Any], by_value: bool) -> list[str]:
    """The CSV fields of a column's values; `by_value`: each distinct value written once (unless they
    cannot be hashed)."""
    if by_value:
        values = values if isinstance(values, list | tuple) else list(values)
        try:
            written = {value: write(value) for value in set(values)}
        except TypeError:  # lists
            pass
        else:
            return list(map(written.__getitem__, values))
    return list(map(write, values))


def _offset_text(seconds: int) -> str:
    """A UTC offset as datetime.isoformat writes it ("+01:00")."""
    return dt.datetime(2000, 1, 1, tzinfo=dt.timezone(dt.timedelta(seconds=seconds))).isoformat()[19:]


class _LocalTime(models.Func):
    """PostgreSQL: a datetime's local time in a time zone, as text without offset (YYYY-MM-DDTHH:MM:SS).
    Django's loader of timestamps (a Python one, to apply its time zone) costs about 10 µs a value: the
    database writes them instead."""

    output_field = models.TextField()

    def as_sql(self, compiler: Any, connection: Any, **extra_context: Any) -> tuple[str, tuple]:
        value, value_params = compiler.compile(self.source_expressions[0])
        zone, zone_params = compiler.compile(self.source_expressions[1])
        return (f"to_char(({value}) AT TIME ZONE {zone}, 'YYYY-MM-DD\"T\"HH24:MI:SS')",
                (*value_params, *zone_params))


class _UtcOffset(models.Func):
    """PostgreSQL: the UTC offset, in seconds, of a datetime's time zone at that moment, as text (an integer
    would cost a Django converter call on every row)."""

    output_field = models.TextField()

    def as_sql(self, compiler: Any, connection: Any, **extra_context: Any) -> tuple[str, tuple]:
        value, value_params = compiler.compile(self.source_expressions[0])
        zone, zone_params = compiler.compile(self.source_expressions[1])
        return (f"EXTRACT(EPOCH FROM (({value}) AT TIME ZONE {zone}) - (({value}) AT TIME ZONE 'UTC'))::integer::text",
                (*value_params, *zone_params, *value_params))


def _local_times(local: list[str | None], offsets: list[str | None]) -> list[str]:
    """The fields of `_LocalTime` and `_UtcOffset` columns: "YYYY-MM-DDTHH:MM:SS+01:00", "" for none."""
    written = {offset: "" if offset is None else _offset_text(int(offset)) for offset in set(offsets)}
    if None in local:
        return ["" if time is None else time + written[offset] for time, offset in zip(local, offsets)]
    return list(map(operator.add, local, map(written.__getitem__, offsets)))


# -- reading records --------------------------------------------------------------------------------------
def _model(label: str) -> type[models.Model]:
    if label not in COLUMNS:
        raise UnknownRecordModel(f"{label}: no columns in reporting/auditor_pack.py COLUMNS; add the fields an "
                                 "auditor needs to trace its records")
    return apps.get_model(label)


def _to_many(model: type[models.Model], path: str) -> bool:
    """Whether the field path crosses a to-many relation (one record, several values)."""
    current = model
    for part in path.split("__")[:-1]:
        relation = current._meta.get_field(part)
        if relation.many_to_many or relation.one_to_many:
            return True
        current = relation.related_model
    return False


def _final_field(model: type[models.Model], path: str) -> Any:
    current, field = model, None
    for part in path.split("__"):
        field = current._meta.get_field(part)
        if field.is_relation:
            current = field.related_model
    return field


def column_models(label: str) -> set[str]:
    """The models a record set of `label` is written from: its own and those its column paths go through."""
    model = _model(label)
    found = {label}
    for _header, accessor in COLUMNS[label]:
        for path in (accessor,) if isinstance(accessor, str) else accessor.paths:
            current = model
            for part in path.split("__")[:-1]:
                current = current._meta.get_field(part).related_model
                found.add(current._meta.label_lower)
    return found


def _batches(rows: Iterator[tuple], size: int) -> Iterator[list[tuple]]:
    while batch := list(itertools.islice(rows, size)):
        yield batch


def _fetch(queryset: models.QuerySet) -> Iterator[list[tuple]]:
    """The rows of a query, CHUNK_SIZE at a time (`_stream` on PostgreSQL)."""
    if connections[queryset.db].vendor == "postgresql":
        return _stream(queryset)
    return _batches(queryset.iterator(chunk_size=CHUNK_SIZE), CHUNK_SIZE)


def _stream(queryset: models.QuerySet) -> Iterator[list[tuple]]:
    """PostgreSQL: the rows of a query CHUNK_SIZE at a time, as the server sends them (psycopg's stream). The
    query runs once, in parallel when the planner wants (a server-side cursor, Django's iterator(), runs it
    serially and first copies its whole result: 6 s instead of 4 for 600,000 completions). No other query
    can run on the connection meanwhile. Logged as Django logs its queries."""
    connection = connections[queryset.db]
    try:
        sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
    except EmptyResultSet:  # e.g. filter(pk__in=[])
        return
    with connection.cursor() as cursor:
        logged = cursor.debug_sql(sql, params) if isinstance(cursor, CursorDebugWrapper) else contextlib.nullcontext()
        with logged, connection.wrap_database_errors:
            yield from _batches(cursor.cursor.stream(sql, params, size=CHUNK_SIZE), CHUNK_SIZE)


@dataclass(frozen=True)
class _Plan:
    """How to read one model's columns: the single-valued paths in one query (the datetimes as local text on
    PostgreSQL), each to-many path in its own; how each column is written."""

    label: str
    model: type[models.Model]
    vendor: str
    columns: tuple[tuple[str, Accessor], ...]
    single: tuple[str, ...]
    many: tuple[str, ...]
    #: single paths read as `_LocalTime` and `_UtcOffset` (PostgreSQL's datetimes)
    local: tuple[str, ...]
    #: how each column is written: (function, by value)
    cells: tuple[tuple[Callable[[Any], str], bool], ...]

    @classmethod
    def of(cls, label: str) -> _Plan:
        model = _model(label)
        columns = COLUMNS[label]
        vendor = connections[model._default_manager.db].vendor
        paths: list[str] = []
        for _header, accessor in columns:
            for path in (accessor,) if isinstance(accessor, str) else accessor.paths:
                if path not in paths:
                    paths.append(path)
        many = tuple(p for p in paths if _to_many(model, p))
        single = tuple(p for p in paths if p not in many)
        local = tuple(p for p in single if vendor == "postgresql"
                      and _final_field(model, p).get_internal_type() == "DateTimeField")
        cells = tuple((_csv_cell, False) if isinstance(accessor, str) and accessor in many
                      else (_csv_cell, accessor.by_value) if isinstance(accessor, Derived)
                      else _field_cell(_final_field(model, accessor)) for _header, accessor in columns)
        return cls(label, model, vendor, columns, single, many, local, cells)

    def _among(self, ids: Sequence[int]) -> models.QuerySet:
        """The records among `ids`, with one parameter whatever their number: an array on PostgreSQL
        (`pk__in` sends one parameter per id), a JSON list on SQLite."""
        queryset = self.model._default_manager.all()
        quote = connections[queryset.db].ops.quote_name
        column = f"{quote(self.model._meta.db_table)}.{quote(self.model._meta.pk.column)}"
        if self.vendor == "postgresql":  # the array as text: psycopg adapts a list value by value
            condition = RawSQL(f"{column} = ANY(%s::bigint[])", ("{" + ",".join(map(str, ids)) + "}",),
                               output_field=models.BooleanField())
        elif self.vendor == "sqlite":
            condition = RawSQL(f"{column} IN (SELECT value FROM json_each(%s))", (json.dumps(list(ids)),),
                               output_field=models.BooleanField())
        else:
            return queryset.filter(pk__in=ids)
        return queryset.filter(condition)

    def _values(self, ids: Sequence[int]) -> models.QuerySet:
        """The query of `rows`: "pk", the paths read as they are, then each `local` path's two columns (the
        order of the SELECT too: its plain columns, then its annotations in their order)."""
        queryset = self._among(ids)
        plain = [path for path in self.single if path not in self.local]
        if not self.local:
            return queryset.order_by("pk").values_list("pk", *plain)
        zone = models.Value(str(timezone.get_default_timezone()))
        names = {}
        for i, path in enumerate(self.local):
            names[f"local_{i}"] = _LocalTime(path, zone)
            names[f"offset_{i}"] = _UtcOffset(path, zone)
        return queryset.annotate(**names).order_by("pk").values_list("pk", *plain, *names)

    def rows(self, ids: Sequence[int]) -> Iterator[list[tuple]]:
        """The rows of `_values` of the records among the sorted `ids`, ordered by pk, CHUNK_SIZE at a time:
        one query (CHUNK_SIZE ids per query on databases other than PostgreSQL and SQLite)."""
        if not ids:
            return
        if self.vendor not in ("postgresql", "sqlite"):
            for start in range(0, len(ids), CHUNK_SIZE):
                yield list(self._values(ids[start:start + CHUNK_SIZE]))
            return
        yield from _fetch(self._values(ids))

    def many_values(self, ids: Sequence[int]) -> dict[str, dict[int, list]]:
        """{to-many path: {pk: its non-null values}} of the records among `ids` (one query a path)."""
        result: dict[str, dict[int, list]] = {}
        for path in self.many:
            values: dict[int, list] = {}
            for pk, value in self._among(ids).order_by().values_list("pk", path):
                if value is not None:
                    values.setdefault(pk, []).append(value)
            result[path] = values
        return result

    def cell_columns(self, batch: list[tuple], many: dict[str, dict[int, list]]) -> tuple[list[int], list[list[str]]]:
        """(pks, the CSV fields of each column) of a batch of `rows`, a column at a time; `many`: the to-many
        values (`many_values`)."""
        columns = iter(list(zip(*batch)))
        pks = list(next(columns))
        values: dict[str, Any] = {path: next(columns) for path in self.single if path not in self.local}
        written = {path: _local_times(next(columns), next(columns)) for path in self.local}
        for path, by_pk in many.items():
            values[path] = [by_pk.get(pk, []) for pk in pks]
        for path in {p for _h, a in self.columns if isinstance(a, Derived) for p in a.paths} & set(written):
            values[path] = [dt.datetime.fromisoformat(text) if text else None for text in written[path]]
        cells = []
        for (_header, accessor), (write, by_value) in zip(self.columns, self.cells, strict=True):
            if isinstance(accessor, str) and accessor in written:
                cells.append(written[accessor])
                continue
            column = (values[accessor] if isinstance(accessor, str)
                      else map(accessor.function, *(values[p] for p in accessor.paths)))
            cells.append(_write_column(write, column, by_value))
        return pks, cells

    def heads(self, base_headers: tuple[str, ...], ids: Sequence[int]) -> Iterator[tuple[list[int], list[str | None]]]:
        """(pks, heads) of the sorted `ids`, a batch at a time: a head is a CSV line without the extra columns
        and the line break: the model, the id, the columns at the places of `base_headers`; None for a
        record since deleted."""
        source = {header: i + 1 for i, (header, _accessor) in enumerate(self.columns)}
        template = (f"{csv_field(self.label)};{{0}}"
                    + "".join(f";{{{source[h]}}}" if h in source else ";" for h in base_headers[2:])).format
        position = 0
        many = self.many_values(ids) if self.many else {}
        for batch in self.rows(ids):
            pks, cells = self.cell_columns(batch, many)
            heads: list[str | None] = list(map(template, pks, *cells))
            end = position + len(pks)
            if ids[end - 1] != pks[-1]:  # else the pks, a sorted part of the ids, are all of ids[position:end]
                heads, pks = _with_missing(ids, position, pks, heads)
                end = position + len(pks)
            position = end
            yield pks, heads
        if position < len(ids):
            rest = list(ids[position:])
            yield rest, [None] * len(rest)


def _with_missing(ids: Sequence[int], position: int, pks: list[int], heads: list) -> tuple[list, list[int]]:
    """`heads` and `pks` with the ids from `position` missing among the pks (None heads)."""
    all_heads: list = []
    all_pks: list[int] = []
    for pk, head in zip(pks, heads, strict=True):
        while ids[position] != pk:
            all_pks.append(ids[position])
            all_heads.append(None)
            position += 1
        all_pks.append(pk)
        all_heads.append(head)
        position += 1
    return all_heads, all_pks


class _Heads:
    """The heads of the records of one model that several indicators write alike (the same columns at the
    same places), read once: 8 indicators stand on the employees present at 31/12, 3 on the year's
    completions. Kept compact: one text per batch and the offsets of its heads."""

    def __init__(self, plan: _Plan, base_headers: tuple[str, ...], ids: Sequence[int]) -> None:
        self.batches: list[tuple[array.array, str, array.array]] = []
        self.missing: set[int] = set()
        self.count = len(ids)
        for pks, heads in plan.heads(base_headers, ids):
            if None in heads:
                self.missing.update(pk for pk, head in zip(pks, heads, strict=True) if head is None)
                heads = ["" if head is None else head for head in heads]
            ends = array.array("q", itertools.accumulate(map(len, heads)))
            self.batches.append((array.array("q", pks), "".join(heads), ends))

    def select(self, ids: set[int] | None) -> Iterator[tuple[list[int], list[str | None]]]:
        """(pks, heads) of `ids` (None: all), a batch at a time, in pk order."""
        for pks, text, ends in self.batches:
            starts = array.array("q", [0]) + ends[:-1]
            if ids is None:
                chosen, chosen_starts, chosen_ends = pks.tolist(), starts, ends
            else:
                kept = list(map(ids.__contains__, pks))
                chosen = list(itertools.compress(pks, kept))
                chosen_starts, chosen_ends = itertools.compress(starts, kept), itertools.compress(ends, kept)
            if not chosen:
                continue
            heads: list[str | None] = list(map(text.__getitem__, map(slice, chosen_starts, chosen_ends)))
            if self.missing:
                heads = [None if pk in self.missing else head for pk, head in zip(chosen, heads, strict=True)]
            yield chosen, heads


@dataclass
class RecordRows:
    """What reading one indicator's records found: the records since deleted."""

    headers: list[str]
    missing: list[tuple[str, int]] = field(default_factory=list)


def _headers(records: list[dict], extra: Extra | None) -> list[str]:
    headers = ["model", "id"]
    for record_set in records:
        _model(record_set["model"])
        for header, _accessor in COLUMNS[record_set["model"]]:
            if header not in headers:
                headers.append(header)
    if extra is not None and any(r["model"] == "organization.employee" for r in records):
        headers.extend(h for h in extra.headers if h not in headers)
    return headers


def _base_headers(headers: list[str], extra: Extra | None) -> tuple[str, ...]:
    """The headers of the records' own columns (the extra columns come last)."""
    extra_headers = set(extra.headers) if extra is not None else set()
    return tuple(h for h in headers if h not in extra_headers)


def _sorted_ids(ids: Iterable[Any]) -> Sequence[int]:
    """The ids of a record set, sorted, each once (those of `_compact` records already are)."""
    if isinstance(ids, array.array):
        return ids
    return sorted({int(i) for i in ids})


def record_lines(records: list[dict], year: int, extra: Extra | None, headers: list[str], result: RecordRows,
                 shared: _Shared | None = None) -> Iterator[tuple[str, list[int], list[str]]]:
    """The CSV lines of the records, a batch at a time: (model, ids, one line per id), by model (in the order
    of `records`) then id. A model's records are read in one query, or taken from `shared.heads(model, base
    headers)` when it has them. Records since deleted give a line with only their model and id, and are
    listed in `result.missing`."""
    base = _base_headers(headers, extra)
    extra_rows = None
    for record_set in records:
        label = record_set["model"]
        plan = _Plan.of(label)
        ids = _sorted_ids(record_set["ids"])
        if not ids:
            continue
        with_extra = extra is not None and label == "organization.employee"
        if with_extra and extra_rows is None:
            extra_rows = shared.prepare(extra, year) if shared is not None else extra.prepare(year)
        ends = (";{}" * len(extra.headers) + "\r\n").format if with_extra else None
        gone = f"{csv_field(label)};{{}}{';' * (len(headers) - 2)}\r\n".format
        read = shared.heads(label, base) if shared is not None else None
        batches = plan.heads(base, ids) if read is None else read.select(None if len(ids) == read.count else set(ids))
        for pks, heads in batches:
            if with_extra and extra.headers:
                if isinstance(extra_rows, ExtraColumns):
                    fields = extra_rows.fields(pks)
                else:
                    more = extra_rows(pks)
                    fields = [_write_column(_any_cell, column, True) for column in zip(*map(more.__getitem__, pks))]
                line_ends: Iterable[str] = itertools.starmap(ends, zip(*fields))
            else:
                line_ends = itertools.repeat("\r\n")
            if None in heads:
                lines = []
                for pk, head, end in zip(pks, heads, line_ends):
                    if head is None:
                        result.missing.append((label, pk))
                        lines.append(gone(pk))
                    else:
                        lines.append(head + end)
            else:
                lines = list(map(operator.add, heads, line_ends))
            yield label, pks, lines


def iter_rows(records: list[dict], year: int, extra: Extra | None, result: RecordRows) -> Iterator[dict[str, str]]:
    """One dict per record (header → field, as a CSV reader reads the records file), in `record_lines`'s
    order."""
    headers = _headers(records, extra)
    for _label, _pks, lines in record_lines(records, year, extra, headers, result):
        for values in csv.reader(lines, delimiter=";"):
            yield dict(zip(headers, values, strict=True))


# -- sampling ---------------------------------------------------------------------------------------------
def _as_rate(value: Any, where: str) -> float:
    try:
        rate = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(_("%(where)s must be a number such as 0.3, not %(value)r.") % {
            "where": where, "value": value}) from exc
    if not rate.is_finite():
        raise ValueError(_("%(where)s must be a number such as 0.3, not %(value)r.") % {"where": where, "value": value})
    return float(rate)


def resolve_sample_rate(rate: Any = None) -> float:
    """The sampling rate: `rate` when given (0 < rate <= 1), else VIGIE_AUDIT_SAMPLE_RATE (0.2 to 0.4, the
    share of the data an independent third party tests); ValueError saying which, otherwise."""
    if rate is not None:
        value = _as_rate(rate, _("The sample rate"))
        if not 0 < value <= 1:
            raise ValueError(_("The sample rate must be more than 0 and at most 1 (e.g. 0.3 for 30%%), not "
                               "%(value)s.") % {"value": rate})
        return value
    configured = getattr(settings, "VIGIE_AUDIT_SAMPLE_RATE", DEFAULT_SAMPLE_RATE)
    value = _as_rate(configured, "VIGIE_AUDIT_SAMPLE_RATE")
    low, high = SETTINGS_RATE_BOUNDS
    if not low <= value <= high:
        raise ValueError(_("VIGIE_AUDIT_SAMPLE_RATE must be between %(low)s and %(high)s (the 20-40%% of the "
                           "data an independent third party tests), not %(value)s; pass a rate explicitly to "
                           "draw another.") % {"low": low, "high": high, "value": configured})
    return value


def resolve_seed(year: int, seed: Any = None) -> int | str:
    """The seed: `seed` when given, else VIGIE_AUDIT_SAMPLE_SEED, else the year."""
    if seed is None or seed == "":
        seed = getattr(settings, "VIGIE_AUDIT_SAMPLE_SEED", None)
    if seed is None or seed == "":
        return year
    return seed if isinstance(seed, (int, str)) and not isinstance(seed, bool) else str(seed)


def sample_size(rate: float, count: int) -> int:
    """ceil(rate × count), at least 1 when there is a record; in decimal (in floats, 0.55 × 100 is 55.000…01)."""
    if count <= 0:
        return 0
    return min(count, max(1, math.ceil(Decimal(str(rate)) * count)))


def _population(records: list[dict]) -> list[tuple[str, Sequence[int]]]:
    """The records sorted by model then id, as (model, its sorted ids) pairs (without building every pair)."""
    by_model: dict[str, list] = {}
    for record_set in records:
        by_model.setdefault(record_set["model"], []).append(record_set["ids"])
    return [(label, id_sets[0] if len(id_sets) == 1 and isinstance(id_sets[0], array.array)
             else sorted({int(i) for ids in id_sets for i in ids}))
            for label, id_sets in sorted(by_model.items())]


def _drawn(records: list[dict], code: str, rate: float, seed: int | str) -> dict[str, set[int]]:
    """`draw_sample` as {model: sampled ids}. random.Random.sample draws positions in the population (its
    draws depend only on the population's size and the sample's): the positions are drawn in
    range(size), then read in the sorted records, which gives the very same sample as sampling the list
    of (model, id) pairs."""
    population = _population(records)
    starts = list(itertools.accumulate((len(ids) for _label, ids in population), initial=0))
    total = starts[-1]
    positions = random.Random(f"{seed}:{code}").sample(range(total), sample_size(rate, total))
    if len(population) == 1:
        label, ids = population[0]
        return {label: set(map(ids.__getitem__, positions))}
    drawn: dict[str, set[int]] = {label: set() for label, _ids in population}
    for position in positions:
        index = bisect.bisect_right(starts, position) - 1
        label, ids = population[index]
        drawn[label].add(ids[position - starts[index]])
    return drawn


def draw_sample(records: list[dict], code: str, rate: float, seed: int | str) -> set[tuple[str, int]]:
    """The sampled (model, id) pairs: random.Random(f"{seed}:{code}").sample over the records sorted by
    model then id (the same seed and records always give the same sample)."""
    return {(label, pk) for label, ids in _drawn(records, code, rate, seed).items() for pk in ids}


# -- the indicators' records --------------------------------------------------------------------------------
@dataclass
class Source:
    code: str
    records: list[dict]
    origin: str  # "snapshot" or "evaluated"
    status: str
    records_sha256: str
    computed_at: dt.datetime | None = None


def source_models(source: Source, extra: Extra | None) -> set[str]:
    """Every model the records files of `source` are written from (its records', their columns', and the
    training columns of employee rows), and those its computation declares (reporting/registry.py): whether
    its files are in a pack does not depend on which records it has."""
    found: set[str] = set()
    for record_set in source.records:
        found |= column_models(record_set["model"])
    for label in visibility.models_of(source.code):
        found |= column_models(label) if label in COLUMNS else {label}
    if extra is not None and "organization.employee" in found:
        found.update(extra.models)
    return found


def viewable(source: Source, extra: Extra | None, user: Any) -> bool:
    """Whether `user` may have the records of `source`: they may view every model its files are written from
    (None: no user to ask, the command line, whose operator reads the database anyway)."""
    return user is None or all(can_view(user, label) for label in source_models(source, extra))


def computed_codes() -> list[str]:
    """The computed indicators, in catalogue order."""
    declared = registry.computations()
    return [d.code for d in catalogue.DEFINITIONS if d.code in declared]


def stored_codes(year: int) -> set[str]:
    """The codes of `year`'s stored snapshot (none when it was never computed)."""
    return set(IndicatorValue.objects.filter(reporting_year__year=year).values_list("code", flat=True))


def record_sources(year: int, codes: Iterable[str] | None = None) -> Iterator[Source]:
    """Each computed indicator's records (or those of `codes`), one at a time (records of big indicators are
    long lists): from the stored snapshot when the year has one, else computed now."""
    reporting_year = ReportingYear.objects.filter(year=year).first()
    stored = stored_codes(year) if reporting_year is not None else set()
    wanted = set(computed_codes() if codes is None else codes)
    for code in (code for code in computed_codes() if code in wanted):
        if code in stored:
            value = (IndicatorValue.objects.filter(reporting_year=reporting_year, code=code)
                     .only("records", "status", "records_sha256", "computed_at").get())
            yield Source(code, value.records or [], "snapshot", value.status, value.records_sha256, value.computed_at)
        else:
            evaluated = services.year_evaluate(year, codes=[code])[code]
            yield Source(code, evaluated.records, "evaluated", evaluated.status, evaluated.records_sha256)


# -- writing the pack -------------------------------------------------------------------------------------
def pack_filename(year: int) -> str:
    return f"vigie-auditor-pack-{year}.zip"


def _compact(source: Source) -> Source:
    """The source with each record set's ids sorted, each once, in an array (8 bytes an id: the records of
    every indicator are kept until the pack is written, to read once those that several share)."""
    records = [{"model": r["model"], "ids": array.array("q", _sorted_ids(r["ids"]))} for r in source.records]
    return Source(source.code, records, source.origin, source.status, source.records_sha256, source.computed_at)


def _union(id_sets: list[Sequence[int]]) -> array.array:
    """The sorted union of sorted sets of ids, without a set (600,000 ids would take 50 MB): dense ids (the
    usual) marked in a byte each, else merged."""
    low, high = min(ids[0] for ids in id_sets), max(ids[-1] for ids in id_sets)
    if high - low < 8 * sum(map(len, id_sets)):
        marks = bytearray(high - low + 1)
        for ids in id_sets:
            for pk in ids:
                marks[pk - low] = 1
        return array.array("q", itertools.compress(range(low, high + 1), marks))
    return array.array("q", (pk for pk, _same in itertools.groupby(heapq.merge(*id_sets))))


class _Shared:
    """What several indicators' records share. The `_Heads` of each (model, base headers) that several have:
    read when the first of them is written (the union of their ids), dropped when the last one is. The
    training columns of a module explaining two indicators in a row (E9: the trained and the rate)."""

    def __init__(self, sources: list[Source], extras: dict[str, Extra]) -> None:
        self.record_sets: dict[tuple[str, tuple[str, ...]], list] = {}
        for source in sources:
            extra = extras.get(source.code)
            base = _base_headers(_headers(source.records, extra), extra)
            for record_set in source.records:
                if len(record_set["ids"]):
                    self.record_sets.setdefault((record_set["model"], base), []).append(record_set["ids"])
        self.read: dict[tuple[str, tuple[str, ...]], _Heads] = {}
        #: the modules of the rates: their latest trainings read together, at the first of them
        self.modules = {extras[s.code].module for s in sources if s.code in extras and extras[s.code].module}
        self.latest: dict[tuple[str, int], tuple[_Latest, _Latest]] = {}
        self.modules_read: int | None = None
        self.prepared: tuple[Any, ExtraRows] | None = None

    def prepare(self, extra: Extra, year: int) -> ExtraRows:
        """The extra's rows; a module's (the same a rate and the next use) from `_latest_trainings` of all the
        modules (two queries instead of two a module)."""
        key = (extra.headers, extra.module, year)
        if extra.module and self.prepared is not None and self.prepared[0] == key:
            return self.prepared[1]
        self.prepared = None  # dropped before the next is read
        if extra.module:
            if (extra.module, year) not in self.latest:
                codes = self.modules if self.modules_read != year else set()
                self.modules_read = year
                self.latest.update(((code, year), latest) for code, latest in
                                   _latest_trainings(codes | {extra.module}, year).items())
            rows = _module_rows(*self.latest.pop((extra.module, year)))
        else:
            rows = extra.prepare(year)
        self.prepared = (key, rows)
        return rows

    def heads(self, label: str, base: tuple[str, ...]) -> _Heads | None:
        key = (label, base)
        record_sets = self.record_sets.get(key, [])
        if len(record_sets) < 2 and key not in self.read:
            return None
        if key not in self.read:
            self.read[key] = _Heads(_Plan.of(label), base, _union(record_sets))
            self.record_sets[key] = [None] * len(record_sets)  # the users left
        heads = self.read[key]
        self.record_sets[key].pop()
        if not self.record_sets[key]:
            del self.read[key]
        return heads


class _Writer:
    """Adds files to the ZIP and keeps their SHA-256 for the manifests."""

    def __init__(self, archive: zipfile.ZipFile, stamp: dt.datetime) -> None:
        self.archive = archive
        self.date_time = (max(stamp.year, 1980), stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second)
        self.files: list[dict[str, Any]] = []

    def _info(self, path: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(path, date_time=self.date_time)
        info.compress_type = zipfile.ZIP_DEFLATED
        try:
            info.compress_level = COMPRESS_LEVEL  # Python 3.13+
        except AttributeError:
            info._compresslevel = COMPRESS_LEVEL
        info.external_attr = 0o644 << 16
        return info

    def add(self, path: str, data: bytes | str, *, listed: bool = True) -> None:
        self.add_parts(path, [data], listed=listed)

    def add_parts(self, path: str, parts: Iterable[bytes | str], *, listed: bool = True) -> None:
        """Write the file `path` from its parts, as they come (a big file is never whole in memory)."""
        digest = hashlib.sha256()
        size = 0
        with self.archive.open(self._info(path), "w") as entry:
            for part in parts:
                content = part.encode("utf-8") if isinstance(part, str) else part
                digest.update(content)
                size += len(content)
                entry.write(content)
        if listed:
            self.files.append({"path": path, "sha256": digest.hexdigest(), "bytes": size})


@dataclass
class IndicatorFiles:
    code: str
    origin: str
    status: str
    records_count: int
    sample_count: int
    records_sha256: str
    computed_at: dt.datetime | None
    missing: list[tuple[str, int]]


def _write_indicator(writer: _Writer, source: Source, year: int, rate: float, seed: int | str,
                     shared: _Shared | None = None) -> IndicatorFiles:
    """records/<CODE>.csv, written as its lines are made, and sample/<CODE>.csv: the same lines, those of the
    sampled records (kept aside meanwhile: 20-40% of the records)."""
    extra = employee_extras().get(source.code)
    headers = _headers(source.records, extra)
    chosen = _drawn(source.records, source.code, rate, seed)
    header = BOM + csv_line(headers)
    sample = [header]
    result = RecordRows(headers)
    count = 0

    def parts() -> Iterator[str]:
        nonlocal count
        yield header
        for label, pks, lines in record_lines(source.records, year, extra, headers, result, shared):
            count += len(lines)
            drawn = chosen.get(label)
            if drawn:
                sample.append("".join(itertools.compress(lines, map(drawn.__contains__, pks))))
            yield "".join(lines)

    writer.add_parts(f"records/{source.code}.csv", parts())
    writer.add_parts(f"sample/{source.code}.csv", sample)
    return IndicatorFiles(source.code, source.origin, source.status, count, sum(map(len, chosen.values())),
                          source.records_sha256, source.computed_at, result.missing)


def _number(value: Any) -> str:
    return "—" if value is None else str(value)


def _methods(data: dict[str, Any], files: dict[str, IndicatorFiles], withheld: list[str]) -> str:
    year = data["year"]
    lines = [_("Indicators of %(year)d: definitions, methods and values") % {"year": year}, "=" * 72, ""]
    lines.append(_("Generated at %(when)s. Year frozen: %(frozen)s.") % {
        "when": data["generated_at"], "frozen": _("yes") if data["frozen"] else _("no")})
    lines.append("")
    statuses = {"computed": _("computed"), "entered": _("entered by its owner"), "no_data": _("no data"),
                "error": _("error"), "missing": _("missing (not entered)"),
                visibility.WITHHELD: _("not published yet")}
    for item in data["indicators"] + data["esrs"]:
        code = item["code"]
        definition = catalogue.BY_CODE.get(code)
        unit = str(catalogue.UNITS.get(item["unit"], item["unit"]))
        lines.append(f"## {code} — {item['label']}")
        if definition is not None and definition.enjeu_label:
            lines.append(_("Issue: %(number)d. %(label)s") % {"number": definition.enjeu,
                                                              "label": definition.enjeu_label})
        lines.append(_("Framework: %(framework)s") % {"framework": "ESRS G1" if definition and
                                                      definition.framework == catalogue.ESRS else "DPEF"})
        lines.append(_("Unit: %(unit)s") % {"unit": unit})
        lines.append(_("Value %(year)d: %(value)s") % {"year": year, "value": _number(item["value"])})
        lines.append(_("Value %(year)d: %(value)s") % {"year": year - 1, "value": _number(item["previous_value"])})
        lines.append(_("Numerator: %(numerator)s; denominator: %(denominator)s") % {
            "numerator": _number(item["numerator"]), "denominator": _number(item["denominator"])})
        lines.append(_("Source: %(source)s; status: %(status)s") % {
            "source": _("computed from the records") if item["source"] == "computed" else _("manual entry"),
            "status": statuses.get(item["status"], item["status"])})
        if item["note"]:
            lines.append(_("Note: %(note)s") % {"note": item["note"]})
        lines.append(_("Method: %(method)s") % {"method": item["method"]})
        indicator = files.get(code)
        if code in withheld:
            lines.append(_("Records behind the value: not in this pack (the role it was made for may not view "
                           "the records they come from)."))
        if indicator is not None:
            origin = (_("the snapshot stored on %(when)s") % {"when": cell(indicator.computed_at)}
                      if indicator.origin == "snapshot" else _("a computation at the pack's generation"))
            lines.append(_("Records behind the value: %(count)d (records/%(code)s.csv), from %(origin)s; sample "
                           "for tests of detail: %(sample)d (sample/%(code)s.csv).") % {
                "count": indicator.records_count, "code": code, "origin": origin, "sample": indicator.sample_count})
            lines.append(_("SHA-256 of the list of records (model and ids): %(digest)s") % {
                "digest": indicator.records_sha256})
            if indicator.missing:
                shown = ", ".join(f"{model} {pk}" for model, pk in indicator.missing[:50])
                if len(indicator.missing) > 50:
                    shown += " …"
                lines.append(_("Records deleted since the snapshot (rows with only their model and id): "
                               "%(count)d: %(list)s") % {"count": len(indicator.missing), "list": shown})
        lines.append("")
    return "\n".join(lines)


def _readme(year: int, data: dict[str, Any], rate: float, seed: int | str, reporting_year: ReportingYear | None,
            files: dict[str, IndicatorFiles], withheld: list[str]) -> str:
    origins = {f.origin for f in files.values()}
    if reporting_year is not None and reporting_year.frozen:
        state = _("The year was frozen (verified) on %(when)s: its values no longer change.") % {
            "when": cell(reporting_year.frozen_at)}
    else:
        state = _("The year is not frozen: its values may still change.")
    if origins == {"snapshot"}:
        origin = _("The records behind each value are those of the year's stored snapshot.")
    elif "snapshot" in origins:
        origin = _("The records behind each value are those of the year's stored snapshot; the indicators "
                   "missing from it were computed at the pack's generation.")
    else:
        origin = _("The year has no stored snapshot: the values and their records were computed at the pack's "
                   "generation.")
    lines = [
        _("Vigie auditor pack — fiscal year %(year)d") % {"year": year},
        "=" * 72,
        _("Generated at %(when)s.") % {"when": data["generated_at"]},
        state,
        origin,
        "",
        _("Contents"),
        "-" * 8,
        f"indicators-{year}.xlsx  " + _("the DPEF table and the ESRS G1 disclosures, with N-1 (as published)."),
        f"indicators-{year}.json  " + _("the same export as JSON."),
        "methods.md  " + _("for each indicator: label, unit, value, N-1, numerator and denominator, method, "
                           "and the number of records behind it."),
        "records/<CODE>.csv  " + _("for each computed indicator, one row per record behind its value."),
        "sample/<CODE>.csv  " + _("for each computed indicator, the records drawn for tests of detail."),
        "manifest.sha256, manifest.json  " + _("the SHA-256 checksum of every file."),
        "",
        _("CSV files"),
        "-" * 8,
        _("UTF-8 with a byte order mark, fields separated by semicolons (;). Dates are ISO 8601 (YYYY-MM-DD); "
          "date-times are ISO 8601 in Paris time with their UTC offset (YYYY-MM-DDTHH:MM:SS+01:00, +02:00 in "
          "summer). Yes/no "
          "values are 1/0; several values in one field are separated by |. Coded values (right, outcome, "
          "kind...) are Vigie's codes, as in its imports and its API. A text that a spreadsheet would read as "
          "a formula starts with an apostrophe."),
        _("The first two columns are the model of the record and its id in Vigie (the admin and the API "
          "find it by that id). A row with only these two columns is a record deleted after the snapshot."),
        _("Personal data is kept to what tracing needs: no names, emails or postal addresses of requesters "
          "or employees; an employee is traced by their employee ID (employee_id, the HR roster's)."),
        _("For the training rates, the records are the employees of the denominator; the columns after "
          "the employee's say whether they count in the numerator (trained on 31/12 of the year) and by which "
          "completion or attendance."),
        "",
        _("Sample"),
        "-" * 8,
        _("Rate: %(rate)s (%(percent)s%% of the records of each indicator); seed: %(seed)s.") % {
            "rate": rate, "percent": f"{rate * 100:g}", "seed": seed},
        _("For each indicator, size = ceil(rate × number of records), at least 1 when there is a record. "
          "The records are sorted by model then id, and drawn with Python's random.Random (Mersenne Twister) "
          "seeded with the text \"<seed>:<CODE>\": random.Random(\"%(seed)s:<CODE>\").sample(records, size). "
          "The same seed and the same records always give the same sample.") % {"seed": seed},
        "",
        *_withheld_lines(withheld),
        _("Checking the files"),
        "-" * 8,
        _("Unzip the pack, then in its folder run: sha256sum -c manifest.sha256 (macOS: shasum -a 256 -c "
          "manifest.sha256). Every line must say OK. manifest.json gives the same checksums with the size of "
          "each file, the year, the generation time, the rate and the seed."),
        "",
    ]
    return "\n".join(lines)


def _withheld_lines(withheld: list[str]) -> list[str]:
    if not withheld:
        return []
    return [
        _("Records left out"),
        "-" * 8,
        _("This pack was made for a role that may not view every kind of record: the records behind these "
          "indicators are not in it (their values, in the export and in methods.md, are): %(codes)s. An auditor "
          "or a compliance officer gets the whole pack.") % {"codes": ", ".join(withheld)},
        "",
    ]


def write_pack(year: int, output: BinaryIO, *, sample_rate: Any = None, seed: Any = None,
               now: dt.datetime | None = None, user: Any = None) -> dict[str, Any]:
    """Write `year`'s auditor pack as a ZIP to `output`; returns manifest.json's content.

    For `user` (the admin's download), the pack is what they may read: the indicators export as they are
    shown it (reporting/visibility.py: a value of a year not frozen computed from records their role may not
    view is withheld), and the records of an indicator only when they may read its value whatever the
    year's state and view every model its files are written from (`viewable`); the pack says which
    indicators are left out, never how many records nor their status (None: the whole pack, the command
    line). ReportingError for a bad year, ValueError for a bad rate."""
    from . import exports

    year = services.year_check(year)
    rate = resolve_sample_rate(sample_rate)
    seed = resolve_seed(year, seed)
    now = now or timezone.now()
    local_now = timezone.localtime(now, timezone.get_default_timezone())
    reporting_year = ReportingYear.objects.filter(year=year).first()
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        writer = _Writer(archive, local_now)
        table = exports.table(year, user=user)  # N and N-1 computed once for both files
        data = exports.as_dict(year, now=now, data=table)
        writer.add(f"indicators-{year}.xlsx", exports.as_xlsx(year, data=table))
        writer.add(f"indicators-{year}.json", json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        extras = employee_extras()
        reader = visibility.Reader.of(user)
        readable = [code for code in computed_codes() if reader.reads(code)]
        stored = stored_codes(year)
        # Left out: its origin, and its status as the export shows it (a withheld value's is "withheld").
        statuses = {row.definition.code: row.status for row in table.rows}
        sources, withheld = [], {}
        for source in map(_compact, record_sources(year, readable)):  # the others are not even read
            if viewable(source, extras.get(source.code), user):
                sources.append(source)
            else:
                withheld[source.code] = source.origin
        withheld.update({code: "snapshot" if code in stored else "evaluated"
                         for code in computed_codes() if code not in readable})
        withheld = {code: withheld[code] for code in computed_codes() if code in withheld}
        shared = _Shared(sources, extras)
        files: dict[str, IndicatorFiles] = {}
        for source in sources:
            files[source.code] = _write_indicator(writer, source, year, rate, seed, shared)
        writer.add("methods.md", _methods(data, files, list(withheld)))
        writer.add("README.txt", _readme(year, data, rate, seed, reporting_year, files, list(withheld)))
        manifest = {
            "year": year,
            "generated_at": local_now.isoformat(timespec="seconds"),
            "frozen": bool(reporting_year and reporting_year.frozen),
            "sample_rate": rate,
            "seed": seed,
            "indicators": {code: {"records": f.records_count, "sample": f.sample_count, "source": f.origin,
                                  "status": f.status, "records_sha256": f.records_sha256}
                           for code, f in files.items()},
            # No count or checksum of what is left out: a short list of ids is found back from its SHA-256.

            "files": sorted(writer.files, key=lambda f: f["path"]),
        }
        # Left out: no count or checksum (a short list of ids is found back from its SHA-256).
        manifest["indicators"].update({code: {"withheld": True, "source": origin, "status": statuses.get(code, "")}
                                       for code, origin in withheld.items()})
        writer.add("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
        writer.add("manifest.sha256", "".join(f"{f['sha256']}  {f['path']}\n"
                                              for f in sorted(writer.files, key=lambda f: f["path"])),
                   listed=False)
    return manifest


def build_pack(year: int, *, sample_rate: float | None = None, seed: int | str | None = None,
               now: dt.datetime | None = None, user: Any = None) -> bytes:
    """`year`'s auditor pack as ZIP bytes (for the admin download, made for its `user`; the command writes a
    file)."""
    out = io.BytesIO()
    write_pack(year, out, sample_rate=sample_rate, seed=seed, now=now, user=user)
    return out.getvalue()


__all__ = ["COLUMNS", "employee_extras", "UnknownRecordModel", "build_pack", "cell", "draw_sample", "pack_filename",
           "record_sources", "resolve_sample_rate", "resolve_seed", "sample_size", "write_pack"]
