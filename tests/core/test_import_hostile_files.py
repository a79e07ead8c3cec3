"""Files that are tables only in appearance (issue 14, items 6 and 8): a workbook that unpacks to gigabytes,
a CSV field past the csv module's limit, a quote that is never closed, a header without data.

Each is refused whole, before anything is written, with one line that names the limit or the line and never
copies the oversized value: exit code 2 on the command line, 400 from the API, an error on the admin page.
"""

from __future__ import annotations

import tracemalloc
import zipfile

import openpyxl
import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from core.imports.readers import Limits, Refused, inspect_file, open_table
from core.imports.testing import read_rejects, run_import_command
from core.models import ImportRun
from organization.models import LegalEntity
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_messages", "isolated_media")]

HEADER_XML = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>code</t></is></c><c r="B1" t="inlineStr"><is><t>name</t></is></c></row>'
)


def workbook_bytes(
    rows_xml: str,
    *,
    filler: tuple[str, int] | None = None,
    shared: str | None = None,
    sheet: str = "sheet1.xml",
    header: str = HEADER_XML,
    prolog: str = "",
    extra: dict[str, bytes] | None = None,
    chartsheet: str | None = None,
) -> bytes:
    """A minimal .xlsx written by hand: a header (code, name), then `rows_xml`. `filler` = (cell, size): that
    cell holds `size` letters, streamed into the archive so the test never holds them (a zip bomb: a few
    kilobytes that unpack to `size` bytes). `shared`: the shared strings part's <si> elements. `sheet`: the
    name of the sheet's part in xl/worksheets/ (the workbook's relationships point to it, whatever its name);
    `prolog`: what comes before <worksheet>; `extra`: more members, name → content; `chartsheet`: the part a
    second sheet, a chart sheet, is in (under xl/)."""
    import io

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            (
                '<?xml version="1.0" encoding="UTF-8"?>'
                '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                '<Default Extension="xml" ContentType="application/xml"/>'
                '<Override PartName="/xl/workbook.xml" '
                'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                f'<Override PartName="/xl/worksheets/{sheet}" '
                'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                + (
                    '<Override PartName="/xl/sharedStrings.xml" '
                    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
                    if shared is not None
                    else ""
                )
                + "</Types>"
            ),
        )
        archive.writestr(
            "_rels/.rels",
            (
                '<?xml version="1.0" encoding="UTF-8"?>'
                '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
                'officeDocument" Target="xl/workbook.xml"/></Relationships>'
            ),
        )
        archive.writestr(
            "xl/workbook.xml",
            (
                '<?xml version="1.0" encoding="UTF-8"?>'
                '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
                '<sheets><sheet name="Feuil1" sheetId="1" r:id="rId1"/>'
                + ('<sheet name="Graph" sheetId="2" r:id="rId3"/>' if chartsheet else "")
                + "</sheets></workbook>"
            ),
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            (
                '<?xml version="1.0" encoding="UTF-8"?>'
                '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
                f'worksheet" Target="worksheets/{sheet}"/>'
                + (
                    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
                    'sharedStrings" Target="sharedStrings.xml"/>'
                    if shared is not None
                    else ""
                )
                + (
                    '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
                    f'chartsheet" Target="{chartsheet}"/>'
                    if chartsheet
                    else ""
                )
                + "</Relationships>"
            ),
        )
        if shared is not None:
            archive.writestr(
                "xl/sharedStrings.xml",
                (
                    '<?xml version="1.0" encoding="UTF-8"?>'
                    f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{shared}</sst>'
                ),
            )
        for name, content in (extra or {}).items():
            archive.writestr(name, content)
        with archive.open(f"xl/worksheets/{sheet}", "w", force_zip64=True) as part:
            part.write(
                (
                    f'<?xml version="1.0" encoding="UTF-8"?>{prolog}'
                    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                    f"<sheetData>{header}{rows_xml}"
                ).encode()
            )
            if filler is not None:
                ref, size = filler
                row = "".join(ch for ch in ref if ch.isdigit())
                part.write(f'<row r="{row}"><c r="{ref}" t="inlineStr"><is><t>'.encode())
                chunk = b"A" * (1024 * 1024)
                for _i in range(size // len(chunk)):
                    part.write(chunk)
                part.write(b"A" * (size % len(chunk)))
                part.write(b"</t></is></c></row>")
            part.write(b"</sheetData></worksheet>")
    return buffer.getvalue()


def entity_row(row: int, code: str, name: str) -> str:
    return (
        f'<row r="{row}"><c r="A{row}" t="inlineStr"><is><t>{code}</t></is></c>'
        f'<c r="B{row}" t="inlineStr"><is><t>{name}</t></is></c></row>'
    )


def api_client() -> APIClient:
    user = UserFactory()
    user.user_permissions.add(*Permission.objects.filter(codename="add_legalentity"))
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def api_upload(name: str, content: bytes):
    return api_client().post("/api/imports/entities/", {"file": SimpleUploadedFile(name, content)}, format="multipart")


def import_measured(path):
    """`import_entities PATH`, and the most memory Python held meanwhile."""
    tracemalloc.start()
    try:
        return run_import_command("entities", path), tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.fixture
def past_the_ratio(settings):
    """The hand-made bombs below are runs of one letter, which deflate a thousandfold: the ratio check refuses
    them first. An archive that compresses them less well gets past it, and the next check must refuse them."""
    settings.VIGIE_IMPORT_XLSX_MAX_RATIO = 1_000_000_000


def assert_refused(result, *fragments: str, longest: int = 300) -> None:
    """Exit 2, one line on stderr naming the problem, nothing written, the run recorded as refused."""
    assert result.exit_code == 2, (result.stdout, result.stderr)
    message = result.stderr.strip()
    assert message.startswith("refused: ")
    assert len(message.splitlines()) == 1 and "Traceback" not in message
    assert len(message) < longest, "the refusal must not copy the oversized value"
    for fragment in fragments:
        assert fragment in message
    assert not LegalEntity.objects.exists()
    assert ImportRun.objects.get().status == ImportRun.Status.REFUSED


# -- item 6: a workbook that unpacks to more than the limits ------------------------------------------------
def test_a_zip_bomb_workbook_is_refused_on_its_unpacked_size_before_it_is_read(tmp_path, settings):
    settings.VIGIE_IMPORT_XLSX_MAX_UNCOMPRESSED_BYTES = 2 * 1024 * 1024
    content = workbook_bytes(entity_row(2, "OK1", "Fine"), filler=("B3", 8 * 1024 * 1024))
    assert len(content) < 100_000  # 8 MB of one cell, packed in a few kilobytes
    path = tmp_path / "entities.xlsx"
    path.write_bytes(content)
    result, peak = import_measured(path)
    assert_refused(result, "unpacks to", "(8390407 bytes), over the limit of", "(2097152 bytes)")
    assert peak < 4 * 1024 * 1024, f"the refusal read the workbook ({peak} bytes traced)"
    assert "AAAAAAAAAA" not in ImportRun.objects.get().message


@pytest.mark.usefixtures("past_the_ratio")
def test_a_cell_over_the_length_limit_is_refused_naming_the_cell_without_holding_it(tmp_path, settings):
    settings.VIGIE_IMPORT_MAX_CELL_CHARS = 1000
    content = workbook_bytes(entity_row(2, "OK1", "Fine"), filler=("B3", 6 * 1024 * 1024))
    path = tmp_path / "entities.xlsx"
    path.write_bytes(content)
    result, peak = import_measured(path)
    assert_refused(result, "cell B3", "more than 1000 characters")
    assert peak < 3 * 1024 * 1024, f"the cell was held in memory ({peak} bytes traced)"


def test_a_shared_string_over_the_length_limit_is_refused(tmp_path, settings):
    settings.VIGIE_IMPORT_MAX_CELL_CHARS = 1000
    shared = f"<si><t>OK1</t></si><si><t>{'B' * 5000}</t></si>"
    rows = '<row r="2"><c r="A2" t="s"><v>0</v></c><c r="B2" t="s"><v>1</v></c></row>'
    path = tmp_path / "entities.xlsx"
    path.write_bytes(workbook_bytes(rows, shared=shared))
    assert_refused(run_import_command("entities", path), "more than 1000 characters")


def test_a_workbook_with_more_rows_than_the_limit_is_refused(tmp_path, settings):
    settings.VIGIE_IMPORT_XLSX_MAX_ROWS = 10
    rows = "".join(entity_row(line, f"E{line}", "Name") for line in range(2, 13))
    path = tmp_path / "entities.xlsx"
    path.write_bytes(workbook_bytes(rows))
    assert_refused(run_import_command("entities", path), "more than 10 rows")


def test_a_row_number_past_the_limit_is_refused_before_blank_rows_are_made_up(tmp_path):
    # openpyxl's reader yields a blank row for every missing row number: 2,000,000,000 of them here.
    path = tmp_path / "entities.xlsx"
    path.write_bytes(workbook_bytes(entity_row(2, "OK1", "Fine") + entity_row(2_000_000_000, "E9", "Far")))
    assert_refused(run_import_command("entities", path), "row 2000000000", "1048576 rows")


def test_a_column_past_the_last_one_of_a_sheet_is_refused(tmp_path):
    # ... and as many empty cells as the column number says, in one row tuple.
    row = (
        '<row r="2"><c r="A2" t="inlineStr"><is><t>OK1</t></is></c>'
        '<c r="ZZZZZ2" t="inlineStr"><is><t>far</t></is></c></row>'
    )
    path = tmp_path / "entities.xlsx"
    path.write_bytes(workbook_bytes(row))
    assert_refused(run_import_command("entities", path), "ZZZZZ2", "XFD")


def test_a_workbook_that_declares_entities_is_refused(tmp_path):
    path = tmp_path / "entities.xlsx"
    content = workbook_bytes(entity_row(2, "OK1", "Fine"))
    with (
        zipfile.ZipFile(tmp_path / "source.xlsx", "w") as archive,
        zipfile.ZipFile(__import__("io").BytesIO(content)) as source,
    ):
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<worksheet", b'<!DOCTYPE w [<!ENTITY a "aaaaaaaaaa">]><worksheet', 1)
            archive.writestr(info.filename, data)
    path.write_bytes((tmp_path / "source.xlsx").read_bytes())
    assert_refused(run_import_command("entities", path), "not a valid .xlsx workbook")


def test_a_zip_bomb_workbook_is_a_400_from_the_api(settings):
    settings.VIGIE_IMPORT_XLSX_MAX_UNCOMPRESSED_BYTES = 2 * 1024 * 1024
    response = api_upload("entities.xlsx", workbook_bytes("", filler=("B2", 8 * 1024 * 1024)))
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert detail.startswith("refused: the workbook unpacks to") and len(detail) < 300
    assert not LegalEntity.objects.exists()


@pytest.mark.usefixtures("past_the_ratio")
def test_a_cell_over_the_length_limit_is_a_400_from_the_api(settings):
    settings.VIGIE_IMPORT_MAX_CELL_CHARS = 1000
    response = api_upload("entities.xlsx", workbook_bytes("", filler=("B2", 2 * 1024 * 1024)))
    assert response.status_code == 400
    assert "cell B2" in response.json()["detail"] and len(response.json()["detail"]) < 300


def test_a_zip_bomb_workbook_is_an_error_on_the_admin_upload_page(admin_client, settings):
    settings.VIGIE_IMPORT_XLSX_MAX_UNCOMPRESSED_BYTES = 2 * 1024 * 1024
    admin_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    upload = SimpleUploadedFile("entities.xlsx", workbook_bytes("", filler=("B2", 8 * 1024 * 1024)))
    response = admin_client.post(
        reverse("admin:core_importrun_upload"), {"kind": "entities", "file": upload}, follow=True
    )
    messages = [(m.level_tag, str(m)) for m in response.context["messages"]]
    assert len(messages) == 1 and messages[0][0] == "error"
    assert messages[0][1].startswith("refused: the workbook unpacks to") and len(messages[0][1]) < 300


def test_a_workbook_within_the_limits_imports_as_before(tmp_path, settings):
    settings.VIGIE_IMPORT_MAX_CELL_CHARS = 1000
    path = tmp_path / "entities.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.append(["code", "name"])
    workbook.active.append(["E1", "x" * 200])
    workbook.save(path)
    assert run_import_command("entities", path).exit_code == 0
    assert LegalEntity.objects.get().name == "x" * 200


def test_a_value_too_long_for_its_column_is_rejected_without_being_copied(tmp_path):
    path = tmp_path / "entities.csv"
    path.write_text(f"code;name\nE1;{'N' * 5000}\nE2;Fine\n", encoding="utf-8")
    result = run_import_command("entities", path)
    assert result.exit_code == 1
    line, reason, code, name = read_rejects(tmp_path / "entities.rejects.csv")[1]
    assert (line, code, name) == ("2", "E1", "N" * 5000)  # the value itself stays in its column
    assert "is longer than 200 characters" in reason and len(reason) < 200


# -- item 8: CSV that the csv module reads wrong -------------------------------------------------------------
def test_a_csv_field_over_the_csv_module_limit_is_refused_with_its_line(tmp_path):
    path = tmp_path / "entities.csv"
    path.write_text(f"code;name\nOK1;Fine\nBIG;{'x' * (128 * 1024 + 10)}\nOK2;Fine\n", encoding="utf-8")
    assert_refused(run_import_command("entities", path), "line 3", "131072 characters")


def test_a_csv_field_over_the_cell_limit_setting_is_refused_with_its_line(tmp_path, settings):
    settings.VIGIE_IMPORT_MAX_CELL_CHARS = 1000
    path = tmp_path / "entities.csv"
    path.write_text(f"code;name\nOK1;Fine\nOK2;Fine\nBIG;{'x' * 1001}\n", encoding="utf-8")
    assert_refused(run_import_command("entities", path), "line 4", "1000 characters")


def test_a_csv_field_over_the_limit_is_a_400_from_the_api():
    response = api_upload("entities.csv", f"code;name\nBIG;{'x' * 140_000}\n".encode())
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert detail.startswith("refused: line 2:") and len(detail) < 300


def test_an_unterminated_quote_refuses_the_whole_file_naming_its_line(tmp_path):
    # csv.reader, not strict, reads "unterminated,\nUQ2,ok,\n" as one value: UQ2 was lost and the import
    # said "completed", exit 0.
    path = tmp_path / "entities.csv"
    path.write_text('code,name,parent_code\nUQ1,"unterminated,\nUQ2,ok,\n', encoding="utf-8")
    assert_refused(run_import_command("entities", path), "line 2", "never closed")


def test_a_broken_quote_far_down_the_file_refuses_it_before_anything_is_written(tmp_path):
    good = "".join(f"E{i};Entity {i}\n" for i in range(3000))  # more than a batch of the roster's size
    path = tmp_path / "entities.csv"
    path.write_text(f'code;name\n{good}BAD;"quoted" then text\n', encoding="utf-8")
    assert_refused(run_import_command("entities", path), "line 3002", "quot")


def test_an_unterminated_quote_is_a_400_from_the_api():
    response = api_upload("entities.csv", b'code,name,parent_code\nUQ1,"unterminated,\nUQ2,ok,\n')
    assert response.status_code == 400
    assert response.json()["detail"].startswith("refused: line 2:")


def test_an_unterminated_quote_is_an_error_on_the_admin_upload_page(admin_client):
    admin_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    upload = SimpleUploadedFile("entities.csv", b'code,name,parent_code\nUQ1,"unterminated,\nUQ2,ok,\n')
    response = admin_client.post(
        reverse("admin:core_importrun_upload"), {"kind": "entities", "file": upload}, follow=True
    )
    messages = [(m.level_tag, str(m)) for m in response.context["messages"]]
    assert len(messages) == 1 and messages[0][0] == "error" and messages[0][1].startswith("refused: line 2:")


def test_quoted_values_over_several_lines_are_still_read(tmp_path):
    path = tmp_path / "entities.csv"
    path.write_text('code;name\nE1;"Services\n""Sud""; Est"\nE2;Nord\n', encoding="utf-8")
    assert run_import_command("entities", path).exit_code == 0
    assert LegalEntity.objects.get(code="E1").name == 'Services\n"Sud"; Est'


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("entities.csv", b"code;name;parent_code\n"),
        ("entities.csv", b"code;name;parent_code\r\n\r\n;;\r\n"),
    ],
)
def test_a_csv_with_a_header_and_no_data_says_there_is_nothing_to_import(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    assert_refused(run_import_command("entities", path), "nothing to import")


def test_a_workbook_with_a_header_and_no_data_says_there_is_nothing_to_import(tmp_path):
    path = tmp_path / "entities.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.append(["code", "name"])
    workbook.active.append([None, ""])
    workbook.save(path)
    assert_refused(run_import_command("entities", path), "nothing to import")


def test_a_header_only_file_is_a_400_from_the_api():
    response = api_upload("entities.csv", b"code;name\n")
    assert response.status_code == 400
    assert "nothing to import" in response.json()["detail"]


# -- a workbook whose reading fails half-way: openpyxl converts cells as it reads them -----------------------
NOT_A_NUMBER = '<row r="{row}"><c r="A{row}" t="inlineStr"><is><t>BAD</t></is></c><c r="B{row}"><v>abc</v></c></row>'


def test_a_cell_openpyxl_cannot_convert_refuses_the_file_when_nothing_was_written(tmp_path):
    rows = entity_row(2, "OK1", "Fine") + NOT_A_NUMBER.format(row=3)
    path = tmp_path / "entities.xlsx"
    path.write_bytes(workbook_bytes(rows))
    assert_refused(run_import_command("entities", path), "cannot be read after line 2 (ValueError)")


def test_a_cell_openpyxl_cannot_convert_after_committed_batches_says_what_was_written(tmp_path, monkeypatch):
    from organization.importers import LegalEntityImporter

    monkeypatch.setattr(LegalEntityImporter, "batch_size", 2)
    rows = "".join(entity_row(line, f"OK{line}", "Fine") for line in range(2, 7)) + NOT_A_NUMBER.format(row=7)
    path = tmp_path / "entities.xlsx"
    path.write_bytes(workbook_bytes(rows))
    result = run_import_command("entities", path)
    # Exit 3: the import stopped in the middle, its committed batches kept (as for a database failure).
    assert result.exit_code == 3 and "Traceback" not in result.stdout + result.stderr
    assert "cannot be read after line 6 (ValueError); the rows up to line 5 were imported" in result.stderr
    assert sorted(LegalEntity.objects.values_list("code", flat=True)) == ["OK2", "OK3", "OK4", "OK5"]
    run = ImportRun.objects.get()
    assert (run.status, run.last_line_committed, run.created) == (ImportRun.Status.FAILED, 5, 4)


def test_a_workbook_unreadable_after_committed_batches_is_the_file_s_fault_in_the_api(monkeypatch):
    """A 400 naming the line (the file must be corrected), not the 503 "try again" of a database failure."""
    from organization.importers import LegalEntityImporter

    monkeypatch.setattr(LegalEntityImporter, "batch_size", 2)
    rows = "".join(entity_row(line, f"OK{line}", "Fine") for line in range(2, 7)) + NOT_A_NUMBER.format(row=7)
    response = api_upload("entities.xlsx", workbook_bytes(rows))
    assert response.status_code == 400
    assert "the rows up to line 5 were imported" in response.json()["detail"]
    assert ImportRun.objects.get(pk=response.json()["run"]).status == ImportRun.Status.FAILED


# -- review items 5 and 6: parts not named .xml, rows and sheets wider than their header ---------------------
def cells_row(row: int, *cells: tuple[str, str]) -> str:
    """A row of inline strings, from (column letters, text) pairs."""
    return (
        f'<row r="{row}">'
        + "".join(f'<c r="{column}{row}" t="inlineStr"><is><t>{text}</t></is></c>' for column, text in cells)
        + "</row>"
    )


@pytest.mark.usefixtures("past_the_ratio")
@pytest.mark.parametrize("sheet", ["sheet1.dat", "sheet1", "sheet1.xml.bin"])
def test_a_cell_over_the_limit_in_a_sheet_not_named_xml_is_refused_without_holding_it(tmp_path, settings, sheet):
    # openpyxl opens whatever part the workbook's relationships name, .xml or not: the check measures them all.
    settings.VIGIE_IMPORT_MAX_CELL_CHARS = 1000
    path = tmp_path / "entities.xlsx"
    path.write_bytes(workbook_bytes(entity_row(2, "OK1", "Fine"), filler=("B3", 6 * 1024 * 1024), sheet=sheet))
    result, peak = import_measured(path)
    assert_refused(result, "cell B3", "more than 1000 characters")
    assert peak < 3 * 1024 * 1024, f"the cell was held in memory ({peak} bytes traced)"
    assert not list(tmp_path.glob("*.rejects.csv"))


def test_a_row_number_past_the_limit_in_a_sheet_not_named_xml_is_refused(tmp_path):
    path = tmp_path / "entities.xlsx"
    path.write_bytes(
        workbook_bytes(entity_row(2, "OK1", "Fine") + entity_row(2_000_000, "E9", "Far"), sheet="sheet1.dat")
    )
    assert_refused(run_import_command("entities", path), "row 2000000", "1048576 rows")


def test_a_doctype_in_a_part_not_named_xml_is_refused(tmp_path):
    path = tmp_path / "entities.xlsx"
    path.write_bytes(
        workbook_bytes(
            entity_row(2, "OK1", "&a;"), sheet="sheet1.dat", prolog='<!DOCTYPE w [<!ENTITY a "aaaaaaaaaa">]>'
        )
    )
    assert_refused(run_import_command("entities", path), "not a valid .xlsx workbook", "sheet1.dat", "DOCTYPE")


def test_a_sheet_in_an_encoding_the_check_cannot_read_is_refused(tmp_path):
    # UTF-32: no XML parser of the standard library reads it, lxml does; what the check cannot measure is refused.
    xml = (
        '<?xml version="1.0" encoding="UTF-32"?><worksheet '
        'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        f"{HEADER_XML}{entity_row(2, 'OK1', 'Fine')}</sheetData></worksheet>"
    )
    content = workbook_bytes("", extra={"xl/worksheets/sheet2.dat": xml.encode("utf-32")})
    path = tmp_path / "entities.xlsx"
    path.write_bytes(content)
    assert_refused(run_import_command("entities", path), "xl/worksheets/sheet2.dat")


def test_images_printer_settings_and_legacy_drawings_still_import(tmp_path):
    """What no XML parser reads (images, printer settings) and Excel's VML, which is not well-formed XML
    (an unclosed <br>), are parts of ordinary workbooks: the check measures them and lets them be."""
    extra = {
        "xl/media/image1.png": b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8,
        "docProps/thumbnail.jpeg": b"\xff\xd8\xff\xe0" + bytes(500),
        "xl/printerSettings/printerSettings1.bin": "HP LaserJet 4250".encode("utf-16-le") + bytes(300),
        "xl/drawings/vmlDrawing1.vml": (
            b'<xml xmlns:v="urn:schemas-microsoft-com:vml"><v:shape><v:textbox>'
            b"<div><font>Note<br></font></div></v:textbox></v:shape></xml>"
        ),
        "xl/empty.bin": b"",
    }
    path = tmp_path / "entities.xlsx"
    path.write_bytes(workbook_bytes(entity_row(2, "OK1", "Fine"), extra=extra))
    result = run_import_command("entities", path)
    assert result.exit_code == 0, result.stderr
    assert LegalEntity.objects.get().code == "OK1"


def test_rows_without_a_number_follow_the_row_before_them_against_the_limit(tmp_path, settings):
    # openpyxl numbers a <row> without r="" after the one before it: row 11 here, past a limit of 10.
    settings.VIGIE_IMPORT_XLSX_MAX_ROWS = 10
    unnumbered = '<row><c t="inlineStr"><is><t>E11</t></is></c><c t="inlineStr"><is><t>Eleven</t></is></c></row>'
    path = tmp_path / "entities.xlsx"
    path.write_bytes(workbook_bytes(entity_row(10, "E10", "Ten") + unnumbered))
    assert_refused(run_import_command("entities", path), "row 11", "more than 10 rows")


def test_rows_out_of_order_are_refused_rather_than_lost(tmp_path):
    # openpyxl's reader drops a row numbered before the one it has just read: E2 vanished, "completed".
    path = tmp_path / "entities.xlsx"
    path.write_bytes(workbook_bytes(entity_row(3, "E3", "Three") + entity_row(2, "E2", "Two")))
    assert_refused(run_import_command("entities", path), "row 2", "row 3")


def test_cells_far_beyond_the_header_are_neither_read_nor_copied_to_the_rejects(tmp_path):
    # One cell at XFD per row: 60 bytes of XML that became 16,384 values a row, and 16,386 fields a line of the
    # rejects CSV (a 223 KB workbook: 2.7 GB and 124 s, a 329 MB rejects file).
    rows = "".join(cells_row(row, ("A", f"W{row}"), ("XFD", "x")) for row in range(2, 502))
    path = tmp_path / "entities.xlsx"
    path.write_bytes(workbook_bytes(rows))
    result, peak = import_measured(path)
    assert result.exit_code == 1, result.stderr  # no name on any line
    header, *rejected = read_rejects(tmp_path / "entities.rejects.csv")
    assert header == ["line", "reason", "code", "name"]
    assert len(rejected) == 500 and {len(line) for line in rejected} == {4}
    assert rejected[0] == ["2", "name: a value is required", "W2", ""]
    assert peak < 8 * 1024 * 1024, f"rows as wide as the sheet were built ({peak} bytes traced)"


def test_a_header_with_styled_empty_cells_to_the_last_column_is_as_wide_as_its_names(tmp_path):
    header = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>code</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>name</t></is></c><c r="XFD1" s="1"/></row>'
    )
    rows = "".join(entity_row(row, f"E{row}", "Name") for row in range(2, 12))
    path = tmp_path / "entities.xlsx"
    path.write_bytes(workbook_bytes(rows, header=header))
    table = open_table(path, inspect_file(path), Limits.from_settings())
    try:
        assert table.header == ["code", "name"]
        assert {len(values) for _line, values in table.rows()} == {2}
    finally:
        table.close()


