"""Admin of the CNIL cases: referrals with the reply date of the CNIL's letter, complaints without
referral, and the letters kept with each case.

Wiring only: the forms call `cnil_case_create` / `cnil_case_update`, new letters go through
`cnil_case_attach`, the answer through `cnil_case_answer`. Answering and keeping a letter are buttons of
the change page, each with its small form (core.admin_actions.TransitionButtonsMixin); the answer is also
an action of the list, with the same form and service.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, gettext_lazy as _, ngettext
from simple_history.admin import SimpleHistoryAdmin

from core.admin_actions import TransitionButtonsMixin, form_action, save_through_services
from core.admin_utils import (
    AnonymisedMixin,
    DueDateFilter,
    QuerySetMethodFilter,
    ReadOnlyTabularInline,
    YearFilter,
    assigned_filter,
    badge,
    date_input,
    due_badge,
)
from core.dates import format_date

from ..models import CnilCase, CnilCaseAttachment, RightsRequest
from ..services import cnil as services
from .columns import nowrap, truncated

if TYPE_CHECKING:
    CnilCaseAdminBase = SimpleHistoryAdmin[CnilCase]
else:
    CnilCaseAdminBase = SimpleHistoryAdmin


class AnsweredFilter(QuerySetMethodFilter):
    title = _("answer")
    parameter_name = "answered"
    options = {"yes": (_("Answered"), "answered"), "no": (_("Not answered"), "unanswered")}


class ReplyDueFilter(DueDateFilter):
    """Overdue / due within 7 or 30 days, among the cases awaiting the reply the CNIL set a date for
    (CnilCaseQuerySet.awaiting_reply: referrals, and complaints a CNIL letter set a date on)."""

    title = _("reply date")
    field = "due_on"
    open_lookup = {"answered_on__isnull": True, "due_on__isnull": False}


class ReceivedYearFilter(YearFilter):
    title = _("year received")
    field = "received_on"


class CnilCaseForm(forms.ModelForm):
    """What is entered from the CNIL's letter; checked by the services' rules before anything is saved."""

    class Meta:
        model = CnilCase
        fields = [
            "reference",
            "kind",
            "cnil_reference",
            "received_on",
            "due_on",
            "rights_request",
            "subject",
            "notes",
            "entity",
            "handler",
        ]
        help_texts = {
            "due_on": _(
                "The date set in the CNIL's letter, never computed: required for a referral; for "
                "a complaint without referral, when a CNIL letter sets one."
            )
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "reference" in self.fields:
            self.fields["reference"].required = False
            self.fields["reference"].help_text = _("Generated (CNIL-YYYY-NNN) when left empty.")

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what ModelForm.clean() returns (its stubs allow None)
        if any(name in self.errors for name in ("kind", "received_on", "due_on")):
            return data
        candidate = copy.copy(self.instance)
        for name in ("kind", "received_on", "due_on"):
            setattr(candidate, name, data.get(name))
        for name, message in services.cnil_case_edit_problems(candidate).items():
            self.add_error(name if name in self.fields else None, message)
        return data


class AttachmentInline(ReadOnlyTabularInline):
    """The letters already kept: read-only evidence."""

    model = CnilCaseAttachment
    fields = ("file_link", "description", "uploaded_at", "uploaded_by")
    readonly_fields = fields
    verbose_name_plural = _("letters kept with the case")

    @admin.display(description=_("file"))
    def file_link(self, obj: CnilCaseAttachment) -> str:
        return format_html('<a href="{}">{}</a>', obj.file.url, obj.filename)


class NewAttachmentFormSet(BaseInlineFormSet):
    """Its forms are written by `cnil_case_attach` (CnilCaseAdmin.save_formset), never by `save()`."""

    def save(self, commit: bool = True) -> list:
        raise NotImplementedError("new letters are written by gdpr.services.cnil.cnil_case_attach")


class NewAttachmentInline(admin.TabularInline):
    """Add letters (written by `cnil_case_attach`, never edited afterwards)."""

    model = CnilCaseAttachment
    formset = NewAttachmentFormSet
    fields = ["file", "description"]
    extra = 1
    can_delete = False
    verbose_name = _("new letter")
    verbose_name_plural = _("add letters")

    def get_queryset(self, request: HttpRequest) -> QuerySet[CnilCaseAttachment]:
        return super().get_queryset(request).none()


class AnswerForm(forms.Form):
    answered_on = forms.DateField(label=_("answered on"), widget=date_input())


class AttachForm(forms.Form):
    file = forms.FileField(label=_("file"))
    description = forms.CharField(label=_("description"), required=False, max_length=255)


# action → (form, service, button title, done message); the service is called with `actor`, `case` and the
# form's data (the list's "answer" action uses the same form and service).
TRANSITIONS: dict[str, tuple[type[forms.Form], Any, Any, Any]] = {
    "answer": (AnswerForm, services.cnil_case_answer, _("Record the answer to the CNIL"), _("The answer is recorded.")),
    "attach": (AttachForm, services.cnil_case_attach, _("Keep a letter"), _("The letter is kept with the case.")),
}


def reply_badge(case: CnilCase) -> str:
    """The time left before the reply date of the CNIL's letter; once answered, the answer's date."""
    if case.answered_on is not None:
        return badge(gettext("answered on %(day)s") % {"day": format_date(case.answered_on)}, "grey")
    if case.due_on is None:  # a complaint no CNIL letter set a date on
        return badge(gettext("no reply date"), "grey")
    return due_badge(case.due_on)


@admin.register(CnilCase)
class CnilCaseAdmin(AnonymisedMixin, TransitionButtonsMixin, CnilCaseAdminBase):
    form = CnilCaseForm
    # What fits a 1366 px screen: the reply date above its badge (the CNIL's reference and the answer on
    # hover), a long subject cut with its full text on hover, short headers.
    list_display = ["ref", "kind", "short_subject", "received_on", "reply", "rights_request_ref"]
    list_display_links = ["ref"]
    list_filter = ["kind", AnsweredFilter, ReplyDueFilter, ReceivedYearFilter, "entity", assigned_filter("handler")]
    list_select_related = ["rights_request"]
    search_fields = ["reference", "cnil_reference", "subject", "rights_request__reference"]
    # The rights request is chosen by autocomplete when its admin is registered (gdpr/admin/rights.py),
    # by its id otherwise: a select of every request would load them all.
    raw_id_fields = ["rights_request"]
    show_full_result_count = False
    list_per_page = 50
    ordering = ["-received_on", "reference"]
    inlines = [AttachmentInline, NewAttachmentInline]
    actions = ["answer"]
    transitions = TRANSITIONS
    allowed_actions = staticmethod(services.cnil_case_allowed_actions)
    transition_not_possible = _("“%(action)s” is not possible for this case: %(status)s.")
    readonly_fields = ["answered_on", "due"]
    fieldsets = [
        (None, {"fields": ["reference", "kind", "cnil_reference", "entity", "handler"]}),
        (_("Dates"), {"fields": ["received_on", "due_on", "due", "answered_on"]}),
        (_("Subject"), {"fields": ["rights_request", "subject", "notes"]}),
    ]

    def get_autocomplete_fields(self, request: HttpRequest) -> list[str]:
        fields = ["handler"]
        if self.admin_site.is_registered(RightsRequest):
            fields.append("rights_request")
        return fields

    # A case is evidence of our cooperation with the CNIL (Art. 31); states change by the actions.
    def has_delete_permission(self, request: HttpRequest, obj: CnilCase | None = None) -> bool:
        return False

    def revert_disabled(self, request: HttpRequest, obj: CnilCase | None = None) -> bool:
        return True

    def get_fieldsets(self, request: HttpRequest, obj: CnilCase | None = None) -> list:
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:  # nothing to count down yet: the badge comes with the saved case
            fieldsets = [
                (name, {**options, "fields": [f for f in options["fields"] if f != "due"]})
                for name, options in fieldsets
            ]
        return fieldsets

    @admin.display(description=_("time left to reply"))
    def due(self, obj: CnilCase) -> str:
        return reply_badge(obj)

    @admin.display(description=_("reply due"), ordering="due_on")
    def reply(self, obj: CnilCase) -> str:
        """The reply date of the CNIL's letter, its badge under it."""
        return format_html("{}<br>{}", nowrap(format_date(obj.due_on, missing="–")), reply_badge(obj))

    @admin.display(description=_("reference"), ordering="reference")
    def ref(self, obj: CnilCase) -> str:
        if not obj.cnil_reference:
            return nowrap(obj.reference)
        return format_html(
            '<span title="{}">{}</span>',
            gettext("CNIL reference: %(reference)s") % {"reference": obj.cnil_reference},
            nowrap(obj.reference),
        )

    @admin.display(description=_("request"), ordering="rights_request__reference")
    def rights_request_ref(self, obj: CnilCase) -> str:
        return nowrap(obj.rights_request.reference) if obj.rights_request else "–"

    @admin.display(description=_("subject"), ordering="subject")
    def short_subject(self, obj: CnilCase) -> str:
        return truncated(obj.subject or "–", "16em")

    # -- writes through the services -----------------------------------------------------------------
    def save_model(self, request: HttpRequest, obj: CnilCase, form: forms.ModelForm, change: bool) -> None:
        save_through_services(
            obj,
            form,
            change,
            create=lambda **data: services.cnil_case_create(actor=request.user, **data),
            update=lambda **changes: services.cnil_case_update(actor=request.user, case=obj, **changes),
        )

    def save_formset(self, request: HttpRequest, form: forms.ModelForm, formset: Any, change: bool) -> None:
        if not isinstance(formset, NewAttachmentFormSet):
            formset.save()  # the read-only inline: nothing to write, but the admin's change message reads it
            return
        created = []
        for attachment_form in formset.forms:
            data = getattr(attachment_form, "cleaned_data", None) or {}
            if data.get("file"):
                created.append(
                    services.cnil_case_attach(
                        actor=request.user,
                        case=form.instance,
                        file=data["file"],
                        description=data.get("description") or "",
                    )
                )
        # What the admin's change message and log entry read after saving a formset.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = created, [], []

    # -- the buttons of the change page (TransitionButtonsMixin) ----------------------------------------
    def apply_transition(self, request: HttpRequest, obj: CnilCase, service: Any, data: dict[str, Any]) -> None:
        service(actor=request.user, case=obj, **data)

    def transition_state(self, obj: CnilCase) -> str:
        if obj.answered_on is not None:
            return gettext("answered on %(day)s") % {"day": format_date(obj.answered_on)}
        return gettext("not answered")

    def transition_context(self, obj: CnilCase) -> dict[str, Any]:
        received = gettext("received %(received)s, reply due %(due)s") % {
            "received": format_date(obj.received_on),
            "due": format_date(obj.due_on, missing="–"),
        }
        return {"transition_intro": format_html("{} {}", received, reply_badge(obj))}

    def transition_initial(self, action: str) -> dict[str, Any]:
        return {"answered_on": timezone.localdate()} if action == "answer" else {}

    # -- actions ---------------------------------------------------------------------------------------
    @admin.action(description=_("Record the answer to the CNIL"), permissions=["change"])
    def answer(self, request: HttpRequest, queryset: QuerySet[CnilCase]) -> HttpResponse | None:
        form_class, service, _title, _done = TRANSITIONS["answer"]
        return form_action(
            self,
            request,
            queryset,
            form_class=form_class,
            title=gettext("Record the answer to the CNIL"),
            apply=lambda case, **data: service(actor=request.user, case=case, **data),
            done_message=lambda n: ngettext("%(count)d case answered.", "%(count)d cases answered.", n) % {"count": n},
            describe=lambda case: (
                gettext("received %(received)s, reply due %(due)s")
                % {"received": format_date(case.received_on), "due": format_date(case.due_on, missing="–")}
            ),
        )
