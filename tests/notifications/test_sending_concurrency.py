"""Sending next to the other writers, with a real SMTP server (aiosmtpd) and threads that have their own
database connections: no transaction is open while the server takes an email (on SQLite every writer
would wait for it: issue 8), and two senders at once send each email once (on PostgreSQL they claim
deliveries with `select_for_update(skip_locked=True)`; on SQLite the claims take turns)."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from notifications import sending, services
from notifications.models import Alert, Delivery, Digest
from notifications.sending import ack_token, send_pending
from tests.factories import UserFactory
from tests.notifications.test_sending import alert, at

WRITER_WAIT_SECONDS = 2


@pytest.fixture
def smtp(settings, smtp_server):
    """The real SMTP server (tests/notifications/smtp.py), as the email backend: its handler."""
    handler, port = smtp_server
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 10
    settings.EMAIL_USE_TLS = False
    settings.VIGIE_SITE_URL = "https://vigie.example.org"
    return handler


@pytest.fixture
def threads_share_the_database(transactional_db) -> None:
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith("file:memorydb"):
        pytest.skip("an in-memory SQLite database is not shared between threads")


def in_thread(target, results: list, errors: list) -> threading.Thread:
    """`target()` in a thread with its own database connection, closed at the end."""

    def run() -> None:
        try:
            results.append(target())
        except Exception as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def writers_wait_at_most(seconds: int) -> None:
    """This thread's connection gives up waiting for another writer after `seconds` (instead of the
    60 s busy timeout of the settings): SQLite's busy timeout, PostgreSQL's lock timeout."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"PRAGMA busy_timeout = {seconds * 1000}")
        elif connection.vendor == "postgresql":
            cursor.execute(f"SET lock_timeout = '{seconds}s'")


@pytest.mark.parametrize("smtp_server", [{"hold_at": 1}], indirect=True)
@pytest.mark.parametrize("immediate", [True, False], ids=["immediate", "digest"])
def test_others_write_while_the_smtp_server_takes_its_time_over_an_alert_email(
    threads_share_the_database, smtp, client, immediate
):
    """Issue 8: the SMTP server has the email (an immediate one, or a digest) and has not answered yet;
    the DPO acknowledges the alert meanwhile (any other write would do: on SQLite there is one write lock
    for the whole database). The acknowledgement goes through at once, not a 503 after the busy timeout;
    the email is then recorded sent, and the alert stays acknowledged."""
    late = alert("overdue", immediate=immediate, title="Breach BR-1: notify the CNIL")
    reports: list = []
    errors: list = []
    sender = in_thread(lambda: send_pending(at(2026, 11, 26, 7), digests=not immediate), reports, errors)
    try:
        assert smtp.holding.wait(30), f"the email never reached the SMTP server: {errors}"
        writers_wait_at_most(WRITER_WAIT_SECONDS)
        started = time.monotonic()
        response = client.post(reverse("notifications:ack", args=[ack_token(late.pk, "dpo@example.org")]))
        waited = time.monotonic() - started
    finally:
        smtp.release.set()
        sender.join(60)
    assert response.status_code == 200, f"{response.status_code} after {waited:.1f} s"
    late.refresh_from_db()
    assert late.status == "acknowledged" and late.acknowledged_by == "dpo@example.org"
    assert not errors and reports[0].emails == 1 and reports[0].deliveries == 1
    assert len(smtp.messages) == 1
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("sent", 1, None)


@pytest.mark.parametrize("smtp_server", [{"hold_at": 1}], indirect=True)
def test_a_person_acting_on_an_email_on_its_way_neither_doubles_it_nor_hides_that_it_went(
    threads_share_the_database, smtp
):
    """While the server holds the email, a person asks to resend it (nothing to do: it is on its way; a
    second run must not send it at the same time), then stops its retries (closed). The server then takes
    it: it went, so it is recorded sent, and its alert too; nothing goes later."""
    # Real time: the services compare the lease with the clock.
    late = alert("overdue", immediate=True, fires=timezone.now() - dt.timedelta(hours=1))
    person = UserFactory()
    reports: list = []
    errors: list = []
    sender = in_thread(lambda: send_pending(digests=False), reports, errors)
    try:
        assert smtp.holding.wait(30), f"the email never reached the SMTP server: {errors}"
        writers_wait_at_most(WRITER_WAIT_SECONDS)
        assert services.deliveries_resend(alerts=Alert.objects.filter(pk=late.pk), actor=person) == 0
        assert services.deliveries_close(alert=late, actor=person, reason="told by phone") == 1
        assert Alert.objects.get(pk=late.pk).status == "failed"
    finally:
        smtp.release.set()
        sender.join(60)
    assert not errors and reports[0].immediate == 1
    delivery = Delivery.objects.get()
    late.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.claimed_at, late.status) == ("sent", 1, None, "sent")
    assert list(delivery.history.order_by("history_id").values_list("status", "history_change_reason"))[-2:] == [
        ("failed", "closed unsent: told by phone"),
        ("sent", "sent"),
    ]
    assert send_pending().emails == 0 and len(smtp.messages) == 1


@pytest.mark.parametrize("smtp_server", [{"delay": 0.02}], indirect=True)
def test_two_senders_at_once_send_each_email_once(threads_share_the_database, smtp, monkeypatch):
    """Both senders list the same due emails before either takes one (a barrier), then both go through the
    list at once against a slow server: each immediate alert and each digest arrives once, each delivery
    is sent after one attempt, and both senders did part of the work."""
    recipients = ("dpo@example.org", "rssi@example.org")
    for _ in range(8):
        alert("overdue", immediate=True, recipients=recipients)
    for _ in range(4):
        alert("soon", recipients=("dpo@example.org", "handler@example.org", "legal@example.org"))
    barrier = threading.Barrier(2, timeout=30)
    for name in ("_due_immediate", "_due_recipients"):

        def together(now, _listed=getattr(sending, name)):
            found = _listed(now)
            barrier.wait()
            return found

        monkeypatch.setattr(sending, name, together)
    reports: list = []
    errors: list = []
    now = at(2026, 11, 26, 7)
    senders = [in_thread(lambda: send_pending(now), reports, errors) for _ in range(2)]
    for sender in senders:
        sender.join(120)
    assert not errors, errors
    ids = [message["Message-ID"] for message in smtp.messages]
    assert len(ids) == 16 + 3 and len(set(ids)) == len(ids), sorted(ids)
    assert sum(r.immediate for r in reports) == 16 and sum(r.digests for r in reports) == 3
    assert all(r.emails for r in reports), [r.emails for r in reports]
    assert set(Delivery.objects.values_list("status", "attempts", "claimed_at")) == {("sent", 1, None)}
    assert sorted(Digest.objects.values_list("recipient", "items")) == [
        ("dpo@example.org", 4),
        ("handler@example.org", 4),
        ("legal@example.org", 4),
    ]
    assert set(Digest.objects.values_list("message_id", flat=True)) == {i for i in ids if "digest" in i}
