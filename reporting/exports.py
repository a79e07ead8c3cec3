"""The indicators export (docs/interfaces.md, "Indicators export"): JSON, CSV and the XLSX that reads like the
DPEF table, for `export_indicators`, `GET /api/reporting/indicators/?year=` and the admin download.

Every figure is exact (issue 17): the computed values of year N come from its frozen snapshot when N is
frozen (the figures verified and published), else from a computation now from the records (nothing is
stored: a snapshot of a year not frozen may be older than the records); manual ones from their entry.
N-1 ("previous_value") likewise: its frozen snapshot, else a computation now. A code a frozen snapshot
lacks (declared after the freeze) is computed now, never published.

The indicators dashboard (reporting/dashboard.py) reads the same table with `stored=True`: the stored
snapshot of each year (frozen or not), shown with its computation time, and nothing computed in the
request; a code the snapshot lacks is "not_computed".

Each indicator has the keys of docs/interfaces.md (code, enjeu, label, unit, value, numerator, denominator,
previous_value, source, method) plus `status` and `note`, because a missing figure must say why:
"no_data" (nothing recorded for that year), "error" (the computation failed: its message),
"missing" (a manual value nobody entered). Its value is then null, never a zero. The ESRS G1
disclosures are listed beside the DPEF table, under "esrs".

Per legal entity (`entity`, issue 19: `?entity=CODE`, `--entity CODE`): every computed value is computed
now from that entity's records only (reporting/registry.py, EntityScope), N-1 too, and is never published,
even for a frozen year: the published figures of a frozen year are the company's, and a figure per entity
was never verified nor frozen. Such a value says so in its note ("computed now ... not the published figure")
and is shown as any unpublished value is (reporting/visibility.py). An indicator whose records carry no
entity (the risk maps, phishing campaigns) and every manual one (entered for the company) is
"not_by_entity": no value, never the company's figure under the entity's name. The exports say which
entity (`"entity": "ONV"`; null: the company total, every entity).

Made for a user (the admin's downloads, the API), a value they may not read (reporting/visibility.py: a
year not frozen, records their role may not view) is "withheld": null value, numerator, denominator and
previous value (unless N-1 is frozen), the catalogue's method and one note, the same whatever the value.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _, ngettext

from core.spreadsheets import (
    FRENCH,
    XLSX_CONTENT_TYPE,
    CsvDialect,
    csv_text,
    new_workbook,
    print_layout,
    workbook_bytes,
)

from . import catalogue, registry, services, visibility
from .models import IndicatorValue, ManualValue, ReportingYear, ValueStatus

COMPUTED = "computed"
MANUAL = "manual"
MISSING = "missing"
#: A computed indicator the stored snapshot of the year lacks (the dashboard, which computes nothing).
NOT_COMPUTED = "not_computed"


@dataclass
class Row:
    definition: catalogue.Definition
    status: str
    value: Decimal | int | None
    numerator: int | None
    denominator: int | None
    method: str
    note: str
    source_text: str
    previous: Decimal | int | None
    records_count: int = 0

    @property
    def source(self) -> str:
        return COMPUTED if self.definition.computed else MANUAL

    @property
    def change(self) -> Decimal | None:
        if self.value is None or self.previous is None:
            return None
        return Decimal(self.value) - Decimal(self.previous)


def number(value: Any, unit: str) -> int | float | None:
    """A value as JSON writes it: whole numbers for counts, hours and points, else as stored (89.3)."""
    if value is None:
        return None
    value = Decimal(value)
    if unit in ("count", "hours", "points") and value == value.to_integral_value():
        return int(value)
    return float(value.normalize()) if value != value.to_integral_value() else float(value)


def _snapshot(reporting_year: ReportingYear | None) -> dict[str, IndicatorValue]:
    """The year's stored values by code (empty when it was never computed)."""
    if reporting_year is None:
        return {}
    return {v.code: v for v in IndicatorValue.objects.filter(reporting_year=reporting_year).defer("records")}


@dataclass
class _Values:
    """A year's computed values that a reader is shown, by code, and which of them are published."""

    reporting_year: ReportingYear | None
    shown: dict[str, Any]
    published: frozenset[str]

    @property
    def frozen(self) -> bool:
        return bool(self.reporting_year and self.reporting_year.frozen)


