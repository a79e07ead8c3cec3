"""CNIL referrals ("saisines") and complaints that reached the CNIL without a referral."""

from __future__ import annotations

import datetime as dt
from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ..choices import CnilCaseKind
from ..querysets import CnilCaseQuerySet as BaseCnilCaseQuerySet
from .fields import controller_entity


class CnilCaseQuerySet(BaseCnilCaseQuerySet):
    """The shared CNIL-case reads, plus those of the admin and API filters (candidates for querysets.py)."""

    def answered(self) -> Self:
        return self.filter(answered_on__isnull=False)

    def unanswered(self) -> Self:
        """Not answered yet, whatever the kind (a complaint without referral never needs an answer)."""
        return self.filter(answered_on__isnull=True)

    def due_before(self, day: dt.date) -> Self:
        """Cases awaiting their reply whose reply date is on or before `day` (overdue ones included)."""
        return self.awaiting_reply().filter(due_on__lte=day)

    def due_within(self, days: int, today: dt.date | None = None) -> Self:
        return self.due_before((today or timezone.localdate()) + dt.timedelta(days=days))


class CnilCase(models.Model):
    reference = models.CharField(_("reference"), max_length=64, unique=True)
    kind = models.CharField(_("kind"), max_length=32, choices=CnilCaseKind.choices)
    cnil_reference = models.CharField(_("CNIL reference"), max_length=100, blank=True)
    received_on = models.DateField(_("received on"))
    # Entered from the CNIL's letter, never computed: there is no statutory period (docs/rules.md). Required for
    # a referral; a complaint without referral has one when a CNIL letter sets it (the 2023 DPEF answered
    # such complaints "dans le délai prescrit (10 jours)").
    due_on = models.DateField(_("reply due on (CNIL letter)"), null=True, blank=True, db_index=True)
    answered_on = models.DateField(_("answered on"), null=True, blank=True)
    rights_request = models.ForeignKey(
        "gdpr.RightsRequest",
        verbose_name=_("rights request"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cnil_cases",
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
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # Set by the personal-data retention (core/retention.py) when the record's personal data was erased.
    anonymised_on = models.DateField(_("anonymised on"), null=True, blank=True, editable=False)
    history = HistoricalRecords()

    objects = CnilCaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("CNIL case")
        verbose_name_plural = _("CNIL cases")
        ordering = ["-received_on", "reference"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind=CnilCaseKind.REFERRAL) | Q(due_on__isnull=False),
                name="cnilcase_referral_has_due_on",
                violation_error_message=_("A referral needs the reply date set in the CNIL's letter."),
            ),
            models.CheckConstraint(
                condition=Q(answered_on__isnull=True) | Q(answered_on__gte=F("received_on")),
                name="cnilcase_answered_after_received",
                violation_error_message=_("The answer cannot be dated before the receipt."),
            ),
            models.CheckConstraint(
                condition=Q(due_on__isnull=True) | Q(due_on__gte=F("received_on")),
                name="cnilcase_due_after_received",
                violation_error_message=_("The reply date cannot be before the receipt."),
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_referral(self) -> bool:
        return self.kind == CnilCaseKind.REFERRAL


class CnilCaseAttachment(models.Model):
    """A letter from or to the CNIL, kept with its case (written by gdpr.services.cnil.cnil_case_attach)."""

    case = models.ForeignKey(
        CnilCase, verbose_name=_("CNIL case"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to="gdpr/cnil/%Y/")
    description = models.CharField(_("description"), max_length=255, blank=True)
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("CNIL case attachment")
        verbose_name_plural = _("CNIL case attachments")
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.description or self.filename

    @property
    def filename(self) -> str:
        """The stored file's name without its folder (a file always has a name once attached)."""
        return (self.file.name or "").rsplit("/", 1)[-1]
