"""Core models: the record of every import run (see core/imports/)."""

from __future__ import annotations

import datetime as dt
import os
import socket
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy as _
from simple_history.models import HistoricalRecords

from .dates import format_datetime

#: How often a running import says it is alive (`ImportRun.heartbeat_at`), in seconds: after each batch
#: it commits, and at least this often from a thread while a batch or a strict import runs (PostgreSQL).
IMPORT_HEARTBEAT_SECONDS = 30
#: A running import seen from another machine is taken for dead when its last heartbeat is older than
#: this (setting VIGIE_IMPORT_STALE_SECONDS); on the machine that runs it, its process is checked instead.
DEFAULT_IMPORT_STALE_SECONDS = 300


def _proc_stat(pid: int) -> tuple[str, int] | None:
    """(state, start time in clock ticks since boot) of a Linux process, None when there is no such
    process. Raises OSError where /proc does not exist."""
    try:
        data = Path(f"/proc/{pid}/stat").read_bytes()
    except FileNotFoundError:
        return None
    # "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ")".
    fields = data[data.rindex(b")") + 2 :].split()
    return fields[0].decode(), int(fields[19])


def current_process() -> tuple[str, int, int | None]:
    """(host name, pid, start time) of this process, as an import run records them."""
    try:
        stat = _proc_stat(os.getpid())
    except OSError:  # not Linux: no start time, the pid alone identifies the process
        stat = None
    return socket.gethostname()[:255], os.getpid(), stat[1] if stat else None


def process_is_alive(pid: int, started: int | None) -> bool:
    """Whether process `pid` of this machine still runs; with `started` (its start time, see
    `current_process`), a new process that got the same pid does not count. A zombie is dead."""
    try:
        stat = _proc_stat(pid)
    except OSError:  # no /proc: ask the kernel whether the pid exists
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    if stat is None or stat[0] in ("Z", "X"):
        return False
    return started is None or stat[1] == started


def import_stale_seconds() -> int:
    return int(getattr(settings, "VIGIE_IMPORT_STALE_SECONDS", DEFAULT_IMPORT_STALE_SECONDS))


class ImportRunQuerySet(models.QuerySet["ImportRun"]):
    def visible_to(self, user: Any) -> ImportRunQuerySet:
        """The runs of kinds whose records `user` may view: their rejected rows hold raw lines of the file
        (a case's facts, a requester's name). Of a kind whose importer declares `runs_visible_to_runner_only`,
        the user's own runs only."""
        from core.imports.registry import importers, visible_kinds

        kinds = visible_kinds(user)
        registered = importers()
        own = [kind for kind in kinds if registered[kind].runs_visible_to_runner_only]
        shared = [kind for kind in kinds if kind not in own]
        if not own:
            return self.filter(kind__in=shared)
        return self.filter(Q(kind__in=shared) | Q(kind__in=own, user_id=getattr(user, "pk", None)))

    def last_complete(self, kind: str, sha256: str) -> ImportRun | None:
        """The latest real (not dry-run) run that went through this very file to its end, rejected rows
        included: importing the same bytes again would change nothing."""
        done = (ImportRun.Status.COMPLETED, ImportRun.Status.COMPLETED_WITH_REJECTS)
        return (
            self.filter(kind=kind, sha256=sha256, dry_run=False, status__in=done).order_by("-started_at", "-pk").first()
        )

    def mark_interrupted(self, *, now: dt.datetime | None = None) -> list[int]:
        """Mark "interrupted" the runs still "running" whose process is gone: on this machine, their
        pid no longer runs (or is another process); from another machine, they have not sent a heartbeat
        for VIGIE_IMPORT_STALE_SECONDS. Returns the ids marked. Called at the start of every import and
        by the admin's list of runs; safe to call from anywhere, any number of times."""
        now = now or timezone.now()
        host = socket.gethostname()[:255]
        stale_before = now - dt.timedelta(seconds=import_stale_seconds())
        marked = []
        running = self.filter(status=ImportRun.Status.RUNNING).only(
            "pk",
            "host",
            "pid",
            "pid_started",
            "heartbeat_at",
            "started_at",
            "strict",
            "dry_run",
            "last_line_committed",
            "batches_committed",
        )
        for run in running:
            last_sign = run.heartbeat_at or run.started_at
            if run.host == host and run.pid:
                dead = not process_is_alive(run.pid, run.pid_started)
            else:
                dead = last_sign < stale_before
            if not dead:
                continue
            changes: dict = {
                "status": ImportRun.Status.INTERRUPTED,
                "finished_at": last_sign,
                "message": run.interrupted_message(),
            }
            if run.strict or run.dry_run:
                changes["last_line_committed"] = None
            # Only if still running: the run may have finished since it was read.
            if ImportRun.objects.filter(pk=run.pk, status=ImportRun.Status.RUNNING).update(**changes):
                marked.append(run.pk)
        return marked