@pytest.mark.parametrize(("data_lines", "refused"), [(11, True), (10, False)])
@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_a_table_of_more_cells_than_the_limit_is_refused_before_it_is_read(
    tmp_path, settings, suffix, data_lines, refused
):
    """Lines after the header × the header's columns: the work of a file, bounded before its first line."""
    settings.VIGIE_IMPORT_MAX_CELLS = 1000
    header = ["code", "name"] + [f"extra{i}" for i in range(98)]  # 100 columns
    lines = [[f"E{n}", "Name"] for n in range(data_lines)]
    path = tmp_path / f"entities.{suffix}"
    if suffix == "csv":
        path.write_text("\n".join(";".join(line) for line in [header, *lines]) + "\n", encoding="utf-8")
    else:
        workbook = openpyxl.Workbook()
        for line in [header, *lines]:
            workbook.active.append(line)
        workbook.save(path)
    result = run_import_command("entities", path)
    if refused:
        assert_refused(result, f"{data_lines} lines", "100 columns", "1000 cells")
    else:
        assert result.exit_code == 0, result.stderr
        assert LegalEntity.objects.count() == data_lines


def test_a_gap_of_row_numbers_is_counted_as_blank_lines_not_walked(tmp_path):
    # The reviewer's row 5,000,000 was accepted with "4,999,997 blank lines ignored": every one made up and walked.
    path = tmp_path / "entities.xlsx"
    path.write_bytes(workbook_bytes(entity_row(2, "OK1", "Fine") + entity_row(1_000_000, "E9", "Far")))
    table = open_table(path, inspect_file(path), Limits.from_settings())
    try:
        assert [(line, list(values)) for line, values in table.rows()] == [
            (2, ["OK1", "Fine"]),
            (1_000_000, ["E9", "Far"]),
        ]
        assert table.blank_lines == 999_997
    finally:
        table.close()
    result = run_import_command("entities", path)
    assert result.exit_code == 0 and "blank lines ignored 999997" in result.stdout


