"""The training indicators (reporting/registry.py): completion rates of the reference modules at 31/12,
workshops, hours, trained at least once, women among trainees, phishing campaigns (training/kpis.py).
The rates' method text is the module's own (kpis.method_text: its audience, deployment and renewal).
And what training/ shows on the reporting dashboard (reporting/desk.py): the renewals due per renewable
module, and the monthly completion rate of the mandatory reference modules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext, gettext_lazy as _

from core.charts import percent_text, trend_svg
from core.dates import format_date, format_datetime
from core.figures import Figure
from organization.models import Employee
from organization.querysets import present_on_q
from reporting.desk import DUE_SOON, Desk, DeskItem, DeskItems, Moment, Panel
from reporting.registry import Computation, EntityScope, per_entity, shared

from . import auditor_records, figures, kpis
from .choices import ModuleKind
from .models import Attendance, Completion, Module, PhishingCampaign

#: What `has_data` reads and what the rates, hours and trainees are computed from (the roster, its entities
#: and departments, the modules with their audiences, completions, sessions and attendances, campaigns):
#: every training figure stands on all of them (reporting/registry.py, `models`).
MODELS = (
    "organization.employee",
    "organization.legalentity",
    "organization.department",
    "training.module",
    "training.completion",
    "training.session",
    "training.attendance",
    "training.phishingcampaign",
)


def _year_end(year: int) -> dt.date:
    return dt.date(year, 12, 31)


def has_data(year: int) -> bool:
    """Whether training/ holds anything for Y: a headcount at 31/12, a completion, a session or a campaign."""
    return shared(("training.has_data", year), lambda: _has_data(year))


def _has_data(year: int) -> bool:
    start, end = kpis.year_bounds(year)
    return (
        Employee.objects.filter(present_on_q(end)).exists()
        or Completion.objects.filter(completed_on__range=(start, end)).exists()
        or Attendance.objects.filter(session__held_on__range=(start, end)).exists()
        or PhishingCampaign.objects.filter(sent_on__range=(start, end)).exists()
    )


def _deployed_by_year_end(module_code: str):
    """ "No data" for a year that ended before the module was deployed (not a 0 % rate)."""

    def check(year: int) -> bool:
        return Module.objects.filter(code=module_code, deployed_on__lte=_year_end(year)).exists() and has_data(year)

    return check


def _scope(entity: EntityScope | None) -> kpis.Scope:
    """The employees of `entity` (their current entity; every employee names one), or all of them."""
    return kpis.ALL if entity is None else kpis.Scope(entities=(entity.code,))


def _key(entity: EntityScope | None) -> str | None:
    return None if entity is None else entity.code


#: Why the phishing campaigns are not counted per legal entity.
PHISHING_WHOLE_COMPANY = _("A phishing campaign is recorded for the whole company, not per legal entity.")


#: The modules behind the completion-rate indicators (all computed in one read per year: `_rates`).
RATE_MODULES = ("LCBFT", "DEONTO", "RGPD", "CYBER", "RSE", "HANDICAP")


def _rates(year: int, entity: EntityScope | None = None) -> dict[str, tuple[Figure, Figure]]:
    return shared(
        ("training.rates", year, _key(entity)),
        lambda: kpis.completion_figures(Module.objects.filter(code__in=RATE_MODULES), _year_end(year), _scope(entity)),
    )


def _rate(code: str, module_code: str) -> Computation:
    assert module_code in RATE_MODULES

    def compute(year: int, *, entity: EntityScope | None = None) -> Figure:
        return _rates(year, entity)[module_code][0]

    def note(year: int) -> str:
        return kpis.method_text(Module.objects.get(code=module_code), _year_end(year))

    return Computation(
        code,
        compute,
        note=note,
        has_data=_deployed_by_year_end(module_code),
        models=MODELS,
        records_extra=auditor_records.module_trained(module_code),
        by_entity=per_entity(compute),
    )


def _disability_trained(year: int, *, entity: EntityScope | None = None) -> Figure:
    return _rates(year, entity)["HANDICAP"][1]


def _workshop(code: str, module_code: str) -> Computation:
    def compute(year: int, *, entity: EntityScope | None = None) -> Figure:
        return kpis.workshop_trained(Module.objects.get(code=module_code), year, _scope(entity))

    return Computation(
        code,
        compute,
        has_data=_deployed_by_year_end(module_code),
        models=MODELS,
        by_entity=per_entity(compute),
    )


def _hours(kind: str | None):
    def compute(year: int, *, entity: EntityScope | None = None) -> Figure:
        hours = shared(
            ("training.hours", year, _key(entity)),
            lambda: kpis.training_hours(year, _scope(entity), with_ids=True),
        )
        return Figure(
            value=hours.hours(kind),
            model="training.completion",
            record_ids=hours.completion_ids(kind),
            more=(("training.attendance", hours.attendance_ids(kind)),),
        )

    return compute


def _trainees(index: int):
    def compute(year: int, *, entity: EntityScope | None = None) -> Figure:
        return shared(("training.trainees", year, _key(entity)), lambda: kpis.year_trainees(year, _scope(entity)))[
            index
        ]

    return compute


INDICATORS = (
    _rate("E1_AML_ELEARNING_RATE", "LCBFT"),
    _rate("E1_ETHICS_ELEARNING_RATE", "DEONTO"),
    _rate("E2_GDPR_ELEARNING_RATE", "RGPD"),
    _rate("E2_CYBER_ELEARNING_RATE", "CYBER"),
    _rate("E5_CSR_ELEARNING_RATE", "RSE"),
    _rate("E9_DISABILITY_ELEARNING_RATE", "HANDICAP"),
    Computation(
        "E9_DISABILITY_ELEARNING_TRAINED",
        _disability_trained,
        has_data=_deployed_by_year_end("HANDICAP"),
        models=MODELS,
        records_extra=auditor_records.module_trained("HANDICAP"),
        by_entity=per_entity(_disability_trained),
    ),
    _workshop("E1_ETHICS_WORKSHOP_TRAINED", "ATELIER-DEONTO"),
    _workshop("E1_FRAUD_WORKSHOP_TRAINED", "ATELIER-FRAUDE"),
    _workshop("E9_MANAGERS_TRAINED_DISABILITY", "ATELIER-HANDICAP"),
    Computation(
        "E8_TRAINED_AT_LEAST_ONCE_RATE",
        _trainees(0),
        has_data=has_data,
        models=MODELS,
        records_extra=auditor_records.trained_in_year(),
        by_entity=per_entity(_trainees(0)),
    ),
    Computation(
        "E8_TRAINING_HOURS", _hours(None), has_data=has_data, models=MODELS, by_entity=per_entity(_hours(None))
    ),
    Computation(
        "E8_TRAINING_HOURS_ELEARNING",
        _hours(ModuleKind.E_LEARNING),
        has_data=has_data,
        models=MODELS,
        by_entity=per_entity(_hours(ModuleKind.E_LEARNING)),
    ),
    Computation(
        "E8_TRAINING_HOURS_VIRTUAL",
        _hours(ModuleKind.VIRTUAL),
        has_data=has_data,
        models=MODELS,
        by_entity=per_entity(_hours(ModuleKind.VIRTUAL)),
    ),
    Computation(
        "E8_TRAINING_HOURS_IN_PERSON",
        _hours(ModuleKind.IN_PERSON),
        has_data=has_data,
        models=MODELS,
        by_entity=per_entity(_hours(ModuleKind.IN_PERSON)),
    ),
    Computation(
        "E10_WOMEN_SHARE_OF_TRAINEES",
        _trainees(1),
        has_data=has_data,
        models=MODELS,
        by_entity=per_entity(_trainees(1)),
    ),
    Computation(
        "E2_PHISHING_TESTS",
        kpis.phishing_campaigns,
        has_data=has_data,
        models=MODELS,
        whole_company_only=PHISHING_WHOLE_COMPANY,
    ),
    Computation(
        "G1_3_AT_RISK_TRAINED_RATE",
        kpis.at_risk_coverage,
        has_data=has_data,
        models=MODELS,
        records_extra=auditor_records.anti_corruption_trained(),
        by_entity=lambda year, entity: kpis.at_risk_coverage(year, _scope(entity)),
    ),
)


def _renewals_due(moment: Moment) -> Iterator[DeskItem]:
    """Per renewable module, the people whose training stops counting within the horizon (to re-enrol),
    linked to that module's list of them (the same people: kpis.RENEWAL_HORIZON_DAYS)."""
    days = kpis.RENEWAL_HORIZON_DAYS
    modules = (
        Module.objects.filter(renewal_months__isnull=False, renewal_months__gt=0)
        .prefetch_related("audience_entities", "audience_departments")
        .order_by("code")
    )
    for module in modules:
        yield _renewals_due_item(module, days)


