"""`import_cnil_cases`: a DPO's tracker of CNIL referrals and complaints, French headers, CSV and XLSX."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from core.imports.testing import read_rejects, run_import_command
from gdpr.models import CnilCase
from tests.gdpr.factories import CnilCaseFactory, RightsRequestFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("english_messages", "isolated_media"),
    pytest.mark.time_machine(dt.datetime(2025, 4, 15, 10, 0, tzinfo=dt.UTC), tick=False),
]

FRENCH_TRACKER = (
    "Référence;Type;Date de réception;Date limite de réponse;Date de réponse;Référence de la demande;Référence CNIL;Objet\n"
    "CN-01;Saisine;03/02/2025;13/02/2025;12/02/2025;DSR-2025-00001;PLT-1;Accès refusé\n"
    "CN-02;Plainte sans saisine;10/03/2025;;;;;Effacement\n"
    "CN-03;saisine;2025-04-01;2025-04-11;;;PLT-3;\n"
)


@pytest.fixture(autouse=True)
def rights_request():
    return RightsRequestFactory(reference="DSR-2025-00001")


def write(tmp_path: Path, text: str, name: str = "cnil.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def rejects(tmp_path: Path, name: str = "cnil") -> list[list[str]]:
    return [row[:2] for row in read_rejects(tmp_path / f"{name}.rejects.csv")[1:]]


def test_a_french_tracker_in_windows_1252_with_semicolons(tmp_path, rights_request):
    result = run_import_command("cnil_cases", write(tmp_path, FRENCH_TRACKER, encoding="cp1252"))
    assert result.exit_code == 0, result.stdout
    assert "read 3, created 3" in result.stdout
    referral = CnilCase.objects.get(reference="CN-01")
    assert (referral.kind, referral.received_on, referral.due_on, referral.answered_on) == (
        "referral",
        dt.date(2025, 2, 3),
        dt.date(2025, 2, 13),
        dt.date(2025, 2, 12),
    )
    assert (referral.rights_request, referral.cnil_reference, referral.subject) == (
        rights_request,
        "PLT-1",
        "Accès refusé",
    )
    complaint = CnilCase.objects.get(reference="CN-02")
    assert (complaint.kind, complaint.due_on, complaint.rights_request) == ("complaint_without_referral", None, None)
    assert CnilCase.objects.get(reference="CN-03").kind == "referral"
    assert CnilCase.history.filter(history_type="+").count() == 3


def test_an_xlsx_with_typed_date_cells(tmp_path):
    path = tmp_path / "cnil.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.append(["reference", "kind", "received_on", "due_on", "answered_on"])
    workbook.active.append(["CN-10", "referral", dt.datetime(2025, 1, 6), dt.date(2025, 1, 16), None])
    workbook.save(path)
    assert run_import_command("cnil_cases", path).exit_code == 0
    assert CnilCase.objects.filter(reference="CN-10", due_on=dt.date(2025, 1, 16), answered_on=None).exists()


def test_importing_the_same_file_twice_changes_nothing(tmp_path):
    path = write(tmp_path, FRENCH_TRACKER)
    assert run_import_command("cnil_cases", path).exit_code == 0
    history = CnilCase.history.count()
    result = run_import_command("cnil_cases", path)
    assert result.exit_code == 0
    assert "created 0, updated 0, unchanged 3" in result.stdout
    assert CnilCase.history.count() == history


def test_a_re_import_updates_the_answer_of_a_known_case(tmp_path):
    CnilCaseFactory(reference="CN-03", received_on=dt.date(2025, 4, 1), due_on=dt.date(2025, 4, 11))
    path = write(
        tmp_path, "reference;kind;received_on;due_on;answered_on\nCN-03;referral;2025-04-01;2025-04-11;2025-04-10\n"
    )
    assert "updated 1" in run_import_command("cnil_cases", path).stdout
    assert CnilCase.objects.get().answered_on == dt.date(2025, 4, 10)


def test_contradictions_are_rejected_with_their_reason_and_the_good_rows_kept(tmp_path):
    path = write(
        tmp_path,
        (
            "reference;kind;received_on;due_on;answered_on;rights_request_reference\n"
            "OK;referral;2025-04-01;2025-04-11;;\n"
            "NO-DUE;referral;2025-04-01;;;\n"
            "ANSWER-BEFORE;referral;2025-04-01;2025-04-11;2025-03-30;\n"
            "DUE-BEFORE;referral;2025-04-01;2025-03-25;;\n"
            "COMPLAINT-DUE;complaint_without_referral;2025-04-01;2025-04-11;;\n"
            "UNKNOWN-REQ;referral;2025-04-01;2025-04-11;;DSR-NOPE\n"
            "FUTURE;referral;2025-04-01;2025-04-11;2025-04-20;\n"
            "BAD-KIND;audit;2025-04-01;;;\n"
        ),
    )
    result = run_import_command("cnil_cases", path)
    assert result.exit_code == 1
    assert rejects(tmp_path) == [
        ["3", "due_on: A referral needs the reply date set in the CNIL's letter."],
        ["4", "answered_on: The answer (30/03/2025) cannot be dated before the receipt (01/04/2025)."],
        ["5", "due_on: The reply date (25/03/2025) cannot be before the receipt (01/04/2025)."],
        ["7", "rights_request_reference: unknown rights request 'DSR-NOPE'"],
        ["8", "answered_on: The answer (20/04/2025) cannot be dated in the future."],
        ["9", "kind: 'audit' is not one of referral, complaint_without_referral"],
    ]
    # A complaint without referral keeps the reply date a CNIL letter set (the 2023 DPEF answered two such).
    assert list(CnilCase.objects.values_list("reference", "due_on")) == [
        ("COMPLAINT-DUE", dt.date(2025, 4, 11)),
        ("OK", dt.date(2025, 4, 11)),
    ]


def test_a_referral_in_a_file_without_a_due_date_column_says_which_column_to_add(tmp_path):
    path = write(tmp_path, "reference;kind;received_on\nCN-1;referral;2025-04-01\nCN-2;plainte;2025-04-01\n")
    assert run_import_command("cnil_cases", path).exit_code == 1
    assert rejects(tmp_path) == [
        ["2", "due_on: a referral needs its reply date: add a due_on column (Date limite de réponse)"]
    ]
    assert CnilCase.objects.get().reference == "CN-2"


def test_a_file_without_the_kind_column_is_refused_whole(tmp_path):
    result = run_import_command("cnil_cases", write(tmp_path, "reference;received_on\nCN-1;2025-04-01\n"))
    assert result.exit_code == 2
    assert "missing required column(s): kind" in result.stderr
    assert not CnilCase.objects.exists()


def test_dry_run_writes_nothing(tmp_path):
    result = run_import_command("cnil_cases", write(tmp_path, FRENCH_TRACKER), "--dry-run")
    assert result.exit_code == 0 and "created 3" in result.stdout
    assert not CnilCase.objects.exists()
