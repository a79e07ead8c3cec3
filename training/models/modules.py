"""A training module: what the staff must follow, since when, how often, and who must."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ..choices import Audience, ModuleKind


class Module(models.Model):
    code = models.CharField(
        _("code"), max_length=32, unique=True, help_text=_("The code the LMS exports use (e.g. LCBFT).")
    )
    title = models.CharField(_("title"), max_length=255)
    kind = models.CharField(_("kind"), max_length=16, choices=ModuleKind.choices)
    mandatory = models.BooleanField(_("mandatory"), default=False)
    audience = models.CharField(_("audience"), max_length=16, choices=Audience.choices, default=Audience.ALL_STAFF)
    audience_entities = models.ManyToManyField(
        "organization.LegalEntity",
        verbose_name=_("limited to the entities"),
        blank=True,
        related_name="+",
        help_text=_("Empty: every entity."),
    )
    audience_departments = models.ManyToManyField(
        "organization.Department",
        verbose_name=_("limited to the departments"),
        blank=True,
        related_name="+",
        help_text=_("Empty: every department."),
    )
    deployed_on = models.DateField(
        _("deployed on"), help_text=_("Completions before this day are not counted in the completion rate.")
    )
    renewal_months = models.PositiveSmallIntegerField(
        _("renewal period (months)"),
        null=True,
        blank=True,
        help_text=_("A completion counts for this many months; empty: it never expires."),
    )
    min_attendance_minutes = models.PositiveIntegerField(
        _("minimum attendance (minutes)"),
        null=True,
        blank=True,
        help_text=_(
            "Workshops: an attendance counts as trained when it lasted more than this many minutes "
            "(45: from 46 minutes on); empty: any attendance counts."
        ),
    )
    expected_minutes = models.PositiveIntegerField(
        _("expected duration (minutes)"),
        null=True,
        blank=True,
        help_text=_("Used for the training hours of a completion whose LMS export gives no duration."),
    )
    description = models.TextField(_("description"), blank=True)
    anti_corruption = models.BooleanField(
        _("anti-corruption training"),
        default=False,
        help_text=_("Training in it covers a function at risk of corruption (ESRS G1-3)."),
    )
    is_reference = models.BooleanField(
        _("reference module"),
        default=False,
        editable=False,
        help_text=_("Created in every installation; behind a DPEF indicator, it cannot be deleted."),
    )
    history = HistoricalRecords(m2m_fields=[audience_entities, audience_departments])

    class Meta:
        verbose_name = _("training module")
        verbose_name_plural = _("training modules")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(renewal_months__isnull=True) | Q(renewal_months__gt=0),
                name="module_renewal_months_positive",
                violation_error_message=_("A renewal period is at least one month."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} – {self.title}"

    @property
    def has_sessions(self) -> bool:
        """Workshops and virtual classes are followed in sessions with attendance."""
        return self.kind != ModuleKind.E_LEARNING

    @property
    def attendance_floor(self) -> int:
        """An attendance of this module counts as trained when it lasted MORE than this many minutes: the
        module's minimum, else 0 (any attendance). docs/rules.md, "Training", after the 2023 DPEF ("sur une
        durée supérieure à 45 minutes": exactly 45 minutes does not count).

        The one definition of a qualifying attendance: `attendance_counts` (Python) and
        `training.models.sessions.qualifying_q` (SQL) both compare with it, strictly."""
        return self.min_attendance_minutes or 0

    def attendance_counts(self, minutes_attended: int) -> bool:
        """Whether `minutes_attended` at a session of this module count as trained (`attendance_floor`)."""
        return minutes_attended > self.attendance_floor
