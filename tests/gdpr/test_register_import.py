"""`import_processing_activities`: a DPO's Excel register (French headers), CSV or XLSX, idempotent."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from core.imports.testing import read_rejects, run_import_command
from gdpr.choices import ProcessingRole
from gdpr.exports.register import register_on, register_xlsx
from gdpr.models import ProcessingActivity
from tests.clients import api_client
from tests.gdpr.factories import ProcessingActivityFactory

PARIS = ZoneInfo("Europe/Paris")
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("english_messages", "isolated_media"),
    pytest.mark.time_machine(dt.datetime(2025, 3, 5, 10, 0, tzinfo=PARIS), tick=False),
]
TODAY = dt.date(2025, 3, 5)

FRENCH_HEADER = (
    "Référence;Nom du traitement;Rôle;Finalités;Base légale;Catégories de personnes;"
    "Catégories de données;Destinataires;Transferts hors UE;Durée de conservation;Mesures de sécurité;"
    "Date de dernière mise à jour"
)


def write(tmp_path: Path, text: str, name: str = "registre.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def rejects(tmp_path: Path, name: str = "registre") -> list[list[str]]:
    return read_rejects(tmp_path / f"{name}.rejects.csv")[1:]


def test_a_french_excel_register_in_windows_1252_with_semicolons(tmp_path):
    path = write(
        tmp_path,
        FRENCH_HEADER + "\n"
        "T-001;Gestion de la paie;Responsable de traitement;Verser les salaires;Obligation légale;Salariés;"
        "Identité, RIB;Organismes sociaux;Non;5 ans après le départ;Habilitations;15/01/2024\n"
        "T-002;Hébergement pour les filiales;Sous-traitant;Hébergement;Contrat;Clients;Toutes;Aucun;oui;"
        "Durée du contrat;Chiffrement;2024-06-30\n",
        encoding="cp1252",
    )
    result = run_import_command("processing_activities", path)
    assert result.exit_code == 0, result.stdout
    assert "read 2, created 2" in result.stdout
    payroll = ProcessingActivity.objects.get(reference="T-001")
    assert (payroll.name, payroll.role, payroll.purposes, payroll.legal_basis) == (
        "Gestion de la paie",
        ProcessingRole.CONTROLLER,
        "Verser les salaires",
        "Obligation légale",
    )
    assert (payroll.data_subject_categories, payroll.data_categories, payroll.recipients) == (
        "Salariés",
        "Identité, RIB",
        "Organismes sociaux",
    )
    assert (payroll.transfers_outside_eu, payroll.retention, payroll.security_measures) == (
        False,
        "5 ans après le départ",
        "Habilitations",
    )
    assert (payroll.last_reviewed_on, payroll.registered_on) == (dt.date(2024, 1, 15), TODAY)
    hosting = ProcessingActivity.objects.get(reference="T-002")
    assert (hosting.role, hosting.transfers_outside_eu, hosting.last_reviewed_on) == (
        ProcessingRole.PROCESSOR,
        True,
        dt.date(2024, 6, 30),
    )
    assert payroll.history.get().history_change_reason.startswith("import processing_activities run ")


def test_an_xlsx_register_with_typed_cells_and_the_optional_columns(tmp_path):
    path = tmp_path / "registre.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(
        [
            "Réf",
            "Nom / sigle",
            "Qualité",
            "Données sensibles",
            "Date de création de la fiche",
            "Date de retrait",
            "Responsables de traitement servis",
            "AIPD requise",
            "AIPD réalisée le",
        ]
    )
    sheet.append(["T-001", "Recrutement", "RT", "oui", dt.datetime(2019, 5, 2), None, None, "x", dt.date(2020, 1, 10)])
    sheet.append(["T-002", "Paie groupe", "ST", False, "02/05/2019", "31/12/2024", "Filiale A", None, None])
    workbook.save(path)
    result = run_import_command("processing_activities", path)
    assert result.exit_code == 0, result.stdout
    hiring = ProcessingActivity.objects.get(reference="T-001")
    assert (hiring.role, hiring.sensitive_data, hiring.registered_on, hiring.dpia_required, hiring.dpia_done_on) == (
        ProcessingRole.CONTROLLER,
        True,
        dt.date(2019, 5, 2),
        True,
        dt.date(2020, 1, 10),
    )
    payroll = ProcessingActivity.objects.get(reference="T-002")
    assert (payroll.role, payroll.retired_on, payroll.controllers_served) == (
        ProcessingRole.PROCESSOR,
        dt.date(2024, 12, 31),
        "Filiale A",
    )


@pytest.mark.parametrize(
    ("cell", "role"),
    [
        ("Responsable de traitement", "controller"),
        ("responsable du traitement", "controller"),
        ("RESPONSABLE CONJOINT", "controller"),
        ("controller", "controller"),
        ("Sous-traitant", "processor"),
        ("sous traitant", "processor"),
        ("processor", "processor"),
        ("ST", "processor"),
    ],
)
def test_roles_as_a_french_register_writes_them(tmp_path, cell, role):
    path = write(tmp_path, f"reference;name;role\nT-1;Paie;{cell}\n")
    assert run_import_command("processing_activities", path).exit_code == 0
    assert ProcessingActivity.objects.get().role == role


def test_an_unknown_role_is_rejected_with_the_accepted_values(tmp_path):
    path = write(tmp_path, "Référence;Nom du traitement;Rôle\nT-1;Paie;Prestataire\nT-2;Badge;Sous-traitant\n")
    result = run_import_command("processing_activities", path)
    assert result.exit_code == 1
    assert rejects(tmp_path) == [
        ["2", "role: 'Prestataire' is not one of controller, processor", "T-1", "Paie", "Prestataire"]
    ]
    assert list(ProcessingActivity.objects.values_list("reference", flat=True)) == ["T-2"]


def test_a_missing_required_column_refuses_the_file(tmp_path):
    path = write(tmp_path, "Référence;Nom du traitement\nT-1;Paie\n")
    result = run_import_command("processing_activities", path)
    assert result.exit_code == 2
    assert "missing required column(s): role" in result.stderr


@pytest.mark.parametrize(
    ("columns", "values", "reason"),
    [
        (
            "registered_on;retired_on",
            "2024-05-02;2024-05-01",
            "retired_on: An activity cannot be retired before it entered the register (02/05/2024).",
        ),
        ("dpia_done_on", "2025-03-06", "dpia_done_on: A DPIA cannot be done in the future."),
        ("last_reviewed_on", "06/03/2025", "last_reviewed_on: A review cannot be dated in the future."),
        ("registered_on", "2025-04-01", "registered_on: An activity cannot enter the register in the future."),
        (
            "transfers_outside_eu",
            "peut-être",
            "transfers_outside_eu: 'peut-être' is not a yes/no value (expected 1/0, oui/non, true/false, yes/no, vrai/faux, x)",
        ),
        ("last_reviewed_on", "31/02/2024", "last_reviewed_on: '31/02/2024' is not a valid date (no such day)"),
    ],
)
def test_contradictory_or_unreadable_rows_are_rejected_with_their_reason(tmp_path, columns, values, reason):
    path = write(tmp_path, f"reference;name;role;{columns}\nT-1;Paie;controller;{values}\n")
    assert run_import_command("processing_activities", path).exit_code == 1
    assert rejects(tmp_path)[0][:2] == ["2", reason]
    assert not ProcessingActivity.objects.exists()


def test_a_retirement_date_is_checked_against_the_stored_entry_date(tmp_path):
    ProcessingActivityFactory(reference="T-1", registered_on=dt.date(2023, 6, 1))
    path = write(tmp_path, "reference;name;role;Date de retrait\nT-1;Paie;controller;31/05/2023\n")
    assert run_import_command("processing_activities", path).exit_code == 1
    assert rejects(tmp_path)[0][1] == (
        'retired_on ("Date de retrait"): An activity cannot be retired before it entered the register (01/06/2023).'
    )


def test_an_incomplete_processor_record_is_accepted_its_gaps_are_for_the_form(tmp_path):
    path = write(tmp_path, "reference;name;role;transfers_outside_eu\nT-1;Hébergement;processor;oui\n")
    assert run_import_command("processing_activities", path).exit_code == 0
    assert ProcessingActivity.objects.get().controllers_served == ""


def test_a_reference_twice_in_the_file_rejects_the_later_row(tmp_path):
    path = write(tmp_path, "reference;name;role\nT-1;Paie;controller\nT-1;Paie bis;controller\n")
    assert run_import_command("processing_activities", path).exit_code == 1
    assert rejects(tmp_path)[0][:2] == ["3", "duplicate reference 'T-1' already on line 2"]
    assert ProcessingActivity.objects.get().name == "Paie"


def test_importing_the_same_file_again_another_day_changes_nothing(tmp_path):
    path = write(
        tmp_path,
        FRENCH_HEADER + "\nT-001;Paie;Responsable de traitement;Salaires;Obligation légale;"
        "Salariés;Identité;URSSAF;Non;5 ans;Habilitations;15/01/2024\n",
    )
    assert run_import_command("processing_activities", path).exit_code == 0
    with time_machine.travel(dt.datetime(2025, 6, 1, 10, 0, tzinfo=PARIS), tick=False):
        result = run_import_command("processing_activities", path)
    assert result.exit_code == 0
    assert "created 0, updated 0, unchanged 1" in result.stdout
    activity = ProcessingActivity.objects.get()
    assert activity.registered_on == TODAY
    assert activity.history.count() == 1


def test_a_reimport_updates_the_changed_values_and_keeps_the_entry_date(tmp_path):
    ProcessingActivityFactory(
        reference="T-001", name="Paie", registered_on=dt.date(2018, 1, 1), retention="3 ans", sensitive_data=True
    )
    path = write(tmp_path, "Référence;Nom du traitement;Rôle;Durée de conservation\nT-001;Paie;RT;5 ans\n")
    result = run_import_command("processing_activities", path)
    assert "updated 1" in result.stdout
    activity = ProcessingActivity.objects.get()
    # Absent columns (sensitive data) are left alone; the entry date stays the stored one.
    assert (activity.retention, activity.registered_on, activity.sensitive_data) == ("5 ans", dt.date(2018, 1, 1), True)


def test_a_dry_run_writes_nothing(tmp_path):
    path = write(tmp_path, "reference;name;role\nT-1;Paie;controller\n")
    result = run_import_command("processing_activities", path, "--dry-run")
    assert result.exit_code == 0 and "created 1" in result.stdout
    assert not ProcessingActivity.objects.exists()


def test_the_xlsx_export_imports_back_unchanged(tmp_path):
    ProcessingActivityFactory(
        reference="PA-1",
        name="Paie",
        sensitive_data=True,
        transfers_outside_eu=True,
        transfer_safeguards="CCT",
        last_reviewed_on=dt.date(2024, 2, 1),
        registered_on=dt.date(2019, 1, 1),
        dpia_required=True,
        dpia_done_on=dt.date(2019, 6, 1),
    )
    ProcessingActivityFactory(
        reference="PA-2", role=ProcessingRole.PROCESSOR, controllers_served="Filiale A", retired_on=dt.date(2026, 1, 1)
    )
    path = tmp_path / "registre.xlsx"
    path.write_bytes(register_xlsx(register_on(TODAY), on=TODAY))
    result = run_import_command("processing_activities", path)
    assert result.exit_code == 0, result.stdout
    assert "created 0, updated 0, unchanged 2" in result.stdout


def test_the_dpo_can_upload_the_register_through_the_import_api(roles):
    client = api_client("DPO", language="en")
    upload = SimpleUploadedFile("registre.csv", "Référence;Nom du traitement;Rôle\nT-1;Paie;RT\n".encode(), "text/csv")
    response = client.post("/api/imports/processing_activities/", {"file": upload}, format="multipart")
    assert response.status_code == 201, response.json()
    assert (response.json()["created"], ProcessingActivity.objects.get().registered_on) == (1, TODAY)
