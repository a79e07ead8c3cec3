"""Sending the ledger: immediate emails, one digest per recipient and Paris day, the "acknowledge" link.

`send_pending(now)` is the second step after the sweep (notifications/sweep.py):

1. every pending delivery of an immediate alert (breaches, anything overdue) that is due goes out at once,
   one email per delivery;
2. with `digests=True`, every other pending delivery goes in the daily digest of its recipient: one email
   per recipient and Paris day, its items grouped by urgency (overdue, urgent, soon, for information).
   A recipient's digest is due when one of its items is; it then carries all of them.

No transaction is open while an SMTP server talks. Each email goes in three steps:

1. claim, in a short transaction: its delivery rows are locked (`select_for_update(skip_locked=True)` on
   PostgreSQL: a second worker skips them; SQLite serialises writers) and get `attempts + 1`,
   `claimed_at` and a lease: `next_attempt_at` = the wait a failure of this attempt would earn (see
   below; never shorter than the run has lasted plus a few EMAIL_TIMEOUTs). A digest's `Digest` row,
   unique per (recipient, day), is created (or locked) and its deliveries point at it; the commit makes
   its id, hence its Message-ID, final. Nobody else claims a delivery before its lease is over;
2. send, with no transaction open (on SQLite the write lock is free for the web, the imports, the other
   workers while the server takes its time; on PostgreSQL no row stays locked);
3. record, in another short transaction: "sent" (`sent_at`, the digest's `sent_at`), or the failure.

SMTP errors (`smtplib.SMTPException`, `OSError`): one attempt is one SMTP conversation about a delivery,
so the deliveries of the email that failed keep the attempt of their claim, get `last_error`, and a
`next_attempt_at` before which no run tries them again: VIGIE_ALERT_RETRY_BASE_SECONDS (5 minutes),
doubled at each failure, capped at VIGIE_ALERT_RETRY_MAX_SECONDS (2 hours). The run stops at the first
error of the connection (the server is down: the others would fail too, and they keep their attempts, as
they were not claimed) and the report says `had_errors`. Nothing retries faster than that: the Celery
tasks do not retry, the beat schedule's next run sends what is due. A delivery is never given up by
itself: after VIGIE_ALERT_MAX_ATTEMPTS attempts (8: about 6 h 30 of failures) it is escalated
(`escalated_at`; the health page and the admin count it; the escalation addresses get an email when the
server takes mail, see `_notify_escalations`) and still tried every 2 hours, until it is sent, a person
closes it (notifications/services.py) or the alert is acknowledged.

Copies: when the outcome of an attempt is not recorded — the process dies after the server accepted the
email, or the database refuses the "sent" write (a full disk) and the run stops there with that error —
the delivery keeps its claim, and the email goes again only when the lease is over: 5, 10, 20, 40, 80
minutes, then every 2 hours after the attempts before it, exactly as after failures; with the same
Message-ID (`<vigie-alert-<alert>-<delivery>@host>`; `<vigie-digest-<id>@host>`, the digest carrying the
same items), so that a mail client can tell the copy. So a worker killed once sends that one email once
more; a database that keeps refusing to record sends one copy per planned attempt, the attempt that
follows the VIGIE_ALERT_MAX_ATTEMPTS-th escalates the delivery (its `last_error` says the outcome was not
recorded), and the first attempt recorded ends it. The claim that takes it again says so in the history.

An alert acknowledged before its email was claimed is not sent (its deliveries stay pending, out of the
way). Nor is one whose record no longer needs it: before the claims, the rule of each alert about to go is asked
again for its records (as the sweep asks it, `Rule.describe` or `Rule.items`); an alert whose record it no
longer gives with that deadline (the act was recorded, the record closed or deleted, the deadline changed)
has its unsent deliveries closed (REASON_NO_LONGER_DUE, status "failed": not sent) instead of emailing a
deadline already met, e.g. an acknowledgment recorded at 06:30 and the 07:00 digest. An email whose outcome
was not recorded still goes again as it was, and an alert of a rule no longer registered goes as before.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import time
from dataclasses import dataclass, field
from email.header import Header
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _, ngettext
from simple_history.utils import bulk_update_with_history

from .models import Alert, AlertStatus, Delivery, Digest, Urgency

logger = logging.getLogger(__name__)

ACK_SALT = "notifications.ack"
URGENCY_ORDER = (Urgency.OVERDUE, Urgency.URGENT, Urgency.SOON, Urgency.NOTICE)
SMTP_ERRORS = (smtplib.SMTPException, OSError)
#: Errors about one message only: the others can still go out in the same run.
MESSAGE_ERRORS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)
#: A lease outlasts the SMTP conversation about one email: this many EMAIL_TIMEOUTs (each step of it
#: waits at most one for the server: connecting, greeting, the envelope, the data and its answer).
CONVERSATION_TIMEOUTS = 4
REASON_CLAIMED = "sending: attempt started"
REASON_RETAKEN = "sending again: the outcome of the previous attempt was not recorded"
REASON_SENT = "sent"
REASON_FAILED = "send failed"
REASON_ESCALATED = "send failed: escalated, still unsent after the last planned attempt"
REASON_ESCALATED_UNRECORDED = "escalated: no attempt recorded as sent after the last planned one; sending again"
REASON_NOTIFIED = "escalation emailed"
REASON_NO_LONGER_DUE = "closed unsent: its record no longer needs it (done, closed, or another deadline)"
UNRECORDED_ERROR = (
    "the outcome of the attempt started at {at} was not recorded (the process stopped, or the "
    "database refused the write): the email may have gone; it goes again with the same Message-ID"
)


@dataclass
class SendReport:
    now: dt.datetime
    immediate: int = 0  # immediate emails sent
    digests: int = 0  # digests sent
    deliveries: int = 0  # deliveries marked sent
    escalated: int = 0  # deliveries this run escalated (still unsent after VIGIE_ALERT_MAX_ATTEMPTS attempts)
    notices: int = 0  # escalation emails sent
    unrecorded: int = 0  # deliveries claimed again after an attempt whose outcome was not recorded
    errors: list[str] = field(default_factory=list)
    stopped: bool = False  # at a connection error: the server is down
    failed_ids: list[int] = field(default_factory=list, repr=False)  # the deliveries of the failed emails
    started: float = field(default_factory=time.monotonic, repr=False)  # when the run began (monotonic clock)

    @property
    def had_errors(self) -> bool:
        return bool(self.errors)

    @property
    def emails(self) -> int:
        return self.immediate + self.digests


# --- the acknowledge link -----------------------------------------------------------------------------


def ack_token(alert_id: int, recipient: str) -> str:
    """A signed, timestamped token naming the alert and who acknowledges it (the link's only credential)."""
    return signing.TimestampSigner(salt=ACK_SALT).sign_object({"a": int(alert_id), "r": recipient})


def read_ack_token(token: str) -> tuple[int, str]:
    """(alert id, recipient); raises signing.BadSignature (SignatureExpired when too old)."""
    max_age = dt.timedelta(days=settings.VIGIE_ACK_MAX_AGE_DAYS)
    data = signing.TimestampSigner(salt=ACK_SALT).unsign_object(token, max_age=max_age)
    try:
        return int(data["a"]), str(data["r"])
    except (KeyError, TypeError, ValueError) as exc:
        raise signing.BadSignature("malformed acknowledge token") from exc


def ack_url(alert_id: int, recipient: str) -> str:
    return site_url(reverse("notifications:ack", args=[ack_token(alert_id, recipient)]))


def site_url(path: str) -> str:
    return settings.VIGIE_SITE_URL.rstrip("/") + path if path else ""


# --- sending --------------------------------------------------------------------------------------------


def retry_delay(attempts: int) -> dt.timedelta:
    """How long a delivery waits after its `attempts`-th failed attempt: VIGIE_ALERT_RETRY_BASE_SECONDS,
    doubled at each further failure, at most VIGIE_ALERT_RETRY_MAX_SECONDS (5, 10, 20, 40, 80 minutes,
    then every 2 hours by default): an outage of minutes costs an attempt or two, one of days is still
    retried every few hours."""
    base = float(settings.VIGIE_ALERT_RETRY_BASE_SECONDS)
    cap = float(settings.VIGIE_ALERT_RETRY_MAX_SECONDS)
    return dt.timedelta(seconds=min(cap, base * 2 ** min(max(attempts - 1, 0), 32)))


def escalation_recipients() -> list[str]:
    """Who is told of an undelivered alert email: VIGIE_ESCALATION_EMAILS, else the ADMINS of the settings."""
    configured = [address for address in getattr(settings, "VIGIE_ESCALATION_EMAILS", []) if address]
    if configured:
        return configured
    return [admin if isinstance(admin, str) else admin[1] for admin in getattr(settings, "ADMINS", [])]


def send_pending(now: dt.datetime | None = None, *, digests: bool = True) -> SendReport:
    """Send the immediate emails that are due, then (with `digests`) today's digests, then tell the
    escalation addresses of what could not be sent after the last planned attempt. Never raises on SMTP
    errors: see `SendReport.had_errors`. A database error (a claim or a record refused) stops the run and
    is raised: what was claimed keeps its lease (see the module's docstring)."""
    now = now or timezone.now()
    report = SendReport(now=now)
    mailer = _Mailer()
    try:
        with translation.override(settings.LANGUAGE_CODE):
            _close_no_longer_due(_pending(now).filter(_due(now), alert__immediate=True), now)
            report.stopped = not _send_immediate(mailer, report, now)
            if digests and not report.stopped:
                _close_no_longer_due(_without_digest(now), now)
                report.stopped = not _send_digests(mailer, report, now)
            if not report.stopped:
                _notify_escalations(mailer, report, now)
    finally:
        mailer.close()
    if report.had_errors:
        logger.warning("notifications: %d email(s) sent, errors: %s", report.emails, "; ".join(report.errors))
    return report


class _Mailer:
    """One connection for the run, opened at the first email."""

    def __init__(self) -> None:
        self.connection = get_connection(fail_silently=False)
        self.opened = False

    def send(self, message: EmailMultiAlternatives) -> None:
        if not self.opened:
            self.connection.open()
            self.opened = True
        message.connection = self.connection
        if not self.connection.send_messages([message]):
            raise smtplib.SMTPException("the email backend sent nothing")

    def close(self) -> None:
        if self.opened:
            try:
                self.connection.close()
            except SMTP_ERRORS:  # the server already went away
                pass


def _pending(now: dt.datetime) -> QuerySet[Delivery]:
    return Delivery.objects.filter(status=AlertStatus.PENDING, alert__fires_at__lte=now).exclude(
        alert__status=AlertStatus.ACKNOWLEDGED
    )


def _due(now: dt.datetime) -> Q:
    """Not waiting after a failed attempt, nor claimed by a run whose lease is not over."""
    return Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)


