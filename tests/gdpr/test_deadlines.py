"""The legal deadline calendar (gdpr/deadlines.py): properties over many dates, and the examples that matter."""

from __future__ import annotations

import ast
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import polib
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import translation
from hypothesis import given, settings as hypothesis_settings, strategies as st

from gdpr import deadlines
from gdpr.deadlines import (
    PARIS,
    DeadlinePolicy,
    DeadlineSuspended,
    ExtensionBase,
    HolidayCalendar,
    Pause,
    PausePolicy,
    Rollover,
    breach_deadline_explanation,
    breach_notification_deadline,
    extended_deadline,
    holiday_name,
    internal_target,
    is_working_day,
    next_working_day,
    paris_date,
    policy_from_settings,
    rights_request_deadline,
    to_paris,
)

FR = DeadlinePolicy()
FR_57 = DeadlinePolicy(calendar=HolidayCalendar.FR_57)
NO_ROLLOVER = DeadlinePolicy(rollover=Rollover.NONE)

receipts = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))
calendars = st.sampled_from(list(HolidayCalendar))
policies = st.builds(DeadlinePolicy, calendar=calendars, extension_base=st.sampled_from(list(ExtensionBase)))
date_properties = hypothesis_settings(max_examples=300, deadline=None)  # first use of a year builds its calendar


# --- properties -----------------------------------------------------------------------------------------


@date_properties
@given(received=receipts, months=st.integers(1, 3), policy=policies)
def test_the_deadline_is_a_working_day(received: date, months: int, policy: DeadlinePolicy) -> None:
    deadline = rights_request_deadline(received, months=months, policy=policy)
    assert is_working_day(deadline.due_on, policy.calendar)
    assert is_working_day(extended_deadline(received, policy=policy).due_on, policy.calendar)


@date_properties
@given(received=receipts, months=st.integers(1, 3), policy=policies)
def test_the_deadline_is_never_before_the_raw_date_nor_more_than_four_days_after(
    received: date, months: int, policy: DeadlinePolicy
) -> None:
    deadline = rights_request_deadline(received, months=months, policy=policy)
    assert deadline.raw_on <= deadline.due_on <= deadline.raw_on + timedelta(days=4)
    assert deadline.due_on == next_working_day(deadline.raw_on, policy.calendar)


@date_properties
@given(first=receipts, second=receipts, calendar=calendars)
def test_a_later_receipt_never_gives_an_earlier_deadline(first: date, second: date, calendar: HolidayCalendar) -> None:
    earlier, later = sorted((first, second))
    policy = DeadlinePolicy(calendar=calendar)
    assert (
        rights_request_deadline(earlier, policy=policy).due_on <= rights_request_deadline(later, policy=policy).due_on
    )
    assert extended_deadline(earlier, policy=policy).due_on <= extended_deadline(later, policy=policy).due_on


@date_properties
@given(received=receipts, policy=policies)
def test_the_extended_deadline_is_never_before_the_first(received: date, policy: DeadlinePolicy) -> None:
    first = rights_request_deadline(received, policy=policy)
    extended = extended_deadline(received, policy=policy)
    assert extended.due_on >= first.due_on
    assert extended.raw_on >= first.raw_on + timedelta(days=59)  # two further months, at least 59 days


@date_properties
@given(received=receipts, calendar=calendars)
def test_the_extension_counts_from_receipt_never_from_the_rolled_first_deadline(
    received: date, calendar: HolidayCalendar
) -> None:
    from dateutil.relativedelta import relativedelta

    policy = DeadlinePolicy(calendar=calendar)
    assert extended_deadline(received, policy=policy).raw_on == received + relativedelta(months=3)


@date_properties
@given(
    received=receipts,
    start_after=st.integers(0, 20),
    length=st.integers(0, 60),
    calendar=calendars,
)
def test_a_pause_adds_exactly_its_elapsed_calendar_days_before_rolling(
    received: date, start_after: int, length: int, calendar: HolidayCalendar
) -> None:
    policy = DeadlinePolicy(calendar=calendar)
    asked = received + timedelta(days=start_after)
    plain = rights_request_deadline(received, policy=policy)
    paused = rights_request_deadline(received, pauses=[(asked, asked + timedelta(days=length))], policy=policy)
    assert paused.paused_days == length
    assert paused.raw_on == plain.raw_on + timedelta(days=length)
    assert paused.due_on == next_working_day(paused.raw_on, calendar)  # rolled once, after the pause


