"""Reads behind the gdpr indicators (docs/rules.md, "Indicator methods"); each returns a core Figure.

"In Y" means a date between Y-01-01 and Y-12-31 in Paris time. Rates count what could be judged:
an open request whose deadline has not passed yet is neither on time nor late.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from dateutil.relativedelta import relativedelta
from django.db.models import Case, Count, DurationField, ExpressionWrapper, F, Q, QuerySet, Sum, When
from django.db.models.functions import Coalesce, TruncDate, TruncMonth
from django.utils import timezone

from core.charts import RatePoint
from core.figures import Figure, one_decimal, percent

from .choices import CnilCaseKind, Outcome, ProcessingRole
from .models import Breach, CnilCase, ProcessingActivity, RightsRequest

if TYPE_CHECKING:
    from reporting.registry import EntityScope


def _of(queryset: QuerySet[Any], entity: EntityScope | None) -> QuerySet[Any]:
    """`queryset`'s records of `entity` only (the controller; none named: the parent company), or all of them."""
    return queryset if entity is None else queryset.filter(entity.q())


def _paris_day(field: str) -> TruncDate:
    """The calendar date of a datetime column in Paris time, computed by the database."""
    return TruncDate(field, tzinfo=timezone.get_default_timezone())


def rights_requests_received(year: int, *, entity: EntityScope | None = None) -> Figure:
    """E2_RIGHTS_REQUESTS: rights requests received in Y, answered or not (the contract of docs/interfaces.md;
    labelled "received": the ones answered are E2_RIGHTS_REQUESTS_ANSWERED)."""
    return Figure.count(_of(RightsRequest.objects.received_in(year), entity))


def rights_requests_answered(year: int, *, now: dt.datetime | None = None, entity: EntityScope | None = None) -> Figure:
    """E2_RIGHTS_REQUESTS_ANSWERED: requests received in Y and answered by `now` (the computation), refusals
    included, withdrawals not (a withdrawal's date is stored in answered_at, but it is not an answer). What
    the 2023 DPEF called "reçues et traitées"; E2_RIGHTS_REQUESTS counts them all, open ones included."""
    now = now or timezone.now()
    answered = (
        _of(RightsRequest.objects.received_in(year), entity)
        .filter(answered_at__isnull=False, answered_at__lte=now)
        .exclude(outcome=Outcome.WITHDRAWN)
    )
    return Figure.count(answered)


def rights_request_mean_days(year: int, *, entity: EntityScope | None = None) -> Figure:
    """E2_RIGHTS_REQUEST_MEAN_DAYS: mean of (answer date − receipt date), calendar days, Paris dates,
    over the requests received in Y and answered (refusals included, withdrawals not);
    numerator = total days, denominator = requests."""
    # A withdrawal is not an answer: its date is stored in answered_at, but it is not counted.
    answered = (
        _of(RightsRequest.objects.received_in(year), entity)
        .filter(answered_at__isnull=False)
        .exclude(outcome=Outcome.WITHDRAWN)
    )
    days = ExpressionWrapper(_paris_day("answered_at") - _paris_day("received_at"), output_field=DurationField())
    totals = answered.aggregate(total=Sum(days), count=Count("pk"))
    total = totals["total"].days if totals["total"] is not None else 0
    figure = Figure.count(answered)
    return replace(
        figure,
        value=one_decimal(total / totals["count"]) if totals["count"] else None,
        numerator=total,
        denominator=totals["count"],
    )


def _on_time_rule(today: dt.date) -> tuple[dict[str, Any], Q, Q]:
    """The one rule of E2_RIGHTS_REQUESTS_ON_TIME_RATE, shared by the yearly figure and the dashboard's
    months: the annotations it needs, which requests are judged and which of those were answered in time.

    Judged: answered, or past the applicable deadline (the extended one when validly extended, pauses
    included): open and overdue requests count as late; withdrawn ones are neither on time nor late. A
    refusal (refused, or manifestly unfounded: Art. 12(4)-(5)) is due within the first, one-month deadline
    even after an extension (docs/rules.md: "notified within the same month")."""
    deadline = Case(
        When(outcome__in=(Outcome.REFUSED, Outcome.UNFOUNDED), then=F("due_on")),
        default=Coalesce("extended_due_on", "due_on"),
    )
    annotations = {"deadline": deadline, "answered_on": _paris_day("answered_at")}
    judged = ~Q(outcome=Outcome.WITHDRAWN) & (Q(answered_at__isnull=False) | Q(deadline__lt=today))
    on_time = Q(answered_at__isnull=False, answered_on__lte=F("deadline"))
    return annotations, judged, on_time


def rights_requests_on_time_rate(
    year: int, *, today: dt.date | None = None, entity: EntityScope | None = None
) -> Figure:
    """E2_RIGHTS_REQUESTS_ON_TIME_RATE: requests received in Y answered on or before their applicable
    deadline ÷ those answered or whose applicable deadline has passed (`_on_time_rule`)."""
    annotations, judged_q, on_time = _on_time_rule(today or timezone.localdate())
    judged = _of(RightsRequest.objects.received_in(year), entity).annotate(**annotations).filter(judged_q)
    counts = judged.aggregate(total=Count("pk"), on_time=Count("pk", filter=on_time))
    return Figure.rate(counts["on_time"], counts["total"], judged)


@dataclass(frozen=True)
class MonthOfRequests:
    """The rights requests received in one month (Paris time) and how many of them were answered in time,
    judged as E2_RIGHTS_REQUESTS_ON_TIME_RATE judges them (`_on_time_rule`). `point` is the month as the trend
    chart draws it."""

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


