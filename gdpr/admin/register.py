"""Admin of the Art. 30 register: the list a DPO works from, the CNIL's model fiche as the form, and
the XLSX export to produce the register to the CNIL (Art. 30(4)). Writes go through gdpr.services, the
actions through core.admin_actions."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminDateWidget
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext, gettext_lazy as _, ngettext
from simple_history.admin import SimpleHistoryAdmin

from core.admin_actions import adopt, apply_to_each, as_the_service_says, form_action
from core.admin_utils import CheckedListFilter, badge, due_badge
from core.dates import format_date
from organization.models import LegalEntity

from ..exports.register import register_on, register_response
from ..models import ProcessingActivity
from ..services.register import (
    EDITABLE_FIELDS,
    processing_activity_create,
    processing_activity_retire,
    processing_activity_review,
    processing_activity_update,
)
from .columns import nowrap, truncated

if TYPE_CHECKING:
    from django.contrib.admin.options import _FieldsetSpec
    from django_stubs_ext import StrOrPromise

    from ..models.register import ProcessingActivityQuerySet

    ProcessingActivityAdminBase = SimpleHistoryAdmin[ProcessingActivity]
else:
    ProcessingActivityAdminBase = SimpleHistoryAdmin

#: A review badge appears this many days before the review falls due (and stays while overdue).
REVIEW_BADGE_DAYS = 30


def _register(queryset: QuerySet[ProcessingActivity]) -> ProcessingActivityQuerySet:
    """The changelist's queryset, typed as what it is: it comes from `ProcessingActivity.objects`."""
    return cast("ProcessingActivityQuerySet", queryset)


