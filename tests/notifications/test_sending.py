"""Sending the ledger: immediate emails, one digest per recipient and Paris day, SMTP failures that leave
deliveries pending, waiting longer after each failed attempt, escalated past the last planned one and
still sent once later, French by default."""

import datetime as dt
import smtplib
from zoneinfo import ZoneInfo

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import OperationalError

from notifications import sending
from notifications.models import Alert, Delivery, Digest
from notifications.sending import read_ack_token, retry_delay, send_pending

PARIS = ZoneInfo("Europe/Paris")
pytestmark = pytest.mark.django_db
SITE = "https://vigie.example.org"


class DisconnectedBackend(EmailBackend):
    """An SMTP server that hangs up on every message."""

    def send_messages(self, messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


FAILING = "tests.notifications.test_sending.DisconnectedBackend"
LOCMEM = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(autouse=True)
def site(settings):
    settings.VIGIE_SITE_URL = SITE
    settings.EMAIL_BACKEND = LOCMEM
    settings.DEFAULT_FROM_EMAIL = "vigie@example.org"


def at(year, month, day, hour=10, minute=0):
    return dt.datetime(year, month, day, hour, minute, tzinfo=PARIS)


_seq = iter(range(1, 10_000))


def alert(
    urgency="soon",
    due=at(2026, 11, 30, 0),
    immediate=False,
    recipients=("dpo@example.org",),
    fires=at(2026, 11, 20, 0),
    title=None,
    **extra,
):
    n = next(_seq)
    a = Alert.objects.create(
        rule="test.rule",
        threshold=f"t{n}",
        content_type=ContentType.objects.get_for_model(Alert),
        object_id=n,
        object_label=f"REQ-{n}",
        due_at=due,
        fires_at=fires,
        urgency=urgency,
        immediate=immediate,
        title=title or f"Request REQ-{n} due",
        explanation=f"Received on 01/11/2026 + 1 month ({n})",
        admin_path=f"/admin/gdpr/rightsrequest/{n}/change/",
        **extra,
    )
    for r in recipients:
        Delivery.objects.create(alert=a, recipient=r)
    return a


def html(message):
    return message.alternatives[0][0]


def test_a_digest_groups_items_by_urgency_with_due_dates_explanations_and_links():
    late = alert("overdue", due=at(2026, 11, 20, 0), title="Late one")
    urgent = alert("urgent", due=at(2026, 11, 27, 0), title="Urgent one")
    soon = alert("soon", due=at(2026, 12, 3, 0), title="Soon one")
    breach = alert("notice", due=at(2026, 11, 28, 14, 30), title="Notice one")
    report = send_pending(at(2026, 11, 26, 7))
    assert report.digests == 1 and report.deliveries == 4 and not report.had_errors
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["dpo@example.org"] and message.from_email == "vigie@example.org"
    assert message.subject == "[Vigie] 4 échéances dont 1 en retard — 26/11/2026"
    text, body = message.body, html(message)
    # grouped in the order overdue, urgent, soon, for information
    positions = [text.index(t) for t in ("Late one", "Urgent one", "Soon one", "Notice one")]
    assert positions == sorted(positions)
    assert [body.index(f"urgency-{c}") for c in ("overdue", "urgent", "soon", "notice")] == sorted(
        body.index(f"urgency-{c}") for c in ("overdue", "urgent", "soon", "notice")
    )
    for a, due in ((late, "20/11/2026"), (urgent, "27/11/2026"), (soon, "03/12/2026"), (breach, "28/11/2026 14:30")):
        link = f"{SITE}{a.admin_path}"
        assert link in text and f'href="{link}"' in body
        assert a.explanation in text and a.explanation in body
        assert due in text, due
    ack_links = [line.split()[-1] for line in text.splitlines() if f"{SITE}/notifications/ack/" in line]
    assert len(ack_links) == 4
    assert {read_ack_token(link.rstrip("/").rsplit("/", 1)[-1]) for link in ack_links} == {
        (a.pk, "dpo@example.org") for a in (late, urgent, soon, breach)
    }
    assert set(Delivery.objects.values_list("status", "attempts")) == {("sent", 1)}
    assert set(Alert.objects.values_list("status", flat=True)) == {"sent"}
    digest = Digest.objects.get()
    assert digest.day == dt.date(2026, 11, 26) and digest.items == 4 and digest.message_id
    assert message.extra_headers["Message-ID"] == digest.message_id


def test_one_digest_per_recipient_per_day_however_many_runs():
    alert(recipients=("dpo@example.org", "handler@example.org"))
    send_pending(at(2026, 11, 26, 7))
    alert()  # a new alert later the same day waits for tomorrow's digest
    again = send_pending(at(2026, 11, 26, 15))
    assert again.digests == 0 and again.deliveries == 0
    assert sorted(m.to[0] for m in mail.outbox) == ["dpo@example.org", "handler@example.org"]
    assert Delivery.objects.filter(status="pending").count() == 1
    # the next Paris day (just after midnight, a winter UTC+1 evening): one more digest, with only the new item
    tomorrow = send_pending(dt.datetime(2026, 11, 26, 23, 5, tzinfo=dt.UTC))
    assert tomorrow.digests == 1 and len(mail.outbox) == 3
    assert mail.outbox[2].subject == "[Vigie] 1 échéance — 27/11/2026"
    assert Delivery.objects.filter(status="pending").count() == 0
    assert list(Digest.objects.order_by("day", "recipient").values_list("day", "recipient")) == [
        (dt.date(2026, 11, 26), "dpo@example.org"),
        (dt.date(2026, 11, 26), "handler@example.org"),
        (dt.date(2026, 11, 27), "dpo@example.org"),
    ]


def test_immediate_alerts_get_their_own_email_at_once_and_only_once():
    late = alert(
        "overdue",
        immediate=True,
        title="Breach BR-1: notify the CNIL",
        recipients=("dpo@example.org", "rssi@example.org"),
    )
    alert("soon")
    report = send_pending(at(2026, 11, 26, 3), digests=False)
    assert report.immediate == 2 and report.digests == 0
    assert sorted(m.to[0] for m in mail.outbox) == ["dpo@example.org", "rssi@example.org"]
    assert mail.outbox[0].subject == "[Vigie] En retard : Breach BR-1: notify the CNIL"
    assert f"{SITE}{late.admin_path}" in mail.outbox[0].body and "/notifications/ack/" in html(mail.outbox[0])
    late.refresh_from_db()
    assert late.status == "sent"
    send_pending(at(2026, 11, 26, 4), digests=False)
    assert len(mail.outbox) == 2
    send_pending(at(2026, 11, 26, 7))  # the digest does not repeat the immediate alert
    assert len(mail.outbox) == 3 and "Breach BR-1" not in mail.outbox[2].body


def test_an_alert_not_yet_fired_or_acknowledged_is_not_sent():
    alert(fires=at(2026, 11, 27, 0))
    alert(status="acknowledged")
    assert send_pending(at(2026, 11, 26, 7)).emails == 0 and mail.outbox == []


def test_smtp_down_leaves_deliveries_pending_then_each_goes_once(settings):
    late = alert("overdue", immediate=True)
    soon = alert("soon")
    settings.EMAIL_BACKEND = FAILING
    report = send_pending(at(2026, 11, 26, 7))
    assert report.had_errors and report.emails == 0 and "SMTPServerDisconnected" in report.errors[0]
    assert report.stopped
    # the run stopped at the first connection error: the digest was not even tried, and keeps its attempts
    first = Delivery.objects.get(alert=late)
    assert (first.status, first.attempts, first.sent_at) == ("pending", 1, None)
    assert first.next_attempt_at == at(2026, 11, 26, 7, 5)  # 5 minutes after the first failure
    assert "Connection unexpectedly closed" in first.last_error
    assert Delivery.objects.get(alert=soon).attempts == 0
    send_pending(at(2026, 11, 26, 7, 4))  # the immediate one waits; the digest is tried: one attempt each
    assert Delivery.objects.get(alert=late).attempts == 1 and Delivery.objects.get(alert=soon).attempts == 1
    send_pending(at(2026, 11, 26, 7, 5))
    assert Delivery.objects.get(alert=late).attempts == 2
    assert Delivery.objects.get(alert=late).next_attempt_at == at(2026, 11, 26, 7, 15)  # then 10 minutes
    assert not Digest.objects.filter(sent_at__isnull=False).exists()

    settings.EMAIL_BACKEND = LOCMEM
    report = send_pending(at(2026, 11, 26, 7, 8))
    assert not report.had_errors and report.emails == 0  # both wait, until 07:15 and 07:09
    report = send_pending(at(2026, 11, 26, 7, 10))
    assert (report.immediate, report.digests) == (0, 1)
    report = send_pending(at(2026, 11, 26, 7, 15))
    assert (report.immediate, report.digests) == (1, 0)
    send_pending(at(2026, 11, 26, 7, 20))
    assert len(mail.outbox) == 2
    assert set(Delivery.objects.values_list("status", "last_error", "next_attempt_at")) == {("sent", "", None)}
    assert Delivery.objects.get(alert=late).attempts == 3
    assert set(Alert.objects.values_list("status", flat=True)) == {"sent"}


def test_the_wait_after_a_failed_attempt_doubles_from_minutes_to_a_cap_of_hours(settings):
    settings.VIGIE_ALERT_RETRY_BASE_SECONDS, settings.VIGIE_ALERT_RETRY_MAX_SECONDS = 300, 7200
    assert [retry_delay(n).total_seconds() / 60 for n in range(1, 10)] == [5, 10, 20, 40, 80, 120, 120, 120, 120]
    assert retry_delay(10_000) == dt.timedelta(hours=2)


def test_a_digest_failure_keeps_its_day_open_until_it_goes(settings):
    alert("soon")
    settings.EMAIL_BACKEND = FAILING
    assert send_pending(at(2026, 11, 26, 7)).had_errors
    assert Delivery.objects.get().attempts == 1
    settings.EMAIL_BACKEND = LOCMEM
    assert send_pending(at(2026, 11, 26, 8)).digests == 1
    assert send_pending(at(2026, 11, 26, 9)).digests == 0
    assert len(mail.outbox) == 1 and Digest.objects.get().sent_at == at(2026, 11, 26, 8)


def test_a_digest_whose_sending_was_not_recorded_goes_again_as_it_was_once_its_lease_is_over(monkeypatch):
    """Issue 9: the server accepted the digest, the database refused to record it. It goes again only when
    the lease of that attempt is over (5 minutes), with the same Message-ID and the same items: not the one
    that fired since (a mail client may keep only one message per Message-ID), which waits for the next
    day's digest as it would have after a digest recorded sent."""
    alert("soon", title="First one")
    record = sending._record_sent

    def refused(*args, **kwargs):
        raise OperationalError("database or disk is full")

    monkeypatch.setattr(sending, "_record_sent", refused)
    with pytest.raises(OperationalError):
        send_pending(at(2026, 11, 26, 7))
    monkeypatch.setattr(sending, "_record_sent", record)
    later = alert("urgent", title="Later one", fires=at(2026, 11, 26, 7, 2))
    assert send_pending(at(2026, 11, 26, 7, 4)).emails == 0 and len(mail.outbox) == 1
    report = send_pending(at(2026, 11, 26, 7, 5))
    assert (report.digests, report.deliveries, report.unrecorded) == (1, 1, 1)
    first, copy = mail.outbox
    digest = Digest.objects.get()
    assert first.extra_headers["Message-ID"] == copy.extra_headers["Message-ID"] == digest.message_id
    assert first.subject == copy.subject == "[Vigie] 1 échéance — 26/11/2026" and "Later one" not in copy.body
    delivery = Delivery.objects.exclude(alert=later).get()
    assert (delivery.status, delivery.attempts, delivery.digest, delivery.claimed_at) == ("sent", 2, digest, None)
    assert list(delivery.history.order_by("history_id").values_list("history_change_reason", flat=True)) == [
        None,
        "sending: attempt started",
        "sending again: the outcome of the previous attempt was not recorded",
        "sent",
    ]
    assert Delivery.objects.get(alert=later).attempts == 0
    assert send_pending(at(2026, 11, 27, 7)).digests == 1
    assert "Later one" in mail.outbox[2].body and mail.outbox[2].extra_headers["Message-ID"] != digest.message_id


def test_after_the_last_planned_attempt_a_delivery_is_escalated_and_still_retried_until_it_goes(settings):
    a = alert("overdue", immediate=True)
    settings.EMAIL_BACKEND = FAILING
    settings.VIGIE_ALERT_MAX_ATTEMPTS = 2
    settings.VIGIE_ESCALATION_EMAILS = ["it@example.org"]
    send_pending(at(2026, 11, 26, 7))
    report = send_pending(at(2026, 11, 26, 8))
    assert report.escalated == 1 and report.notices == 0  # the server is down: it would refuse that email too
    a.refresh_from_db()
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.escalated_at) == ("pending", 2, at(2026, 11, 26, 8))
    assert a.status == "pending"
    assert delivery.history.order_by("history_id").last().history_change_reason == (
        "send failed: escalated, still unsent after the last planned attempt"
    )
    assert Alert.objects.undelivered().get() == a
    assert send_pending(at(2026, 11, 26, 9)).escalated == 0  # escalated once
    settings.EMAIL_BACKEND = LOCMEM
    assert send_pending(at(2026, 11, 26, 12)).immediate == 1
    a.refresh_from_db()
    assert a.status == "sent" and len(mail.outbox) == 1 and not Alert.objects.undelivered().exists()


