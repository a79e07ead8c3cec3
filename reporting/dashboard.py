"""The figures of the reporting dashboard (the admin page is reporting/admin/dashboard.py): the year's
indicators beside the year before, what is overdue in each domain, the completion trend of the
mandatory reference modules and the rights requests received per month with their on-time rate.

Every function here asks a fixed number of queries, whatever the number of records: counts and
grouped aggregates, never a loop over rows. The domains' models are imported inside the functions
(docs/architecture.md: reporting/ never imports a domain's models at module level).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from dateutil.relativedelta import relativedelta
from django.db.models import Count, F, Q
from django.db.models.functions import Coalesce, TruncDate, TruncMonth
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.charts import RatePoint
from core.figures import percent

from . import catalogue, export
from .models import IndicatorValue

#: How many months the charts cover (the current month last).
TREND_MONTHS = 12

#: The domains of the overdue items, in the order the page shows them.
DOMAINS: dict[str, Any] = {
    "gdpr": _("Personal data"),
    "compliance": _("Conflicts of interest and action plans"),
    "training": _("Training"),
}


def today() -> dt.date:
    """Today in Paris (TIME_ZONE)."""
    return timezone.localdate()


# --- the indicators of a year beside the year before --------------------------------------------------------


@dataclass(frozen=True)
class IndicatorLine:
    row: export.Row
    #: The stored IndicatorValue behind a computed figure (None: manual, or computed live for the page).
    value_id: int | None

    @property
    def definition(self) -> catalogue.Definition:
        return self.row.definition


def indicator_lines(year: int, user: Any = None) -> tuple[Any, list[IndicatorLine]]:
    """Every indicator of `year` (DPEF then ESRS) as the export shows it to `user` (export.rows: the stored
    snapshot, else a computation now; N-1 beside it; the values they may not read withheld), with the id of
    the stored value behind each one."""
    reporting_year, rows = export.rows(year, framework=None, user=user)
    ids = dict(IndicatorValue.objects.filter(reporting_year__year=year).values_list("code", "pk"))
    return reporting_year, [IndicatorLine(row, ids.get(row.definition.code)) for row in rows]


# --- what is overdue ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Overdue:
    """A count of overdue records of one kind and the admin list that shows exactly them."""

    domain: str
    key: str
    label: Any
    count: int
    url: str
    #: The permission needed to see them (the dashboard shows a count only to who may open its list).
    permission: str


@dataclass(frozen=True)
class _OverdueSpec:
    domain: str
    key: str
    label: Any
    permission: str
    count: Callable[[dt.date, dt.datetime], int]
    url: Callable[[], str]


def _rights_requests_overdue(day: dt.date, now: dt.datetime) -> int:
    from gdpr.models import RightsRequest

    return RightsRequest.objects.overdue(day).count()


def _cnil_cases_overdue(day: dt.date, now: dt.datetime) -> int:
    from gdpr.models import CnilCase

    return CnilCase.objects.overdue(day).count()


def _breaches_overdue(day: dt.date, now: dt.datetime) -> int:
    from gdpr.models import Breach

    return Breach.objects.overdue(now).count()


def _coi_analysis_overdue(day: dt.date, now: dt.datetime) -> int:
    from compliance.models import ConflictOfInterestCase

    return ConflictOfInterestCase.objects.analysis_overdue(day).count()


def _action_items_overdue(day: dt.date, now: dt.datetime) -> int:
    from compliance.models import ActionItem

    return ActionItem.objects.overdue(day).count()


def _changelist(url_name: str, query: str) -> Callable[[], str]:
    # The filters of those admin lists (gdpr/admin, compliance/admin) select the same rows as the
    # querysets counted here: tests/reporting/test_dashboard.py checks each pair.
    return lambda: f"{reverse(url_name)}?{query}"


OVERDUE: tuple[_OverdueSpec, ...] = (
    _OverdueSpec("gdpr", "rights_requests", _("Rights requests past their deadline"), "gdpr.view_rightsrequest",
                 _rights_requests_overdue, _changelist("admin:gdpr_rightsrequest_changelist", "due=overdue")),
    _OverdueSpec("gdpr", "cnil_cases", _("CNIL cases past the reply date the CNIL set"), "gdpr.view_cnilcase",
                 _cnil_cases_overdue, _changelist("admin:gdpr_cnilcase_changelist", "due=overdue")),
    _OverdueSpec("gdpr", "breaches", _("Breaches past 72 hours, neither notified nor decided"), "gdpr.view_breach",
                 _breaches_overdue, _changelist("admin:gdpr_breach_changelist", "clock=overdue")),
    _OverdueSpec("compliance", "coi_cases", _("Conflict-of-interest cases awaiting qualification past their "
                                              "analysis date"), "compliance.view_conflictofinterestcase",
                 _coi_analysis_overdue, _changelist("admin:compliance_conflictofinterestcase_changelist",
                                                    "analysis=overdue")),
    _OverdueSpec("compliance", "action_items", _("Action items past their due date"), "compliance.view_actionitem",
                 _action_items_overdue, _changelist("admin:compliance_actionitem_changelist", "state=overdue")),
)


def overdue_items(user: Any = None, *, day: dt.date | None = None, now: dt.datetime | None = None) -> list[Overdue]:
    """The overdue counts, each with its filtered admin list; with `user`, only those they may see
    (the others are not even counted)."""
    now = now or timezone.now()
    day = day or timezone.localdate(now)
    return [
        Overdue(spec.domain, spec.key, spec.label, spec.count(day, now), spec.url(), spec.permission)
        for spec in OVERDUE if user is None or user.has_perm(spec.permission)
    ]


def renewal_horizon_days() -> int:
    """The horizon of the training module's "renewals due" list, which the dashboard links to: the count
    and the list must be the same people."""
    from training.admin.modules import RENEWAL_HORIZON_DAYS

    return RENEWAL_HORIZON_DAYS


def renewals_due(user: Any = None, *, day: dt.date | None = None) -> list[Overdue]:
    """Per renewable module, the people whose training stops counting within the horizon (to re-enrol),
    linked to that module's list of them."""
    if user is not None and not user.has_perm("training.view_module"):
        return []
    from training import kpis
    from training.models import Module

    day = day or today()
    days = renewal_horizon_days()
    modules = (Module.objects.filter(renewal_months__isnull=False, renewal_months__gt=0)
               .prefetch_related("audience_entities", "audience_departments").order_by("code"))
    return [
        Overdue("training", f"renewals_{module.code}",
                gettext("%(module)s: renewals due within %(days)d days") % {"module": module.code, "days": days},
                kpis.renewals_due(module, days, day).count(),
                f"{reverse('admin:training_module_renewals_due', args=[module.pk])}?date={day.isoformat()}",
                "training.view_module")
        for module in modules
    ]


