"""The auditor pack of a fiscal year: what the independent third party needs to trace the DPEF figures
back to the records (RULES.md, "Indicators": it tests 20-40% of the data behind them).

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

import csv
import datetime as dt
import hashlib
import io
import json
import math
import random
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, BinaryIO

from django.apps import apps
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from . import catalogue, registry, services
from .models import IndicatorValue, ReportingYear

#: Records read per query (and ids per `pk__in`): an indicator can stand on 100,000 records.
CHUNK_SIZE = 2000
#: The sampling rate an auditor asks for (20-40% of the data), when the setting gives none.
DEFAULT_SAMPLE_RATE = 0.3
#: The bounds of the rate configured in the settings; a rate passed explicitly may be any of ]0, 1].
SETTINGS_RATE_BOUNDS = (0.2, 0.4)

@dataclass(frozen=True)
class Derived:
    """A column computed from field paths' values: `function(*values of paths)`."""

    function: Callable[..., Any]
    paths: tuple[str, ...]


def _to_paris_day(value: dt.datetime | None) -> dt.date | None:
    return timezone.localtime(value, timezone.get_default_timezone()).date() if value else None


def paris_day(path: str) -> Derived:
    """The Paris calendar day of a datetime field (the day the indicators count)."""
    return Derived(_to_paris_day, (path,))


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
# are in the numerator, and by which training, so that the auditor can trace both parts.

ExtraRows = Callable[[list[int]], dict[int, tuple[Any, ...]]]


@dataclass(frozen=True)
class Extra:
    headers: tuple[str, ...]
    #: (year) → a function of a chunk of employee ids → {id: values in the order of `headers`}
    prepare: Callable[[int], ExtraRows]
    #: The training module whose rate it explains, if one.
    module: str = ""


def _module_trained(module_code: str) -> Extra:
    """Trained in the module at 31/12 (training.kpis's definition), with the latest counted completion
    and qualifying attendance (the trainings that count at that day)."""
    def prepare(year: int) -> ExtraRows:
        from organization.models import Employee
        from training import kpis
        from training.models import Module

        module = Module.objects.get(code=module_code)
        day = dt.date(year, 12, 31)

        def rows(ids: list[int]) -> dict[int, tuple[Any, ...]]:
            trained = set(Employee.objects.filter(pk__in=ids).filter(kpis.trained_q(module, day))
                          .values_list("pk", flat=True))
            completions: dict[int, tuple[int, dt.date]] = {}
            for employee, pk, on in (kpis.counted_completions(module, day).filter(employee_id__in=ids)
                                     .order_by("employee_id", "completed_on", "pk")
                                     .values_list("employee_id", "pk", "completed_on")):
                completions[employee] = (pk, on)  # the latest wins
            attendances: dict[int, tuple[int, dt.date]] = {}
            if module.has_sessions:
                for employee, pk, on in (kpis.qualifying_attendances(module, day).filter(employee_id__in=ids)
                                         .order_by("employee_id", "session__held_on", "pk")
                                         .values_list("employee_id", "pk", "session__held_on")):
                    attendances[employee] = (pk, on)
            return {i: (i in trained, *completions.get(i, (None, None)), *attendances.get(i, (None, None)))
                    for i in ids}
        return rows
    return Extra(("trained_on_31_12", "counted_completion_id", "counted_completion_on",
                  "qualifying_attendance_id", "qualifying_attendance_on"), prepare, module_code)


def _trained_in_year() -> Extra:
    def prepare(year: int) -> ExtraRows:
        from organization.models import Employee
        from training import kpis

        def rows(ids: list[int]) -> dict[int, tuple[Any, ...]]:
            trained = set(Employee.objects.filter(pk__in=ids).filter(kpis.trained_in_year_q(year))
                          .values_list("pk", flat=True))
            return {i: (i in trained,) for i in ids}
        return rows
    return Extra(("trained_in_year",), prepare)


