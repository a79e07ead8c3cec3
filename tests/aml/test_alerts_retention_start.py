"""The retention of a decided alert starts at the later of its decision and the end of its counterparty's
relationship (CMF L.561-12): not before the relationship ends, and moved when its end is recorded later."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from aml.choices import Decision
from aml.models import Alert, Counterparty
from aml.services import alerts as alert_services, counterparties as counterparty_services
from core.imports.testing import run_import_command
from core.roles import AML_OFFICER
from tests.aml.factories import AlertFactory, CounterpartyFactory
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_messages", "isolated_media")]


@pytest.fixture
def decided(roles, monkeypatch):
    monkeypatch.setattr(counterparty_services, "queue_screening", lambda: None)
    officer = UserFactory(username="officer", groups=[AML_OFFICER])
    counterparty = CounterpartyFactory(reference="C1", name="Jean Dupont")
    alert = AlertFactory(counterparty=counterparty, raised_at=timezone.now() - dt.timedelta(days=10))
    alert_services.alert_decide(
        actor=officer,
        alert=alert,
        decision=Decision.CLOSED,
        decided_on=timezone.localdate() - dt.timedelta(days=5),
        reason="ok",
    )
    alert.refresh_from_db()
    return alert


def test_while_the_relationship_lasts_the_retention_of_a_decided_alert_has_not_started(decided):
    assert decided.records_kept_from is None


def test_an_end_of_relationship_imported_after_the_decision_starts_it(decided, tmp_path):
    ended = timezone.localdate() - dt.timedelta(days=1)
    path = tmp_path / "c.csv"
    path.write_text(f"reference;kind;name;relationship_ended_on\nC1;person;Jean Dupont;{ended.isoformat()}\n")
    assert run_import_command("counterparties", path).exit_code == 0
    assert Counterparty.objects.get(reference="C1").relationship_ended_on == ended
    decided.refresh_from_db()
    assert decided.records_kept_from == ended
    assert decided.history.first().history_change_reason  # with history


def test_an_end_before_the_decision_keeps_the_decision_as_start(decided):
    counterparty = decided.counterparty
    counterparty.relationship_ended_on = timezone.localdate() - dt.timedelta(days=300)
    counterparty_services.counterparty_save(actor=None, counterparty=counterparty, reason="left")
    assert Alert.objects.get(pk=decided.pk).records_kept_from == decided.decided_on


def test_an_alert_without_counterparty_starts_at_its_decision():
    assert alert_services.alert_records_kept_from(dt.date(2025, 1, 2), None) == dt.date(2025, 1, 2)
