"""`import_rights_requests`: a DPO's tracker (French headers, CSV or XLSX) comes in with the services' deadlines,
its pauses and ledger rows; contradictions are rejected with their reason; re-importing changes nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from core.imports import Column, Importer, run_import
from core.imports.parsers import Text
from core.imports.testing import read_rejects, run_import_command
from gdpr.choices import DeadlineEventKind, Outcome, RequestStatus, Right
from gdpr.models import DeadlineEvent, RightsRequest, RightsRequestPause
from gdpr.services.rights import rights_request_answer, rights_request_create, rights_request_start
from organization.models import Department
from tests.clients import api_client

PARIS = ZoneInfo("Europe/Paris")
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("english_messages", "isolated_media"),
    pytest.mark.time_machine(dt.datetime(2026, 3, 1, 12, tzinfo=PARIS), tick=False),
]

FRENCH_TRACKER = """\
Référence;Date de réception;Droit;Canal;Catégorie;Date demande d'identité;Date réception identité;\
Date notification prolongation;Motif prolongation;Date de réponse;Issue
DSR-2025-00001;05/03/2025 10:00;Accès;Courriel;Client;;;;;18/03/2025;Accordée
DSR-2025-00002;02/06/2025;Effacement;Courrier;Salarié;03/06/2025;10/06/2025;;;;
DSR-2026-00001;14/02/2026;Portabilité;Formulaire web;Prospect;;;27/02/2026 16:00;Volume des données;;
DSR-2025-00003;02/06/2025;Opposition;Sur place;Autre;03/06/2025;;;;;
"""


def write(tmp_path: Path, text: str, name: str = "demandes.csv", encoding: str = "cp1252") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def rejects(tmp_path: Path, name: str = "demandes") -> dict[str, str]:
    """reference → reason, from the rejects CSV beside the file."""
    rows = read_rejects(tmp_path / f"{name}.rejects.csv")
    header = rows[0]
    return {row[header.index("reference")]: row[1] for row in rows[1:]}


def test_a_french_tracker_in_windows_1252_with_semicolons(tmp_path):
    result = run_import_command("rights_requests", write(tmp_path, FRENCH_TRACKER))
    assert result.exit_code == 0, result.stdout
    assert "read 4, created 4" in result.stdout
    answered = RightsRequest.objects.get(reference="DSR-2025-00001")
    assert (answered.status, answered.right, answered.channel, answered.requester_category) == (
        RequestStatus.ANSWERED,
        Right.ACCESS,
        "email",
        "client",
    )
    assert (answered.due_on, answered.applicable_due_on, answered.outcome) == (
        dt.date(2025, 4, 7),
        dt.date(2025, 4, 7),
        Outcome.GRANTED,
    )
    assert answered.received_at == dt.datetime(2025, 3, 5, 10, tzinfo=PARIS)

    resumed = RightsRequest.objects.get(reference="DSR-2025-00002")
    assert (resumed.status, resumed.due_on, resumed.requester_category) == (
        RequestStatus.RECEIVED,
        dt.date(2025, 7, 9),
        "employee",
    )
    assert list(resumed.pauses.values_list("reason", "asked_on", "answered_on")) == [
        ("identity", dt.date(2025, 6, 3), dt.date(2025, 6, 10))
    ]

    extended = RightsRequest.objects.get(reference="DSR-2026-00001")
    assert (extended.status, extended.due_on, extended.extended_due_on, extended.applicable_due_on) == (
        RequestStatus.EXTENDED,
        dt.date(2026, 3, 16),
        dt.date(2026, 5, 15),
        dt.date(2026, 5, 15),
    )
    assert extended.extension_reason == "Volume des données"

    paused = RightsRequest.objects.get(reference="DSR-2025-00003")
    assert (paused.status, paused.due_on, paused.applicable_due_on) == (RequestStatus.PAUSED, None, None)
    assert paused.pauses.get().answered_on is None

    # one "computed" ledger row per request, with the same explanation as the stored column
    for request in RightsRequest.objects.all():
        event = request.deadline_events.get()
        assert event.kind == DeadlineEventKind.COMPUTED
        assert (event.due_on, event.explanation) == (request.due_on, request.deadline_explanation)
        assert "import rights_requests run" in event.reason
        assert request.history.get().history_change_reason.startswith("import rights_requests run")


def test_the_import_computes_the_same_columns_as_the_services(tmp_path):
    run_import_command("rights_requests", write(tmp_path, FRENCH_TRACKER))
    imported = RightsRequest.objects.get(reference="DSR-2025-00001")
    made = rights_request_create(
        actor=None, received_at=dt.datetime(2025, 3, 5, 10, tzinfo=PARIS), right=Right.ACCESS, reference="SERVICE-1"
    )
    assert (made.due_on, made.applicable_due_on, made.deadline_explanation) == (
        imported.due_on,
        imported.applicable_due_on,
        imported.deadline_explanation,
    )


def test_reimporting_the_same_file_changes_nothing(tmp_path):
    path = write(tmp_path, FRENCH_TRACKER)
    run_import_command("rights_requests", path)
    counts = (RightsRequest.history.count(), RightsRequestPause.history.count(), DeadlineEvent.objects.count())
    result = run_import_command("rights_requests", path)
    assert result.exit_code == 0
    assert "created 0, updated 0, unchanged 4" in result.stdout
    assert (RightsRequest.history.count(), RightsRequestPause.history.count(), DeadlineEvent.objects.count()) == counts


def test_a_corrected_identity_date_moves_the_deadline_with_a_ledger_row_and_history(tmp_path):
    run_import_command("rights_requests", write(tmp_path, FRENCH_TRACKER))
    corrected = FRENCH_TRACKER.replace("03/06/2025;10/06/2025", "03/06/2025;12/06/2025")
    result = run_import_command("rights_requests", write(tmp_path, corrected))
    assert "created 0, updated 1, unchanged 3" in result.stdout
    request = RightsRequest.objects.get(reference="DSR-2025-00002")
    assert request.due_on == dt.date(2025, 7, 11)
    assert request.deadline_events.last().kind == DeadlineEventKind.RECOMPUTED
    assert request.pauses.get().history.count() == 2


def test_identity_received_later_resumes_an_imported_pause(tmp_path):
    run_import_command("rights_requests", write(tmp_path, FRENCH_TRACKER))
    resumed = FRENCH_TRACKER.replace("03/06/2025;;;;;", "03/06/2025;16/06/2025;;;;")
    run_import_command("rights_requests", write(tmp_path, resumed))
    request = RightsRequest.objects.get(reference="DSR-2025-00003")
    assert (request.status, request.due_on) == (RequestStatus.RECEIVED, dt.date(2025, 7, 15))
    assert list(request.deadline_events.values_list("kind", flat=True)) == ["computed", "recomputed"]


def test_contradictions_are_rejected_with_their_reason(tmp_path):
    text = (
        "reference,received_at,right,identity_requested_at,identity_received_at,extension_notified_at,"
        "extension_reason,answered_at,outcome\n"
        "R1,2025-03-05,access,,,,,2025-03-01,granted\n"
        "R2,2025-03-05,access,2025-03-10,2025-03-08,,,,\n"
        "R3,2025-03-05,access,,,2025-04-08,complex,,\n"
        "R4,2025-03-05,access,,,2025-03-10,,,\n"
        "R5,2025-03-05,access,,,,,,granted\n"
        "R6,2025-03-05,access,,,,,2025-03-10,\n"
        "R7,2025-03-05,teleport,,,,,,\n"
        "R8,2025-03-05,access,,2025-03-08,,,,\n"
        "R9,2025-03-05,access,2025-03-06,,,,2025-03-20,granted\n"
        "R10,2025-03-05,access,2025-04-10,2025-04-12,,,,\n"
        "R11,2027-01-05,access,,,,,,\n"
        "R12,2025-03-05,access,,,,complex,,\n"
        "OK1,2025-03-05,access,,,,,,\n"
    )
    result = run_import_command("rights_requests", write(tmp_path, text, encoding="utf-8"))
    assert result.exit_code == 1
    assert "created 1" in result.stdout and "rejected 12" in result.stdout
    reasons = rejects(tmp_path)
    assert "answered_at: This date is before the receipt of the request (05/03/2025 00:00)." in reasons["R1"]
    assert (
        "identity_received_at: The information cannot be received (08/03/2025) before it was asked for (10/03/2025)."
        in reasons["R2"]
    )
    assert (
        "extension_notified_at: The requester was told on 08/04/2025, after the first deadline (07/04/2025)"
        in reasons["R3"]
    )
    assert "extension_reason: The reasons for the extension are required" in reasons["R4"]
    assert "answered_at: an outcome needs an answer date" in reasons["R5"]
    assert "outcome: an answer date needs an outcome" in reasons["R6"]
    assert "right: 'teleport' is not one of" in reasons["R7"]
    assert "never asked for" in reasons["R8"]
    assert "identity check was still pending" in reasons["R9"]
    assert (
        "identity_requested_at: The deadline (07/04/2025) had already passed: it cannot be suspended." in reasons["R10"]
    )
    assert "received_at: This date is in the future." in reasons["R11"]
    assert "not the date the requester was told" in reasons["R12"]
    assert list(RightsRequest.objects.values_list("reference", flat=True)) == ["OK1"]
    assert not RightsRequestPause.objects.exists()
    assert DeadlineEvent.objects.count() == 1


def test_a_withdrawal_while_the_identity_was_awaited_ends_the_pause(tmp_path):
    text = (
        "reference;received_at;right;identity_requested_at;identity_received_at;answered_at;outcome\n"
        "W1;2025-06-02;access;2025-06-03;;2025-06-20;retirée\n"
    )
    path = write(tmp_path, text)
    assert run_import_command("rights_requests", path).exit_code == 0
    request = RightsRequest.objects.get()
    assert (request.status, request.outcome, request.due_on) == (
        RequestStatus.WITHDRAWN,
        Outcome.WITHDRAWN,
        dt.date(2025, 7, 21),
    )  # 02/07 + 17 days = Sat 19/07 → Mon
    assert request.pauses.get().answered_on == dt.date(2025, 6, 20)
    assert "unchanged 1" in run_import_command("rights_requests", path).stdout


def test_a_status_moved_on_in_vigie_is_kept_and_absent_columns_leave_the_answer_alone(tmp_path):
    started = rights_request_create(
        actor=None, received_at=dt.datetime(2025, 6, 2, 9, tzinfo=PARIS), right=Right.ACCESS, reference="S1"
    )
    rights_request_start(request=started, actor=None)
    answered = rights_request_create(
        actor=None, received_at=dt.datetime(2025, 6, 2, 9, tzinfo=PARIS), right=Right.ACCESS, reference="S2"
    )
    rights_request_answer(
        request=answered,
        actor=None,
        answered_at=dt.datetime(2025, 6, 20, 9, tzinfo=PARIS),
        outcome=Outcome.GRANTED,
        channel="email",
    )
    text = "reference;received_at;right\nS1;02/06/2025 09:00;access\nS2;02/06/2025 09:00;access\n"
    result = run_import_command("rights_requests", write(tmp_path, text))
    assert "unchanged 2" in result.stdout, result.stdout
    assert dict(RightsRequest.objects.values_list("reference", "status")) == {
        "S1": RequestStatus.IN_PROGRESS,
        "S2": RequestStatus.ANSWERED,
    }


def test_an_xlsx_with_typed_date_cells(tmp_path):
    path = tmp_path / "suivi.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(
        [
            "Référence",
            "Date de réception",
            "Droit",
            "Canal",
            "Date de réponse",
            "Résultat",
            "Date notification prolongation",
            "Motif de la prolongation",
        ]
    )
    sheet.append(
        [
            "X-1",
            dt.datetime(2025, 3, 5, 10, 0),
            "Droit d'accès",
            "Formulaire",
            dt.date(2025, 3, 18),
            "Partiellement accordée",
            None,
            None,
        ]
    )
    sheet.append(
        ["X-2", dt.date(2026, 2, 14), "portability", "web_form", None, None, dt.datetime(2026, 2, 27, 16, 0), "Volume"]
    )
    workbook.save(path)
    result = run_import_command("rights_requests", path)
    assert result.exit_code == 0, result.stdout
    first = RightsRequest.objects.get(reference="X-1")
    assert (first.received_at, first.channel, first.outcome, first.status, first.due_on) == (
        dt.datetime(2025, 3, 5, 10, tzinfo=PARIS),
        "web_form",
        Outcome.PARTIALLY_GRANTED,
        RequestStatus.ANSWERED,
        dt.date(2025, 4, 7),
    )
    assert RightsRequest.objects.get(reference="X-2").extended_due_on == dt.date(2026, 5, 15)
    assert "unchanged 2" in run_import_command("rights_requests", path).stdout


def test_a_dry_run_writes_neither_requests_nor_pauses_nor_events(tmp_path):
    result = run_import_command("rights_requests", write(tmp_path, FRENCH_TRACKER), "--dry-run")
    assert result.exit_code == 0 and "created 4" in result.stdout
    assert not RightsRequest.objects.exists() and not RightsRequestPause.objects.exists()
    assert not DeadlineEvent.objects.exists()


def test_a_file_without_the_required_columns_is_refused_whole(tmp_path):
    result = run_import_command("rights_requests", write(tmp_path, "Référence;Droit\nA;access\n"))
    assert result.exit_code == 2
    assert "missing required column(s): received_at" in result.stderr


# --- the engine's after_write hook, on a throwaway importer -------------------------------------------------


class _RecordingImporter(Importer):
    kind = "test_after_write"
    model = Department
    natural_key = ("name",)
    columns = (Column("name", Text(120), required=True),)
    calls: list[dict[str, Any]] = []

    def build(self, row):
        return {"name": row["name"]}

    def after_write(self, *, created, updated, unchanged):
        type(self).calls.append(
            {
                "created": [(row.line, obj.pk is not None, obj.name) for row, obj in created],
                "updated": [(row.line, old["name"]) for row, old in updated],
                "unchanged": [row.line for row in unchanged],
            }
        )


def test_after_write_gets_created_rows_with_ids_and_unchanged_rows(tmp_path):
    Department.objects.create(name="Audit")
    path = write(tmp_path, "name\nAudit\nJuridique\n", name="departments.csv", encoding="utf-8")
    _RecordingImporter.calls = []
    report = run_import(_RecordingImporter, path)
    assert (report.run.created, report.run.unchanged) == (1, 1)
    assert _RecordingImporter.calls == [{"created": [(3, True, "Juridique")], "updated": [], "unchanged": [2]}]


def test_the_dpo_uploads_the_tracker_through_the_api_and_an_auditor_cannot(roles):
    from django.core.files.uploadedfile import SimpleUploadedFile

    content = FRENCH_TRACKER.encode("cp1252")
    auditor, dpo = api_client("Auditor"), api_client("DPO")
    upload = SimpleUploadedFile("suivi.csv", content, content_type="text/csv")
    assert auditor.post("/api/imports/rights_requests/", {"file": upload}, format="multipart").status_code == 403
    upload = SimpleUploadedFile("suivi.csv", content, content_type="text/csv")
    response = dpo.post("/api/imports/rights_requests/", {"file": upload}, format="multipart")
    assert response.status_code == 201, response.json()
    assert (response.json()["created"], response.json()["rejected"]) == (4, 0)


def test_a_refusal_needs_its_ground_and_the_notice_of_the_right_to_complain(tmp_path):
    text = (
        "reference;received_at;right;answered_at;outcome;refusal_ground;complaint_right_notified\n"
        "R-1;02/02/2026;access;10/02/2026;refused;;\n"
        "R-2;02/02/2026;access;10/02/2026;unfounded;manifestly_unfounded;oui\n"
        "R-3;02/02/2026;access;10/02/2026;granted;excessive;\n"
    )
    result = run_import_command("rights_requests", write(tmp_path, text, encoding="utf-8"))
    assert result.exit_code == 1
    reasons = rejects(tmp_path)
    assert set(reasons) == {"R-1", "R-3"}
    assert (
        "refusal_ground: A refusal needs its ground: manifestly unfounded or excessive (Art. 12(5))." in reasons["R-1"]
    )
    assert (
        "complaint_right_notified: A refusal must tell the requester of the right to complain to the CNIL "
        "(Art. 12(4)): confirm it did."
    ) in reasons["R-1"]
    assert "refusal_ground: a refusal ground goes with the outcome refused or unfounded" in reasons["R-3"]
    refused = RightsRequest.objects.get(reference="R-2")
    assert (refused.status, refused.refusal_ground, refused.complaint_right_notified) == (
        RequestStatus.REFUSED,
        "manifestly_unfounded",
        True,
    )


def test_events_that_have_not_happened_yet_or_an_extension_after_the_answer_are_rejected(tmp_path):
    text = (
        "reference;received_at;right;identity_requested_at;identity_received_at;extension_notified_at;"
        "extension_reason;answered_at;outcome\n"
        "F-1;02/02/2026;access;;;10/03/2026;complex;;\n"
        "F-2;02/02/2026;access;03/02/2026;01/04/2026;;;;\n"
        "F-3;02/02/2025;access;;;20/03/2025;complex;10/03/2025;granted\n"
    )
    result = run_import_command("rights_requests", write(tmp_path, text, encoding="utf-8"))
    assert result.exit_code == 1
    reasons = rejects(tmp_path)
    assert set(reasons) == {"F-1", "F-2", "F-3"}
    assert "future" in reasons["F-1"] and "future" in reasons["F-2"]
    assert "after the answer" in reasons["F-3"]
    assert not RightsRequest.objects.exists()
