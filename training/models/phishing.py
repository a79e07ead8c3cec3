"""Phishing simulation campaigns (the DPEF reports how many were run)."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.dates import format_date


class PhishingCampaign(models.Model):
    reference = models.CharField(_("reference"), max_length=32, unique=True)
    sent_on = models.DateField(_("sent on"), db_index=True)
    theme = models.CharField(_("theme"), max_length=200)
    targeted = models.PositiveIntegerField(_("people targeted"))
    clicked = models.PositiveIntegerField(_("people who clicked"), default=0)
    submitted_credentials = models.PositiveIntegerField(_("people who entered credentials"), null=True, blank=True)
    reported = models.PositiveIntegerField(_("people who reported it"), default=0)
    notes = models.TextField(_("notes"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("phishing campaign")
        verbose_name_plural = _("phishing campaigns")
        ordering = ["-sent_on", "reference"]
        constraints = [
            models.CheckConstraint(
                condition=Q(clicked__lte=F("targeted")) & Q(reported__lte=F("targeted")),
                name="phishing_counts_within_targeted",
                violation_error_message=_("Clicks and reports cannot exceed the people targeted."),
            ),
            models.CheckConstraint(
                condition=Q(submitted_credentials__isnull=True) | Q(submitted_credentials__lte=F("clicked")),
                name="phishing_credentials_within_clicks",
                violation_error_message=_("People who entered credentials clicked first."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} – {self.theme} ({format_date(self.sent_on)})"

    @property
    def click_rate(self):
        from core.figures import percent

        return percent(self.clicked, self.targeted)
