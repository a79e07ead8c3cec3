"""The one writer of Vigie's CSV and XLSX files (core/spreadsheets.py), and the guard that keeps it the only one."""

from __future__ import annotations

import ast
import csv
import datetime as dt
import io
import re
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.conf import settings
from django.utils import translation

from core.spreadsheets import (
    A4_PORTRAIT_HEIGHT,
    FRENCH,
    LINE_HEIGHT,
    MACHINE,
    MAX_ROW_HEIGHT,
    MAX_ROW_LINES,
    CsvWriter,
    UnknownCsvDialect,
    csv_download,
    csv_line,
    csv_redialect,
    csv_text,
    dialect_named,
    new_workbook,
    print_layout,
    split_text,
    text_lines,
    workbook_bytes,
    write_records,
)
from tests.spreadsheet_checks import PAYLOADS, csv_fields, formula_cells, formula_fields, print_problems

RISKY = (*PAYLOADS, " =1+1", '"=1+1"', "'=1+1", "\t=1", "\rx", "＝1+1", "-", "@")


# -- CSV ------------------------------------------------------------------------------------------------------
def test_a_csv_field_that_looks_like_a_formula_gets_an_apostrophe_and_numbers_stay_numbers():
    text = csv_text(
        ["text", "negative", "decimal", "none", "plain", "date"],
        [[value, -2, Decimal("-1.5"), None, "Dupont", dt.date(2024, 1, 2)] for value in RISKY],
    )
    assert text.startswith("\ufeff") and text.endswith("\r\n")
    fields = csv_fields(text)
    rows = [fields[start : start + 6] for start in range(6, len(fields), 6)]
    assert [row[0] for row in rows] == ["'" + value for value in RISKY]
    assert {tuple(row[1:]) for row in rows} == {("-2", "-1,5", "", "Dupont", "02/01/2024")}
    assert formula_fields(text) == []
    machine = csv_text(
        ["text", "negative", "decimal", "none", "plain", "date"],
        [[value, -2, Decimal("-1.5"), None, "Dupont", dt.date(2024, 1, 2)] for value in RISKY],
        MACHINE,
    )
    fields = csv_fields(machine, ",")
    rows = [fields[start : start + 6] for start in range(6, len(fields), 6)]
    assert [row[0] for row in rows] == ["'" + value for value in RISKY]
    assert {tuple(row[1:]) for row in rows} == {("-2", "-1.5", "", "Dupont", "2024-01-02")}
    assert formula_fields(machine, ",") == []


def test_a_number_written_as_text_is_left_as_it_is():
    assert csv_text(["n"], [["-30"], ["+1,5"], ["-2.5e3"], ["-2+3"], ["- 3"]]).splitlines()[1:] == [
        "-30",
        "+1,5",
        "-2.5e3",
        "'-2+3",
        "'- 3",
    ]


def test_separators_quotes_and_line_breaks_are_quoted():
    line = csv_line(["a;b", 'say "hi"', "two\nlines", "plain"])
    assert line == '"a;b";"say ""hi""";"two\nlines";plain\r\n'
    assert csv_fields(line) == ["a;b", 'say "hi"', "two\nlines", "plain"]


def test_the_csv_writer_writes_lines_as_csv_text_does():
    stream = io.StringIO(newline="")
    writer = CsvWriter(stream)
    writer.writerow(["h1", "h2"])
    writer.writerows([["=1", 3]])
    assert "\ufeff" + stream.getvalue() == csv_text(["h1", "h2"], [["=1", 3]]) == "\ufeffh1;h2\r\n'=1;3\r\n"