@date_properties
@given(
    aware_at=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 28), timezones=st.just(PARIS))
)
def test_seventy_two_hours_are_seventy_two_elapsed_hours_across_daylight_saving(aware_at: datetime) -> None:
    due = breach_notification_deadline(aware_at)
    assert due.utcoffset() == timedelta(0)
    assert due.astimezone(UTC) - aware_at.astimezone(UTC) == timedelta(hours=72)
    assert to_paris(due).tzinfo is PARIS


@date_properties
@given(day=receipts, minutes=st.integers(23 * 60, 24 * 60 - 1))
def test_a_receipt_late_in_the_evening_utc_counts_as_the_next_day_in_paris(day: date, minutes: int) -> None:
    received_at = datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=UTC)
    assert paris_date(received_at) == day + timedelta(days=1)
    deadline = rights_request_deadline(received_at, policy=FR)
    assert deadline.received_on == day + timedelta(days=1)
    assert deadline == rights_request_deadline(day + timedelta(days=1), policy=FR)


@date_properties
@given(instant=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(UTC)))
def test_a_receipt_timestamp_is_taken_as_its_paris_date(instant: datetime) -> None:
    assert rights_request_deadline(instant, policy=FR).received_on == instant.astimezone(PARIS).date()


# --- examples: the calendar ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "holiday",
    [
        date(2025, 1, 1),
        date(2025, 4, 21),  # Easter Monday
        date(2025, 5, 1),
        date(2025, 5, 8),
        date(2025, 5, 29),  # Ascension
        date(2025, 6, 9),  # Whit Monday (L.3133-1, though often the "journée de solidarité")
        date(2025, 7, 14),
        date(2025, 8, 15),
        date(2025, 11, 1),
        date(2025, 11, 11),
        date(2025, 12, 25),
    ],
)
def test_the_french_public_holidays_of_the_code_du_travail_are_days_off(holiday: date) -> None:
    assert not is_working_day(holiday, HolidayCalendar.FR)
    assert not is_working_day(holiday, HolidayCalendar.FR_57)


def test_metropolitan_france_has_exactly_the_eleven_holidays_and_alsace_moselle_two_more() -> None:
    def days_off(calendar: HolidayCalendar, year: int) -> set[date]:
        start = date(year, 1, 1)
        days = (start + timedelta(days=n) for n in range((date(year + 1, 1, 1) - start).days))
        return {d for d in days if holiday_name(d, calendar) is not None}

    assert len(days_off(HolidayCalendar.FR, 2025)) == 11
    assert days_off(HolidayCalendar.FR_57, 2025) - days_off(HolidayCalendar.FR, 2025) == {
        date(2025, 4, 18),  # Good Friday
        date(2025, 12, 26),
    }


def test_good_friday_and_26_december_are_days_off_only_in_alsace_moselle() -> None:
    for day in (date(2026, 4, 3), date(2025, 12, 26)):  # Good Friday 2026; 26 Dec 2025 is a Friday
        assert is_working_day(day, "FR")
        assert not is_working_day(day, "FR-57")

    assert rights_request_deadline(date(2025, 11, 26), policy=FR).due_on == date(2025, 12, 26)
    moselle = rights_request_deadline(date(2025, 11, 26), policy=FR_57)
    assert moselle.due_on == date(2025, 12, 29)
    with translation.override("en"):
        assert "Saint Stephen's Day (public holiday)" in moselle.explanation


def test_whit_monday_is_a_day_off_even_in_the_solidarity_day_years_the_holidays_package_leaves_out() -> None:
    whit_monday_2006 = date(2006, 6, 5)
    assert not is_working_day(whit_monday_2006, "FR")
    deadline = rights_request_deadline(date(2006, 5, 5), policy=FR)
    assert deadline.due_on == date(2006, 6, 6)
    with translation.override("en"):
        assert "Whit Monday (public holiday)" in deadline.explanation


def test_next_working_day_keeps_a_working_day_and_skips_a_long_weekend() -> None:
    assert next_working_day(date(2025, 4, 7), "FR") == date(2025, 4, 7)
    assert next_working_day(date(2026, 4, 3), "FR-57") == date(2026, 4, 7)  # Fri, Sat, Sun, Mon off


