"""Aggregate reads of the AML/CFT app: the indicators (aml/indicators.py) and the screening coverage that the
screening runs store (aml.ScreeningRun.covered_counterparties / active_counterparties). Numbers only: no
function here returns a record or an id (no tipping off: an indicator may reach an auditor or the DPEF)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, F, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from core.figures import Figure

from .choices import HitStatus, RunStatus
from .models import Alert, Counterparty, Hit, ScreeningList, ScreeningRun


def _today() -> dt.date:
    return timezone.localdate()


def alerts_raised(year: int) -> Figure:
    """E1_AML_ALERTS: vigilance alerts raised in Y (Paris time), whatever their source and outcome."""
    return Figure(value=Alert.objects.raised_in(year).count())


def alerts_decided_on_time(year: int, *, today: dt.date | None = None) -> Figure:
    """E1_AML_ALERTS_DECIDED_ON_TIME: of the alerts raised in Y that are decided or past their analysis due
    date, those decided on or before it. An open alert past its date counts as late; one still within its
    target is not judged yet."""
    today = today or _today()
    judged = Alert.objects.raised_in(year).filter(Q(decided_on__isnull=False) | Q(analysis_due_on__lt=today))
    counts = judged.aggregate(
        total=Count("pk"),
        on_time=Count("pk", filter=Q(decided_on__isnull=False, decided_on__lte=F("analysis_due_on"))),
    )
    return Figure.rate(counts["on_time"], counts["total"])


def tracfin_reports(year: int) -> Figure:
    """E1_AML_TRACFIN_REPORTS: suspicious transaction reports sent to TRACFIN in Y (their date)."""
    return Figure(value=Alert.objects.filter(tracfin_reported_on__year=year).count())


def hits_reviewed_on_time(year: int, *, today: dt.date | None = None) -> Figure:
    """E1_AML_HITS_REVIEWED_ON_TIME: of the screening hits raised in Y that are reviewed or past their review
    due date, those reviewed on or before it (the review's Paris day)."""
    today = today or _today()
    paris = timezone.get_default_timezone()
    judged = Hit.objects.filter(raised_at__year=year).filter(~Q(status=HitStatus.PENDING) | Q(review_due_on__lt=today))
    counts = judged.annotate(reviewed_on=TruncDate("reviewed_at", tzinfo=paris)).aggregate(
        total=Count("pk"),
        on_time=Count("pk", filter=~Q(status=HitStatus.PENDING) & Q(reviewed_on__lte=F("review_due_on"))),
    )
    return Figure.rate(counts["on_time"], counts["total"])


@dataclass(frozen=True)
class Coverage:
    covered: int
    active: int


def coverage() -> Coverage:
    """Now: the active counterparties (aml.querysets.CounterpartyQuerySet.active) and how many of them are
    screened against the current version of every active list. A counterparty is covered by a list when,
    since the later of the list's loading and its own last change of screening data, either it was screened
    against every active list (`screened_at`) or a run screened every active counterparty against that list
    (`covered_at`). Without an active list, nobody is covered (there is nothing to screen against). One
    COUNT with one condition per active list (a handful)."""
    active = Counterparty.objects.active()
    lists = list(ScreeningList.objects.filter(active=True).values_list("loaded_at", "covered_at"))
    if not lists:
        return Coverage(0, active.count())
    condition = Q()
    for loaded_at, covered_at in lists:
        # screened_at >= max(changed_at, loaded_at), said as two comparisons.
        by_list = Q(screened_at__gte=F("changed_at"))
        if loaded_at is not None:
            by_list &= Q(screened_at__gte=loaded_at)
        if covered_at is not None and (loaded_at is None or covered_at >= loaded_at):
            by_list |= Q(changed_at__lte=covered_at)
        condition &= by_list
    counts = active.aggregate(active=Count("pk"), covered=Count("pk", filter=condition))
    return Coverage(counts["covered"], counts["active"])


def screening_coverage(year: int, *, today: dt.date | None = None) -> Figure:
    """E1_AML_SCREENING_COVERAGE: counterparties covered ÷ active counterparties (`coverage`): now for the
    current year, else as the last screening run finished in Y stored it (None: no run that year)."""
    today = today or _today()
    if year >= today.year:
        now = coverage()
        return Figure.rate(now.covered, now.active)
    run = _last_run(year)
    if run is None:
        return Figure(value=None)
    return Figure.rate(run.covered_counterparties, run.active_counterparties)


def _last_run(year: int) -> ScreeningRun | None:
    return (
        ScreeningRun.objects.filter(status=RunStatus.DONE, finished_at__year=year)
        .order_by("-finished_at", "-pk")
        .only("covered_counterparties", "active_counterparties")
        .first()
    )


def has_data(year: int, *, today: dt.date | None = None) -> bool:
    """Whether the AML/CFT function holds anything for Y: an alert or a hit raised in Y, a screening run in
    Y, or (the current year) counterparties to screen. A year with data and no report has 0 reports."""
    today = today or _today()
    return (
        Alert.objects.raised_in(year).exists()
        or Hit.objects.filter(raised_at__year=year).exists()
        or ScreeningRun.objects.filter(started_at__year=year).exists()
        or (year >= today.year and Counterparty.objects.active().exists())
    )
