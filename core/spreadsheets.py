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
  is cut with "…". Numbers and dates stay typed (dates shown JJ/MM/AAAA). Saving checks every cell once more.
  Every sheet prints as a document: its export declares what is its own (`print_layout`: page heading,
  header rows, fixed widths, the columns an index prints), saving does the rest for every sheet (A4, fit to
  one page wide, landscape where wide, header rows repeated and frozen, widths fitted to the content, long
  text wrapped with row heights for it, "Page n / N"); saving a sheet without a layout is refused.

Nothing else in Vigie may call csv.writer or make an openpyxl Workbook (tests/core/test_spreadsheets.py
scans the code for it), so no export can forget.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from copy import copy
from dataclasses import dataclass, field
from decimal import Decimal
from inspect import isgenerator
from typing import IO, Any, cast

from django.http import StreamingHttpResponse
from django.utils.text import get_valid_filename
from django.utils.translation import gettext
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell, MergedCell
from openpyxl.cell.rich_text import CellRichText
from openpyxl.styles import Alignment, Font
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.worksheet.pagebreak import Break
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


def add_dialect_argument(parser: Any, help: str) -> None:
    """`--dialect french|machine` (the French one by default) on a command that writes a CSV file; its value
    goes through `dialect_named`, which also refuses a wrong one given to call_command."""
    parser.add_argument("--dialect", default=FRENCH.name, choices=DIALECT_NAMES, help=help)


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
DATE_FORMAT = "DD/MM/YYYY"
DATETIME_FORMAT = "DD/MM/YYYY HH:MM"
#: What openpyxl gives a date cell: replaced by the French formats above.
_OPENPYXL_DATE_FORMATS = frozenset({"General", "yyyy-mm-dd", "yyyy-mm-dd h:mm:ss"})

# Printing. Widths are in Excel's unit, about one character of the default font (Calibri 11).
#: What an A4 page holds at 100 % between narrow margins (measured in LibreOffice with Carlito, the metric
#: twin of Calibri): portrait, landscape.
A4_PORTRAIT_WIDTH = 88
A4_LANDSCAPE_WIDTH = 130
#: The height it holds (points: the page less the top and bottom margins set below): portrait, landscape.
A4_PORTRAIT_HEIGHT = 842 - 2 * 0.6 * 72
A4_LANDSCAPE_HEIGHT = 595 - 2 * 0.6 * 72
#: A sheet up to this many pages tall prints on one page (at 83 % or more) instead of two.
ONE_PAGE_SLACK = 1.2
#: A column fitted to its content is at least, at most this wide; longer text wraps.
MIN_COLUMN_WIDTH = 6
MAX_COLUMN_WIDTH = 40
#: The height of a line of text (Calibri 11), in points; Excel and LibreOffice do not compute it for a row
#: whose height a file leaves out before printing, so wrapped text would print on top of the next row.
LINE_HEIGHT = 15.0
#: Excel's tallest row (points); a taller row is cut on screen, and a row taller than a page is cut on paper.
MAX_ROW_HEIGHT = 409
#: The lines of a record's value written in one row (`split_text`): within MAX_ROW_HEIGHT.
MAX_ROW_LINES = 25
#: Excel's limit of a page header's or footer's text.
_MAX_HEADER_CHARS = 250


@dataclass
class PrintLayout:
    """How a sheet prints: what its export declares, the rest is the same for every sheet (`_finish_sheet`)."""

    #: The page heading (the document's name); the footer says the sheet and "Page n / N".
    title: str
    #: The rows on top (title, headers): bold, frozen, repeated on every page.
    header_rows: int = 1
    #: The columns on the left kept in view (frozen) while scrolling across.
    frozen_columns: int = 0
    #: Fixed widths by column number (1 = A); the other columns are fitted to their content.
    widths: Mapping[int, float] = field(default_factory=dict)
    #: Print only the first n columns: the sheet is a wide table whose detail prints elsewhere (an index).
    print_columns: int | None = None
    #: A fitted column is at most this wide.
    max_width: float = MAX_COLUMN_WIDTH


