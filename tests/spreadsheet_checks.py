"""What the export tests check in a file Vigie produced: no cell a spreadsheet would run as a formula; an
.xlsx that prints as a document (`print_problems`).

Written independently of core/spreadsheets.py, so a fault there cannot hide in the check.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
from openpyxl.worksheet.worksheet import Worksheet

#: What the issue planted (14, item 7): in a title, a name from the roster, a rejected row.
PAYLOADS = ('=HYPERLINK("http://evil","x")', "=cmd|'/C calc'!A0", "@SUM(1)", "-2+3", "+cmd|' /C calc'!A0")


def formula_cells(content: bytes) -> list[str]:
    """The cells of an .xlsx stored as formulas (openpyxl's data type "f"), as "Sheet!A1"."""
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    return [
        f"{sheet.title}!{cell.coordinate}"
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type == "f"
    ]


def xlsx_texts(content: bytes) -> list[str]:
    """Every text cell of an .xlsx, as stored."""
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    return [
        cell.value
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str)
    ]


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", "."))
    except ValueError:
        return False
    return True


def csv_fields(content: str | bytes, delimiter: str = ";") -> list[str]:
    text = content.decode("utf-8-sig") if isinstance(content, bytes) else content.lstrip("\ufeff")
    return [field for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) for field in row]


def formula_fields(content: str | bytes, delimiter: str = ";") -> list[str]:
    """The fields of a CSV a spreadsheet would run as a formula: starting with = + - @ (also after spaces
    or double quotes), a tab or a carriage return. Not a number (-2), nor a text behind an apostrophe (which
    spreadsheets show as text)."""
    risky = []
    for field in csv_fields(content, delimiter):
        if field.startswith("'") or _is_number(field):
            continue
        if field[:1] in ("\t", "\r") or field.lstrip(' "')[:1] in ("=", "+", "-", "@", "＝", "＋", "－", "＠"):
            risky.append(field)
    return risky


# -- printing (issue 18): what keeps a sheet from printing as a document an auditor would file ------------------
#: What an A4 page holds at 100 %, in column-width units (about a character): portrait, landscape.
PAGE_WIDTH = {"portrait": 88, "landscape": 130}
#: Below this scale a printed page is not read (Calibri 11 at 60 % is 6.6 pt).
MIN_PRINT_SCALE = 0.6


def _lines_at_least(text: str, width: float) -> int:
    """The fewest lines `text` can take in a column `width` wide: generous, 1.3 characters a unit."""
    per_line = max(1, int(width * 1.3))
    return sum(max(1, -(-len(line) // per_line)) for line in text.split("\n"))


def print_problems(content: bytes) -> list[str]:
    """What in an .xlsx would not print right, as "Sheet: problem": every sheet A4, fit to one page wide and
    as many tall, at a readable scale, with a page heading and "Page n / N", a print area; every row with a
    wrapped text of several lines tall enough for them; every date cell shown as a French date."""
    from openpyxl.utils import get_column_letter, range_boundaries

    problems = []
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    for sheet in workbook.worksheets:
        name = sheet.title
        setup = sheet.page_setup
        if str(setup.paperSize) != "9":
            problems.append(f"{name}: paper {setup.paperSize}, not A4")
        fit = sheet.sheet_properties.pageSetUpPr
        # one page wide and as many tall (0), or one page tall for a sheet just over a page
        if setup.fitToWidth != 1 or setup.fitToHeight not in (0, 1) or fit is None or not fit.fitToPage:
            problems.append(f"{name}: not fit to one page wide ({setup.fitToWidth} x {setup.fitToHeight})")
        if setup.orientation not in PAGE_WIDTH:
            problems.append(f"{name}: no orientation")
        heading = sheet.oddHeader.center if sheet.oddHeader is not None else None
        if heading is None or not heading.text:
            problems.append(f"{name}: no page heading")
        footer_right = sheet.oddFooter.right if sheet.oddFooter is not None else None
        footer = (footer_right.text if footer_right is not None else None) or ""
        if "&P" not in footer or "&N" not in footer:
            problems.append(f"{name}: no page numbers")
        if not sheet.print_area:
            problems.append(f"{name}: no print area")
        area = (sheet.print_area or sheet.dimensions).rsplit("!", 1)[-1].split(",")[0].replace("$", "")
        bounds = range_boundaries(area)
        min_col, max_col = bounds[0] or 1, bounds[2] or 1
        widths = {
            column: sheet.column_dimensions[get_column_letter(column)].width or 13
            for column in range(min_col, max_col + 1)
        }
        printed = sum(width + 0.7 for width in widths.values())
        scale = min(1.0, PAGE_WIDTH.get(setup.orientation or "portrait", 95) / printed)
        if scale < MIN_PRINT_SCALE:
            problems.append(f"{name}: prints at {scale:.0%}")
        # A merged cell's text wraps across its range.
        merged_width = {
            (cells.bounds[1], cells.bounds[0]): sum(
                sheet.column_dimensions[get_column_letter(column)].width or 13
                for column in range(cells.bounds[0], cells.bounds[2] + 1)
            )
            for cells in sheet.merged_cells.ranges
        }
        for row in sheet.iter_rows():
            needed = 1
            for cell in row:
                if isinstance(cell.value, dt.date) and not (
                    cell.number_format.upper().startswith("DD/MM/YYYY") and cell.is_date
                ):
                    problems.append(f"{name}!{cell.coordinate}: date shown as {cell.number_format!r}")
                if not isinstance(cell.value, str):
                    continue
                if not cell.font.name:  # LibreOffice then prints it in its default font, a serif, wider
                    problems.append(f"{name}!{cell.coordinate}: a font without a name")
                width = (
                    merged_width.get((cell.row, cell.column)) or sheet.column_dimensions[cell.column_letter].width or 13
                )
                if cell.alignment.wrap_text:
                    if (cell.column or 0) <= max_col:  # a column the page prints (an index prints its first)
                        needed = max(needed, _lines_at_least(cell.value, width))
                elif _lines_at_least(cell.value, width) > 1 and sheet.cell(row=cell.row, column=cell.column + 1).value:
                    problems.append(f"{name}!{cell.coordinate}: a long text cut by the cell beside it")
            tallest = sheet.row_dimensions[row[0].row or 0].height or 0
            if tallest > 409:  # Excel's tallest row: a taller one is cut on screen, and on paper past a page
                problems.append(f"{name}!{row[0].row}: a row {tallest} pt tall, past Excel's 409 pt")
            if needed > 1:
                number = row[0].row
                assert number is not None  # a cell of a sheet has its row
                height = sheet.row_dimensions[number].height
                if height is None or height < 12 * needed:
                    problems.append(f"{name}!{row[0].row}: {needed} lines in a row {height} pt tall")
    return problems


def assert_prints(
    content: bytes, sheet_name: str, *, orientation: str, title_rows: str | None, freeze: str | None
) -> Worksheet:
    """`print_problems` finds nothing in the whole workbook, and `sheet_name` prints in `orientation`, its
    header rows `title_rows` ("$1:$1") repeated on each page and its panes frozen at `freeze`."""
    assert print_problems(content) == []
    sheet = openpyxl.load_workbook(io.BytesIO(content))[sheet_name]
    assert sheet.page_setup.orientation == orientation
    assert sheet.page_setup.fitToWidth == 1 and sheet.page_setup.fitToHeight in (0, 1)
    assert sheet.print_title_rows == title_rows
    assert sheet.freeze_panes == freeze
    return sheet