# --- the charts -------------------------------------------------------------------------------------------


def completion_trends(until: dt.date | None = None, months: int = TREND_MONTHS) -> list[tuple[Any, list[Any]]]:
    """The monthly completion rate (training.kpis.monthly_trend: one query for a module never renewed, one
    per month for a renewable one) of each mandatory reference module, over the last `months` months."""
    from training import kpis
    from training.models import Module

    until = until or today()
    modules = (Module.objects.filter(is_reference=True, mandatory=True)
               .prefetch_related("audience_entities", "audience_departments").order_by("code"))
    return [(module, kpis.monthly_trend(module, until, months)) for module in modules]


@dataclass(frozen=True)
class MonthOfRequests:
    """The rights requests received in one month (Paris time) and how many of them were answered in time.

    `judged` and `on_time` follow E2_RIGHTS_REQUESTS_ON_TIME_RATE (gdpr/selectors.py): a request is
    judged once answered or once its applicable deadline (the extended one when validly extended) has
    passed; withdrawn ones are neither on time nor late. `point` is the month as the trend chart draws it."""

    month: dt.date
    received: int
    judged: int
    on_time: int

    @property
    def point(self) -> RatePoint:
        return RatePoint(self.month, self.on_time, self.judged)

    @property
    def value(self) -> Decimal | None:
        return percent(self.on_time, self.judged)

    @property
    def late(self) -> int:
        return self.judged - self.on_time


def month_starts(until: dt.date, months: int) -> list[dt.date]:
    """The first day of each of the `months` months ending with `until`'s month, oldest first."""
    first = until.replace(day=1)
    return [first - relativedelta(months=back) for back in range(months - 1, -1, -1)]


def rights_requests_by_month(until: dt.date | None = None, months: int = TREND_MONTHS) -> list[MonthOfRequests]:
    """The requests received in each of the last `months` months (one grouped query), with the on-time
    rate of the month as of `until`."""
    from gdpr.choices import Outcome
    from gdpr.models import RightsRequest

    until = until or today()
    starts = month_starts(until, months)
    paris = timezone.get_default_timezone()
    start = dt.datetime.combine(starts[0], dt.time(0), tzinfo=paris)
    end = dt.datetime.combine(starts[-1] + relativedelta(months=1), dt.time(0), tzinfo=paris)
    judged = ~Q(outcome=Outcome.WITHDRAWN) & (Q(answered_at__isnull=False) | Q(deadline__lt=until))
    on_time = judged & Q(answered_at__isnull=False, answered_on__lte=F("deadline"))
    grouped = (
        RightsRequest.objects.filter(received_at__gte=start, received_at__lt=end)
        .annotate(month=TruncMonth("received_at", tzinfo=paris), deadline=Coalesce("extended_due_on", "due_on"),
                  answered_on=TruncDate("answered_at", tzinfo=paris))
        .order_by().values("month")
        .annotate(received=Count("pk"), judged=Count("pk", filter=judged), on_time=Count("pk", filter=on_time))
    )
    by_month = {}
    for row in grouped:
        month = row["month"]
        if isinstance(month, dt.datetime):
            month = timezone.localtime(month, paris).date() if timezone.is_aware(month) else month.date()
        by_month[month] = row
    return [
        MonthOfRequests(month, by_month.get(month, {}).get("received", 0), by_month.get(month, {}).get("judged", 0),
                        by_month.get(month, {}).get("on_time", 0))
        for month in starts
    ]