def _lock(queryset: QuerySet) -> QuerySet:
    if connection.vendor == "postgresql":
        return queryset.select_for_update(skip_locked=True, of=("self",))
    return queryset.select_for_update()


def _try_send(mailer: _Mailer, message: EmailMultiAlternatives, report: SendReport) -> tuple[str, bool]:
    """("", True) when sent; else (the error, whether the run can go on with other emails)."""
    try:
        mailer.send(message)
    except SMTP_ERRORS as exc:
        error = f"{type(exc).__name__}: {exc}"[:2000]
        report.errors.append(error)
        return error, isinstance(exc, MESSAGE_ERRORS)
    return "", True


def _lease(attempts: int, report: SendReport) -> dt.timedelta:
    """How long a claim keeps its deliveries from every other run: the wait a failure of this attempt would
    earn, so that an outcome that is never recorded repeats the email on the schedule of the retries; and
    never less than the run has lasted so far plus the longest SMTP conversation about one email, so that
    a run that is slow, not dead, is not doubled by another worker."""
    timeout = float(settings.EMAIL_TIMEOUT or 30)
    running = dt.timedelta(seconds=time.monotonic() - report.started + CONVERSATION_TIMEOUTS * timeout)
    return max(retry_delay(attempts), running)


def _claim(deliveries: list[Delivery], now: dt.datetime, report: SendReport, *, digest: Digest | None = None) -> None:
    """Start an attempt at the (locked) deliveries of one email: `attempts + 1`, `claimed_at`, the lease in
    `next_attempt_at`, the digest they go in. A delivery still claimed had an attempt whose outcome was
    never recorded: said in its `last_error` and history, and, past VIGIE_ALERT_MAX_ATTEMPTS such attempts
    or failures, escalated (the health page and the admin count it; no escalation email: the server took
    mail, it is the recording that failed)."""
    max_attempts = settings.VIGIE_ALERT_MAX_ATTEMPTS
    retaken, escalated = [], []
    for delivery in deliveries:
        if delivery.claimed_at is not None:
            retaken.append(delivery)
            delivery.last_error = UNRECORDED_ERROR.format(at=delivery.claimed_at.isoformat(timespec="seconds"))
            delivery._change_reason = REASON_RETAKEN  # type: ignore[attr-defined]  # simple-history reads it, on any model
            if delivery.attempts >= max_attempts and delivery.escalated_at is None:
                delivery.escalated_at = now
                delivery._change_reason = REASON_ESCALATED_UNRECORDED  # type: ignore[attr-defined]  # simple-history reads it, on any model
                escalated.append(delivery)
        delivery.attempts += 1
        delivery.claimed_at = now
        delivery.next_attempt_at = now + _lease(delivery.attempts, report)
        if digest is not None:
            delivery.digest = digest
    bulk_update_with_history(
        deliveries,
        Delivery,
        ["attempts", "claimed_at", "next_attempt_at", "digest", "last_error", "escalated_at"],
        default_change_reason=REASON_CLAIMED,
        default_date=now,
    )
    if retaken:
        report.unrecorded += len(retaken)
        logger.warning(
            "notifications: deliveries %s had an attempt whose outcome was not recorded: sent again",
            ", ".join(str(d.pk) for d in retaken),
        )
    if escalated:
        report.escalated += len(escalated)
        logger.error(
            "notifications: %d alert email(s) with no attempt recorded as sent after %d attempts, escalated "
            "(deliveries %s)",
            len(escalated),
            max_attempts,
            ", ".join(str(d.pk) for d in escalated),
        )


