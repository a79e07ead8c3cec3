"""Dates and times as Vigie writes them in its messages: dd/mm/YYYY, times in Paris time.

The French layout is used in every language (an explanation, an alert, a history reason or an admin badge
reads the same to the DPO and to an English-speaking auditor), and an instant is always shown in
Europe/Paris, where the legal deadlines are counted. Pure Python, no Django: gdpr/deadlines.py must work
without settings.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TypeAlias
from zoneinfo import ZoneInfo

__all__ = [
    "DATETIME_FORMAT",
    "DATE_FORMAT",
    "PARIS",
    "DayLike",
    "format_date",
    "format_datetime",
    "paris_date",
    "to_paris",
]

PARIS = ZoneInfo("Europe/Paris")
DATE_FORMAT = "%d/%m/%Y"
DATETIME_FORMAT = "%d/%m/%Y %H:%M"

DayLike: TypeAlias = date | datetime


def _refuse_naive(value: datetime, instead: str = "an aware datetime") -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r}: give {instead}")


def paris_date(value: DayLike) -> date:
    """The calendar date in Europe/Paris: an aware datetime is converted first; a plain date is taken as is.

    A naive datetime is refused: whether it meant UTC or Paris time would change the date near midnight.
    """
    if isinstance(value, datetime):  # before `date`: datetime is a subclass of date
        _refuse_naive(value, "an aware datetime or a date")
        return value.astimezone(PARIS).date()
    if isinstance(value, date):
        return value
    raise TypeError(f"expected a date or an aware datetime, not {type(value).__name__}")


def to_paris(value: datetime) -> datetime:
    """The same instant in Europe/Paris time, for display."""
    _refuse_naive(value)
    return value.astimezone(PARIS)


def format_date(day: date | None, *, missing: str | None = None) -> str:
    """31/12/2025; `missing` stands for no date (None), when the caller allows one. A datetime is refused:
    its day depends on the time zone (give `paris_date(moment)`)."""
    if day is None:
        if missing is None:
            raise TypeError("format_date got no date (None): pass `missing` to say what stands for it")
        return missing
    if isinstance(day, datetime):
        raise TypeError(f"format_date takes a date, not the datetime {day!r}: use paris_date() or format_datetime()")
    return day.strftime(DATE_FORMAT)


def format_datetime(moment: datetime) -> str:
    """31/12/2025 23:59, in Paris time. A naive datetime is refused (ValueError): its instant is unknown."""
    return to_paris(moment).strftime(DATETIME_FORMAT)