def test_french_by_default_english_wording_underneath(settings):
    alert("overdue")
    alert("soon")
    send_pending(at(2026, 11, 26, 7))
    message = mail.outbox[0]
    assert message.subject == "[Vigie] 2 échéances dont 1 en retard — 26/11/2026"
    assert "En retard" in message.body and "Échéance" in message.body


def test_an_overdue_request_gives_exactly_one_email_to_the_dpo_whatever_the_number_of_runs(settings):
    from gdpr.services import rights as rights_services
    from notifications.sweep import sweep
    from tests.factories import UserFactory

    settings.DPO_EMAILS = ["dpo@example.org"]
    rights_services.rights_request_create(
        actor=UserFactory(), received_at=at(2025, 1, 31), right="access", requester_name="Jeanne Test"
    )
    for hour in (1, 2, 7, 8):
        sweep(at(2025, 3, 10, hour))
        send_pending(at(2025, 3, 10, hour))
    assert len(mail.outbox) == 1  # the overdue alert, at once; nothing else is left for the digest
    assert mail.outbox[0].to == ["dpo@example.org"] and mail.outbox[0].subject.startswith("[Vigie] En retard")


def _parsed_subjects(message) -> tuple[list[bytes], str, str]:
    """The Subject header's physical lines as sent, and the subject as two standard parsers read it: the
    email package's current policy, and its compat32 one unfolded as RFC 5322 says (line breaks before a
    space removed) then decoded by decode_header (what older clients and mail filters do)."""
    import email
    import email.header
    import email.policy
    import re

    raw = message.message().as_bytes()
    lines = raw.split(b"\n\n", 1)[0].split(b"\n")
    first = next(i for i, line in enumerate(lines) if line.startswith(b"Subject:"))
    header = [lines[first]]
    for line in lines[first + 1 :]:
        if line[:1] not in (b" ", b"\t"):
            break
        header.append(line)
    modern = str(email.message_from_bytes(raw, policy=email.policy.default)["Subject"])
    folded = email.message_from_bytes(raw, policy=email.policy.compat32)["Subject"]
    legacy = str(email.header.make_header(email.header.decode_header(re.sub(r"\r?\n(?=[ \t])", "", folded))))
    return header, modern, legacy


@pytest.mark.parametrize(
    "title",
    [
        "Demande d'accès DSR-2026-00012 : réponse due le 12/03/2026, un mois après la réception (article 12.3)",
        "Conflict-of-interest case COI-2026-0003: analysis due on 12/03/2026, not qualified yet, still waiting",
        "Breach BR-1: notify the CNIL",
        "Élodie Lefèvre-Dupont : Sensibilisation RGPD à renouveler, compte jusqu'au 31/12/2026",
    ],
)
def test_a_subject_starts_with_vigie_after_any_standard_parsing_however_long(title):
    """A mail rule "subject starts with [Vigie]" must match every alert email: the header is folded after
    its first word, never before it (which a parser reads as a leading space)."""
    alert("overdue", immediate=True, title=title)
    send_pending(at(2026, 11, 26, 3), digests=False)
    message = mail.outbox[0]
    lines, modern, legacy = _parsed_subjects(message)
    assert lines[0].startswith(b"Subject: [Vigie] ")  # even a rule reading the raw header sees it first
    assert all(len(line) <= 78 for line in lines)  # folded, each line within the standard's length
    expected = f"[Vigie] En retard : {title}"
    assert modern == legacy == expected == message.subject
