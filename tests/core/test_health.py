"""/health/: the overall status for anyone (200 "ok" or "degraded", 503 "down"); the details — database
engine, broker (checked live), cache, scheduler, what the apps report (undelivered alerts) — only for a
staff login or with the operator's token (VIGIE_HEALTH_TOKEN, `Authorization: Bearer ...`)."""

import datetime as dt
from pathlib import Path

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType

from core import health
from tests.clients import admin_client
from tests.factories import UserFactory
from tests.processes import start_redis

TOKEN = "a-long-random-token-for-the-health-page"
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def token(settings):
    from django.core.cache import cache

    settings.VIGIE_HEALTH_TOKEN = TOKEN
    cache.delete(health.HEARTBEAT_KEY)  # no beat yet: "unknown", whatever another test left in the cache


def details(client, token: str = TOKEN) -> dict:
    response = client.get("/health/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    return response.json()


def test_anonymous_callers_get_the_overall_status_only(client):
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_a_wrong_or_empty_token_and_a_login_without_staff_status_get_the_status_only(client, settings):
    assert details(client, "not-the-token") == {"status": "ok"}
    assert client.get("/health/", HTTP_AUTHORIZATION=f"Token {TOKEN}").json() == {"status": "ok"}
    settings.VIGIE_HEALTH_TOKEN = ""  # no token configured: an empty one opens nothing
    assert client.get("/health/", HTTP_AUTHORIZATION="Bearer ").json() == {"status": "ok"}
    assert details(client, "") == {"status": "ok"}
    client.force_login(UserFactory(is_staff=False))
    assert client.get("/health/").json() == {"status": "ok"}


def test_the_token_and_a_staff_login_get_the_details(client):
    body = details(client)
    assert body["status"] == "ok"
    assert body["database"] == "ok" and body["database_engine"] in {"sqlite", "postgresql"}
    assert body["broker"] == "ok" and body["cache"] == "ok" and body["scheduler"] == "unknown"
    assert body["alerts"] == {"status": "ok", "undelivered": 0}
    assert body["alerts_without_recipient"] == {"status": "ok", "unaddressed": 0}
    # A staff user who may not see the ledger: the same, without the alerts.
    staff = admin_client()
    alerts = {"alerts", "alerts_without_recipient"}
    assert staff.get("/health/").json() == {name: value for name, value in body.items() if name not in alerts}


def test_scheduler_is_late_when_heartbeats_stop(client, settings):
    settings.VIGIE_HEARTBEAT_SECONDS = 60
    with time_machine.travel(dt.datetime(2025, 3, 30, 1, 0, tzinfo=dt.UTC), tick=False):
        health.record_heartbeat()
        assert details(client)["scheduler"] == "ok"
    with time_machine.travel(dt.datetime(2025, 3, 30, 1, 5, tzinfo=dt.UTC), tick=False):
        body = details(client)
        assert body["scheduler"] == "late" and body["status"] == "degraded"
        assert client.get("/health/").json() == {"status": "degraded"}


def test_the_filesystem_broker_is_down_when_its_folders_cannot_be_written(client, settings, tmp_path: Path):
    settings.CELERY_BROKER_URL = "filesystem://"
    queue = tmp_path / "broker" / "queue"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(queue),
        "data_folder_out": str(queue),
        "control_folder": str(tmp_path / "broker" / "control"),
    }
    (tmp_path / "broker").mkdir()
    queue.mkdir()
    (tmp_path / "broker" / "control").mkdir()
    assert details(client)["broker"] == "ok"
    (tmp_path / "broker" / "control").rmdir()
    (tmp_path / "broker" / "control").write_text("a file where the folder should be")
    body = details(client)
    assert body["broker"] == "down" and body["status"] == "degraded"


def test_the_redis_broker_is_checked_live(client, settings, own_redis):
    servers, port = own_redis
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{port}/0"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
    assert details(client)["broker"] == "ok"
    servers.kill(servers.procs[0][0])
    body = details(client)
    assert body["broker"] == "down" and body["status"] == "degraded"
    assert client.get("/health/").json() == {"status": "degraded"}
    start_redis(servers, port)
    assert details(client)["broker"] == "ok"


def _undelivered_alert(model: str) -> None:
    """An alert about a record of `model` whose email could not be sent after the last attempt."""
    from notifications.models import Alert, Delivery

    now = dt.datetime(2026, 3, 10, 6, 50, tzinfo=dt.UTC)
    content_type = ContentType.objects.get_by_natural_key(*model.split("."))
    alert = Alert.objects.create(
        rule="test.rule",
        threshold="overdue",
        content_type=content_type,
        object_id=1,
        object_label="REF-1",
        due_at=now,
        fires_at=now,
        urgency="overdue",
        immediate=True,
        title="REF-1 overdue",
    )
    Delivery.objects.create(
        alert=alert,
        recipient="dpo@example.org",
        attempts=8,
        escalated_at=now,
        last_error="ConnectionRefusedError: [Errno 111] Connection refused",
    )


def test_undelivered_alerts_are_a_warning_counted_for_what_the_viewer_may_see(client, roles):
    _undelivered_alert("gdpr.rightsrequest")
    body = details(client)
    assert body["status"] == "degraded" and body["alerts"] == {"status": "warning", "undelivered": 1}
    dpo = admin_client("DPO").get("/health/").json()
    assert dpo["status"] == "degraded" and dpo["alerts"]["undelivered"] == 1
    # The training manager may not see rights requests: not even that an alert about one exists.
    training = admin_client("Training manager").get("/health/").json()
    assert training["status"] == "ok" and training["alerts"] == {"status": "ok", "undelivered": 0}
    # Anonymous callers: the state of the service, not of the alerts.
    assert client.get("/health/").json() == {"status": "ok"}