def test_the_reader_itself_refuses_what_the_workbook_check_would_have(tmp_path, settings, monkeypatch):
    """Whatever let a part through the check, the reader hands out no row number past the limit and no value
    past the cell limit."""
    settings.VIGIE_IMPORT_MAX_CELL_CHARS = 1000
    settings.VIGIE_IMPORT_XLSX_MAX_ROWS = 100
    monkeypatch.setattr("core.imports.readers.check_workbook", lambda path, limits: {})
    path = tmp_path / "entities.xlsx"
    for rows, message in [
        (entity_row(2, "OK1", "x" * 1001), "cell B2 holds more than 1000 characters"),
        (entity_row(2, "OK1", "Fine") + entity_row(101, "E9", "Far"), "more than 100 rows"),
    ]:
        path.write_bytes(workbook_bytes(rows))
        table = open_table(path, inspect_file(path), Limits.from_settings())
        try:
            with pytest.raises(Refused, match=message):
                list(table.rows())
        finally:
            table.close()


@pytest.mark.usefixtures("past_the_ratio")
def test_a_tag_longer_than_a_cell_may_be_is_refused_before_it_is_parsed_again_and_again(tmp_path, settings):
    # expat, fed a tag in pieces, parses it again from its start with each piece: quadratic; a 100 MB attribute
    # (100 KB in the archive) cost hours, in the check and in openpyxl, and then the file imported.
    settings.VIGIE_IMPORT_MAX_CELL_CHARS = 1000
    rows = (
        f'<row r="2"><c r="A2" t="inlineStr" x="{"A" * 1024 * 1024}"><is><t>OK1</t></is></c>'
        '<c r="B2" t="inlineStr"><is><t>Fine</t></is></c></row>'
    )
    path = tmp_path / "entities.xlsx"
    path.write_bytes(workbook_bytes(rows))
    assert_refused(run_import_command("entities", path), "xl/worksheets/sheet1.xml", "a tag of more than")


