"""Computing, freezing and unfreezing a year's indicators; manual values (every write has its history).

- `year_evaluate(year)`: every computed indicator of the catalogue, from records only, without writing:
  value, numerator, denominator, the records behind it, the method text, or "no data" (nothing in the
  domain for that year: no zero pretending to be a figure) or "error" (with the message; the others
  are still computed).
- `year_evaluate(year, entity=...)`: the same on one legal entity's records only (issue 19): computed now,
  never stored, never published; an indicator whose records carry no entity is "not_by_entity"
  (reporting/registry.py, `by_entity`).
- `year_compute(year)`: evaluates and stores the snapshot; refused on a frozen year (YearFrozen).
  A value whose figures and records did not change keeps its history row (only `computed_at` moves).
- `year_differences(year)`: what a recomputation would change, value by value (for a frozen year: shown,
  never written).
- A value whose records are of a model its computation does not declare is an error: who may read it is
  judged on those models (reporting/visibility.py).
- `year_freeze(year, actor)`: refused when a computed indicator is missing or failed (the list says which);
  `year_unfreeze(year, actor, reason)`: the reason is required and kept in the history.
- `manual_value_save(...)`: refused without a source, or on a frozen year.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.figures import Figure
from core.services import save_with_history
from organization.models import LegalEntity

from . import catalogue, registry
from .models import IndicatorValue, ManualValue, ReportingYear, ValueStatus

logger = logging.getLogger(__name__)

#: Years Vigie accepts (a fiscal year of a company founded in the 20th century, up to next year).
FIRST_YEAR = 2000


class ReportingError(Exception):
    """A refused reporting operation; `problems` lists what is wrong, one line each."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []

    def __str__(self) -> str:
        text = super().__str__()
        return text + ("".join(f"\n- {p}" for p in self.problems) if self.problems else "")


class YearFrozen(ReportingError):
    pass


#: The status of a computed indicator asked for one legal entity while its records carry none (never
#: stored: per-entity values are computed, not kept; beside ValueStatus's and visibility.WITHHELD).
NOT_BY_ENTITY = "not_by_entity"


def entity_check(code: Any) -> registry.EntityScope:
    """The legal entity of `code` (exact, case-sensitive as stored) as a scope, or a ReportingError."""
    value = str(code or "").strip()
    entity = LegalEntity.objects.filter(code=value).first() if value else None
    if entity is None:
        known = ", ".join(LegalEntity.objects.order_by("code").values_list("code", flat=True)[:50])
        raise ReportingError(
            _("No legal entity has the code %(value)r (known: %(known)s).") % {"value": value, "known": known or "-"}
        )
    parent = LegalEntity.objects.parent_company()
    return registry.EntityScope(
        entity.pk, entity.code, entity.name, parent_company=parent is not None and parent.pk == entity.pk
    )


def year_check(year: Any) -> int:
    """The year as an int, or a ReportingError saying what is wrong."""
    try:
        value = int(year)
    except (TypeError, ValueError) as exc:
        raise ReportingError(_("The year must be a number such as 2023, not %(value)r.") % {"value": year}) from exc
    last = timezone.localdate().year + 1
    if not FIRST_YEAR <= value <= last:
        raise ReportingError(
            _("The year must be between %(first)d and %(last)d, not %(value)d.")
            % {"first": FIRST_YEAR, "last": last, "value": value}
        )
    return value


@dataclass
class Evaluated:
    code: str
    status: str
    value: Decimal | int | None
    numerator: int | None
    denominator: int | None
    method: str
    message: str = ""
    records: list[dict] = field(default_factory=list)

    @property
    def records_count(self) -> int:
        return sum(len(r["ids"]) for r in self.records)

    @property
    def records_sha256(self) -> str:
        return _records_digest(self.records)

    def fields(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "value": self.value,
            "numerator": self.numerator,
            "denominator": self.denominator,
            "method": self.method,
            "message": self.message,
            "records": self.records,
            "records_count": self.records_count,
            "records_sha256": self.records_sha256,
        }


