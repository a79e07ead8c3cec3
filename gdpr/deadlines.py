"""The legal deadline calendar: rights-request deadlines (GDPR Art. 12(3)) and the breach clock (Art. 33).

Pure date logic with no ORM, so services, sweeps and tests share one answer; the rules and their sources
are in docs/rules.md ("Rights requests", "Personal-data breaches").

How to use it:

* ``rights_request_deadline(received)`` and ``extended_deadline(received)`` return a ``Deadline``: the due
  date (ends at 24:00 Paris time), the date before rollover, the policy that produced it, and an
  explanation rendered in the language active when it is *read* (the ``Deadline`` itself stores only
  language-neutral facts, so one object can be explained in French to the DPO and in English to an auditor).
* A pause (identity check or clarification) that has no answer yet suspends the deadline: no date can be
  stated. Without ``as_of`` the functions raise ``DeadlineSuspended``; with ``as_of=<day>`` they return a
  ``Deadline`` whose ``suspended_since`` is set and whose ``due_on`` is the earliest the deadline can now be
  (as if the answer came on ``as_of``; it moves one day later for every further day without answer).
  A service storing a deadline column should store nothing (NULL) while suspended.
* ``breach_notification_deadline(aware_at)`` returns awareness + 72 elapsed hours as an aware UTC datetime;
  convert with ``to_paris()`` to display it.
* Policies (docs/rules.md "Settings") are a frozen ``DeadlinePolicy``; ``policy=None`` reads
  ``settings.VIGIE_GDPR_DEADLINES`` through ``policy_from_settings()``. Passing a policy needs no Django.
  People read a policy in words (``explain()``, in the active language); ``describe()`` and ``as_dict()``
  are for machines.
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeAlias

import holidays
from dateutil.easter import easter
from dateutil.relativedelta import relativedelta

# PARIS, paris_date and to_paris are shared (core/dates.py) and re-exported with the calendar.
from core.dates import PARIS, DayLike, format_date, format_datetime, paris_date, to_paris

__all__ = [
    "BREACH_NOTIFICATION_PERIOD",
    "PARIS",
    "Deadline",
    "DeadlinePolicy",
    "DeadlineSuspended",
    "ExtensionBase",
    "HolidayCalendar",
    "Pause",
    "PausePolicy",
    "Rollover",
    "breach_deadline_explanation",
    "breach_notification_deadline",
    "extended_deadline",
    "holiday_name",
    "internal_target",
    "is_working_day",
    "next_working_day",
    "paris_date",
    "policy_from_settings",
    "rights_request_deadline",
    "to_paris",
]

BREACH_NOTIFICATION_PERIOD = timedelta(hours=72)
SETTINGS_NAME = "VIGIE_GDPR_DEADLINES"

# Longest run of non-working days is 4 (Good Friday to Easter Monday in Alsace-Moselle); a loop that
# goes further means a broken calendar, not a long weekend.
_MAX_ROLLOVER_DAYS = 10


class Rollover(enum.StrEnum):
    """What happens when the period ends on a Saturday, Sunday or public holiday (Reg. 1182/71 art. 3(4))."""

    NEXT_WORKING_DAY = "next_working_day"
    NONE = "none"


class HolidayCalendar(enum.StrEnum):
    """Which public holidays count: metropolitan France, or Alsace-Moselle (adds Good Friday and 26 Dec)."""

    FR = "FR"
    FR_57 = "FR-57"

    @property
    def holidays_subdivision(self) -> str | None:
        # The `holidays` package files Alsace-Moselle under "57" (Moselle; "6AE" for Alsace is the same list).
        return {HolidayCalendar.FR: None, HolidayCalendar.FR_57: "57"}[self]


class ExtensionBase(enum.StrEnum):
    """Where the extended period (Art. 12(3): "two further months") is counted from.

    Never from the rolled one-month date: rolling first and adding two months can land days late.
    """

    RECEIPT_PLUS_3_MONTHS = "receipt_plus_3_months"  # docs/rules.md default
    FIRST_RAW_PLUS_2_MONTHS = "first_raw_plus_2_months"  # stricter reading: unrolled first date + 2 months


class PausePolicy(enum.StrEnum):
    """What a pause (identity check, clarification; décret 2019-536) does to the deadline."""

    ADD_ELAPSED_DAYS = "add_elapsed_days"
    NONE = "none"


CalendarLike: TypeAlias = HolidayCalendar | str


@dataclass(frozen=True, slots=True)
class DeadlinePolicy:
    """The policies docs/rules.md leaves to the company, with its defaults. Strings are accepted and validated."""

    rollover: Rollover = Rollover.NEXT_WORKING_DAY
    calendar: HolidayCalendar = HolidayCalendar.FR
    extension_base: ExtensionBase = ExtensionBase.RECEIPT_PLUS_3_MONTHS
    pause: PausePolicy = PausePolicy.ADD_ELAPSED_DAYS
    internal_target_days: int = 7

    def __post_init__(self) -> None:
        # frozen: coerce through object.__setattr__ so DeadlinePolicy(calendar="FR-57") works from settings.
        object.__setattr__(self, "rollover", Rollover(self.rollover))
        object.__setattr__(self, "calendar", HolidayCalendar(self.calendar))
        object.__setattr__(self, "extension_base", ExtensionBase(self.extension_base))
        object.__setattr__(self, "pause", PausePolicy(self.pause))
        days = self.internal_target_days
        if isinstance(days, bool) or not isinstance(days, int) or days < 0:
            raise ValueError(f"internal_target_days must be a non-negative integer, not {days!r}")

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> DeadlinePolicy:
        """Build from the settings dict (upper-case keys); unknown keys are refused, so a typo is not silent."""
        keys = {
            "ROLLOVER": "rollover",
            "CALENDAR": "calendar",
            "EXTENSION_BASE": "extension_base",
            "PAUSE": "pause",
            "INTERNAL_TARGET_DAYS": "internal_target_days",
        }
        unknown = sorted(set(values) - set(keys))
        if unknown:
            raise ValueError(f"unknown keys {unknown}; expected some of {sorted(keys)}")
        return cls(**{keys[k]: v for k, v in values.items()})

    def describe(self) -> str:
        """A stable, language-neutral label of the policy, for logs and machines (never shown to people:
        `explain()` says it in words)."""
        return (
            f"rollover={self.rollover.value}, calendar={self.calendar.value}, "
            f"extension_base={self.extension_base.value}, pause={self.pause.value}, "
            f"internal_target_days={self.internal_target_days}"
        )

    @classmethod
    def from_description(cls, text: str) -> DeadlinePolicy | None:
        """The policy `describe()` wrote in `text` (e.g. a stored explanation), or None when there is none."""
        found = _DESCRIPTION.search(text)
        if found is None:
            return None
        try:
            return cls(
                rollover=Rollover(found["rollover"]),
                calendar=HolidayCalendar(found["calendar"]),
                extension_base=ExtensionBase(found["extension_base"]),
                pause=PausePolicy(found["pause"]),
                internal_target_days=int(found["internal_target_days"]),
            )
        except ValueError:
            return None

    def as_dict(self) -> dict[str, str | int]:
        """The settings as values (the API's machine-readable form)."""
        return {
            "rollover": self.rollover.value,
            "calendar": self.calendar.value,
            "extension_base": self.extension_base.value,
            "pause": self.pause.value,
            "internal_target_days": self.internal_target_days,
        }

    def explain(self) -> str:
        """The policy in words, in the active language: one clause per setting, e.g. "deadline moved to
        the next working day when it falls on a Saturday, a Sunday or a public holiday (calendar of
        metropolitan France); extension counted from receipt (receipt + 3 months); ..."."""
        days = self.internal_target_days
        if days:
            target = ngettext(
                "internal target: %(count)d day before the deadline",
                "internal target: %(count)d days before the deadline",
                days,
            ) % {"count": days}
        else:
            target = _("internal target: the deadline itself")
        return _("%(rollover)s (%(calendar)s); %(extension)s; %(pause)s; %(target)s") % {
            "rollover": _rollover_words(self.rollover),
            "calendar": _calendar_words(self.calendar),
            "extension": _extension_words(self.extension_base),
            "pause": _pause_words(self.pause),
            "target": target,
        }


_DESCRIPTION = re.compile(
    r"rollover=(?P<rollover>[\w-]+), calendar=(?P<calendar>[\w-]+), extension_base=(?P<extension_base>[\w-]+), "
    r"pause=(?P<pause>[\w-]+), internal_target_days=(?P<internal_target_days>\d+)"
)


# Each value of each policy setting in words (spelled out for makemessages). A new value without words
# fails here at once (KeyError) and in tests/gdpr/test_deadlines.py.


def _rollover_words(value: Rollover) -> str:
    return {
        Rollover.NEXT_WORKING_DAY: _(
            "deadline moved to the next working day when it falls on a Saturday, a Sunday or a public holiday"
        ),
        Rollover.NONE: _("deadline kept as it is even when it falls on a Saturday, a Sunday or a public holiday"),
    }[value]


def _calendar_words(value: HolidayCalendar) -> str:
    return {
        HolidayCalendar.FR: _("calendar of metropolitan France"),
        HolidayCalendar.FR_57: _("calendar of Alsace-Moselle, with Good Friday and 26 December"),
    }[value]


def _extension_words(value: ExtensionBase) -> str:
    return {
        ExtensionBase.RECEIPT_PLUS_3_MONTHS: _("extension counted from receipt (receipt + 3 months)"),
        ExtensionBase.FIRST_RAW_PLUS_2_MONTHS: _(
            "extension counted from the first deadline before any move (first deadline + 2 months)"
        ),
    }[value]


def _pause_words(value: PausePolicy) -> str:
    return {
        PausePolicy.ADD_ELAPSED_DAYS: _("a suspension adds the days elapsed until the answer"),
        PausePolicy.NONE: _("a suspension does not move the deadline"),
    }[value]


def policy_from_settings() -> DeadlinePolicy:
    """The policy configured in ``settings.VIGIE_GDPR_DEADLINES`` (missing keys take docs/rules.md defaults).

    Read at each call, not cached, so ``override_settings`` and a settings change are seen at once.
    """
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    values = getattr(settings, SETTINGS_NAME, None) or {}
    try:
        return DeadlinePolicy.from_mapping(values)
    except ValueError as exc:
        raise ImproperlyConfigured(f"settings.{SETTINGS_NAME}: {exc}") from exc


# --- the holiday calendar -------------------------------------------------------------------------------


def _calendar(calendar: CalendarLike) -> HolidayCalendar:
    return HolidayCalendar(calendar)


def _whit_monday(year: int) -> date:
    return easter(year) + timedelta(days=50)


@functools.lru_cache(maxsize=512)
def _holiday_names(calendar: HolidayCalendar, year: int, language: str) -> Mapping[date, str]:
    """Public holidays of one calendar and year, names in `language` (a `holidays` language code)."""
    found = holidays.country_holidays("FR", subdiv=calendar.holidays_subdivision, years=year, language=language)
    # A plain dict: a `holidays` object grows silently when asked about another year.
    return dict(found)


@functools.lru_cache(maxsize=512)
def _holiday_dates(calendar: HolidayCalendar, year: int) -> frozenset[date]:
    days = set(_holiday_names(calendar, year, "fr"))
    # Whit Monday stays in the Code du travail list (L.3133-1) even in the "journée de solidarité" years
    # 2005-2007, which `holidays` leaves out; docs/rules.md counts it as a public holiday every year.
    days.add(_whit_monday(year))
    return frozenset(days)


def _is_holiday(day: date, calendar: HolidayCalendar) -> bool:
    return day in _holiday_dates(calendar, day.year)


def is_working_day(day: date, calendar: CalendarLike = HolidayCalendar.FR) -> bool:
    """Monday to Friday and not a public holiday of `calendar` ("FR" or "FR-57")."""
    day = paris_date(day)
    return day.weekday() < 5 and not _is_holiday(day, _calendar(calendar))


def next_working_day(day: date, calendar: CalendarLike = HolidayCalendar.FR) -> date:
    """`day` itself when it is a working day, else the first working day after it (the rollover).

    Note: on-or-after, not strictly after, because that is what the rollover of a period end needs.
    """
    cal = _calendar(calendar)
    current = paris_date(day)
    for _attempt in range(_MAX_ROLLOVER_DAYS + 1):
        if is_working_day(current, cal):
            return current
        current += timedelta(days=1)
    raise RuntimeError(f"no working day within {_MAX_ROLLOVER_DAYS} days of {day}: check the calendar")


def _previous_working_day(day: date, calendar: HolidayCalendar) -> date:
    current = day
    for _attempt in range(_MAX_ROLLOVER_DAYS + 1):
        if is_working_day(current, calendar):
            return current
        current -= timedelta(days=1)
    raise RuntimeError(f"no working day within {_MAX_ROLLOVER_DAYS} days before {day}: check the calendar")


def holiday_name(day: date, calendar: CalendarLike = HolidayCalendar.FR) -> str | None:
    """The public holiday's name in the active language (French or English), or None on other days."""
    cal = _calendar(calendar)
    if not _is_holiday(day, cal):
        return None
    french = _active_language().startswith("fr")
    name = _holiday_names(cal, day.year, "fr" if french else "en_US").get(day)
    if name is None:  # Whit Monday in 2005-2007, added above
        name = _("Whit Monday")
    if french:
        # French writes day names in lower case, also in holidays: "lundi de Pâques", "vendredi saint".
        first, _sep, rest = name.partition(" ")
        if first.lower() in {"lundi", "vendredi"}:
            name = first.lower() + _sep + rest
    return name


# --- translations ---------------------------------------------------------------------------------------
# Resolved when an explanation is read, in the language active then. Without configured Django settings
# (a script, a bare test) the English source is used, so the module stays usable with no Django at all.
# The wrappers are named `_` and `ngettext` so that `makemessages` (xgettext) extracts their strings.


def _django_ready() -> bool:
    try:
        from django.conf import settings
    except ImportError:  # pragma: no cover - Django is a dependency of the project
        return False
    return settings.configured


def _(message: str) -> str:
    if not _django_ready():
        return message
    from django.utils.translation import gettext

    return gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    if not _django_ready():
        return singular if count == 1 else plural
    from django.utils import translation

    return translation.ngettext(singular, plural, count)


def _active_language() -> str:
    if not _django_ready():
        return "en"
    from django.utils.translation import get_language

    return get_language() or "en"


def _weekday(day: date) -> str:
    if not _django_ready():
        return day.strftime("%A")
    from django.utils.dates import WEEKDAYS  # already translated by Django's own catalogues

    return str(WEEKDAYS[day.weekday()])


def _months(count: int) -> str:
    return ngettext("%(count)d month", "%(count)d months", count) % {"count": count}


def _days(count: int) -> str:
    return ngettext("%(count)d day", "%(count)d days", count) % {"count": count}


# --- explanation steps: language-neutral facts, rendered when read --------------------------------------


@dataclass(frozen=True, slots=True)
class _MonthsAdded:
    start: date
    months: int
    result: date
    from_receipt: bool  # False: from the unrolled first deadline (ExtensionBase.FIRST_RAW_PLUS_2_MONTHS)

    def render(self) -> str:
        params = {"start": format_date(self.start), "period": _months(self.months), "result": format_date(self.result)}
        if self.from_receipt:
            text = _("received %(start)s + %(period)s = %(result)s") % params
        else:
            text = _("%(start)s + %(period)s = %(result)s") % params
        if self.result.day != self.start.day:  # the target month is too short: its last day (art. 3(2)(c))
            text += " " + _("(no day %(day)d in that month: its last day)") % {"day": self.start.day}
        return text


@dataclass(frozen=True, slots=True)
class _Paused:
    asked: date
    answered: date
    result: date

    def render(self) -> str:
        return _("+ %(days)s paused (information asked %(asked)s, answered %(answered)s) = %(result)s") % {
            "days": _days((self.answered - self.asked).days),
            "asked": format_date(self.asked),
            "answered": format_date(self.answered),
            "result": format_date(self.result),
        }


@dataclass(frozen=True, slots=True)
class _PauseOpen:
    """An open pause: the date the period ended on before it (`base`, unrolled) moves one day later for each
    day without an answer, then rolls. `as_of` is the day the caller asked about: when it is after `asked`,
    the days elapsed so far and the earliest deadline (`earliest`, rolled) are stated too."""

    asked: date
    as_of: date
    base: date
    earliest: date
    rolls: bool

    def render(self) -> str:
        params = {
            "asked": format_date(self.asked),
            "base": format_date(self.base),
            "as_of": format_date(self.as_of),
            "earliest": format_date(self.earliest),
            "days": _days(max(0, (self.as_of - self.asked).days)),
        }
        if self.rolls:
            text = _(
                "suspended since %(asked)s (information asked, no answer yet): the date of %(base)s will move "
                "later by as many days as the suspension lasts, then to the next working day if needed"
            )
        else:
            text = _(
                "suspended since %(asked)s (information asked, no answer yet): the date of %(base)s will move "
                "later by as many days as the suspension lasts"
            )
        text = text % params
        if self.as_of > self.asked:
            text += " " + _("(%(days)s so far on %(as_of)s: %(earliest)s at the earliest)") % params
        return text


@dataclass(frozen=True, slots=True)
class _PausesIgnored:
    def render(self) -> str:
        return _("pauses not counted (policy)")


def _why_not_working(day: date, calendar: HolidayCalendar) -> str:
    weekday = _weekday(day)
    name = holiday_name(day, calendar)
    if name is None:
        return _("a %(weekday)s") % {"weekday": weekday}
    if day.weekday() >= 5:
        return _("%(holiday)s (public holiday), a %(weekday)s") % {"holiday": name, "weekday": weekday}
    return _("%(holiday)s (public holiday)") % {"holiday": name}


@dataclass(frozen=True, slots=True)
class _Rolled:
    start: date  # the non-working day the period ended on (stated by the previous step)
    result: date
    calendar: HolidayCalendar

    def render(self) -> str:
        # "a Saturday → Monday 07/04/2025"; holidays skipped after the first day are named with their date,
        # weekend days after it are implied.
        parts = [_why_not_working(self.start, self.calendar)]
        day = self.start + timedelta(days=1)
        while day < self.result:
            if _is_holiday(day, self.calendar):
                parts.append(f"{format_date(day)}, {_why_not_working(day, self.calendar)}")
            day += timedelta(days=1)
        parts.append(f"{_weekday(self.result)} {format_date(self.result)}")
        return " → ".join(parts)


@dataclass(frozen=True, slots=True)
class _NotRolled:
    day: date
    calendar: HolidayCalendar

    def render(self) -> str:
        return _("%(reason)s, not moved (no rollover by policy)") % {
            "reason": _why_not_working(self.day, self.calendar)
        }


_Step: TypeAlias = _MonthsAdded | _Paused | _PauseOpen | _PausesIgnored | _Rolled | _NotRolled


# --- results --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Pause:
    """The controller asked for information (identity, scope) on `asked` and got it on `answered`.

    `answered=None`: still waiting. Dates or aware datetimes (taken as their Paris date).
    """

    asked: date
    answered: date | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "asked", paris_date(self.asked))
        if self.answered is not None:
            object.__setattr__(self, "answered", paris_date(self.answered))
            if self.answered < self.asked:
                raise ValueError(f"pause answered on {self.answered} before it was asked on {self.asked}")

    @property
    def is_open(self) -> bool:
        return self.answered is None


