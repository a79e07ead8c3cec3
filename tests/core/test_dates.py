"""Dates as Vigie writes them (core/dates.py): dd/mm/YYYY, and instants in Paris time whatever their zone."""

from __future__ import annotations

import datetime as dt

import pytest

from core.dates import PARIS, format_date, format_datetime, paris_date, to_paris


def test_a_date_is_written_day_month_year():
    assert format_date(dt.date(2025, 3, 9)) == "09/03/2025"
    assert format_date(dt.date(1999, 12, 31)) == "31/12/1999"


def test_no_date_is_an_error_unless_the_caller_says_what_stands_for_it():
    assert format_date(None, missing="–") == "–"
    assert format_date(None, missing="") == ""
    assert format_date(dt.date(2025, 3, 9), missing="–") == "09/03/2025"
    with pytest.raises(TypeError, match="missing"):
        format_date(None)


def test_a_datetime_is_not_a_date_its_day_depends_on_the_zone():
    with pytest.raises(TypeError, match="paris_date"):
        format_date(dt.datetime(2025, 3, 9, 23, 30, tzinfo=dt.UTC))


@pytest.mark.parametrize(
    ("moment", "shown"),
    [
        (dt.datetime(2025, 1, 15, 9, 5, tzinfo=dt.UTC), "15/01/2025 10:05"),  # winter: UTC+1
        (dt.datetime(2025, 7, 15, 9, 5, tzinfo=dt.UTC), "15/07/2025 11:05"),  # summer: UTC+2
        (dt.datetime(2025, 12, 31, 23, 30, tzinfo=dt.UTC), "01/01/2026 00:30"),  # the day and year change
        (dt.datetime(2025, 3, 30, 3, 0, tzinfo=PARIS), "30/03/2025 03:00"),  # already in Paris time
    ],
)
def test_an_instant_is_written_in_paris_time(moment, shown):
    assert format_datetime(moment) == shown


def test_a_naive_datetime_is_refused_its_instant_is_unknown():
    naive = dt.datetime(2025, 1, 15, 9, 5)
    with pytest.raises(ValueError, match="naive datetime .*give an aware datetime"):
        format_datetime(naive)
    with pytest.raises(ValueError, match="naive datetime"):
        to_paris(naive)
    with pytest.raises(ValueError, match="give an aware datetime or a date"):
        paris_date(naive)


def test_the_paris_day_of_an_instant():
    assert paris_date(dt.datetime(2025, 6, 30, 22, 30, tzinfo=dt.UTC)) == dt.date(2025, 7, 1)
    assert paris_date(dt.date(2025, 6, 30)) == dt.date(2025, 6, 30)
    assert to_paris(dt.datetime(2025, 6, 30, 22, 30, tzinfo=dt.UTC)).tzinfo is PARIS
    with pytest.raises(TypeError):
        paris_date("2025-06-30")