def _live_keys(rule: Any, now: dt.datetime, object_ids: set[int]) -> set[tuple[int, dt.datetime]]:
    """(record id, deadline) of the rule's current items among these records: what it would alert about now."""
    if rule.due_field:
        items = rule.describe(rule.records(now).filter(pk__in=sorted(object_ids)))
    else:
        items = rule.items(now)
    return {(item.object_id, item.due_at) for item in items if item.object_id in object_ids}


def _close_no_longer_due(deliveries: QuerySet[Delivery], now: dt.datetime) -> None:
    """Close the unsent `deliveries` (not claimed: one whose outcome was not recorded goes again as it was)
    whose alert's record its rule no longer gives with the alert's deadline (see the module's docstring).
    Per rule that has some: one read of its records."""
    from .registry import get_rule

    rows = list(
        deliveries.filter(claimed_at__isnull=True)
        .values_list("alert_id", "alert__rule", "alert__object_id", "alert__due_at")
        .distinct()
        .order_by("alert_id")
    )
    by_rule: dict[str, list[tuple[int, int, dt.datetime]]] = {}
    for alert_id, code, object_id, due_at in rows:
        by_rule.setdefault(code, []).append((alert_id, object_id, due_at))
    stale: set[int] = set()
    for code, alerts in by_rule.items():
        try:
            rule = get_rule(code)
        except KeyError:  # a rule no longer registered: nothing to ask, sent as before
            continue
        live = _live_keys(rule, now, {object_id for _alert, object_id, _due_at in alerts})
        stale.update(alert_id for alert_id, object_id, due_at in alerts if (object_id, due_at) not in live)
    if not stale:
        return
    with transaction.atomic():
        closed = list(
            _lock(
                Delivery.objects.filter(alert_id__in=stale, status=AlertStatus.PENDING, claimed_at__isnull=True)
            ).order_by("pk")
        )
        for delivery in closed:
            delivery.status, delivery.next_attempt_at = AlertStatus.FAILED, None
        bulk_update_with_history(
            closed,
            Delivery,
            ["status", "next_attempt_at"],
            default_change_reason=REASON_NO_LONGER_DUE,
            default_date=now,
        )
        settle_alerts({delivery.alert_id for delivery in closed}, now, reason=REASON_NO_LONGER_DUE)
    logger.info("notifications: %d delivery(ies) of alerts no longer due closed unsent", len(closed))


