"""The one writer of every CSV and XLSX file Vigie produces: values are written as data, never as formulas.

A spreadsheet runs a cell whose text starts with `=`, `+`, `-` or `@` (or a tab, a carriage return) as a
formula ("CSV injection", OWASP): a breach titled `=HYPERLINK("http://evil","x")`, an employee named
`=cmd|'/C calc'!A0` in the roster, become a link or a command in the DPO's Excel. Spaces and quotes in front
do not stop every spreadsheet, nor do the full-width signs (＝＋－＠) some convert. So:

- CSV (`CsvWriter`, `csv_text`, `csv_lines`, `csv_download`, `csv_line`): such a text gets an apostrophe in
  front, which spreadsheets show as text and never run; numbers are written as numbers (-2 stays -2, only
  the text "-2+3" is neutralised), without thousands separator nor exponent. Two dialects (`CsvDialect`),
  one writer: `FRENCH`, the default, for the people who open the file (`;` separated, `,` decimals, dates
  JJ/MM/AAAA and date-times JJ/MM/AAAA HH:MM:SS in Paris time, UTF-8 with a BOM: LibreOffice and Excel in
  French read every number as a number and every date as a date); `MACHINE` for programs (`,` separated,
  `.` decimals, ISO 8601 dates and date-times with their UTC offset, UTF-8 without BOM). Both: CRLF line
  ends, quotes only where needed. `dialect_named` reads the `?dialect=` / `--dialect` parameter.
- XLSX (`new_workbook`, `workbook_bytes`): every cell of a workbook made here is data by construction,
  however it is written (`sheet.append`, `sheet.cell(value=)`, `cell.value =`): a text is a text cell,
  exactly as given, marked "quote prefix" when it looks like a formula (Excel then keeps it text even when
  the cell is edited); the characters XML cannot hold are dropped and a text past Excel's 32,767 characters
  is cut with "…". Numbers and dates stay typed. Saving checks every cell once more.

Nothing else in Vigie may call csv.writer or make an openpyxl Workbook (tests/core/test_spreadsheets.py
scans the code for it), so no export can forget.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from inspect import isgenerator
from typing import IO, Any

from django.http import StreamingHttpResponse
from django.utils.text import get_valid_filename
from django.utils.translation import gettext
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell, MergedCell
from openpyxl.cell.rich_text import CellRichText
from openpyxl.utils import column_index_from_string
from openpyxl.worksheet.worksheet import Worksheet

from core.dates import PARIS

CSV_LINE_END = "\r\n"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOM = "\ufeff"
#: Excel's limit of a cell's text.
MAX_CELL_CHARS = 32_767

# A formula starts with = + - @ (or their full-width forms), possibly after spaces and quotes; a tab or a
# carriage return first is a separator to some spreadsheets (OWASP).
_FORMULA = re.compile(r"[\t\r]|[\s\"']*[=+\-@\uff1d\uff0b\uff0d\uff20]")
# A number written as text ("-30" from an imported file) is read as that number, which runs nothing.
_NUMBER = re.compile(r"[-+]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][-+]?\d+)?")
_NUMBERS = (int, float, Decimal)


def looks_like_formula(text: str) -> bool:
    """Whether a spreadsheet could take `text` for a formula."""
    # Most texts start with a letter or a digit: one test instead of a regular expression.
    if not text or text[0].isalnum() or _FORMULA.match(text) is None:
        return False
    return _NUMBER.fullmatch(text) is None


def formula_safe(text: str) -> str:
    """`text` as a CSV field a spreadsheet reads as text: an apostrophe in front of what looks like a formula."""
    return "'" + text if looks_like_formula(text) else text


def number_text(value: int | float | Decimal) -> str:
    """A number with `.` decimals, as a spreadsheet or a program reads it: no exponent (1e-05 is 0.00001,
    Decimal("1E+2") is 100), no thousands separator. An infinite or NaN float keeps Python's text."""
    if isinstance(value, int):
        return str(int(value))  # an IntEnum too
    if isinstance(value, Decimal):
        return format(value, "f") if value.is_finite() else str(value)
    text = repr(float(value))
    if ("e" in text or "E" in text) and math.isfinite(value):
        text = format(Decimal(text), "f")
    return text