def _records_digest(records: list[dict]) -> str:
    canonical = json.dumps([{"model": r["model"], "ids": sorted(r["ids"])} for r in records], separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _records(figure: Figure) -> list[dict]:
    return [{"model": model, "ids": sorted(ids)} for model, ids in figure.record_sets() if model]


def _not_by_entity(computation: registry.Computation, entity: registry.EntityScope) -> Evaluated:
    reason = str(computation.whole_company_only) or _("Its records do not say which legal entity they belong to.")
    return Evaluated(
        computation.code,
        NOT_BY_ENTITY,
        None,
        None,
        None,
        str(computation.definition.method),
        _(
            "Not computed per legal entity (%(entity)s): %(reason)s The company's figure is not given under an entity's name."
        )
        % {"entity": entity.code, "reason": reason},
    )


def indicator_evaluate(
    computation: registry.Computation, year: int, entity: registry.EntityScope | None = None
) -> Evaluated:
    """`computation`'s value for `year`, of the whole company or (`entity`) of that entity's records only."""
    code = computation.code
    by_entity = computation.by_entity
    if entity is not None and by_entity is None:
        return _not_by_entity(computation, entity)
    try:
        method = computation.method(year)
        if computation.has_data is not None and not computation.has_data(year):
            return Evaluated(
                code,
                ValueStatus.NO_DATA,
                None,
                None,
                None,
                method,
                _("No record for %(year)d: nothing to compute.") % {"year": year},
            )
        # has_data stays the company's: in a year the domain holds records, an entity without any has 0.
        figure = computation.compute(year) if entity is None or by_entity is None else by_entity(year, entity)
    except Exception as exc:  # one failing indicator must not hide the others: reported with its error
        logger.exception("indicator %s for %s failed", code, year)
        return Evaluated(
            code,
            ValueStatus.ERROR,
            None,
            None,
            None,
            str(computation.definition.method),
            f"{type(exc).__name__}: {exc}",
        )
    undeclared = sorted({model for model, _ids in figure.record_sets() if model} - set(computation.models))
    if undeclared:
        # Who may read the value is judged on the models its computation declares (reporting/visibility.py):
        # records of another kind would be shown to roles that may not view them.
        logger.error("indicator %s for %s counts records of undeclared models %s", code, year, undeclared)
        return Evaluated(
            code,
            ValueStatus.ERROR,
            None,
            None,
            None,
            str(computation.definition.method),
            _("Records of %(models)s, which the computation does not declare (reporting/registry.py, `models`).")
            % {"models": ", ".join(undeclared)},
        )
    if figure.value is None:
        return Evaluated(
            code,
            ValueStatus.NO_DATA,
            None,
            figure.numerator,
            figure.denominator,
            method,
            _("No record to compute it from in %(year)d (empty denominator).") % {"year": year},
            _records(figure),
        )
    return Evaluated(
        code, ValueStatus.OK, figure.value, figure.numerator, figure.denominator, method, records=_records(figure)
    )


def year_evaluate(
    year: int, codes: list[str] | None = None, *, entity: registry.EntityScope | None = None
) -> dict[str, Evaluated]:
    """Every computed indicator of `year` (or those of `codes`), in catalogue order, of the whole company or
    of `entity`'s records only; nothing is written."""
    year = year_check(year)
    result = {}
    with registry.sharing():
        for definition in catalogue.DEFINITIONS:
            computation = registry.computation(definition.code)
            if computation is None or (codes is not None and definition.code not in codes):
                continue
            result[definition.code] = indicator_evaluate(computation, year, entity)
    return result


@dataclass
class Difference:
    code: str
    before: IndicatorValue | None
    after: Evaluated

    @property
    def records_added(self) -> int:
        return len(self._ids(self.after.records) - self._ids(self.before.records if self.before else []))

    @property
    def records_removed(self) -> int:
        return len(self._ids(self.before.records if self.before else []) - self._ids(self.after.records))

    @staticmethod
    def _ids(records: list[dict]) -> set[tuple[str, int]]:
        return {(r["model"], i) for r in records for i in r["ids"]}


def _same(stored: IndicatorValue, new: Evaluated) -> bool:
    value = None if new.value is None else Decimal(new.value)
    return (
        stored.status == new.status
        and stored.value == value
        and stored.numerator == new.numerator
        and stored.denominator == new.denominator
        and stored.method == new.method
        and stored.records_sha256 == new.records_sha256
        and stored.message == new.message
    )


def year_differences(year: int, codes: list[str] | None = None) -> list[Difference]:
    """What recomputing `year` now would change (values, parts, records, status, method), for every
    computed indicator or those of `codes`."""
    year = year_check(year)
    stored = {v.code: v for v in IndicatorValue.objects.filter(reporting_year__year=year)}
    return [
        Difference(code, stored.get(code), new)
        for code, new in year_evaluate(year, codes).items()
        if code not in stored or not _same(stored[code], new)
    ]


@dataclass
class ComputeReport:
    year: int
    computed_at: dt.datetime
    created: int = 0
    changed: int = 0
    unchanged: int = 0
    problems: list[str] = field(default_factory=list)
    #: What became of each code: "created", "changed" or "unchanged"; and the codes that failed (`problems`).
    #: Who may not read every value is told of the ones they may read only (reporting/admin/years.py).
    outcomes: dict[str, str] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)


