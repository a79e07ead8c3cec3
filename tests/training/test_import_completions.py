"""`import_completions`: LMS exports (French headers, CSV and XLSX), every rejection with its line, the
flagged-but-kept completions and their count in the summary, idempotent re-imports, history, and the
same import from the admin and the API."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from core.imports.testing import read_rejects, run_import_command
from core.models import ImportRun
from core.roles import TRAINING_MANAGER
from tests.clients import admin_client, api_client
from tests.factories import EmployeeFactory
from tests.training.factories import WorkshopFactory
from training import kpis
from training.choices import CompletionAnomaly
from training.models import Completion, Module

PARIS = ZoneInfo("Europe/Paris")
NOW = dt.datetime(2023, 6, 15, 10, 0, tzinfo=dt.UTC)
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("english_messages", "isolated_media"),
    pytest.mark.time_machine(NOW, tick=False),
]

# A French LMS export: semicolons, Windows-1252, dates alone or with a time (Paris), an ISO time in UTC.
FRENCH_EXPORT = (
    "Matricule;Code module;Date de réalisation;Durée (min);Score\n"
    "E1;LCBFT;15/03/2023;45;85,5\n"
    "E2;lcbft;31/12/2022 23:30;1:30;90 %\n"
    "E3;RGPD;2022-12-31T23:30:00Z;;\n"
)


@pytest.fixture(autouse=True)
def employees():
    return {code: EmployeeFactory(employee_id=code, hired_on=dt.date(2020, 1, 1)) for code in ("E1", "E2", "E3")}


def write(tmp_path: Path, text: str, name: str = "lms.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def rejects(tmp_path: Path, name: str = "lms") -> dict[str, str]:
    return {row[0]: row[1] for row in read_rejects(tmp_path / f"{name}.rejects.csv")[1:]}


def completion(employee_id: str, code: str) -> Completion:
    return Completion.objects.get(employee__employee_id=employee_id, module__code=code)


def test_a_french_lms_export_in_windows_1252(tmp_path):
    result = run_import_command("completions", write(tmp_path, FRENCH_EXPORT, encoding="cp1252"))
    assert result.exit_code == 0, result.stdout
    assert "read 3, created 3, updated 0, unchanged 0, rejected 0" in result.stdout
    run = ImportRun.objects.get()
    first = completion("E1", "LCBFT")
    # A date alone is 00:00 Paris time that day; a French decimal comma.
    assert first.completed_at == dt.datetime(2023, 3, 15, 0, 0, tzinfo=PARIS)
    assert (first.completed_on, first.duration_minutes, first.score, first.anomaly, first.import_run) == (
        dt.date(2023, 3, 15),
        45,
        Decimal("85.50"),
        "",
        run,
    )
    # A Paris time late in the evening stays on its Paris day; a duration H:MM; a score with "%".
    late = completion("E2", "LCBFT")
    assert (late.completed_on, late.duration_minutes, late.score) == (dt.date(2022, 12, 31), 90, Decimal("90"))
    # 23:30 UTC on 31 December is 00:30 on 1 January in Paris: the rules compare the Paris day.
    utc = completion("E3", "RGPD")
    assert utc.completed_at == dt.datetime(2022, 12, 31, 23, 30, tzinfo=dt.UTC)
    assert (utc.completed_on, utc.duration_minutes, utc.score) == (dt.date(2023, 1, 1), None, None)


def test_an_xlsx_export_with_typed_cells_and_other_lms_headers(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Matricule apprenant", "Code formation", "Date d'achèvement", "Temps passé", "Note"])
    sheet.append(["E1", "CYBER", dt.datetime(2023, 2, 1, 14, 5), 30, 72.5])
    # A module named by its title (some exports have no code), any case and accents.
    sheet.append(["E2", "CYBERSECURITE", dt.date(2023, 2, 2), dt.time(0, 50), 100])
    sheet.append(["E3", "DEONTO", "03/02/2023 09h15", "", ""])
    path = tmp_path / "lms.xlsx"
    workbook.save(path)
    result = run_import_command("completions", path)
    assert result.exit_code == 0, result.stdout
    first = completion("E1", "CYBER")
    assert (first.completed_at, first.duration_minutes, first.score) == (
        dt.datetime(2023, 2, 1, 14, 5, tzinfo=PARIS),
        30,
        Decimal("72.50"),
    )
    assert completion("E2", "CYBER").duration_minutes == 50
    assert completion("E3", "DEONTO").completed_at == dt.datetime(2023, 2, 3, 9, 15, tzinfo=PARIS)


def test_every_bad_row_is_rejected_with_its_line_and_reason_and_the_good_rows_kept(tmp_path):
    text = (
        "employee_id;module_code;completed_at;duration_minutes;score\n"
        "E1;LCBFT;2023-03-01;45;80\n"
        "NOBODY;LCBFT;2023-03-01;45;80\n"
        "E1;NOPE-42;2023-03-01;45;80\n"
        "E2;LCBFT;31/02/2023;45;80\n"
        "E2;LCBFT;yesterday;45;80\n"
        "E2;RGPD;2023-03-01;-5;80\n"
        "E2;CYBER;2023-03-01;45;-1\n"
        "E3;LCBFT;;45;80\n"
        "E1;lcbft;01/03/2023;50;90\n"
        "E3;RGPD;2023-03-01;abc;80\n"
        "E3;CYBER;2023-03-01;1:75;80\n"
    )
    result = run_import_command("completions", write(tmp_path, text))
    assert result.exit_code == 1
    assert "read 11, created 1, updated 0, unchanged 0, rejected 10" in result.stdout
    assert list(Completion.objects.values_list("employee__employee_id", "module__code")) == [("E1", "LCBFT")]
    reasons = rejects(tmp_path)
    assert set(reasons) == {"3", "4", "5", "6", "7", "8", "9", "10", "11", "12"}
    assert reasons["3"] == "employee_id: unknown employee 'NOBODY'"
    assert reasons["4"] == "module_code: unknown module 'NOPE-42' (neither a code nor a title)"
    assert reasons["5"].startswith("completed_at: '31/02/2023' is not a valid date and time")
    assert reasons["6"].startswith("completed_at: 'yesterday' is not a valid date and time")
    assert reasons["7"] == "duration_minutes: '-5' is less than 0"
    assert reasons["8"] == "score: '-1' is less than 0"
    assert reasons["9"] == "completed_at: a value is required"
    # The same employee, module and time as line 2 (a date alone and its French spelling).
    assert reasons["10"] == (
        "duplicate employee_id 'E1', module_code 'LCBFT', completed_at '01/03/2023 00:00' already on line 2"
    )
    assert reasons["11"].startswith("duration_minutes: 'abc' is not a whole number")
    assert reasons["12"] == "duration_minutes: '1:75' is not a valid duration (expected minutes or H:MM)"


def test_a_file_without_a_required_column_is_refused_whole(tmp_path):
    result = run_import_command("completions", write(tmp_path, "Matricule;Code module\nE1;LCBFT\n"))
    assert result.exit_code == 2
    assert "missing required column(s): completed_at" in result.stderr
    assert not Completion.objects.exists()


def test_flagged_completions_are_kept_counted_in_the_summary_and_not_in_the_rate(tmp_path):
    # LCBFT was deployed on 2022-11-22; "now" is 2023-06-15 12:00 Paris.
    text = (
        "employee_id;module_code;completed_at\n"
        "E1;LCBFT;2023-03-01\n"
        "E2;LCBFT;2023-06-16\n"  # tomorrow
        "E3;LCBFT;2022-11-21 18:00\n"  # the eve of the deployment
        "E3;RGPD;2023-07-01\n"  # in the future too
        "E2;LCBFT;2022-11-22\n"  # the deployment day itself counts
    )
    result = run_import_command("completions", write(tmp_path, text))
    assert result.exit_code == 0, result.stdout
    assert "created 5" in result.stdout
    assert "  completions flagged, not counted (dated in the future): 2" in result.stdout
    assert "  completions flagged, not counted (dated before the module's deployment): 1" in result.stdout
    anomalies = dict(Completion.objects.values_list("completed_at", "anomaly"))
    assert anomalies == {
        dt.datetime(2023, 3, 1, tzinfo=PARIS): "",
        dt.datetime(2023, 6, 16, tzinfo=PARIS): CompletionAnomaly.FUTURE,
        dt.datetime(2022, 11, 21, 18, tzinfo=PARIS): CompletionAnomaly.BEFORE_DEPLOYMENT,
        dt.datetime(2023, 7, 1, tzinfo=PARIS): CompletionAnomaly.FUTURE,
        dt.datetime(2022, 11, 22, tzinfo=PARIS): "",
    }
    assert ImportRun.objects.get().details["notes"] == {
        "completions flagged, not counted (dated in the future)": 2,
        "completions flagged, not counted (dated before the module's deployment)": 1,
    }
    lcbft = Module.objects.get(code="LCBFT")
    # E1 (1 March) and E2 (deployment day) are trained; E3 only has a completion before the deployment.
    rate = kpis.completion_rate(lcbft, dt.date(2023, 12, 31))
    assert (rate.numerator, rate.denominator) == (2, 3)
    assert kpis.completion_rate(Module.objects.get(code="RGPD"), dt.date(2023, 12, 31)).numerator == 0


def test_reimporting_the_same_file_writes_nothing(tmp_path):
    path = write(tmp_path, FRENCH_EXPORT)
    assert run_import_command("completions", path).exit_code == 0
    first_run = ImportRun.objects.get()
    histories = Completion.history.count()
    result = run_import_command("completions", path)
    assert result.exit_code == 0
    assert "read 3, created 0, updated 0, unchanged 3" in result.stdout
    assert Completion.history.count() == histories == 3
    assert set(Completion.objects.values_list("import_run", flat=True)) == {first_run.pk}


def test_times_around_the_clock_changes_are_found_again_on_a_reimport(tmp_path):
    # 30 October 2022 02:30 happened twice in Paris (read as the first, +02:00); 27 March 2022 02:30
    # never happened (read as +01:00). A Paris time in such an hour never equals a UTC one (PEP 495).
    text = (
        "employee_id;module_code;completed_at\n"
        "E1;DEONTO;30/10/2022 02:30\nE2;DEONTO;2022-03-27 02:30\nE3;DEONTO;2022-10-30T02:30:00+01:00\n"
    )
    path = write(tmp_path, text)
    assert run_import_command("completions", path).exit_code == 0
    assert completion("E1", "DEONTO").completed_at == dt.datetime(2022, 10, 30, 0, 30, tzinfo=dt.UTC)
    assert completion("E3", "DEONTO").completed_at == dt.datetime(2022, 10, 30, 1, 30, tzinfo=dt.UTC)
    result = run_import_command("completions", path)
    assert result.exit_code == 0, result.stdout
    assert "created 0, updated 0, unchanged 3, rejected 0" in result.stdout


def test_a_reimport_updates_the_flag_of_a_completion_whose_day_has_come(tmp_path):
    text = "employee_id;module_code;completed_at;score\nE1;LCBFT;2023-06-20;80\nE2;LCBFT;2023-03-01;80\n"
    path = write(tmp_path, text)
    run_import_command("completions", path)
    assert completion("E1", "LCBFT").anomaly == CompletionAnomaly.FUTURE
    with time_machine.travel(dt.datetime(2023, 7, 1, 8, 0, tzinfo=dt.UTC), tick=False):
        result = run_import_command("completions", path)
    assert "created 0, updated 1, unchanged 1" in result.stdout
    assert "flagged" not in result.stdout
    second_run = ImportRun.objects.latest("pk")
    flagged = completion("E1", "LCBFT")
    assert (flagged.anomaly, flagged.import_run) == ("", second_run)
    assert completion("E2", "LCBFT").import_run != second_run
    latest = flagged.history.first()
    assert latest.history_type == "~"
    assert latest.history_change_reason == f"import completions run {second_run.pk}: lms.csv"


def test_every_write_has_a_history_row_naming_the_run(tmp_path):
    run_import_command("completions", write(tmp_path, FRENCH_EXPORT))
    run = ImportRun.objects.get()
    records = Completion.history.all()
    assert records.count() == 3
    assert {(h.history_type, h.history_change_reason, h.history_user_id) for h in records} == {
        ("+", f"import completions run {run.pk}: lms.csv", run.user_id)
    }


def test_a_changed_score_is_updated_and_the_others_left_alone(tmp_path):
    run_import_command("completions", write(tmp_path, FRENCH_EXPORT))
    changed = FRENCH_EXPORT.replace("E1;LCBFT;15/03/2023;45;85,5", "E1;LCBFT;15/03/2023;45;95")
    result = run_import_command("completions", write(tmp_path, changed))
    assert "created 0, updated 1, unchanged 2" in result.stdout
    assert completion("E1", "LCBFT").score == Decimal("95")
    assert Completion.history.filter(history_type="~").count() == 1


def test_a_dry_run_writes_nothing_but_reports_what_it_would_do(tmp_path):
    text = FRENCH_EXPORT + "E1;RGPD;2030-01-01;;\n"
    result = run_import_command("completions", write(tmp_path, text), "--dry-run")
    assert result.exit_code == 0
    assert "[dry run: nothing was written]" in result.stdout
    assert "created 4" in result.stdout
    assert "completions flagged, not counted (dated in the future): 1" in result.stdout
    assert not Completion.objects.exists()
    assert not Completion.history.exists()
    assert ImportRun.objects.get().dry_run


def test_a_workshop_completion_exported_by_the_lms_is_accepted(tmp_path):
    workshop = WorkshopFactory(code="T-ATELIER", deployed_on=dt.date(2022, 1, 1))
    text = "employee_id;module_code;completed_at;duration_minutes\nE1;T-ATELIER;2023-03-01;60\n"
    assert run_import_command("completions", write(tmp_path, text)).exit_code == 0
    assert completion("E1", "T-ATELIER").anomaly == ""
    assert kpis.completion_rate(workshop, dt.date(2023, 12, 31)).numerator == 1


def test_a_training_manager_uploads_an_export_in_the_admin(roles):
    client = admin_client(TRAINING_MANAGER, language="en")
    upload = SimpleUploadedFile("lms.csv", FRENCH_EXPORT.encode(), "text/csv")
    response = client.post(reverse("admin:core_importrun_upload"), {"kind": "completions", "file": upload}, follow=True)
    assert response.status_code == 200
    run = ImportRun.objects.get()
    assert (run.kind, run.created, run.rejected) == ("completions", 3, 0)
    assert Completion.objects.count() == 3
    assert set(Completion.objects.values_list("import_run", flat=True)) == {run.pk}
    assert Completion.history.first().history_user == run.user


def test_a_training_manager_posts_an_export_to_the_api(roles):
    client = api_client(TRAINING_MANAGER, language="en")
    upload = SimpleUploadedFile("lms.csv", (FRENCH_EXPORT + "E9;LCBFT;2023-03-01;;\n").encode(), "text/csv")
    response = client.post("/api/imports/completions/", {"file": upload}, format="multipart")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["created"], body["rejected"]) == ("completions", 3, 1)
    assert body["rejects"] == [{"line": 5, "reason": "employee_id (\"Matricule\"): unknown employee 'E9'"}]
    assert Completion.objects.count() == 3


def test_without_the_training_permissions_the_api_refuses_the_upload(roles):
    upload = SimpleUploadedFile("lms.csv", FRENCH_EXPORT.encode(), "text/csv")
    response = api_client(language="en").post("/api/imports/completions/", {"file": upload}, format="multipart")
    assert response.status_code == 403
    assert not Completion.objects.exists()


@pytest.mark.parametrize("dialect", ["french", "machine"])
def test_the_rejects_file_in_either_dialect_imports_again_once_corrected(tmp_path, dialect):
    """The rejects file (`--dialect`): corrected in place (the unknown employee), it imports as it is: the
    separator is sniffed, the decimal comma and DD/MM/YYYY dates (French) or points and ISO dates (machine)
    read; `line` and `reason` are ignored as unknown columns."""
    path = write(
        tmp_path,
        "Matricule;Code module;Date de réalisation;Durée (min);Score\n"
        "E9;LCBFT;15/03/2023 10:30;45;85,5\n"
        "E1;LCBFT;2023-03-16;1:30;70.25\n"
        "E9;RGPD;2022-12-31T23:30:00Z;;\n",
    )
    assert run_import_command("completions", path, "--dialect", dialect).exit_code == 1
    content = (tmp_path / "lms.rejects.csv").read_bytes()
    separator = ";" if dialect == "french" else ","
    assert content.startswith(b"\xef\xbb\xbf" if dialect == "french" else b"line,reason,Matricule")
    assert content.decode("utf-8-sig").splitlines()[1].startswith(f"2{separator}")
    corrected = tmp_path / "corrected.csv"
    corrected.write_bytes(content.replace(b"E9", b"E2"))
    assert run_import_command("completions", corrected).exit_code == 0
    first = completion("E2", "LCBFT")
    assert (first.completed_at, first.duration_minutes, first.score) == (
        dt.datetime(2023, 3, 15, 10, 30, tzinfo=PARIS),
        45,
        Decimal("85.50"),
    )
    assert completion("E2", "RGPD").completed_at == dt.datetime(2022, 12, 31, 23, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize("dialect", ["french", "machine"])
def test_a_rejected_value_at_the_cell_limit_that_looks_like_a_formula_gives_a_readable_rejects_file(
    tmp_path, dialect, roles
):
    """A value as long as a cell may be, starting with `-`: its rejects line (an apostrophe in front) still
    fits the limit, so the machine copy beside the file and the `?dialect=machine` download read it back
    (the csv module refuses a longer field), and no half-written file is ever left beside the input."""
    import csv

    limit = csv.field_size_limit()
    long = "-" + "x" * (limit - 1)
    path = write(tmp_path, "Matricule;Code module;Date de réalisation;Note\nE9;LCBFT;15/03/2023;" + long + "\n")
    assert run_import_command("completions", path, "--dialect", dialect).exit_code == 1
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["lms.csv", "lms.rejects.csv"]
    content = (tmp_path / "lms.rejects.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(content, newline=""), delimiter=";" if dialect == "french" else ","))
    assert len(rows) == 2 and all(len(field) <= limit for field in rows[1])
    assert rows[1][-1].startswith("'-xxx") and rows[1][-1].endswith("…")
    run = ImportRun.objects.get()
    response = api_client(TRAINING_MANAGER).get(f"/api/imports/runs/{run.pk}/rejects/?dialect=machine")
    assert response.status_code == 200
    machine = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode(), newline="")))
    assert machine[1][-1] == rows[1][-1]


def test_a_wrong_rejects_dialect_is_refused_with_the_allowed_values(tmp_path):
    path = write(tmp_path, FRENCH_EXPORT)
    with pytest.raises(CommandError, match="french, machine"):
        call_command("import_completions", str(path), dialect="csv", stdout=io.StringIO())
    assert not ImportRun.objects.exists()
