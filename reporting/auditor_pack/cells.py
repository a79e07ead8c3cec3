"""How the pack's CSV files write a value (README: ISO dates, Paris date-times, 1/0, "|" between values).

The files are assembled a column at a time, not through csv.writer, because an indicator can stand on
hundreds of thousands of records; they use the primitives of Vigie's one CSV writer
(core/spreadsheets.py): `formula_safe` for every text, `csv_field` for quoting. Each column is written by a
function chosen once by its field's type (what `cell` then `csv_field` give, without testing the type of
every value) and, when its values repeat (a few entities, the days of a year), once per distinct value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from django.utils import timezone

from core.spreadsheets import csv_field, formula_safe


def cell(value: Any) -> str:
    """A value as the CSV files write it (README: ISO dates, Paris date-times, 1/0, "|" between values)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value, timezone.get_default_timezone())
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    if isinstance(value, (list, tuple, set)):
        return "|".join(sorted({cell(item) for item in value} - {""}))
    return formula_safe(str(value))


def csv_cell(value: Any) -> str:
    return csv_field(cell(value))


def any_cell(value: Any) -> str:
    """`csv_cell`, ints (ids) first."""
    return str(value) if value.__class__ is int else csv_field(cell(value))


#: Booleans written as `cell` writes them, by a dict lookup.
BOOLEANS = {True: "1", False: "0", None: ""}


def number_cell(value: Any) -> str:
    return "" if value is None else str(value)


def date_cell(value: dt.date | None) -> str:
    return "" if value is None else value.isoformat()


def text_cell(value: Any) -> str:
    if value is None:
        return ""
    return csv_field(formula_safe(value) if value.__class__ is str else cell(value))


def datetime_cell(zone: Any) -> Callable[[dt.datetime | None], str]:
    def write(value: dt.datetime | None) -> str:
        if value is None:
            return ""
        if value.utcoffset() is not None:
            value = value.astimezone(zone)
        return value.isoformat(timespec="seconds")

    return write


_INTEGERS = {
    "AutoField",
    "BigAutoField",
    "SmallAutoField",
    "IntegerField",
    "BigIntegerField",
    "SmallIntegerField",
    "PositiveIntegerField",
    "PositiveBigIntegerField",
    "PositiveSmallIntegerField",
}
_TEXTS = {"CharField", "TextField", "SlugField", "EmailField", "URLField"}


def field_cell(field: Any) -> tuple[Callable[[Any], str], bool]:
    """(how a field's values are written, whether equal values are written alike: not Decimals, whose
    exponents may differ, nor floats)."""
    kind = "" if field.is_relation else field.get_internal_type()
    if kind == "BooleanField":
        return BOOLEANS.__getitem__, False
    if kind == "DateTimeField":
        return datetime_cell(timezone.get_default_timezone()), True
    if kind == "DateField":
        return date_cell, True
    if kind in _INTEGERS:
        return number_cell, True
    if kind in ("DecimalField", "FloatField"):
        return number_cell, False
    if kind in _TEXTS:
        return text_cell, True
    return csv_cell, False


def write_column(write: Callable[[Any], str], values: Iterable[Any], by_value: bool) -> list[str]:
    """The CSV fields of a column's values; `by_value`: each distinct value written once (unless they
    cannot be hashed)."""
    if by_value:
        values = values if isinstance(values, list | tuple) else list(values)
        try:
            written = {value: write(value) for value in set(values)}
        except TypeError:  # lists
            pass
        else:
            return list(map(written.__getitem__, values))
    return list(map(write, values))


class ExtraColumns:
    """A reporting.records.ExtraRows made of columns, which the pack writes a column at a time: for each, a
    function of the record ids giving their values (dict and set lookups, without a tuple a row), how a
    value is written, and whether once per distinct value."""

    def __init__(self, *columns: tuple[Callable[[list[int]], list], Callable[[Any], str], bool]) -> None:
        self.columns = columns

    def __call__(self, ids: list[int]) -> dict[int, tuple[Any, ...]]:
        return dict(
            zip(ids, zip(*(values(ids) for values, _write, _by_value in self.columns), strict=True), strict=True)
        )

    def fields(self, ids: list[int]) -> list[list[str]]:
        """The CSV fields of each column, for `ids`."""
        return [write_column(write, values(ids), by_value) for values, write, by_value in self.columns]