def test_holiday_calendars_are_built_once_per_calendar_and_year(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[tuple[object, ...]] = []
    real = deadlines.holidays.country_holidays

    def counting(*args: Any, **kwargs: Any) -> Any:
        built.append((kwargs.get("subdiv"), kwargs.get("years")))
        return real(*args, **kwargs)

    monkeypatch.setattr(deadlines.holidays, "country_holidays", counting)
    deadlines._holiday_dates.cache_clear()
    deadlines._holiday_names.cache_clear()
    for _ in range(3):
        is_working_day(date(2031, 5, 1), "FR")
        is_working_day(date(2031, 6, 2), "FR")
    assert built == [(None, 2031)]


# --- examples: explanations -----------------------------------------------------------------------------


def test_the_explanation_names_the_weekday_in_english_and_french() -> None:
    deadline = rights_request_deadline(date(2025, 3, 5), policy=FR)
    assert (deadline.raw_on, deadline.due_on) == (date(2025, 4, 5), date(2025, 4, 7))
    # One object, explained in whichever language is active when it is read.
    with translation.override("en"):
        assert deadline.explanation == "received 05/03/2025 + 1 month = 05/04/2025, a Saturday → Monday 07/04/2025"
    with translation.override("fr"):
        assert deadline.explanation == "reçue le 05/03/2025 + 1 mois = 05/04/2025, samedi → lundi 07/04/2025"


def test_the_explanation_names_the_holiday_it_rolls_over() -> None:
    deadline = rights_request_deadline(date(2025, 3, 21), policy=FR)
    assert deadline.due_on == date(2025, 4, 22)
    with translation.override("en"):
        assert deadline.explanation == (
            "received 21/03/2025 + 1 month = 21/04/2025, Easter Monday (public holiday) → Tuesday 22/04/2025"
        )
    with translation.override("fr"):
        assert deadline.explanation == (
            "reçue le 21/03/2025 + 1 mois = 21/04/2025, lundi de Pâques (jour férié) → mardi 22/04/2025"
        )


def test_french_weekday_and_holiday_names_come_from_django_and_holidays_even_before_the_catalogue() -> None:
    deadline = rights_request_deadline(date(2024, 4, 8), policy=FR)  # 8 May, then Ascension
    assert deadline.due_on == date(2024, 5, 10)
    with translation.override("fr"):
        text = deadline.explanation
    assert "Fête de la Victoire" in text and "Ascension" in text and "vendredi 10/05/2024" in text


def test_every_holiday_skipped_after_the_first_day_is_named_with_its_date() -> None:
    deadline = rights_request_deadline(date(2026, 3, 3), policy=FR_57)
    with translation.override("en"):
        assert deadline.steps[-1] == (
            "Good Friday (public holiday) → 06/04/2026, Easter Monday (public holiday) → Tuesday 07/04/2026"
        )


def test_a_holiday_on_a_weekend_names_both() -> None:
    deadline = rights_request_deadline(date(2025, 10, 1), policy=FR)  # 1 Nov 2025 is a Saturday
    assert deadline.due_on == date(2025, 11, 3)
    with translation.override("en"):
        assert "All Saints' Day (public holiday), a Saturday → Monday 03/11/2025" in deadline.explanation
    with translation.override("fr"):
        assert "Toussaint (jour férié), samedi → lundi 03/11/2025" in deadline.explanation


def test_the_month_end_clamp_is_explained() -> None:
    deadline = rights_request_deadline(date(2025, 1, 31), policy=FR)
    with translation.override("en"):
        assert (
            deadline.explanation == "received 31/01/2025 + 1 month = 28/02/2025 (no day 31 in that month: its last day)"
        )
    with translation.override("fr"):
        assert deadline.explanation == (
            "reçue le 31/01/2025 + 1 mois = 28/02/2025 (pas de jour 31 ce mois-là : son dernier jour)"
        )


def test_the_breach_explanation_shows_paris_time() -> None:
    aware_at = datetime(2025, 3, 28, 10, 0, tzinfo=PARIS)
    with translation.override("en"):
        assert (
            breach_deadline_explanation(aware_at) == "aware 28/03/2025 10:00 + 72 hours = 31/03/2025 11:00 (Paris time)"
        )
    with translation.override("fr"):
        assert breach_deadline_explanation(aware_at) == (
            "connaissance le 28/03/2025 10:00 + 72 heures = 31/03/2025 11:00 (heure de Paris)"
        )


# --- examples: pauses -----------------------------------------------------------------------------------


def test_a_pause_moves_the_raw_date_by_its_days_then_the_result_is_rolled_once() -> None:
    # Raw 05/04/2025 (Sat) + 2 days = Mon 07/04: rolling before adding would give 09/04.
    deadline = rights_request_deadline(
        date(2025, 3, 5), pauses=[Pause(date(2025, 3, 10), date(2025, 3, 12))], policy=FR
    )
    assert (deadline.raw_on, deadline.due_on, deadline.paused_days) == (date(2025, 4, 7), date(2025, 4, 7), 2)
    with translation.override("fr"):
        assert deadline.steps[-1] == (
            "+ 2 jours de suspension (information demandée le 10/03/2025, reçue le 12/03/2025) = 07/04/2025"
        )


def test_several_pauses_add_up_and_overlapping_days_count_once() -> None:
    received = date(2025, 6, 2)
    two = rights_request_deadline(
        received, pauses=[(date(2025, 6, 3), date(2025, 6, 10)), (date(2025, 6, 20), date(2025, 6, 23))], policy=FR
    )
    assert two.paused_days == 10
    overlapping = rights_request_deadline(
        received, pauses=[(date(2025, 6, 3), date(2025, 6, 10)), (date(2025, 6, 8), date(2025, 6, 12))], policy=FR
    )
    assert overlapping.paused_days == 9


def test_pause_times_are_taken_as_their_paris_date() -> None:
    asked = datetime(2025, 6, 2, 22, 30, tzinfo=UTC)  # 3 June 00:30 in Paris
    answered = datetime(2025, 6, 10, 9, 0, tzinfo=UTC)
    deadline = rights_request_deadline(date(2025, 6, 2), pauses=[(asked, answered)], policy=FR)
    assert (deadline.paused_days, deadline.due_on) == (7, date(2025, 7, 9))


def test_an_open_pause_suspends_the_deadline() -> None:
    pauses = [Pause(date(2025, 6, 3))]
    with pytest.raises(DeadlineSuspended) as raised:
        rights_request_deadline(date(2025, 6, 2), pauses=pauses, policy=FR)
    assert raised.value.since == date(2025, 6, 3)
    with pytest.raises(DeadlineSuspended):
        extended_deadline(date(2025, 6, 2), pauses=pauses, policy=FR)


def test_an_open_pause_with_as_of_gives_the_earliest_possible_deadline_which_moves_every_day() -> None:
    pauses = [Pause(date(2025, 6, 3))]
    on_day_asked = rights_request_deadline(date(2025, 6, 2), pauses=pauses, as_of=date(2025, 6, 3), policy=FR)
    assert on_day_asked.suspended and on_day_asked.suspended_since == date(2025, 6, 3)
    assert on_day_asked.due_on == date(2025, 7, 2)
    later = rights_request_deadline(date(2025, 6, 2), pauses=pauses, as_of=date(2025, 6, 10), policy=FR)
    assert later.suspended and later.due_on == date(2025, 7, 9)  # same as if answered on 10 June (vector S1)
    with translation.override("en"):
        assert "suspended since 03/06/2025" in later.explanation and "at the earliest" in later.explanation
    answered = rights_request_deadline(date(2025, 6, 2), pauses=[(date(2025, 6, 3), date(2025, 6, 10))], policy=FR)
    assert not answered.suspended and answered.due_on == later.due_on


def test_with_the_no_pause_policy_pauses_neither_move_nor_suspend_the_deadline() -> None:
    policy = DeadlinePolicy(pause=PausePolicy.NONE)
    plain = rights_request_deadline(date(2025, 6, 2), policy=policy)
    for pauses in ([(date(2025, 6, 3), date(2025, 6, 10))], [Pause(date(2025, 6, 3))]):
        deadline = rights_request_deadline(date(2025, 6, 2), pauses=pauses, policy=policy)
        assert (deadline.due_on, deadline.paused_days, deadline.suspended) == (plain.due_on, 0, False)
        with translation.override("en"):
            assert "pauses not counted (policy)" in deadline.explanation


def test_impossible_pauses_are_refused() -> None:
    with pytest.raises(ValueError, match="before it was asked"):
        Pause(date(2025, 6, 10), date(2025, 6, 3))
    with pytest.raises(ValueError, match="before the request was received"):
        rights_request_deadline(date(2025, 6, 2), pauses=[(date(2025, 6, 1), date(2025, 6, 4))], policy=FR)


def test_the_extension_adds_the_pauses_too() -> None:
    deadline = extended_deadline(date(2025, 1, 31), pauses=[(date(2025, 2, 3), date(2025, 2, 5))], policy=FR)
    assert (deadline.raw_on, deadline.due_on) == (date(2025, 5, 2), date(2025, 5, 2))


# --- examples: policies ---------------------------------------------------------------------------------


def test_the_no_rollover_policy_keeps_a_saturday() -> None:
    deadline = rights_request_deadline(date(2025, 3, 5), policy=NO_ROLLOVER)
    assert deadline.due_on == deadline.raw_on == date(2025, 4, 5)
    with translation.override("en"):
        assert deadline.explanation.endswith("05/04/2025, a Saturday, not moved (no rollover by policy)")
    with translation.override("fr"):
        assert deadline.explanation.endswith("05/04/2025, samedi, non reporté (pas de report selon le paramétrage)")


def test_the_stricter_extension_base_counts_two_months_from_the_unrolled_first_date() -> None:
    policy = DeadlinePolicy(extension_base=ExtensionBase.FIRST_RAW_PLUS_2_MONTHS)
    assert extended_deadline(date(2025, 1, 31), policy=policy).due_on == date(2025, 4, 28)
    assert extended_deadline(date(2025, 1, 31), policy=FR).due_on == date(2025, 4, 30)


def test_the_internal_target_is_days_before_the_deadline_moved_back_to_a_working_day() -> None:
    deadline = rights_request_deadline(date(2025, 3, 5), policy=FR)  # due Mon 07/04/2025
    assert internal_target(deadline) == date(2025, 3, 31)
    assert internal_target(deadline, DeadlinePolicy(internal_target_days=8)) == date(2025, 3, 28)  # Sun → Fri
    assert internal_target(date(2025, 4, 7), FR) == date(2025, 3, 31)


def test_the_policy_is_read_from_settings_with_defaults(settings) -> None:
    settings.VIGIE_GDPR_DEADLINES = {"CALENDAR": "FR-57", "INTERNAL_TARGET_DAYS": 10}
    policy = policy_from_settings()
    assert policy == DeadlinePolicy(calendar=HolidayCalendar.FR_57, internal_target_days=10)
    assert rights_request_deadline(date(2026, 3, 3)).due_on == date(2026, 4, 7)
    del settings.VIGIE_GDPR_DEADLINES
    assert policy_from_settings() == DeadlinePolicy()


@pytest.mark.parametrize(
    "values",
    [{"CALENDER": "FR"}, {"CALENDAR": "FR-67"}, {"ROLLOVER": "previous"}, {"INTERNAL_TARGET_DAYS": -1}],
)
def test_a_wrong_policy_setting_is_refused(settings, values: dict[str, object]) -> None:
    settings.VIGIE_GDPR_DEADLINES = values
    with pytest.raises(ImproperlyConfigured, match="VIGIE_GDPR_DEADLINES"):
        policy_from_settings()


def test_the_default_settings_give_the_rules_defaults() -> None:
    assert policy_from_settings() == DeadlinePolicy()
    assert "calendar=FR," in DeadlinePolicy().describe()


# --- examples: inputs and the breach clock --------------------------------------------------------------


def test_a_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        rights_request_deadline(datetime(2025, 3, 5, 12, 0), policy=FR)
    with pytest.raises(ValueError, match="aware"):
        breach_notification_deadline(datetime(2025, 3, 28, 10, 0))


@pytest.mark.parametrize(
    ("aware_at", "local_due"),
    [
        (datetime(2025, 3, 28, 10, 0, tzinfo=PARIS), datetime(2025, 3, 31, 11, 0)),  # spring forward
        (datetime(2025, 10, 24, 10, 0, tzinfo=PARIS), datetime(2025, 10, 27, 9, 0)),  # fall back
    ],
)
def test_the_breach_clock_is_not_a_naive_local_sum(aware_at: datetime, local_due: datetime) -> None:
    due = breach_notification_deadline(aware_at)
    assert to_paris(due).replace(tzinfo=None) == local_due
    assert aware_at + timedelta(hours=72) != due  # the wall-clock sum Python does within one zone


def test_months_must_be_a_positive_integer() -> None:
    with pytest.raises(ValueError):
        rights_request_deadline(date(2025, 3, 5), months=0, policy=FR)


# --- translations ---------------------------------------------------------------------------------------


def _module_strings() -> tuple[set[str], set[tuple[str, str]]]:
    tree = ast.parse(Path(deadlines.__file__).read_text(encoding="utf-8"))
    singles: set[str] = set()
    plurals: set[tuple[str, str]] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            literals = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            if node.func.id == "_" and literals:
                singles.add(literals[0])
            elif node.func.id == "ngettext" and len(literals) == 2:
                plurals.add((literals[0], literals[1]))
    return singles, plurals


def test_the_project_catalogue_translates_the_deadline_strings(settings) -> None:
    po = polib.pofile(str(Path(settings.BASE_DIR) / "locale" / "fr" / "LC_MESSAGES" / "django.po"))
    translated = {e.msgid for e in po if e.translated() and not e.obsolete}
    singles, plurals = _module_strings()
    assert singles | {singular for singular, _ in plurals} <= translated
