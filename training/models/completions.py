"""A module completed by an employee, as the LMS exports it."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.dates import format_date

from ..choices import CompletionAnomaly


class Completion(models.Model):
    employee = models.ForeignKey(
        "organization.Employee",
        verbose_name=_("employee"),
        on_delete=models.PROTECT,
        related_name="training_completions",
    )
    module = models.ForeignKey(
        "training.Module", verbose_name=_("module"), on_delete=models.PROTECT, related_name="completions"
    )
    completed_at = models.DateTimeField(_("completed at"))
    #: The Paris calendar day of `completed_at`, the day the completion-rate rules compare (docs/rules.md).
    completed_on = models.DateField(_("completed on"), editable=False)
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"), null=True, blank=True)
    score = models.DecimalField(_("score"), max_digits=6, decimal_places=2, null=True, blank=True)
    anomaly = models.CharField(
        _("anomaly"),
        max_length=20,
        choices=CompletionAnomaly.choices,
        blank=True,
        default="",
        help_text=_("A flagged completion is kept but not counted."),
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
        verbose_name = _("completion")
        verbose_name_plural = _("completions")
        ordering = ["-completed_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["employee", "module", "completed_at"],
                name="completion_unique_employee_module_time",
                violation_error_message=_("This employee already has a completion of this module at that time."),
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0),
                name="completion_score_not_negative",
                violation_error_message=_("A score cannot be negative."),
            ),
        ]
        indexes = [
            # The completion rate: one module, the counted completions (anomaly ""), a range of days,
            # per employee. It holds every column the rate reads, so PostgreSQL answers from the index
            # alone (index-only scan), whether it probes per employee or reads one module's range.
            models.Index(fields=["module", "employee", "anomaly", "completed_on"], name="completion_rate_idx"),
            # Yearly figures (hours, trained at least once).
            models.Index(fields=["completed_on"], name="completion_day_idx"),
            # The renewals due (kpis.renewals_due): one module's counted completions within a window of days
            # (those that expire soon), with the employee, answered from the index alone.
            models.Index(fields=["module", "anomaly", "completed_on", "employee"], name="completion_expiry_idx"),
            # The list's order (admin and API): the first page read from the index, not a sort of every row.
            models.Index(fields=["-completed_at", "id"], name="completion_list_idx"),
            # The flagged ones (a few, and old: before a deployment) in the list's order: found without
            # reading every counted completion first.
            models.Index(fields=["-completed_at", "id"], name="completion_flagged_list_idx", condition=~Q(anomaly="")),
        ]

    def __str__(self) -> str:
        return f"{self.module.code} – {self.employee.employee_id} – {format_date(self.completed_on)}"

    def save(self, *args, **kwargs) -> None:
        if self.completed_at is not None:
            # The Paris day whatever the active time zone (settings.TIME_ZONE is Europe/Paris).
            self.completed_on = self.completed_at.astimezone(timezone.get_default_timezone()).date()
        super().save(*args, **kwargs)

    @property
    def is_counted(self) -> bool:
        return not self.anomaly