PauseLike: TypeAlias = Pause | tuple[DayLike, DayLike | None]


class DeadlineSuspended(ValueError):
    """A pause has no answer yet: the deadline cannot be stated (pass `as_of` for the earliest it can be)."""

    def __init__(self, since: date) -> None:
        self.since = since
        super().__init__(f"deadline suspended since {since}: information asked, no answer yet")


@dataclass(frozen=True, slots=True)
class Deadline:
    """A computed deadline: dates, the policy that produced them, and how (as language-neutral steps).

    `due_on` is the last day to answer (until 24:00 Paris time). `raw_on` is the date before rollover
    (receipt + months + paused days). `steps` and `explanation` are rendered in the active language each
    time they are read.
    """

    received_on: date
    months: int
    raw_on: date
    due_on: date
    policy: DeadlinePolicy
    paused_days: int = 0
    suspended_since: date | None = None
    trace: tuple[_Step, ...] = field(default=(), repr=False)

    @property
    def suspended(self) -> bool:
        """An open pause: `due_on` is only the earliest possible date as of the day asked for."""
        return self.suspended_since is not None

    @property
    def rolled(self) -> bool:
        return self.due_on != self.raw_on

    @property
    def steps(self) -> tuple[str, ...]:
        return tuple(step.render() for step in self.trace)

    @property
    def explanation(self) -> str:
        return ", ".join(self.steps)

    def __str__(self) -> str:
        return self.explanation


