"""A list import and a counterparty import queue their screening (aml/tasks.py) once committed: run eagerly
here, the screening runs and raises the hit; a broker that cannot be reached loses nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import override_settings

from aml.choices import ScreeningTrigger
from aml.models import Counterparty, Hit, ListEntry, ScreeningRun
from aml.services import counterparties as services
from core.imports.testing import run_import_command

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_messages", "isolated_media")]

LIST = "list;list_id;kind;name;aliases\nFR-GELS;G1;person;Ivan Testovich Petrov;Iwan Petrow\n"
PEOPLE = "reference;kind;name\nCP-1;person;Petrov Ivan Testovitch\nCP-2;person;Marie Unrelated\n"


def write(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


@override_settings(CELERY_TASK_ALWAYS_EAGER=True)
def test_importing_a_list_then_counterparties_screens_each_time(tmp_path, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run_import_command("counterparties", write(tmp_path, "cp.csv", PEOPLE))
    # No list yet: the run screened nobody against nothing, and raised nothing.
    assert not Hit.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        run_import_command("screening_list", write(tmp_path, "list.csv", LIST))
    run = ScreeningRun.objects.filter(trigger=ScreeningTrigger.LIST_IMPORT).get()
    assert run.lists == "FR-GELS"
    hit = Hit.objects.get()
    assert hit.counterparty.reference == "CP-1"
    assert hit.entry == ListEntry.objects.get(list_id="G1")
    # A new counterparty, later: screened on its own after its import.
    with django_capture_on_commit_callbacks(execute=True):
        run_import_command("counterparties", write(tmp_path, "cp2.csv", PEOPLE + "CP-3;person;Iwan Petrow\n"))
    assert set(Hit.objects.values_list("counterparty__reference", flat=True)) == {"CP-1", "CP-3"}
    assert ScreeningRun.objects.filter(trigger=ScreeningTrigger.COUNTERPARTY_CHANGE).exists()


def test_an_unreachable_broker_keeps_the_import_and_logs(tmp_path, monkeypatch, caplog):
    from aml import tasks

    def down(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.screen_changed_counterparties, "delay", down)
    services.queue_screening()
    assert "not queued" in caplog.text
    assert Counterparty.objects.count() == 0  # nothing to lose here; the import itself is committed before


@override_settings(CELERY_TASK_ALWAYS_EAGER=True, AML_EMAILS=[])
def test_a_confirmed_hit_emails_the_aml_officers_at_once_and_nobody_else(
    roles, mailoutbox, django_capture_on_commit_callbacks
):
    from aml.services.screening import hit_review
    from tests.aml.factories import HitFactory
    from tests.factories import UserFactory

    officer = UserFactory(username="lcbft-officer", email="lcbft@example.org", groups=["LCB-FT"])
    UserFactory(username="dpo", email="dpo@example.org", groups=["DPO"])
    UserFactory(username="co", email="co@example.org", groups=["Compliance officer"])
    hit = HitFactory(counterparty__name="Zéphyrine OKSANA", matched_name="Zephyrine Oksana")
    with django_capture_on_commit_callbacks(execute=True):
        hit_review(actor=officer, hit=hit, status="confirmed", reason="Same passport number")
    sent = [m for m in mailoutbox if hit.alert.reference in m.subject + m.body]
    assert sent, [m.subject for m in mailoutbox]
    assert {address for m in mailoutbox for address in m.to} == {"lcbft@example.org"}
    for message in mailoutbox:  # the reference and the kind of deadline only: no name, no list
        assert "OKSANA" not in message.subject + message.body
        assert "Oksana" not in message.subject + message.body
