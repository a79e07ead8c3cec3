"""Admin of the whistleblowing reports.

Everyone who may view whistleblowing (compliance officers, auditors, superusers, referents) sees the report's
public part: reference, dates, category, status, deadlines, their ledger; read-only. The list is filtered,
searched (by reference) and sorted on those fields only. A referent who may read the report's sealed part
(whistleblowing/selectors.py `content_visible_to`) also sees on the change page the author, the content, the
messages both ways with their attachments (downloaded through `<id>/attachment/<n>/`, which answers 404 to
anyone else, exactly as for an id that does not exist) and the linked records, and moves the report by the
buttons of its change page, each a small form calling a service of whistleblowing/services/reports.py. The
add page records a report received by email, post, phone or meeting (`report_record`). Nobody deletes a report
here: the retention machinery anonymises it. Django's admin log gets nothing (it copies `str(obj)` of what it
is told, and the sealed part has no admin of its own).
"""

from __future__ import annotations

import datetime as dt
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, gettext_lazy as _
from django.views.decorators.cache import never_cache
from simple_history.admin import SimpleHistoryAdmin

from core.admin_actions import TransitionButtonsMixin, adopt, attach_errors, error_text, format_translated
from core.admin_choosers import user_choice_field
from core.admin_utils import CheckedListFilter, date_input, due_badge
from core.dates import format_date, format_datetime
from organization.models import LegalEntity

from ..choices import Admissibility, AuthorRelation, Channel, LinkKind, MessageKind, Proceedings, Status
from ..models import Attachment, ReferentAssignment, Report, ReportContent, ReportLink
from ..selectors import content_condition, content_visible_to, is_referent, link_target_model, linkable_kinds
from ..services import reports as services
from ..services.attachments import attachment_response

if TYPE_CHECKING:
    ReportAdminBase = SimpleHistoryAdmin[Report]
else:
    ReportAdminBase = SimpleHistoryAdmin


#: A service's refusal of the add page, for the form shown again (`ReportAdmin._changeform_view`).
_refusal: ContextVar[ValidationError | None] = ContextVar("whistleblowing_admin_refusal", default=None)


class _Refused(Exception):
    """`report_record` refused the add form's data (carried out of the admin's save, to show the form again)."""

    def __init__(self, error: ValidationError) -> None:
        super().__init__(error)
        self.error = error


def _renamed(exc: ValidationError, names: dict[str, str]) -> ValidationError:
    """The service's error with its keys renamed to the form's fields (a service's `files` is a form's `file`)."""
    if not hasattr(exc, "error_dict"):
        return exc
    renamed: dict[str, list[ValidationError]] = {}
    for key, errors in exc.error_dict.items():
        renamed.setdefault(names.get(key, key), []).extend(errors)
    return ValidationError(renamed)


# --- list filters (on the report's public fields only) ---------------------------------------------------


