"""A report's public part: what the compliance function and the auditors may see (reference, dates, category,
status, deadlines), the ledger of its deadlines, and which referents handle which legal entity."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.roles import WHISTLEBLOWING_REFERENT

from ..choices import Admissibility, Category, DeadlineKind, Proceedings, Status
from ..querysets import ReportQuerySet


class Report(models.Model):
    """Nothing here may identify the author or say what the report says (that is `ReportContent`, sealed):
    every role that reads whistleblowing sees these fields, their history included."""

    reference = models.CharField(_("reference"), max_length=32, unique=True)
    received_at = models.DateTimeField(_("received at"), db_index=True)
    category = models.CharField(_("category"), max_length=24, choices=Category.choices)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.RECEIVED)
    # The legal clock (whistleblowing/deadlines.py), written by the services with a DeadlineEvent each time.
    # NULL when none is due (an anonymous report that leaves no means of contact).
    acknowledgment_due_on = models.DateField(_("acknowledgment due on"), null=True, blank=True, db_index=True)
    acknowledged_on = models.DateField(_("acknowledged on"), null=True, blank=True)
    feedback_due_on = models.DateField(_("feedback due on"), null=True, blank=True, db_index=True)
    feedback_on = models.DateField(_("feedback given on"), null=True, blank=True)
    admissibility = models.CharField(_("admissibility"), max_length=16, choices=Admissibility.choices, blank=True)
    admissibility_decided_on = models.DateField(_("admissibility decided on"), null=True, blank=True)
    meeting_requested_on = models.DateField(_("meeting requested on"), null=True, blank=True)
    meeting_due_on = models.DateField(_("meeting due on"), null=True, blank=True, db_index=True)
    meeting_held_on = models.DateField(_("meeting held on"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    # Retention (docs/rules.md): proceedings keep the report until they end, on the date the referent sets.
    proceedings = models.CharField(
        _("proceedings"), max_length=16, choices=Proceedings.choices, default=Proceedings.NONE
    )
    proceedings_ended_on = models.DateField(_("proceedings ended on"), null=True, blank=True)
    anonymised_on = models.DateField(_("anonymised on"), null=True, blank=True, editable=False)
    #: The day the letters to the author and the follow-up codes went, at the end of the reading period that
    #: follows the anonymisation (retention policy "whistleblowing.notice").
    letters_erased_on = models.DateField(_("letters to the author erased on"), null=True, blank=True, editable=False)

    history = HistoricalRecords()
    objects = ReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("whistleblowing report")
        verbose_name_plural = _("whistleblowing reports")
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(admissibility="") & Q(admissibility_decided_on__isnull=True))
                | (~Q(admissibility="") & Q(admissibility_decided_on__isnull=False)),
                name="wb_report_admissibility_dated",
                violation_error_message=_("An admissibility decision needs its date, and a date its decision."),
            ),
            models.CheckConstraint(
                condition=(Q(status=Status.CLOSED) & Q(closed_on__isnull=False))
                | (~Q(status=Status.CLOSED) & Q(closed_on__isnull=True)),
                name="wb_report_closed_dated",
                violation_error_message=_("A closed report needs its closing date, and only a closed one."),
            ),
            models.CheckConstraint(
                condition=Q(feedback_on__isnull=True)
                | Q(acknowledged_on__isnull=True)
                | Q(feedback_on__gte=F("acknowledged_on")),
                name="wb_report_feedback_after_ack",
                violation_error_message=_("Feedback cannot precede the acknowledgment."),
            ),
            models.CheckConstraint(
                condition=Q(proceedings_ended_on__isnull=True) | Q(proceedings=Proceedings.ENDED),
                name="wb_report_proceedings_end_dated",
                violation_error_message=_("An end date goes only with proceedings that ended."),
            ),
        ]
        indexes = [models.Index(fields=["status", "received_at"], name="wb_report_status_received")]

    def __str__(self) -> str:
        return self.reference


class DeadlineEvent(models.Model):
    """Why a report's deadline is what it is: one row per computation (the "why this date" ledger). Its
    wording holds dates and rules only, never the author or the content. Append-only, so no history."""

    report = models.ForeignKey(
        Report, verbose_name=_("whistleblowing report"), on_delete=models.CASCADE, related_name="deadline_events"
    )
    deadline = models.CharField(_("deadline"), max_length=16, choices=DeadlineKind.choices)
    at = models.DateTimeField(_("at"), auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    due_on = models.DateField(_("due on"), null=True, blank=True)
    explanation = models.TextField(_("explanation"), blank=True)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("deadline computation")
        verbose_name_plural = _("deadline computations")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.report.reference}: {self.get_deadline_display()}"


class ReferentAssignment(models.Model):
    """A referent designated for a legal entity. Read only when VIGIE_WHISTLEBLOWING_REFERENTS_PER_ENTITY is
    true: a referent then sees the content of the reports of their entities (and of reports with no entity).

    Sealed for the referents and the superusers who designate them: with per-entity referents, "who acted on
    a report" (its history) joined to "who handles which entity" would tell anyone else the report's entity,
    which is sealed content."""

    sealed_role = WHISTLEBLOWING_REFERENT
    sealed_superusers_setting = ""  # superusers pass: they designate the referents

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("referent"), on_delete=models.CASCADE, related_name="+"
    )
    # No database constraint and nothing done on the entity's deletion (as ReportContent.entity): deleting an
    # entity must not reach a whistleblowing model, which the roles that manage the roster may not see
    # (core/roles.py deletion_reaches); an assignment to a deleted entity is ignored (whistleblowing/selectors.py).
    entity = models.ForeignKey(
        "organization.LegalEntity",
        verbose_name=_("legal entity"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("referent assignment")
        verbose_name_plural = _("referent assignments")
        constraints = [models.UniqueConstraint(fields=["user", "entity"], name="wb_referent_entity_unique")]

    def __str__(self) -> str:
        entity = type(self).entity.field.related_model._default_manager.filter(pk=self.entity_id).first()
        return f"{self.user} — {entity if entity is not None else f'#{self.entity_id}'}"