def _computed_values(
    year: int,
    reader: visibility.Reader,
    *,
    complete: bool,
    stored: bool = False,
    entity: registry.EntityScope | None = None,
) -> _Values:
    """Year `year`'s computed values for `reader` (reporting/visibility.py), by code, and which are published.

    A frozen year: its snapshot's values, published (with `complete`, a code it lacks computed now, never
    published). Otherwise, with `stored` (the dashboard): the stored snapshot's values, nothing computed (a
    year never computed has none); without (the exports): every value computed now from the records, never
    published. A value the reader is not shown is left out, and not computed. With `entity`: every value
    computed now from that entity's records, never published (nor stored), whatever the year's state."""
    reporting_year = ReportingYear.objects.filter(year=year).first()
    if entity is not None:
        codes = [code for code in registry.computations() if reader.reads(code)]
        return _Values(reporting_year, dict(services.year_evaluate(year, codes=codes, entity=entity)), frozenset())
    frozen = reporting_year is not None and reporting_year.frozen
    snapshot = _snapshot(reporting_year) if frozen or stored else {}
    published = frozenset(snapshot) if frozen else frozenset()
    shown: dict[str, Any] = {
        code: value for code, value in snapshot.items() if reader.shows(code, published=code in published)
    }
    if not stored and (complete or not frozen):
        missing = [code for code in registry.computations() if code not in snapshot and reader.reads(code)]
        if missing:
            shown.update(services.year_evaluate(year, codes=missing))
    return _Values(reporting_year, shown, published)


def _manual_source(manual: ManualValue) -> str:
    parts = [_("entered by %(owner)s") % {"owner": manual.owner}]
    if manual.source_reference:
        parts.append(manual.source_reference)
    if name := manual.source_document.name:
        parts.append(name.rsplit("/", 1)[-1])
    return "; ".join(parts)


@dataclass
class Table:
    """Every indicator of a year (DPEF then ESRS), each computed once: build it once per export."""

    year: int
    reporting_year: ReportingYear | None
    rows: list[Row]
    #: The legal entity whose records only were counted; None: the company total.
    entity: registry.EntityScope | None = None

    @property
    def frozen(self) -> bool:
        return bool(self.reporting_year and self.reporting_year.frozen)

    @property
    def entity_code(self) -> str | None:
        """The code of the entity whose records only were counted; None: the company total."""
        return self.entity.code if self.entity is not None else None

    def of(self, framework: str | None) -> list[Row]:
        return [row for row in self.rows if framework is None or row.definition.framework == framework]


def rows(
    year: int, framework: str | None = catalogue.DPEF, *, user: Any = None, stored: bool = False
) -> tuple[ReportingYear | None, list[Row]]:
    """(the year's snapshot, its rows of `framework`; None: all), as `user` may read them (`stored`: `table`)."""
    data = table(year, user=user, stored=stored)
    return data.reporting_year, data.of(framework)


def _withheld(definition: catalogue.Definition, previous: Decimal | int | None) -> Row:
    """A value its reader is not shown: the same row whatever the value, its status and its records."""
    return Row(
        definition,
        visibility.WITHHELD,
        None,
        None,
        None,
        str(definition.method),
        str(visibility.WITHHELD_NOTE),
        "",
        previous,
    )


def _not_by_entity(definition: catalogue.Definition, entity: registry.EntityScope) -> Row:
    """A manual indicator asked for one entity: it is entered for the whole company."""
    return Row(
        definition,
        services.NOT_BY_ENTITY,
        None,
        None,
        None,
        str(definition.method),
        _(
            "Not computed per legal entity (%(entity)s): a manual value is entered for the whole company. "
            "The company's figure is not given under an entity's name."
        )
        % {"entity": entity.code},
        "",
        None,
    )


def _entity_note(year: int, entity: registry.EntityScope, frozen: bool) -> str:
    text = _("Computed now from the records of %(entity)s only.") % {"entity": entity.code}
    if frozen:
        text += " " + _("%(year)d is frozen: its published figures are the company's; this one is not published.") % {
            "year": year
        }
    return text


