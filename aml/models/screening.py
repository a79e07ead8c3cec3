"""Asset-freeze screening: the lists, their entries, the potential matches (hits) and the runs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ..choices import BirthSignal, EntryKind, HitStatus, RunStatus, ScreeningTrigger
from ..querysets import HitQuerySet, ListEntryQuerySet


class ScreeningList(models.Model):
    code = models.CharField(_("code"), max_length=32, unique=True)  # FR-GELS, EU, UN
    name = models.CharField(_("name"), max_length=200, blank=True)
    active = models.BooleanField(_("active"), default=True)
    # +1 each time an import changed anything in the list.
    version = models.PositiveIntegerField(_("version"), default=0)
    loaded_at = models.DateTimeField(_("loaded at"), null=True, blank=True)
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("loaded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    source_sha256 = models.CharField(_("source file SHA-256"), max_length=64, blank=True)
    # End of the last run that screened every active counterparty against this list's current version.
    covered_at = models.DateTimeField(_("covered at"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("screening list")
        verbose_name_plural = _("screening lists")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class ListEntry(models.Model):
    # Not named "list": its attname would collide with list_id, the list's own identifier below.
    screening_list = models.ForeignKey(
        ScreeningList, verbose_name=_("screening list"), on_delete=models.PROTECT, related_name="entries"
    )
    list_id = models.CharField(_("identifier in the list"), max_length=128)
    kind = models.CharField(_("kind"), max_length=16, choices=EntryKind.choices)
    name = models.CharField(_("name"), max_length=500)
    aliases = models.TextField(_("aliases"), blank=True, help_text=_("One alias a line."))
    birth_dates = models.CharField(
        _("birth dates"), max_length=200, blank=True, help_text=_("YYYY-MM-DD, YYYY-MM or YYYY, separated by |.")
    )
    countries = models.CharField(_("countries"), max_length=200, blank=True)
    listed_on = models.DateField(_("listed on"), null=True, blank=True)
    delisted_on = models.DateField(_("delisted on"), null=True, blank=True, db_index=True)
    # Hash of kind, normalised name, aliases and birth dates: a hit is raised again only for a new hash.
    content_hash = models.CharField(max_length=32, editable=False, blank=True)
    changed_at = models.DateTimeField(_("changed at"), db_index=True)

    history = HistoricalRecords()
    objects = ListEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("list entry")
        verbose_name_plural = _("list entries")
        ordering = ["screening_list", "name"]
        constraints = [
            models.UniqueConstraint(fields=["screening_list", "list_id"], name="aml_entry_unique_list_id"),
        ]
        indexes = [models.Index(fields=["screening_list", "delisted_on"], name="aml_entry_list_delisted")]

    def __str__(self) -> str:
        return f"{self.name} ({self.list_id})"

    def alias_list(self) -> list[str]:
        return [a for a in self.aliases.splitlines() if a.strip()]


class ScreeningRun(models.Model):
    """One screening run and its counts (a log: no history)."""

    started_at = models.DateTimeField(_("started at"), db_index=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    trigger = models.CharField(_("trigger"), max_length=24, choices=ScreeningTrigger.choices)
    lists = models.CharField(_("lists"), max_length=200, blank=True, help_text=_("Empty: every active list."))
    status = models.CharField(_("status"), max_length=16, choices=RunStatus.choices, default=RunStatus.RUNNING)
    message = models.TextField(_("message"), blank=True)
    threshold = models.PositiveSmallIntegerField(_("threshold"), default=0)
    counterparties_screened = models.PositiveIntegerField(_("counterparties screened"), default=0)
    entries_screened = models.PositiveIntegerField(_("list entries screened"), default=0)
    names_indexed = models.PositiveIntegerField(_("names indexed"), default=0)
    pairs_scored = models.PositiveBigIntegerField(_("pairs scored"), default=0)
    hits_raised = models.PositiveIntegerField(_("hits raised"), default=0)
    hits_already_reviewed = models.PositiveIntegerField(_("pairs already reviewed"), default=0)
    active_counterparties = models.PositiveIntegerField(_("active counterparties"), default=0)
    covered_counterparties = models.PositiveIntegerField(_("counterparties covered"), default=0)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)

    class Meta:
        verbose_name = _("screening run")
        verbose_name_plural = _("screening runs")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.get_trigger_display()} {self.started_at:%Y-%m-%d %H:%M}"


class Hit(models.Model):
    """A potential match between a counterparty and a list entry, reviewed by an AML/CFT officer."""

    counterparty = models.ForeignKey(
        "aml.Counterparty", verbose_name=_("counterparty"), on_delete=models.PROTECT, related_name="hits"
    )
    entry = models.ForeignKey(ListEntry, verbose_name=_("list entry"), on_delete=models.PROTECT, related_name="hits")
    entry_hash = models.CharField(max_length=32, editable=False)  # the entry's content_hash when raised
    counterparty_name = models.CharField(_("counterparty name (as screened)"), max_length=300)
    matched_name = models.CharField(_("matched name"), max_length=500)
    score = models.PositiveSmallIntegerField(_("score"))
    birth_signal = models.CharField(_("birth date"), max_length=16, choices=BirthSignal.choices)
    status = models.CharField(_("status"), max_length=16, choices=HitStatus.choices, default=HitStatus.PENDING)
    raised_at = models.DateTimeField(_("raised at"), db_index=True)
    run = models.ForeignKey(
        ScreeningRun, verbose_name=_("run"), on_delete=models.SET_NULL, null=True, blank=True, related_name="hits"
    )
    review_due_on = models.DateField(_("review due on"), db_index=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    review_reason = models.TextField(_("review reason"), blank=True)

    history = HistoricalRecords()
    objects = HitQuerySet.as_manager()

    class Meta:
        verbose_name = _("screening hit")
        verbose_name_plural = _("screening hits")
        ordering = ["-raised_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["counterparty", "entry", "entry_hash"], name="aml_hit_once_per_entry_version"
            ),
            models.UniqueConstraint(
                fields=["counterparty", "entry"], condition=Q(status=HitStatus.PENDING), name="aml_hit_one_pending"
            ),
            models.CheckConstraint(condition=Q(score__lte=100), name="aml_hit_score_range"),
            models.CheckConstraint(
                condition=(Q(status=HitStatus.PENDING) & Q(reviewed_at__isnull=True))
                | (~Q(status=HitStatus.PENDING) & Q(reviewed_at__isnull=False)),
                name="aml_hit_reviewed_when_decided",
            ),
            models.CheckConstraint(
                condition=Q(status=HitStatus.PENDING) | ~Q(review_reason=""),
                name="aml_hit_review_reason",
                violation_error_message=_("A review needs its reason."),
            ),
        ]
        indexes = [models.Index(fields=["status", "review_due_on"], name="aml_hit_status_due")]

    def __str__(self) -> str:
        return f"{self.counterparty_name} ~ {self.matched_name} ({self.score})"