def print_layout(sheet: Worksheet, title: str, **options: Any) -> PrintLayout:
    """Declare how `sheet` (of a workbook from `new_workbook`) prints; see `PrintLayout` for the options.
    Saving applies it, once the content is written."""
    if not isinstance(sheet, _DataSheet):
        raise TypeError("make Vigie's workbooks with core.spreadsheets.new_workbook()")
    sheet.print_layout = PrintLayout(title=title, **options)
    return sheet.print_layout


def _shown(cell: Cell) -> str:
    """About the text a cell shows, for its width and its lines."""
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return "00/00/0000 00:00" if cell.number_format == DATETIME_FORMAT else "00/00/0000"
    if isinstance(value, dt.date):
        return "00/00/0000"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def _font_size_and_bold(cell: Cell, known: dict[int, tuple[float, bool]]) -> tuple[float, bool]:
    """A cell's font size and whether it is bold, `known` by the workbook's font number (reading a cell's font
    through openpyxl costs more than the rest of the layout)."""
    number = cell._style.fontId if cell._style is not None else 0  # no style: the workbook's first font
    if number not in known:
        font = cell.font
        known[number] = (float(font.sz or 11), bool(font.b))
    return known[number]


def _font_scale(size: float, bold: bool) -> float:
    """How much wider than the default font's a character is (its size; bold is wider)."""
    return size / 11 * (1.1 if bold else 1.0)


def text_lines(text: str, width: float) -> int:
    """How many lines `text` takes, wrapped in a column `width` wide. An estimate: a unit of width holds a
    character of average text (its unit is a digit's width, wider than most letters), less what wrapping at
    words loses."""
    per_line = max(1, math.floor(width * 1.1) - 1)
    return sum(max(1, math.ceil(len(line) / per_line)) for line in text.split("\n")) if text else 1