class RegisterStatusFilter(CheckedListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, StrOrPromise]]:
        return [("active", _("Active (in the register today)")), ("retired", _("Retired"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[ProcessingActivity]) -> QuerySet[ProcessingActivity]:
        today = timezone.localdate()
        activities = _register(queryset)
        if self.cleaned == "active":
            return activities.in_register_on(today)
        if self.cleaned == "retired":
            return activities.retired_on_or_before(today)
        return queryset


class DpiaFilter(CheckedListFilter):
    title = _("DPIA (Art. 35)")
    parameter_name = "dpia"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, StrOrPromise]]:
        return [("missing", _("Required and not done")), ("done", _("Done")), ("not_required", _("Not required"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[ProcessingActivity]) -> QuerySet[ProcessingActivity]:
        if self.cleaned == "missing":
            return _register(queryset).dpia_missing()
        if self.cleaned == "done":
            return queryset.filter(dpia_done_on__isnull=False)
        if self.cleaned == "not_required":
            return queryset.filter(dpia_required=False)
        return queryset


class ReviewFilter(CheckedListFilter):
    title = _("review")
    parameter_name = "review"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, StrOrPromise]]:
        return [("overdue", _("Review overdue")), ("month", _("Review due within 30 days"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[ProcessingActivity]) -> QuerySet[ProcessingActivity]:
        today = timezone.localdate()
        activities = _register(queryset)
        if self.cleaned == "overdue":
            return activities.review_overdue(today)
        if self.cleaned == "month":
            return activities.review_due_by(today + dt.timedelta(days=30), today)
        return queryset


class ProcessingActivityForm(forms.ModelForm):
    """The record's fields; `model.clean()` (run by the form) gives the same messages as the services."""

    class Meta:
        model = ProcessingActivity
        fields = list(EDITABLE_FIELDS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "registered_on" in self.fields and self.instance._state.adding:
            self.fields["registered_on"].initial = timezone.localdate


class RetireForm(forms.Form):
    retired_on = forms.DateField(
        label=capfirst(_("retired on")),
        widget=AdminDateWidget,
        help_text=_(
            "From this day the activity is no longer in the register. To withdraw an entry made by "
            "mistake, retire it on the day it entered the register: it then appears in no register."
        ),
    )
    reason = forms.CharField(
        label=capfirst(_("reason for retirement")), widget=forms.Textarea(attrs={"rows": 3, "cols": 60})
    )


@admin.register(ProcessingActivity)
class ProcessingActivityAdmin(ProcessingActivityAdminBase):
    form = ProcessingActivityForm
    # What fits a 1366 px screen: the role is a filter; sensitive data, transfers and the DPIA are badges of
    # one column (each a filter too); a long name is cut with its full text on hover.
    list_display = ["reference", "short_name", "legal_basis", "attention", "last_review", "status"]
    list_display_links = ["reference", "short_name"]
    list_filter = [
        "role",
        RegisterStatusFilter,
        "sensitive_data",
        "transfers_outside_eu",
        DpiaFilter,
        ReviewFilter,
        "entity",
    ]
    search_fields = ["reference", "name", "purposes"]
    # No relation to join: the list reads one table.
    list_select_related = False
    list_per_page = 100
    ordering = ["reference"]
    actions = ["retire_selected", "mark_reviewed_today", "export_selected_xlsx"]
    change_list_template = "admin/gdpr/processingactivity/change_list.html"
    readonly_fields = ["status", "review_due", "retired_on", "retired_reason"]
    # The sections of the CNIL's model "fiche de registre".
    fieldsets = [
        (
            _("Controller"),
            {"fields": ["reference", "name", "role", "entity", "controller_contact", "joint_controllers"]},
        ),
        (_("Purposes & legal basis"), {"fields": ["purposes", "legal_basis"]}),
        (
            _("People & data"),
            {"fields": ["data_subject_categories", "data_categories", "sensitive_data", "sensitive_data_details"]},
        ),
        (_("Recipients & transfers"), {"fields": ["recipients", "transfers_outside_eu", "transfer_safeguards"]}),
        (_("Retention & security"), {"fields": ["retention", "security_measures"]}),
        (
            _("Processor"),
            {
                "fields": ["controllers_served", "processing_categories"],
                "description": _(
                    "For a processor record (Art. 30(2)): each controller served, the categories of "
                    "processing carried out for them."
                ),
            },
        ),
        (
            _("DPIA & review"),
            {
                "fields": [
                    ("dpia_required", "dpia_done_on"),
                    ("registered_on", "last_reviewed_on"),
                    ("status", "review_due"),
                    ("retired_on", "retired_reason"),
                ]
            },
        ),
    ]

    # The register is evidence (Art. 30(4)): an entry leaves it by being retired, with a date and a
    # reason, never by deletion (an entry made by mistake is retired on the day it was entered).
    def has_delete_permission(self, request: HttpRequest, obj: ProcessingActivity | None = None) -> bool:
        return False

    def get_fieldsets(self, request: HttpRequest, obj: ProcessingActivity | None = None) -> _FieldsetSpec:
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None:
            return fieldsets
        # Nothing to show yet about status, review or retirement on a new record.
        *sections, (title, options) = fieldsets
        return [
            *sections,
            (title, {**options, "fields": [("dpia_required", "dpia_done_on"), ("registered_on", "last_reviewed_on")]}),
        ]

    # -- columns --------------------------------------------------------------------------------------
    @admin.display(description=_("name"), ordering="name")
    def short_name(self, obj: ProcessingActivity) -> str:
        return truncated(obj.name, "16em")

    @admin.display(description=_("points of attention"))
    def attention(self, obj: ProcessingActivity) -> str:
        """Sensitive data, transfers outside the EU and the DPIA, as badges ("–" when none applies)."""
        flags = []
        if obj.sensitive_data:
            flags.append(badge(gettext("sensitive data"), "amber"))
        if obj.transfers_outside_eu:
            flags.append(badge(gettext("outside the EU"), "amber"))
        if obj.dpia_done_on or obj.dpia_required:
            flags.append(self.dpia(obj))
        return format_html_join(" ", "{}", ((flag,) for flag in flags)) or "–"

    @admin.display(description=_("DPIA"))
    def dpia(self, obj: ProcessingActivity) -> str:
        if obj.dpia_done_on:
            return badge(gettext("done %(date)s") % {"date": format_date(obj.dpia_done_on)}, "green")
        if obj.dpia_required:
            return badge(gettext("required, not done"), "red")
        return "–"

    @admin.display(description=_("last review"), ordering="last_reviewed_on")
    def last_review(self, obj: ProcessingActivity) -> str:
        shown = format_date(obj.last_reviewed_on) if obj.last_reviewed_on else gettext("never")
        today = timezone.localdate()
        if obj.in_register_on(today) and (obj.review_due_on - today).days <= REVIEW_BADGE_DAYS:
            return format_html("{}<br>{}", nowrap(shown), due_badge(obj.review_due_on))
        return shown

    @admin.display(description=_("status"), ordering="retired_on")
    def status(self, obj: ProcessingActivity) -> str:
        today = timezone.localdate()
        if obj.retired_on is not None and obj.retired_on <= today:
            return badge(gettext("retired %(date)s") % {"date": format_date(obj.retired_on)}, "grey")
        if obj.registered_on > today:
            return badge(gettext("enters the register %(date)s") % {"date": format_date(obj.registered_on)}, "grey")
        if obj.retired_on is not None:
            return badge(gettext("active, retiring %(date)s") % {"date": format_date(obj.retired_on)}, "amber")
        return badge(gettext("active"), "green")

    @admin.display(description=_("next review due"))
    def review_due(self, obj: ProcessingActivity) -> str:
        if not obj.in_register_on(timezone.localdate()):
            return "–"
        return format_html("{} {}", format_date(obj.review_due_on), due_badge(obj.review_due_on))

    # -- writes: through the services -----------------------------------------------------------------
    def save_model(self, request: HttpRequest, obj: ProcessingActivity, form: forms.ModelForm, change: bool) -> None:
        data = {name: form.cleaned_data[name] for name in EDITABLE_FIELDS if name in form.cleaned_data}
        if change:
            processing_activity_update(activity=obj, actor=request.user, data=data)
        else:
            adopt(obj, processing_activity_create(actor=request.user, **data))

    # -- actions --------------------------------------------------------------------------------------
    # The services' refusals name the activity themselves ("PA-2 was retired on ..."): shown as they are.
    @admin.action(description=_("Retire from the register…"), permissions=["change"])
    def retire_selected(self, request: HttpRequest, queryset: QuerySet[ProcessingActivity]) -> HttpResponse | None:
        return form_action(
            self,
            request,
            queryset.order_by("reference"),
            form_class=RetireForm,
            title=gettext("Retire from the register"),
            initial={"retired_on": timezone.localdate()},
            apply=lambda activity, **data: processing_activity_retire(activity=activity, actor=request.user, **data),
            done_message=lambda n: (
                ngettext(
                    "%(count)d activity retired from the register.",
                    "%(count)d activities retired from the register.",
                    n,
                )
                % {"count": n}
            ),
            refusal=as_the_service_says,
            template="admin/gdpr/processingactivity/retire.html",
        )

    @admin.action(description=_("Mark reviewed today"), permissions=["change"])
    def mark_reviewed_today(self, request: HttpRequest, queryset: QuerySet[ProcessingActivity]) -> None:
        today = timezone.localdate()
        apply_to_each(
            self,
            request,
            queryset.order_by("reference"),
            lambda activity: processing_activity_review(activity=activity, actor=request.user, reviewed_on=today),
            done_message=lambda n: (
                ngettext("%(count)d activity marked reviewed today.", "%(count)d activities marked reviewed today.", n)
                % {"count": n}
            ),
            refusal=as_the_service_says,
        )

    @admin.action(description=_("Export the selected activities (XLSX)"), permissions=["view"])
    def export_selected_xlsx(self, request: HttpRequest, queryset: QuerySet[ProcessingActivity]) -> HttpResponse:
        activities = queryset.select_related("entity").order_by("reference")
        return register_response(activities, on=timezone.localdate(), selection=True)

    # -- the register at a date -----------------------------------------------------------------------
    def get_urls(self) -> list[URLPattern]:
        return [
            path("export/", self.admin_site.admin_view(self.export_view), name="gdpr_processingactivity_export"),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        extra_context = {**(extra_context or {}), "today": timezone.localdate()}
        return super().changelist_view(request, extra_context)

    def export_view(self, request: HttpRequest) -> HttpResponse:
        """The register on `?date=YYYY-MM-DD` (today by default), as the CNIL would receive it; that of one
        legal entity with `?entity=<code>`."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        text = request.GET.get("date", "").strip()
        day = timezone.localdate() if not text else _parse_day(text)
        if day is None:
            messages.error(request, gettext("'%(value)s' is not a date (expected YYYY-MM-DD).") % {"value": text})
            return HttpResponseRedirect(reverse("admin:gdpr_processingactivity_changelist"))
        code = request.GET.get("entity", "").strip()
        entity = LegalEntity.objects.filter(code=code).first() if code else None
        if code and entity is None:
            messages.error(request, gettext("Unknown legal entity code '%(value)s'.") % {"value": code})
            return HttpResponseRedirect(reverse("admin:gdpr_processingactivity_changelist"))
        return register_response(register_on(day, entity=entity), on=day, entity=entity)


def _parse_day(text: str) -> dt.date | None:
    try:
        return parse_date(text)
    except ValueError:  # well formed but no such day (2025-02-30)
        return None
