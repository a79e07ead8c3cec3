"""/health/: the database answers, and when beat last proved the scheduler alive."""
import datetime as dt

import pytest
import time_machine

from core import health


@pytest.mark.django_db
def test_health_reports_database_and_unknown_scheduler_before_any_heartbeat(client):
    from django.core.cache import cache

    cache.delete(health.HEARTBEAT_KEY)
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"
    assert response.json()["scheduler"] == "unknown"


@pytest.mark.django_db
def test_scheduler_is_late_when_heartbeats_stop(client, settings):
    settings.VIGIE_HEARTBEAT_SECONDS = 60
    with time_machine.travel(dt.datetime(2025, 3, 30, 1, 0, tzinfo=dt.UTC), tick=False):
        health.record_heartbeat()
        assert client.get("/health/").json()["scheduler"] == "ok"
    with time_machine.travel(dt.datetime(2025, 3, 30, 1, 5, tzinfo=dt.UTC), tick=False):
        assert client.get("/health/").json()["scheduler"] == "late"
