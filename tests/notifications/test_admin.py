"""The ledger in the admin: read-only for everyone, two actions for the DPO and the compliance officer,
and the "what would be sent today" preview."""

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from gdpr.services import rights as rights_services
from notifications.models import Alert, Delivery
from notifications.sweep import sweep
from tests.clients import admin_client
from tests.factories import UserFactory
from tests.locks import record_locks

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:notifications_alert_changelist"


@pytest.fixture(autouse=True)
def setup(settings, roles):
    settings.DPO_EMAILS = ["dpo@example.org"]


def overdue_request(reference_days=70):
    actor = UserFactory()
    return rights_services.rights_request_create(
        actor=actor,
        received_at=timezone.now() - dt.timedelta(days=reference_days),
        right="access",
        requester_name="Jeanne Test",
    )


def swept_alert():
    req = overdue_request()
    sweep()
    return req, Alert.objects.get(rule="gdpr.rights_request.deadline")


def test_the_auditor_sees_the_ledger_read_only_without_actions():
    req, alert = swept_alert()
    client = admin_client("Auditor", language="en")
    page = client.get(reverse(CHANGELIST))
    assert page.status_code == 200 and req.reference in page.content.decode()
    assert "resend" not in page.content.decode() and "mark_acknowledged" not in page.content.decode()
    change = client.get(reverse("admin:notifications_alert_change", args=[alert.pk]))
    assert change.status_code == 200 and "dpo@example.org" in change.content.decode()
    assert client.post(reverse("admin:notifications_alert_change", args=[alert.pk]), {}).status_code == 403
    assert client.get(reverse("admin:notifications_alert_add")).status_code == 403
    # An action posted anyway does nothing.
    client.post(reverse(CHANGELIST), {"action": "mark_acknowledged", "_selected_action": [alert.pk]})
    alert.refresh_from_db()
    assert alert.status == "pending"


def test_search_finds_an_alert_by_recipient_and_filters_by_status():
    req, _alert = swept_alert()
    client = admin_client("DPO", language="en")
    assert req.reference in client.get(reverse(CHANGELIST), {"q": "dpo@example.org"}).content.decode()
    assert req.reference not in client.get(reverse(CHANGELIST), {"q": "nobody@example.org"}).content.decode()
    assert req.reference not in client.get(reverse(CHANGELIST), {"status__exact": "sent"}).content.decode()
    assert req.reference in client.get(reverse(CHANGELIST), {"status__exact": "pending"}).content.decode()


def test_the_dpo_marks_alerts_acknowledged():
    _req, alert = swept_alert()
    user = UserFactory(groups=["DPO"])
    from django.test import Client

    client = Client()
    client.force_login(user)
    client.post(reverse(CHANGELIST), {"action": "mark_acknowledged", "_selected_action": [alert.pk]})
    alert.refresh_from_db()
    assert alert.status == "acknowledged" and alert.acknowledged_by == user.get_username()
    assert alert.acknowledged_at is not None


def test_resend_puts_sent_or_failed_deliveries_back_to_pending_and_sends_them_now():
    req, alert = swept_alert()
    Delivery.objects.filter(alert=alert).update(status="failed", last_error="550 mailbox unavailable")
    client = admin_client("Compliance officer", language="en")
    client.post(reverse(CHANGELIST), {"action": "resend", "_selected_action": [alert.pk]})
    delivery = Delivery.objects.get(alert=alert)
    assert delivery.status == "sent" and delivery.last_error == ""
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["dpo@example.org"]
    assert req.reference in mail.outbox[0].subject + mail.outbox[0].body


def test_the_preview_lists_what_the_next_sweep_would_create_and_what_is_pending_by_recipient():
    req = overdue_request()
    client = admin_client("Auditor", language="en")
    assert reverse("admin:notifications_alert_preview") in client.get(reverse(CHANGELIST)).content.decode()
    page = client.get(reverse("admin:notifications_alert_preview")).content.decode()
    assert "dpo@example.org" in page and req.reference in page and "created by the next sweep" in page
    assert not Alert.objects.exists()  # a dry run: nothing written
    sweep()
    page = client.get(reverse("admin:notifications_alert_preview")).content.decode()
    assert req.reference in page and "created by the next sweep" not in page and "pending" in page
    assert admin_client().get(reverse("admin:notifications_alert_preview")).status_code in (302, 403)


def test_the_preview_shows_only_the_alerts_about_records_the_user_may_view():
    """Issue 14, item 3: a training manager saw the DPO's alerts (rights requests, breaches) in the preview
    while the ledger's list hid them. New and pending, their recipients and their counts alike."""
    req = overdue_request()
    manager = admin_client("Training manager", language="en")
    dpo = admin_client("DPO", language="en")
    url = reverse("admin:notifications_alert_preview")
    for swept in (False, True):
        if swept:
            sweep()
        page = manager.get(url).content.decode()
        assert manager.get(url).status_code == 200
        assert req.reference not in page and "dpo@example.org" not in page, swept
        assert "0 new alerts" in page and "0 pending deliveries" in page, swept
        assert req.reference in dpo.get(url).content.decode(), swept
    assert req.reference not in manager.get(reverse(CHANGELIST)).content.decode()


