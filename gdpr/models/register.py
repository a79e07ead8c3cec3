"""The register of processing activities (GDPR Art. 30; the CNIL's model register)."""
from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ..choices import ProcessingRole
from ..querysets import ProcessingActivityQuerySet


class ProcessingActivity(models.Model):
    reference = models.CharField(_("reference"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=255)
    role = models.CharField(_("role"), max_length=16, choices=ProcessingRole.choices, default=ProcessingRole.CONTROLLER)
    # Controller records (Art. 30(1)).
    controller_contact = models.TextField(_("controller and DPO contacts"), blank=True)
    joint_controllers = models.TextField(_("joint controllers"), blank=True)
    purposes = models.TextField(_("purposes"), blank=True)
    legal_basis = models.CharField(_("legal basis (Art. 6)"), max_length=255, blank=True)
    data_subject_categories = models.TextField(_("categories of data subjects"), blank=True)
    data_categories = models.TextField(_("categories of personal data"), blank=True)
    sensitive_data = models.BooleanField(_("sensitive data (Art. 9-10)"), default=False)
    sensitive_data_details = models.TextField(_("sensitive data: which and on what exception"), blank=True)
    recipients = models.TextField(_("recipients"), blank=True)
    transfers_outside_eu = models.BooleanField(_("transfers outside the EU"), default=False)
    transfer_safeguards = models.TextField(_("transfer countries and safeguards (Art. 46)"), blank=True)
    retention = models.TextField(_("retention periods"), blank=True)
    security_measures = models.TextField(_("security measures (Art. 32)"), blank=True)
    # Processor records (Art. 30(2)).
    controllers_served = models.TextField(_("controllers served (processor)"), blank=True)
    processing_categories = models.TextField(_("categories of processing carried out (processor)"), blank=True)
    # DPIA (Art. 35) and life cycle.
    dpia_required = models.BooleanField(_("DPIA required"), default=False)
    dpia_done_on = models.DateField(_("DPIA done on"), null=True, blank=True)
    registered_on = models.DateField(_("entered the register on"))
    last_reviewed_on = models.DateField(_("last reviewed on"), null=True, blank=True)
    retired_on = models.DateField(_("retired on"), null=True, blank=True)
    history = HistoricalRecords()

    objects = ProcessingActivityQuerySet.as_manager()

    class Meta:
        verbose_name = _("processing activity")
        verbose_name_plural = _("processing activities (Art. 30 register)")
        ordering = ["reference"]
        indexes = [models.Index(fields=["role", "registered_on", "retired_on"], name="activity_register_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(retired_on__isnull=True) | Q(retired_on__gte=F("registered_on")),
                name="activity_retired_after_registered",
                violation_error_message=_("An activity cannot be retired before it entered the register."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.reference} – {self.name}"