def _due_immediate(now: dt.datetime) -> list[int]:
    """The immediate deliveries to try now, in the order their alerts fired."""
    return list(
        _pending(now)
        .filter(_due(now), alert__immediate=True)
        .order_by("alert__fires_at", "pk")
        .values_list("pk", flat=True)
    )


def _claim_immediate(pk: int, now: dt.datetime, report: SendReport) -> Delivery | None:
    """The delivery, claimed (committed); None when another run has it, or sent it, meanwhile."""
    with transaction.atomic():
        delivery = _lock(_pending(now).filter(_due(now), pk=pk, alert__immediate=True)).select_related("alert").first()
        if delivery is not None:
            _claim([delivery], now, report)
    return delivery


def _send_immediate(mailer: _Mailer, report: SendReport, now: dt.datetime) -> bool:
    """Send every pending immediate delivery; False when the run must stop (the server is down)."""
    for pk in _due_immediate(now):
        delivery = _claim_immediate(pk, now, report)
        if delivery is None:
            continue
        error, go_on = _try_send(mailer, immediate_message(delivery), report)
        if error:
            _record_failure([delivery], error, now, report)
            if not go_on:
                return False
            continue
        _record_sent([delivery], now, report)
        report.immediate += 1
    return True


def _without_digest(now: dt.datetime) -> QuerySet[Delivery]:
    """The digest items fired by `now` of the recipients who have not had today's (Paris) digest."""
    done = Digest.objects.filter(day=timezone.localdate(now), sent_at__isnull=False).values("recipient")
    return _pending(now).filter(alert__immediate=False).exclude(recipient__in=done)