def test_a_csv_download_streams_the_file_with_its_name():
    response = csv_download("not trained.csv", ["name"], iter([["@SUM(1)"]]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="not_trained.csv"' in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == "\ufeffname\r\n'@SUM(1)\r\n".encode()


# -- the two dialects ---------------------------------------------------------------------------------------------
PARIS_MIDNIGHT = dt.datetime(2023, 12, 31, 23, 0, tzinfo=dt.UTC)  # 01/01/2024 00:00 in Paris
HEADER = ["code", "count", "rate", "ratio", "tiny", "huge", "loss", "on", "at", "label"]
ROWS = [
    [
        "A;1",
        12,
        89.0,
        Decimal("91.50"),
        1e-05,
        12345678901234567890,
        -3.25,
        dt.date(2024, 2, 29),
        PARIS_MIDNIGHT,
        "a,b",
    ],
    [
        "=B2",
        -7,
        84.1,
        Decimal("1E+2"),
        0.5,
        10**6,
        Decimal("-0.10"),
        dt.date(999, 1, 1),
        dt.datetime(2024, 7, 1, 21, 59, 59, tzinfo=dt.UTC),
        'x "y"',
    ],
]
NUMBERS, DATES = ("count", "rate", "ratio", "tiny", "huge", "loss"), ("on", "at")


def test_the_french_dialect_is_read_by_a_french_spreadsheet_as_numbers_and_dates():
    text = csv_text(HEADER, ROWS)
    assert text.startswith("\ufeff") and text.count("\r\n") == 3
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline=""), delimiter=";"))
    assert len(rows) == 2
    for row in rows:
        assert all(re.fullmatch(r"-?\d+(,\d+)?", row[key]) for key in NUMBERS), row
        assert re.fullmatch(r"\d{2}/\d{2}/\d{4}", row["on"]), row
        assert re.fullmatch(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2}", row["at"]), row
    assert [rows[0][key] for key in (*NUMBERS, *DATES)] == [
        "12",
        "89,0",
        "91,50",
        "0,00001",
        "12345678901234567890",
        "-3,25",
        "29/02/2024",
        "01/01/2024 00:00:00",
    ]
    assert (rows[0]["code"], rows[0]["label"], rows[1]["code"], rows[1]["label"]) == ("A;1", "a,b", "'=B2", 'x "y"')
    assert (rows[1]["ratio"], rows[1]["loss"], rows[1]["on"], rows[1]["at"]) == (
        "100",
        "-0,10",
        "01/01/0999",
        "01/07/2024 23:59:59",
    )


def test_the_machine_dialect_is_read_by_programs_with_the_same_rows():
    text = csv_text(HEADER, ROWS, MACHINE)
    assert not text.startswith("\ufeff") and text.startswith("code,count,")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    french = list(csv.DictReader(io.StringIO(csv_text(HEADER, ROWS).removeprefix("\ufeff"), newline=""), delimiter=";"))
    assert len(rows) == len(french) == 2
    for row, other in zip(rows, french, strict=True):
        for key in NUMBERS:
            assert float(row[key]) == float(other[key].replace(",", ".")), key
        assert dt.date.fromisoformat(row["on"]).strftime("%d/%m/%Y") == other["on"].replace("/0999", "/999")
        moment = dt.datetime.fromisoformat(row["at"])
        assert moment.utcoffset() is not None and moment.strftime("%d/%m/%Y %H:%M:%S") == other["at"]
        assert (row["code"], row["label"]) == (other["code"], other["label"])
    assert rows[0]["at"] == "2024-01-01T00:00:00+01:00" and rows[1]["at"] == "2024-07-01T23:59:59+02:00"
    assert dt.datetime.fromisoformat(rows[0]["at"]) == PARIS_MIDNIGHT


def test_a_dialect_is_named_and_a_wrong_name_is_refused_with_the_allowed_values():
    assert (dialect_named(None), dialect_named(""), dialect_named("french"), dialect_named("machine")) == (
        FRENCH,
        FRENCH,
        FRENCH,
        MACHINE,
    )
    for wrong in ("bogus", "French", "excel", "machine "):
        with pytest.raises(UnknownCsvDialect, match="french, machine"):
            dialect_named(wrong)


def test_the_writer_and_a_download_write_the_dialect_asked():
    stream = io.StringIO(newline="")
    CsvWriter(stream, MACHINE).writerows([["h1", "h2"], ["=1", 3.5]])
    assert stream.getvalue() == csv_text(["h1", "h2"], [["=1", 3.5]], MACHINE) == "h1,h2\r\n'=1,3.5\r\n"
    response = csv_download("x.csv", ["n"], iter([[1.5]]), MACHINE)
    assert b"".join(response.streaming_content) == b"n\r\n1.5\r\n"


