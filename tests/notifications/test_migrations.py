"""Data migrations of the ledger."""

import importlib

import pytest
from django.apps import apps

from notifications.models import Alert, Delivery
from tests.notifications.test_sending import alert

pytestmark = pytest.mark.django_db


def test_the_deliveries_the_former_sending_gave_up_on_are_pending_again_escalated_with_a_history_row():
    migration = importlib.import_module("notifications.migrations.0004_failed_deliveries_retried")
    given_up = alert("overdue", immediate=True, status="failed", recipients=())
    Delivery.objects.create(
        alert=given_up,
        recipient="dpo@example.org",
        status="failed",
        attempts=8,
        last_error="ConnectionRefusedError: [Errno 111] Connection refused",
    )
    sent = alert("overdue", immediate=True, status="sent", recipients=())
    Delivery.objects.create(alert=sent, recipient="dpo@example.org", status="sent", attempts=1)

    migration.retry_failed(apps, None)

    delivery = Delivery.objects.get(alert=given_up)
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("pending", 8, None)
    assert delivery.escalated_at is not None and delivery.last_error.startswith("ConnectionRefusedError")
    assert delivery.history.order_by("history_id").last().history_change_reason == migration.REASON
    given_up.refresh_from_db()
    assert given_up.status == "pending" and given_up.history.order_by("history_id").last().status == "pending"
    assert Alert.objects.undelivered().get() == given_up
    assert Delivery.objects.get(alert=sent).status == "sent" and Alert.objects.get(pk=sent.pk).status == "sent"


def test_the_alerts_that_went_to_nobody_before_the_flag_get_it_with_a_history_row():
    migration = importlib.import_module("notifications.migrations.0007_recipients_flag_alerts_without_delivery")
    nobody = alert("overdue", recipients=())
    acknowledged = alert("overdue", recipients=(), status="acknowledged")
    someone = alert("overdue")
    before = {a.pk: a.history.count() for a in (nobody, acknowledged, someone)}
    migration.flag(apps, None)
    assert list(Alert.objects.filter(unaddressed=True)) == [nobody]
    assert Alert.objects.without_recipient().get() == nobody
    last = nobody.history.order_by("history_id").last()
    assert last.unaddressed and last.history_change_reason == migration.REASON
    assert [a.history.count() - before[a.pk] for a in (nobody, acknowledged, someone)] == [1, 0, 0]