def year_compute(year: int, *, actor: Any = None, now: dt.datetime | None = None) -> ComputeReport:
    """Compute and store `year`'s snapshot (refused on a frozen year: see `year_differences`)."""
    year = year_check(year)
    now = now or timezone.now()
    evaluated = year_evaluate(year)
    report = ComputeReport(year, now)
    with transaction.atomic():
        reporting_year, _created = ReportingYear.objects.select_for_update().get_or_create(year=year)
        if reporting_year.frozen:
            raise YearFrozen(
                _(
                    "%(year)d is frozen: its indicators are not recomputed. Unfreeze it (with a "
                    "reason) to recompute, or look at the differences."
                )
                % {"year": year}
            )
        stored = {v.code: v for v in reporting_year.values.all()}
        reason = _("computed")
        unchanged: list[str] = []
        for code, new in evaluated.items():
            if new.status == ValueStatus.ERROR:
                report.problems.append(f"{code}: {new.message}")
                report.failed.append(code)
            current = stored.get(code)
            if current is not None and _same(current, new):
                unchanged.append(code)
                report.outcomes[code] = "unchanged"
                continue
            report.outcomes[code] = "changed" if current is not None else "created"
            value = current or IndicatorValue(reporting_year=reporting_year, code=code)
            for name, content in new.fields().items():
                setattr(value, name, content)
            value.computed_at = now
            save_with_history(value, actor=actor, reason=reason)
            if current is None:
                report.created += 1
            else:
                report.changed += 1
        # Unchanged values were checked now too: their computation time moves, without a history row.
        IndicatorValue.objects.filter(reporting_year=reporting_year, code__in=unchanged).update(computed_at=now)
        report.unchanged = len(unchanged)
        reporting_year.computed_at = now
        save_with_history(reporting_year, actor=actor, reason=reason)
    return report


def year_freeze(year: int, actor: Any, *, now: dt.datetime | None = None) -> ReportingYear:
    """Freeze `year` as verified: refused if a computed indicator is missing or failed (listed)."""
    year = year_check(year)
    if actor is None or not getattr(actor, "pk", None):
        raise ReportingError(_("Freezing a year needs the person who freezes it."))
    with transaction.atomic():
        reporting_year = ReportingYear.objects.select_for_update().filter(year=year).first()
        if reporting_year is None:
            raise ReportingError(_("%(year)d has never been computed: compute it before freezing it.") % {"year": year})
        if reporting_year.frozen:
            raise YearFrozen(_("%(year)d is already frozen.") % {"year": year})
        stored = {v.code: v for v in reporting_year.values.all()}
        problems = []
        for code in registry.computations():
            value = stored.get(code)
            if value is None:
                problems.append(_("%(code)s: not computed") % {"code": code})
            elif value.status == ValueStatus.ERROR:
                problems.append(f"{code}: {value.message}")
        if problems:
            raise ReportingError(
                _("%(year)d cannot be frozen: some indicators failed to compute.") % {"year": year}, sorted(problems)
            )
        reporting_year.frozen_at = now or timezone.now()
        reporting_year.frozen_by = actor
        save_with_history(reporting_year, actor=actor, reason=_("frozen"))
    return reporting_year


def year_unfreeze(year: int, actor: Any, reason: str) -> ReportingYear:
    year = year_check(year)
    reason = (reason or "").strip()
    if not reason:
        raise ReportingError(_("Unfreezing a year needs a reason."))
    with transaction.atomic():
        reporting_year = ReportingYear.objects.select_for_update().filter(year=year).first()
        if reporting_year is None or not reporting_year.frozen:
            raise ReportingError(_("%(year)d is not frozen.") % {"year": year})
        reporting_year.frozen_at = None
        reporting_year.frozen_by = None
        reporting_year.unfreeze_reason = reason
        save_with_history(reporting_year, actor=actor, reason=_("unfrozen: %(reason)s") % {"reason": reason})
    return reporting_year


def year_is_frozen(year: int) -> bool:
    return ReportingYear.objects.filter(year=year, frozen_at__isnull=False).exists()


def manual_value_save(
    *,
    year: int,
    code: str,
    value: Decimal,
    owner: str,
    actor: Any,
    source_reference: str = "",
    source_document: Any = None,
    comment: str = "",
    instance: ManualValue | None = None,
) -> ManualValue:
    """Create or change a manual value; refused without a source, with an unknown code, or on a frozen year."""
    year = year_check(year)
    definition = catalogue.BY_CODE.get(code)
    if definition is None or definition.computed:
        raise ValidationError({"code": _("%(code)s is not a manual indicator.") % {"code": code}})
    if year_is_frozen(year):
        raise ValidationError({"year": _("%(year)d is frozen: its manual values cannot change.") % {"year": year}})
    manual = instance or ManualValue.objects.filter(year=year, code=code).first() or ManualValue(year=year, code=code)
    manual.year, manual.code, manual.value, manual.owner = year, code, value, (owner or "").strip()
    manual.source_reference, manual.comment = (source_reference or "").strip(), comment or ""
    if source_document is False:  # a form's "clear" checkbox: the file goes (a source must remain)
        manual.source_document = ""
    elif source_document is not None:
        manual.source_document = source_document
    manual.entered_by = actor if getattr(actor, "pk", None) else None
    manual.full_clean()
    save_with_history(manual, actor=actor, reason=_("entered") if manual.pk is None else _("changed"))
    return manual