def table(year: int, *, user: Any = None, stored: bool = False, entity: registry.EntityScope | None = None) -> Table:
    """Year `year` and, for the previous values, `year - 1`: each computed at most once (from the records,
    or the frozen snapshot of a frozen year; `stored`: from the stored snapshots, nothing computed, for the
    dashboard). For `user` (a person reading: the admin, the API), the values they may not read are
    withheld (reporting/visibility.py); without one (the command line), every value is there. With `entity`:
    that entity's figures, computed now and never published (module docstring)."""
    year = services.year_check(year)
    if entity is not None and stored:
        raise ValueError("per-entity figures are computed now, never stored")
    reader = visibility.Reader.of(user)
    current = _computed_values(year, reader, complete=True, stored=stored, entity=entity)
    declared = registry.computations()
    # The first year Vigie accepts has no previous year to compute (year_check refuses it).
    previous = (
        _computed_values(year - 1, reader, complete=False, stored=stored, entity=entity)
        if year > services.FIRST_YEAR
        else _Values(None, {}, frozenset())
    )
    manual = {m.code: m for m in ManualValue.objects.filter(year=year)}
    manual_previous = {m.code: m for m in ManualValue.objects.filter(year=year - 1)}
    result = []
    for definition in catalogue.DEFINITIONS:
        code = definition.code
        if definition.computed:
            before = previous.shown.get(code)
            prev = before.value if before is not None and before.status == ValueStatus.OK else None
            if not reader.shows(code, published=code in current.published):
                result.append(_withheld(definition, prev))
                continue
            value = current.shown.get(code)
            if value is None:
                not_computed = stored and code in declared
                result.append(
                    Row(
                        definition,
                        NOT_COMPUTED if not_computed else ValueStatus.ERROR,
                        None,
                        None,
                        None,
                        str(definition.method),
                        _("Not computed yet for %(year)d.") % {"year": year}
                        if not_computed
                        else _("No computation is declared for this indicator."),
                        "",
                        prev,
                    )
                )
                continue
            status = value.status
            note = value.message
            if entity is not None and status != services.NOT_BY_ENTITY:
                note = " ".join(part for part in (_entity_note(year, entity, current.frozen), note) if part)
            shown = value.value if status == ValueStatus.OK else None
            if definition.unit in ("count", "hours") and shown is not None:
                shown = int(shown)
            # How many records: for who may view them (the value's page says it to them only).
            source_text = (
                ""  # not computed: no record behind it
                if status == services.NOT_BY_ENTITY
                else ngettext("computed from %(count)d record", "computed from %(count)d records", value.records_count)
                % {"count": value.records_count}
                if reader.reads(code)
                else _("computed from the records")
            )
            result.append(
                Row(
                    definition,
                    status,
                    shown,
                    value.numerator,
                    value.denominator,
                    value.method,
                    note,
                    source_text,
                    prev,
                    value.records_count if reader.reads(code) else 0,
                )
            )
        elif entity is not None:
            result.append(_not_by_entity(definition, entity))
        else:
            entry = manual.get(code)
            before = manual_previous.get(code)
            prev = before.value if before else None
            if entry is None:
                result.append(
                    Row(
                        definition,
                        MISSING,
                        None,
                        None,
                        None,
                        str(definition.method),
                        _("Manual indicator not entered for %(year)d.") % {"year": year},
                        "",
                        prev,
                    )
                )
            else:
                result.append(
                    Row(
                        definition,
                        ValueStatus.OK,
                        entry.value,
                        None,
                        None,
                        str(definition.method),
                        entry.comment,
                        _manual_source(entry),
                        prev,
                    )
                )
    return Table(year, current.reporting_year, result, entity)


def _item(row: Row, entity: str | None = None) -> dict[str, Any]:
    unit = row.definition.unit
    return {
        "code": row.definition.code,
        "enjeu": row.definition.enjeu,
        "label": str(row.definition.label),
        "unit": unit,
        "value": number(row.value, unit),
        "numerator": row.numerator,
        "denominator": row.denominator,
        "previous_value": number(row.previous, unit),
        "source": row.source,
        "method": row.method,
        "status": "computed"
        if row.status == ValueStatus.OK and row.source == COMPUTED
        else "entered"
        if row.status == ValueStatus.OK
        else row.status,  # no_data, error, missing, withheld, not_by_entity
        "note": row.note,
        "entity": entity,
    }


def as_dict(
    year: int,
    *,
    now: dt.datetime | None = None,
    data: Table | None = None,
    user: Any = None,
    entity: registry.EntityScope | None = None,
) -> dict[str, Any]:
    """The JSON export of `year` (docs/interfaces.md) as `user` may read it (None: whole), of the company or
    of `entity`'s records only; `data`: the year's table when already built."""
    data = data or table(year, user=user, entity=entity)
    code = data.entity_code
    generated = timezone.localtime(now or timezone.now(), timezone.get_default_timezone())
    return {
        "year": data.year,
        "generated_at": generated.isoformat(timespec="seconds"),
        "frozen": data.frozen,
        "entity": code,
        "entity_name": data.entity.name if data.entity is not None else None,
        "indicators": [_item(row, code) for row in data.of(catalogue.DPEF)],
        "esrs": [_item(row, code) for row in data.of(catalogue.ESRS)],
    }


CSV_COLUMNS = (
    "code",
    "enjeu",
    "label",
    "unit",
    "value",
    "numerator",
    "denominator",
    "previous_value",
    "source",
    "method",
    "status",
    "note",
    "entity",
)