@pytest.mark.usefixtures("past_the_ratio")
def test_a_cell_over_the_limit_in_a_part_not_named_xml_is_a_400_from_the_api(settings):
    settings.VIGIE_IMPORT_MAX_CELL_CHARS = 1000
    response = api_upload("entities.xlsx", workbook_bytes("", filler=("B2", 2 * 1024 * 1024), sheet="sheet1.dat"))
    assert response.status_code == 400, response.content[:300]
    assert "cell B2" in response.json()["detail"] and len(response.json()["detail"]) < 300
    assert not ImportRun.objects.get().rejects_file


def test_a_csv_line_with_more_values_than_a_sheet_has_columns_is_refused(tmp_path):
    path = tmp_path / "entities.csv"
    path.write_text("code;name\nOK1;Fine\nBIG;x" + ";ab" * 100_000 + "\nOK2;Fine\n", encoding="utf-8")
    result, peak = import_measured(path)
    assert_refused(result, "line 3", "16384")
    assert peak < 4 * 1024 * 1024, f"the line was split into its values ({peak} bytes traced)"


def test_csv_values_beyond_the_header_are_not_copied_to_the_rejects(tmp_path):
    path = tmp_path / "entities.csv"
    path.write_text("code;name\nE1;" + ";x" * 300 + "\nE2;Fine\n", encoding="utf-8")
    assert run_import_command("entities", path).exit_code == 1
    assert read_rejects(tmp_path / "entities.rejects.csv") == [
        ["line", "reason", "code", "name"],
        ["2", "name: a value is required", "E1", ""],
    ]


