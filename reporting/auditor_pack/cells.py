"""How the pack's CSV files write a value, in the CSV dialect of the pack (README: numbers and dates as
core/spreadsheets.py writes them, Paris date-times, 1/0, "|" between values).

The files are assembled a column at a time, not through csv.writer, because an indicator can stand on
hundreds of thousands of records; they use the primitives of Vigie's one CSV writer
(core/spreadsheets.py): `formula_safe` for every text, `csv_field` for quoting. Each column is written by a
function chosen once by its field's type (what `cell` then `csv_field` give, without testing the type of
every value) and, when its values repeat (a few entities, the days of a year), once per distinct value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from django.utils import timezone

from core.spreadsheets import FRENCH, CsvDialect, csv_field, csv_value, formula_safe


def cell(value: Any, dialect: CsvDialect = FRENCH) -> str:
    """A value as the CSV files write it (README): as `csv_value` writes it in the dialect (numbers, dates,
    Paris date-times, formula-safe texts), yes/no as 1/0, "|" between several values."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (list, tuple, set)):
        return "|".join(sorted({cell(item, dialect) for item in value} - {""}))
    return csv_value(value, dialect)


#: Booleans written as `cell` writes them, by a dict lookup.
BOOLEANS = {True: "1", False: "0", None: ""}


class Cells:
    """The column writers of one dialect: each writes what `csv_field(cell(value))` writes, without testing
    the type of every value."""

    def __init__(self, dialect: CsvDialect) -> None:
        self.dialect = dialect
        number, date, field = dialect.number, dialect.date, csv_field

        def csv_cell(value: Any) -> str:
            return field(cell(value, dialect), dialect)

        def any_cell(value: Any) -> str:
            """`csv_cell`, ints (ids) first."""
            return str(value) if value.__class__ is int else field(cell(value, dialect), dialect)

        def number_cell(value: Any) -> str:
            return "" if value is None else number(value)

        def integer_cell(value: Any) -> str:
            return "" if value is None else str(value) if value.__class__ is int else number(value)

        def date_cell(value: dt.date | None) -> str:
            return "" if value is None else date(value)

        def text_cell(value: Any) -> str:
            if value is None:
                return ""
            return field(formula_safe(value) if value.__class__ is str else cell(value, dialect), dialect)

        self.csv_cell, self.any_cell, self.number_cell = csv_cell, any_cell, number_cell
        self.integer_cell, self.date_cell, self.text_cell = integer_cell, date_cell, text_cell

    def datetime_cell(self, zone: Any) -> Callable[[dt.datetime | None], str]:
        dialect = self.dialect
        if not dialect.iso_dates:
            return lambda value: "" if value is None else dialect.datetime(value)

        def write(value: dt.datetime | None) -> str:
            if value is None:
                return ""
            if value.utcoffset() is not None:
                value = value.astimezone(zone)
            return value.isoformat(timespec="seconds")

        return write

    def writer(self, write: Callable[[Any], str]) -> Callable[[Any], str]:
        """This dialect's version of a writer of the French one (an app's `ExtraColumns` names those)."""
        name = _NAMES.get(write)
        return write if name is None else getattr(self, name)


_CELLS: dict[CsvDialect, Cells] = {}


def cells_of(dialect: CsvDialect) -> Cells:
    """The column writers of `dialect`, made once."""
    if dialect not in _CELLS:
        _CELLS[dialect] = Cells(dialect)
    return _CELLS[dialect]


# The French dialect's writers, by their names: the default, and those an app's ExtraColumns declares.
_FRENCH = cells_of(FRENCH)
csv_cell = _FRENCH.csv_cell
any_cell = _FRENCH.any_cell
number_cell = _FRENCH.number_cell
date_cell = _FRENCH.date_cell
text_cell = _FRENCH.text_cell
_NAMES: dict[Callable[[Any], str], str] = {
    write: name
    for name, write in (
        ("csv_cell", csv_cell),
        ("any_cell", any_cell),
        ("number_cell", number_cell),
        ("date_cell", date_cell),
        ("text_cell", text_cell),
        ("integer_cell", _FRENCH.integer_cell),
    )
}


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


def field_cell(field: Any, dialect: CsvDialect = FRENCH) -> tuple[Callable[[Any], str], bool]:
    """(how a field's values are written in `dialect`, whether equal values are written alike: not
    Decimals, whose exponents may differ, nor floats)."""
    cells = cells_of(dialect)
    kind = "" if field.is_relation else field.get_internal_type()
    if kind == "BooleanField":
        return BOOLEANS.__getitem__, False
    if kind == "DateTimeField":
        return cells.datetime_cell(timezone.get_default_timezone()), True
    if kind == "DateField":
        return cells.date_cell, True
    if kind in _INTEGERS:
        return cells.integer_cell, True
    if kind in ("DecimalField", "FloatField"):
        return cells.number_cell, False
    if kind in _TEXTS:
        return cells.text_cell, True
    return cells.csv_cell, False


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

    def fields(self, ids: list[int], dialect: CsvDialect = FRENCH) -> list[list[str]]:
        """The CSV fields of each column, for `ids`, in `dialect`."""
        cells = cells_of(dialect)
        return [write_column(cells.writer(write), values(ids), by_value) for values, write, by_value in self.columns]