def _anti_corruption_trained() -> Extra:
    """ESRS G1-3: covered at 31/12 by at least one anti-corruption module (training.kpis.at_risk_coverage)."""
    def prepare(year: int) -> ExtraRows:
        from organization.models import Employee
        from training import kpis
        from training.models import Module

        day = dt.date(year, 12, 31)
        modules = list(Module.objects.filter(anti_corruption=True, deployed_on__lte=day).order_by("code"))

        def rows(ids: list[int]) -> dict[int, tuple[Any, ...]]:
            trained: dict[int, list[str]] = {i: [] for i in ids}
            for module in modules:
                for pk in Employee.objects.filter(pk__in=ids).filter(kpis.trained_q(module, day)).values_list(
                        "pk", flat=True):
                    trained[pk].append(module.code)
            return {i: (bool(codes), codes) for i, codes in trained.items()}
        return rows
    return Extra(("anti_corruption_trained_on_31_12", "anti_corruption_modules"), prepare)


def employee_extras() -> dict[str, Extra]:
    """Indicator code → training columns added to its employee rows: for a completion rate, its module's
    (the `module` its computation declares, reporting/registry.py); trained in the year; anti-corruption."""
    extras = {code: _module_trained(c.module) for code, c in registry.computations().items() if c.module}
    extras["E8_TRAINED_AT_LEAST_ONCE_RATE"] = _trained_in_year()
    extras["G1_3_AT_RISK_TRAINED_RATE"] = _anti_corruption_trained()
    return extras


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


@dataclass(frozen=True)
class _Plan:
    """How to read one model's columns: the single-valued paths in one query, each to-many path in its own."""

    columns: tuple[tuple[str, Accessor], ...]
    single: tuple[str, ...]
    many: tuple[str, ...]

    @classmethod
    def of(cls, model: type[models.Model], columns: tuple[tuple[str, Accessor], ...]) -> _Plan:
        paths: list[str] = []
        for _header, accessor in columns:
            for path in (accessor,) if isinstance(accessor, str) else accessor.paths:
                if path not in paths:
                    paths.append(path)
        many = tuple(p for p in paths if _to_many(model, p))
        return cls(columns, tuple(p for p in paths if p not in many), many)

    def read(self, model: type[models.Model], chunk: list[int]) -> dict[int, dict[str, Any]]:
        manager = model._default_manager
        values = {row[0]: dict(zip(self.single, row[1:]))
                  for row in manager.filter(pk__in=chunk).order_by().values_list("pk", *self.single)}
        for path in self.many:
            for pk in values:
                values[pk][path] = []
            for pk, value in manager.filter(pk__in=chunk).order_by().values_list("pk", path):
                if value is not None and pk in values:
                    values[pk][path].append(value)
        return values

    def cells(self, values: dict[str, Any]) -> dict[str, str]:
        return {header: cell(values[accessor] if isinstance(accessor, str)
                             else accessor.function(*(values[p] for p in accessor.paths)))
                for header, accessor in self.columns}


def _formula_safe(text: str) -> str:
    """Text a spreadsheet would run as a formula gets an apostrophe (OWASP, CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


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
    return _formula_safe(str(value))


@dataclass
class RecordRows:
    """The rows of one indicator's records, read a chunk at a time."""

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


def iter_rows(records: list[dict], year: int, extra: Extra | None, result: RecordRows) -> Iterator[dict[str, str]]:
    """One dict per record, by model (in the order of `records`) then id; records since deleted give a row
    with only their model and id, and are listed in `result.missing`."""
    extra_rows = None
    for record_set in records:
        label = record_set["model"]
        model = _model(label)
        columns = COLUMNS[label]
        plan = _Plan.of(model, columns)
        if extra is not None and label == "organization.employee" and extra_rows is None:
            extra_rows = extra.prepare(year)
        ids = sorted({int(i) for i in record_set["ids"]})
        for start in range(0, len(ids), CHUNK_SIZE):
            chunk = ids[start:start + CHUNK_SIZE]
            found = plan.read(model, chunk)
            more = extra_rows(chunk) if extra_rows is not None and label == "organization.employee" else {}
            for pk in chunk:
                row = {"model": label, "id": str(pk)}
                values = found.get(pk)
                if values is None:
                    result.missing.append((label, pk))
                    yield row
                    continue
                row.update(plan.cells(values))
                if extra is not None and pk in more:
                    row.update(zip(extra.headers, (cell(v) for v in more[pk])))
                yield row


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


