"""What the beat schedule's alert entries do (notifications/tasks.py calls these), and how a lost trigger
is caught up.

Beat drops a trigger it cannot hand to the broker ("Couldn't apply scheduled task ..." while Redis is
down) and does not fire it again. The daily sweep (VIGIE_DAILY_SWEEP_AT, 00:15) and the digests
(VIGIE_DIGEST_HOUR, 07:00) have one trigger a day each: so a day's run is recorded in the database
(`DailyRun`, written when the work is complete), and every hourly tick does the day's sweep when its time
has passed and it has no record yet, and sends the day's digests when their hour has passed and they
have not all gone. A tick after a lost one, or the trigger itself, does the work once: a second run finds
the record (and the ledger's constraints make even two at once harmless).

Schedules of the rules: a rule's optional class attribute `schedule` is "daily" (the default),
"hourly" (breaches: the 72-hour clock) or "monthly" (training renewals). The hourly sweep runs the
"hourly" rules; the daily sweep runs every rule, the "monthly" ones included: the ledger makes a
daily run of a monthly rule alert each renewal once, on the first day it falls within its window, and
a run on the 1st only would lose a month to one missed night. So "monthly" is documentation of how
rarely such a rule's records change, not a separate beat entry.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import DailyJob, DailyRun
from .registry import Rule, get_rules
from .sending import SendReport, digests_left, send_pending
from .sweep import SweepReport, sweep

logger = logging.getLogger(__name__)

SCHEDULES = ("hourly", "daily")


def rules_for(schedule: str) -> list[Rule]:
    """The rules a sweep of this schedule runs: "hourly" → the hourly ones; "daily" → all of them."""
    if schedule not in SCHEDULES:
        raise ValueError(f"unknown schedule {schedule!r} (expected one of {', '.join(SCHEDULES)})")
    rules = get_rules()
    if schedule == "hourly":
        return [rule for rule in rules if getattr(rule, "schedule", "daily") == "hourly"]
    return rules


def daily_sweep_time() -> dt.time:
    hour, minute = settings.VIGIE_DAILY_SWEEP_AT
    return dt.time(hour, minute)


def _done(job: DailyJob, day: dt.date) -> bool:
    return DailyRun.objects.filter(job=job, day=day).exists()


def _record(job: DailyJob, day: dt.date, now: dt.datetime) -> None:
    try:
        with transaction.atomic():  # a savepoint: another run recording the same day is not an error
            DailyRun.objects.get_or_create(job=job, day=day, defaults={"done_at": now})
    except IntegrityError:
        pass


def daily_sweep_due(now: dt.datetime) -> bool:
    """Today's (Paris) sweep of every rule is due: its time has passed and it has not been done."""
    local = timezone.localtime(now)
    return local.time() >= daily_sweep_time() and not _done(DailyJob.SWEEP, local.date())


def digests_due(now: dt.datetime) -> bool:
    """Today's (Paris) digests are due: their hour has passed and they have not all gone."""
    local = timezone.localtime(now)
    return local.hour >= settings.VIGIE_DIGEST_HOUR and not _done(DailyJob.DIGESTS, local.date())


def run_sweep(schedule: str, now: dt.datetime) -> tuple[str, SweepReport]:
    """The sweep of `schedule`; an hourly one is the day's full sweep when that is due (its trigger was
    lost). Returns the schedule actually run and its report."""
    if schedule == "hourly" and daily_sweep_due(now):
        logger.warning("notifications: today's daily sweep has not run (its trigger was lost): running it now")
        schedule = "daily"
    report = sweep(now, rules=rules_for(schedule))
    if schedule == "daily":
        _record(DailyJob.SWEEP, timezone.localdate(now), now)
    return schedule, report


def run_sending(now: dt.datetime, *, digests: bool) -> SendReport:
    """Send the immediate alerts that are due and, with `digests` and when today's are due (their hour has
    passed, not all gone yet), the day's digests; today's digests are recorded done once all have gone."""
    with_digests = digests and digests_due(now)
    report = send_pending(now, digests=with_digests)
    if with_digests and not digests_left(now):
        _record(DailyJob.DIGESTS, timezone.localdate(now), now)
    return report
