"""The whistleblowing clock (whistleblowing/deadlines.py): the hand-computed vectors of
tests/whistleblowing/deadline_vectors.csv, properties over many dates, and the explanations."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from dateutil.relativedelta import relativedelta
from django.utils import translation
from hypothesis import given, settings as hypothesis_settings, strategies as st

from gdpr.deadlines import HolidayCalendar, is_working_day
from whistleblowing.choices import DeadlineKind
from whistleblowing.deadlines import (
    ClockKind,
    acknowledgment_deadline,
    add_working_days,
    feedback_deadline,
    meeting_deadline,
    working_days_between,
)

VECTORS = Path(__file__).with_name("deadline_vectors.csv")
COLUMNS = {"id", "kind", "received", "acknowledged_on", "calendar", "expected_due", "note"}
KINDS = {"acknowledgment", "feedback", "meeting"}


def load_vectors() -> list[object]:
    # A missing file must not collect zero tests and pass: it becomes one failing test that says why.
    if not VECTORS.is_file():
        return [pytest.param(None, id="deadline-vectors-file-missing")]
    with VECTORS.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [pytest.param(row, id=row["id"]) for row in rows]


def _moment(cell: str) -> date | datetime:
    """A date ("2024-01-11") or an ISO datetime with its zone ("2024-01-11T23:30:00Z")."""
    if "T" in cell:
        return datetime.fromisoformat(cell.replace("Z", "+00:00"))
    return date.fromisoformat(cell)


@pytest.mark.parametrize("row", load_vectors())
def test_deadline_vector(row: dict[str, str] | None) -> None:
    if row is None:
        pytest.fail(f"the deadline vectors are missing at {VECTORS}: restore the file", pytrace=False)
    assert set(row) == COLUMNS, f"unexpected columns in {VECTORS.name}: {list(row)} (a comma in a note?)"
    assert row["kind"] in KINDS, f"{row['id']}: unknown kind {row['kind']!r}"
    assert row["note"].strip(), f"{row['id']}: say how the expected date was counted"
    calendar = HolidayCalendar(row["calendar"])
    received = _moment(row["received"])
    acknowledged = date.fromisoformat(row["acknowledged_on"]) if row["acknowledged_on"] else None
    if row["kind"] == "acknowledgment":
        deadline = acknowledgment_deadline(received, calendar=calendar)
    elif row["kind"] == "feedback":
        deadline = feedback_deadline(received, acknowledged_on=acknowledged, calendar=calendar)
    else:
        deadline = meeting_deadline(received, calendar=calendar)
    assert deadline.due_on == date.fromisoformat(row["expected_due"]), f"{row['note']}: {deadline.explanation}"
    assert deadline.calendar is calendar


def test_the_vectors_cover_both_calendars_every_kind_and_late_night_receipts() -> None:
    rows = [p.values[0] for p in load_vectors()]  # type: ignore[attr-defined]  # pytest.param's
    assert all(rows), "the vectors file is missing"
    assert {r["kind"] for r in rows} == KINDS
    assert {r["calendar"] for r in rows} == {"FR", "FR-57"}
    assert any(r["received"].endswith("Z") for r in rows)
    assert len({r["id"] for r in rows}) == len(rows)


# --- properties -----------------------------------------------------------------------------------------------

receipts = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))
calendars = st.sampled_from(list(HolidayCalendar))
date_properties = hypothesis_settings(max_examples=300, deadline=None)  # first use of a year builds its calendar


@date_properties
@given(received=receipts, calendar=calendars)
def test_the_acknowledgment_is_due_on_a_working_day_exactly_seven_working_days_after_receipt(
    received: date, calendar: HolidayCalendar
) -> None:
    due = acknowledgment_deadline(received, calendar=calendar).due_on
    assert is_working_day(due, calendar)
    assert working_days_between(received, due, calendar) == 7
    # The 7th, not later: the day before it leaves only 6 working days.
    assert working_days_between(received, due - timedelta(days=1), calendar) == 6


@date_properties
@given(requested=receipts, calendar=calendars)
def test_the_meeting_is_due_on_the_twentieth_working_day_after_the_request(
    requested: date, calendar: HolidayCalendar
) -> None:
    due = meeting_deadline(requested, calendar=calendar).due_on
    assert is_working_day(due, calendar)
    assert working_days_between(requested, due, calendar) == 20
    assert working_days_between(requested, due - timedelta(days=1), calendar) == 19


@date_properties
@given(received=receipts, delay=st.integers(0, 60), calendar=calendars)
def test_feedback_is_due_at_most_three_months_after_its_start_and_a_late_acknowledgment_never_moves_it_later(
    received: date, delay: int, calendar: HolidayCalendar
) -> None:
    acknowledged = received + timedelta(days=delay)
    with_ack = feedback_deadline(received, acknowledged_on=acknowledged, calendar=calendar)
    without = feedback_deadline(received, calendar=calendar)
    ack_due = acknowledgment_deadline(received, calendar=calendar).due_on
    assert with_ack.start == min(acknowledged, ack_due)
    assert with_ack.due_on <= with_ack.start + relativedelta(months=3)
    assert with_ack.due_on > with_ack.start + relativedelta(months=2)
    assert with_ack.due_on <= without.due_on
    if acknowledged >= ack_due:
        assert with_ack.due_on == without.due_on


@date_properties
@given(day=receipts, minutes=st.integers(23 * 60, 24 * 60 - 1), calendar=calendars)
def test_a_receipt_late_in_the_evening_utc_counts_from_the_next_day_in_paris(
    day: date, minutes: int, calendar: HolidayCalendar
) -> None:
    received_at = datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=UTC)
    assert acknowledgment_deadline(received_at, calendar=calendar) == acknowledgment_deadline(
        day + timedelta(days=1), calendar=calendar
    )


# --- examples -------------------------------------------------------------------------------------------------


def test_the_clock_kinds_are_the_ledger_kinds() -> None:
    assert {kind.value for kind in ClockKind} == set(DeadlineKind.values)


def test_the_calendar_defaults_to_the_gdpr_policy_setting(settings) -> None:
    settings.VIGIE_GDPR_DEADLINES = {"CALENDAR": "FR-57"}
    assert acknowledgment_deadline(date(2024, 3, 28)).calendar is HolidayCalendar.FR_57
    assert acknowledgment_deadline(date(2024, 3, 28)).due_on == date(2024, 4, 10)
    settings.VIGIE_GDPR_DEADLINES = {}
    assert acknowledgment_deadline(date(2024, 3, 28)).due_on == date(2024, 4, 9)


def test_a_naive_receipt_time_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        acknowledgment_deadline(datetime(2024, 1, 11, 23, 30))


def test_an_acknowledgment_before_the_receipt_is_refused() -> None:
    with pytest.raises(ValueError, match="before the report was received"):
        feedback_deadline(date(2024, 6, 3), acknowledged_on=date(2024, 6, 2), calendar="FR")


def test_working_days_are_counted_in_whole_positive_numbers() -> None:
    with pytest.raises(ValueError):
        add_working_days(date(2024, 6, 3), 0)
    assert add_working_days(date(2024, 6, 7), 1) == date(2024, 6, 10)  # Friday → Monday


def test_the_explanation_names_the_public_holiday_that_moved_the_date_in_english_and_french() -> None:
    deadline = acknowledgment_deadline(date(2023, 4, 21), calendar="FR")
    with translation.override("en"):
        english = deadline.explanation
    with translation.override("fr"):
        french = deadline.explanation
    assert english == (
        "received Friday 21/04/2023 + 7 working days (that day not counted) = Wednesday 03/05/2023 "
        "(Saturdays and Sundays not counted; 01/05/2023, Labor Day, is a public holiday)"
    )
    assert french == (
        "reçu le vendredi 21/04/2023 + 7 jours ouvrés (ce jour non compté) = mercredi 03/05/2023 "
        "(samedis et dimanches non comptés ; le 01/05/2023, Fête du Travail, est un jour férié)"
    )


def test_the_explanation_without_holiday_says_weekends_are_not_counted() -> None:
    with translation.override("en"):
        text = acknowledgment_deadline(date(2024, 6, 3), calendar="FR").explanation
    assert text == (
        "received Monday 03/06/2024 + 7 working days (that day not counted) = Wednesday 12/06/2024 "
        "(Saturdays and Sundays not counted)"
    )


def test_the_feedback_explanation_says_where_the_period_starts_and_that_it_is_not_rolled() -> None:
    with translation.override("en"):
        late = feedback_deadline(date(2025, 10, 27), acknowledged_on=date(2025, 11, 20), calendar="FR")
        early = feedback_deadline(date(2025, 10, 27), acknowledged_on=date(2025, 10, 31), calendar="FR")
        assert late.steps[1] == (
            "acknowledged late, 20/11/2025: the period still runs from the end of the 7 working days, 05/11/2025"
        )
        assert late.due_on == date(2026, 2, 5)
        assert early.steps[1] == "acknowledged 31/10/2025 (by 05/11/2025): the period runs from 31/10/2025"
        assert early.steps[2] == "31/10/2025 + 3 months = 31/01/2026 (a day off, not moved: the period is a maximum)"
        none = feedback_deadline(date(2023, 11, 21), calendar="FR")
        assert none.steps[1] == "no acknowledgment yet: the period runs from the end of the 7 working days, 30/11/2023"
        assert none.steps[2] == "30/11/2023 + 3 months = 29/02/2024 (no day 30 in that month: its last day)"


def test_the_meeting_explanation_names_the_may_holidays() -> None:
    with translation.override("en"):
        text = meeting_deadline(date(2024, 4, 26), calendar="FR").explanation
    assert text.startswith("meeting requested Friday 26/04/2024 + 20 working days (that day not counted) = Thursday")
    for holiday in ("01/05/2024", "08/05/2024", "09/05/2024", "20/05/2024"):
        assert f"{holiday}, " in text
