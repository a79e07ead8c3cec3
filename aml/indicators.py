"""The AML/CFT indicators (reporting/registry.py): the DPEF's enjeu 1 figures of the vigilance alerts, the
reports to TRACFIN and the asset-freeze screening (aml/selectors.py); and what aml/ shows on the desk
(reporting/desk.py).

No tipping off: every figure is an aggregate (a count, or a rate with its numerator and denominator), never a
list: no record ids are stored with the values, so neither the auditor pack nor the export can name an alert,
and aml/ declares no RECORD_COLUMNS. Every computation names its AML models, so a year not frozen is withheld
from whoever may not view them (reporting/visibility.py); figures are for the whole company only (per entity,
a count of reports in a small subsidiary would point at someone). The desk's items count AML records: shown
only to who passes the seal (core/roles.py `sealed_out`).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from reporting.desk import Desk, DeskItem, assignments, changelist, due_this_week
from reporting.registry import Computation, shared

from . import selectors
from .choices import OPEN_ALERT_STATUSES
from .models import Alert, Hit

#: What `has_data` reads, hence what every AML figure stands on.
MODELS = ("aml.alert", "aml.hit", "aml.screeningrun", "aml.counterparty")

#: Why no AML figure is computed per legal entity.
WHOLE_COMPANY = _(
    "AML/CFT figures are reported for the whole company only: per legal entity, a small number of alerts or "
    "reports could point at a customer (no tipping off)."
)


def has_data(year: int) -> bool:
    return shared(("aml.has_data", year), lambda: selectors.has_data(year))


def _c(code: str, compute, *models: str) -> Computation:
    return Computation(
        code,
        compute,
        has_data=has_data,
        models=tuple(dict.fromkeys(MODELS + models)),
        whole_company_only=WHOLE_COMPANY,
    )


INDICATORS = (
    _c("E1_AML_ALERTS", selectors.alerts_raised),
    _c("E1_AML_ALERTS_DECIDED_ON_TIME", selectors.alerts_decided_on_time),
    _c("E1_AML_TRACFIN_REPORTS", selectors.tracfin_reports),
    _c("E1_AML_SCREENING_COVERAGE", selectors.screening_coverage, "aml.screeninglist"),
    _c("E1_AML_HITS_REVIEWED_ON_TIME", selectors.hits_reviewed_on_time),
)


# The admin filters of these links (aml/admin: `due=overdue` of the alerts and of the hits, `assigned` =
# core.admin_utils.assigned_filter("analyst")) select the rows the querysets count; "due this week" is the
# desk's own 7 days (reporting.desk.this_week), by dates. tests/aml/test_indicators.py checks each pair.
_ALERTS = "admin:aml_alert_changelist"
_HITS = "admin:aml_hit_changelist"

DESK = Desk(
    title=_("AML/CFT"),
    order=35,
    items=(
        DeskItem(
            "aml_alerts",
            _("Vigilance alerts past their analysis date"),
            "aml.alert",
            records=lambda moment: Alert.objects.overdue(moment.day),
            url=changelist(_ALERTS, "due=overdue"),
        ),
        DeskItem(
            "aml_hits",
            _("Screening hits waiting for their review past its date"),
            "aml.hit",
            records=lambda moment: Hit.objects.overdue(moment.day),
            url=changelist(_HITS, "due=overdue"),
        ),
        due_this_week(
            "aml_alerts_week",
            _("Vigilance alerts whose analysis is due"),
            "aml.alert",
            Alert.objects.open,
            _ALERTS,
            "analysis_due_on",
            status__in=list(OPEN_ALERT_STATUSES),
        ),
        *assignments(
            "aml_alerts",
            "aml.alert",
            Alert.objects.open,
            _ALERTS,
            mine=_("Open vigilance alerts"),
            unassigned=_("Open vigilance alerts without an analyst"),
            field="analyst",
            status__in=list(OPEN_ALERT_STATUSES),
        ),
    ),
)