def digests_left(now: dt.datetime) -> bool:
    """Whether a recipient still waits for today's digest (its items may be waiting after a failed one)."""
    return _without_digest(now).exists()


def _due_recipients(now: dt.datetime) -> list[str]:
    """The recipients whose digest is due: one of its items is new, or its wait is over."""
    return list(
        _without_digest(now).filter(_due(now)).order_by("recipient").values_list("recipient", flat=True).distinct()
    )


def _send_digests(mailer: _Mailer, report: SendReport, now: dt.datetime) -> bool:
    for recipient in _due_recipients(now):
        while (claim := _claim_digest(recipient, now, report)) is not None:
            digest, deliveries, again = claim
            message = digest_message(digest, [d.alert for d in deliveries], now)
            error, go_on = _try_send(mailer, message, report)
            if error:
                _record_failure(deliveries, error, now, report)
                if not go_on:
                    return False
                break
            _record_sent(deliveries, now, report, digest=digest, message_id=message.extra_headers["Message-ID"])
            report.digests += 1
            if not again:
                break  # today's digest went; after a digest sent again (an earlier day's), today's may follow
    return True


def _claim_digest(recipient: str, now: dt.datetime, report: SendReport) -> tuple[Digest, list[Delivery], bool] | None:
    """A digest of `recipient` and its deliveries, claimed (committed): (digest, deliveries, sent again).

    A digest whose outcome was not recorded goes again as it was: its Digest row (its Message-ID) and the
    items it carried, not those that came since (a mail client may keep only one message per Message-ID).
    Else today's digest, with every pending item of the recipient. None when an attempt is under way
    (another run's lease), another run holds the digest, today's was sent, or there is nothing to send."""
    with transaction.atomic():
        items = Delivery.objects.filter(recipient=recipient, alert__immediate=False)
        if items.in_flight(now).exists():
            return None
        unrecorded = list(
            _lock(
                _pending(now).filter(
                    _due(now),
                    recipient=recipient,
                    alert__immediate=False,
                    claimed_at__isnull=False,
                    digest__isnull=False,
                )
            )
            .select_related("alert")
            .order_by("digest_id", "alert__due_at", "alert__pk")
        )
        if unrecorded:
            digest = _lock(Digest.objects.filter(pk=unrecorded[0].digest_id, sent_at__isnull=True)).first()
            if digest is None:  # another run holds it
                return None
            deliveries = [d for d in unrecorded if d.digest_id == digest.pk]
        else:
            digest = _digest_of_the_day(recipient, timezone.localdate(now), now)
            if digest is None or digest.deliveries.filter(status=AlertStatus.PENDING).exists():
                # Sent, held by another run, or its items of an attempt not recorded were all acknowledged
                # since: the day's digest is not sent again with other items under its Message-ID.
                return None
            deliveries = list(
                _lock(_pending(now).filter(recipient=recipient, alert__immediate=False, claimed_at__isnull=True))
                .select_related("alert")
                .order_by("alert__due_at", "alert__pk")
            )
            if not deliveries:
                if not digest.deliveries.exists():
                    digest.delete()  # nothing for it after all: leave the day open
                return None
        _claim(deliveries, now, report, digest=digest)
    return digest, deliveries, bool(unrecorded)


def _digest_of_the_day(recipient: str, day: dt.date, now: dt.datetime) -> Digest | None:
    """The unsent Digest row of (recipient, day), locked by this transaction; None when it was sent or
    another run holds it."""
    try:
        with transaction.atomic():  # a savepoint: losing the race on the unique constraint is not fatal
            digest, created = Digest.objects.get_or_create(recipient=recipient, day=day, defaults={"created_at": now})
    except IntegrityError:
        return None
    if created:
        return digest  # inserted by this transaction: nobody else sees it before the commit
    return _lock(Digest.objects.filter(pk=digest.pk, sent_at__isnull=True)).first()