def test_the_rejects_file_holds_a_line_up_to_the_header_and_bounds_each_value():
    """Whatever a reader hands out, the rejects CSV copies no value past the cell limit and no column past the
    header."""
    import csv
    import io

    from core.imports.engine import RejectsWriter

    writer = RejectsWriter(["code", "name"], max_chars=10)
    try:
        writer.add(2, "why", ["C" * 50, "0123456789", "beyond the header"])
        writer.add(3, "why", ["short"])
        content = writer.finish().read().decode("utf-8-sig")
    finally:
        writer.close()
    assert list(csv.reader(io.StringIO(content), delimiter=";")) == [
        ["line", "reason", "code", "name"],
        ["2", "why", "C" * 9 + "…", "0123456789"],
        ["3", "why", "short", ""],
    ]


# -- a row of more cells than a worksheet has columns; cells past the header ----------------------------------
@pytest.mark.usefixtures("past_the_ratio")
@pytest.mark.parametrize("cell", ["<c/>", '<c r="A3"/>', '<c r="A3" t="inlineStr"><is><t>x</t></is></c>'])
def test_a_row_of_more_cells_than_a_sheet_has_columns_is_refused_before_it_is_built(tmp_path, cell):
    # 100,000 cells in one row, a few kilobytes in the archive: without `r` openpyxl numbers them past XFD; with
    # the same `r` each time they stay in column A. Either way the reader built the whole row first.
    rows = entity_row(2, "OK1", "Fine") + '<row r="3">' + cell * 100_000 + "</row>" + entity_row(4, "OK2", "Fine")
    path = tmp_path / "entities.xlsx"
    path.write_bytes(workbook_bytes(rows))
    result, peak = import_measured(path)
    assert_refused(result, "row 3", "16384")
    assert peak < 8 * 1024 * 1024, f"the row was built ({peak} bytes traced)"