@dataclass(frozen=True)
class CsvDialect:
    """How a CSV file is written: its separator, its decimal mark, its dates, whether it starts with a BOM.
    The line ends are CRLF in both (RFC 4180), quotes only around a field that needs them."""

    name: str
    delimiter: str
    decimal: str
    bom: str
    #: date-times written in their Paris ISO form with offset (else JJ/MM/AAAA HH:MM:SS, Paris time)
    iso_dates: bool
    line_end: str = CSV_LINE_END

    def number(self, value: int | float | Decimal) -> str:
        text = number_text(value)
        return text if self.decimal == "." else text.replace(".", self.decimal)

    def date(self, value: dt.date) -> str:
        if self.iso_dates:
            return value.isoformat()
        return f"{value.day:02d}/{value.month:02d}/{value.year:04d}"

    def datetime(self, value: dt.datetime) -> str:
        """An aware date-time in Paris time (with its offset in the machine dialect), a naive one as it is."""
        if value.utcoffset() is not None:
            value = value.astimezone(PARIS)
        if self.iso_dates:
            return value.isoformat(timespec="seconds")
        return (
            f"{value.day:02d}/{value.month:02d}/{value.year:04d} {value.hour:02d}:{value.minute:02d}:{value.second:02d}"
        )

    def iso_datetime(self, text: str) -> str:
        """A date-time written "YYYY-MM-DDTHH:MM:SS[+HH:MM]" (Paris time) as this dialect writes it."""
        if self.iso_dates or not text:
            return text
        return f"{text[8:10]}/{text[5:7]}/{text[0:4]} {text[11:19]}"


#: For the people who open the file: French LibreOffice and Excel read its numbers and dates as such.
FRENCH = CsvDialect("french", delimiter=";", decimal=",", bom=BOM, iso_dates=False)
#: For programs (pandas, csv.DictReader, R): `,`, `.` decimals, ISO 8601, no BOM.
MACHINE = CsvDialect("machine", delimiter=",", decimal=".", bom="", iso_dates=True)
DIALECTS = {dialect.name: dialect for dialect in (FRENCH, MACHINE)}
#: The values of `?dialect=` and `--dialect`, the default first.
DIALECT_NAMES = tuple(DIALECTS)
#: The default dialect's separator (Vigie's CSV before it had two dialects).
CSV_DELIMITER = FRENCH.delimiter


class UnknownCsvDialect(ValueError):
    """A `?dialect=` or `--dialect` value that is not one of DIALECT_NAMES."""


def dialect_named(name: str | None) -> CsvDialect:
    """The dialect of a `?dialect=` / `--dialect` value; absent or empty: the French one. UnknownCsvDialect,
    naming the allowed values, for any other."""
    if name is None or name == "":
        return FRENCH
    try:
        return DIALECTS[name]
    except (KeyError, TypeError):
        raise UnknownCsvDialect(
            gettext("Unknown CSV dialect “%(name)s”: the allowed values are %(allowed)s.")
            % {"name": str(name)[:40], "allowed": ", ".join(DIALECT_NAMES)}
        ) from None


def csv_value(value: Any, dialect: CsvDialect = FRENCH) -> str:
    """A value as a CSV field's text: numbers as numbers in the dialect (a negative number stays a number),
    dates and date-times as the dialect writes them, anything else as its text, made formula-safe; None is
    empty."""
    if value is None:
        return ""
    if isinstance(value, str):
        return formula_safe(value)
    if isinstance(value, _NUMBERS) and not isinstance(value, bool):
        return dialect.number(value)
    if isinstance(value, dt.datetime):
        return dialect.datetime(value)
    if isinstance(value, dt.date):
        return dialect.date(value)
    return formula_safe(str(value))


def csv_field(text: str, dialect: CsvDialect = FRENCH) -> str:
    """A field's (already formula-safe) text as `csv_line` writes it: quoted, quotes doubled, when it holds
    the dialect's separator, a quote or a line break. For writers that assemble their lines themselves, for
    speed."""
    if dialect.delimiter in text or '"' in text or "\n" in text or "\r" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


def csv_line(values: Iterable[Any], dialect: CsvDialect = FRENCH) -> str:
    """One line of a CSV file (with its line end), each value written by `csv_value`: Vigie's one CSV
    writer, which every other function here and the auditor pack's fast writers write as."""
    return dialect.delimiter.join(csv_field(csv_value(value, dialect), dialect) for value in values) + dialect.line_end


class CsvWriter:
    """A csv.writer-like writer of `csv_line`s. Writes no BOM: give it a stream opened with
    encoding="utf-8-sig" for the French dialect, or use `csv_text` / `csv_lines`."""

    def __init__(self, stream: IO[str], dialect: CsvDialect = FRENCH) -> None:
        self._stream = stream
        self.dialect = dialect

    def writerow(self, values: Iterable[Any]) -> Any:
        return self._stream.write(csv_line(values, self.dialect))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for values in rows:
            self.writerow(values)


def csv_lines(header: Iterable[Any], rows: Iterable[Iterable[Any]], dialect: CsvDialect = FRENCH) -> Iterator[str]:
    """A CSV file a line at a time, the dialect's BOM first: for a streamed response or a file written as it
    goes."""
    yield dialect.bom + csv_line(header, dialect)
    for values in rows:
        yield csv_line(values, dialect)


def csv_text(header: Iterable[Any], rows: Iterable[Iterable[Any]], dialect: CsvDialect = FRENCH) -> str:
    """A whole CSV file as text, BOM included in the French dialect."""
    return "".join(csv_lines(header, rows, dialect))


