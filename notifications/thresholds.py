"""Thresholds as settings: `VIGIE_ALERT_THRESHOLDS` maps a rule code to its list of offsets.

Read at call time (a rule's `thresholds` is a property), so a changed setting applies at the next sweep;
a rule absent from the setting keeps its defaults. Two kinds of lists:

- days before the deadline day (Paris calendar days, midnight): `[7, 3, 1, -1]`; a negative number is
  days after it, -1 being "overdue" (the day after the deadline day). 2 or more: "due soon"; 0 and 1:
  "urgent"; negative: "overdue", always sent at once;
- hours after a clock's start for an exact-duration deadline (the 72-hour breach clock): `[24, 48, 60, 72]`,
  turned into exact durations relative to the deadline (24 h after awareness = the deadline − 48 h).

Changing the thresholds of a rule changes the codes of the alerts to come, not those already in the
ledger (an alert is written once per threshold crossed).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings

from .models import Urgency
from .registry import Threshold


def configured(code: str, default: Iterable[int]) -> list[int]:
    """The offsets of rule `code` from VIGIE_ALERT_THRESHOLDS, else `default`."""
    values = (getattr(settings, "VIGIE_ALERT_THRESHOLDS", None) or {}).get(code)
    return [int(v) for v in (default if values is None else values)]


def day_threshold(days: int, *, immediate: bool | None = None) -> Threshold:
    """The threshold `days` calendar days before the deadline day (negative: after it)."""
    if days < 0:
        code = "overdue" if days == -1 else f"overdue+{-days - 1}d"
        return Threshold(code, Urgency.OVERDUE, days_before=days, immediate=True if immediate is None else immediate)
    urgency = Urgency.URGENT if days <= 1 else Urgency.SOON
    return Threshold(f"d-{days}", urgency, days_before=days, immediate=bool(immediate))


def day_thresholds(code: str, default: Iterable[int], *, immediate: bool | None = None) -> tuple[Threshold, ...]:
    """Rule `code`'s day thresholds, earliest first."""
    return tuple(
        day_threshold(days, immediate=immediate) for days in sorted(set(configured(code, default)), reverse=True)
    )


def hour_thresholds(
    code: str, default: Iterable[int], *, period: dt.timedelta, immediate: bool = True
) -> tuple[Threshold, ...]:
    """Rule `code`'s thresholds at exact hours after the start of a `period`-long clock (the deadline is
    start + period): "h+24" is 24 hours after the start. At or after the deadline: "overdue"."""
    thresholds = []
    for hours in sorted(set(configured(code, default))):
        offset = dt.timedelta(hours=hours) - period
        urgency = Urgency.OVERDUE if offset >= dt.timedelta(0) else Urgency.URGENT
        thresholds.append(Threshold(f"h+{hours}", urgency, after_deadline=offset, immediate=immediate))
    return tuple(thresholds)