def _record_sent(
    deliveries: list[Delivery],
    now: dt.datetime,
    report: SendReport,
    *,
    digest: Digest | None = None,
    message_id: str = "",
) -> None:
    """The server accepted the email: its deliveries (and its digest) are sent, in a short transaction.
    Also a delivery a person closed while it was on its way: it did go."""
    with transaction.atomic():
        rows = list(
            Delivery.objects.select_for_update()
            .filter(pk__in=[d.pk for d in deliveries], status__in=[AlertStatus.PENDING, AlertStatus.FAILED])
            .order_by("pk")
        )
        for row in rows:
            row.status, row.sent_at, row.last_error = AlertStatus.SENT, now, ""
            row.next_attempt_at = row.claimed_at = None
            row.digest = digest
        bulk_update_with_history(
            rows,
            Delivery,
            ["status", "sent_at", "last_error", "next_attempt_at", "claimed_at", "digest"],
            default_change_reason=REASON_SENT,
            default_date=now,
        )
        if digest is not None:
            digest.sent_at, digest.message_id, digest.items = now, message_id, len(deliveries)
            digest.save(update_fields=["sent_at", "message_id", "items"])
        settle_alerts({row.alert_id for row in rows}, now)
    report.deliveries += len(rows)


def _record_failure(deliveries: list[Delivery], error: str, now: dt.datetime, report: SendReport) -> None:
    """The attempt failed: the wait before the next one for each delivery of the email (its attempt was
    counted by the claim); past the last planned attempt, escalated (never given up: it stays pending).
    Not a delivery another run claimed since (its lease ran out), nor one a person closed meanwhile."""
    max_attempts = settings.VIGIE_ALERT_MAX_ATTEMPTS
    claimed = {delivery.pk: delivery.attempts for delivery in deliveries}
    escalated = []
    with transaction.atomic():
        rows = [
            row
            for row in Delivery.objects.select_for_update()
            .filter(pk__in=claimed, status=AlertStatus.PENDING)
            .order_by("pk")
            if row.attempts == claimed[row.pk]
        ]
        for row in rows:
            row.last_error = error
            row.next_attempt_at = now + retry_delay(row.attempts)
            row.claimed_at = row.digest = None  # not in flight any more; the digest is rebuilt next time
            if row.attempts >= max_attempts and row.escalated_at is None:
                row.escalated_at = now
                row._change_reason = REASON_ESCALATED  # type: ignore[attr-defined]  # simple-history reads it, on any model
                escalated.append(row)
        bulk_update_with_history(
            rows,
            Delivery,
            ["last_error", "next_attempt_at", "claimed_at", "digest", "escalated_at"],
            default_change_reason=REASON_FAILED,
            default_date=now,
        )
    report.failed_ids.extend(row.pk for row in rows)
    if escalated:
        report.escalated += len(escalated)
        logger.error(
            "notifications: %d alert email(s) still unsent after %d attempts, escalated (deliveries %s); "
            "retried every %s s until sent or closed: %s",
            len(escalated),
            max_attempts,
            ", ".join(str(d.pk) for d in escalated),
            settings.VIGIE_ALERT_RETRY_MAX_SECONDS,
            error,
        )


def _notify_escalations(mailer: _Mailer, report: SendReport, now: dt.datetime) -> None:
    """One email to the escalation addresses about the deliveries of this run that failed past their last
    planned attempt and that nobody was told of yet.

    Only when the server takes mail (the run did not stop at a connection error): a refused mailbox is
    worth telling someone else, while a server that is down would refuse this email too (the health page
    and the admin say it then). If this email fails, or cannot be recorded, they are told at the
    delivery's next failed attempt. Nothing is locked while it goes: the deliveries are this run's own
    failures, no other run fails them at the same time. The email names the recipient and the error, not
    the alert: what it is about stays behind the login of the admin, for the people who may see it."""
    recipients = escalation_recipients()
    if not recipients or not report.failed_ids:
        return
    deliveries = list(
        Delivery.objects.escalated()
        .unsealed()  # "the AML officer's alert bounced" would tip the escalation addresses off
        .filter(pk__in=report.failed_ids, escalation_notified_at__isnull=True)
        .order_by("pk")
    )
    if not deliveries:
        return
    error, _go_on = _try_send(mailer, escalation_message(deliveries, recipients), report)
    if error:
        return
    with transaction.atomic():
        rows = list(
            Delivery.objects.select_for_update()
            .filter(pk__in=[d.pk for d in deliveries], escalation_notified_at__isnull=True)
            .order_by("pk")
        )
        for row in rows:
            row.escalation_notified_at = now
        bulk_update_with_history(
            rows, Delivery, ["escalation_notified_at"], default_change_reason=REASON_NOTIFIED, default_date=now
        )
    report.notices += 1