def test_a_stored_french_file_is_rewritten_in_the_machine_dialect_field_for_field():
    french = csv_text(["line", "reason", "a"], [[2, "a: bad; b: worse", "x,y"], [3, "ok", "=1"]])
    machine = "".join(csv_redialect(io.BytesIO(french.encode("utf-8")), MACHINE))
    assert machine == 'line,reason,a\r\n2,a: bad; b: worse,"x,y"\r\n3,ok,\'=1\r\n'
    assert "".join(csv_redialect(io.BytesIO(french.encode("utf-8")), FRENCH)) == french


# -- XLSX ------------------------------------------------------------------------------------------------------
def laid_out(workbook, **options):
    for sheet in workbook.worksheets:
        print_layout(sheet, "Test", **options)
    return workbook


def reloaded(workbook):
    return openpyxl.load_workbook(io.BytesIO(workbook_bytes(workbook)))


def test_every_way_of_writing_a_cell_writes_data_not_a_formula():
    workbook = new_workbook()
    sheet = workbook.active
    sheet.append(list(RISKY))
    sheet.append(value for value in RISKY)  # a generator
    sheet.append({"A": RISKY[0], 2: RISKY[1]})
    sheet["A4"] = RISKY[0]
    sheet.cell(row=5, column=1, value=RISKY[0])
    sheet.cell(row=6, column=1).value = RISKY[0]
    workbook.create_sheet("Two").append([RISKY[0]])
    content = workbook_bytes(laid_out(workbook))
    assert formula_cells(content) == []
    back = openpyxl.load_workbook(io.BytesIO(content))
    # The text as it was (XML reads a carriage return as a line feed).
    assert [c.value for c in back.active[1]] == [value.replace("\r", "\n") for value in RISKY]
    assert all(c.data_type == "s" and c.quotePrefix for c in back.active[1])
    assert [back.active[f"A{row}"].value for row in range(3, 7)] == [RISKY[0]] * 4
    assert back["Two"]["A1"].value == RISKY[0] and back["Two"]["A1"].data_type == "s"


def test_numbers_and_dates_stay_typed_and_plain_text_is_not_marked():
    workbook = new_workbook()
    workbook.active.append(
        [-2, 3.5, Decimal("-1.25"), dt.date(2024, 1, 2), dt.datetime(2024, 1, 2, 10, 30), "Dupont", "#N/A", None]
    )
    back = openpyxl.load_workbook(io.BytesIO(workbook_bytes(laid_out(workbook, header_rows=0)))).active
    cells = list(back[1])
    assert [c.value for c in cells[:7]] == [
        -2,
        3.5,
        -1.25,
        dt.datetime(2024, 1, 2),
        dt.datetime(2024, 1, 2, 10, 30),
        "Dupont",
        "#N/A",
    ]
    assert [c.data_type for c in cells[:7]] == ["n", "n", "n", "d", "d", "s", "s"]
    assert not cells[5].quotePrefix


def test_characters_xml_cannot_hold_are_dropped_and_a_text_past_excel_s_limit_is_cut():
    workbook = new_workbook()
    workbook.active.append(["bell\x07 and \x1b escape", "x" * 40_000])
    back = openpyxl.load_workbook(io.BytesIO(workbook_bytes(laid_out(workbook)))).active
    assert back["A1"].value == "bell and  escape"
    assert len(back["B1"].value) == 32_767 and back["B1"].value.endswith("…")


def test_a_formula_object_is_refused():
    from openpyxl.worksheet.formula import ArrayFormula

    with pytest.raises(ValueError, match="data, not formulas"):
        new_workbook().active["A1"] = ArrayFormula("A1:A2", "=SUM(B1:B2)")


def test_only_workbooks_made_here_are_saved_here():
    with pytest.raises(TypeError):
        workbook_bytes(openpyxl.Workbook())


# -- XLSX: printing ---------------------------------------------------------------------------------------------
def test_a_sheet_saved_without_a_print_layout_is_refused():
    workbook = new_workbook()
    print_layout(workbook.active, "Laid out")
    workbook.create_sheet("Forgotten").append(["x"])
    with pytest.raises(ValueError, match="Forgotten.*print layout"):
        workbook_bytes(workbook)


