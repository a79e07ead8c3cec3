"""The register of processing activities (GDPR Art. 30; the CNIL's model register).

A record is in the register "on day D" when it entered the register on or before D and was not retired
on or before D (`in_register_on`): the indicators count the register on 31 December, and the export
produced for the CNIL (Art. 30(4)) is the register at a chosen date.
"""

from __future__ import annotations

import datetime as dt
from typing import Self

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.dates import format_date

from ..choices import ProcessingRole
from ..querysets import ProcessingActivityQuerySet as BaseProcessingActivityQuerySet
from .fields import controller_entity

#: docs/rules.md leaves the review period to the company; the CNIL expects the register to be kept current.
DEFAULT_REVIEW_MONTHS = 12


def review_period_months() -> int:
    """`settings.VIGIE_GDPR_REGISTER_REVIEW_MONTHS` (default 12): how old a last review may get."""
    return int(getattr(settings, "VIGIE_GDPR_REGISTER_REVIEW_MONTHS", DEFAULT_REVIEW_MONTHS))


def review_cutoff(today: dt.date) -> dt.date:
    """A record last reviewed (or, never reviewed, registered) before this day is overdue for review.

    The exact inverse of `review_due_on` (reviewed on X, due on X + N months, overdue after that):
    subtracting months clamps at a month's end (29/02/2024 - 12 months = 28/02/2023, whose review was
    due on 28/02/2024, already past), so a clamped result moves one day on.
    """
    months = relativedelta(months=review_period_months())
    cutoff = today - months
    if cutoff + months < today:
        cutoff += dt.timedelta(days=1)
    return cutoff


def date_problems(
    *,
    today: dt.date,
    registered_on: dt.date | None,
    retired_on: dt.date | None = None,
    dpia_done_on: dt.date | None = None,
    last_reviewed_on: dt.date | None = None,
) -> dict[str, str]:
    """Dates of a record that contradict each other or the calendar, as {field: message}.

    Shared by the model's `clean()` (admin forms, API, services) and the importer, so a DPO's file is
    held to the same rules as a record typed in. Completeness (safeguards, controllers served) is not
    checked here: an imported register may be incomplete, a record typed in may not.
    """
    problems: dict[str, str] = {}
    if registered_on and registered_on > today:
        problems["registered_on"] = gettext("An activity cannot enter the register in the future.")
    if registered_on and retired_on and retired_on < registered_on:
        problems["retired_on"] = gettext("An activity cannot be retired before it entered the register (%(date)s).") % {
            "date": format_date(registered_on)
        }
    if dpia_done_on and dpia_done_on > today:
        problems["dpia_done_on"] = gettext("A DPIA cannot be done in the future.")
    if last_reviewed_on and last_reviewed_on > today:
        problems["last_reviewed_on"] = gettext("A review cannot be dated in the future.")
    return problems


class ProcessingActivityQuerySet(BaseProcessingActivityQuerySet):
    # The register holds a few hundred rows: the review deadline is filtered on the fly rather than
    # stored, so a change of the review period applies at once to every record.
    def _reviewed_before(self, cutoff: dt.date) -> Self:
        return self.filter(Q(last_reviewed_on__lt=cutoff) | Q(last_reviewed_on__isnull=True, registered_on__lt=cutoff))

    def review_overdue(self, today: dt.date | None = None) -> Self:
        """In the register today, and last reviewed (never reviewed: registered) more than the review
        period ago: `review_due_on` is before today."""
        today = today or timezone.localdate()
        return self.in_register_on(today)._reviewed_before(review_cutoff(today))

    def review_due_by(self, day: dt.date, today: dt.date | None = None) -> Self:
        """In the register today, with `review_due_on` on or before `day` (overdue ones included)."""
        today = today or timezone.localdate()
        return self.in_register_on(today)._reviewed_before(review_cutoff(day + dt.timedelta(days=1)))

    def retired_on_or_before(self, day: dt.date) -> Self:
        return self.filter(retired_on__lte=day)

    def dpia_missing(self) -> Self:
        """A DPIA is required (Art. 35) and none is recorded."""
        return self.filter(dpia_required=True, dpia_done_on__isnull=True)


class ProcessingActivity(models.Model):
    reference = models.CharField(_("reference"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=255)
    role = models.CharField(_("role"), max_length=16, choices=ProcessingRole.choices, default=ProcessingRole.CONTROLLER)
    entity = controller_entity(_("The legal entity whose register holds this activity; empty: the parent company."))
    # Controller records (Art. 30(1)).
    controller_contact = models.TextField(
        _("controller and DPO contacts"),
        blank=True,
        help_text=_(
            "Name and contact details of the controller (the processor, for a processor record), "
            "its representative and the DPO."
        ),
    )
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
    retired_reason = models.TextField(_("reason for retirement"), blank=True)
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

    def clean(self) -> None:
        problems = date_problems(
            today=timezone.localdate(),
            registered_on=self.registered_on,
            retired_on=self.retired_on,
            dpia_done_on=self.dpia_done_on,
            last_reviewed_on=self.last_reviewed_on,
        )
        if "retired_on" in problems:
            # Only the retire service sets `retired_on`, and checks it: a clash here comes from moving
            # the entry date, the field a form or the API lets a person edit.
            del problems["retired_on"]
            problems["registered_on"] = gettext(
                "The activity was retired on %(date)s: it cannot have entered the register after that."
            ) % {"date": format_date(self.retired_on)}
        errors: dict[str, list[str]] = {name: [message] for name, message in problems.items()}
        # Art. 30(2)(a): a processor's record names each controller it acts for.
        if self.role == ProcessingRole.PROCESSOR and not self.controllers_served.strip():
            errors.setdefault("controllers_served", []).append(
                gettext("A processor record must name the controllers it acts for (Art. 30(2)(a)).")
            )
        # Art. 30(1)(e): a transfer outside the EU is recorded with its country and safeguards.
        if self.transfers_outside_eu and not self.transfer_safeguards.strip():
            errors.setdefault("transfer_safeguards", []).append(
                gettext("Transfers outside the EU need their countries and safeguards (Art. 30(1)(e), Art. 46).")
            )
        if errors:
            raise ValidationError(errors)

    # -- life cycle -------------------------------------------------------------------------------------
    def in_register_on(self, day: dt.date) -> bool:
        """The same rule as the queryset's `in_register_on`, for one loaded record."""
        return self.registered_on <= day and (self.retired_on is None or self.retired_on > day)

    @property
    def is_retired(self) -> bool:
        return self.retired_on is not None and self.retired_on <= timezone.localdate()

    @property
    def review_due_on(self) -> dt.date:
        """The day by which the record should be reviewed again (last review, or entry, + the period)."""
        return (self.last_reviewed_on or self.registered_on) + relativedelta(months=review_period_months())

    def review_overdue(self, today: dt.date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.in_register_on(today) and (self.last_reviewed_on or self.registered_on) < review_cutoff(today)
