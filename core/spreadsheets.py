"""The one writer of every CSV and XLSX file Vigie produces: values are written as data, never as formulas.

A spreadsheet runs a cell whose text starts with `=`, `+`, `-` or `@` (or a tab, a carriage return) as a
formula ("CSV injection", OWASP): a breach titled `=HYPERLINK("http://evil","x")`, an employee named
`=cmd|'/C calc'!A0` in the roster, become a link or a command in the DPO's Excel. Spaces and quotes in front
do not stop every spreadsheet, nor do the full-width signs (＝＋－＠) some convert. So:

- CSV (`CsvWriter`, `csv_text`, `csv_lines`, `csv_download`): such a text gets an apostrophe in front,
  which spreadsheets show as text and never run; numbers are written as numbers (-2 stays -2, only the
  text "-2+3" is neutralised). One dialect: `;` separated (French Excel opens it as a table), CRLF, UTF-8
  with a BOM, quotes only where needed.
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
import io
import re
from collections.abc import Iterable, Iterator
from decimal import Decimal
from inspect import isgenerator
from typing import IO, Any

from django.http import StreamingHttpResponse
from django.utils.text import get_valid_filename
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell, MergedCell
from openpyxl.cell.rich_text import CellRichText
from openpyxl.utils import column_index_from_string
from openpyxl.worksheet.worksheet import Worksheet

CSV_DELIMITER = ";"
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


def csv_value(value: Any) -> str:
    """A value as a CSV field's text: numbers as they are (a negative number stays a number), anything else
    as its text, made formula-safe; None is empty."""
    if value is None:
        return ""
    if isinstance(value, _NUMBERS) and not isinstance(value, bool):
        return str(value)
    return formula_safe(value if isinstance(value, str) else str(value))


def csv_field(text: str) -> str:
    """A field's (already formula-safe) text as `CsvWriter` writes it: quoted, quotes doubled, when it holds
    a separator, a quote or a line break. For writers that assemble their lines themselves, for speed."""
    if CSV_DELIMITER in text or '"' in text or "\n" in text or "\r" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


def csv_line(values: Iterable[Any]) -> str:
    """One line of Vigie's CSV files (with its line end), each value written by `csv_value`."""
    return CSV_DELIMITER.join(csv_field(csv_value(value)) for value in values) + CSV_LINE_END


class CsvWriter:
    """csv.writer in Vigie's dialect whose values go through `csv_value`. Writes no BOM: give it a stream
    opened with encoding="utf-8-sig", or use `csv_text` / `csv_lines`."""

    def __init__(self, stream: IO[str]) -> None:
        self._writer = csv.writer(stream, delimiter=CSV_DELIMITER, lineterminator=CSV_LINE_END)

    def writerow(self, values: Iterable[Any]) -> Any:
        return self._writer.writerow([csv_value(value) for value in values])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for values in rows:
            self.writerow(values)


class _Echo:
    """A stream that hands back what is written to it: `CsvWriter.writerow` then returns the line."""

    def write(self, text: str) -> str:
        return text


def csv_lines(header: Iterable[Any], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """A CSV file a line at a time, the BOM first: for a streamed response or a file written as it goes."""
    writer = CsvWriter(_Echo())  # type: ignore[arg-type]  # writes only, never reads
    yield BOM + writer.writerow(header)
    for values in rows:
        yield writer.writerow(values)


def csv_text(header: Iterable[Any], rows: Iterable[Iterable[Any]]) -> str:
    """A whole CSV file as text, BOM included."""
    return "".join(csv_lines(header, rows))


def csv_download(filename: str, header: Iterable[Any], rows: Iterable[Iterable[Any]]) -> StreamingHttpResponse:
    """A CSV file as a streamed download: a large population never sits in memory."""
    response = StreamingHttpResponse(
        (line.encode("utf-8") for line in csv_lines(header, rows)), content_type=CSV_CONTENT_TYPE
    )
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
