"""Reads behind the gdpr indicators (docs/rules.md, "Indicator methods"); each returns a core Figure.

"In Y" means a date between Y-01-01 and Y-12-31 in Paris time. Rates count what could be judged:
an open request whose deadline has not passed yet is neither on time nor late.
"""
from __future__ import annotations

import datetime as dt

from dataclasses import replace

from django.db.models import Case, Count, DurationField, ExpressionWrapper, F, Q, Sum, When
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from core.figures import Figure, one_decimal

from .choices import CnilCaseKind, Outcome, ProcessingRole
from .models import Breach, CnilCase, ProcessingActivity, RightsRequest


def _paris_day(field: str) -> TruncDate:
    """The calendar date of a datetime column in Paris time, computed by the database."""
    return TruncDate(field, tzinfo=timezone.get_default_timezone())


def rights_requests_received(year: int) -> Figure:
    """E2_RIGHTS_REQUESTS: rights requests received in Y, answered or not (the contract of docs/interfaces.md;
    labelled "received": the ones answered are E2_RIGHTS_REQUESTS_ANSWERED)."""
    return Figure.count(RightsRequest.objects.received_in(year))


def rights_requests_answered(year: int, *, now: dt.datetime | None = None) -> Figure:
    """E2_RIGHTS_REQUESTS_ANSWERED: requests received in Y and answered by `now` (the computation), refusals
    included, withdrawals not (a withdrawal's date is stored in answered_at, but it is not an answer). What
    the 2023 DPEF called "reçues et traitées"; E2_RIGHTS_REQUESTS counts them all, open ones included."""
    now = now or timezone.now()
    answered = (RightsRequest.objects.received_in(year).filter(answered_at__isnull=False, answered_at__lte=now)
                .exclude(outcome=Outcome.WITHDRAWN))
    return Figure.count(answered)


def rights_request_mean_days(year: int) -> Figure:
    """E2_RIGHTS_REQUEST_MEAN_DAYS: mean of (answer date − receipt date), calendar days, Paris dates,
    over the requests received in Y and answered (refusals included, withdrawals not);
    numerator = total days, denominator = requests."""
    # A withdrawal is not an answer: its date is stored in answered_at, but it is not counted.
    answered = RightsRequest.objects.received_in(year).filter(answered_at__isnull=False).exclude(outcome=Outcome.WITHDRAWN)
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


def rights_requests_on_time_rate(year: int, *, today: dt.date | None = None) -> Figure:
    """E2_RIGHTS_REQUESTS_ON_TIME_RATE: requests received in Y answered on or before their applicable
    deadline (the extended one when validly extended, pauses included) ÷ those answered or whose
    applicable deadline has passed. Open and overdue requests count as late. A refusal (refused, or
    manifestly unfounded: Art. 12(4)-(5)) is due within the first, one-month deadline even after an
    extension (docs/rules.md: "notified within the same month")."""
    today = today or timezone.localdate()
    deadline = Case(When(outcome__in=(Outcome.REFUSED, Outcome.UNFOUNDED), then=F("due_on")),
                    default=Coalesce("extended_due_on", "due_on"))
    judged = (
        RightsRequest.objects.received_in(year)
        .exclude(outcome=Outcome.WITHDRAWN)  # withdrawn: neither on time nor late
        .annotate(deadline=deadline, answered_on=_paris_day("answered_at"))
        .filter(Q(answered_at__isnull=False) | Q(deadline__lt=today))
    )
    counts = judged.aggregate(
        total=Count("pk"), on_time=Count("pk", filter=Q(answered_at__isnull=False, answered_on__lte=F("deadline")))
    )
    return Figure.rate(counts["on_time"], counts["total"], judged)


def cnil_referrals_received(year: int) -> Figure:
    """E2_CNIL_REFERRALS: CNIL referrals received in Y."""
    return Figure.count(CnilCase.objects.referrals().received_in(year))


def cnil_complaints_without_referral(year: int) -> Figure:
    """E2_CNIL_COMPLAINTS_WITHOUT_REFERRAL: complaints without referral received in Y."""
    return Figure.count(CnilCase.objects.filter(kind=CnilCaseKind.COMPLAINT_WITHOUT_REFERRAL).received_in(year))


def _answered_by_reply_date(cases, today: dt.date) -> Figure:  # noqa: ANN001 - a CnilCase QuerySet
    """Of `cases` (all with a reply date), those answered on or before it ÷ those answered or past it."""
    judged = cases.filter(Q(answered_on__isnull=False) | Q(due_on__lt=today))
    counts = judged.aggregate(
        total=Count("pk"), on_time=Count("pk", filter=Q(answered_on__isnull=False, answered_on__lte=F("due_on")))
    )
    return Figure.rate(counts["on_time"], counts["total"], judged)


def cnil_referrals_on_time_rate(year: int, *, today: dt.date | None = None) -> Figure:
    """E2_CNIL_REFERRALS_ON_TIME_RATE: referrals received in Y answered on or before their due date ÷
    referrals received in Y that are answered or past due."""
    return _answered_by_reply_date(CnilCase.objects.referrals().received_in(year), today or timezone.localdate())


def cnil_complaints_on_time_rate(year: int, *, today: dt.date | None = None) -> Figure:
    """E2_CNIL_COMPLAINTS_ON_TIME_RATE: complaints without referral received in Y on which a CNIL letter set
    a reply date, answered on or before it ÷ those answered or past it (the 2023 DPEF: answered "dans le
    délai prescrit (10 jours)"). A complaint without a reply date cannot be late: it is not judged."""
    complaints = (CnilCase.objects.filter(kind=CnilCaseKind.COMPLAINT_WITHOUT_REFERRAL, due_on__isnull=False)
                  .received_in(year))
    return _answered_by_reply_date(complaints, today or timezone.localdate())


def breach_notifications(year: int) -> Figure:
    """E2_BREACH_NOTIFICATIONS: breaches whose initial notification to the CNIL is dated in Y."""
    return Figure.count(Breach.objects.notified_in(year))


def breach_notified_within_72h_rate(year: int) -> Figure:
    """E2_BREACH_NOTIFIED_WITHIN_72H_RATE: of the breaches notified in Y, those notified within 72 hours."""
    notified = Breach.objects.notified_in(year)
    counts = notified.aggregate(
        total=Count("pk"), on_time=Count("pk", filter=Q(notified_at__lte=F("notification_due_at")))
    )
    return Figure.rate(counts["on_time"], counts["total"], notified)


def processing_activities(year: int, *, role: str | None = None) -> Figure:
    """E2_PROCESSING_ACTIVITIES (and by role): activities in the register on Y-12-31."""
    activities = ProcessingActivity.objects.in_register_on(dt.date(year, 12, 31))
    if role:
        activities = activities.filter(role=role)
    return Figure.count(activities)


def processing_activities_as_controller(year: int) -> Figure:
    """E2_PROCESSING_AS_CONTROLLER."""
    return processing_activities(year, role=ProcessingRole.CONTROLLER)


def processing_activities_as_processor(year: int) -> Figure:
    """E2_PROCESSING_AS_PROCESSOR."""
    return processing_activities(year, role=ProcessingRole.PROCESSOR)