# --- rights requests ------------------------------------------------------------------------------------


def _as_pause(value: PauseLike) -> Pause:
    if isinstance(value, Pause):
        return value
    asked, answered = value
    return Pause(asked, answered)


def _merged_pauses(pauses: Iterable[Pause], *, as_of: date | None) -> list[tuple[date, date, bool]]:
    """Pauses as (start, end, open) intervals, overlapping ones merged so no day is counted twice."""
    intervals: list[tuple[date, date, bool]] = []
    for pause in sorted(pauses, key=lambda p: p.asked):
        if pause.answered is not None:
            end, is_open = pause.answered, False
        else:
            assert as_of is not None  # checked by the caller
            end, is_open = max(as_of, pause.asked), True
        if intervals and pause.asked <= intervals[-1][1]:
            start, previous_end, previous_open = intervals[-1]
            intervals[-1] = (start, max(previous_end, end), previous_open or is_open)
        else:
            intervals.append((pause.asked, end, is_open))
    return intervals


def _add_months(start: date, months: int, *, from_receipt: bool) -> tuple[date, _MonthsAdded]:
    # relativedelta keeps the day number and clamps to the month's last day (Reg. 1182/71 art. 3(2)(c)).
    result = start + relativedelta(months=months)
    return result, _MonthsAdded(start, months, result, from_receipt)