def settle_alerts(alert_ids: set[int], now: dt.datetime, *, reason: str = REASON_SENT, actor: Any = None) -> None:
    """An alert is sent when all its deliveries are; failed when none is pending and one was closed unsent.
    A failed one is settled again: an email a person closed while it was on its way may have gone."""
    changed = []
    alerts = Alert.objects.filter(pk__in=alert_ids, status__in=[AlertStatus.PENDING, AlertStatus.FAILED]).annotate(
        open=Count("deliveries", filter=Q(deliveries__status=AlertStatus.PENDING)),
        failed=Count("deliveries", filter=Q(deliveries__status=AlertStatus.FAILED)),
    )
    for alert in alerts:
        status = AlertStatus.FAILED if alert.failed else AlertStatus.SENT
        if alert.open == 0 and alert.status != status:
            alert.status = status
            changed.append(alert)
    if changed:
        bulk_update_with_history(
            changed, Alert, ["status"], default_change_reason=reason[:100], default_user=actor, default_date=now
        )


# --- the emails -----------------------------------------------------------------------------------------


def _host() -> str:
    return urlsplit(settings.VIGIE_SITE_URL).hostname or "vigie"


def format_due(due_at: dt.datetime) -> str:
    """A deadline in Paris time: the day alone when it is a day (midnight), else the day and the hour."""
    local = timezone.localtime(due_at)
    if local.time() == dt.time(0):
        return date_format(local.date(), "SHORT_DATE_FORMAT")
    return date_format(local, "SHORT_DATETIME_FORMAT")


def _item(alert: Alert, recipient: str) -> dict:
    return {
        "alert": alert,
        "title": alert.title,
        "label": alert.object_label,
        "urgency": Urgency(alert.urgency).label if alert.urgency in Urgency.values else alert.urgency,
        "rule": alert.rule_display(),
        "threshold": alert.threshold_display(),
        "due": format_due(alert.due_at),
        "explanation": alert.explanation,
        "url": site_url(alert.admin_path),
        "ack_url": ack_url(alert.pk, recipient),
    }


def digest_subject(count: int, overdue: int, day: dt.date) -> str:
    values = {"count": count, "overdue": overdue, "day": date_format(day, "SHORT_DATE_FORMAT")}
    if overdue:
        return (
            ngettext(
                "[Vigie] %(count)d deadline including %(overdue)d overdue — %(day)s",
                "[Vigie] %(count)d deadlines including %(overdue)d overdue — %(day)s",
                count,
            )
            % values
        )
    return ngettext("[Vigie] %(count)d deadline — %(day)s", "[Vigie] %(count)d deadlines — %(day)s", count) % values


def digest_context(recipient: str, alerts: list[Alert], day: dt.date) -> dict:
    """The digest's records, each once (`records`), grouped by the urgency of its most urgent alert; a
    record with alerts of several rules (a rights request's deadline and its extension decision) lists them
    all as its reasons. The counts are of records."""
    rank = {urgency.value: index for index, urgency in enumerate(URGENCY_ORDER)}
    records = _records(alerts, recipient, rank)
    groups = []
    for urgency in URGENCY_ORDER:
        items = [record for record in records if record["urgency_code"] == urgency.value]
        if items:
            groups.append({"code": urgency.value, "label": urgency.label, "items": items})
    others = [record for record in records if record["urgency_code"] not in rank]
    if others:
        groups.append({"code": "other", "label": _("Other"), "items": others})
    overdue = sum(1 for record in records if record["urgency_code"] == Urgency.OVERDUE)
    return {
        "recipient": recipient,
        "day": day,
        "day_label": date_format(day, "SHORT_DATE_FORMAT"),
        "groups": groups,
        "count": len(records),
        "overdue": overdue,
        "site_url": settings.VIGIE_SITE_URL,
        "subject": digest_subject(len(records), overdue, day),
    }


def _records(alerts: list[Alert], recipient: str, rank: dict[str, int]) -> list[dict]:
    """One entry per record (kind and id) of `alerts`, in the order they come, its alerts as `reasons`
    (the most urgent first): the entry takes its title, urgency and link from the first reason."""
    by_record: dict[tuple[int, int], list[Alert]] = {}
    for alert in alerts:
        by_record.setdefault((alert.content_type_id, alert.object_id), []).append(alert)
    records = []
    for grouped in by_record.values():
        grouped.sort(key=lambda a: (rank.get(a.urgency, len(rank)), a.due_at, a.pk))
        reasons = [_item(alert, recipient) for alert in grouped]
        first = reasons[0]
        records.append(
            {
                **first,
                "urgency_code": grouped[0].urgency,
                "reasons": reasons,
                # The other reasons' own wording, when it says more than the record's title.
                "other_titles": [r["title"] for r in reasons[1:] if r["title"] != first["title"]],
            }
        )
    return records


