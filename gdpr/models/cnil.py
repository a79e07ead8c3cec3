"""CNIL referrals ("saisines") and complaints that reached the CNIL without a referral."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ..choices import CnilCaseKind
from ..querysets import CnilCaseQuerySet


class CnilCase(models.Model):
    reference = models.CharField(_("reference"), max_length=64, unique=True)
    kind = models.CharField(_("kind"), max_length=32, choices=CnilCaseKind.choices)
    cnil_reference = models.CharField(_("CNIL reference"), max_length=100, blank=True)
    received_on = models.DateField(_("received on"))
    # Entered from the CNIL's letter, never computed: there is no statutory period (RULES.md).
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
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("handler"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    notes = models.TextField(_("notes"), blank=True)
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


class CnilCaseAttachment(models.Model):
    """A letter from or to the CNIL, kept with its case."""

    case = models.ForeignKey(CnilCase, verbose_name=_("CNIL case"), on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to="gdpr/cnil/%Y/")
    description = models.CharField(_("description"), max_length=255, blank=True)
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("CNIL case attachment")
        verbose_name_plural = _("CNIL case attachments")
        ordering = ["uploaded_at"]

    def __str__(self) -> str:
        return self.description or self.file.name