class DueFilter(CheckedListFilter):
    """Open reports past a deadline (`Report.objects.overdue`), whose acknowledgment is due by Sunday, or whose
    feedback is due within 30 days."""

    title = _("deadlines")
    parameter_name = "due"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, Any]]:
        return [
            ("overdue", _("Overdue")),
            ("ack_week", _("Acknowledgment due this week")),
            ("feedback_30", _("Feedback due within 30 days")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        today = timezone.localdate()
        if self.cleaned == "overdue":
            return queryset.filter(pk__in=Report.objects.overdue(today).values("pk"))
        if self.cleaned == "ack_week":
            sunday = today + dt.timedelta(days=6 - today.weekday())
            return queryset.filter(
                pk__in=Report.objects.acknowledgment_pending().filter(acknowledgment_due_on__lte=sunday).values("pk")
            )
        if self.cleaned == "feedback_30":
            return queryset.filter(
                pk__in=Report.objects.feedback_pending()
                .filter(feedback_due_on__lte=today + dt.timedelta(days=30))
                .values("pk")
            )
        return queryset


class ReadableFilter(CheckedListFilter):
    """With per-entity referents, the reports whose sealed part the user may read (`content_condition`): the
    links of the referents' desk carry it (whistleblowing/indicators.py), so that they list what is counted."""

    title = _("reports I may read")
    parameter_name = "readable"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, Any]]:
        if not settings.VIGIE_WHISTLEBLOWING_REFERENTS_PER_ENTITY or not is_referent(request.user):
            return []
        return [("1", _("Yes"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.cleaned == "1":
            return queryset.filter(content_condition(request.user))
        return queryset


# --- forms -----------------------------------------------------------------------------------------------


def _text(label: Any, *, required: bool = True, rows: int = 4, **kwargs: Any) -> forms.CharField:
    return forms.CharField(label=label, required=required, widget=forms.Textarea(attrs={"rows": rows}), **kwargs)


class ReportRecordForm(forms.ModelForm):
    """A report received otherwise than on the public page (email, post, phone, meeting), entered by a
    referent: the public part is the model's, the sealed part goes to `report_record`."""

    channel = forms.ChoiceField(
        label=_("channel"), choices=[(c.value, c.label) for c in Channel if c != Channel.WEB], initial=Channel.EMAIL
    )
    anonymous = forms.BooleanField(label=_("anonymous"), required=False)
    contact_possible = forms.BooleanField(label=_("the author can be contacted"), required=False, initial=True)
    author_name = forms.CharField(label=_("author's name"), max_length=200, required=False)
    author_email = forms.EmailField(label=_("author's email"), required=False)
    author_phone = forms.CharField(label=_("author's phone"), max_length=40, required=False)
    author_relation = forms.ChoiceField(
        label=_("author's relation to the company"), choices=[("", "—"), *AuthorRelation.choices], required=False
    )
    author_contact = _text(_("other means of contact"), required=False, rows=2)
    entity = forms.ModelChoiceField(label=_("legal entity"), queryset=LegalEntity.objects.all(), required=False)
    facts = _text(_("facts reported"), rows=8)
    facts_period = forms.CharField(label=_("when the facts happened"), max_length=200, required=False)
    persons_concerned = _text(_("persons concerned"), required=False, rows=3)
    file = forms.FileField(label=_("attachment"), required=False)

    class Meta:
        model = Report
        fields = ["reference", "received_at", "category"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "reference" in self.fields:
            self.fields["reference"].required = False
            self.fields["reference"].help_text = _("Generated when left empty.")
        if settings.VIGIE_WHISTLEBLOWING_REFERENTS_PER_ENTITY and "entity" in self.fields:
            # Without one, every referent would read it (`services.check_record_entity` says so too).
            self.fields["entity"].required = True
            self.fields["entity"].help_text = _("One of your legal entities: its referents read the report.")

    def clean_reference(self) -> str | None:
        return (self.cleaned_data.get("reference") or "").strip() or None

    def clean(self) -> dict[str, Any]:
        super().clean()
        refused = _refusal.get()
        if refused is not None:  # shown again after the service refused it: its messages on the fields
            attach_errors(cast(forms.Form, self), refused)
        return self.cleaned_data


#: The fields of `ReportRecordForm` that `report_record` takes besides the model's.
RECORD_FIELDS = [
    "channel",
    "anonymous",
    "contact_possible",
    "author_name",
    "author_email",
    "author_phone",
    "author_relation",
    "author_contact",
    "entity",
    "facts",
    "facts_period",
    "persons_concerned",
    "file",
]


class AcknowledgeForm(forms.Form):
    acknowledged_on = forms.DateField(label=_("acknowledged on"), widget=date_input())
    message = _text(_("message to the author"), required=False)


class AdmissibilityForm(forms.Form):
    admissibility = forms.ChoiceField(label=_("admissibility"), choices=Admissibility.choices)
    decided_on = forms.DateField(label=_("decided on"), widget=date_input())
    # Required for an inadmissible report only (the author is told them): the service says so on this field.
    reasons = _text(_("reasons for the admissibility decision"), required=False)


class InvestigationForm(forms.Form):
    measures = _text(_("measures envisaged or taken"), required=False)


class FeedbackForm(forms.Form):
    feedback_on = forms.DateField(label=_("feedback given on"), widget=date_input())
    measures = _text(_("measures envisaged or taken"))
    message = _text(_("message to the author"))


class CloseForm(forms.Form):
    closed_on = forms.DateField(label=_("closed on"), widget=date_input())
    message = _text(_("message to the author"))


class MessageForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("kind"),
        choices=[(k.value, k.label) for k in (MessageKind.MESSAGE, MessageKind.MINUTES)],
        initial=MessageKind.MESSAGE,
    )
    body = _text(_("message"), rows=8)
    file = forms.FileField(label=_("attachment"), required=False)


class MeetingRequestForm(forms.Form):
    requested_on = forms.DateField(label=_("meeting requested on"), widget=date_input())


class MeetingHeldForm(forms.Form):
    held_on = forms.DateField(label=_("meeting held on"), widget=date_input())
    minutes = _text(_("minutes of the meeting"), required=False, rows=8)


class ProceedingsForm(forms.Form):
    proceedings = forms.ChoiceField(label=_("proceedings"), choices=Proceedings.choices)
    ended_on = forms.DateField(label=_("proceedings ended on"), widget=date_input(), required=False)
    note = _text(_("proceedings"), required=False)


class LinkForm(forms.Form):
    """The record a report led to, by its reference: only the kinds of record the user may view
    (`selectors.linkable_kinds`; the AML alert only for the AML/CFT function), or a reference typed here would
    tell whether a record they may not see exists."""

    coi_case = forms.CharField(label=_("conflict-of-interest case (reference)"), max_length=32, required=False)
    breach = forms.CharField(label=_("breach (reference)"), max_length=32, required=False)
    aml_alert = forms.CharField(label=_("vigilance alert (reference)"), max_length=32, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kinds = linkable_kinds(user)
        for name in [name for name in self.fields if name not in kinds]:
            del self.fields[name]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        given = [name for name in self.fields if data.get(name)]
        if len(given) != 1:
            raise ValidationError(gettext("Give the reference of exactly one record."))
        name = given[0]
        record = _linkable(name, data[name].strip())
        if record is None:
            self.add_error(name, gettext("No record has this reference."))
        data["record"] = record
        return data


def _linkable(kind: str, reference: str) -> Any:
    return link_target_model(kind)._default_manager.filter(reference=reference).first()


class EntityForm(forms.Form):
    entity = forms.ModelChoiceField(label=_("legal entity"), queryset=LegalEntity.objects.all(), required=False)


class ContactForm(forms.Form):
    contact_possible = forms.BooleanField(
        label=_("the author can be contacted"),
        required=False,
        help_text=_(
            "Ticked: the acknowledgment and feedback deadlines run from the receipt. Unticked (an anonymous author "
            "who left no means of contact, before any acknowledgment): none is due."
        ),
    )


class CredentialsForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("Issue a new receipt code and passphrase (the current ones stop working)"), required=True
    )


#: action → (form, service, button title, done message)
TRANSITIONS: dict[str, tuple[type[forms.Form], Any, Any, Any]] = {
    "acknowledge": (
        AcknowledgeForm,
        services.report_acknowledge,
        _("Acknowledge receipt"),
        _("Acknowledgment recorded."),
    ),
    "admissibility": (
        AdmissibilityForm,
        services.report_decide_admissibility,
        _("Decide admissibility"),
        _("Admissibility decision recorded."),
    ),
    "investigate": (
        InvestigationForm,
        services.report_start_investigation,
        _("Start the investigation"),
        _("Investigation started."),
    ),
    "feedback": (FeedbackForm, services.report_give_feedback, _("Give feedback"), _("Feedback recorded.")),
    "close": (CloseForm, services.report_close, _("Close"), _("Report closed.")),
    "message": (MessageForm, services.message_to_author, _("Write to the author"), _("Message sent.")),
    "meeting_request": (
        MeetingRequestForm,
        services.report_request_meeting,
        _("Record a meeting request"),
        _("Meeting request recorded."),
    ),
    "meeting_held": (
        MeetingHeldForm,
        services.report_meeting_held,
        _("Record the meeting held"),
        _("Meeting recorded."),
    ),
    "proceedings": (
        ProceedingsForm,
        services.report_set_proceedings,
        _("Set the proceedings"),
        _("Proceedings recorded."),
    ),
    "link": (LinkForm, services.report_link, _("Link a record"), _("Record linked.")),
    "entity": (EntityForm, services.report_entity_set, _("Set the legal entity"), _("Legal entity recorded.")),
    "contact": (
        ContactForm,
        services.report_contact_set,
        _("Can the author be contacted?"),
        _("Means of contact recorded; the deadlines follow."),
    ),
    "credentials": (CredentialsForm, services.follow_up_issue, _("New follow-up codes"), ""),
}


#: The services' verbs (services.ACTIONS) → the admin's actions (its URLs and buttons).
SERVICE_ACTIONS = {
    "acknowledge": "acknowledge",
    "decide_admissibility": "admissibility",
    "start_investigation": "investigate",
    "give_feedback": "feedback",
    "close": "close",
    "message": "message",
    "request_meeting": "meeting_request",
    "meeting_held": "meeting_held",
    "set_proceedings": "proceedings",
    "link": "link",
    "entity_set": "entity",
    "contact_set": "contact",
    "follow_up_issue": "credentials",
}


def allowed_actions(report: Report) -> list[str]:
    """The buttons of the steps the services accept from the report's state (they refuse the rest)."""
    allowed = set(services.report_allowed_actions(report))
    return [action for verb, action in SERVICE_ACTIONS.items() if verb in allowed]


# --- the report --------------------------------------------------------------------------------------------

PUBLIC_FIELDS = [
    "reference",
    "received_at_display",
    "category",
    "status",
    "acknowledgment_due_on",
    "acknowledgment_due",
    "acknowledged_on",
    "feedback_due_on",
    "feedback_due",
    "feedback_on",
    "admissibility",
    "admissibility_decided_on",
    "meeting_requested_on",
    "meeting_due_on",
    "meeting_held_on",
    "closed_on",
    "proceedings",
    "proceedings_ended_on",
    "anonymised_on",
    "ledger",
]
SEALED_FIELDS = [
    "author_display",
    "channel_display",
    "entity_display",
    "facts_display",
    "persons_display",
    "admissibility_reasons_display",
    "measures_display",
    "proceedings_note_display",
    "messages_display",
    "links_display",
]


@admin.register(Report)
class ReportAdmin(TransitionButtonsMixin, ReportAdminBase):
    form = ReportRecordForm
    list_display = [
        "reference",
        "received",
        "category",
        "status",
        "acknowledgment_due_on",
        "acknowledged_on",
        "feedback_due_on",
        "feedback_on",
        "closed_on",
    ]
    list_filter = ["status", "category", DueFilter, ReadableFilter]
    search_fields = ["^reference"]
    date_hierarchy = "received_at"
    ordering = ["-received_at", "-pk"]
    show_full_result_count = False
    list_per_page = 50
    transitions = TRANSITIONS
    allowed_actions = staticmethod(allowed_actions)
    transition_not_possible = _("“%(action)s” is not possible for a report whose status is “%(status)s”.")
    transition_url_dashes = True
    readonly_fields = PUBLIC_FIELDS + SEALED_FIELDS

    # -- who may do what -------------------------------------------------------------------------------
    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_referent(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Report | None = None) -> bool:
        # Read-only for everyone but the referents who may read the report (superusers included).
        if not is_referent(request.user):
            return False
        if obj is not None and not content_visible_to(request.user, obj):
            return False
        return super().has_change_permission(request, obj)

    # A report is evidence and its retention anonymises it: never deleted here, never reverted.
    def has_delete_permission(self, request: HttpRequest, obj: Report | None = None) -> bool:
        return False

    def revert_disabled(self, request: HttpRequest, obj: Report | None = None) -> bool:
        return True

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        return {}

    # Django's admin log copies `str(obj)` and the change message; the history keeps who did what.
    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> None:  # type: ignore[override]
        return None

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> None:  # type: ignore[override]
        return None

    def log_deletion(self, request: HttpRequest, obj: Any, object_repr: str) -> None:
        return None

    # -- the pages ---------------------------------------------------------------------------------------
    def get_fieldsets(self, request: HttpRequest, obj: Report | None = None) -> list:
        if obj is None:
            return [
                (None, {"fields": ["reference", "received_at", "category", "channel", "entity"]}),
                (
                    _("Author"),
                    {
                        "fields": [
                            "anonymous",
                            "contact_possible",
                            "author_name",
                            "author_email",
                            "author_phone",
                            "author_relation",
                            "author_contact",
                        ]
                    },
                ),
                (_("Report"), {"fields": ["facts", "facts_period", "persons_concerned", "file"]}),
            ]
        public = [
            (None, {"fields": ["reference", "received_at_display", "category", "status"]}),
            (
                _("Deadlines"),
                {
                    "fields": [
                        "acknowledgment_due",
                        "acknowledged_on",
                        "feedback_due",
                        "feedback_on",
                        "meeting_requested_on",
                        "meeting_due_on",
                        "meeting_held_on",
                        "ledger",
                    ]
                },
            ),
            (
                _("Decisions"),
                {
                    "fields": [
                        "admissibility",
                        "admissibility_decided_on",
                        "closed_on",
                        "proceedings",
                        "proceedings_ended_on",
                        "anonymised_on",
                    ]
                },
            ),
        ]
        if not content_visible_to(request.user, obj):
            return public
        return [
            *public,
            (_("Author"), {"fields": ["author_display", "channel_display", "entity_display"]}),
            (
                _("Report"),
                {
                    "fields": [
                        "facts_display",
                        "persons_display",
                        "admissibility_reasons_display",
                        "measures_display",
                        "proceedings_note_display",
                    ]
                },
            ),
            (_("Follow-up with the author"), {"fields": ["messages_display"]}),
            (_("Linked records"), {"fields": ["links_display"]}),
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Report | None = None) -> list[str]:
        return [] if obj is None else list(self.readonly_fields)

    def get_autocomplete_fields(self, request: HttpRequest) -> list[str]:
        return []

    # -- columns and the public part -------------------------------------------------------------------
    @admin.display(description=_("received at"), ordering="received_at")
    def received(self, obj: Report) -> str:
        return format_datetime(obj.received_at)

    @admin.display(description=_("received at"))
    def received_at_display(self, obj: Report) -> str:
        return format_datetime(obj.received_at)

    @admin.display(description=_("acknowledgment"))
    def acknowledgment_due(self, obj: Report) -> str:
        if obj.acknowledgment_due_on is None:
            return gettext("None due (no means of contact).")
        return format_html(
            "{} {}", format_date(obj.acknowledgment_due_on), due_badge(obj.acknowledgment_due_on, done=_done(obj, "a"))
        )

    @admin.display(description=_("feedback"))
    def feedback_due(self, obj: Report) -> str:
        if obj.feedback_due_on is None:
            return gettext("None due (no means of contact).")
        return format_html(
            "{} {}", format_date(obj.feedback_due_on), due_badge(obj.feedback_due_on, done=_done(obj, "f"))
        )

    @admin.display(description=_("why these dates"))
    def ledger(self, obj: Report) -> str:
        events = list(obj.deadline_events.all())
        if not events:
            return "–"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li><strong>{}</strong> ({}): {} — {}</li>",
                (
                    (
                        event.get_deadline_display(),
                        format_datetime(event.at),
                        format_date(event.due_on) if event.due_on else "–",
                        event.explanation or event.reason,
                    )
                    for event in events
                ),
            ),
        )

    # -- the sealed part (only in the fieldsets of a referent who may read it) -------------------------
    def _content(self, obj: Report) -> ReportContent | None:
        return ReportContent.objects.filter(report=obj).first()

    @admin.display(description=_("author"))
    def author_display(self, obj: Report) -> str:
        content = self._content(obj)
        if content is None:
            return "–"
        if content.anonymous and not (content.author_name or content.author_email or content.author_phone):
            identity = gettext("Anonymous")
        else:
            identity = " · ".join(
                part for part in (content.author_name, content.author_email, content.author_phone) if part
            )
        return format_html(
            "{}<br>{}<br>{}{}",
            _isolated(identity),
            content.get_author_relation_display() or "–",
            gettext("Can be contacted") if content.contact_possible else gettext("Cannot be contacted"),
            format_html("<br>{}", _isolated(content.author_contact)) if content.author_contact else "",
        )

    @admin.display(description=_("channel"))
    def channel_display(self, obj: Report) -> str:
        content = self._content(obj)
        if content is None:
            return "–"
        anonymous = gettext("anonymous") if content.anonymous else gettext("not anonymous")
        return f"{content.get_channel_display()} ({anonymous})"

    @admin.display(description=_("legal entity"))
    def entity_display(self, obj: Report) -> str:
        content = self._content(obj)
        if content is None or content.entity_id is None:
            return "–"
        entity = LegalEntity.objects.filter(pk=content.entity_id).first()
        return str(entity) if entity is not None else f"#{content.entity_id}"

    def _long(self, obj: Report, field: str) -> str:
        content = self._content(obj)
        value = getattr(content, field, "") if content is not None else ""
        return format_html('<div style="white-space: pre-wrap">{}</div>', _isolated(value)) if value else "–"

    @admin.display(description=_("facts reported"))
    def facts_display(self, obj: Report) -> str:
        content = self._content(obj)
        if content is None:
            return "–"
        return format_html(
            '<div style="white-space: pre-wrap">{}</div>{}',
            _isolated(content.facts),
            format_html("<p>{}: {}</p>", gettext("When"), _isolated(content.facts_period))
            if content.facts_period
            else "",
        )

    @admin.display(description=_("persons concerned"))
    def persons_display(self, obj: Report) -> str:
        return self._long(obj, "persons_concerned")

    @admin.display(description=_("reasons for the admissibility decision"))
    def admissibility_reasons_display(self, obj: Report) -> str:
        return self._long(obj, "admissibility_reasons")

    @admin.display(description=_("measures envisaged or taken"))
    def measures_display(self, obj: Report) -> str:
        return self._long(obj, "measures")

    @admin.display(description=_("proceedings"))
    def proceedings_note_display(self, obj: Report) -> str:
        return self._long(obj, "proceedings_note")

    def _attachment_link(self, obj: Report, attachment: Attachment) -> str:
        url = reverse(
            "admin:whistleblowing_report_attachment", args=[obj.pk, attachment.pk], current_app=self.admin_site.name
        )
        return format_html('<a href="{}" download>{}</a> ({} B)', url, _isolated(attachment.name), attachment.size)

    @admin.display(description=_("messages"))
    def messages_display(self, obj: Report) -> str:
        messages_ = list(obj.messages.order_by("sent_at", "pk"))
        attachments = list(obj.attachments.order_by("uploaded_at", "pk"))
        by_message: dict[int | None, list[Attachment]] = {}
        for attachment in attachments:
            by_message.setdefault(attachment.message_id, []).append(attachment)
        rows = []
        loose = by_message.get(None, [])
        if loose:
            rows.append(
                format_html(
                    "<li><strong>{}</strong>: {}</li>",
                    gettext("Attachments of the report"),
                    format_html_join(", ", "{}", ((self._attachment_link(obj, a),) for a in loose)),
                )
            )
        for message in messages_:
            files = by_message.get(message.pk, [])
            rows.append(
                format_html(
                    '<li><strong>{}</strong> · {} · {}<div style="white-space: pre-wrap">{}</div>{}</li>',
                    format_datetime(message.sent_at),
                    message.get_direction_display(),
                    message.get_kind_display(),
                    _isolated(message.body),
                    format_html_join(", ", "{}", ((self._attachment_link(obj, a),) for a in files)) if files else "",
                )
            )
        return format_html("<ul>{}</ul>", format_html_join("", "{}", ((row,) for row in rows))) if rows else "–"

    @admin.display(description=_("linked records"))
    def links_display(self, obj: Report) -> str:
        return format_html_join("", "<div>{}</div>", ((text,) for text in self._link_texts(obj))) or "–"

    def _link_texts(self, obj: Report) -> list[str]:
        """The report's links as the reader may know them (`get_object` put their `linkable_kinds` on `obj`): the
        target's reference for the kinds they may view, the kind alone for a conflict-of-interest case or a breach
        they may not, and nothing of an AML/CFT alert outside the AML seal (not even that one exists)."""
        kinds = getattr(obj, "reader_link_kinds", ())
        texts = []
        for link in ReportLink.objects.filter(report=obj).order_by("linked_at", "pk"):
            if link.kind in kinds:
                texts.append(f"{link.get_kind_display()}: {_link_target(link)}")
            elif link.kind != LinkKind.AML_ALERT:
                texts.append(f"{link.get_kind_display()}: {gettext('(you may not view these records)')}")
        return texts

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Report | None:
        """The report, carrying what its reader may know of its links (the read-only fields get `obj` only)."""
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            obj.reader_link_kinds = linkable_kinds(request.user)
        return obj

    # -- files and the follow-up codes ----------------------------------------------------------------
    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<path:object_id>/attachment/<int:attachment_id>/",
                self.admin_site.admin_view(self.attachment_view),
                name="whistleblowing_report_attachment",
            ),
            *super().get_urls(),
        ]

    def _readable(self, request: HttpRequest, object_id: str) -> Report:
        """The report when `request.user` may read its sealed part; else 404, as for an id that does not exist."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None or not content_visible_to(request.user, obj):
            raise Http404
        return obj

    def attachment_view(self, request: HttpRequest, object_id: str, attachment_id: int) -> HttpResponseBase:
        obj = self._readable(request, object_id)
        attachment = Attachment.objects.filter(report=obj, pk=attachment_id).first()
        if attachment is None or not attachment.file:
            raise Http404
        return attachment_response(attachment)

    def transition_view(self, request: HttpRequest, object_id: str, action: str) -> HttpResponse:
        self._readable(request, object_id)
        if action == "credentials" and request.method == "POST":
            return self.credentials_view(request, object_id)
        return super().transition_view(request, object_id, action)

    def credentials_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """New follow-up credentials, shown on this page once (never stored in clear, never in a message)."""
        obj = self._readable(request, object_id)
        form = CredentialsForm(request.POST)
        if form.is_valid():
            try:
                code, passphrase = TRANSITIONS["credentials"][1](actor=request.user, report=obj)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
                return HttpResponseRedirect(reverse("admin:whistleblowing_report_change", args=[obj.pk]))
            else:
                context = {
                    **self.admin_site.each_context(request),
                    "title": gettext("New follow-up codes"),
                    "subtitle": str(obj),
                    "opts": self.opts,
                    "original": obj,
                    "code": code,
                    "passphrase": passphrase,
                    "change_url": reverse("admin:whistleblowing_report_change", args=[obj.pk]),
                }
                response = TemplateResponse(request, "admin/whistleblowing/report/credentials.html", context)
                return never_cache(lambda _request: response)(request)
        messages.error(request, gettext("Tick the box to issue new codes."))
        return HttpResponseRedirect(reverse("admin:whistleblowing_report_transition", args=[obj.pk, "credentials"]))

    # -- writes through the services ------------------------------------------------------------------
    def get_form(self, request: HttpRequest, obj: Report | None = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is not None:  # the change page has read-only fields only: the recording form's fields go
            kwargs["form"] = forms.ModelForm
        return super().get_form(request, obj, change, **kwargs)

    def save_model(self, request: HttpRequest, obj: Report, form: forms.ModelForm, change: bool) -> None:
        if change:  # every field is read-only on the change page: nothing to write
            return
        data = dict(form.cleaned_data)
        upload = data.pop("file", None)
        values = {name: data[name] for name in ["reference", "received_at", "category", *RECORD_FIELDS] if name in data}
        values.pop("file", None)
        values["author_relation"] = values.get("author_relation") or ""
        try:
            saved = services.report_record(actor=request.user, files=(upload,) if upload else (), **values)
        except ValidationError as exc:
            raise _Refused(_renamed(exc, {"files": "file"})) from exc
        adopt(obj, saved)

    def _changeform_view(
        self, request: HttpRequest, object_id: str | None, form_url: str, extra_context: dict[str, Any] | None
    ) -> HttpResponse:
        try:
            return super()._changeform_view(request, object_id, form_url, extra_context)  # type: ignore[misc]
        except _Refused as refused:
            # The service refused what the form let through (a receipt date in the future...): the same page
            # again, with what the referent typed and the service's messages on the fields they are about
            # (the form's validation adds them: `ReportRecordForm.clean`); nothing was written (atomic).
            form = self.get_form(request, None, change=False)
            labels = {name: field.label or name for name, field in form.base_fields.items()}
            self.message_user(request, error_text(refused.error, labels), messages.ERROR)
            token = _refusal.set(refused.error)
            try:
                return super()._changeform_view(request, object_id, form_url, extra_context)  # type: ignore[misc]
            finally:
                _refusal.reset(token)

    def apply_transition(self, request: HttpRequest, obj: Report, service: Any, data: dict[str, Any]) -> None:
        data = dict(data)
        try:
            if service is services.message_to_author:
                upload = data.pop("file", None)
                service(actor=request.user, report=obj, files=(upload,) if upload else (), **data)
            elif service is services.report_link:
                record = data.pop("record")
                given = next((name for name, value in data.items() if value), None)
                try:
                    service(actor=request.user, report=obj, record=record)
                except ValidationError as exc:
                    raise _renamed(exc, {"record": given or NON_FIELD_ERRORS}) from exc
            elif service is services.report_request_meeting:
                service(actor=request.user, report=obj, requested_on=data["requested_on"])
            else:
                service(actor=request.user, report=obj, **data)
        except ValidationError as exc:
            raise _renamed(exc, {"files": "file"}) from exc

    def transition_initial(self, action: str) -> dict[str, Any]:
        today = timezone.localdate()
        initial: dict[str, dict[str, Any]] = {
            "acknowledge": {"acknowledged_on": today},
            "admissibility": {"decided_on": today},
            "feedback": {"feedback_on": today},
            "close": {"closed_on": today},
            "meeting_request": {"requested_on": today},
            "meeting_held": {"held_on": today},
            "contact": {"contact_possible": True},
        }
        return initial.get(action, {})

    def transition_form_kwargs(self, request: HttpRequest, action: str, obj: Report) -> dict[str, Any]:
        return {"user": request.user} if action == "link" else {}

    def allowed_transitions(self, request: HttpRequest, obj: Report) -> list[str]:
        """No "link" button for a referent who may view no kind of record to link to."""
        allowed = list(self.allowed_actions(obj))
        return allowed if linkable_kinds(request.user) else [name for name in allowed if name != "link"]

    def transition_context(self, obj: Report) -> dict[str, Any]:
        return {
            "transition_intro": format_translated(
                gettext("Received %(received)s, status: %(status)s."),
                received=format_datetime(obj.received_at),
                status=obj.get_status_display(),
            )
        }


def _isolated(text: str) -> str:
    """What the author or a referent wrote, escaped and isolated from the page's text direction (`<bdi>`): a
    right-to-left override inside cannot turn what follows around (a file name, the next line)."""
    return format_html("<bdi>{}</bdi>", text)


def _done(obj: Report, which: str) -> bool:
    if obj.status == Status.CLOSED:
        return True
    return (obj.acknowledged_on if which == "a" else obj.feedback_on) is not None


def _link_target(link: ReportLink) -> str:
    from django.apps import apps

    for field, label in (
        ("coi_case", "compliance.ConflictOfInterestCase"),
        ("breach", "gdpr.Breach"),
        ("aml_alert", "aml.Alert"),
    ):
        target_id = getattr(link, f"{field}_id")
        if target_id is not None:
            record = apps.get_model(label)._default_manager.filter(pk=target_id).first()
            return str(getattr(record, "reference", record)) if record is not None else f"#{target_id}"
    return "–"


# --- the referents' designation -----------------------------------------------------------------------------


class ReferentAssignmentForm(forms.ModelForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "user" in self.fields:
            # The referents (the members of the role that reads the sealed part), by name.
            self.fields["user"] = user_choice_field(
                ReportContent, current=getattr(self.instance, "user_id", None), label=_("referent")
            )

    class Meta:
        model = ReferentAssignment
        fields = ["user", "entity"]


@admin.register(ReferentAssignment)
class ReferentAssignmentAdmin(SimpleHistoryAdmin):
    """Superusers designate the referents of each legal entity (read only when
    VIGIE_WHISTLEBLOWING_REFERENTS_PER_ENTITY is set); the referents see who handles what."""

    list_display = ["user", "entity"]
    list_select_related = ["user", "entity"]
    list_filter = ["entity"]
    autocomplete_fields = ["entity"]

    form = ReferentAssignmentForm
