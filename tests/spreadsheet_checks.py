"""What the export tests check in a file Vigie produced: no cell a spreadsheet would run as a formula.

Written independently of core/spreadsheets.py, so a fault there cannot hide in the check.
"""

from __future__ import annotations

import csv
import io

import openpyxl

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
