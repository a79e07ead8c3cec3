"""`import_breaches`: a DPO's breach register, French headers, CSV and XLSX, the 72-hour rule on each row."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from core.imports.testing import read_rejects, run_import_command
from gdpr.choices import RiskLevel
from gdpr.deadlines import breach_notification_deadline
from gdpr.models import Breach, BreachNotification
from tests.gdpr.factories import BreachFactory

PARIS = ZoneInfo("Europe/Paris")
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("english_messages", "isolated_media"),
    pytest.mark.time_machine(dt.datetime(2025, 11, 3, 12, 0, tzinfo=PARIS), tick=False),
]

FRENCH_REGISTER = (
    "Référence;Date de prise de connaissance;Description;Notification requise;Date de notification;Risque élevé;"
    "Personnes informées le;Nombre de personnes;Justification de la décision\n"
    "VD-01;28/03/2025 10:00;Courriel mal adressé;oui;30/03/2025 09:30;non;;12;\n"
    "VD-02;24/10/2025 10:00;Ordinateur volé, chiffré;non;;non;;300;Disque chiffré AES-256, clé non compromise\n"
    "VD-03;02/11/2025 08:00;Rançongiciel;;;oui;;5000;\n"
    "VD-04;2025-01-06T14:00:00+01:00;Fuite de RIB;oui;2025-01-08 09:00;oui;08/01/2025 17:00;40;\n"
)


def paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=PARIS)


def write(tmp_path: Path, text: str, name: str = "breaches.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def rejects(tmp_path: Path, name: str = "breaches") -> list[list[str]]:
    return [row[:2] for row in read_rejects(tmp_path / f"{name}.rejects.csv")[1:]]


def test_a_french_register_in_windows_1252_with_semicolons(tmp_path):
    result = run_import_command("breaches", write(tmp_path, FRENCH_REGISTER, encoding="cp1252"))
    assert result.exit_code == 0, result.stdout
    assert "read 4, created 4" in result.stdout
    mail = Breach.objects.get(reference="VD-01")
    assert (mail.aware_at, mail.notified_at, mail.notification_required) == (
        paris(2025, 3, 28, 10, 0),
        paris(2025, 3, 30, 9, 30),
        True,
    )
    assert (mail.description, mail.subjects_count, mail.high_risk, mail.notified_within_72h) == (
        "Courriel mal adressé",
        12,
        False,
        True,
    )
    laptop = Breach.objects.get(reference="VD-02")
    assert (laptop.notification_required, laptop.notified_at) == (False, None)
    assert laptop.decision_reasoning == "Disque chiffré AES-256, clé non compromise"
    ransomware = Breach.objects.get(reference="VD-03")
    assert (ransomware.notification_required, ransomware.high_risk, ransomware.risk_level) == (
        None,
        True,
        RiskLevel.HIGH,
    )
    rib = Breach.objects.get(reference="VD-04")
    assert rib.subjects_informed_at == paris(2025, 1, 8, 17, 0)


def test_the_computed_deadline_is_the_services_one_across_daylight_saving(tmp_path):
    run_import_command("breaches", write(tmp_path, FRENCH_REGISTER))
    due = dict(Breach.objects.values_list("reference", "notification_due_at"))
    assert due["VD-01"] == dt.datetime.fromisoformat("2025-03-31T11:00+02:00")
    assert due["VD-02"] == dt.datetime.fromisoformat("2025-10-27T09:00+01:00")
    for breach in Breach.objects.all():
        assert breach.notification_due_at == breach_notification_deadline(breach.aware_at)


def test_a_notified_breach_gets_its_initial_notification_record_once(tmp_path):
    path = write(tmp_path, FRENCH_REGISTER)
    run_import_command("breaches", path)
    initial = BreachNotification.objects.select_related("breach").order_by("breach__reference")
    assert [(n.breach.reference, n.phase, n.sent_at) for n in initial] == [
        ("VD-01", "initial", paris(2025, 3, 30, 9, 30)),
        ("VD-04", "initial", paris(2025, 1, 8, 9, 0)),
    ]
    run_import_command("breaches", path)
    assert BreachNotification.objects.count() == 2


def test_importing_the_same_file_twice_changes_nothing(tmp_path):
    path = write(tmp_path, FRENCH_REGISTER)
    assert run_import_command("breaches", path).exit_code == 0
    history = (Breach.history.count(), BreachNotification.history.count())
    result = run_import_command("breaches", path)
    assert result.exit_code == 0
    assert "created 0, updated 0, unchanged 4" in result.stdout
    assert (Breach.history.count(), BreachNotification.history.count()) == history


def test_an_xlsx_register_with_datetime_cells_in_paris_time(tmp_path):
    path = tmp_path / "breaches.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.append(["Référence", "Date de prise de connaissance", "Date de notification", "Motifs du retard"])
    workbook.active.append(
        ["VD-10", dt.datetime(2025, 3, 28, 10, 0), dt.datetime(2025, 4, 1, 10, 0), "Enquête interne"]
    )
    workbook.save(path)
    assert run_import_command("breaches", path).exit_code == 0
    breach = Breach.objects.get()
    assert (breach.aware_at, breach.notified_at, breach.delay_reasons) == (
        paris(2025, 3, 28, 10, 0),
        paris(2025, 4, 1, 10, 0),
        "Enquête interne",
    )
    assert breach.notified_within_72h is False


def test_a_late_notification_without_delay_reasons_is_rejected(tmp_path):
    path = write(
        tmp_path,
        (
            "reference;aware_at;notified_at;delay_reasons\n"
            "LATE;28/03/2025 10:00;01/04/2025 10:00;\n"
            "LATE-OK;28/03/2025 10:00;01/04/2025 10:00;Investigation over the weekend\n"
        ),
    )
    assert run_import_command("breaches", path).exit_code == 1
    assert rejects(tmp_path) == [
        [
            "2",
            "delay_reasons: Notified 95 h after awareness, past the deadline of 31/03/2025 11:00: the reasons for "
            "the delay are required (Art. 33(1)).",
        ]
    ]
    assert list(Breach.objects.values_list("reference", flat=True)) == ["LATE-OK"]


def test_a_late_notification_in_a_file_without_a_delay_reasons_column_keeps_the_stored_reasons(tmp_path):
    BreachFactory(reference="LATE", aware_at=paris(2025, 3, 28, 10, 0), delay_reasons="Forensics")
    path = write(tmp_path, "reference;aware_at;notified_at\nLATE;28/03/2025 10:00;01/04/2025 10:00\n")
    assert run_import_command("breaches", path).exit_code == 0
    assert Breach.objects.get().notified_at == paris(2025, 4, 1, 10, 0)


def test_contradictions_are_rejected_with_their_reason(tmp_path):
    path = write(
        tmp_path,
        (
            "reference;aware_at;notification_required;decision_reasoning;notified_at;subjects_informed_at;"
            "risk_level;high_risk;subjects_count\n"
            "OK;28/03/2025 10:00;oui;;29/03/2025 10:00;;high;oui;3\n"
            "NOTIFIED-BEFORE;28/03/2025 10:00;oui;;27/03/2025 10:00;;;;\n"
            "INFORMED-BEFORE;28/03/2025 10:00;;;;27/03/2025 10:00;;;\n"
            "NO-REASONING;28/03/2025 10:00;non;;;;none;non;\n"
            "NO-BUT-NOTIFIED;28/03/2025 10:00;non;Chiffré;29/03/2025 10:00;;;;\n"
            "RISK-DISAGREES;28/03/2025 10:00;;;;;risk;oui;\n"
            "FUTURE;04/11/2025 10:00;;;;;;;\n"
            "BAD-COUNT;28/03/2025 10:00;;;;;;;-4\n"
        ),
    )
    assert run_import_command("breaches", path).exit_code == 1
    assert rejects(tmp_path) == [
        ["3", "notified_at: The notification (27/03/2025 10:00) cannot be dated before awareness (28/03/2025 10:00)."],
        [
            "4",
            "subjects_informed_at: The data subjects cannot have been informed (27/03/2025 10:00) before awareness "
            "(28/03/2025 10:00).",
        ],
        ["5", "decision_reasoning: Deciding not to notify needs its reasoning (Art. 33(5))."],
        [
            "6",
            "notification_required: The CNIL was notified on 29/03/2025 10:00: the decision cannot be not to notify.",
        ],
        ["7", "high_risk: A high risk to people (Art. 34) goes with the risk level 'high'."],
        ["8", "aware_at: 04/11/2025 10:00 is in the future."],
        ["9", "subjects_count: '-4' is less than 0"],
    ]
    assert list(Breach.objects.values_list("reference", flat=True)) == ["OK"]


def test_a_decision_not_to_notify_a_breach_assessed_as_a_risk_is_rejected_as_breach_decide_does(tmp_path):
    """Issue 15, item 3: the import accepted "no notification" for a breach it assessed as a risk, which
    breach_decide refuses (Art. 33(1)); a breach unlikely to result in a risk may still go unnotified."""
    path = write(
        tmp_path,
        (
            "reference;aware_at;notification_required;decision_reasoning;risk_level\n"
            "RISKY;28/03/2025 10:00;non;Chiffré;risk\n"
            "NONE;28/03/2025 10:00;non;Chiffré;none\n"
        ),
    )
    assert run_import_command("breaches", path).exit_code == 1
    assert rejects(tmp_path) == [
        [
            "2",
            "notification_required: The breach is assessed as 'Risk': only a breach unlikely to result in a risk "
            "may go unnotified (Art. 33(1)).",
        ]
    ]
    assert list(Breach.objects.values_list("reference", "notification_required")) == [("NONE", False)]


def test_an_import_cannot_remove_a_recorded_notification(tmp_path):
    BreachFactory(
        reference="VD-01",
        aware_at=paris(2025, 3, 28, 10, 0),
        notified_at=paris(2025, 3, 29, 10, 0),
        notification_required=True,
    )
    path = write(tmp_path, "reference;aware_at;notified_at\nVD-01;28/03/2025 10:00;\n")
    assert run_import_command("breaches", path).exit_code == 1
    assert rejects(tmp_path) == [
        ["2", "notified_at: the breach was notified on 29/03/2025 10:00: an import cannot remove a notification"]
    ]


def test_a_file_without_aware_at_is_refused_whole(tmp_path):
    result = run_import_command("breaches", write(tmp_path, "Référence;Description\nVD-1;x\n"))
    assert result.exit_code == 2
    assert "missing required column(s): aware_at" in result.stderr


def test_strict_mode_writes_nothing_when_a_row_is_rejected(tmp_path):
    path = write(
        tmp_path,
        "reference;aware_at;notified_at\nOK;28/03/2025 10:00;29/03/2025 10:00\n"
        "LATE;28/03/2025 10:00;02/04/2025 10:00\n",
    )
    assert run_import_command("breaches", path, "--strict").exit_code == 1
    assert not Breach.objects.exists() and not BreachNotification.objects.exists()


def test_a_number_too_large_for_the_database_rejects_its_row_only(tmp_path):
    text = "reference;aware_at;subjects_count\nB-OK;01/03/2025 10:00;5\nB-HUGE;01/03/2025 10:00;99999999999999999999\n"
    result = run_import_command("breaches", write(tmp_path, text))
    assert result.exit_code == 1
    assert list(Breach.objects.values_list("reference", flat=True)) == ["B-OK"]
    assert [line for line, _reason in rejects(tmp_path)] == ["3"]
