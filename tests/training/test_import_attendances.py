"""`import_attendances`: workshop attendance sheets (French headers, CSV and XLSX), rejections with their
line, attendances longer than their session counted in the summary, idempotent re-imports."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.imports.testing import read_rejects, run_import_command
from core.models import ImportRun
from core.roles import TRAINING_MANAGER
from tests.clients import api_client
from tests.factories import EmployeeFactory
from tests.training.factories import SessionFactory, WorkshopFactory
from training import kpis
from training.choices import AttendanceRole
from training.models import Attendance

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("english_messages", "isolated_media"),
    pytest.mark.time_machine(dt.datetime(2023, 6, 15, 10, 0, tzinfo=dt.UTC), tick=False),
]

FRENCH_SHEET = (
    "Référence session;Matricule;Minutes de présence;Rôle\n"
    "SES-2023-0001;E1;90;Animatrice\n"
    "ses-2023-0001;E2;30;participant\n"
    "SES-2023-0001;E3;1h40;\n"
    "SES-2023-0002;E1;45;Organisateur\n"
)


@pytest.fixture(autouse=True)
def workshop():
    module = WorkshopFactory(code="T-ATELIER", min_attendance_minutes=45, deployed_on=dt.date(2022, 1, 1))
    SessionFactory(reference="SES-2023-0001", module=module, held_on=dt.date(2023, 3, 14), duration_minutes=90)
    SessionFactory(reference="SES-2023-0002", module=module, held_on=dt.date(2023, 4, 4), duration_minutes=60)
    for code in ("E1", "E2", "E3"):
        EmployeeFactory(employee_id=code, hired_on=dt.date(2020, 1, 1))
    return module


def write(tmp_path: Path, text: str, name: str = "presence.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def sheet() -> dict[tuple[str, str], tuple[int, str]]:
    return {
        (a.session.reference, a.employee.employee_id): (a.minutes_attended, a.role)
        for a in Attendance.objects.select_related("session", "employee")
    }


def test_a_french_attendance_sheet(tmp_path, workshop):
    result = run_import_command("attendances", write(tmp_path, FRENCH_SHEET, encoding="cp1252"))
    assert result.exit_code == 0, result.stdout
    assert "read 4, created 4" in result.stdout
    assert sheet() == {
        ("SES-2023-0001", "E1"): (90, AttendanceRole.FACILITATOR),
        ("SES-2023-0001", "E2"): (30, AttendanceRole.PARTICIPANT),
        ("SES-2023-0001", "E3"): (100, AttendanceRole.PARTICIPANT),  # an empty role is a participant
        ("SES-2023-0002", "E1"): (45, AttendanceRole.ORGANISER),
    }
    run = ImportRun.objects.get()
    assert set(Attendance.objects.values_list("import_run", flat=True)) == {run.pk}
    # 100 minutes at a 90-minute session: kept, and told.
    assert "  attendances longer than their session: 1" in result.stdout
    assert run.details["notes"] == {"attendances longer than their session": 1}
    # E1 and E3 attended for more than the 45-minute minimum; E2 did not.
    assert kpis.completion_rate(workshop, dt.date(2023, 12, 31)).numerator == 2


def test_an_xlsx_sheet_with_numeric_cells_and_english_headers(tmp_path):
    workbook = openpyxl.Workbook()
    worksheet = workbook.active
    worksheet.append(["session_reference", "employee_id", "minutes_attended"])
    worksheet.append(["SES-2023-0002", "E2", 60])
    worksheet.append(["SES-2023-0002", "E3", 45.0])
    path = tmp_path / "presence.xlsx"
    workbook.save(path)
    result = run_import_command("attendances", path)
    assert result.exit_code == 0, result.stdout
    assert "longer than" not in result.stdout
    assert sheet() == {("SES-2023-0002", "E2"): (60, "participant"), ("SES-2023-0002", "E3"): (45, "participant")}


def test_every_bad_row_is_rejected_with_its_line_and_reason(tmp_path):
    text = (
        "session_reference;employee_id;minutes_attended;role\n"
        "SES-2023-0001;E1;90;\n"
        "SES-NOPE;E1;90;\n"
        "SES-2023-0001;NOBODY;90;\n"
        "SES-2023-0001;E2;-10;\n"
        "SES-2023-0001;E3;;\n"
        "SES-2023-0002;E2;beaucoup;\n"
        "SES-2023-0002;E3;30;spectateur\n"
        "SES-2023-0001;e1;45;\n"
    )
    result = run_import_command("attendances", write(tmp_path, text))
    assert result.exit_code == 1
    assert "read 8, created 1, updated 0, unchanged 0, rejected 7" in result.stdout
    assert sheet() == {("SES-2023-0001", "E1"): (90, "participant")}
    reasons = {row[0]: row[1] for row in read_rejects(tmp_path / "presence.rejects.csv")[1:]}
    assert reasons["3"] == "session_reference: unknown session 'SES-NOPE'"
    assert reasons["4"] == "employee_id: unknown employee 'NOBODY'"
    assert reasons["5"] == "minutes_attended: '-10' is less than 0"
    assert reasons["6"] == "minutes_attended: a value is required"
    assert reasons["7"].startswith("minutes_attended: 'beaucoup' is not a whole number")
    assert reasons["8"].startswith("role: 'spectateur' is not one of participant, organiser, facilitator")
    assert reasons["9"] == "duplicate session_reference 'SES-2023-0001', employee_id 'E1' already on line 2"
    assert set(reasons) == {"3", "4", "5", "6", "7", "8", "9"}


def test_reimporting_the_same_sheet_writes_nothing_and_a_correction_is_an_update(tmp_path):
    path = write(tmp_path, FRENCH_SHEET)
    run_import_command("attendances", path)
    histories = Attendance.history.count()
    result = run_import_command("attendances", path)
    assert "read 4, created 0, updated 0, unchanged 4" in result.stdout
    assert Attendance.history.count() == histories == 4
    corrected = write(tmp_path, FRENCH_SHEET.replace("ses-2023-0001;E2;30;", "ses-2023-0001;E2;75;"))
    result = run_import_command("attendances", corrected)
    assert "created 0, updated 1, unchanged 3" in result.stdout
    last_run = ImportRun.objects.latest("pk")
    changed = Attendance.objects.get(employee__employee_id="E2")
    assert (changed.minutes_attended, changed.import_run) == (75, last_run)
    assert changed.history.first().history_change_reason == f"import attendances run {last_run.pk}: presence.csv"


def test_a_sheet_without_the_role_column_leaves_the_roles_alone(tmp_path):
    run_import_command("attendances", write(tmp_path, FRENCH_SHEET))
    text = "session_reference;employee_id;minutes_attended\nSES-2023-0001;E1;80\n"
    assert run_import_command("attendances", write(tmp_path, text)).exit_code == 0
    assert sheet()[("SES-2023-0001", "E1")] == (80, AttendanceRole.FACILITATOR)


def test_a_dry_run_writes_nothing(tmp_path):
    result = run_import_command("attendances", write(tmp_path, FRENCH_SHEET), "--dry-run")
    assert result.exit_code == 0
    assert "created 4" in result.stdout and "[dry run: nothing was written]" in result.stdout
    assert not Attendance.objects.exists() and not Attendance.history.exists()


def test_a_training_manager_posts_a_sheet_to_the_api(roles):
    upload = SimpleUploadedFile("presence.csv", FRENCH_SHEET.encode(), "text/csv")
    response = api_client(TRAINING_MANAGER, language="en").post(
        "/api/imports/attendances/", {"file": upload}, format="multipart"
    )
    assert response.status_code == 201, response.content
    assert (response.json()["kind"], response.json()["created"]) == ("attendances", 4)
    assert Attendance.objects.count() == 4