def _finish(
    received_on: date,
    months: int,
    raw: date,
    trace: list[_Step],
    pauses: Iterable[PauseLike],
    as_of: DayLike | None,
    policy: DeadlinePolicy,
) -> Deadline:
    """Add the pauses to the unrolled date, then roll once."""
    all_pauses = [_as_pause(p) for p in pauses]
    for pause in all_pauses:
        if pause.asked < received_on:
            raise ValueError(f"pause asked on {pause.asked}, before the request was received on {received_on}")
    paused_days = 0
    suspended_since: date | None = None
    open_pause: tuple[date, date] | None = None
    if all_pauses and policy.pause is PausePolicy.NONE:
        trace.append(_PausesIgnored())
    elif all_pauses:
        open_pauses = [p for p in all_pauses if p.is_open]
        as_of_day = paris_date(as_of) if as_of is not None else None
        if open_pauses and as_of_day is None:
            raise DeadlineSuspended(min(p.asked for p in open_pauses))
        for start, end, is_open in _merged_pauses(all_pauses, as_of=as_of_day):
            days = (end - start).days
            paused_days += days
            raw += timedelta(days=days)
            if is_open:
                suspended_since = start
                open_pause = (start, end)
            else:
                trace.append(_Paused(start, end, raw))
    due = raw
    if open_pause is not None:
        # No date runs while suspended: the step says how the date will move, the rollover included.
        rolls = policy.rollover is Rollover.NEXT_WORKING_DAY
        if rolls:
            due = next_working_day(raw, policy.calendar)
        asked, upto = open_pause
        base = raw - (upto - asked)  # the date before this pause's days (other pauses' days included)
        trace.append(_PauseOpen(asked, upto, base, due, rolls))
    elif not is_working_day(raw, policy.calendar):
        if policy.rollover is Rollover.NEXT_WORKING_DAY:
            due = next_working_day(raw, policy.calendar)
            trace.append(_Rolled(raw, due, policy.calendar))
        else:
            trace.append(_NotRolled(raw, policy.calendar))
    return Deadline(
        received_on=received_on,
        months=months,
        raw_on=raw,
        due_on=due,
        policy=policy,
        paused_days=paused_days,
        suspended_since=suspended_since,
        trace=tuple(trace),
    )