def draw_sample(records: list[dict], code: str, rate: float, seed: int | str) -> set[tuple[str, int]]:
    """The sampled (model, id) pairs: random.Random(f"{seed}:{code}").sample over the records sorted by
    model then id (the same seed and records always give the same sample)."""
    population = sorted({(r["model"], int(i)) for r in records for i in r["ids"]})
    rng = random.Random(f"{seed}:{code}")
    return set(rng.sample(population, sample_size(rate, len(population))))


# -- the indicators' records --------------------------------------------------------------------------------
@dataclass
class Source:
    code: str
    records: list[dict]
    origin: str  # "snapshot" or "evaluated"
    status: str
    records_sha256: str
    computed_at: dt.datetime | None = None


def computed_codes() -> list[str]:
    """The computed indicators, in catalogue order."""
    declared = registry.computations()
    return [d.code for d in catalogue.DEFINITIONS if d.code in declared]


def record_sources(year: int) -> Iterator[Source]:
    """Each computed indicator's records, one at a time (records of big indicators are long lists): from
    the stored snapshot when the year has one, else computed now."""
    reporting_year = ReportingYear.objects.filter(year=year).first()
    stored = set()
    if reporting_year is not None:
        stored = set(IndicatorValue.objects.filter(reporting_year=reporting_year).values_list("code", flat=True))
    for code in computed_codes():
        if code in stored:
            value = (IndicatorValue.objects.filter(reporting_year=reporting_year, code=code)
                     .only("records", "status", "records_sha256", "computed_at").get())
            yield Source(code, value.records or [], "snapshot", value.status, value.records_sha256, value.computed_at)
        else:
            evaluated = services.evaluate(year, codes=[code])[code]
            yield Source(code, evaluated.records, "evaluated", evaluated.status, evaluated.records_sha256)


# -- writing the pack -------------------------------------------------------------------------------------
def pack_filename(year: int) -> str:
    return f"vigie-auditor-pack-{year}.zip"


def _csv_text(headers: list[str]) -> tuple[io.StringIO, Any]:
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.DictWriter(out, fieldnames=headers, delimiter=";", lineterminator="\r\n", restval="",
                            extrasaction="raise")
    writer.writeheader()
    return out, writer


class _Writer:
    """Adds files to the ZIP and keeps their SHA-256 for the manifests."""

    def __init__(self, archive: zipfile.ZipFile, stamp: dt.datetime) -> None:
        self.archive = archive
        self.date_time = (max(stamp.year, 1980), stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second)
        self.files: list[dict[str, Any]] = []

    def add(self, path: str, data: bytes | str, *, listed: bool = True) -> None:
        content = data.encode("utf-8") if isinstance(data, str) else data
        info = zipfile.ZipInfo(path, date_time=self.date_time)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        self.archive.writestr(info, content)
        if listed:
            self.files.append({"path": path, "sha256": hashlib.sha256(content).hexdigest(), "bytes": len(content)})


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


def _write_indicator(writer: _Writer, source: Source, year: int, rate: float, seed: int | str) -> IndicatorFiles:
    extra = employee_extras().get(source.code)
    headers = _headers(source.records, extra)
    chosen = draw_sample(source.records, source.code, rate, seed)
    records_out, records_csv = _csv_text(headers)
    sample_out, sample_csv = _csv_text(headers)
    result = RecordRows(headers)
    count = 0
    for row in iter_rows(source.records, year, extra, result):
        count += 1
        records_csv.writerow(row)
        if (row["model"], int(row["id"])) in chosen:
            sample_csv.writerow(row)
    writer.add(f"records/{source.code}.csv", records_out.getvalue())
    writer.add(f"sample/{source.code}.csv", sample_out.getvalue())
    return IndicatorFiles(source.code, source.origin, source.status, count, len(chosen),
                          source.records_sha256, source.computed_at, result.missing)


