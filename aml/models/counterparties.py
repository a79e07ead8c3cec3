"""Counterparties: customers, borrowers, beneficiaries and suppliers from the operational systems."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ..choices import CounterpartyKind
from ..querysets import CounterpartyQuerySet


def entity_field() -> models.ForeignKey:
    """The legal entity of an AML record. DO_NOTHING without a database constraint: a PROTECT or CASCADE
    would be followed by deletions of entities (the admin's confirmation page lists the protected objects,
    core/roles.py `deletion_reaches` withdraws delete permissions), which would tell a user outside the AML
    function that AML records exist (no tipping off)."""
    return models.ForeignKey(
        "organization.LegalEntity",
        verbose_name=_("legal entity"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )


class Counterparty(models.Model):
    reference = models.CharField(_("reference"), max_length=64, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=CounterpartyKind.choices)
    name = models.CharField(_("name"), max_length=300)
    # aml.matching.normalise(name): the baseline exact join and the admin's search.
    name_normalised = models.CharField(_("normalised name"), max_length=300, editable=False, db_index=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    registration_number = models.CharField(_("registration number"), max_length=64, blank=True)
    country = models.CharField(_("country"), max_length=64, blank=True)
    entity = entity_field()
    # Null while the business relationship lasts; the 5-year retention (CMF L.561-12) starts here.
    relationship_ended_on = models.DateField(_("relationship ended on"), null=True, blank=True, db_index=True)
    # Hash of what screening reads (kind, normalised name, birth date); changed_at moves when it changes.
    screening_hash = models.CharField(max_length=32, editable=False, blank=True)
    changed_at = models.DateTimeField(_("screening data changed at"), db_index=True)
    # Last time this counterparty was screened against every active list.
    screened_at = models.DateTimeField(_("screened at"), null=True, blank=True)
    anonymised_on = models.DateField(_("anonymised on"), null=True, blank=True, editable=False)

    history = HistoricalRecords()
    objects = CounterpartyQuerySet.as_manager()

    class Meta:
        verbose_name = _("counterparty")
        verbose_name_plural = _("counterparties")
        ordering = ["name", "reference"]
        constraints = [
            models.CheckConstraint(
                condition=Q(birth_date__isnull=True) | Q(kind=CounterpartyKind.PERSON),
                name="aml_counterparty_birth_date_person",
                violation_error_message=_("Only a person has a birth date."),
            ),
            models.CheckConstraint(
                condition=Q(birth_date__isnull=True) | Q(birth_date__gte=dt.date(1900, 1, 1)),
                name="aml_counterparty_birth_date_plausible",
                violation_error_message=_("Impossible birth date (before 1900)."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.name}"


class CounterpartyKey(models.Model):
    """The blocking keys of a counterparty's name (aml.matching.blocking_keys): derived data, rewritten when the
    name changes, no history. They find the counterparties a changed list entry must be compared with."""

    counterparty = models.ForeignKey(Counterparty, on_delete=models.CASCADE, related_name="keys")
    key = models.CharField(max_length=64, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["counterparty", "key"], name="aml_counterparty_key_unique")]

    def __str__(self) -> str:
        return self.key
