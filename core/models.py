"""Core models: the record of every import run (see core/imports/)."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ImportRun(models.Model):
    """One attempt to import a file: who, when, which file (name and checksum), what it did.

    Written outside the import's own transactions, so a refused, rolled back or killed import still
    leaves its record; `last_line_committed` says how far a killed non-strict import got.
    """

    class Status(models.TextChoices):
        RUNNING = "running", _("running")
        COMPLETED = "completed", _("completed")
        COMPLETED_WITH_REJECTS = "completed_with_rejects", _("completed with rejected rows")
        ROLLED_BACK = "rolled_back", _("rolled back (strict mode, rows rejected)")
        REFUSED = "refused", _("refused (not an importable table)")
        FAILED = "failed", _("failed (unexpected error)")

    kind = models.CharField(_("kind"), max_length=64, db_index=True)
    file_name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256 checksum"), max_length=64, blank=True)
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="import_runs",
    )
    started_at = models.DateTimeField(_("started at"), default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=32, choices=Status.choices, default=Status.RUNNING)
    dry_run = models.BooleanField(_("dry run"), default=False)
    strict = models.BooleanField(_("strict (all or nothing)"), default=False)
    rows_read = models.PositiveIntegerField(_("rows read"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)
    blank_lines = models.PositiveIntegerField(_("blank lines ignored"), default=0)
    last_line_committed = models.PositiveIntegerField(_("last line committed"), null=True, blank=True)
    message = models.TextField(_("message"), blank=True)
    # Unknown columns ignored, related records created (e.g. departments), encoding, delimiter...
    details = models.JSONField(_("details"), default=dict, blank=True)
    rejects_file = models.FileField(_("rejected rows (CSV)"), upload_to="imports/rejects/%Y/%m/", blank=True)

    class Meta:
        verbose_name = _("import run")
        verbose_name_plural = _("import runs")
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["kind", "-started_at"], name="importrun_kind_started_idx")]

    def __str__(self) -> str:
        return f"{self.kind} – {self.file_name} ({self.started_at:%Y-%m-%d %H:%M})"
