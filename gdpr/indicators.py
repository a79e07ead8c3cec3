"""The gdpr indicators (reporting/registry.py): each code of the DPEF's enjeu 2 that gdpr/ computes,
with the selector that computes it (gdpr/selectors.py); and what gdpr/ shows on the reporting dashboard
(reporting/desk.py): what is past its legal deadline, and the rights requests received each month."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext, gettext_lazy as _

from core.admin_utils import due_badge
from core.charts import percent_text, trend_svg
from reporting.desk import (
    Desk,
    DeskItem,
    DeskRecords,
    Panel,
    assignments,
    changelist,
    due_this_week,
)
from reporting.records import paris_day
from reporting.registry import Computation, per_entity, shared

from . import selectors
from .choices import OPEN_REQUEST_STATUSES
from .models import Breach, CnilCase, ProcessingActivity, RightsRequest


def has_data(year: int) -> bool:
    """Whether gdpr/ holds anything for Y: a request, a CNIL case, a breach known or notified in Y, or a
    register at 31/12
    (without any, the year's gdpr figures are "no data", not zeros)."""
    return shared(("gdpr.has_data", year), lambda: _has_data(year))


def _has_data(year: int) -> bool:
    return (
        RightsRequest.objects.received_in(year).exists()
        or CnilCase.objects.received_in(year).exists()
        or Breach.objects.filter(aware_at__year=year).exists()
        or Breach.objects.notified_in(year).exists()
        or ProcessingActivity.objects.in_register_on(dt.date(year, 12, 31)).exists()
    )


#: What `has_data` reads, hence what every gdpr figure stands on ("no data" or a figure tells them).
MODELS = ("gdpr.rightsrequest", "gdpr.cnilcase", "gdpr.breach", "gdpr.processingactivity")


def _c(code: str, compute) -> Computation:
    """Per legal entity, on the records whose controller it is (none named: the parent company)."""
    return Computation(code, compute, has_data=has_data, models=MODELS, by_entity=per_entity(compute))


INDICATORS = (
    _c("E2_RIGHTS_REQUESTS", selectors.rights_requests_received),
    _c("E2_RIGHTS_REQUESTS_ANSWERED", selectors.rights_requests_answered),
    _c("E2_RIGHTS_REQUEST_MEAN_DAYS", selectors.rights_request_mean_days),
    _c("E2_RIGHTS_REQUESTS_ON_TIME_RATE", selectors.rights_requests_on_time_rate),
    _c("E2_CNIL_REFERRALS", selectors.cnil_referrals_received),
    _c("E2_CNIL_REFERRALS_ON_TIME_RATE", selectors.cnil_referrals_on_time_rate),
    _c("E2_CNIL_COMPLAINTS_WITHOUT_REFERRAL", selectors.cnil_complaints_without_referral),
    _c("E2_CNIL_COMPLAINTS_ON_TIME_RATE", selectors.cnil_complaints_on_time_rate),
    _c("E2_BREACH_NOTIFICATIONS", selectors.breach_notifications),
    _c("E2_BREACH_NOTIFIED_WITHIN_72H_RATE", selectors.breach_notified_within_72h_rate),
    _c("E2_PROCESSING_ACTIVITIES", selectors.processing_activities),
    _c("E2_PROCESSING_AS_CONTROLLER", selectors.processing_activities_as_controller),
    _c("E2_PROCESSING_AS_PROCESSOR", selectors.processing_activities_as_processor),
)


def _requests_panel(until: dt.date, months: int) -> dict[str, Any]:
    """The rights requests received in each of the last `months` months, with their on-time rate."""
    by_month = selectors.rights_requests_by_month(until, months)
    most = max((month.received for month in by_month), default=0)
    return {
        "trend_months": months,
        "request_months": [
            {
                "month": month.month,
                "received": month.received,
                "judged": month.judged,
                "on_time": month.on_time,
                "late": month.late,
                "rate": percent_text(month.value),
                "bar": round(100 * month.received / most, 1) if most else 0,
            }
            for month in by_month
        ],
        "requests_chart": trend_svg(
            [month.point for month in by_month],
            title=gettext("On-time rate of the rights requests received each month"),
            element_id="rights-on-time",
        ),
    }


# The admin filters of these links (gdpr/admin) select the rows the querysets count:
# tests/reporting/test_dashboard.py and tests/reporting/test_desk_home.py check each pair.
_RIGHTS = "admin:gdpr_rightsrequest_changelist"
_CNIL = "admin:gdpr_cnilcase_changelist"
_BREACHES = "admin:gdpr_breach_changelist"


def _breach_label(breach: Breach) -> str:
    return f"{breach.reference} – {breach.title}" if breach.title else breach.reference


DESK = Desk(
    title=_("Personal data"),
    order=10,
    items=(
        DeskRecords(
            "breach_clocks",
            _("Breaches whose 72-hour clock is running (neither notified nor decided)"),
            "gdpr.breach",
            records=lambda moment: Breach.objects.awaiting_decision_or_notification().order_by(
                "notification_due_at", "pk"
            ),
            badge=lambda breach, moment: due_badge(breach.notification_due_at, now=moment.now),
            more_url=changelist(_BREACHES, "clock=running"),
            describe=_breach_label,
        ),
        DeskItem(
            "rights_requests",
            _("Rights requests past their deadline"),
            "gdpr.rightsrequest",
            records=lambda moment: RightsRequest.objects.overdue(moment.day),
            url=changelist(_RIGHTS, "due=overdue"),
        ),
        DeskItem(
            "cnil_cases",
            _("CNIL cases past the reply date the CNIL set"),
            "gdpr.cnilcase",
            records=lambda moment: CnilCase.objects.overdue(moment.day),
            url=changelist(_CNIL, "due=overdue"),
        ),
        DeskItem(
            "breaches",
            _("Breaches past 72 hours, neither notified nor decided"),
            "gdpr.breach",
            records=lambda moment: Breach.objects.overdue(moment.now),
            url=changelist(_BREACHES, "clock=overdue"),
        ),
        due_this_week(
            "rights_requests_week",
            _("Rights requests due"),
            "gdpr.rightsrequest",
            RightsRequest.objects.open,
            _RIGHTS,
            "applicable_due_on",
            status__in=OPEN_REQUEST_STATUSES,
        ),
        due_this_week(
            "cnil_cases_week",
            _("CNIL cases whose reply is due"),
            "gdpr.cnilcase",
            CnilCase.objects.awaiting_reply,
            _CNIL,
            "due_on",
            answered_on__isnull=True,
        ),
        *assignments(
            "rights_requests",
            "gdpr.rightsrequest",
            RightsRequest.objects.open,
            _RIGHTS,
            mine=_("Open rights requests"),
            unassigned=_("Open rights requests without a handler"),
            status__in=OPEN_REQUEST_STATUSES,
        ),
        *assignments(
            "cnil_cases",
            "gdpr.cnilcase",
            CnilCase.objects.unanswered,
            _CNIL,
            mine=_("CNIL cases not answered"),
            unassigned=_("CNIL cases not answered, without a handler"),
            answered_on__isnull=True,
        ),
        *assignments(
            "breaches",
            "gdpr.breach",
            lambda: Breach.objects.filter(closed_at__isnull=True),
            _BREACHES,
            mine=_("Breaches not closed"),
            unassigned=_("Breaches not closed, without a handler"),
            closed_at__isnull=True,
        ),
    ),
    panels=(Panel("gdpr.rightsrequest", "admin/gdpr/dashboard_requests.html", _requests_panel),),
)


# -- Records for the auditor pack (reporting/records.py) ----------------------------------------------------
#: What an auditor sees of each record of gdpr behind a value: the fields that trace it, and no more
#: personal data than that. Headers are stable identifiers (not translated).
RECORD_COLUMNS = {
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
}