def test_cells_past_the_header_are_not_parsed_and_their_row_is_rejected_not_ignored(tmp_path, monkeypatch):
    """A row is read as wide as the header: its 16,000 other cells are passed over, not converted one by one;
    a row whose values are all past the header is still a line, rejected for its missing values."""
    from openpyxl.worksheet._reader import WorkSheetParser

    parsed = []
    parse_cell = WorkSheetParser.parse_cell

    def counted(parser, element):
        parsed.append(element.get("r"))
        return parse_cell(parser, element)

    monkeypatch.setattr(WorkSheetParser, "parse_cell", counted)
    wide = "".join(f'<c t="inlineStr"><is><t>{n}</t></is></c>' for n in range(16_000))
    rows = (
        '<row r="2"><c r="A2" t="inlineStr"><is><t>OK1</t></is></c><c r="B2" t="inlineStr"><is><t>Fine</t>'
        f"</is></c>{wide}</row>"
        '<row r="3"><c r="D3" t="inlineStr"><is><t>lost?</t></is></c></row>'
        '<row r="4"><c r="A4" s="1"/><c r="Z4" s="1"/></row>'
    )
    path = tmp_path / "entities.xlsx"
    path.write_bytes(workbook_bytes(rows))
    result = run_import_command("entities", path)
    assert result.exit_code == 1, result.stderr
    assert LegalEntity.objects.get().code == "OK1"
    assert read_rejects(tmp_path / "entities.rejects.csv")[1:] == [
        ["3", "code: a value is required; name: a value is required", "", ""]
    ]
    assert len(parsed) < 20, f"{len(parsed)} cells parsed for 2 columns"


