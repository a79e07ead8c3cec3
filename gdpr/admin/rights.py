"""Admin of the rights requests: each deadline with its badge, its explanation and its ledger.

Wiring only: a new request goes through `rights_request_create`, an edit through
`rights_request_update` (descriptive fields) and `rights_request_set_handler`; status and deadlines
are read-only and change through the buttons of the change page, one small form per transition,
each calling its service (core.admin_actions.TransitionButtonsMixin). A refused transition comes back
as a message on the form, never a 500.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html, format_html_join, linebreaks
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from core.admin_actions import TransitionButtonsMixin, adopt, format_translated
from core.admin_utils import (
    AnonymisedMixin,
    DueDateFilter,
    ReadOnlyTabularInline,
    YearFilter,
    assigned_filter,
    date_input,
    datetime_input,
    due_badge,
)
from core.dates import format_date, format_datetime
from core.paginator import BigListAdminMixin

from ..choices import OPEN_REQUEST_STATUSES, Channel, Outcome, PauseReason, RefusalGround, Right
from ..models import ProcessingActivity, RightsRequest, RightsRequestPause
from ..services import rights as services
from .columns import nowrap, person, truncated

if TYPE_CHECKING:
    from ..querysets import RightsRequestQuerySet

    RightsRequestAdminBase = SimpleHistoryAdmin[RightsRequest]
else:
    RightsRequestAdminBase = SimpleHistoryAdmin


# --- list filters ----------------------------------------------------------------------------------------


class RightsDueFilter(DueDateFilter):
    """Overdue / due within 7 or 30 days, on the deadline that applies now, among open requests."""

    title = _("deadline")
    field = "applicable_due_on"
    open_lookup = {"status__in": OPEN_REQUEST_STATUSES}


class ReceivedYearFilter(YearFilter):
    title = _("year received")
    field = "received_at"

    def queryset(self, request: HttpRequest, queryset: QuerySet[RightsRequest]) -> QuerySet[RightsRequest]:
        if self.cleaned is None:
            return queryset
        # A range on the indexed column, in Paris time, rather than a year extracted from every row
        # (the changelist's queryset comes from `RightsRequest.objects`).
        return cast("RightsRequestQuerySet", queryset).received_in(self.cleaned)


# --- the request form ------------------------------------------------------------------------------------


class RightsRequestForm(forms.ModelForm):
    """What describes the request. On a new one, also its reference (optional) and its receipt."""

    other_rights = forms.MultipleChoiceField(
        label=_("other rights exercised"),
        choices=Right.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = RightsRequest
        fields = [
            "reference",
            "received_at",
            "right",
            "other_rights",
            "channel",
            "requester_name",
            "requester_email",
            "requester_address",
            "requester_category",
            "entity",
            "processing_activities",
            "handler",
            "notes",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "reference" in self.fields:
            self.fields["reference"].required = False
            self.fields["reference"].help_text = _("Generated (DSR-YYYY-NNNNN) when left empty.")
        if "received_at" in self.fields:
            self.fields["received_at"].help_text = _(
                "When the request reached any of our channels (Paris time): the deadline counts from that day."
            )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what ModelForm.clean() returns (its stubs allow None)
        if self.instance.pk is None and data.get("received_at"):
            received_at = data["received_at"]
            if received_at > timezone.now():
                self.add_error("received_at", gettext("This date is in the future."))
        return data


# --- inline: the pauses, made only through the pause / resume actions -----------------------------------


class PauseInline(ReadOnlyTabularInline):
    model = RightsRequestPause
    fields = ("reason", "asked_on", "answered_on", "days", "note")
    readonly_fields = fields
    verbose_name_plural = _("pauses (information asked for)")

    @admin.display(description=_("days"))
    def days(self, obj: RightsRequestPause) -> str:
        if obj.answered_on is None:
            return gettext("still waiting")
        return str((obj.answered_on - obj.asked_on).days)


# --- the transition forms: field names are the services' arguments --------------------------------------


class ConfirmForm(forms.Form):
    pass


class PauseForm(forms.Form):
    asked_on = forms.DateField(label=_("information asked for on"), widget=date_input())
    reason = forms.ChoiceField(label=_("reason"), choices=PauseReason.choices)
    note = forms.CharField(
        label=_("why it is needed"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Ask for identity only when there is a reasonable doubt: asking a person already "
            "authenticated (client area, known address) is disproportionate (EDPB 01/2022 §73)."
        ),
    )


class ResumeForm(forms.Form):
    answered_on = forms.DateField(label=_("information received on"), widget=date_input())


class ExtendForm(forms.Form):
    notified_at = forms.DateTimeField(
        label=_("requester told of the extension at"),
        widget=datetime_input(),
        help_text=_("Before the first deadline (Art. 12(3)); Paris time."),
    )
    reason = forms.CharField(
        label=_("reasons given to the requester"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class AnswerForm(forms.Form):
    answered_at = forms.DateTimeField(label=_("answered at"), widget=datetime_input())
    outcome = forms.ChoiceField(label=_("outcome"), choices=[c for c in Outcome.choices if c[0] != Outcome.WITHDRAWN])
    channel = forms.ChoiceField(label=_("answer channel"), choices=Channel.choices)


class RefuseForm(forms.Form):
    ground = forms.ChoiceField(
        label=_("refusal ground"), choices=[("", "---------"), *RefusalGround.choices], required=False
    )
    answered_at = forms.DateTimeField(label=_("refusal sent at"), widget=datetime_input())
    complaint_right_notified = forms.BooleanField(
        label=_("the refusal tells the requester of the right to complain to the CNIL (Art. 12(4))"),
        required=False,
    )
    channel = forms.ChoiceField(
        label=_("answer channel"), choices=[("", "---------"), *Channel.choices], required=False
    )


class WithdrawForm(forms.Form):
    withdrawn_at = forms.DateTimeField(
        label=_("withdrawn at"), widget=datetime_input(), required=False, help_text=_("Now when left empty.")
    )
    note = forms.CharField(label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class CloseForm(forms.Form):
    closed_at = forms.DateTimeField(
        label=_("closed at"), widget=datetime_input(), required=False, help_text=_("Now when left empty.")
    )


# action → (form, service, button label, success message)
TRANSITIONS: dict[str, tuple[type[forms.Form], Any, Any, Any]] = {
    "start": (ConfirmForm, services.rights_request_start, _("Start handling"), _("The request is in progress.")),
    "pause": (
        PauseForm,
        services.rights_request_pause,
        _("Pause: information asked for"),
        _("The deadline is suspended until the information is received."),
    ),
    "resume": (
        ResumeForm,
        services.rights_request_resume,
        _("Resume: information received"),
        _("The deadline runs again."),
    ),
    "extend": (ExtendForm, services.rights_request_extend, _("Extend by two months"), _("The request is extended.")),
    "answer": (AnswerForm, services.rights_request_answer, _("Record the answer"), _("The answer is recorded.")),
    "refuse": (RefuseForm, services.rights_request_refuse, _("Refuse (Art. 12(5))"), _("The refusal is recorded.")),
    "withdraw": (
        WithdrawForm,
        services.rights_request_withdraw,
        _("Withdrawn by the requester"),
        _("The withdrawal is recorded."),
    ),
    "close": (CloseForm, services.rights_request_close, _("Close"), _("The request is closed.")),
}


def _paragraphs(text: str) -> str:
    """Lines as HTML paragraphs, the text escaped."""
    return mark_safe(linebreaks(text, autoescape=True))


# --- the admin -------------------------------------------------------------------------------------------

_STATE_FIELDS = [
    "status",
    "due_on",
    "extended_due_on",
    "applicable_due_on",
    "due",
    "why_this_date",
    "extension_notified_at",
    "extension_reason",
    "answered_at",
    "outcome",
    "answer_channel",
    "refusal_ground",
    "complaint_right_notified",
    "closed_at",
]


@admin.register(RightsRequest)
class RightsRequestAdmin(BigListAdminMixin, AnonymisedMixin, TransitionButtonsMixin, RightsRequestAdminBase):
    form = RightsRequestForm
    # What fits a 1366 px screen: references and dates on one line, the deadline above its badge, long
    # names cut with the full text on hover.
    list_display = ["ref", "requester", "right", "status", "received", "deadline", "handler_name"]
    list_display_links = ["ref"]
    list_filter = [
        "status",
        "right",
        "channel",
        "requester_category",
        "entity",
        RightsDueFilter,
        ReceivedYearFilter,
        assigned_filter("handler"),
    ]
    list_select_related = ["handler"]
    # Trigram indexes serve this search on PostgreSQL (gdpr/migrations/0004_list_indexes.py). No date
    # hierarchy: the year filter offers the years without a DISTINCT over every request found.
    search_fields = ["reference", "requester_name", "requester_email"]
    list_per_page = 50
    ordering = ["-received_at", "-pk"]
    inlines = [PauseInline]
    transitions = TRANSITIONS
    allowed_actions = staticmethod(services.rights_request_allowed_actions)
    transition_not_possible = _("“%(action)s” is not possible for a request whose status is “%(status)s”.")
    add_fieldsets = [
        (None, {"fields": ["reference", "received_at", "right", "other_rights", "channel"]}),
        (_("Requester"), {"fields": ["requester_name", "requester_email", "requester_address", "requester_category"]}),
        (_("Handling"), {"fields": ["entity", "processing_activities", "handler", "notes"]}),
    ]
    fieldsets = [
        (None, {"fields": ["reference", "status", "entity", "handler"]}),
        (_("Deadline"), {"fields": ["due", "applicable_due_on", ("due_on", "extended_due_on"), "why_this_date"]}),
        (
            _("Request"),
            {"fields": ["received_at", "right", "other_rights", "channel", "processing_activities", "notes"]},
        ),
        (_("Requester"), {"fields": ["requester_name", "requester_email", "requester_address", "requester_category"]}),
        (_("Extension"), {"fields": ["extension_notified_at", "extension_reason"]}),
        (
            _("Answer"),
            {
                "fields": [
                    "answered_at",
                    "outcome",
                    "answer_channel",
                    "refusal_ground",
                    "complaint_right_notified",
                    "closed_at",
                ]
            },
        ),
    ]

    def get_fieldsets(self, request: HttpRequest, obj: RightsRequest | None = None) -> list:
        return self.add_fieldsets if obj is None else self.with_retention(obj, self.fieldsets)

    def get_readonly_fields(self, request: HttpRequest, obj: RightsRequest | None = None) -> list[str]:
        if obj is None:
            return []
        # The reference is the key of imports and letters; the receipt makes the deadline.
        return ["reference", "received_at", *_STATE_FIELDS, "anonymised_on"]

    def get_autocomplete_fields(self, request: HttpRequest) -> list[str]:
        # The register's admin (gdpr/admin/register.py) provides the search; without it, a plain select.
        return ["processing_activities"] if self.admin_site.is_registered(ProcessingActivity) else []

    # A request stays on record (it ends by an answer, a refusal or a withdrawal), and a revert from the
    # history would bypass the workflow.
    def has_delete_permission(self, request: HttpRequest, obj: RightsRequest | None = None) -> bool:
        return False

    def revert_disabled(self, request: HttpRequest, obj: RightsRequest | None = None) -> bool:
        return True

    # -- columns ---------------------------------------------------------------------------------------
    @admin.display(description=_("reference"), ordering="reference")
    def ref(self, obj: RightsRequest) -> str:
        return nowrap(obj.reference)

    @admin.display(description=_("requester"), ordering="requester_name")
    def requester(self, obj: RightsRequest) -> str:
        return truncated(obj.requester_name or "–", "11em")

    @admin.display(description=_("received"), ordering="received_at")
    def received(self, obj: RightsRequest) -> str:
        return nowrap(format_datetime(obj.received_at))

    @admin.display(description=_("deadline"), ordering="applicable_due_on")
    def deadline(self, obj: RightsRequest) -> str:
        """The deadline that applies now, its badge under it."""
        return format_html(
            "{}<br>{}",
            nowrap(format_date(obj.applicable_due_on, missing="–")),
            due_badge(obj.applicable_due_on, done=not obj.is_open),
        )

    @admin.display(description=_("handler"), ordering="handler__last_name")
    def handler_name(self, obj: RightsRequest) -> str:
        return truncated(person(obj.handler), "9em") if obj.handler else "–"

    @admin.display(description=_("time left"), ordering="applicable_due_on")
    def due(self, obj: RightsRequest) -> str:
        return due_badge(obj.applicable_due_on, done=not obj.is_open)

    @admin.display(description=_("Why this date"))
    def why_this_date(self, obj: RightsRequest) -> str:
        """The stored explanation, then the ledger: every computation, pause, resumption, extension (the
        calculation rules said once, above)."""
        current = services.readable_explanation(obj.deadline_explanation)
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    format_datetime(event.at),
                    event.get_kind_display(),
                    event.actor or "–",
                    format_date(event.due_on, missing="–"),
                    format_date(event.extended_due_on, missing="–"),
                    format_html(
                        "{}{}",
                        _paragraphs(services.readable_explanation(event.explanation, shown_above=current)),
                        format_html("<p><em>{}</em></p>", event.reason) if event.reason else "",
                    ),
                )
                for event in obj.deadline_events.select_related("actor")
            ),
        )
        head = format_html(
            "<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            gettext("at"),
            gettext("event"),
            gettext("by"),
            gettext("legal deadline"),
            gettext("extended deadline"),
            gettext("explanation"),
        )
        return format_html(
            '<div class="vigie-deadline-explanation">{}</div>'
            '<table class="vigie-deadline-ledger"><thead>{}</thead><tbody>{}</tbody></table>',
            _paragraphs(current),
            head,
            rows,
        )

    # -- writes through the services -----------------------------------------------------------------
    def save_model(self, request: HttpRequest, obj: RightsRequest, form: forms.ModelForm, change: bool) -> None:
        data = form.cleaned_data
        if not change:
            created = services.rights_request_create(
                actor=request.user,
                reference=data.get("reference") or None,
                received_at=data["received_at"],
                right=data["right"],
                other_rights=data.get("other_rights") or [],
                channel=data["channel"],
                requester_name=data.get("requester_name", ""),
                requester_email=data.get("requester_email", ""),
                requester_address=data.get("requester_address", ""),
                requester_category=data["requester_category"],
                processing_activities=data.get("processing_activities") or [],
                handler=data.get("handler"),
                notes=data.get("notes", ""),
                entity=data.get("entity"),
            )
            adopt(obj, created)
            return
        if "handler" in form.changed_data:
            services.rights_request_set_handler(request=obj, actor=request.user, handler=data.get("handler"))
        changes = {name: data[name] for name in form.changed_data if name in services.DESCRIPTIVE_FIELDS}
        if "processing_activities" in form.changed_data:
            changes["processing_activities"] = data["processing_activities"]
        if changes:
            services.rights_request_update(request=obj, actor=request.user, **changes)

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: Any, change: bool) -> None:
        # Not form.save_m2m(): the services set the processing activities. The pauses' formset is
        # read-only (it saves nothing) but must run for the admin's change message.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    # -- transitions (core.admin_actions.TransitionButtonsMixin) ---------------------------------------
    def apply_transition(self, request: HttpRequest, obj: RightsRequest, service: Any, data: dict[str, Any]) -> None:
        # What was left empty is left out (the service's default applies), but a required argument of
        # a service goes in even blank, for the service to refuse it with its message.
        values = {
            name: value
            for name, value in data.items()
            if value not in (None, "") or name in ("ground", "complaint_right_notified", "reason")
        }
        service(request=obj, actor=request.user, **values)

    def transition_context(self, obj: RightsRequest) -> dict[str, Any]:
        received = format_translated(
            gettext("Received %(received)s, status: %(status)s."),
            received=format_datetime(obj.received_at),
            status=obj.get_status_display(),
        )
        deadline = due_badge(obj.applicable_due_on, done=not obj.is_open)
        return {"transition_intro": format_html("{} {}", received, deadline)}

    def transition_initial(self, action: str) -> dict[str, Any]:
        today = timezone.localdate()
        now = timezone.localtime().replace(second=0, microsecond=0)
        initial: dict[str, dict[str, Any]] = {
            "pause": {"asked_on": today, "reason": PauseReason.IDENTITY},
            "resume": {"answered_on": today},
            "extend": {"notified_at": now},
            "answer": {"answered_at": now},
            "refuse": {"answered_at": now},
        }
        return initial.get(action, {})
