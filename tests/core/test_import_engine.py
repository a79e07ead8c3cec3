"""The generic import engine (core/imports/engine.py), exercised through the roster importer.

What every `import_<kind>` promises (docs/interfaces.md, "Imports"): exit codes, refusals, the rejects
file, idempotent upserts with history, strict and dry-run modes, and the ImportRun record.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import openpyxl
import pytest

from core.imports import get_importer, importers, run_import
from core.imports.engine import Importer
from core.imports.testing import read_rejects, run_import_command
from core.models import ImportRun
from organization.importers import RosterImporter
from organization.models import Department, Employee
from tests.core.importers import (
    DatabaseFailsAfterLine3,
    RosterRefusingDuplicates,
    RosterSkippingE2,
    RosterWithFinish,
    StrictRoster,
)
from tests.factories import EmployeeFactory, LegalEntityFactory, UserFactory
from tests.spreadsheet_checks import formula_fields

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_messages", "isolated_media")]

HEADER = "employee_id;last_name;first_name;entity_code;department;hired_on;left_on\n"


@pytest.fixture
def entity():
    return LegalEntityFactory(code="ALS", name="Action Logement Services")


def write(tmp_path: Path, body: str, name: str = "roster.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes((HEADER + body).encode(encoding))
    return path


# -- exit codes and summary -------------------------------------------------------------------------
def test_a_clean_file_exits_0_and_prints_the_summary(tmp_path, entity):
    path = write(tmp_path, "E1;Dupont;Zoé;ALS;RH;2020-01-01;\nE2;Martin;Léo;ALS;RH;01/02/2021;\n")
    result = run_import_command("roster", path)
    assert result.exit_code == 0
    assert "read 2, created 2, updated 0, unchanged 0, rejected 0, blank lines ignored 0" in result.stdout
    assert Employee.objects.count() == 2
    assert not (tmp_path / "roster.rejects.csv").exists()


def test_a_file_with_a_rejected_row_exits_1_and_keeps_the_good_rows(tmp_path, entity):
    path = write(tmp_path, "E1;Dupont;Zoé;ALS;RH;2020-01-01;\nE2;Martin;Léo;ALS;RH;31/02/2023;\n")
    result = run_import_command("roster", path)
    assert result.exit_code == 1
    assert "created 1" in result.stdout and "rejected 1" in result.stdout
    assert list(Employee.objects.values_list("employee_id", flat=True)) == ["E1"]
    assert str(tmp_path / "roster.rejects.csv") in result.stdout


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("roster.csv", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >>\n", "looks like a PDF document"),
        ("roster.csv", b"", "the file is empty"),
        (
            "roster.csv",
            "matricule;nom;prénom\nE1;Dupont;Zoé\n".encode(),
            "missing required column(s): entity_code, hired_on (found: matricule, nom, prénom)",
        ),
        ("roster.xlsx", b"PK\x03\x04garbage that is not a zip", "not a valid .xlsx workbook"),
        ("roster.csv", b"E1;Dupont;ALS;2020-01-01\n", "no header line"),
    ],
)
def test_a_file_that_is_not_a_table_is_refused_whole_with_exit_2_and_one_line(tmp_path, entity, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    result = run_import_command("roster", path)
    assert result.exit_code == 2
    assert result.stderr.strip().startswith("refused: ")
    assert reason in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert Employee.objects.count() == 0 and Department.objects.count() == 0
    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.REFUSED and reason in run.message
    assert run.sha256 == hashlib.sha256(content).hexdigest()


def test_a_refused_file_leaves_the_database_untouched_even_with_existing_rows(tmp_path, entity):
    EmployeeFactory(employee_id="E1", entity=entity)
    path = tmp_path / "roster.csv"
    path.write_text("matricule;nom\nE1;Changed\n", encoding="utf-8")
    assert run_import_command("roster", path).exit_code == 2
    assert Employee.history.filter(employee_id="E1").count() == 1


def test_a_header_naming_the_same_column_twice_is_refused(tmp_path, entity):
    path = tmp_path / "roster.csv"
    path.write_text("employee_id;entity_code;hired_on;Employee ID\nE1;ALS;2020-01-01;E2\n", encoding="utf-8")
    result = run_import_command("roster", path)
    assert result.exit_code == 2
    assert "appears 2 times" in result.stderr


# -- the run record ---------------------------------------------------------------------------------
def test_each_run_records_who_when_the_file_its_checksum_and_the_counts(tmp_path, entity):
    user = UserFactory(username="rh")
    path = write(tmp_path, "E1;Dupont;Zoé;ALS;RH;2020-01-01;\n\nE2;Martin;Léo;NOPE;RH;2020-01-01;\n")
    report = run_import("roster", path, user=user)
    run = ImportRun.objects.get()
    assert report.run == run
    assert (run.kind, run.file_name, run.user, run.dry_run, run.strict) == ("roster", "roster.csv", user, False, False)
    assert run.sha256 == hashlib.sha256(path.read_bytes()).hexdigest() and run.size == path.stat().st_size
    assert (run.rows_read, run.created, run.updated, run.unchanged, run.rejected, run.blank_lines) == (2, 1, 0, 0, 1, 1)
    assert run.status == ImportRun.Status.COMPLETED_WITH_REJECTS
    assert run.started_at <= run.finished_at
    assert run.last_line_committed == 4
    assert run.rejects_file.read().decode("utf-8-sig").startswith("line;reason;employee_id")


def test_the_command_line_imports_as_the_inactive_system_user(tmp_path, entity, settings):
    settings.VIGIE_SYSTEM_USERNAME = "vigie-system"
    run_import_command("roster", write(tmp_path, "E1;Dupont;Zoé;ALS;RH;2020-01-01;\n"))
    run = ImportRun.objects.get()
    assert run.user.username == "vigie-system"
    assert not run.user.is_active and not run.user.has_usable_password()
    assert Employee.history.get(employee_id="E1").history_user == run.user


def test_unknown_columns_are_ignored_and_listed(tmp_path, entity):
    path = tmp_path / "roster.csv"
    path.write_text("employee_id;entity_code;hired_on;Commentaire;Badge\nE1;ALS;2020-01-01;x;y\n", encoding="utf-8")
    result = run_import_command("roster", path)
    assert result.exit_code == 0
    assert "unknown columns ignored: Commentaire, Badge" in result.stdout
    assert ImportRun.objects.get().details["unknown_columns"] == ["Commentaire", "Badge"]


def test_blank_lines_are_counted_not_rejected(tmp_path, entity):
    path = write(tmp_path, "\nE1;Dupont;Zoé;ALS;RH;2020-01-01;\n;;;;;;\n   \nE2;Martin;Léo;ALS;RH;2020-01-01;\n")
    result = run_import_command("roster", path)
    assert result.exit_code == 0
    run = ImportRun.objects.get()
    assert (run.rows_read, run.created, run.blank_lines, run.rejected) == (2, 2, 3, 0)


# -- rejects file -----------------------------------------------------------------------------------
def test_the_rejects_file_has_the_physical_line_reason_and_original_values(tmp_path, entity):
    path = write(
        tmp_path,
        'E1;"Du\npont";Zoé;ALS;RH;2020-01-01;\n'  # lines 2-3: a quoted value spans two lines
        "\n"  # line 4: blank
        "E2;Martin;Léo;ALS;RH;31/02/2023;\n"  # line 5
        "E3;Petit;Noël;NOPE;RH;2020-01-01;2019-01-01\n",  # line 6
    )
    assert run_import_command("roster", path).exit_code == 1
    rejects_path = tmp_path / "roster.rejects.csv"
    assert rejects_path.read_bytes().startswith(b"\xef\xbb\xbfline;reason;")  # BOM and ';' for French Excel
    header, *rows = read_rejects(rejects_path)
    assert header == [
        "line",
        "reason",
        "employee_id",
        "last_name",
        "first_name",
        "entity_code",
        "department",
        "hired_on",
        "left_on",
    ]
    assert [row[0] for row in rows] == ["5", "6"]
    assert rows[0][1] == "hired_on: '31/02/2023' is not a valid date (no such day)"
    assert rows[0][2:] == ["E2", "Martin", "Léo", "ALS", "RH", "31/02/2023", ""]
    assert "entity_code: unknown entity 'NOPE'" in rows[1][1]
    assert "left_on: 01/01/2019 is before the hiring date 01/01/2020" in rows[1][1]


def test_the_rejects_file_writes_formulas_of_the_input_as_text(tmp_path, entity):
    """The rejects CSV is opened in Excel to correct the rows: what they hold must not run there."""
    path = write(tmp_path, 'E1;+cmd|\' /C calc\'!A0;=HYPERLINK("http://evil","x");NOPE;@SUM(1);-2+3;\n')
    assert run_import_command("roster", path).exit_code == 1
    content = (tmp_path / "roster.rejects.csv").read_bytes()
    assert formula_fields(content) == []
    assert read_rejects(tmp_path / "roster.rejects.csv")[1][2:] == [
        "E1",
        "'+cmd|' /C calc'!A0",
        '\'=HYPERLINK("http://evil","x")',
        "NOPE",
        "'@SUM(1)",
        "'-2+3",
        "",
    ]


def test_all_errors_of_a_row_are_reported_together(tmp_path, entity):
    path = tmp_path / "roster.csv"
    path.write_text(
        "employee_id;entity_code;hired_on;is_manager;gender;email\n;NOPE;2020-13-01;peut-être;?;not-an-email\n",
        encoding="utf-8",
    )
    run_import_command("roster", path)
    reason = read_rejects(tmp_path / "roster.rejects.csv")[1][1]
    for part in (
        "employee_id: a value is required",
        "hired_on: '2020-13-01' is not a valid date",
        "is_manager: 'peut-être' is not a yes/no value",
        "gender: '?' is not one of F, M, X",
        "email: 'not-an-email' is not a valid email address",
        "entity_code: unknown entity 'NOPE'",
    ):
        assert part in reason


def test_a_later_clean_run_removes_the_stale_rejects_file(tmp_path, entity):
    path = write(tmp_path, "E1;Dupont;Zoé;ALS;RH;31/02/2023;\n")
    run_import_command("roster", path)
    assert (tmp_path / "roster.rejects.csv").exists()
    write(tmp_path, "E1;Dupont;Zoé;ALS;RH;28/02/2023;\n")
    assert run_import_command("roster", path).exit_code == 0
    assert not (tmp_path / "roster.rejects.csv").exists()


def test_the_rejects_of_a_workbook_go_to_a_csv_beside_it(tmp_path, entity):
    path = tmp_path / "roster.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.append(["employee_id", "entity_code", "hired_on", "left_on"])
    workbook.active.append(["E1", "NOPE", "2020-01-01"])
    workbook.save(path)
    assert run_import_command("roster", path).exit_code == 1
    assert read_rejects(tmp_path / "roster.rejects.csv")[1] == [
        "2",
        "entity_code: unknown entity 'NOPE'",
        "E1",
        "NOPE",
        "2020-01-01",
        "",
    ]


# -- idempotence and history ------------------------------------------------------------------------
def test_reimporting_the_same_file_changes_nothing_and_writes_no_history(tmp_path, entity):
    path = write(tmp_path, "E1;Dupont;Zoé;ALS;RH;2020-01-01;\nE2;Martin;Léo;ALS;Finance;01/02/2021;31/12/2023\n")
    assert run_import_command("roster", path).exit_code == 0
    result = run_import_command("roster", path)
    assert result.exit_code == 0
    assert "created 0, updated 0, unchanged 2" in result.stdout
    assert Employee.history.filter(employee_id__in=["E1", "E2"]).count() == 2
    assert Department.history.filter(name__in=["RH", "Finance"]).count() == 2


def test_an_update_writes_exactly_one_history_row_with_the_user_and_a_reason_naming_file_and_run(tmp_path, entity):
    user = UserFactory(username="rh")
    path = write(tmp_path, "E1;Dupont;Zoé;ALS;RH;2020-01-01;\nE2;Martin;Léo;ALS;RH;2020-01-01;\n")
    run_import("roster", path, user=user)
    write(tmp_path, "E1;Dupont;Zoé;ALS;RH;2020-01-01;31/12/2024\nE2;Martin;Léo;ALS;RH;2020-01-01;\n")
    report = run_import("roster", path, user=user)
    assert (report.run.created, report.run.updated, report.run.unchanged) == (0, 1, 1)
    changes = Employee.history.filter(employee_id="E1", history_type="~")
    assert changes.count() == 1
    change = changes.get()
    assert change.left_on.isoformat() == "2024-12-31"
    assert change.history_user == user
    assert change.history_change_reason == f"import roster run {report.run.pk}: roster.csv"
    assert Employee.history.filter(employee_id="E2").count() == 1


def test_an_update_keeps_fields_that_the_file_does_not_have(tmp_path, entity):
    employee = EmployeeFactory(employee_id="E1", entity=entity, email="zoe@example.org", is_executive=True)
    path = tmp_path / "roster.csv"
    path.write_text("employee_id;entity_code;hired_on\nE1;ALS;2021-01-01\n", encoding="utf-8")
    assert run_import_command("roster", path).exit_code == 0
    employee.refresh_from_db()
    assert (employee.hired_on.isoformat(), employee.email, employee.is_executive) == (
        "2021-01-01",
        "zoe@example.org",
        True,
    )


# -- strict, dry run, batches -----------------------------------------------------------------------
def test_strict_rolls_everything_back_when_a_row_is_rejected(tmp_path, entity):
    path = write(tmp_path, "E1;Dupont;Zoé;ALS;Nouvelle direction;2020-01-01;\nE2;Martin;Léo;NOPE;RH;2020-01-01;\n")
    result = run_import_command("roster", path, "--strict")
    assert result.exit_code == 1
    assert "nothing was written" in result.stdout
    assert Employee.objects.count() == 0 and Department.objects.count() == 0
    assert not Employee.history.filter(employee_id__in=["E1", "E2"]).exists()
    run = ImportRun.objects.get()
    assert (run.status, run.strict, run.last_line_committed) == (ImportRun.Status.ROLLED_BACK, True, None)
    assert read_rejects(tmp_path / "roster.rejects.csv")[1][0] == "3"


def test_strict_writes_a_clean_file(tmp_path, entity):
    path = write(tmp_path, "E1;Dupont;Zoé;ALS;RH;2020-01-01;\n")
    assert run_import_command("roster", path, "--strict").exit_code == 0
    assert Employee.objects.count() == 1
    assert ImportRun.objects.get().last_line_committed == 2


def test_dry_run_validates_and_counts_but_writes_nothing(tmp_path, entity):
    EmployeeFactory(employee_id="E1", entity=entity, last_name="Dupont", hired_on="2019-01-01")
    path = write(
        tmp_path,
        "E1;Dupont;Zoé;ALS;RH;2020-01-01;\nE2;Martin;Léo;ALS;Finance;2020-01-01;\nE3;Petit;Noël;NOPE;RH;2020-01-01;\n",
    )
    result = run_import_command("roster", path, "--dry-run")
    assert result.exit_code == 1
    assert "dry run" in result.stdout
    run = ImportRun.objects.get()
    assert (run.dry_run, run.created, run.updated, run.rejected) == (True, 1, 1, 1)
    assert run.details["created_related"] == {"departments": 2}
    assert list(Employee.objects.values_list("employee_id", flat=True)) == ["E1"]
    assert Employee.objects.get().hired_on.isoformat() == "2019-01-01"
    assert Department.objects.filter(name__in=["RH", "Finance"]).count() == 0
    assert Employee.history.filter(employee_id__in=["E1", "E2", "E3"]).count() == 1


def test_each_batch_is_committed_and_the_run_says_the_last_line_committed(tmp_path, entity, monkeypatch):
    """A crash in the third batch leaves the first two batches written and the run `failed`."""
    monkeypatch.setattr(RosterImporter, "batch_size", 2)
    original_build = RosterImporter.build

    def build(self, row):
        if row.line == 6:
            raise RuntimeError("the disk is full")
        return original_build(self, row)

    monkeypatch.setattr(RosterImporter, "build", build)
    path = write(tmp_path, "".join(f"E{n};N{n};P{n};ALS;RH;2020-01-01;\n" for n in range(1, 7)))
    with pytest.raises(RuntimeError):
        run_import("roster", path)
    assert Employee.objects.count() == 4
    run = ImportRun.objects.get()
    assert (run.status, run.last_line_committed, run.created) == (ImportRun.Status.FAILED, 5, 4)
    assert "the disk is full" in run.message


def test_a_row_the_database_refuses_is_rejected_and_the_rest_of_its_batch_is_written(tmp_path, entity):
    class Unchecked(RosterImporter):
        """Forgets the left/hired check, so the database constraint is what refuses the row."""

        def build(self, row):
            values = super().build(row)
            row.errors = None
            return values

    path = write(
        tmp_path,
        "E1;Dupont;Zoé;ALS;RH;2020-01-01;\nE2;Martin;Léo;ALS;RH;2020-01-01;2019-01-01\n"
        "E3;Petit;Noël;ALS;RH;2020-01-01;\n",
    )
    report = run_import(Unchecked, path)
    assert (report.run.created, report.run.rejected) == (2, 1)
    assert report.rejects[0].line == 3 and "refused by the database" in report.rejects[0].reason
    assert sorted(Employee.objects.values_list("employee_id", flat=True)) == ["E1", "E3"]


def test_a_database_error_that_is_no_rows_fault_fails_the_run_instead_of_rejecting_its_rows(
    tmp_path, entity, monkeypatch
):
    monkeypatch.setattr(DatabaseFailsAfterLine3, "batch_size", 2)
    path = write(tmp_path, "".join(f"E{n};N{n};P{n};ALS;RH;2020-01-01;\n" for n in range(1, 6)))

    report = run_import(DatabaseFailsAfterLine3, path, rejects_path=tmp_path / "roster.rejects.csv")

    run = ImportRun.objects.get()
    assert report.run.pk == run.pk and report.exit_code == 3
    assert (run.status, run.rejected, run.created, run.last_line_committed, run.batches_committed) == (
        ImportRun.Status.FAILED,
        0,
        2,
        3,
        1,
    )
    assert run.message.startswith("database error while writing lines 4 to 5: ")
    assert "vigie_no_such_table" in run.message
    assert run.message.endswith("; stopped after line 3 (batch 1); re-run the same file to complete it")
    assert not run.rejects_file and not (tmp_path / "roster.rejects.csv").exists()
    assert report.lines()[-1] == f"  {run.message}"
    # The first batch is kept, with its history; nothing of the second one.
    assert sorted(Employee.objects.values_list("employee_id", flat=True)) == ["E1", "E2"]
    assert Employee.history.count() == 2

    # Importing the file again (the database is fine now) completes the failed run.
    again = run_import_command("roster", path)
    assert again.exit_code == 0, again
    rerun = ImportRun.objects.order_by("-pk").first()
    assert (rerun.created, rerun.unchanged, rerun.details["completes_run"]) == (3, 2, run.pk)
    assert f"completes the interrupted run {run.pk} of this file" in again.stdout


def test_a_dry_run_counts_what_a_real_run_does_though_it_rolls_back_each_batch(tmp_path, entity, monkeypatch):
    """Departments created by the first batch (rolled back) are created again by the next ones, counted once."""
    monkeypatch.setattr(RosterImporter, "batch_size", 2)
    EmployeeFactory(employee_id="E2", entity=entity, last_name="Old", hired_on="2019-01-01", department=None)
    path = write(
        tmp_path,
        "E1;Dupont;Zoé;ALS;RH;2020-01-01;\nE2;Martin;Léo;ALS;Finance;2020-01-01;\n"
        "E3;Petit;Noël;ALS;RH;2020-01-01;\nE4;Durand;Léa;ALS;Achats;2020-01-01;\n"
        "E5;Bernard;Luc;NOPE;RH;2020-01-01;\nE6;Thomas;Eva;ALS;Finance;2020-01-01;\n",
    )

    dry = run_import("roster", path, dry_run=True).run
    assert Employee.objects.count() == 1 and Department.objects.count() == 0
    real = run_import("roster", path).run

    def counts(run):
        return (run.rows_read, run.created, run.updated, run.unchanged, run.rejected, run.details["created_related"])

    assert counts(dry) == counts(real) == (6, 4, 1, 0, 1, {"departments": 3})
    assert (dry.status, dry.last_line_committed, dry.batches_committed) == (
        ImportRun.Status.COMPLETED_WITH_REJECTS,
        None,
        0,
    )
    assert Department.objects.count() == 3


# -- registry ---------------------------------------------------------------------------------------
def test_importers_are_registered_by_kind():
    assert {"entities", "roster"} <= set(importers())
    assert get_importer("roster") is RosterImporter
    with pytest.raises(KeyError, match="no importer for kind 'nope'"):
        get_importer("nope")


def test_two_columns_cannot_claim_the_same_header():
    with pytest.raises(TypeError, match="declared for"):
        from core.imports import Column

        class Clash(Importer):
            columns = (Column("last_name", aliases=("nom",)), Column("name", aliases=("Nom",)))


# -- the hooks of importers that replace a whole set (aml screening lists) --------------------------------
def test_a_duplicate_key_rejects_only_the_second_row_by_default(tmp_path, entity):
    path = write(tmp_path, "E1;Dupont;Zoé;ALS;RH;2020-01-01;\nE1;Martin;Léo;ALS;RH;2021-01-01;\n")
    report = run_import("roster", path)
    assert report.run.status == ImportRun.Status.COMPLETED_WITH_REJECTS
    assert [r.reason for r in report.rejects] == ["duplicate employee_id 'E1' already on line 2"]
    assert Employee.objects.count() == 1 and not report.run.strict


def test_an_importer_may_refuse_the_whole_file_for_a_duplicate_key_naming_both_lines(tmp_path, entity):
    EmployeeFactory(employee_id="E0", entity=entity)
    path = write(
        tmp_path, "E1;Dupont;Zoé;ALS;RH;2020-01-01;\nE2;Martin;Léo;ALS;RH;2021-01-01;\nE1;X;Y;ALS;RH;2021-01-01;\n"
    )
    report = run_import(RosterRefusingDuplicates, path)  # one row per batch: the first batches are undone too
    assert report.exit_code == 2 and report.run.status == ImportRun.Status.REFUSED
    assert "employee_id 'E1' appears twice in the file, on lines 2 and 4" in report.run.message
    assert list(Employee.objects.values_list("employee_id", flat=True)) == ["E0"]
    assert report.run.strict and report.run.created == 0


def test_a_strict_only_importer_is_strict_whatever_the_caller_asks(tmp_path, entity):
    path = write(tmp_path, "E1;Dupont;Zoé;ALS;RH;2020-01-01;\nE2;Martin;Léo;ALS;RH;31/02/2021;\n")
    report = run_import(StrictRoster, path, strict=False)
    assert report.run.strict and report.run.status == ImportRun.Status.ROLLED_BACK
    assert not Employee.objects.exists()


def test_a_skipped_row_is_read_and_noted_neither_written_nor_rejected(tmp_path, entity):
    path = write(
        tmp_path, "E1;Dupont;Zoé;ALS;RH;2020-01-01;\nE2;Martin;Léo;ALS;RH;2021-01-01;\nE3;Roux;Ana;ALS;RH;2021-01-01;\n"
    )
    report = run_import(RosterSkippingE2, path)
    run = report.run
    assert (run.rows_read, run.created, run.rejected, run.status) == (3, 2, 0, ImportRun.Status.COMPLETED)
    assert run.details["notes"] == {"skipped for the test": 1}
    assert "  skipped for the test: 1" in report.lines()
    assert sorted(Employee.objects.values_list("employee_id", flat=True)) == ["E1", "E3"]


@pytest.mark.parametrize("strict", [False, True])
def test_finish_runs_once_after_the_last_write_and_its_writes_are_kept(tmp_path, entity, strict, monkeypatch):
    monkeypatch.setattr(RosterWithFinish, "finished", [])
    monkeypatch.setattr(RosterWithFinish, "batch_size", 1)
    path = write(tmp_path, "E1;Dupont;Zoé;ALS;RH;2020-01-01;\nE2;Martin;Léo;ALS;RH;2021-01-01;\n")
    report = run_import(RosterWithFinish, path, strict=strict)
    assert report.exit_code == 0
    assert RosterWithFinish.finished == [["E1", "E2"]]
    assert Employee.objects.get(employee_id="E1").last_name == "Finished"


def test_finish_is_rolled_back_with_a_dry_run_and_skipped_when_a_strict_import_rejects(tmp_path, entity, monkeypatch):
    monkeypatch.setattr(RosterWithFinish, "finished", [])
    EmployeeFactory(employee_id="E1", entity=entity, last_name="Dupont")
    path = write(tmp_path, "E1;Dupont;Zoé;ALS;RH;2020-01-01;\n")
    for strict in (False, True):
        assert run_import(RosterWithFinish, path, dry_run=True, strict=strict).exit_code == 0
    assert len(RosterWithFinish.finished) == 2
    assert Employee.objects.get(employee_id="E1").last_name == "Dupont"
    bad = write(tmp_path, "E1;Dupont;Zoé;ALS;RH;2020-01-01;\nE2;Martin;Léo;ALS;RH;31/02/2021;\n", name="bad.csv")
    assert run_import(RosterWithFinish, bad, strict=True).exit_code == 1
    assert len(RosterWithFinish.finished) == 2
    assert Employee.objects.get(employee_id="E1").last_name == "Dupont"