# -- what openpyxl holds whole: styles and other parts, shared strings; members that unpack too well ----------
STYLES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="1"><font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="{count}">{xfs}</cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
)


def styles(count: int, *, element: str = '<xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>') -> bytes:
    return STYLES.format(count=count, xfs=element * count).encode()


@pytest.mark.parametrize(
    "element",
    [
        '<xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>',
        # a name a cell's formatted text uses too: counted outside a cell
        '<xf numFmtId="0" fontId="0" fillId="0" borderId="0"><b/><b/><b/></xf>',
    ],
)
def test_a_workbook_of_more_elements_than_openpyxl_may_hold_is_refused(tmp_path, settings, element):
    # 200,000 <xf/> in styles.xml: a 36 KB workbook that took openpyxl 160 MB; 10 million fit in the unpacked
    # size limit. Styles, column widths, merged cells, names: openpyxl builds them all, whatever the part.
    settings.VIGIE_IMPORT_XLSX_MAX_ELEMENTS = 1000
    path = tmp_path / "entities.xlsx"
    path.write_bytes(
        workbook_bytes(entity_row(2, "OK1", "Fine"), extra={"xl/styles.xml": styles(1200, element=element)})
    )
    assert_refused(run_import_command("entities", path), "xl/styles.xml", "1000 elements")