def as_csv(
    year: int,
    *,
    data: Table | None = None,
    user: Any = None,
    dialect: CsvDialect = FRENCH,
    entity: registry.EntityScope | None = None,
) -> str:
    """The DPEF then the ESRS indicators, one per line, in `dialect` (core/spreadsheets.py): by default the
    French spreadsheets' (`;`, decimal comma, UTF-8 with BOM), else the machine one (`,`, decimal point).
    The last column, `entity`, is the code of the entity counted (empty: the company total)."""
    exported = as_dict(year, data=data, user=user, entity=entity)
    return csv_text(
        CSV_COLUMNS,
        ([item[k] for k in CSV_COLUMNS] for item in exported["indicators"] + exported["esrs"]),
        dialect,
    )


def as_xlsx(
    year: int, *, data: Table | None = None, user: Any = None, entity: registry.EntityScope | None = None
) -> bytes:
    """The DPEF table as the statement shows it (enjeu, indicator, N, N-1, change, unit, method, source),
    French labels; the ESRS G1 sheet beside it. Per entity, the heading names it and says the figures are
    computed from its records, not published."""
    from openpyxl.styles import Alignment, Font, PatternFill

    data = data or table(year, user=user, entity=entity)
    year = data.year
    workbook = new_workbook()
    header_font = Font(name="Calibri", bold=True, color="FFFFFF")
    header_fill = PatternFill("solid", fgColor="1F3864")
    enjeu_fill = PatternFill("solid", fgColor="D9E1F2")
    wrap = Alignment(wrap_text=True, vertical="top")
    reporting_year = data.reporting_year
    for index, (title, framework) in enumerate(((_("DPEF"), catalogue.DPEF), (_("ESRS G1"), catalogue.ESRS))):
        sheet = workbook.active if index == 0 else workbook.create_sheet()
        assert sheet is not None  # a new workbook's first sheet is active
        sheet.title = title
        lines = data.of(framework)
        headers = [
            _("Issue"),
            _("Indicator"),
            _("Code"),
            str(year),
            str(year - 1),
            _("Change from N-1"),
            _("Unit"),
            _("Numerator"),
            _("Denominator"),
            _("Method"),
            _("Source"),
            _("Status"),
        ]
        heading = f"{title} {year}" + (" — " + _("frozen") if reporting_year and reporting_year.frozen else "")
        if data.entity is not None:
            heading += " — " + _("%(code)s (%(name)s) only, computed from its records, not published") % {
                "code": data.entity.code,
                "name": data.entity.name,
            }
        sheet.append([heading])
        sheet["A1"].font = Font(name="Calibri", bold=True, size=14)
        sheet.append(headers)
        for cell in sheet[2]:
            cell.font, cell.fill, cell.alignment = header_font, header_fill, wrap
        current_enjeu = None
        for row in lines:
            if row.definition.enjeu != current_enjeu and framework == catalogue.DPEF:
                current_enjeu = row.definition.enjeu
                sheet.append([f"{current_enjeu}. {row.definition.enjeu_label}"])
                for cell in sheet[sheet.max_row]:
                    cell.fill, cell.font = enjeu_fill, Font(name="Calibri", bold=True)
            unit = row.definition.unit
            sheet.append(
                [
                    f"{row.definition.enjeu}. {row.definition.enjeu_label}",
                    str(row.definition.label),
                    row.definition.code,
                    number(row.value, unit),
                    number(row.previous, unit),
                    number(row.change, unit),
                    str(catalogue.UNITS.get(unit, unit)),
                    row.numerator,
                    row.denominator,
                    row.method,
                    row.source_text or (_("computed") if row.source == COMPUTED else _("manual")),
                    row.note or "",
                ]
            )
            for cell in sheet[sheet.max_row]:
                cell.alignment = wrap
        # The issue, the indicator and the method wrap; the rest is fitted to its content. Landscape A4 at
        # about 70 %: the table reads on paper.
        print_layout(
            sheet, heading, header_rows=2, frozen_columns=3, widths={1: 16, 2: 26, 3: 20, 10: 30}, max_width=20
        )
    return workbook_bytes(workbook)


FORMATS = ("json", "csv", "xlsx")
CONTENT_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": XLSX_CONTENT_TYPE,
}


def filename(year: int, fmt: str, entity: registry.EntityScope | None = None) -> str:
    suffix = f"-{slugify(entity.code)}" if entity is not None else ""
    return f"vigie-indicators-{year}{suffix}.{fmt}"
