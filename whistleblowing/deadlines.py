"""The whistleblowing clock (loi 2016-1691 art. 8; décret 2022-1284 art. 4): acknowledgment, feedback, meeting.

Pure date logic with no ORM, beside gdpr/deadlines.py and on its calendar (the same public holidays, FR or
FR-57, from the same `holidays` tables): the rules and their sources are in docs/rules.md ("Whistleblowing
reports").

* ``acknowledgment_deadline(received)``: the 7th working day after the Paris date of receipt (the day of
  receipt does not count; working days are Monday to Friday except the calendar's public holidays).
* ``feedback_deadline(received, acknowledged_on=...)``: 3 months (same day number, clamped to the month's
  end, never rolled: the period is a maximum) from the EARLIER of the acknowledgment and the 7th working day,
  so a late acknowledgment does not buy time.
* ``meeting_deadline(requested_on)``: the 20th working day after the request.

Each returns a frozen ``ClockDeadline`` whose ``explanation`` is rendered in the language active when it is
read. No deadline runs for an anonymous report that leaves no means of contact: the services do not call
these functions then (they store NULL and say why in the ledger).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TypeAlias

from dateutil.relativedelta import relativedelta

from core.dates import DayLike, format_date, paris_date

# The calendar, its translation helpers and the weekday names are gdpr/deadlines.py's: one holiday logic.
from gdpr.deadlines import (
    HolidayCalendar,
    _,
    _weekday,
    holiday_name,
    is_working_day,
    ngettext,
    policy_from_settings,
)

__all__ = [
    "ACKNOWLEDGMENT_WORKING_DAYS",
    "FEEDBACK_MONTHS",
    "MEETING_WORKING_DAYS",
    "ClockDeadline",
    "ClockKind",
    "HolidayCalendar",
    "acknowledgment_deadline",
    "add_working_days",
    "feedback_deadline",
    "meeting_deadline",
    "working_days_between",
]

ACKNOWLEDGMENT_WORKING_DAYS = 7
FEEDBACK_MONTHS = 3
MEETING_WORKING_DAYS = 20

# No calendar has more than 4 days off in a row; a count that needs far more days than this is a bug.
_MAX_SPAN_FACTOR = 3


class ClockKind(enum.StrEnum):
    """The three clocks (the values of whistleblowing.choices.DeadlineKind)."""

    ACKNOWLEDGMENT = "acknowledgment"
    FEEDBACK = "feedback"
    MEETING = "meeting"


CalendarLike: TypeAlias = HolidayCalendar | str


def _calendar(calendar: CalendarLike | None) -> HolidayCalendar:
    if calendar is None:
        return policy_from_settings().calendar
    return HolidayCalendar(calendar)


def add_working_days(start: DayLike, days: int, calendar: CalendarLike = HolidayCalendar.FR) -> date:
    """The `days`-th working day after `start` (the Paris date of `start` itself never counts)."""
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise ValueError(f"days must be a positive integer, not {days!r}")
    cal = HolidayCalendar(calendar)
    current = paris_date(start)
    counted = 0
    for _step in range(days * _MAX_SPAN_FACTOR + 10):
        current += timedelta(days=1)
        if is_working_day(current, cal):
            counted += 1
            if counted == days:
                return current
    raise RuntimeError(f"fewer than {days} working days after {start}: check the calendar")  # pragma: no cover


def working_days_between(start: date, end: date, calendar: CalendarLike = HolidayCalendar.FR) -> int:
    """How many working days fall after `start` up to and including `end` (0 when `end` <= `start`)."""
    cal = HolidayCalendar(calendar)
    count = 0
    day = start + timedelta(days=1)
    while day <= end:
        if is_working_day(day, cal):
            count += 1
        day += timedelta(days=1)
    return count


# --- explanation steps: language-neutral facts, rendered when read ------------------------------------------


@dataclass(frozen=True, slots=True)
class _WorkingDaysCounted:
    """`start` + `days` working days = `result`; the public holidays that fell on a weekday in between are
    named, since they are what moved the date (weekends are implied by "working days")."""

    kind: ClockKind
    start: date
    days: int
    result: date
    calendar: HolidayCalendar

    def render(self) -> str:
        params = {
            "start": f"{_weekday(self.start)} {format_date(self.start)}",
            "period": ngettext("%(count)d working day", "%(count)d working days", self.days) % {"count": self.days},
            "result": f"{_weekday(self.result)} {format_date(self.result)}",
        }
        if self.kind is ClockKind.MEETING:
            text = _("meeting requested %(start)s + %(period)s (that day not counted) = %(result)s") % params
        else:
            text = _("received %(start)s + %(period)s (that day not counted) = %(result)s") % params
        skipped = []
        day = self.start + timedelta(days=1)
        while day < self.result:
            name = holiday_name(day, self.calendar)
            if name is not None and day.weekday() < 5:
                skipped.append(
                    _("%(day)s, %(holiday)s, is a public holiday") % {"day": format_date(day), "holiday": name}
                )
            day += timedelta(days=1)
        if skipped:
            text += " (" + _("Saturdays and Sundays not counted; %(holidays)s") % {"holidays": "; ".join(skipped)} + ")"
        else:
            text += " " + _("(Saturdays and Sundays not counted)")
        return text


@dataclass(frozen=True, slots=True)
class _FeedbackStart:
    """The feedback period runs from the earlier of the acknowledgment and the 7th working day."""

    acknowledgment_due_on: date
    acknowledged_on: date | None
    start: date

    def render(self) -> str:
        params = {
            "due": format_date(self.acknowledgment_due_on),
            "acknowledged": format_date(self.acknowledged_on, missing="-"),
            "start": format_date(self.start),
        }
        if self.acknowledged_on is None:
            return _("no acknowledgment yet: the period runs from the end of the 7 working days, %(due)s") % params
        if self.acknowledged_on <= self.acknowledgment_due_on:
            return _("acknowledged %(acknowledged)s (by %(due)s): the period runs from %(start)s") % params
        return (
            _("acknowledged late, %(acknowledged)s: the period still runs from the end of the 7 working days, %(due)s")
            % params
        )


@dataclass(frozen=True, slots=True)
class _MonthsAdded:
    start: date
    months: int
    result: date
    calendar: HolidayCalendar

    def render(self) -> str:
        params = {
            "start": format_date(self.start),
            "period": ngettext("%(count)d month", "%(count)d months", self.months) % {"count": self.months},
            "result": format_date(self.result),
        }
        text = _("%(start)s + %(period)s = %(result)s") % params
        if self.result.day != self.start.day:
            text += " " + _("(no day %(day)d in that month: its last day)") % {"day": self.start.day}
        if not is_working_day(self.result, self.calendar):
            text += " " + _("(a day off, not moved: the period is a maximum)")
        return text


_Step: TypeAlias = _WorkingDaysCounted | _FeedbackStart | _MonthsAdded


@dataclass(frozen=True, slots=True)
class ClockDeadline:
    """A computed due date: `start` is the date the period runs from (receipt, the feedback start, the meeting
    request), `due_on` the last day (until 24:00 Paris time). `explanation` is rendered when read."""

    kind: ClockKind
    start: date
    due_on: date
    calendar: HolidayCalendar
    trace: tuple[_Step, ...] = field(default=(), repr=False)

    @property
    def steps(self) -> tuple[str, ...]:
        return tuple(step.render() for step in self.trace)

    @property
    def explanation(self) -> str:
        return "; ".join(self.steps)

    def __str__(self) -> str:
        return self.explanation


def acknowledgment_deadline(received: DayLike, *, calendar: CalendarLike | None = None) -> ClockDeadline:
    """The 7th working day after the Paris date of receipt (`received`: a date or an aware datetime)."""
    cal = _calendar(calendar)
    start = paris_date(received)
    due = add_working_days(start, ACKNOWLEDGMENT_WORKING_DAYS, cal)
    step = _WorkingDaysCounted(ClockKind.ACKNOWLEDGMENT, start, ACKNOWLEDGMENT_WORKING_DAYS, due, cal)
    return ClockDeadline(ClockKind.ACKNOWLEDGMENT, start, due, cal, (step,))


def feedback_deadline(
    received: DayLike, *, acknowledged_on: DayLike | None = None, calendar: CalendarLike | None = None
) -> ClockDeadline:
    """3 months (clamped, not rolled) from the earlier of `acknowledged_on` and the 7th working day after
    receipt. An acknowledgment before the Paris date of receipt is refused (ValueError)."""
    cal = _calendar(calendar)
    acknowledgment = acknowledgment_deadline(received, calendar=cal)
    acknowledged = paris_date(acknowledged_on) if acknowledged_on is not None else None
    if acknowledged is not None and acknowledged < acknowledgment.start:
        raise ValueError(f"acknowledged on {acknowledged}, before the report was received on {acknowledgment.start}")
    start = acknowledgment.due_on if acknowledged is None else min(acknowledged, acknowledgment.due_on)
    # relativedelta keeps the day number and clamps to the month's last day; no rollover (a maximum).
    due = start + relativedelta(months=FEEDBACK_MONTHS)
    trace: tuple[_Step, ...] = (
        *acknowledgment.trace,
        _FeedbackStart(acknowledgment.due_on, acknowledged, start),
        _MonthsAdded(start, FEEDBACK_MONTHS, due, cal),
    )
    return ClockDeadline(ClockKind.FEEDBACK, start, due, cal, trace)


def meeting_deadline(requested_on: DayLike, *, calendar: CalendarLike | None = None) -> ClockDeadline:
    """The 20th working day after the Paris date of the request."""
    cal = _calendar(calendar)
    start = paris_date(requested_on)
    due = add_working_days(start, MEETING_WORKING_DAYS, cal)
    step = _WorkingDaysCounted(ClockKind.MEETING, start, MEETING_WORKING_DAYS, due, cal)
    return ClockDeadline(ClockKind.MEETING, start, due, cal, (step,))