def _renewals_due_item(module: Module, days: int) -> DeskItem:
    """One module's item of `_renewals_due` (made here, so that its functions keep their own module)."""
    return DeskItem(
        f"renewals_{module.code}",
        gettext("%(module)s: renewals due within %(days)d days") % {"module": module.code, "days": days},
        "training.module",
        records=lambda moment: kpis.renewals_due(module, days, moment.day),
        url=lambda moment: (
            f"{reverse('admin:training_module_renewals_due', args=[module.pk])}?date={moment.day.isoformat()}"
        ),
        kind=DUE_SOON,
    )


def _trends_panel(until: dt.date, months: int) -> dict[str, Any]:
    """The monthly completion rate of each mandatory reference module over the last `months` months, read
    from its whole-company figures stored by the nightly computation (training/figures.py: of `until`, else
    the latest before), shown with the time they were computed; one query for all modules."""
    modules = list(Module.objects.filter(is_reference=True, mandatory=True).order_by("code"))
    stored = figures.latest_whole_company(modules, until)
    trends = []
    for module in modules:
        snapshot = stored.get(module.pk)
        points = snapshot.trend(months) if snapshot is not None else []
        if snapshot is not None and not points:
            continue  # deployed after these months
        trends.append(
            {
                "module": module,
                "computed": snapshot is not None,
                "last": percent_text(points[-1].value) if points else "",
                "day": format_date(snapshot.day) if snapshot is not None else "",
                "computed_at": format_datetime(snapshot.computed_at) if snapshot is not None else "",
                "chart": trend_svg(
                    points,
                    title=gettext("Completion rate of %(module)s at the end of each month, all entities")
                    % {"module": module.code},
                    element_id=f"trend-{module.code}",
                )
                if points
                else "",
                "url": reverse("admin:training_module_change", args=[module.pk]),
            }
        )
    return {"trend_months": months, "trends": trends}


DESK = Desk(
    title=_("Training"),
    order=30,
    items=(DeskItems("training.module", _renewals_due),),
    panels=(Panel("training.completion", "admin/training/module/dashboard_trends.html", _trends_panel),),
)


# -- Records for the auditor pack (reporting/records.py) ----------------------------------------------------
#: What an auditor sees of each record of training behind a value: the fields that trace it, and no more
#: personal data than that. Headers are stable identifiers (not translated).
RECORD_COLUMNS = {
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
