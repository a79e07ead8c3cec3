"""A report's sealed part: who wrote it, what it says, the messages and files exchanged with the author, the
follow-up credentials and the links to other records. Only the referents see these models (loi 2016-1691
art. 9): each declares `sealed_role` (core/roles.py `seal_of`), and superusers are not let in."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.roles import NO_SUPERUSERS, WHISTLEBLOWING_REFERENT

from ..choices import AuthorRelation, Channel, Direction, LinkKind, MessageKind
from ..files import attachment_path, report_storage


class SealedForReferents(models.Model):
    sealed_role = WHISTLEBLOWING_REFERENT
    sealed_superusers_setting = NO_SUPERUSERS

    class Meta:
        abstract = True


def _unconstrained(model: str, verbose_name: Any, related_name: str = "+") -> models.ForeignKey:
    """A link to another domain's record that its deletion neither refuses nor lists (a deletion page would
    otherwise tell its user that a report points there)."""
    return models.ForeignKey(
        model,
        verbose_name=verbose_name,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name=related_name,
    )


class ReportContent(SealedForReferents):
    report = models.OneToOneField(
        "whistleblowing.Report",
        verbose_name=_("whistleblowing report"),
        on_delete=models.CASCADE,
        related_name="content",
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, default=Channel.WEB)
    anonymous = models.BooleanField(_("anonymous"), default=False)
    # An anonymous author may still leave a way to be reached (the follow-up space counts as one).
    contact_possible = models.BooleanField(_("the author can be contacted"), default=True)
    author_name = models.CharField(_("author's name"), max_length=200, blank=True)
    author_email = models.EmailField(_("author's email"), blank=True)
    author_phone = models.CharField(_("author's phone"), max_length=40, blank=True)
    author_relation = models.CharField(
        _("author's relation to the company"), max_length=24, choices=AuthorRelation.choices, blank=True
    )
    author_contact = models.TextField(_("other means of contact"), blank=True)
    entity = _unconstrained("organization.LegalEntity", _("legal entity"))
    facts = models.TextField(_("facts reported"))
    facts_period = models.CharField(_("when the facts happened"), max_length=200, blank=True)
    persons_concerned = models.TextField(_("persons concerned"), blank=True)
    admissibility_reasons = models.TextField(_("reasons for the admissibility decision"), blank=True)
    measures = models.TextField(_("measures envisaged or taken"), blank=True)
    proceedings_note = models.TextField(_("proceedings"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("report content")
        verbose_name_plural = _("report contents")

    def __str__(self) -> str:
        return str(self.report)


class Message(SealedForReferents):
    """A message of the follow-up space, either way; the acknowledgment, admissibility, feedback and closure
    letters are messages of their kind, and so are the minutes of an oral report."""

    report = models.ForeignKey(
        "whistleblowing.Report",
        verbose_name=_("whistleblowing report"),
        on_delete=models.CASCADE,
        related_name="messages",
    )
    direction = models.CharField(_("direction"), max_length=16, choices=Direction.choices)
    kind = models.CharField(_("kind"), max_length=24, choices=MessageKind.choices, default=MessageKind.MESSAGE)
    body = models.TextField(_("message"))
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("follow-up message")
        verbose_name_plural = _("follow-up messages")
        ordering = ["sent_at", "pk"]

    def __str__(self) -> str:
        return f"{self.report} — {self.get_kind_display()}"


class Attachment(SealedForReferents):
    report = models.ForeignKey(
        "whistleblowing.Report",
        verbose_name=_("whistleblowing report"),
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    message = models.ForeignKey(
        Message, verbose_name=_("message"), on_delete=models.SET_NULL, null=True, blank=True, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to=attachment_path, storage=report_storage, max_length=200)
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    from_author = models.BooleanField(_("sent by the author"), default=True)
    uploaded_at = models.DateTimeField(_("added at"), default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return f"{self.report} — {self.name}"


class FollowUpAccess(SealedForReferents):
    """The receipt code and passphrase that open the follow-up space. The code is kept as a digest (found by
    lookup), the passphrase hashed like a password; neither is ever stored in clear. A credential, not a
    business record: no history (its history would only keep old hashes)."""

    report = models.OneToOneField(
        "whistleblowing.Report",
        verbose_name=_("whistleblowing report"),
        on_delete=models.CASCADE,
        related_name="access",
    )
    code_digest = models.CharField(_("receipt code digest"), max_length=64, unique=True)
    passphrase_hash = models.CharField(_("passphrase hash"), max_length=256)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("follow-up access")
        verbose_name_plural = _("follow-up accesses")

    def __str__(self) -> str:
        return str(self.report)


class ReportLink(SealedForReferents):
    """A report linked to the record it led to, without copying anything of the report into that record."""

    report = models.ForeignKey(
        "whistleblowing.Report", verbose_name=_("whistleblowing report"), on_delete=models.CASCADE, related_name="links"
    )
    kind = models.CharField(_("linked record"), max_length=16, choices=LinkKind.choices)
    coi_case = _unconstrained("compliance.ConflictOfInterestCase", _("conflict-of-interest case"))
    aml_alert = _unconstrained("aml.Alert", _("vigilance alert"))
    breach = _unconstrained("gdpr.Breach", _("breach"))
    linked_at = models.DateTimeField(_("linked at"), default=timezone.now)
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("linked by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("linked record")
        verbose_name_plural = _("linked records")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind=LinkKind.COI_CASE, coi_case__isnull=False, aml_alert__isnull=True, breach__isnull=True)
                    | Q(kind=LinkKind.AML_ALERT, coi_case__isnull=True, aml_alert__isnull=False, breach__isnull=True)
                    | Q(kind=LinkKind.BREACH, coi_case__isnull=True, aml_alert__isnull=True, breach__isnull=False)
                ),
                name="wb_link_one_record",
                violation_error_message=_("A link points to exactly one record, of its kind."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.report} — {self.get_kind_display()}"
