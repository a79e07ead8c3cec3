"""Readers of core/imports: encodings, delimiters, physical line numbers, files that are not tables."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pytest

from core.imports.readers import Refused, detect_delimiter, inspect_file, open_table

pytestmark = [pytest.mark.usefixtures("english_messages")]


FRENCH = "Matricule;Nom;Prénom\nA1;Lefèvre;Hélène\n"


def read(path: Path) -> tuple[list[str], list[tuple[int, list]], int]:
    """The header, the lines that hold values, and how many blank lines were passed after the header."""
    table = open_table(path, inspect_file(path))
    try:
        rows = [(line, list(values)) for line, values in table.rows()]
        return table.header, rows, table.blank_lines
    finally:
        table.close()


@pytest.mark.parametrize(
    ("encoding", "expected"), [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("cp1252", "cp1252")]
)
def test_csv_encoding_is_detected_and_accents_survive(tmp_path, encoding, expected):
    path = tmp_path / "roster.csv"
    path.write_bytes(FRENCH.encode(encoding))
    assert inspect_file(path).encoding == expected
    header, rows, _blank = read(path)
    assert header == ["Matricule", "Nom", "Prénom"]
    assert rows == [(2, ["A1", "Lefèvre", "Hélène"])]


def test_a_utf8_file_whose_only_accent_is_past_the_first_chunk_is_still_utf8(tmp_path, monkeypatch):
    monkeypatch.setattr("core.imports.readers.CHUNK", 16)
    path = tmp_path / "roster.csv"
    path.write_bytes(("code;name\n" + "A;plain\n" * 10 + "B;Hélène\n").encode("utf-8"))
    assert inspect_file(path).encoding == "utf-8"


def test_a_multibyte_character_split_across_chunks_is_still_utf8(tmp_path, monkeypatch):
    monkeypatch.setattr("core.imports.readers.CHUNK", 11)
    path = tmp_path / "roster.csv"
    path.write_bytes("code;name\né;x\n".encode())  # "é" straddles bytes 10-11
    assert inspect_file(path).encoding == "utf-8"


@pytest.mark.parametrize(
    ("line", "delimiter"),
    [("a;b;c", ";"), ("a,b,c", ","), ("a\tb\tc", "\t"), ('"Nom, prénom";Service', ";"), ("single", ",")],
)
def test_the_delimiter_comes_from_the_header_line(line, delimiter):
    assert detect_delimiter(line) == delimiter


def test_line_numbers_are_physical_lines_with_blank_lines_and_multiline_values(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text('code;name\n\nA;"two\nlines"\n;;\nB;after\n', encoding="utf-8")
    header, rows, blank = read(path)
    assert rows == [(3, ["A", "two\nlines"]), (6, ["B", "after"])]
    assert blank == 2  # lines 2 and 5


def test_blank_lines_before_the_header_are_skipped_and_numbered(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text("\n;;\ncode;name\nA;x\n", encoding="utf-8")
    table = open_table(path, inspect_file(path))
    assert (table.header_line, table.blank_before_header) == (3, 2)
    assert list(table.rows()) == [(4, ["A", "x"])]
    table.close()


def test_xlsx_rows_keep_their_typed_cells_and_sheet_row_numbers(tmp_path):
    path = tmp_path / "roster.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Matricule", "Date d'entrée"])
    sheet.append([1234.0, dt.datetime(2020, 2, 1)])
    sheet.append([None, None])
    sheet.append(["E9", "01/02/2020"])
    workbook.save(path)
    assert inspect_file(path).encoding is None
    header, rows, blank = read(path)
    assert header == ["Matricule", "Date d'entrée"]
    assert rows == [(2, [1234, dt.datetime(2020, 2, 1)]), (4, ["E9", "01/02/2020"])]
    assert blank == 1


def test_the_checksum_is_the_sha256_of_the_bytes(tmp_path):
    import hashlib

    path = tmp_path / "roster.csv"
    path.write_bytes(FRENCH.encode("cp1252"))
    facts = inspect_file(path)
    assert facts.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert facts.size == path.stat().st_size


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("roster.csv", b"", "the file is empty"),
        ("roster.csv", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "looks like a PDF document"),
        ("roster.csv", b"code;name\nA;\x00\x01\x02\n", "binary byte 0x00"),
        ("roster.csv", b"\xff\xfec\x00o\x00d\x00e\x00", "UTF-16"),
        ("roster.csv", b"code;name\nA;\x81\x8d\x8f\n", "not text in UTF-8 or Windows-1252"),
        ("roster.pdf", b"%PDF-1.4", "unsupported file type '.pdf'"),
        ("roster.xls", b"\xd0\xcf\x11\xe0", "legacy Excel .xls"),
        ("roster.xlsx", b"this is not a zip", "not a valid .xlsx workbook"),
        ("roster.csv", b"\n\n;;\n", "no header line"),
    ],
)
def test_files_that_are_not_tables_are_refused_with_a_one_line_reason(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(Refused) as refused:
        open_table(path, inspect_file(path))
    assert reason in str(refused.value)
    assert "\n" not in str(refused.value)


def test_a_zip_that_is_not_a_workbook_is_refused(tmp_path):
    path = tmp_path / "roster.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    with pytest.raises(Refused, match="not a valid .xlsx workbook"):
        open_table(path, inspect_file(path))


def test_a_file_over_the_size_limit_is_refused(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text(FRENCH, encoding="utf-8")
    with pytest.raises(Refused, match="too large"):
        inspect_file(path, max_bytes=10)


def test_the_workbook_check_reads_elements_with_a_namespace_prefix():
    import io

    from core.imports.readers import Limits, _PartScan

    xml = (
        b'<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData>'
        b'<x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>' + b"A" * 50 + b"</x:t></x:is></x:c></x:row>"
        b"</x:sheetData></x:worksheet>"
    )
    with pytest.raises(Refused, match="cell A1 holds more than 10 characters"):
        _PartScan("xl/worksheets/sheet1.xml", Limits(max_cell_chars=10)).scan(io.BytesIO(xml))
    with pytest.raises(Refused, match="more than 0 rows"):
        _PartScan("xl/worksheets/sheet1.xml", Limits(xlsx_max_rows=0)).scan(io.BytesIO(xml))
    _PartScan("xl/worksheets/sheet1.xml", Limits(max_cell_chars=50)).scan(io.BytesIO(xml))


def test_a_rich_text_value_is_measured_across_its_runs():
    import io

    from core.imports.readers import Limits, _PartScan

    xml = b"<sst><si><r><rPr><b/></rPr><t>" + b"A" * 6 + b"</t></r><r><t>" + b"B" * 6 + b"</t></r></si></sst>"
    with pytest.raises(Refused, match="text 1 of the workbook's shared strings holds more than 10"):
        _PartScan("xl/sharedStrings.xml", Limits(max_cell_chars=10)).scan(io.BytesIO(xml))
