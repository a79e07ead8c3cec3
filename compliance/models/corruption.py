"""Confirmed incidents of corruption and the legal cases about them: the records ESRS G1-4 counts
(confirmed incidents, workers dismissed or disciplined, business-partner contracts terminated,
convictions and fines, details of public legal cases).

A conflict-of-interest case is not an incident of corruption by itself: it becomes one only when, once
confirmed, it is qualified as corruption (compliance.services.corruption.coi_case_qualify_as_corruption),
which records the incident linked to it. An incident found otherwise (an audit, a whistleblower's report,
a prosecution) is recorded directly. Written by the services only; no names here: the people are in
the case (and anonymised with it).
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ..choices import OUTCOMES_WITH_FINE, CorruptionNature, Defendant, ProceedingOutcome
from ..querysets import CorruptionIncidentQuerySet, LegalProceedingQuerySet

NO_NAMES = _("The facts, without naming anyone: the people concerned are in the linked case.")


class CorruptionIncident(models.Model):
    reference = models.CharField(_("reference"), max_length=32, unique=True)
    nature = models.CharField(_("nature"), max_length=24, choices=CorruptionNature.choices)
    confirmed_on = models.DateField(
        _("confirmed on"),
        db_index=True,
        help_text=_("The day the incident was established (ESRS G1-4 counts the incidents confirmed in the year)."),
    )
    entity = models.ForeignKey(
        "organization.LegalEntity",
        verbose_name=_("legal entity"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    coi_case = models.OneToOneField(
        "compliance.ConflictOfInterestCase",
        verbose_name=_("conflict-of-interest case"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corruption_incident",
        help_text=_("The case qualified as corruption that this incident comes from, if any."),
    )
    description = models.TextField(_("description"), blank=True, help_text=NO_NAMES)
    workers_disciplined = models.BooleanField(
        _("own workers dismissed or disciplined"),
        default=False,
        help_text=_("Set by the services when a disciplinary sanction is recorded on the linked case."),
    )
    partner_contract_terminated = models.BooleanField(
        _("business-partner contract terminated or not renewed"), default=False
    )
    history = HistoricalRecords()

    objects = CorruptionIncidentQuerySet.as_manager()

    class Meta:
        verbose_name = _("corruption incident")
        verbose_name_plural = _("corruption incidents")
        ordering = ["-confirmed_on", "reference"]
        constraints = [
            models.CheckConstraint(
                condition=Q(nature__in=CorruptionNature.values),
                name="corruptionincident_known_nature",
                violation_error_message=_("The nature is active corruption, passive corruption or influence peddling."),
            ),
        ]

    def __str__(self) -> str:
        return self.reference


class LegalProceeding(models.Model):
    """A legal case about corruption brought against the company (or an entity of the group) or one of its
    own workers, and its outcome: a conviction, an acquittal, a dismissal, a CJIP, with its fine."""

    reference = models.CharField(_("reference"), max_length=32, unique=True)
    incident = models.ForeignKey(
        CorruptionIncident,
        verbose_name=_("corruption incident"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="proceedings",
    )
    defendant = models.CharField(_("brought against"), max_length=16, choices=Defendant.choices)
    entity = models.ForeignKey(
        "organization.LegalEntity",
        verbose_name=_("legal entity"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The entity prosecuted, or the worker's employer."),
    )
    court = models.CharField(_("court or authority"), max_length=200, blank=True)
    opened_on = models.DateField(_("brought on"))
    description = models.TextField(_("public details of the case"), blank=True, help_text=NO_NAMES)
    outcome = models.CharField(_("outcome"), max_length=16, choices=ProceedingOutcome.choices, blank=True)
    decided_on = models.DateField(_("decided on"), null=True, blank=True, db_index=True)
    fine_eur = models.DecimalField(_("fine (euros)"), max_digits=14, decimal_places=2, null=True, blank=True)
    history = HistoricalRecords()

    objects = LegalProceedingQuerySet.as_manager()

    class Meta:
        verbose_name = _("legal proceeding")
        verbose_name_plural = _("legal proceedings")
        ordering = ["-opened_on", "reference"]
        constraints = [
            models.CheckConstraint(
                condition=Q(defendant__in=Defendant.values),
                name="legalproceeding_known_defendant",
                violation_error_message=_("A case is brought against the company or one of its own workers."),
            ),
            models.CheckConstraint(
                condition=(
                    Q(outcome="", decided_on__isnull=True)
                    | Q(outcome__in=ProceedingOutcome.values, decided_on__isnull=False)
                ),
                name="legalproceeding_outcome_iff_decided",
                violation_error_message=_("An outcome has its date, and a date its outcome."),
            ),
            models.CheckConstraint(
                condition=Q(decided_on__isnull=True) | Q(decided_on__gte=F("opened_on")),
                name="legalproceeding_decided_after_opened",
                violation_error_message=_("A case is decided on or after the day it was brought."),
            ),
            models.CheckConstraint(
                condition=Q(fine_eur__isnull=True) | (Q(outcome__in=OUTCOMES_WITH_FINE) & Q(fine_eur__gte=0)),
                name="legalproceeding_fine_of_a_conviction_or_cjip",
                violation_error_message=_("Only a conviction or a CJIP imposes a fine, and a fine is not negative."),
            ),
        ]

    def __str__(self) -> str:
        return self.reference
