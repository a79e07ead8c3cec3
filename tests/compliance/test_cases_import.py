"""`import_coi_cases`: the compliance tracker with French headers, its measures as child rows, rejected
contradictions and an idempotent re-import."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from compliance.choices import CaseStatus
from compliance.models import CaseMeasure, ConflictOfInterestCase, MacroProcess
from core.imports.testing import read_rejects, run_import_command
from tests.compliance.factories import CaseFactory, CaseMeasureFactory
from tests.factories import LegalEntityFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("english_messages", "isolated_media"),
    pytest.mark.time_machine(dt.datetime(2025, 6, 2, 10, 0, tzinfo=dt.UTC), tick=False),
]

FRENCH_TRACKER = (
    "Référence;Date de signalement;Origine;Entité;Macro-processus;Type de dossier;Date de qualification;"
    "Qualification (Infondé/Potentiel/Avéré);Mesures;Date de clôture\n"
    "COI-2025-001;03/02/2025;Alerte;SF;Octroi de prêts;Prêt;10/03/2025;Avéré;dossier_refused|sanction;01/04/2025\n"
    "COI-2025-002;2025-03-10;Contrôle;SF;MP-ACH;Achats;2025-04-01;Potentiel;Plan d'action;\n"
    "COI-2025-003;15/05/2025;manager;;;;;;;\n"
    "COI-2025-004;20/01/2025;audit;;;hr;25/01/2025;Infondé;;26/01/2025\n"
)


@pytest.fixture(autouse=True)
def reference_data():
    LegalEntityFactory(code="SF")
    MacroProcess.objects.create(kind="corruption", code="MP-PRET", name="Octroi de prêts")
    MacroProcess.objects.create(kind="conflict_of_interest", code="MP-PRET-COI", name="Octroi de prêts")
    MacroProcess.objects.create(kind="corruption", code="MP-ACH", name="Achats")


def write(tmp_path: Path, text: str, name: str = "coi.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def rejects(tmp_path: Path, name: str = "coi") -> list[list[str]]:
    return [row[:2] for row in read_rejects(tmp_path / f"{name}.rejects.csv")[1:]]


def test_a_french_tracker_in_windows_1252(tmp_path):
    result = run_import_command("coi_cases", write(tmp_path, FRENCH_TRACKER, encoding="cp1252"))
    assert result.exit_code == 0, result.stdout
    assert "read 4, created 4" in result.stdout
    closed = ConflictOfInterestCase.objects.get(reference="COI-2025-001")
    assert (
        closed.status,
        closed.source,
        closed.entity.code,
        closed.dossier_type,
        closed.qualification,
        closed.qualified_on,
        closed.closed_on,
    ) == (CaseStatus.CLOSED, "whistleblowing", "SF", "loan", "confirmed", dt.date(2025, 3, 10), dt.date(2025, 4, 1))
    # The name is shared by two maps' macro-processes: the conflict-of-interest one is preferred.
    assert closed.macro_process.code == "MP-PRET-COI"
    assert closed.analysis_due_on == dt.date(2025, 4, 4)
    assert sorted(closed.measures.values_list("kind", "decided_on")) == [
        ("dossier_refused", dt.date(2025, 3, 10)),
        ("sanction", dt.date(2025, 3, 10)),
    ]
    potential = ConflictOfInterestCase.objects.get(reference="COI-2025-002")
    assert (potential.status, potential.macro_process.code, potential.dossier_type) == (
        CaseStatus.QUALIFIED,
        "MP-ACH",
        "procurement",
    )
    assert list(potential.measures.values_list("kind", flat=True)) == ["action_plan"]
    assert ConflictOfInterestCase.objects.get(reference="COI-2025-003").status == CaseStatus.RECEIVED
    assert ConflictOfInterestCase.objects.get(reference="COI-2025-004").status == CaseStatus.CLOSED
    assert CaseMeasure.history.filter(history_type="+").count() == 3


def test_reimporting_the_same_file_changes_nothing(tmp_path):
    path = write(tmp_path, FRENCH_TRACKER)
    assert run_import_command("coi_cases", path).exit_code == 0
    histories = (ConflictOfInterestCase.history.count(), CaseMeasure.history.count())
    result = run_import_command("coi_cases", path)
    assert result.exit_code == 0
    assert "unchanged 4" in result.stdout
    assert (ConflictOfInterestCase.history.count(), CaseMeasure.history.count()) == histories
    assert CaseMeasure.objects.count() == 3


def test_the_measures_of_a_case_become_those_of_the_file(tmp_path):
    case = CaseFactory(
        reference="COI-X",
        reported_on=dt.date(2025, 1, 6),
        status=CaseStatus.QUALIFIED,
        qualification="confirmed",
        qualified_on=dt.date(2025, 2, 1),
    )
    CaseMeasureFactory(case=case, kind="referral")
    text = "reference,reported_on,qualification,qualified_on,measures\nCOI-X,2025-01-06,confirmed,2025-02-01,sanction\n"
    assert run_import_command("coi_cases", write(tmp_path, text)).exit_code == 0
    assert list(case.measures.values_list("kind", flat=True)) == ["sanction"]
    assert CaseMeasure.history.filter(history_type="-").count() == 1


def test_contradictions_are_rejected_with_their_reason_and_the_good_rows_kept(tmp_path):
    text = (
        "reference;reported_on;qualification;qualified_on;measures;closed_on;entity_code;macro_process;source\n"
        "OK-1;2025-01-06;;;;;;;\n"
        "BAD-NODATE;2025-01-06;confirmed;;;;;;\n"
        "BAD-CLOSED;2025-01-06;;;;2025-02-01;;;\n"
        "BAD-UNFOUNDED;2025-01-06;unfounded;2025-01-10;sanction;;;;\n"
        "BAD-BEFORE;2025-01-06;potential;2024-12-31;;;;;\n"
        "BAD-CLOSEBEFORE;2025-01-06;potential;2025-01-10;;2025-01-01;;;\n"
        "BAD-ENTITY;2025-01-06;;;;;XX;;\n"
        "BAD-PROCESS;2025-01-06;;;;;;Nowhere;\n"
        "BAD-MEASURE;2025-01-06;potential;2025-01-10;bribe;;;;\n"
        "BAD-SOURCE;2025-01-06;;;;;;;rumour\n"
    )
    result = run_import_command("coi_cases", write(tmp_path, text))
    assert result.exit_code == 1
    assert list(ConflictOfInterestCase.objects.values_list("reference", flat=True)) == ["OK-1"]
    reasons = dict(rejects(tmp_path))
    assert "A qualification needs its date." in reasons["3"]
    assert "cannot be closed before it is qualified" in reasons["4"]
    assert "An unfounded case has no measures." in reasons["5"]
    assert "before the case was reported (06/01/2025)" in reasons["6"]
    assert "before the case was reported" in reasons["7"]
    assert "unknown entity 'XX'" in reasons["8"]
    assert "unknown macro-process 'Nowhere'" in reasons["9"]
    assert "bribe" in reasons["10"]
    assert "rumour" in reasons["11"]


def test_a_file_without_the_report_date_is_refused_whole(tmp_path):
    result = run_import_command("coi_cases", write(tmp_path, "reference;qualification\nX;confirmed\n"))
    assert result.exit_code == 2
    assert not ConflictOfInterestCase.objects.exists()
