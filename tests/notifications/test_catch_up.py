"""Missed beat triggers catch up (issue 14 item 5). Beat skips the runs it cannot hand to the broker
("Couldn't apply scheduled task ..." while Redis is down); the daily sweep (00:15) and the digests
(VIGIE_DIGEST_HOUR) have one trigger a day each, so the hourly tick does their work when today's has not
been done, once. Beat's real schedule is played in frozen time (tests/notifications/beat.py)."""

from __future__ import annotations

import datetime as dt
import smtplib
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend

from notifications.models import Alert, Digest
from tests.factories import UserFactory
from tests.notifications.beat import tick, ticks

PARIS = ZoneInfo("Europe/Paris")
DPO = "dpo@example.org"
pytestmark = pytest.mark.django_db


def at(day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=PARIS)


@pytest.fixture(autouse=True)
def setup(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.DPO_EMAILS, settings.COMPLIANCE_EMAILS, settings.TRAINING_EMAILS = [DPO], [], []
    settings.VIGIE_DIGEST_HOUR = 7
    settings.VIGIE_IMMEDIATE_SECONDS = 300
    from gdpr.services import rights as rights_services

    with time_machine.travel(at(9, 12), tick=False):
        actor = UserFactory()
        # Overdue on the 10th (an immediate alert) and due on Monday the 16th (two digest items on the 10th).
        rights_services.rights_request_create(
            actor=actor,
            received_at=dt.datetime(2026, 1, 5, 9, tzinfo=PARIS),
            right="access",
            requester_name="Jeanne Test",
        )
        rights_services.rights_request_create(
            actor=actor,
            received_at=dt.datetime(2026, 2, 14, 9, tzinfo=PARIS),
            right="erasure",
            requester_name="Paul Test",
        )


def subjects() -> list[str]:
    return [str(message.subject) for message in mail.outbox]  # each a str; the stubs allow a lazy one


def test_a_night_without_broker_is_caught_up_by_the_next_hourly_tick_once():
    # Redis is down from 00:10 to 07:30: beat loses every trigger of that time, the 00:15 daily sweep and
    # the 07:00 digests included.
    def lost(name: str, moment: dt.datetime) -> bool:
        return at(10, 0, 10) <= moment < at(10, 7, 30)

    sent_at = {}
    for moment in ticks(at(10, 0, 0), at(10, 12, 0)):
        tick(moment, skip=lost)
        sent_at.setdefault(len(mail.outbox), moment)
    # 07:30: the first immediate run after the outage finds nothing (it does not sweep); the 08:05 hourly
    # tick runs the day's sweep (the overdue alert goes at once) and sends the day's digest.
    assert sent_at[2] == at(10, 8, 5) and 1 not in sent_at
    assert len(mail.outbox) == 2
    # The digest: one request with two reasons (its deadline and the extension decision), counted once.
    assert subjects()[0].startswith("[Vigie] En retard") and subjects()[1] == "[Vigie] 1 échéance — 10/03/2026"
    assert Alert.objects.count() == 3
    assert Digest.objects.get().sent_at == at(10, 8, 5)


def test_the_hourly_tick_does_the_daily_sweep_only_after_its_time_and_the_digests_only_after_their_hour():
    def lost(name: str, moment: dt.datetime) -> bool:  # only the two daily triggers are lost
        return name in {"notifications-sweep-daily", "notifications-digests"}

    for moment in ticks(at(10, 0, 0), at(10, 0, 5)):
        tick(moment, skip=lost)
    assert not Alert.objects.exists()  # 00:05 is before the daily sweep's time (00:15)
    for moment in ticks(at(10, 0, 10), at(10, 1, 5)):
        tick(moment, skip=lost)
    assert Alert.objects.count() == 3 and len(mail.outbox) == 1  # 01:05: the sweep, the overdue alert at once
    for moment in ticks(at(10, 1, 10), at(10, 6, 55)):
        tick(moment, skip=lost)
    assert len(mail.outbox) == 1  # the digest waits for its hour
    for moment in ticks(at(10, 7, 0), at(10, 23, 55)):
        tick(moment, skip=lost)
    assert len(mail.outbox) == 2 and Digest.objects.get().sent_at == at(10, 7, 5)


class DownAtSeven(EmailBackend):
    """An SMTP server that hangs up on every message sent at 07:00-07:59."""

    def send_messages(self, messages):
        from django.utils import timezone

        if timezone.localtime().hour == 7:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


def test_a_digest_refused_at_its_hour_goes_at_a_later_hourly_tick_the_same_day(settings):
    settings.EMAIL_BACKEND = "tests.notifications.test_catch_up.DownAtSeven"
    for moment in ticks(at(10, 0, 0), at(10, 12, 0)):
        tick(moment)
    assert len(mail.outbox) == 2
    digest = Digest.objects.get(sent_at__isnull=False)
    assert (digest.day, digest.sent_at) == (dt.date(2026, 3, 10), at(10, 8, 5))
