"""Vigilance alerts: raised, analysed, decided (closed, enhanced examination, report to TRACFIN)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ..choices import AlertSource, AlertStatus, Decision
from ..querysets import AlertQuerySet
from .counterparties import entity_field


class Alert(models.Model):
    reference = models.CharField(_("reference"), max_length=32, unique=True)
    raised_at = models.DateTimeField(_("raised at"), db_index=True)
    source = models.CharField(_("source"), max_length=24, choices=AlertSource.choices)
    reason = models.TextField(_("reason"))
    counterparty = models.ForeignKey(
        "aml.Counterparty",
        verbose_name=_("counterparty"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="alerts",
    )
    amount_eur = models.DecimalField(_("amount (EUR)"), max_digits=14, decimal_places=2, null=True, blank=True)
    entity = entity_field()
    hit = models.OneToOneField(
        "aml.Hit",
        verbose_name=_("screening hit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="alert",
    )
    status = models.CharField(_("status"), max_length=16, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    analyst = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("analyst"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Written by the services: the raised day (Paris) + VIGIE_AML_ANALYSIS_DAYS.
    analysis_due_on = models.DateField(_("analysis due on"), db_index=True)
    decision = models.CharField(_("decision"), max_length=24, choices=Decision.choices, blank=True)
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decision_reason = models.TextField(_("reasons for the decision"), blank=True)
    # The written report of an enhanced examination (CMF L.561-10-2), kept 5 years.
    enhanced_report = models.TextField(_("enhanced examination report"), blank=True)
    enhanced_report_on = models.DateField(_("report written on"), null=True, blank=True)
    enhanced_report_file = models.FileField(_("report file"), upload_to="aml/enhanced/%Y/", blank=True)
    tracfin_reported_on = models.DateField(_("reported to TRACFIN on"), null=True, blank=True)
    tracfin_reference = models.CharField(_("TRACFIN reference"), max_length=64, blank=True)
    tracfin_file = models.FileField(_("report sent to TRACFIN"), upload_to="aml/tracfin/%Y/", blank=True)
    # The 5-year retention (CMF L.561-12) starts at the later of the decision and the end of the relationship.
    records_kept_from = models.DateField(_("records kept from"), null=True, blank=True, editable=False)
    anonymised_on = models.DateField(_("anonymised on"), null=True, blank=True, editable=False)

    history = HistoricalRecords()
    objects = AlertQuerySet.as_manager()

    class Meta:
        verbose_name = _("vigilance alert")
        verbose_name_plural = _("vigilance alerts")
        ordering = ["-raised_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(decision="") & Q(decided_on__isnull=True))
                | (~Q(decision="") & Q(decided_on__isnull=False)),
                name="aml_alert_decision_dated",
                violation_error_message=_("A decision needs its date, and a date its decision."),
            ),
            models.CheckConstraint(
                condition=(Q(status=AlertStatus.DECIDED) & ~Q(decision=""))
                | (~Q(status=AlertStatus.DECIDED) & Q(decision="")),
                name="aml_alert_decided_status",
            ),
            models.CheckConstraint(
                condition=~Q(decision=Decision.TRACFIN_REPORT) | Q(tracfin_reported_on__isnull=False),
                name="aml_alert_tracfin_dated",
                violation_error_message=_("A report to TRACFIN needs the date it was sent."),
            ),
            models.CheckConstraint(
                condition=Q(tracfin_reported_on__isnull=True) | Q(decision=Decision.TRACFIN_REPORT),
                name="aml_alert_tracfin_only_if_reported",
                violation_error_message=_("A TRACFIN date is only given with the decision to report."),
            ),
            models.CheckConstraint(
                condition=Q(amount_eur__isnull=True) | Q(amount_eur__gte=0),
                name="aml_alert_amount_positive",
                violation_error_message=_("The amount cannot be negative."),
            ),
        ]
        indexes = [models.Index(fields=["status", "analysis_due_on"], name="aml_alert_status_due")]

    def __str__(self) -> str:
        return self.reference
