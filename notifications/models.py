"""The alert ledger: one row per (object, rule, threshold) for a given deadline, and one delivery per
recipient.

A sweep (notifications/sweep.py) creates the rows of the thresholds crossed since the last one; the
unique constraint makes a second sweep, or two at once, create nothing more. Sending (a separate step,
notifications/sending.py) claims the pending deliveries that are due (a failed one waits for its
`next_attempt_at`, a claimed one for the end of its lease), sends with no transaction open, then marks
them sent. `DailyRun` records that a day's sweep or digests were done, so that a missed beat trigger is caught
up by the next hourly one (notifications/jobs.py).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .querysets import AlertQuerySet, DeliveryQuerySet
from .registry import rule_label, threshold_words


class Urgency(models.TextChoices):
    OVERDUE = "overdue", _("Overdue")
    URGENT = "urgent", _("Urgent")
    SOON = "soon", _("Due soon")
    NOTICE = "notice", _("For information")


class AlertStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")


class Alert(models.Model):
    rule = models.CharField(_("rule"), max_length=64, db_index=True)
    threshold = models.CharField(_("threshold"), max_length=32)
    content_type = models.ForeignKey(
        ContentType, verbose_name=_("kind of record"), on_delete=models.PROTECT, related_name="+"
    )
    object_id = models.PositiveBigIntegerField(_("record id"))
    target = GenericForeignKey("content_type", "object_id")
    object_label = models.CharField(_("record"), max_length=255)
    due_at = models.DateTimeField(_("due at"), help_text=_("The deadline the alert is about."))
    fires_at = models.DateTimeField(_("threshold crossed at"))
    urgency = models.CharField(_("urgency"), max_length=16, choices=Urgency.choices)
    immediate = models.BooleanField(
        _("sent at once"), default=False, help_text=_("Otherwise it goes in the daily digest.")
    )
    title = models.CharField(_("title"), max_length=255)
    explanation = models.TextField(_("why this date"), blank=True)
    admin_path = models.CharField(_("admin page"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    status = models.CharField(
        _("status"), max_length=16, choices=AlertStatus.choices, default=AlertStatus.PENDING, db_index=True
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.CharField(_("acknowledged by"), max_length=254, blank=True)
    unaddressed = models.BooleanField(
        _("no recipient"),
        default=False,
        db_index=True,
        help_text=_(
            "Nobody could be found to send it to (no handler, no contact of the entity, nobody holding the "
            "role, no address in the settings): an administrator must name someone."
        ),
    )
    history = HistoricalRecords()

    objects = AlertQuerySet.as_manager()

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                # The deadline is part of the key: an extended deadline gets its own alerts.
                fields=["content_type", "object_id", "rule", "threshold", "due_at"],
                name="alert_once_per_object_rule_threshold",
                violation_error_message=_("This alert already exists for this record and threshold."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.threshold_display()})"

    # The codes stay in the ledger (and as filter values); people read these.
    def rule_display(self) -> str:
        return rule_label(self.rule)

    def threshold_display(self) -> str:
        return threshold_words(self.threshold)


class Digest(models.Model):
    """The daily email of one recipient: at most one per recipient and Paris day (the unique constraint).

    The row is committed when a run claims its deliveries (they point at it), before the email goes out:
    its id, hence its Message-ID, does not change when the email has to go again. It is marked sent with
    its deliveries once the server accepted it; a row without `sent_at` is a digest whose sending failed,
    or whose outcome was not recorded, and will be tried again.
    """

    recipient = models.EmailField(_("recipient"))
    day = models.DateField(_("day"), help_text=_("The day of the digest, in Paris time."))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    message_id = models.CharField(_("message id"), max_length=255, blank=True)
    items = models.PositiveIntegerField(_("items"), default=0)

    class Meta:
        verbose_name = _("digest")
        verbose_name_plural = _("digests")
        ordering = ["-day", "recipient"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "day"],
                name="digest_once_per_recipient_and_day",
                violation_error_message=_("This recipient already has a digest that day."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.recipient} {self.day:%Y-%m-%d}"


class Delivery(models.Model):
    """The alert to one recipient: sent once, in the digest of a day or at once.

    An attempt (one SMTP conversation about it) starts with a claim: `attempts + 1`, `claimed_at`, and a
    `next_attempt_at` that is the claim's lease. A failed attempt pushes `next_attempt_at` further away
    (the wait doubles, up to a cap of hours); one whose outcome was not recorded (the process stopped, or
    the database refused the write) is tried again when the lease ends, on the same schedule. It is never
    given up by itself: after VIGIE_ALERT_MAX_ATTEMPTS it is escalated (`escalated_at`: the health page,
    the admin, an email to the escalation addresses when the server refuses the mailbox) and
    still tried at the capped interval, until it is sent or a person closes it ("failed", with who and
    why in its history) or acknowledges the alert.
    """

    alert = models.ForeignKey(Alert, verbose_name=_("alert"), on_delete=models.CASCADE, related_name="deliveries")
    recipient = models.EmailField(_("recipient"))
    status = models.CharField(
        _("status"), max_length=16, choices=AlertStatus.choices[:3], default=AlertStatus.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    digest = models.ForeignKey(
        Digest,
        verbose_name=_("digest"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deliveries",
        help_text=_("The daily email it went out in."),
    )
    next_attempt_at = models.DateTimeField(
        _("next attempt"),
        null=True,
        blank=True,
        help_text=_(
            "It is not tried again before this time: the wait after a failed attempt, or the lease of the "
            "attempt under way. Empty: as soon as it is due."
        ),
    )
    escalated_at = models.DateTimeField(
        _("escalated at"),
        null=True,
        blank=True,
        help_text=_(
            "When it still could not be sent after the last planned attempt: administrators were warned; "
            "it is still tried until it is sent or closed."
        ),
    )
    claimed_at = models.DateTimeField(
        _("attempt started at"),
        null=True,
        blank=True,
        help_text=_(
            "When a sending run took it for its latest attempt; empty once the outcome is recorded. Still "
            "set after the next attempt time: that outcome was lost (the process stopped, or the database "
            "could not record it) and the email may have gone; it goes again, with the same Message-ID."
        ),
    )
    escalation_notified_at = models.DateTimeField(
        _("escalation emailed at"),
        null=True,
        blank=True,
        help_text=_("When the escalation addresses were told by email that it could not be sent."),
    )
    history = HistoricalRecords()

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["alert", "recipient"]
        constraints = [
            models.UniqueConstraint(
                fields=["alert", "recipient"],
                name="delivery_once_per_recipient",
                violation_error_message=_("This alert already goes to this recipient."),
            ),
            # A retry time means "still to send": a sent or closed delivery has none.
            models.CheckConstraint(
                condition=models.Q(status=AlertStatus.PENDING) | models.Q(next_attempt_at__isnull=True),
                name="delivery_retry_only_when_pending",
                violation_error_message=_("Only an unsent delivery has a next attempt."),
            ),
            # An attempt under way (or whose outcome was lost) is about an unsent delivery.
            models.CheckConstraint(
                condition=models.Q(status=AlertStatus.PENDING) | models.Q(claimed_at__isnull=True),
                name="delivery_claimed_only_when_pending",
                violation_error_message=_("Only an unsent delivery has an attempt under way."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.alert} → {self.recipient}"


class DailyJob(models.TextChoices):
    SWEEP = "sweep", _("Daily sweep")
    DIGESTS = "digests", _("Daily digests")


class DailyRun(models.Model):
    """A daily job done for a Paris day: the sweep of every rule, or the digests of the day (all sent).

    Beat has one trigger a day for each (00:15, VIGIE_DIGEST_HOUR) and loses a trigger it cannot hand to
    the broker; the hourly tick does the job while the day has no row (notifications/jobs.py). A
    technical record, like `Digest`, without history: one row per job and day, written once.
    """

    job = models.CharField(_("job"), max_length=16, choices=DailyJob.choices)
    day = models.DateField(_("day"), help_text=_("The Paris day the job was done for."))
    done_at = models.DateTimeField(_("done at"))

    class Meta:
        verbose_name = _("daily run")
        verbose_name_plural = _("daily runs")
        ordering = ["-day", "job"]
        constraints = [
            models.UniqueConstraint(
                fields=["job", "day"],
                name="daily_run_once_per_job_and_day",
                violation_error_message=_("This job was already done that day."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.job} {self.day:%Y-%m-%d}"


class Absence(models.Model):
    """A person away (holidays, leave) from `starts_on` to `ends_on` (both included, Paris days): their alerts
    go to `deputy` as well during that range (a breach does not wait for the DPO to come back)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("person away"), on_delete=models.CASCADE, related_name="absences"
    )
    deputy = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("deputy"), on_delete=models.CASCADE, related_name="deputising"
    )
    starts_on = models.DateField(_("first day away"))
    ends_on = models.DateField(_("last day away"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("absence")
        verbose_name_plural = _("absences")
        ordering = ["-starts_on", "pk"]
        indexes = [models.Index(fields=["starts_on", "ends_on"], name="absence_range_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")),
                name="absence_ends_not_before_start",
                violation_error_message=_("The last day away cannot be before the first day away."),
            ),
            models.CheckConstraint(
                condition=~Q(deputy=F("user")),
                name="absence_deputy_not_self",
                violation_error_message=_("A person cannot be their own deputy."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.deputy} ({self.starts_on:%Y-%m-%d} – {self.ends_on:%Y-%m-%d})"


class CalendarFeed(models.Model):
    """A person's iCalendar feed of their deadlines: the secret in its URL is stored as a SHA-256 digest only;
    renewing it replaces the digest (the old URL answers 404 from then on)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token_digest = models.CharField(_("secret (digest)"), max_length=64, unique=True, editable=False)
    renewed_at = models.DateTimeField(_("secret renewed at"), default=timezone.now)
    history = HistoricalRecords(excluded_fields=["token_digest"])

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self) -> str:
        return str(self.user)