def digest_message(digest: Digest, alerts: list[Alert], now: dt.datetime) -> EmailMultiAlternatives:
    context = digest_context(digest.recipient, alerts, digest.day)
    return _message(
        context["subject"], "notifications/digest", context, [digest.recipient], f"<vigie-digest-{digest.pk}@{_host()}>"
    )


def immediate_message(delivery: Delivery) -> EmailMultiAlternatives:
    alert = delivery.alert
    item = _item(alert, delivery.recipient)
    if alert.urgency == Urgency.OVERDUE:
        subject = _("[Vigie] Overdue: %(title)s") % {"title": alert.title}
    else:
        subject = _("[Vigie] %(urgency)s: %(title)s") % {"urgency": item["urgency"], "title": alert.title}
    context = {"recipient": delivery.recipient, "item": item, "subject": subject, "site_url": settings.VIGIE_SITE_URL}
    return _message(
        subject,
        "notifications/immediate",
        context,
        [delivery.recipient],
        f"<vigie-alert-{alert.pk}-{delivery.pk}@{_host()}>",
    )


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds >= 3600 and seconds % 3600 == 0:
        return ngettext("%(count)d hour", "%(count)d hours", seconds // 3600) % {"count": seconds // 3600}
    minutes = max(1, round(seconds / 60))
    return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}


def escalation_message(deliveries: list[Delivery], recipients: list[str]) -> EmailMultiAlternatives:
    """Which alert emails could not be delivered: to whom, after how many attempts, the last error, a link
    to the alert in the admin. Not the alert's title or record (the escalation addresses may not be
    entitled to them)."""
    items = [
        {
            "recipient": d.recipient,
            "attempts": d.attempts,
            "error": d.last_error,
            "since": date_format(timezone.localtime(d.escalated_at), "SHORT_DATETIME_FORMAT"),
            "url": site_url(reverse("admin:notifications_alert_change", args=[d.alert_id])),
        }
        for d in deliveries
    ]
    count = len(items)
    subject = ngettext(
        "[Vigie] %(count)d alert email could not be delivered",
        "[Vigie] %(count)d alert emails could not be delivered",
        count,
    ) % {"count": count}
    context = {
        "subject": subject,
        "items": items,
        "count": count,
        "site_url": settings.VIGIE_SITE_URL,
        "attempts": settings.VIGIE_ALERT_MAX_ATTEMPTS,
        "interval": _duration(settings.VIGIE_ALERT_RETRY_MAX_SECONDS),
    }
    return _message(
        subject,
        "notifications/escalation",
        context,
        recipients,
        f"<vigie-escalation-{deliveries[0].pk}-{count}@{_host()}>",
    )


class _Email(EmailMultiAlternatives):
    """An alert email whose Subject header starts with its first word after any standard parsing.

    Django encodes a non-ASCII subject as RFC 2047 words folded for a line of their own, which the generator
    then puts on the line after "Subject:"; unfolded, the subject reads " [Vigie] …" with a space in front
    and a mail rule "starts with [Vigie]" misses it. Here the header is folded knowing its name
    (`subject_header`): the first word stays on the "Subject:" line, as plain text; an ASCII subject is
    folded at spaces only when longer than a line, the rest of a non-ASCII one written as encoded words
    (RFC 2047's limit of 75 characters each), which parsers join without a space.
    """

    def message(self, **kwargs: Any) -> Any:  # Django 6 adds a `policy` argument
        message = super().message(**kwargs)
        message.replace_header("Subject", subject_header(str(self.subject)))
        return message


def subject_header(subject: str) -> Header:
    """The Subject header of `subject`, folded after its first word. An ASCII subject stays plain text; in
    another one the first word (`[Vigie]`) stays plain too, then the rest as encoded words: even a rule
    that reads the raw header sees "Subject: [Vigie] …"."""
    if subject.isascii():
        return Header(subject, "us-ascii", header_name="Subject")
    first, space, rest = subject.partition(" ")
    if not space or not first.isascii():
        return Header(subject, "utf-8", header_name="Subject")
    header = Header(first + " ", "us-ascii", header_name="Subject")
    header.append(rest, "utf-8")
    return header


def _message(
    subject: str, template: str, context: dict, recipients: list[str], message_id: str
) -> EmailMultiAlternatives:
    subject = " ".join(subject.split())[:250]  # no newline in a header
    text = render_to_string(f"{template}.txt", context)
    html = render_to_string(f"{template}.html", context)
    message = _Email(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=recipients,
        headers={"Message-ID": message_id, "Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(html, "text/html")
    return message
