"""SMTP outages in frozen time (issue 14 item 4): a real SMTP server (aiosmtpd) that goes away — its port
closed: the connection is refused — for 10 minutes, or for 2 days, then comes back; or that refuses one
mailbox for hours; and a database that cannot record what the server accepted (issue 9). Beat's real
schedule is played every 5 minutes in this process (tests/notifications/beat.py).

Each alert reaches its recipient exactly once; a refused attempt costs one attempt, never more; the
retries space out from minutes to the capped interval (hours); past VIGIE_ALERT_MAX_ATTEMPTS the delivery
is escalated (the health page, the admin, an email to VIGIE_ESCALATION_EMAILS when the server takes
mail) and still retried until it goes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from notifications.models import Alert, Delivery, Digest
from tests.factories import UserFactory
from tests.notifications.beat import tick, ticks
from tests.notifications.smtp import Collector, SMTPServer

PARIS = ZoneInfo("Europe/Paris")
DPO = "dpo@example.org"
IT = "it@example.org"
TOKEN = "health-token-for-the-outage-tests"
pytestmark = pytest.mark.django_db


def at(day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    """A moment of March 2026 in Paris (the 10th is a Tuesday)."""
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=PARIS)


@pytest.fixture
def server(settings, request: pytest.FixtureRequest) -> Iterator[SMTPServer]:
    smtp = SMTPServer(Collector(**getattr(request, "param", {})))
    smtp.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", smtp.port, 5
    settings.EMAIL_USE_TLS = False
    settings.DPO_EMAILS, settings.COMPLIANCE_EMAILS, settings.TRAINING_EMAILS = [DPO], [], []
    settings.VIGIE_SITE_URL = "https://vigie.example.org"
    settings.VIGIE_DIGEST_HOUR = 7
    settings.VIGIE_IMMEDIATE_SECONDS = 300
    settings.VIGIE_ALERT_MAX_ATTEMPTS = 8
    settings.VIGIE_ALERT_RETRY_BASE_SECONDS = 300
    settings.VIGIE_ALERT_RETRY_MAX_SECONDS = 2 * 3600
    settings.VIGIE_ESCALATION_EMAILS = [IT]
    settings.VIGIE_HEALTH_TOKEN = TOKEN
    try:
        yield smtp
    finally:
        smtp.stop()


def rights_requests(*, soon: bool = True) -> None:
    """One request overdue on the 10th (its alert goes at once) and, with `soon`, one due on Monday the
    16th (the 14th is a Saturday): its two "7 days before" alerts go in the daily digest."""
    from gdpr.services import rights as rights_services

    with time_machine.travel(at(9, 12), tick=False):
        actor = UserFactory()
        rights_services.rights_request_create(
            actor=actor,
            received_at=dt.datetime(2026, 1, 5, 9, tzinfo=PARIS),
            right="access",
            requester_name="Jeanne Test",
        )
        if soon:
            rights_services.rights_request_create(
                actor=actor,
                received_at=dt.datetime(2026, 2, 14, 9, tzinfo=PARIS),
                right="erasure",
                requester_name="Paul Test",
            )


def play(
    server: SMTPServer,
    start: dt.datetime,
    end: dt.datetime,
    *,
    down: dt.datetime | None = None,
    up: dt.datetime | None = None,
    checks: dict[dt.datetime, Callable[[], object]] | None = None,
) -> None:
    """Beat's schedule from `start` to `end`; the server's port closed from `down` to `up`."""
    for moment in ticks(start, end):
        if moment == down:
            server.stop()
        if moment == up:
            server.start()
        tick(moment)
        if checks and moment in checks:
            checks[moment]()


def assert_each_alert_delivered_exactly_once(handler: Collector) -> None:
    texts = [
        text for message, text in zip(handler.messages, handler.texts(), strict=True) if DPO in message["X-Envelope-To"]
    ]
    alerts = list(Alert.objects.all())
    assert alerts
    for alert in alerts:
        assert sum(text.count(alert.title) for text in texts) == 1, (alert.title, texts)
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}
    assert set(Alert.objects.values_list("status", flat=True)) == {"sent"}


def health(client) -> dict:
    return client.get("/health/", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").json()


def test_smtp_down_for_ten_minutes_costs_one_attempt_and_each_alert_goes_once(server):
    rights_requests()
    # 00:15: the daily sweep writes the alerts and tries the overdue one at once: refused.
    play(server, at(10, 0, 0), at(10, 8, 0), down=at(10, 0, 10), up=at(10, 0, 20))
    assert_each_alert_delivered_exactly_once(server.handler)
    assert len(server.handler.messages) == 2  # the overdue alert at 00:20, the 07:00 digest with the other two
    overdue = Delivery.objects.get(alert__immediate=True)
    # One refused conversation at 00:15, then the one that went through at 00:20: nothing burned in between.
    assert overdue.attempts == 2 and overdue.escalated_at is None
    assert overdue.sent_at == at(10, 0, 20)
    assert set(Delivery.objects.filter(alert__immediate=False).values_list("attempts", "sent_at")) == {
        (1, at(10, 7, 0))
    }


def test_smtp_down_for_two_days_escalates_keeps_retrying_then_each_alert_goes_once(server, client):
    rights_requests()
    seen = {}

    def first_day_noon() -> None:
        overdue = Delivery.objects.get(alert__immediate=True)
        # Refused at 00:15, then 5, 10, 20, 40, 80 minutes later, then every 2 hours (the cap): the 8th
        # attempt, at 06:50, escalates it; it stays pending and is tried again at 08:50, 10:50, 12:50...
        assert (overdue.status, overdue.attempts, overdue.escalated_at) == ("pending", 10, at(10, 6, 50))
        assert overdue.next_attempt_at == at(10, 12, 50)
        assert "ConnectionRefusedError" in overdue.last_error
        seen["noon"] = health(client)

    def second_day_noon() -> None:
        seen["next day"] = health(client)
        assert set(Delivery.objects.values_list("status", flat=True)) == {"pending"}
        assert not Alert.objects.exclude(status="pending").exists()

    play(
        server,
        at(10, 0, 0),
        at(12, 9, 0),
        down=at(10, 0, 10),
        up=at(12, 0, 10),
        checks={at(10, 12, 0): first_day_noon, at(11, 12, 0): second_day_noon},
    )

    assert seen["noon"]["status"] == "degraded" and seen["noon"]["alerts"]["undelivered"] == 1
    # The digest items were tried at 07:00 and at the hourly ticks after it: 8 attempts by 17:05 on the 10th.
    assert seen["next day"]["alerts"]["undelivered"] == 3
    assert_each_alert_delivered_exactly_once(server.handler)
    # The overdue alert once (at its first capped retry after 00:10 on the 12th), the other two in the 12th's
    # digest; no escalation email: the server took no mail while they were escalated.
    assert len(server.handler.messages) == 2
    assert [m["X-Envelope-To"] for m in server.handler.messages] == [DPO, DPO]
    assert list(Digest.objects.filter(sent_at__isnull=False).values_list("day", flat=True)) == [dt.date(2026, 3, 12)]
    assert health(client)["alerts"]["undelivered"] == 0


@pytest.mark.parametrize("server", [{"refuse_rcpt": (DPO,)}], indirect=True)
def test_a_mailbox_refused_past_the_last_attempt_is_reported_once_to_the_escalation_address(server):
    rights_requests(soon=False)
    play(server, at(10, 0, 0), at(10, 11, 0))
    handler = server.handler
    # Escalated at the 8th refusal (06:50): one email to the escalation address, none to the DPO.
    assert [m["X-Envelope-To"] for m in handler.messages] == [IT]
    notice = handler.texts()[0]
    alert = Alert.objects.get()
    assert DPO in notice and f"/admin/notifications/alert/{alert.pk}/change/" in notice
    assert alert.object_label not in notice and alert.title not in notice  # what it is about: behind a login
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("pending", 10)
    assert "550" in delivery.last_error

    handler.refuse_rcpt.clear()  # the mailbox is fixed
    play(server, at(10, 11, 5), at(10, 14, 0))
    assert [m["X-Envelope-To"] for m in handler.messages] == [IT, DPO]
    assert_each_alert_delivered_exactly_once(handler)


# --- a database that cannot record what the server accepted (issue 9) ---------------------------------------


def database_refuses_to_record_sent(refuse: bool) -> None:
    """A trigger makes the database refuse to mark a delivery sent, as a full disk or a broken database
    would refuse the write after the SMTP server accepted the email; `refuse=False` drops it."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            if refuse:
                cursor.execute(
                    "CREATE TRIGGER vigie_test_refuse_sent BEFORE UPDATE OF status "
                    "ON notifications_delivery WHEN NEW.status = 'sent' "
                    "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
                )
            else:
                cursor.execute("DROP TRIGGER vigie_test_refuse_sent")
        elif refuse:
            cursor.execute(
                "CREATE FUNCTION vigie_test_refuse_sent() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'could not extend file: No space left on device'; END $$"
            )
            cursor.execute(
                "CREATE TRIGGER vigie_test_refuse_sent BEFORE UPDATE ON notifications_delivery FOR EACH ROW "
                "WHEN (NEW.status = 'sent') EXECUTE FUNCTION vigie_test_refuse_sent()"
            )
        else:
            cursor.execute("DROP TRIGGER vigie_test_refuse_sent ON notifications_delivery")
            cursor.execute("DROP FUNCTION vigie_test_refuse_sent()")