class ImportRun(models.Model):
    """One attempt to import a file: who, when, which file (name and checksum), what it did.

    Written outside the import's own transactions, so a refused, rolled back or killed import still
    leaves its record. A non-strict import commits its progress (`last_line_committed`, the counts,
    `batches_committed`) in the transaction of each batch, so the record always says exactly how far
    the database got. A run whose process died (killed, machine stopped) is found by
    `ImportRun.objects.mark_interrupted()` (its host and pid, else its heartbeat) and marked
    "interrupted"; importing the same file again completes it (rows are matched on their natural key).
    """

    class Status(models.TextChoices):
        RUNNING = "running", _("running")
        COMPLETED = "completed", _("completed")
        COMPLETED_WITH_REJECTS = "completed_with_rejects", _("completed with rejected rows")
        ROLLED_BACK = "rolled_back", _("rolled back (strict mode, rows rejected)")
        REFUSED = "refused", _("refused (not an importable table)")
        FAILED = "failed", _("failed (unexpected error)")
        INTERRUPTED = "interrupted", _("interrupted (its process stopped)")

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
    batches_committed = models.PositiveIntegerField(_("batches committed"), default=0)
    # The process that runs the import, to tell a dead run from a running one (`mark_interrupted`).
    host = models.CharField(_("host"), max_length=255, blank=True)
    pid = models.PositiveIntegerField(_("process id"), null=True, blank=True)
    pid_started = models.PositiveBigIntegerField(
        _("process start"),
        null=True,
        blank=True,
        help_text=_(
            "When the process started (clock ticks since boot): a new process with the same id is not taken for it."
        ),
    )
    heartbeat_at = models.DateTimeField(_("last heartbeat"), null=True, blank=True)

    objects = ImportRunQuerySet.as_manager()

    class Meta:
        verbose_name = _("import run")
        verbose_name_plural = _("import runs")
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["kind", "-started_at"], name="importrun_kind_started_idx")]

    def __str__(self) -> str:
        # As the run's page title and breadcrumb read it: the kind by its name, the time in Paris time.
        from core.imports.registry import importers

        importer = importers().get(self.kind)
        kind = str(importer.verbose_name()) if importer is not None else self.kind
        return f"{kind[:1].upper()}{kind[1:]} – {self.file_name} ({format_datetime(self.started_at)})"

    def interrupted_message(self) -> str:
        """What an interrupted run tells: what was written, and that importing the file again completes it."""
        if self.dry_run:
            return gettext("stopped before the end (dry run: nothing was written)")
        if self.strict:
            return gettext(
                "stopped before the end: nothing was written (strict import: all or nothing); re-run the same file"
            )
        if not self.last_line_committed or not self.batches_committed:
            return gettext("stopped before its first batch was committed: nothing was written; re-run the same file")
        return gettext("stopped after line %(line)d (batch %(batch)d); re-run the same file to complete it") % {
            "line": self.last_line_committed,
            "batch": self.batches_committed,
        }


class RetentionRun(models.Model):
    """One run of the personal-data retention (core/retention.py): when, on which reference day, dry run
    or not, and per record type the period, the cut-off and the references of the records anonymised
    (or due, for a dry run). An audit trail that holds no personal data: references and ids only."""

    class Status(models.TextChoices):
        RUNNING = "running", _("running")
        COMPLETED = "completed", _("completed")
        FAILED = "failed", _("failed (unexpected error)")

    class Trigger(models.TextChoices):
        TASK = "task", _("daily task")
        COMMAND = "command", _("command line")
        ADMIN = "admin", _("admin (preview)")

    started_at = models.DateTimeField(_("started at"), default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    reference_day = models.DateField(
        _("reference day"), help_text=_("The retention periods are counted back from this day.")
    )
    dry_run = models.BooleanField(_("dry run (nothing anonymised)"), default=False)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.RUNNING)
    trigger = models.CharField(_("started by"), max_length=16, choices=Trigger.choices, default=Trigger.TASK)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    anonymised = models.PositiveIntegerField(
        _("records"), default=0, help_text=_("Records anonymised; for a dry run, records that would be.")
    )
    # Per record type: code, period, cut-off, count, references (never personal data).
    report = models.JSONField(_("report"), default=list, blank=True)
    message = models.TextField(_("message"), blank=True)

    class Meta:
        verbose_name = _("retention run")
        verbose_name_plural = _("retention runs")
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.reference_day:%Y-%m-%d} ({self.started_at:%Y-%m-%d %H:%M})"


class SignOnIdentity(models.Model):
    """The company sign-on's person behind a Vigie account: the provider (`issuer`) and its stable id of the
    person (`subject`, the `sub` claim), stored at the first login (core/oidc.py). Later logins find the
    account by them, never by the email claim; `confirmed_at` is the provider's last confirmation (a login
    or a silent renewal), which the calendar feed and the API tokens require to be recent.

    History: the link itself (made, removed by a superuser); `confirmed_at` is a timestamp like the user's
    `last_login`, written with an update (no history row per login)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.CASCADE, related_name="sign_on_identity"
    )
    issuer = models.CharField(_("provider (issuer)"), max_length=255)
    subject = models.CharField(_("subject at the provider"), max_length=255)
    confirmed_at = models.DateTimeField(_("last confirmed by the provider"), default=timezone.now)
    history = HistoricalRecords(excluded_fields=["confirmed_at"])

    class Meta:
        verbose_name = _("company sign-on identity")
        verbose_name_plural = _("company sign-on identities")
        constraints = [models.UniqueConstraint(fields=["issuer", "subject"], name="core_sign_on_identity_unique")]

    def __str__(self) -> str:
        return f"{self.user} ({self.subject})"
