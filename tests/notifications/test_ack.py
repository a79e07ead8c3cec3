"""The signed "acknowledge" link: GET asks, POST marks the alert read (with history), expired or altered
links get a clear 400 page, never a 500; no login needed, and nothing else is allowed."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core import signing
from django.urls import reverse

from notifications.models import Alert
from notifications.sending import ack_token, ack_url
from tests.locks import record_locks

PARIS = ZoneInfo("Europe/Paris")
pytestmark = pytest.mark.django_db


@pytest.fixture
def alert():
    return Alert.objects.create(
        rule="test.rule",
        threshold="overdue",
        content_type=ContentType.objects.get_for_model(Alert),
        object_id=1,
        object_label="REQ-1",
        due_at=dt.datetime(2026, 11, 20, tzinfo=PARIS),
        fires_at=dt.datetime(2026, 11, 21, tzinfo=PARIS),
        urgency="overdue",
        title="Request REQ-1 is overdue",
        status="sent",
    )


def url(alert, recipient="dpo@example.org"):
    return reverse("notifications:ack", args=[ack_token(alert.pk, recipient)])


def test_the_link_is_absolute_on_the_site(settings, alert):
    settings.VIGIE_SITE_URL = "https://vigie.example.org"
    assert ack_url(alert.pk, "dpo@example.org").startswith("https://vigie.example.org/notifications/ack/")


def test_get_shows_the_alert_and_changes_nothing(client, alert):
    response = client.get(url(alert))
    assert response.status_code == 200
    assert "Request REQ-1 is overdue" in response.content.decode() and "<form" in response.content.decode()
    alert.refresh_from_db()
    assert alert.status == "sent" and alert.acknowledged_at is None


def test_post_acknowledges_once_in_the_name_of_the_recipient_with_history(client, alert, monkeypatch):
    locked = record_locks(monkeypatch)  # through notifications.services.alert_acknowledge, which locks the alert
    response = client.post(url(alert, "handler@example.org"))
    assert response.status_code == 200
    alert.refresh_from_db()
    assert alert.status == "acknowledged" and alert.acknowledged_by == "handler@example.org"
    assert alert.acknowledged_at is not None
    last = alert.history.latest()
    assert (last.status, last.history_change_reason, last.history_user) == (
        "acknowledged",
        "acknowledged by handler@example.org",
        None,
    )
    first_at = alert.acknowledged_at
    again = client.post(url(alert, "dpo@example.org"))  # a second click: already done, nothing changes
    assert again.status_code == 200
    alert.refresh_from_db()
    assert alert.acknowledged_by == "handler@example.org" and alert.acknowledged_at == first_at
    assert alert.history.count() == 2
    assert locked == [Alert, Alert]


def test_an_expired_link_is_a_clear_400(client, settings, alert, monkeypatch):
    token = ack_token(alert.pk, "dpo@example.org")
    settings.VIGIE_ACK_MAX_AGE_DAYS = 14
    later = signing.time.time() + 15 * 86400
    monkeypatch.setattr(signing.time, "time", lambda: later)
    for method in (client.get, client.post):
        response = method(reverse("notifications:ack", args=[token]))
        assert response.status_code == 400
        assert "expir" in response.content.decode().lower()
    alert.refresh_from_db()
    assert alert.status == "sent"


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # the signature
        lambda t: "x" + t,  # the payload
        lambda t: "garbage",
        lambda t: signing.TimestampSigner(salt="other.salt").sign_object({"a": 1, "r": "x@example.org"}),
        lambda t: signing.TimestampSigner(salt="notifications.ack").sign_object(["no", "dict"]),
    ],
)
def test_a_tampered_link_is_a_clear_400_never_a_500(client, alert, mangle):
    token = mangle(ack_token(alert.pk, "dpo@example.org"))
    for method in (client.get, client.post):
        response = method(reverse("notifications:ack", args=[token]))
        assert response.status_code == 400
    alert.refresh_from_db()
    assert alert.status == "sent"


def test_a_link_to_a_deleted_alert_is_a_404_page(client, alert):
    link = url(alert)
    alert.delete()
    assert client.get(link).status_code == 404


def test_the_link_only_acknowledges(client, alert):
    assert client.put(url(alert)).status_code == 405
    assert client.delete(url(alert)).status_code == 405