def test_an_email_the_database_could_not_record_goes_again_only_at_its_planned_attempts_with_its_message_id(
    server, client
):
    """Issue 9: from 00:00 to 09:30 the database refuses to record "sent" (the server accepted each email).
    Each email goes again only when the wait of its attempt is over — the schedule of the retries after a
    failure: 5, 10, 20, 40, 80 minutes, then every 2 hours — never at every run, always with the same
    Message-ID (the digest's too: its row, hence its id, was committed before the email left). The 9th
    attempt of the overdue alert knows that the 8 before it have no recorded outcome: escalated. Once the
    database records again, the next planned attempt goes and is recorded; nothing more arrives."""
    rights_requests()
    received: list[tuple[dt.datetime, str]] = []
    seen = {}

    def at_nine() -> None:
        seen["overdue"] = Delivery.objects.get(alert__immediate=True)
        seen["health"] = health(client)

    def play_and_collect(start: dt.datetime, end: dt.datetime) -> None:
        for moment in ticks(start, end):
            if moment == at(10, 9, 0):
                at_nine()
            before = len(server.handler.messages)
            tick(moment)
            received.extend((moment, message["Message-ID"]) for message in server.handler.messages[before:])

    database_refuses_to_record_sent(True)
    play_and_collect(at(10, 0, 0), at(10, 9, 25))
    database_refuses_to_record_sent(False)
    play_and_collect(at(10, 9, 30), at(10, 14, 0))

    alert_copies = [(moment, mid) for moment, mid in received if mid.startswith("<vigie-alert-")]
    digest_copies = [(moment, mid) for moment, mid in received if mid.startswith("<vigie-digest-")]
    assert len(alert_copies) + len(digest_copies) == len(received)  # no escalation email: the server took mail
    assert [moment for moment, _mid in alert_copies] == [
        at(10, 0, 15),
        at(10, 0, 20),
        at(10, 0, 30),
        at(10, 0, 50),
        at(10, 1, 30),
        at(10, 2, 50),
        at(10, 4, 50),
        at(10, 6, 50),
        at(10, 8, 50),
        at(10, 10, 50),
    ]
    # The digest is tried at its hour and at the hourly ticks: each of them once its attempt's wait is over.
    assert [moment for moment, _mid in digest_copies] == [
        at(10, 7, 0),
        at(10, 7, 5),
        at(10, 8, 5),
        at(10, 9, 5),
        at(10, 10, 5),
    ]
    assert len({mid for _moment, mid in alert_copies}) == 1 and len({mid for _moment, mid in digest_copies}) == 1
    digest = Digest.objects.get()
    assert (digest.sent_at, digest.message_id) == (at(10, 10, 5), digest_copies[0][1])

    at_nine = seen["overdue"]
    assert (at_nine.status, at_nine.attempts, at_nine.escalated_at) == ("pending", 9, at(10, 8, 50))
    assert "not recorded" in at_nine.last_error
    assert seen["health"]["status"] == "degraded" and seen["health"]["alerts"]["undelivered"] == 1
    assert set(Delivery.objects.values_list("status", "claimed_at")) == {("sent", None)}
    assert set(Alert.objects.values_list("status", flat=True)) == {"sent"}
    overdue = Delivery.objects.get(alert__immediate=True)
    assert (overdue.attempts, overdue.sent_at, overdue.last_error) == (10, at(10, 10, 50), "")
    assert set(Delivery.objects.filter(alert__immediate=False).values_list("attempts", flat=True)) == {5}
    assert health(client)["alerts"]["undelivered"] == 0
