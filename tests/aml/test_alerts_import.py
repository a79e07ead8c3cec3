"""`import_aml_alerts`: alerts of the operational systems with French headers, their decisions, the rows
rejected with their reason, and an idempotent re-import."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from aml.choices import AlertStatus, Decision
from aml.models import Alert
from core.imports.testing import read_rejects, run_import_command
from tests.aml.factories import AlertFactory, CounterpartyFactory
from tests.factories import LegalEntityFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("english_messages", "isolated_media"),
    pytest.mark.time_machine(dt.datetime(2025, 6, 2, 10, 0, tzinfo=dt.UTC), tick=False),
]

HEADER = (
    "Référence;Date de l'alerte;Origine;Motif;Référence contrepartie;Montant;Décision;Date de décision;"
    "Date de déclaration TRACFIN;Référence TRACFIN;Entité\n"
)
GOOD = (
    "OPS-001;03/02/2025 09:30;Prêt;Remboursement anticipé en espèces;CP-1;12 500,50;;;;;SF\n"
    "OPS-002;2025-03-10;subsidy;Bénéficiaire déjà aidé ailleurs;cp-2;;Classée sans suite;20/03/2025;;;\n"
    "OPS-003;2025-04-01;Logement;Paiement par un tiers;;;Déclaration de soupçon;10/04/2025;12/04/2025;TF-9;\n"
    "OPS-004;2025-05-01;other;Montage complexe;CP-2;;Examen renforcé;05/05/2025;;;\n"
)


@pytest.fixture(autouse=True)
def reference_data():
    LegalEntityFactory(code="SF")
    CounterpartyFactory(reference="CP-1")
    CounterpartyFactory(reference="CP-2", relationship_ended_on=dt.date(2025, 3, 31))


def write(tmp_path: Path, text: str, name: str = "alerts.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def rejects(tmp_path: Path, name: str = "alerts") -> dict[str, str]:
    return {row[2]: row[1] for row in read_rejects(tmp_path / f"{name}.rejects.csv")[1:]}


def test_a_french_file_imports_alerts_at_each_stage(tmp_path, settings):
    settings.VIGIE_AML_ANALYSIS_DAYS = 30
    result = run_import_command("aml_alerts", write(tmp_path, HEADER + GOOD))
    assert result.exit_code == 0, result.stderr
    alerts = {alert.reference: alert for alert in Alert.objects.select_related("counterparty", "entity")}
    assert set(alerts) == {"OPS-001", "OPS-002", "OPS-003", "OPS-004"}
    first = alerts["OPS-001"]
    assert (first.source, first.status, first.amount_eur) == ("loan", AlertStatus.OPEN, Decimal("12500.50"))
    assert first.counterparty.reference == "CP-1" and first.entity.code == "SF"
    assert first.analysis_due_on == dt.date(2025, 3, 5)
    closed = alerts["OPS-002"]
    assert (closed.status, closed.decision, closed.decided_on) == (
        AlertStatus.DECIDED,
        Decision.CLOSED,
        dt.date(2025, 3, 20),
    )
    assert closed.records_kept_from == dt.date(2025, 3, 31)  # the relationship ended later
    reported = alerts["OPS-003"]
    assert (reported.decision, reported.tracfin_reported_on, reported.tracfin_reference) == (
        Decision.TRACFIN_REPORT,
        dt.date(2025, 4, 12),
        "TF-9",
    )
    assert reported.records_kept_from == dt.date(2025, 4, 10)
    assert alerts["OPS-004"].decision == Decision.ENHANCED_EXAMINATION
    assert first.history.count() == 1
    # The same file again changes nothing, and writes no history.
    assert run_import_command("aml_alerts", write(tmp_path, HEADER + GOOD)).exit_code == 0
    assert Alert.history.count() == 4


def test_bad_rows_are_rejected_with_their_reason(tmp_path):
    rows = (
        "BAD-1;2025-05-01;loan;r;;;closed;;;;\n"
        "BAD-2;2025-05-01;loan;r;;;tracfin_report;10/05/2025;;;\n"
        "BAD-3;2025-05-01;loan;r;;;closed;10/05/2025;12/05/2025;TF-1;\n"
        "BAD-4;2025-05-01;loan;r;CP-404;;;;;;\n"
        "BAD-5;2025-05-01;loan;r;;;;;;;XX\n"
        "BAD-6;2025-05-01;loan;r;;-10;;;;;\n"
        "BAD-7;2025-05-01;casino;r;;;;;;;\n"
        "OK-1;2025-05-01;loan;r;;;;;;;\n"
    )
    result = run_import_command("aml_alerts", write(tmp_path, HEADER + rows))
    assert result.exit_code == 1
    assert list(Alert.objects.values_list("reference", flat=True)) == ["OK-1"]
    reasons = rejects(tmp_path)
    assert set(reasons) == {"BAD-1", "BAD-2", "BAD-3", "BAD-4", "BAD-5", "BAD-6", "BAD-7"}
    assert "decision needs its date" in reasons["BAD-1"]
    assert "needs the date the report was sent to TRACFIN" in reasons["BAD-2"]
    assert "only given with the decision to report" in reasons["BAD-3"]
    assert "unknown counterparty 'CP-404'" in reasons["BAD-4"]
    assert "unknown entity 'XX'" in reasons["BAD-5"]
    assert "is less than 0" in reasons["BAD-6"] or "cannot be negative" in reasons["BAD-6"]
    assert "is not one of" in reasons["BAD-7"]


def test_a_file_cannot_undo_a_decision_but_may_give_an_examination_its_outcome(tmp_path):
    AlertFactory(
        reference="OPS-9",
        raised_at=dt.datetime(2025, 5, 1, 8, tzinfo=dt.UTC),
        status=AlertStatus.DECIDED,
        decision=Decision.CLOSED,
        decided_on=dt.date(2025, 5, 2),
    )
    AlertFactory(
        reference="OPS-10",
        raised_at=dt.datetime(2025, 5, 1, 8, tzinfo=dt.UTC),
        status=AlertStatus.DECIDED,
        decision=Decision.ENHANCED_EXAMINATION,
        decided_on=dt.date(2025, 5, 2),
    )
    rows = "OPS-9;2025-05-01 10:00;loan;r;;;;;;;\nOPS-10;2025-05-01 10:00;loan;r;;;Classée;20/05/2025;;;\n"
    result = run_import_command("aml_alerts", write(tmp_path, HEADER + rows))
    assert result.exit_code == 1
    assert "cannot undo or overturn" in rejects(tmp_path)["OPS-9"]
    assert Alert.objects.get(reference="OPS-9").decision == Decision.CLOSED
    outcome = Alert.objects.get(reference="OPS-10")
    assert (outcome.decision, outcome.decided_on) == (Decision.CLOSED, dt.date(2025, 5, 20))


def test_an_analysed_alert_keeps_its_status_when_imported_again(tmp_path):
    AlertFactory(reference="OPS-1", raised_at=dt.datetime(2025, 5, 1, 8, tzinfo=dt.UTC), status=AlertStatus.ANALYSING)
    assert (
        run_import_command("aml_alerts", write(tmp_path, HEADER + "OPS-1;2025-05-01;loan;new;;;;;;;\n")).exit_code == 0
    )
    alert = Alert.objects.get(reference="OPS-1")
    assert (alert.status, alert.reason) == (AlertStatus.ANALYSING, "new")