def split_text(text: str, width: float, max_lines: int = MAX_ROW_LINES) -> list[str]:
    """`text` in pieces of at most `max_lines` lines in a column `width` wide (`text_lines`), cut between
    words where it can: one cell per piece, so a long text is never cut by a row's or a page's height."""
    pieces: list[str] = []
    per_line = max(1, math.floor(width * 1.1) - 1)
    while text_lines(text, width) > max_lines:
        cut = per_line * max_lines
        while cut > 1 and text_lines(text[:cut], width) > max_lines:
            cut = max(1, cut * 4 // 5)
        space = max(text.rfind("\n", 0, cut), text.rfind(" ", 0, cut))
        if space > cut // 2:
            cut = space + 1  # between words, the space or line break ending this piece
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip(" \n")
    pieces.append(text)
    return pieces


def write_records(
    sheet: Worksheet, records: Iterable[tuple[str, Iterable[tuple[str, Any]]]], *, label_width: float = 32
) -> None:
    """Write each record as a block of "label | value" rows under its heading, a page each (a page break
    between blocks): how a record of a table too wide for a page prints. Declares the sheet's layout, with
    `label_width` for the labels and the rest of a portrait A4 for the values."""
    label_font, heading_font = Font(name="Calibri", bold=True), Font(name="Calibri", bold=True, size=12)
    top = Alignment(vertical="top", wrap_text=True)
    value_width = A4_PORTRAIT_WIDTH - label_width - 3
    # A value too long for one row goes on in the rows below it, labelled so.
    continued, continued_font = gettext("(continued)"), Font(name="Calibri", italic=True, color="595959")
    row = 0
    for heading, lines in records:
        if row:
            sheet.row_breaks.append(Break(id=row))
            row += 1
        row += 1
        sheet.cell(row=row, column=1, value=heading).font = heading_font
        for label, value in lines:
            pieces = split_text(value, value_width) if isinstance(value, str) else [value]
            for number, piece in enumerate(pieces):
                row += 1
                label_cell = sheet.cell(row=row, column=1, value=label if number == 0 else continued)
                label_cell.font, label_cell.alignment = (label_font if number == 0 else continued_font), top
                sheet.cell(row=row, column=2, value=None if piece == "" else piece).alignment = Alignment(
                    vertical="top", horizontal="left", wrap_text=True
                )
        row += 1
    title = sheet.title
    print_layout(sheet, title, header_rows=0, widths={1: label_width, 2: value_width})


def _shared_rows(sheet: Worksheet) -> set[int]:
    """The rows with a value beyond the first column: in the others, a text in the first column (a title, a
    group's heading) spills over the empty cells beside it."""
    return {row for (row, column), cell in sheet._cells.items() if column > 1 and cell.value is not None}


def _fit_widths(sheet: Worksheet, layout: PrintLayout, shared_rows: set[int]) -> dict[int, float]:
    """Each column's width: as declared, else the longest line of its cells (a header's longest word, as
    headers wrap) within the bounds."""
    longest: dict[int, float] = {}
    fonts: dict[int, tuple[float, bool]] = {}
    for (row, column), cell in sheet._cells.items():
        if column in layout.widths or isinstance(cell, MergedCell):
            continue
        text = _shown(cell)
        if not text:
            continue
        if column == 1 and row not in shared_rows and sheet.max_column > 1:
            continue  # a title above the table spills over the columns beside it or wraps across them
        words = text.split() if row <= layout.header_rows else text.split("\n")
        size = max((len(word) for word in words), default=0) * _font_scale(*_font_size_and_bold(cell, fonts)) + 2
        longest[column] = max(longest.get(column, 0), size)
    widths = {}
    for column in range(1, sheet.max_column + 1):
        if column in layout.widths:
            widths[column] = float(layout.widths[column])
        else:
            widths[column] = float(min(max(longest.get(column, MIN_COLUMN_WIDTH), MIN_COLUMN_WIDTH), layout.max_width))
    return widths


def _header_text(text: str) -> str:
    # "&" starts a code in a page header: doubled to be printed.
    return xml_safe(text).replace("&", "&&")[:_MAX_HEADER_CHARS]


def _finish_sheet(sheet: Worksheet, layout: PrintLayout) -> None:
    """Lay `sheet` out for the screen and the printer: bold header rows, widths, wrapped text and the row
    heights it needs, frozen panes, A4 fit to one page wide (landscape where wide), header rows repeated,
    print area, page heading and footer."""
    shared_rows = _shared_rows(sheet)
    widths = _fit_widths(sheet, layout, shared_rows)
    for column, width in widths.items():
        sheet.column_dimensions[get_column_letter(column)].width = round(width, 1)
    last_column = layout.print_columns or max(sheet.max_column, 1)
    table_width = sum(widths.get(column, MIN_COLUMN_WIDTH) for column in range(1, last_column + 1))
    # A text alone in its row's first column spills over the empty cells beside it; one longer than the
    # table wraps across it (merged).
    lines_of_row: dict[int, float] = {}
    merged_rows = []
    fonts: dict[int, tuple[float, bool]] = {}
    alignments: dict[tuple[Any, ...], Alignment] = {}
    alignment_of: dict[int, Any] = {}
    for (row, column), cell in sheet._cells.items():
        if isinstance(cell, MergedCell):
            continue
        header = row <= layout.header_rows
        size, bold = _font_size_and_bold(cell, fonts)
        if header and cell.value is not None and not bold:
            font = cast(Font, copy(cell.font))
            font.b = bold = True
            cell.font = font
        text = _shown(cell)
        scale = _font_scale(size, bold)
        width = widths.get(column, MIN_COLUMN_WIDTH)
        style = cell._style
        number = style.alignmentId if style is not None else 0  # no style: the workbook's first alignment
        if number not in alignment_of:
            alignment_of[number] = cell.alignment  # read once per alignment: openpyxl's getter is slow
        alignment = alignment_of[number]
        wrap = bool(alignment.wrap_text)
        alone = column == 1 and last_column > 1 and row not in shared_rows
        if alone and len(text) * scale > width - 1:
            if len(text) * scale < table_width - 1 and "\n" not in text:
                wrap = False  # spills
            else:
                merged_rows.append(row)
                width, wrap = table_width, True
        else:
            wrap = wrap or "\n" in text or len(text) * scale > width - 1
        if text and (wrap != alignment.wrap_text or alignment.vertical is None):
            # Wrapped where long; at the top of a row made taller for a neighbour's lines, as they are.
            key = (alignment.horizontal, alignment.vertical or "top", wrap, alignment.indent)
            if key not in alignments:
                alignments[key] = Alignment(horizontal=key[0], vertical=key[1], wrap_text=wrap, indent=key[3])
            cell.alignment = alignments[key]
        if layout.print_columns and column > layout.print_columns:
            continue  # not printed (an index's detail): its lines do not make the printed row taller
        lines = text_lines(text, width / scale) if wrap else 1
        lines_of_row[row] = max(lines_of_row.get(row, 1.0), lines * size / 11)
    for row in merged_rows:
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=last_column)
    for row, row_lines in lines_of_row.items():
        if row_lines > 1.01:
            height = min(math.ceil(LINE_HEIGHT * row_lines), MAX_ROW_HEIGHT)
            dimension = sheet.row_dimensions[row]
            dimension.height = max(height, dimension.height or 0)

    if layout.header_rows or layout.frozen_columns:
        sheet.freeze_panes = sheet.cell(row=layout.header_rows + 1, column=layout.frozen_columns + 1).coordinate
    if layout.header_rows:
        sheet.print_title_rows = f"1:{layout.header_rows}"
    sheet.print_area = f"A1:{get_column_letter(last_column)}{max(sheet.max_row, 1)}"
    printed = sum(widths.get(column, MIN_COLUMN_WIDTH) + 0.7 for column in range(1, last_column + 1))
    setup = sheet.page_setup
    setup.paperSize = sheet.PAPERSIZE_A4
    setup.orientation = sheet.ORIENTATION_LANDSCAPE if printed > A4_PORTRAIT_WIDTH else sheet.ORIENTATION_PORTRAIT
    setup.fitToWidth = 1
    # As many pages tall as it takes; but a sheet just over a page (a fiche) fits on one, a little smaller,
    # rather than leave its last lines alone on a second page.
    landscape = setup.orientation == sheet.ORIENTATION_LANDSCAPE
    page_height = A4_LANDSCAPE_HEIGHT if landscape else A4_PORTRAIT_HEIGHT
    scale = min(1.0, (A4_LANDSCAPE_WIDTH if landscape else A4_PORTRAIT_WIDTH) / printed) if printed else 1.0
    tall = scale * sum(sheet.row_dimensions[row].height or LINE_HEIGHT for row in range(1, sheet.max_row + 1))
    setup.fitToHeight = 1 if page_height < tall <= page_height * ONE_PAGE_SLACK and not sheet.row_breaks.brk else 0
    properties = sheet.sheet_properties.pageSetUpPr
    assert properties is not None  # openpyxl makes it with every sheet
    properties.fitToPage = True
    margins = sheet.page_margins
    margins.left = margins.right = 0.4
    margins.top = margins.bottom = 0.6
    margins.header = margins.footer = 0.3
    sheet.print_options.horizontalCentered = True
    page_header, page_footer = sheet.oddHeader, sheet.oddFooter
    assert page_header is not None and page_footer is not None  # openpyxl makes both with every sheet
    page_header.center.text = _header_text(layout.title)
    page_footer.left.text = "&A"  # the sheet's name
    page_footer.right.text = "Page &P / &N"


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
        if self.data_type == "d" and self.number_format in _OPENPYXL_DATE_FORMATS:
            self.number_format = DATETIME_FORMAT if isinstance(value, dt.datetime) else DATE_FORMAT


class _DataSheet(Worksheet):
    """A worksheet whose every cell is a `_DataCell`, printed as its `PrintLayout` says."""

    print_layout: PrintLayout | None = None

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
            layout = getattr(sheet, "print_layout", None)
            if layout is None:
                raise ValueError(
                    f"sheet {sheet.title!r} has no print layout: declare one with core.spreadsheets.print_layout()"
                )
            _finish_sheet(sheet, layout)
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
