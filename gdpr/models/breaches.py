"""Personal-data breaches (GDPR Art. 33-34): the 72-hour clock, the decision, the notifications."""

from __future__ import annotations

import datetime as dt
from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ..choices import NotificationPhase, RiskLevel, SubjectsExemption
from ..querysets import BreachQuerySet as BaseBreachQuerySet, paris_year_bounds
from .fields import controller_entity


class BreachQuerySet(BaseBreachQuerySet):
    """The shared breach reads, plus those of the register's filters (candidates for querysets.py)."""

    def overdue(self, now: dt.datetime | None = None) -> Self:
        """The clock runs (not notified, not decided "no notification") and 72 hours have passed."""
        return self.awaiting_decision_or_notification().filter(notification_due_at__lt=now or timezone.now())

    def notified(self) -> Self:
        return self.filter(notified_at__isnull=False)

    def not_notified(self) -> Self:
        return self.filter(notified_at__isnull=True)

    def notified_late(self) -> Self:
        """Initial notification after the 72 hours (reasons for the delay recorded, Art. 33(1))."""
        return self.filter(notified_at__gt=F("notification_due_at"))

    def notified_within_72h(self) -> Self:
        return self.filter(notified_at__lte=F("notification_due_at"))

    def aware_in(self, year: int) -> Self:
        start, end = paris_year_bounds(year)
        return self.filter(aware_at__gte=start, aware_at__lt=end)


class Breach(models.Model):
    """Every breach is in the register (Art. 33(5)), notified or not. Written by gdpr.services.breaches."""

    reference = models.CharField(_("reference"), max_length=64, unique=True)
    title = models.CharField(_("title"), max_length=255, blank=True)
    description = models.TextField(_("facts"), blank=True)
    occurred_at = models.DateTimeField(_("occurred at"), null=True, blank=True)
    # The clock starts at our awareness (EDPB Guidelines 9/2022); a processor's dates are kept too.
    aware_at = models.DateTimeField(_("aware at"))
    processor_aware_at = models.DateTimeField(_("processor aware at"), null=True, blank=True)
    processor_informed_at = models.DateTimeField(_("processor informed us at"), null=True, blank=True)
    notification_due_at = models.DateTimeField(_("notification due at (72 h)"), db_index=True)
    risk_level = models.CharField(_("risk to people"), max_length=8, choices=RiskLevel.choices, blank=True)
    risk_reasoning = models.TextField(_("risk assessment reasoning"), blank=True)
    # None: not decided yet; False: decided not to notify (reasoning required, Art. 33(5)).
    notification_required = models.BooleanField(_("notification to the CNIL required"), null=True, blank=True)
    decision_reasoning = models.TextField(_("reasoning of the decision"), blank=True)
    notified_at = models.DateTimeField(_("initial notification at"), null=True, blank=True)
    cnil_notification_reference = models.CharField(_("CNIL notification reference"), max_length=100, blank=True)
    delay_reasons = models.TextField(_("reasons for the delay (Art. 33(1))"), blank=True)
    high_risk = models.BooleanField(_("high risk to people (Art. 34)"), default=False)
    subjects_informed_at = models.DateTimeField(_("data subjects informed at"), null=True, blank=True)
    subjects_exemption = models.CharField(
        _("exemption from informing data subjects"), max_length=16, choices=SubjectsExemption.choices, blank=True
    )
    subjects_exemption_reasoning = models.TextField(_("why the exemption applies (Art. 34(3))"), blank=True)
    subject_categories = models.TextField(_("categories of data subjects"), blank=True)
    subjects_count = models.PositiveIntegerField(_("approximate number of people"), null=True, blank=True)
    data_categories = models.TextField(_("categories of personal data"), blank=True)
    records_count = models.PositiveIntegerField(_("approximate number of records"), null=True, blank=True)
    likely_consequences = models.TextField(_("likely consequences"), blank=True)
    measures = models.TextField(_("measures taken or proposed"), blank=True)
    entity = controller_entity()
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handler"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # Set by the personal-data retention (core/retention.py) when the record's personal data was erased.
    anonymised_on = models.DateField(_("anonymised on"), null=True, blank=True, editable=False)
    history = HistoricalRecords()

    objects = BreachQuerySet.as_manager()

    class Meta:
        verbose_name = _("personal-data breach")
        verbose_name_plural = _("personal-data breaches")
        ordering = ["-aware_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(notified_at__isnull=True) | Q(notified_at__gte=F("aware_at")),
                name="breach_notified_after_aware",
                violation_error_message=_("The notification cannot be dated before awareness."),
            ),
            models.CheckConstraint(
                condition=Q(notified_at__isnull=True)
                | Q(notified_at__lte=F("notification_due_at"))
                | ~Q(delay_reasons=""),
                name="breach_late_notification_has_reasons",
                violation_error_message=_("A notification after 72 hours must give the reasons for the delay."),
            ),
            models.CheckConstraint(
                condition=~Q(notification_required=False) | ~Q(decision_reasoning=""),
                name="breach_no_notification_is_reasoned",
                violation_error_message=_("Deciding not to notify needs its reasoning (Art. 33(5))."),
            ),
            models.CheckConstraint(
                condition=Q(subjects_informed_at__isnull=True) | Q(subjects_informed_at__gte=F("aware_at")),
                name="breach_subjects_informed_after_aware",
                violation_error_message=_("The data subjects cannot be informed before awareness."),
            ),
            models.CheckConstraint(
                condition=Q(subjects_exemption="") | ~Q(subjects_exemption_reasoning=""),
                name="breach_exemption_is_reasoned",
                violation_error_message=_("An exemption from informing the data subjects needs its reasoning."),
            ),
            models.CheckConstraint(
                condition=Q(processor_aware_at__isnull=True)
                | Q(processor_informed_at__isnull=True)
                | Q(processor_informed_at__gte=F("processor_aware_at")),
                name="breach_processor_informed_after_aware",
                violation_error_message=_("The processor cannot have told us before it was aware."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} – {self.title}" if self.title else self.reference

    @property
    def notified_within_72h(self) -> bool | None:
        """None while not notified."""
        if self.notified_at is None:
            return None
        return self.notified_at <= self.notification_due_at

    @property
    def clock_stopped(self) -> bool:
        """The 72-hour clock no longer matters: notified, or decided not to notify."""
        return self.notified_at is not None or self.notification_required is False


class BreachNotification(models.Model):
    """One phase of the notification to the CNIL (Art. 33(4)): initial, then complementary."""

    breach = models.ForeignKey(Breach, verbose_name=_("breach"), on_delete=models.CASCADE, related_name="notifications")
    phase = models.CharField(_("phase"), max_length=16, choices=NotificationPhase.choices)
    sent_at = models.DateTimeField(_("sent at"))
    cnil_reference = models.CharField(_("CNIL reference"), max_length=100, blank=True)
    content = models.TextField(_("content"), blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("breach notification")
        verbose_name_plural = _("breach notifications")
        ordering = ["sent_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["breach"],
                condition=Q(phase=NotificationPhase.INITIAL),
                name="breach_one_initial_notification",
                violation_error_message=_("A breach has one initial notification; later ones are complementary."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.breach.reference} – {self.get_phase_display()}"