def rights_request_deadline(
    received: DayLike,
    *,
    months: int = 1,
    pauses: Iterable[PauseLike] = (),
    as_of: DayLike | None = None,
    policy: DeadlinePolicy | None = None,
) -> Deadline:
    """Receipt + `months` calendar months (clamped to the month's end), + paused days, then rolled.

    `received`: a date, or an aware datetime (its Paris date). `pauses`: ``Pause`` objects or
    ``(asked, answered)`` pairs. `as_of`: needed only when a pause is open, see the module docstring.
    """
    if isinstance(months, bool) or not isinstance(months, int) or months < 1:
        raise ValueError(f"months must be a positive integer, not {months!r}")
    policy = policy if policy is not None else policy_from_settings()
    received_on = paris_date(received)
    raw, step = _add_months(received_on, months, from_receipt=True)
    return _finish(received_on, months, raw, [step], pauses, as_of, policy)


def extended_deadline(
    received: DayLike,
    *,
    pauses: Iterable[PauseLike] = (),
    as_of: DayLike | None = None,
    policy: DeadlinePolicy | None = None,
) -> Deadline:
    """The deadline extended by two further months (Art. 12(3)): receipt + 3 months (clamped), then rolled.

    Counted from receipt (or, by policy, from the unrolled first date), never from the rolled first deadline.
    """
    policy = policy if policy is not None else policy_from_settings()
    received_on = paris_date(received)
    if policy.extension_base is ExtensionBase.RECEIPT_PLUS_3_MONTHS:
        raw, step = _add_months(received_on, 3, from_receipt=True)
        trace: list[_Step] = [step]
    else:
        first, first_step = _add_months(received_on, 1, from_receipt=True)
        raw, step = _add_months(first, 2, from_receipt=False)
        trace = [first_step, step]
    return _finish(received_on, 3, raw, trace, pauses, as_of, policy)


