"""Workshop and virtual-class sessions, and who attended them for how long."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.dates import format_date

from ..choices import AttendanceRole


class Session(models.Model):
    reference = models.CharField(_("reference"), max_length=32, unique=True)
    module = models.ForeignKey(
        "training.Module", verbose_name=_("module"), on_delete=models.PROTECT, related_name="sessions"
    )
    held_on = models.DateField(_("held on"), db_index=True)
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"))
    trainer = models.CharField(_("trainer"), max_length=200, blank=True)
    place = models.CharField(_("place"), max_length=200, blank=True)
    entity = models.ForeignKey(
        "organization.LegalEntity",
        verbose_name=_("organised for the entity"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    notes = models.TextField(_("notes"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["-held_on", "reference"]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gt=0),
                name="session_duration_positive",
                violation_error_message=_("A session lasts at least one minute."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.reference} – {self.module.code} – {format_date(self.held_on)}"


class Attendance(models.Model):
    session = models.ForeignKey(
        Session, verbose_name=_("session"), on_delete=models.CASCADE, related_name="attendances"
    )
    employee = models.ForeignKey(
        "organization.Employee",
        verbose_name=_("employee"),
        on_delete=models.PROTECT,
        related_name="training_attendances",
    )
    minutes_attended = models.PositiveIntegerField(_("minutes attended"))
    role = models.CharField(
        _("role"), max_length=16, choices=AttendanceRole.choices, default=AttendanceRole.PARTICIPANT
    )
    import_run = models.ForeignKey(
        "core.ImportRun",
        verbose_name=_("import run"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendances")
        ordering = ["session", "employee"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "employee"],
                name="attendance_unique_session_employee",
                violation_error_message=_("This employee is already on the attendance sheet of this session."),
            )
        ]
        indexes = [models.Index(fields=["employee", "session"], name="attendance_employee_idx")]

    def __str__(self) -> str:
        return f"{self.session.reference} – {self.employee.employee_id} ({self.minutes_attended} min)"

    @property
    def qualifies(self) -> bool:
        """Counts as trained: more than the module's minimum minutes (Module.attendance_floor)."""
        return self.session.module.attendance_counts(self.minutes_attended)