def csv_download(
    filename: str, header: Iterable[Any], rows: Iterable[Iterable[Any]], dialect: CsvDialect = FRENCH
) -> StreamingHttpResponse:
    """A CSV file as a streamed download: a large population never sits in memory."""
    response = StreamingHttpResponse(
        (line.encode("utf-8") for line in csv_lines(header, rows, dialect)), content_type=CSV_CONTENT_TYPE
    )
    response["Content-Disposition"] = f'attachment; filename="{get_valid_filename(filename)}"'
    return response


def csv_redialect(stream: IO[bytes], dialect: CsvDialect, *, source: CsvDialect = FRENCH) -> Iterator[str]:
    """A CSV file Vigie wrote in `source` (a stored rejects file) rewritten in `dialect`, a line at a time:
    its fields are texts already written (formula-safe), moved as they are, only quoted for the new
    separator."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    first = True
    for fields in csv.reader(text, delimiter=source.delimiter):
        line = dialect.delimiter.join(csv_field(field, dialect) for field in fields) + dialect.line_end
        yield dialect.bom + line if first else line
        first = False


def redialect_download(stream: IO[bytes], filename: str, dialect: CsvDialect) -> StreamingHttpResponse:
    """A stored CSV file of Vigie's (French dialect) as a streamed download in `dialect`."""
    lines = (line.encode("utf-8") for line in csv_redialect(stream, dialect))
    response = StreamingHttpResponse(lines, content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{get_valid_filename(filename)}"'
    return response


# -- XLSX ---------------------------------------------------------------------------------------------------
def xml_safe(text: str) -> str:
    """`text` without the control characters XML cannot carry (openpyxl refuses them in a cell or a title)."""
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def cell_text(text: str) -> str:
    """`text` as a cell can hold it: `xml_safe`, cut with "…" past Excel's limit."""
    text = xml_safe(text)
    if len(text) > MAX_CELL_CHARS:
        text = text[: MAX_CELL_CHARS - 1] + "…"
    return text


def _as_data(cell: Cell | MergedCell) -> None:
    """Make `cell` hold its value as data: a text is a text (never a formula, nor an error code like
    "#N/A"), quote-prefixed when a spreadsheet could take it for a formula."""
    value = cell._value
    if isinstance(value, str):
        if cell.data_type != "s":
            cell.data_type = "s"
        if looks_like_formula(value):
            cell.quotePrefix = True
    elif cell.data_type == "f":  # an ArrayFormula, a DataTableFormula: Vigie writes no formula
        raise ValueError("Vigie's workbooks hold data, not formulas")


class _DataCell(Cell):
    """A cell whose value is always data (`_as_data`), whichever way it is set."""

    __slots__ = ()

    def _bind_value(self, value: Any) -> None:
        if isinstance(value, str) and not isinstance(value, CellRichText):
            value = cell_text(value)
        super()._bind_value(value)
        _as_data(self)


class _DataSheet(Worksheet):
    """A worksheet whose every cell is a `_DataCell`."""

    def _get_cell(self, row: int, column: int) -> Cell | MergedCell:
        # openpyxl's, with our cell: every path to a cell (cell(), ws["A1"], iter_rows) comes through here.
        coordinate = (row, column)
        if coordinate not in self._cells:
            self._add_cell(_DataCell(self, row=row, column=column))
        return self._cells[coordinate]

    def append(self, iterable: Any) -> None:
        if isinstance(iterable, dict):
            row = self._current_row + 1
            for column, value in iterable.items():
                self.cell(
                    row=row, column=column_index_from_string(column) if isinstance(column, str) else column, value=value
                )
            self._current_row = row
            return
        if not isinstance(iterable, (list, tuple, range)) and not isgenerator(iterable):
            self._invalid_row(iterable)
        super().append([value if isinstance(value, Cell) else _DataCell(self, value=value) for value in iterable])


class DataWorkbook(Workbook):
    """A workbook of `_DataSheet`s, checked once more as it is saved: Vigie's only kind of workbook."""

    def __init__(self) -> None:
        super().__init__()
        self._sheets.clear()  # the plain sheet Workbook() made: ours instead
        self._sheets.append(_DataSheet(self))

    def create_sheet(self, title: Any = None, index: int | None = None) -> Worksheet:
        sheet = _DataSheet(parent=self, title=title)
        self._add_sheet(sheet=sheet, index=index)
        return sheet

    def save(self, filename: Any) -> None:
        for sheet in self.worksheets:
            for cell in sheet._cells.values():
                if cell.data_type in ("f", "e") or (cell.data_type == "s" and not isinstance(cell, _DataCell)):
                    _as_data(cell)
        super().save(filename)


def new_workbook() -> DataWorkbook:
    """An empty workbook (one sheet) whose cells hold data only: the only way Vigie makes one."""
    return DataWorkbook()


def workbook_bytes(workbook: DataWorkbook) -> bytes:
    """The .xlsx file of a workbook from `new_workbook`."""
    if not isinstance(workbook, DataWorkbook):
        raise TypeError("make Vigie's workbooks with core.spreadsheets.new_workbook()")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
