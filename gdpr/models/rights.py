"""Data-subject rights requests (GDPR Art. 12-22) and the ledger of their deadline events."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ..choices import (
    OPEN_REQUEST_STATUSES,
    Channel,
    DeadlineEventKind,
    Outcome,
    PauseReason,
    RefusalGround,
    RequesterCategory,
    RequestStatus,
    Right,
)
from ..querysets import RightsRequestQuerySet
from .fields import controller_entity


class RightsRequest(models.Model):
    """A request; its deadline columns are written only by gdpr.services (never typed in)."""

    reference = models.CharField(_("reference"), max_length=32, unique=True)
    requester_name = models.CharField(_("requester"), max_length=255, blank=True)
    requester_email = models.EmailField(_("requester email"), blank=True)
    requester_address = models.TextField(_("requester postal address"), blank=True)
    requester_category = models.CharField(
        _("requester category"), max_length=16, choices=RequesterCategory.choices, default=RequesterCategory.CLIENT
    )
    right = models.CharField(_("right exercised"), max_length=32, choices=Right.choices)
    other_rights = models.JSONField(_("other rights exercised"), default=list, blank=True)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, default=Channel.EMAIL)
    received_at = models.DateTimeField(_("received at"))
    processing_activities = models.ManyToManyField(
        "gdpr.ProcessingActivity",
        verbose_name=_("processing activities concerned"),
        blank=True,
        related_name="rights_requests",
    )
    entity = controller_entity()
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handler"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(_("status"), max_length=16, choices=RequestStatus.choices, default=RequestStatus.RECEIVED)
    # Deadline columns (docs/rules.md), recomputed by the services on every change.
    due_on = models.DateField(_("legal deadline"), null=True, blank=True)
    extended_due_on = models.DateField(_("extended deadline"), null=True, blank=True)
    # The deadline that applies now (extended when validly extended); null while a pause is open.
    applicable_due_on = models.DateField(_("applicable deadline"), null=True, blank=True)
    deadline_explanation = models.TextField(_("how the deadline was computed"), blank=True)
    extension_notified_at = models.DateTimeField(_("requester told of the extension at"), null=True, blank=True)
    extension_reason = models.TextField(_("reasons for the extension"), blank=True)
    # When the request ended: the answer, the refusal or the withdrawal (its outcome says which).
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    answer_channel = models.CharField(_("answer channel"), max_length=16, choices=Channel.choices, blank=True)
    refusal_ground = models.CharField(_("refusal ground"), max_length=24, choices=RefusalGround.choices, blank=True)
    complaint_right_notified = models.BooleanField(
        _("requester told of the right to complain to the CNIL"), default=False
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # Set by the personal-data retention (core/retention.py) when the record's personal data was erased.
    anonymised_on = models.DateField(_("anonymised on"), null=True, blank=True, editable=False)
    history = HistoricalRecords()

    objects = RightsRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("rights request")
        verbose_name_plural = _("rights requests")
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["received_at"], name="rightsrequest_received_idx"),
            # The list's order (newest first, then the newest row): read from the index.
            models.Index(fields=["-received_at", "-id"], name="rightsrequest_list_idx"),
            # The alert sweeps' and the "due soon" list's query: open requests by applicable deadline.
            models.Index(
                fields=["applicable_due_on"],
                name="rightsrequest_open_due_idx",
                condition=Q(status__in=OPEN_REQUEST_STATUSES),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(answered_at__isnull=True) | Q(answered_at__gte=F("received_at")),
                name="rightsrequest_answered_after_received",
                violation_error_message=_("The answer cannot be dated before the receipt."),
            ),
            models.CheckConstraint(
                condition=Q(extension_notified_at__isnull=True) | Q(extension_notified_at__gte=F("received_at")),
                name="rightsrequest_extension_after_received",
                violation_error_message=_("The extension cannot be notified before the receipt."),
            ),
            models.CheckConstraint(
                condition=Q(extended_due_on__isnull=True) | ~Q(extension_reason=""),
                name="rightsrequest_extension_has_reasons",
                violation_error_message=_("An extension needs its reasons (Art. 12(3))."),
            ),
            models.CheckConstraint(
                condition=~Q(status=RequestStatus.REFUSED) | ~Q(refusal_ground=""),
                name="rightsrequest_refusal_has_ground",
                violation_error_message=_("A refusal needs its ground (Art. 12(5))."),
            ),
            models.CheckConstraint(
                condition=Q(refusal_ground="") | Q(complaint_right_notified=True),
                name="rightsrequest_refusal_tells_complaint_right",
                violation_error_message=_(
                    "A refusal must tell the requester of the right to complain to the CNIL (Art. 12(4))."
                ),
            ),
            # An outcome is the result of an answer, and an answer has one: never one without the other.
            models.CheckConstraint(
                condition=(
                    (Q(outcome="") & Q(answered_at__isnull=True)) | (~Q(outcome="") & Q(answered_at__isnull=False))
                ),
                name="rightsrequest_outcome_iff_answered",
                violation_error_message=_("An answer date needs an outcome, and an outcome needs an answer date."),
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_REQUEST_STATUSES


class RightsRequestPause(models.Model):
    """The deadline is suspended while we wait for information we asked for (décret 2019-536)."""

    request = models.ForeignKey(
        RightsRequest, verbose_name=_("rights request"), on_delete=models.CASCADE, related_name="pauses"
    )
    reason = models.CharField(_("reason"), max_length=16, choices=PauseReason.choices, default=PauseReason.IDENTITY)
    asked_on = models.DateField(_("information asked on"))
    answered_on = models.DateField(_("information received on"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("pause")
        verbose_name_plural = _("pauses")
        ordering = ["asked_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(answered_on__isnull=True) | Q(answered_on__gte=F("asked_on")),
                name="pause_answered_after_asked",
                violation_error_message=_("The information cannot be received before it was asked for."),
            ),
            models.UniqueConstraint(
                fields=["request"],
                condition=Q(answered_on__isnull=True),
                name="pause_one_open_per_request",
                violation_error_message=_("A request has at most one open pause."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request.reference}: {self.asked_on} → {self.answered_on or '…'}"


class DeadlineEvent(models.Model):
    """Why a request's deadline is what it is: one row per computation, pause, resumption, extension."""

    request = models.ForeignKey(
        RightsRequest, verbose_name=_("rights request"), on_delete=models.CASCADE, related_name="deadline_events"
    )
    kind = models.CharField(_("event"), max_length=16, choices=DeadlineEventKind.choices)
    at = models.DateTimeField(_("at"), auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    due_on = models.DateField(_("legal deadline"), null=True, blank=True)
    extended_due_on = models.DateField(_("extended deadline"), null=True, blank=True)
    explanation = models.TextField(_("explanation"), blank=True)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("deadline event")
        verbose_name_plural = _("deadline events")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.request.reference}: {self.get_kind_display()}"
