"""Conflict-of-interest cases: suspicion → analysis → qualification → measures (docs/rules.md)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.confidential import ConfidentialFields
from core.roles import COMPLIANCE_OFFICER

from ..choices import CaseSource, CaseStatus, DossierType, MeasureKind, Qualification
from ..querysets import CaseQuerySet


class ConflictOfInterestCase(models.Model):
    reference = models.CharField(_("reference"), max_length=32, unique=True)
    reported_on = models.DateField(_("reported on"), db_index=True)
    source = models.CharField(_("source"), max_length=20, choices=CaseSource.choices, default=CaseSource.OTHER)
    # The reporter's identity: a whistleblower's is confidential (visible to compliance officers only).
    reporter_employee = models.ForeignKey(
        "organization.Employee",
        verbose_name=_("reporter (employee)"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reporter_name = models.CharField(_("reporter (free text)"), max_length=255, blank=True)
    persons_concerned = models.ManyToManyField(
        "organization.Employee", verbose_name=_("employees concerned"), blank=True, related_name="coi_cases"
    )
    # Who the employees concerned were, one "Last First (employee ID)" a line, copied when the retention
    # anonymised their roster rows (compliance/retention.py): the case still names them, the roster no
    # longer waits for the case. As confidential as the reporter; goes with the case's own retention.
    persons_concerned_identities = models.TextField(
        _("employees concerned (identities kept)"),
        blank=True,
        editable=False,
        help_text=_("Copied from the roster when the employees' records were anonymised (personal-data retention)."),
    )
    third_parties = models.TextField(_("third parties concerned"), blank=True)
    entity = models.ForeignKey(
        "organization.LegalEntity",
        verbose_name=_("legal entity"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    macro_process = models.ForeignKey(
        "compliance.MacroProcess",
        verbose_name=_("macro-process"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
    )
    dossier_type = models.CharField(_("dossier type"), max_length=24, choices=DossierType.choices, blank=True)
    dossier_reference = models.CharField(_("dossier reference"), max_length=100, blank=True)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(_("status"), max_length=16, choices=CaseStatus.choices, default=CaseStatus.RECEIVED)
    # Written by the services: reported_on + the analysis period setting.
    analysis_due_on = models.DateField(_("analysis due on"), db_index=True)
    qualification = models.CharField(_("qualification"), max_length=16, choices=Qualification.choices, blank=True)
    qualified_on = models.DateField(_("qualified on"), null=True, blank=True)
    qualified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("qualified by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    analysis = models.TextField(_("analysis"), blank=True)
    justification = models.TextField(_("justification (confirmed without measure)"), blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    risks = models.ManyToManyField(
        "compliance.Risk", verbose_name=_("risks materialised"), blank=True, related_name="cases"
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handler"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Set by the personal-data retention (core/retention.py) when the record's personal data was erased.
    anonymised_on = models.DateField(_("anonymised on"), null=True, blank=True, editable=False)
    history = HistoricalRecords()

    objects = CaseQuerySet.as_manager()

    #: The reporter's identity and the identities kept of the employees concerned: compliance officers
    #: only read them, and only they may filter, search or sort by them (core/confidential.py).
    confidential_fields = ConfidentialFields(
        ("reporter_employee", "reporter_name", "persons_concerned_identities"), readers=(COMPLIANCE_OFFICER,)
    )

    class Meta:
        verbose_name = _("conflict-of-interest case")
        verbose_name_plural = _("conflict-of-interest cases")
        ordering = ["-reported_on", "reference"]
        constraints = [
            models.CheckConstraint(
                condition=Q(qualification="") | Q(qualified_on__isnull=False),
                name="coicase_qualification_has_date",
                violation_error_message=_("A qualification needs its date."),
            ),
            models.CheckConstraint(
                condition=Q(qualified_on__isnull=True) | Q(qualified_on__gte=F("reported_on")),
                name="coicase_qualified_after_reported",
                violation_error_message=_("A case cannot be qualified before it was reported."),
            ),
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | (~Q(qualification="") & Q(closed_on__gte=F("reported_on"))),
                name="coicase_closed_after_qualified",
                violation_error_message=_("A case is closed only once qualified, and not before it was reported."),
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.status != CaseStatus.CLOSED

    @property
    def is_qualified(self) -> bool:
        return bool(self.qualification) and self.status in (CaseStatus.QUALIFIED, CaseStatus.CLOSED)


class CaseMeasure(models.Model):
    """A measure decided on a case: action plan, dossier refused, sanction, referral; each dated."""

    case = models.ForeignKey(
        ConflictOfInterestCase, verbose_name=_("case"), on_delete=models.CASCADE, related_name="measures"
    )
    kind = models.CharField(_("measure"), max_length=20, choices=MeasureKind.choices)
    decided_on = models.DateField(_("decided on"))
    description = models.TextField(_("description"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("measure")
        verbose_name_plural = _("measures")
        ordering = ["case", "decided_on"]
        constraints = [models.UniqueConstraint(fields=["case", "kind"], name="measure_one_kind_per_case")]

    def __str__(self) -> str:
        return f"{self.case.reference}: {self.get_kind_display()}"