def test_a_long_text_wraps_and_its_row_is_as_tall_as_its_lines():
    workbook = new_workbook()
    sheet = workbook.active
    sheet.append(["Code", "Text", "Note"])
    sheet.append(["A", "word " * 40, "short"])  # 200 characters in a column 20 wide
    sheet.append(["B", "one\ntwo\nthree", "short"])
    sheet.append(["C", "short", "short"])
    print_layout(sheet, "Wrapped", widths={2: 20})
    back = reloaded(workbook).active
    assert back["B2"].alignment.wrap_text and back["B2"].alignment.vertical == "top"
    assert back["A2"].alignment.vertical == "top"  # beside a tall cell, at the top as it is
    assert back.row_dimensions[2].height >= LINE_HEIGHT * 9  # 200 characters, about 21 a line
    assert back.row_dimensions[3].height == LINE_HEIGHT * 3
    assert back.row_dimensions[4].height is None and not back["B4"].alignment.wrap_text
    assert print_problems(workbook_bytes(workbook)) == []


def test_columns_are_fitted_to_their_content_within_bounds_and_declared_widths_are_kept():
    workbook = new_workbook()
    sheet = workbook.active
    sheet.append(["N°", "A very long header of several words", "Description", "Fixed"])
    sheet.append([1, "short", "x" * 300, "y"])
    print_layout(sheet, "Widths", widths={4: 33})
    back = reloaded(workbook).active
    widths = [back.column_dimensions[letter].width for letter in "ABCD"]
    assert widths[0] == 6  # at least the minimum
    assert 9 <= widths[1] <= 12  # the header's longest word ("several"), bold: headers wrap
    assert widths[2] == 40  # capped; the text wraps
    assert widths[3] == 33
    assert back["B1"].alignment.wrap_text


def test_header_rows_are_bold_frozen_and_repeated_on_every_page():
    workbook = new_workbook()
    sheet = workbook.active
    sheet.append(["Names of the year"])  # wider than its column, not than the table
    sheet.append(["Reference", "Name", "Amount"])
    for number in range(200):
        sheet.append([f"R{number}", "Name", number])
    print_layout(sheet, "Heading & co", header_rows=2, frozen_columns=1)
    back = reloaded(workbook).active
    assert back.freeze_panes == "B3"
    assert back.print_title_rows == "$1:$2"
    assert back["A2"].font.b and back["C2"].font.b and not back["A3"].font.b
    assert not back["A1"].alignment.wrap_text  # a title alone on its row spills over the empty cells
    assert back.oddHeader.center.text == "Heading && co"  # "&" is a code in a page heading
    assert back.oddFooter.right.text == "Page &P / &N"
    assert back.print_area == "'Sheet'!$A$1:$C$202"


def test_a_title_alone_on_its_row_spills_over_the_table_or_wraps_across_it():
    workbook = new_workbook()
    sheet = workbook.active
    sheet.append(["A title wider than a column"])
    sheet.append(["A title longer than the whole table, which is narrow: it wraps across the table " * 2])
    sheet.append(["Name", "Value"])
    sheet.append(["A name of some length", "y"])
    print_layout(sheet, "Titles", header_rows=0)
    back = reloaded(workbook).active
    assert not back["A1"].alignment.wrap_text and back.row_dimensions[1].height is None
    assert [str(cells) for cells in back.merged_cells.ranges] == ["A2:B2"]
    assert back["A2"].alignment.wrap_text and back.row_dimensions[2].height >= LINE_HEIGHT * 5
    assert print_problems(workbook_bytes(workbook)) == []


@pytest.mark.parametrize(("columns", "orientation"), [(3, "portrait"), (12, "landscape")])
def test_every_sheet_prints_on_a4_one_page_wide_landscape_where_wide(columns, orientation):
    workbook = new_workbook()
    sheet = workbook.active
    sheet.append([f"Column number {n}" for n in range(columns)])
    sheet.append(["a value" for _n in range(columns)])
    print_layout(sheet, "Pages")
    back = reloaded(workbook).active
    assert back.page_setup.orientation == orientation
    assert str(back.page_setup.paperSize) == "9"  # A4
    assert (back.page_setup.fitToWidth, back.page_setup.fitToHeight) == (1, 0)  # one wide, any number tall
    assert back.sheet_properties.pageSetUpPr.fitToPage
    assert print_problems(workbook_bytes(workbook)) == []