def test_a_workbook_within_the_element_limit_imports(tmp_path, settings):
    settings.VIGIE_IMPORT_XLSX_MAX_ELEMENTS = 1000
    path = tmp_path / "entities.xlsx"
    rows = "".join(entity_row(row, f"E{row}", "Name") for row in range(2, 2002))  # rows and cells: not counted
    path.write_bytes(workbook_bytes(rows, extra={"xl/styles.xml": styles(200)}))
    result = run_import_command("entities", path)
    assert result.exit_code == 0, result.stderr
    assert LegalEntity.objects.count() == 2000


def test_more_shared_strings_than_the_limit_are_refused(tmp_path, settings):
    # openpyxl keeps every shared string in a list: 30 million <si/> fit in the unpacked-size limit (4 GB held).
    settings.VIGIE_IMPORT_XLSX_MAX_SHARED_STRINGS = 1000
    path = tmp_path / "entities.xlsx"
    path.write_bytes(workbook_bytes(entity_row(2, "OK1", "Fine"), shared="<si><t>x</t></si>" * 1001))
    assert_refused(run_import_command("entities", path), "1001", "more than 1000 shared strings")


@pytest.mark.parametrize(("ratio", "refused"), [(None, True), (5000, False)])
def test_a_member_that_unpacks_to_far_more_than_it_packs_is_refused_before_it_is_read(
    tmp_path, settings, ratio, refused
):
    # Any member, read or not: 10 MB of zeros are 10 KB in the archive.
    if ratio is not None:
        settings.VIGIE_IMPORT_XLSX_MAX_RATIO = ratio
    path = tmp_path / "entities.xlsx"
    path.write_bytes(workbook_bytes(entity_row(2, "OK1", "Fine"), extra={"xl/media/pad.bin": bytes(10 << 20)}))
    result = run_import_command("entities", path)
    if refused:
        assert_refused(result, "xl/media/pad.bin", "more than 100 times")
    else:
        assert result.exit_code == 0, result.stderr


def test_a_chart_sheet_is_not_read(tmp_path):
    """openpyxl reads a chart sheet whole, even in read-only mode: one that points at a part of a million rows
    would be held entire (rows are counted as read a row at a time). An import reads the first worksheet only."""
    rows = "".join(cells_row(row, *((column, "x") for column in "ABCDEFGHIJ")) for row in range(1, 20_001))
    chart = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{rows}</sheetData></worksheet>"
    ).encode()
    path = tmp_path / "entities.xlsx"
    path.write_bytes(
        workbook_bytes(
            entity_row(2, "OK1", "Fine"), chartsheet="worksheets/sheet2.xml", extra={"xl/worksheets/sheet2.xml": chart}
        )
    )
    result, peak = import_measured(path)
    assert result.exit_code == 0, result.stderr
    assert LegalEntity.objects.get().code == "OK1"
    assert peak < 8 * 1024 * 1024, f"the chart sheet was read ({peak} bytes traced)"


def test_a_csv_record_of_more_values_than_a_sheet_has_columns_over_several_lines_is_refused(tmp_path):
    # Each physical line holds 10,000 values, fewer than a sheet's 16,384 columns, but a quoted value that runs
    # over the line break joins them into one record: the csv module built a list of all of them.
    record = ";".join(["BIG", "x", *("v" for _i in range(10_000)), '"a']) + "\n"
    record += ";".join(['b"', *("v" for _i in range(10_000)), '"c']) + "\n"
    record += ";".join(['d"', *("v" for _i in range(10_000))]) + "\n"
    path = tmp_path / "entities.csv"
    path.write_text('code;name\nOK1;"two\nlines; one value"\n' + record + "OK2;Fine\n", encoding="utf-8")
    assert_refused(run_import_command("entities", path), "line 4", "16384")


@pytest.mark.parametrize(
    ("content", "count"),
    [
        # 12,000 delimiters in each quoted note, 36,000 in the file: each record is within a sheet's columns.
        ("code;name;note\n" + "".join(f'E{n};Name;"{";" * 6_000}\n{";" * 6_000}"\n' for n in range(3)), 3),
        # 24" opens no quoted value (the csv module reads it as a character): the 2,000 lines after it, 20,000
        # delimiters in all, are 2,000 records.
        (
            'code;name;a;b;c;d;e;f;g;h\nS24;Screen 24";;;;;;;;\n'
            + "".join(f"E{n};Name;;;;;;;;;\n" for n in range(2_000)),
            2_001,
        ),
    ],
)
def test_csv_values_are_counted_one_record_at_a_time(tmp_path, content, count):
    path = tmp_path / "entities.csv"
    path.write_text(content, encoding="utf-8")
    result = run_import_command("entities", path)
    assert result.exit_code == 0, result.stderr
    assert LegalEntity.objects.count() == count
