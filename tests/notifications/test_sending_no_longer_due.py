"""An alert written before the act is not emailed after it (review22d #8): before the claims, each alert about to
go is checked against its rule's current records; one whose record no longer needs it (the act recorded, the
record closed, its deadline changed) has its deliveries closed unsent, with the reason in their history. A
failed delivery stops being retried once the deadline is met. Alerts of unregistered rules go as before."""

from __future__ import annotations

import datetime as dt
import smtplib
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend

from notifications.models import Alert, AlertStatus, Delivery
from notifications.sending import REASON_NO_LONGER_DUE, send_pending
from notifications.sweep import sweep
from tests.factories import UserFactory
from whistleblowing.services.reports import report_acknowledge, report_record

PARIS = ZoneInfo("Europe/Paris")
ACK = "whistleblowing.acknowledgment"
LOCMEM = "django.core.mail.backends.locmem.EmailBackend"

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("isolated_media")]


class DisconnectedBackend(EmailBackend):
    def send_messages(self, messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


def at(day: dt.date, hour: int = 0, minute: int = 15) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=PARIS)


@pytest.fixture
def referent(roles, settings, tmp_path):
    settings.VIGIE_WHISTLEBLOWING_FILES_ROOT = tmp_path / "wb"
    settings.EMAIL_BACKEND = LOCMEM
    return UserFactory(username="ref", email="ref@example.org", groups=["Référent alertes"])


def received(referent):
    monday = dt.datetime(2025, 2, 3, 10, tzinfo=PARIS)
    with time_machine.travel(monday, tick=False):
        report = report_record(
            actor=referent,
            received_at=monday,
            channel="email",
            category="fraud",
            facts="x",
            author_email="a@example.org",
        )
    report.refresh_from_db()
    assert report.acknowledgment_due_on == dt.date(2025, 2, 12)  # its d-2 (working days) is Monday 10
    return report


def acknowledge(referent, report, moment: dt.datetime):
    with time_machine.travel(moment, tick=False):
        report_acknowledge(actor=referent, report=report, acknowledged_on=moment.date())


def test_a_digest_after_the_act_does_not_ask_for_it(referent):
    report = received(referent)
    monday = dt.date(2025, 2, 10)
    sweep(at(monday))
    alert = Alert.objects.get(rule=ACK, object_id=report.pk, threshold="d-2")
    acknowledge(referent, report, at(monday, 6, 30))
    send_pending(at(monday, 7, 0))
    assert mail.outbox == []
    delivery = alert.deliveries.get()
    assert delivery.status == AlertStatus.FAILED and delivery.sent_at is None
    assert delivery.history.first().history_change_reason == REASON_NO_LONGER_DUE
    alert.refresh_from_db()
    assert alert.status == AlertStatus.FAILED
    send_pending(at(monday, 8, 0))
    assert mail.outbox == []


def test_without_the_act_the_digest_goes(referent):
    report = received(referent)
    monday = dt.date(2025, 2, 10)
    sweep(at(monday))
    send_pending(at(monday, 7, 0))
    assert len(mail.outbox) == 1 and report.reference in mail.outbox[0].body
    assert Delivery.objects.get().status == AlertStatus.SENT


def test_a_failed_immediate_email_is_not_retried_once_the_act_is_recorded(referent, settings):
    report = received(referent)
    overdue = dt.date(2025, 2, 13)
    settings.EMAIL_BACKEND = "tests.notifications.test_sending_no_longer_due.DisconnectedBackend"
    sweep(at(overdue))
    send_pending(at(overdue, 0, 20), digests=False)
    delivery = Delivery.objects.get(alert__threshold="overdue")
    assert delivery.status == AlertStatus.PENDING and delivery.attempts == 1
    acknowledge(referent, report, at(overdue, 9))
    settings.EMAIL_BACKEND = LOCMEM
    send_pending(at(overdue, 12), digests=False)
    delivery.refresh_from_db()
    assert mail.outbox == [] and delivery.status == AlertStatus.FAILED and delivery.attempts == 1


def test_a_changed_deadline_closes_the_alert_of_the_old_one(referent):
    report = received(referent)
    monday = dt.date(2025, 2, 10)
    sweep(at(monday))
    type(report).objects.filter(pk=report.pk).update(acknowledgment_due_on=dt.date(2025, 2, 20))
    send_pending(at(monday, 7, 0))
    assert mail.outbox == []
    assert Delivery.objects.get().status == AlertStatus.FAILED