def _number(value: Any) -> str:
    return "—" if value is None else str(value)


def _methods(data: dict[str, Any], files: dict[str, IndicatorFiles]) -> str:
    year = data["year"]
    lines = [_("Indicators of %(year)d: definitions, methods and values") % {"year": year}, "=" * 72, ""]
    lines.append(_("Generated at %(when)s. Year frozen: %(frozen)s.") % {
        "when": data["generated_at"], "frozen": _("yes") if data["frozen"] else _("no")})
    lines.append("")
    statuses = {"computed": _("computed"), "entered": _("entered by its owner"), "no_data": _("no data"),
                "error": _("error"), "missing": _("missing (not entered)")}
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
            files: dict[str, IndicatorFiles]) -> str:
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
        _("Checking the files"),
        "-" * 8,
        _("Unzip the pack, then in its folder run: sha256sum -c manifest.sha256 (macOS: shasum -a 256 -c "
          "manifest.sha256). Every line must say OK. manifest.json gives the same checksums with the size of "
          "each file, the year, the generation time, the rate and the seed."),
        "",
    ]
    return "\n".join(lines)


def write_pack(year: int, output: BinaryIO, *, sample_rate: Any = None, seed: Any = None,
               now: dt.datetime | None = None) -> dict[str, Any]:
    """Write `year`'s auditor pack as a ZIP to `output`; returns manifest.json's content.

    ReportingError for a bad year, ValueError for a bad rate."""
    from . import export

    year = services.check_year(year)
    rate = resolve_sample_rate(sample_rate)
    seed = resolve_seed(year, seed)
    now = now or timezone.now()
    local_now = timezone.localtime(now, timezone.get_default_timezone())
    reporting_year = ReportingYear.objects.filter(year=year).first()
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        writer = _Writer(archive, local_now)
        table = export.table(year)  # N and N-1 computed once for both files
        data = export.as_dict(year, now=now, data=table)
        writer.add(f"indicators-{year}.xlsx", export.as_xlsx(year, data=table))
        writer.add(f"indicators-{year}.json", json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        files: dict[str, IndicatorFiles] = {}
        for source in record_sources(year):
            files[source.code] = _write_indicator(writer, source, year, rate, seed)
        writer.add("methods.md", _methods(data, files))
        writer.add("README.txt", _readme(year, data, rate, seed, reporting_year, files))
        manifest = {
            "year": year,
            "generated_at": local_now.isoformat(timespec="seconds"),
            "frozen": bool(reporting_year and reporting_year.frozen),
            "sample_rate": rate,
            "seed": seed,
            "indicators": {code: {"records": f.records_count, "sample": f.sample_count, "source": f.origin,
                                  "status": f.status, "records_sha256": f.records_sha256}
                           for code, f in files.items()},
            "files": sorted(writer.files, key=lambda f: f["path"]),
        }
        writer.add("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
        writer.add("manifest.sha256", "".join(f"{f['sha256']}  {f['path']}\n"
                                              for f in sorted(writer.files, key=lambda f: f["path"])),
                   listed=False)
    return manifest


def build_pack(year: int, *, sample_rate: float | None = None, seed: int | str | None = None,
               now: dt.datetime | None = None) -> bytes:
    """`year`'s auditor pack as ZIP bytes (for the admin download; the command writes a file)."""
    out = io.BytesIO()
    write_pack(year, out, sample_rate=sample_rate, seed=seed, now=now)
    return out.getvalue()


__all__ = ["COLUMNS", "employee_extras", "UnknownRecordModel", "build_pack", "cell", "draw_sample", "pack_filename",
           "record_sources", "resolve_sample_rate", "resolve_seed", "sample_size", "write_pack"]
