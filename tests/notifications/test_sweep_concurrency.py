"""Two sweeps at once, in two threads with their own database connections: both plan the same alerts,
then both write (a barrier makes them write together). The ledger's unique constraints keep one copy of
each alert and delivery; the losing sweep writes the rows the winner did not (none), without failing."""

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from notifications import sweep as sweep_module
from notifications.models import Alert, Delivery
from tests.gdpr.factories import BreachFactory

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture(autouse=True)
def dpo_emails(settings):
    settings.DPO_EMAILS = ["dpo@example.org", "dpo-backup@example.org"]


def test_two_sweeps_at_once_write_each_alert_once(transactional_db, monkeypatch):
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith("file:memorydb"):
        pytest.skip("an in-memory SQLite database is not shared between threads")
    aware = dt.datetime(2025, 3, 10, 9, 0, tzinfo=PARIS)
    breaches = [BreachFactory(aware_at=aware + dt.timedelta(minutes=n)) for n in range(30)]
    now = aware + dt.timedelta(hours=50)  # the 48-hour threshold is crossed for all of them
    barrier = threading.Barrier(2, timeout=30)
    write = sweep_module._write

    def write_together(*args, **kwargs):  # both sweeps have planned everything before either writes
        barrier.wait()
        return write(*args, **kwargs)

    monkeypatch.setattr(sweep_module, "_write", write_together)
    reports, errors = [], []

    def run() -> None:
        try:
            reports.append(sweep_module.sweep(now))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert sorted(len(r.planned) for r in reports) == [30, 30]  # both saw every alert as new
    assert sum(r.created for r in reports) == 30
    assert sum(r.deliveries for r in reports) == 60
    assert Alert.objects.count() == 30 and Delivery.objects.count() == 60
    assert set(Alert.objects.values_list("object_id", "threshold")) == {(b.pk, "h+48") for b in breaches}
    assert Alert.history.count() == 30 and Delivery.history.count() == 60  # no history of rows never written