def test_a_sheet_just_over_a_page_prints_on_one_a_longer_one_on_as_many_as_it_takes():
    def pages_tall(rows):
        workbook = new_workbook()
        sheet = workbook.active
        sheet.append(["Label", "Value"])
        for n in range(rows):
            sheet.append([f"label {n}", n])
        print_layout(sheet, "Fiche")
        return reloaded(workbook).active.page_setup.fitToHeight

    page_rows = int(A4_PORTRAIT_HEIGHT // LINE_HEIGHT)
    assert pages_tall(10) == 0  # fits anyway
    assert pages_tall(page_rows + 3) == 1  # its last lines alone on a second page otherwise
    assert pages_tall(page_rows * 2) == 0  # two pages: not shrunk


def test_an_index_prints_its_first_columns_only():
    workbook = new_workbook()
    sheet = workbook.active
    sheet.append([f"Column {n}" for n in range(20)])
    sheet.append(["x" * 20 for _n in range(20)])
    print_layout(sheet, "Index", print_columns=3)
    back = reloaded(workbook).active
    assert back.print_area == "'Sheet'!$A$1:$C$2"
    assert back.page_setup.orientation == "portrait"
    assert [back.cell(row=2, column=n).value for n in (4, 20)] == ["x" * 20] * 2  # the data stays


def test_dates_are_dates_shown_the_french_way():
    workbook = new_workbook()
    sheet = workbook.active
    sheet.append(["Date", "Time", "Own format"])
    sheet.append([dt.date(2024, 1, 2), dt.datetime(2024, 1, 2, 10, 30), dt.date(2024, 1, 2)])
    sheet["C2"].number_format = "MMMM YYYY"
    print_layout(sheet, "Dates")
    back = reloaded(workbook).active
    assert [cell.value for cell in back[2]] == [dt.datetime(2024, 1, 2), dt.datetime(2024, 1, 2, 10, 30)] + [
        dt.datetime(2024, 1, 2)
    ]
    assert [cell.is_date for cell in back[2]] == [True, True, True]
    assert [cell.number_format for cell in back[2]] == ["DD/MM/YYYY", "DD/MM/YYYY HH:MM", "MMMM YYYY"]


def test_records_print_as_label_value_blocks_a_page_each():
    workbook = new_workbook()
    sheet = workbook.active
    records = [
        (f"R{n} – record", [("Label", f"value {n}"), ("When", dt.date(2024, 1, n + 1)), ("Long", "z " * 200)])
        for n in range(3)
    ]
    write_records(sheet, records)
    back = reloaded(workbook).active
    assert [cell.value for cell in back["A"] if cell.value and cell.value.startswith("R")] == [
        "R0 – record",
        "R1 – record",
        "R2 – record",
    ]
    assert len(back.row_breaks.brk) == 2  # a page break between records
    assert back.page_setup.orientation == "portrait"
    assert back["B3"].number_format == "DD/MM/YYYY"
    assert back.row_dimensions[4].height >= LINE_HEIGHT * 6
    assert print_problems(workbook_bytes(workbook)) == []


def test_a_value_too_long_for_a_row_goes_on_in_the_rows_below_never_cut():
    """Excel's tallest row is 409 pt and a row taller than a page is cut on paper: a long value (a breach's
    facts, an activity's security measures) is written in pieces, each within a row, "(suite)" beside
    the next ones, with nothing lost."""
    words = " ".join(f"word{n:04d}" for n in range(1200)) + "\n\nLast paragraph."
    workbook = new_workbook()
    sheet = workbook.active
    with translation.override("fr"):
        write_records(sheet, [("R1 – record", [("Facts", words), ("After", "short")])])
    back = reloaded(workbook).active
    pieces = [row for row in back.iter_rows(min_row=2, values_only=True) if row[1] is not None]
    assert [label for label, _value in pieces][:2] == ["Facts", "(suite)"] and pieces[-1] == ("After", "short")
    facts = [value for label, value in pieces if label in ("Facts", "(suite)")]
    assert len(facts) > 2 and " ".join(facts).split() == words.split()  # every word, in order, none cut
    assert all(height <= MAX_ROW_HEIGHT for height in (d.height or 0 for d in back.row_dimensions.values()))
    assert print_problems(workbook_bytes(workbook)) == []


def test_split_text_cuts_between_words_within_the_lines_of_a_row():
    text = ("lorem ipsum dolor " * 400).strip()
    pieces = split_text(text, 50)
    assert all(text_lines(piece, 50) <= MAX_ROW_LINES for piece in pieces) and " ".join(pieces) == text
    assert split_text("short", 50) == ["short"]
    assert "".join(split_text("x" * 5000, 50)) == "x" * 5000  # a word longer than a row is cut where it must


def test_an_index_row_is_as_tall_as_its_printed_columns_need():
    """The detail an index does not print does not make its printed rows tall and blank."""
    workbook = new_workbook()
    sheet = workbook.active
    sheet.append(["Reference", "Name", "Detail"])
    sheet.append(["A-1", "Short", "long detail " * 300])
    print_layout(sheet, "Index", print_columns=2)
    assert (reloaded(workbook).active.row_dimensions[2].height or LINE_HEIGHT) <= LINE_HEIGHT


def test_the_print_check_sees_what_does_not_print():
    """The check the exports' tests rely on fails on a workbook laid out by nobody."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Header"] + [f"Column {n}" for n in range(30)])
    sheet.append([dt.date(2024, 1, 2)] + ["text " * 30 for _n in range(30)])
    sheet["B2"].alignment = openpyxl.styles.Alignment(wrap_text=True)
    buffer = io.BytesIO()
    workbook.save(buffer)
    problems = print_problems(buffer.getvalue())
    for expected in (
        "not A4",
        "not fit to one page wide",
        "no page heading",
        "no page numbers",
        "no print area",
        "prints at",
        "lines in a row None pt tall",
        "date shown as 'yyyy-mm-dd'",
        "a long text cut by the cell beside it",
    ):
        assert any(expected in problem for problem in problems), expected


# -- the guard: nothing else writes a CSV or makes a workbook ----------------------------------------------------
ROOT = Path(settings.BASE_DIR)
WRITER = "core/spreadsheets.py"
#: Reads workbooks (read-only), writes none.
READERS = {"core/imports/readers.py"}


def _sources() -> list[Path]:
    skipped = {".venv", "tests", "node_modules", "var", ".git"}
    return sorted(
        path
        for path in ROOT.rglob("*.py")
        if not skipped & set(path.relative_to(ROOT).parts[:1]) and "migrations" not in path.parts
    )


def _offences(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    where = path.relative_to(ROOT).as_posix()
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = {alias.name for alias in node.names}
            if node.module == "csv" and names & {"writer", "DictWriter"}:
                found.append(f"{where}:{node.lineno}: from csv import {', '.join(sorted(names))}")
            if node.module.startswith("openpyxl"):
                bad = names & {"Workbook", "load_workbook", "ILLEGAL_CHARACTERS_RE"}
                if bad - ({"load_workbook"} if where in READERS else set()):
                    found.append(f"{where}:{node.lineno}: from {node.module} import {', '.join(sorted(bad))}")
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.value.id == "csv" and node.attr in {"writer", "DictWriter"}:
                found.append(f"{where}:{node.lineno}: csv.{node.attr}")
            if node.value.id == "openpyxl" and node.attr in {"Workbook", "load_workbook"} and where not in READERS:
                found.append(f"{where}:{node.lineno}: openpyxl.{node.attr}")
    return found


def test_no_module_but_the_writer_writes_csv_or_makes_a_workbook():
    """A new export uses core.spreadsheets (CsvWriter, csv_text, csv_download, new_workbook): the one place
    where values are neutralised. A workbook made there neutralises whatever is written into it."""
    sources = _sources()
    assert ROOT / WRITER in sources and len(sources) > 100
    offences = [offence for path in sources if path != ROOT / WRITER for offence in _offences(path)]
    assert offences == []


def test_the_guard_sees_each_way_in(tmp_path, monkeypatch):
    samples = {
        "import csv\nw = csv.writer(f)\n": "csv.writer",
        "import csv\nw = csv.DictWriter(f, [])\n": "csv.DictWriter",
        "from csv import writer\n": "from csv import writer",
        "from openpyxl import Workbook\n": "from openpyxl import Workbook",
        "import openpyxl\nopenpyxl.Workbook()\n": "openpyxl.Workbook",
        "from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE\n": "ILLEGAL_CHARACTERS_RE",
        "from openpyxl import load_workbook\n": "load_workbook",
    }
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    for number, (source, expected) in enumerate(samples.items()):
        path = tmp_path / f"sample_{number}.py"
        path.write_text(source, encoding="utf-8")
        assert any(expected in offence for offence in _offences(path)), source