def rights_requests_by_month(until: dt.date, months: int) -> list[MonthOfRequests]:
    """The requests received in each of the last `months` months (one grouped query), with the on-time
    rate of the month as of `until` (the reporting dashboard's chart)."""
    starts = month_starts(until, months)
    paris = timezone.get_default_timezone()
    start = dt.datetime.combine(starts[0], dt.time(0), tzinfo=paris)
    end = dt.datetime.combine(starts[-1] + relativedelta(months=1), dt.time(0), tzinfo=paris)
    annotations, judged, on_time = _on_time_rule(until)
    grouped = (
        RightsRequest.objects.filter(received_at__gte=start, received_at__lt=end)
        .annotate(month=TruncMonth("received_at", tzinfo=paris), **annotations)
        .order_by()
        .values("month")
        .annotate(received=Count("pk"), judged=Count("pk", filter=judged), on_time=Count("pk", filter=judged & on_time))
    )
    by_month: dict[dt.date, Mapping[str, Any]] = {}
    for row in grouped:
        month = row["month"]
        if isinstance(month, dt.datetime):
            month = timezone.localtime(month, paris).date() if timezone.is_aware(month) else month.date()
        by_month[month] = row
    return [
        MonthOfRequests(
            month,
            by_month.get(month, {}).get("received", 0),
            by_month.get(month, {}).get("judged", 0),
            by_month.get(month, {}).get("on_time", 0),
        )
        for month in starts
    ]


def cnil_referrals_received(year: int, *, entity: EntityScope | None = None) -> Figure:
    """E2_CNIL_REFERRALS: CNIL referrals received in Y."""
    return Figure.count(_of(CnilCase.objects.referrals().received_in(year), entity))


def cnil_complaints_without_referral(year: int, *, entity: EntityScope | None = None) -> Figure:
    """E2_CNIL_COMPLAINTS_WITHOUT_REFERRAL: complaints without referral received in Y."""
    return Figure.count(
        _of(CnilCase.objects.filter(kind=CnilCaseKind.COMPLAINT_WITHOUT_REFERRAL).received_in(year), entity)
    )


def _answered_by_reply_date(cases, today: dt.date) -> Figure:
    """Of `cases` (all with a reply date), those answered on or before it ÷ those answered or past it."""
    judged = cases.filter(Q(answered_on__isnull=False) | Q(due_on__lt=today))
    counts = judged.aggregate(
        total=Count("pk"), on_time=Count("pk", filter=Q(answered_on__isnull=False, answered_on__lte=F("due_on")))
    )
    return Figure.rate(counts["on_time"], counts["total"], judged)


def cnil_referrals_on_time_rate(
    year: int, *, today: dt.date | None = None, entity: EntityScope | None = None
) -> Figure:
    """E2_CNIL_REFERRALS_ON_TIME_RATE: referrals received in Y answered on or before their due date ÷
    referrals received in Y that are answered or past due."""
    return _answered_by_reply_date(
        _of(CnilCase.objects.referrals().received_in(year), entity), today or timezone.localdate()
    )


def cnil_complaints_on_time_rate(
    year: int, *, today: dt.date | None = None, entity: EntityScope | None = None
) -> Figure:
    """E2_CNIL_COMPLAINTS_ON_TIME_RATE: complaints without referral received in Y on which a CNIL letter set
    a reply date, answered on or before it ÷ those answered or past it (the 2023 DPEF: answered "dans le
    délai prescrit (10 jours)"). A complaint without a reply date cannot be late: it is not judged."""
    complaints = CnilCase.objects.filter(
        kind=CnilCaseKind.COMPLAINT_WITHOUT_REFERRAL, due_on__isnull=False
    ).received_in(year)
    return _answered_by_reply_date(_of(complaints, entity), today or timezone.localdate())


def breach_notifications(year: int, *, entity: EntityScope | None = None) -> Figure:
    """E2_BREACH_NOTIFICATIONS: breaches whose initial notification to the CNIL is dated in Y."""
    return Figure.count(_of(Breach.objects.notified_in(year), entity))


def breach_notified_within_72h_rate(year: int, *, entity: EntityScope | None = None) -> Figure:
    """E2_BREACH_NOTIFIED_WITHIN_72H_RATE: of the breaches notified in Y, those notified within 72 hours."""
    notified = _of(Breach.objects.notified_in(year), entity)
    counts = notified.aggregate(
        total=Count("pk"), on_time=Count("pk", filter=Q(notified_at__lte=F("notification_due_at")))
    )
    return Figure.rate(counts["on_time"], counts["total"], notified)


def processing_activities(year: int, *, role: str | None = None, entity: EntityScope | None = None) -> Figure:
    """E2_PROCESSING_ACTIVITIES (and by role): activities in the register on Y-12-31."""
    activities = _of(ProcessingActivity.objects.in_register_on(dt.date(year, 12, 31)), entity)
    if role:
        activities = activities.filter(role=role)
    return Figure.count(activities)


def processing_activities_as_controller(year: int, *, entity: EntityScope | None = None) -> Figure:
    """E2_PROCESSING_AS_CONTROLLER."""
    return processing_activities(year, role=ProcessingRole.CONTROLLER, entity=entity)


def processing_activities_as_processor(year: int, *, entity: EntityScope | None = None) -> Figure:
    """E2_PROCESSING_AS_PROCESSOR."""
    return processing_activities(year, role=ProcessingRole.PROCESSOR, entity=entity)