# --- emails that could not be delivered (issue 14) --------------------------------------------------------


def undelivered_alert():
    """A swept overdue alert whose email failed past its last planned attempt: escalated, still retried."""
    req, alert = swept_alert()
    now = timezone.now()
    Delivery.objects.filter(alert=alert).update(
        attempts=8,
        escalated_at=now,
        next_attempt_at=now + dt.timedelta(hours=2),
        last_error="ConnectionRefusedError: [Errno 111] Connection refused",
    )
    return req, alert


def test_the_admin_index_tells_who_may_see_them_how_many_alert_emails_could_not_be_delivered():
    req, alert = undelivered_alert()
    page = admin_client("DPO", language="en").get(reverse("admin:index")).content.decode()
    assert "vigie-undelivered-alerts" in page
    assert "1 alert email could not be delivered after the last planned attempt" in page
    assert f"{reverse(CHANGELIST)}?undelivered=yes" in page
    # The training manager may not see rights requests, nor learn that an alert about one is stuck.
    assert (
        "vigie-undelivered-alerts"
        not in admin_client("Training manager", language="en").get(reverse("admin:index")).content.decode()
    )
    # Acknowledged: a person has it in hand.
    Alert.objects.filter(pk=alert.pk).update(status="acknowledged")
    assert "vigie-undelivered-alerts" not in admin_client("DPO").get(reverse("admin:index")).content.decode()


def test_the_alert_list_filters_the_alerts_whose_email_could_not_be_delivered():
    req, _alert = undelivered_alert()
    other = overdue_request()
    sweep()
    client = admin_client("DPO", language="en")
    page = client.get(reverse(CHANGELIST), {"undelivered": "yes"}).content.decode()
    assert req.reference in page and other.reference not in page
    assert "Undelivered after the last planned attempt" in page


def test_resend_sends_at_once_an_email_waiting_after_failed_attempts():
    req, alert = undelivered_alert()
    admin_client("DPO", language="en").post(reverse(CHANGELIST), {"action": "resend", "_selected_action": [alert.pk]})
    delivery = Delivery.objects.get(alert=alert)
    assert (delivery.status, delivery.next_attempt_at, delivery.attempts) == ("sent", None, 9)
    assert len(mail.outbox) == 1 and req.reference in mail.outbox[0].subject


def test_a_person_stops_the_retries_with_a_reason_kept_in_the_history():
    from notifications.sending import send_pending

    _req, alert = undelivered_alert()
    user = UserFactory(groups=["DPO"])
    from django.test import Client

    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    data = {"action": "close_unsent", "_selected_action": [alert.pk]}
    form = client.post(reverse(CHANGELIST), data)
    assert form.status_code == 200 and "Why the retries stop" in form.content.decode()
    refused = client.post(reverse(CHANGELIST), {**data, "apply": "1", "reason": "  "})
    assert refused.status_code == 200 and Delivery.objects.get(alert=alert).status == "pending"
    client.post(reverse(CHANGELIST), {**data, "apply": "1", "reason": "the DPO was told by phone"})
    delivery = Delivery.objects.get(alert=alert)
    alert.refresh_from_db()
    assert (delivery.status, delivery.next_attempt_at, alert.status) == ("failed", None, "failed")
    last = delivery.history.order_by("history_id").last()
    assert (last.history_user, last.history_change_reason) == (user, "closed unsent: the DPO was told by phone")
    assert alert.history.order_by("history_id").last().history_user == user
    assert not Alert.objects.undelivered().exists()
    assert send_pending(timezone.now() + dt.timedelta(days=1)).emails == 0 and mail.outbox == []
    # Nothing left to close: said, not a 500.
    again = client.post(reverse(CHANGELIST), {**data, "apply": "1", "reason": "again"}, follow=True)
    assert "already sent or closed" in again.content.decode()


def test_the_auditor_cannot_stop_the_retries():
    _req, alert = undelivered_alert()
    client = admin_client("Auditor", language="en")
    client.post(
        reverse(CHANGELIST), {"action": "close_unsent", "_selected_action": [alert.pk], "apply": "1", "reason": "no"}
    )
    assert Delivery.objects.get(alert=alert).status == "pending"


def test_the_acknowledge_action_goes_through_the_service_with_a_lock_and_a_history_reason(monkeypatch):
    """Issue 15, item 3: the action wrote the alerts itself; `alerts_acknowledge` locks each one and
    names who acknowledged it, and why, in its history."""
    _req, alert = swept_alert()
    user = UserFactory(groups=["DPO"])
    from django.test import Client

    client = Client()
    client.force_login(user)
    locked = record_locks(monkeypatch)
    client.post(reverse(CHANGELIST), {"action": "mark_acknowledged", "_selected_action": [alert.pk]})
    assert Alert in locked
    last = alert.history.latest()
    assert (last.status, last.history_change_reason, last.history_user) == (
        "acknowledged",
        "acknowledged in the admin",
        user,
    )
    client.post(reverse(CHANGELIST), {"action": "mark_acknowledged", "_selected_action": [alert.pk]})
    assert alert.history.count() == 2  # created by the sweep, acknowledged once