def internal_target(deadline: Deadline | date, policy: DeadlinePolicy | None = None) -> date:
    """When alerts start: `internal_target_days` calendar days before the legal deadline.

    Moved back to the previous working day when it falls on a day off, so the alert is never later than
    the configured margin. `policy` defaults to the deadline's own policy (or the settings for a date).
    """
    if policy is None:
        policy = deadline.policy if isinstance(deadline, Deadline) else policy_from_settings()
    due = deadline.due_on if isinstance(deadline, Deadline) else paris_date(deadline)
    return _previous_working_day(due - timedelta(days=policy.internal_target_days), policy.calendar)


# --- breaches -------------------------------------------------------------------------------------------


def breach_notification_deadline(aware_at: datetime) -> datetime:
    """Awareness + exactly 72 elapsed hours (Art. 33(1)), as an aware datetime in UTC. No rollover.

    Computed and returned in UTC: Python subtracts two datetimes sharing one ZoneInfo by wall clock, so a
    Paris-zoned result would show 71 or 73 hours across a daylight-saving change. Display with to_paris().
    """
    if not isinstance(aware_at, datetime) or aware_at.tzinfo is None or aware_at.utcoffset() is None:
        raise ValueError(f"the breach clock needs an aware datetime, not {aware_at!r}")
    return aware_at.astimezone(UTC) + BREACH_NOTIFICATION_PERIOD


def breach_deadline_explanation(aware_at: datetime) -> str:
    """E.g. "aware 28/03/2025 10:00 + 72 hours = 31/03/2025 11:00 (Paris time)", in the active language."""
    due = breach_notification_deadline(aware_at)
    return _("aware %(aware)s + 72 hours = %(due)s (Paris time)") % {
        "aware": format_datetime(aware_at),
        "due": format_datetime(due),
    }
