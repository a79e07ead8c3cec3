"""Admin of the vigilance alerts.

Wiring only: the add form raises the alert through `alert_raise`; once raised, every field is read-only and
the alert moves by the buttons of its change page (core.admin_actions.TransitionButtonsMixin), each a small
form calling its service: assign, decide (or the outcome of an enhanced examination), keep the enhanced
examination's report, report to TRACFIN. The files kept with an alert (the enhanced examination's report,
the report sent to TRACFIN) are downloaded through this admin (`<id>/file/<which>/`): no media URL is
served, and the admin's own checks (the seal of aml/apps.py, the view permission) apply.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from core.admin_actions import TransitionButtonsMixin, format_translated, save_through_services
from core.admin_choosers import user_choice_field, user_label
from core.admin_utils import CheckedListFilter, assigned_filter, date_input, due_badge
from core.dates import format_datetime
from core.downloads import download_response, stored_name
from organization.models import LegalEntity

from ..choices import AlertStatus, Decision
from ..models import Alert
from ..services import alerts as services

if TYPE_CHECKING:
    AlertAdminBase = SimpleHistoryAdmin[Alert]
else:
    AlertAdminBase = SimpleHistoryAdmin

#: The files kept with an alert, by the name of their download URL.
FILES = {"enhanced-report": "enhanced_report_file", "tracfin": "tracfin_file"}


# --- list filters ----------------------------------------------------------------------------------------


class DueFilter(CheckedListFilter):
    """Undecided alerts past their analysis date (exactly `Alert.objects.overdue()`), or due by the end of
    this week (Sunday)."""

    title = _("analysis due")
    parameter_name = "due"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, Any]]:
        return [("overdue", _("Overdue")), ("this_week", _("Due this week"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        today = timezone.localdate()
        if self.cleaned == "overdue":
            return queryset.filter(pk__in=Alert.objects.overdue(today).values("pk"))
        if self.cleaned == "this_week":
            sunday = today + dt.timedelta(days=6 - today.weekday())
            return queryset.filter(pk__in=Alert.objects.due_between(today, sunday).values("pk"))
        return queryset


# --- forms -----------------------------------------------------------------------------------------------


class AlertForm(forms.ModelForm):
    """Raising an alert by hand (the operational systems import theirs or post them to the API)."""

    class Meta:
        model = Alert
        fields = ["reference", "raised_at", "source", "reason", "counterparty", "amount_eur", "entity"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "reference" in self.fields:
            self.fields["reference"].required = False
            self.fields["reference"].help_text = _("Generated (LCB-YYYY-NNNN) when left empty.")
        if "raised_at" in self.fields:
            self.fields["raised_at"].required = False
            self.fields["raised_at"].help_text = _("Now when left empty.")

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if self.instance.pk is None and not self.errors:
            problems = services.alert_problems(
                raised_at=data.get("raised_at") or timezone.now(),
                source=data.get("source"),
                reason=data.get("reason"),
                amount_eur=data.get("amount_eur"),
            )
            for name, message in problems.items():
                self.add_error(name if name in self.fields else None, message)
            reference = (data.get("reference") or "").strip()
            if reference and Alert.objects.filter(reference=reference).exists():
                self.add_error(
                    "reference",
                    gettext("An alert with the reference %(reference)s already exists.") % {"reference": reference},
                )
        return data


class AssignForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["analyst"] = user_choice_field(Alert, label=_("analyst"))


class DecideForm(forms.Form):
    decision = forms.ChoiceField(label=_("decision"), choices=Decision.choices)
    decided_on = forms.DateField(label=_("decided on"), widget=date_input())
    reason = forms.CharField(label=_("reasons for the decision"), widget=forms.Textarea(attrs={"rows": 4}))
    tracfin_reported_on = forms.DateField(
        label=_("reported to TRACFIN on"),
        widget=date_input(),
        required=False,
        help_text=_("Required with a report to TRACFIN."),
    )
    tracfin_reference = forms.CharField(label=_("TRACFIN reference"), max_length=64, required=False)
    tracfin_file = forms.FileField(label=_("report sent to TRACFIN"), required=False)


class TracfinReportForm(forms.Form):
    decided_on = forms.DateField(label=_("decided on"), widget=date_input())
    reason = forms.CharField(label=_("reasons for the decision"), widget=forms.Textarea(attrs={"rows": 4}))
    tracfin_reported_on = forms.DateField(label=_("reported to TRACFIN on"), widget=date_input())
    tracfin_reference = forms.CharField(label=_("TRACFIN reference"), max_length=64, required=False)
    tracfin_file = forms.FileField(label=_("report sent to TRACFIN"), required=False)


class EnhancedReportForm(forms.Form):
    report = forms.CharField(label=_("enhanced examination report"), widget=forms.Textarea(attrs={"rows": 8}))
    written_on = forms.DateField(label=_("report written on"), widget=date_input())
    file = forms.FileField(label=_("report file"), required=False)


#: action → (form, service, button title, done message)
TRANSITIONS: dict[str, tuple[type[forms.Form], Any, Any, Any]] = {
    "assign": (AssignForm, services.alert_assign, _("Assign"), _("Alert assigned.")),
    "decide": (DecideForm, services.alert_decide, _("Decide"), _("Decision recorded.")),
    "enhanced_report": (
        EnhancedReportForm,
        services.alert_write_enhanced_report,
        _("Keep the examination report"),
        _("Report kept."),
    ),
    "tracfin_report": (
        TracfinReportForm,
        services.alert_report_tracfin,
        _("Report to TRACFIN"),
        _("Report to TRACFIN recorded."),
    ),
}


# --- the alert -------------------------------------------------------------------------------------------


@admin.register(Alert)
class AlertAdmin(TransitionButtonsMixin, AlertAdminBase):
    form = AlertForm
    list_display = ["reference", "raised", "source", "status", "analysis_due", "analyst_display", "decision"]
    list_filter = ["status", DueFilter, assigned_filter("analyst"), "decision", "source"]
    list_select_related = ["analyst"]
    search_fields = ["reference", "tracfin_reference"]
    show_full_result_count = False
    list_per_page = 50
    ordering = ["-raised_at", "-pk"]
    raw_id_fields = ["counterparty"]
    transitions = TRANSITIONS
    allowed_actions = staticmethod(services.alert_allowed_actions)
    transition_not_possible = _("“%(action)s” is not possible for an alert whose status is “%(status)s”.")
    transition_url_dashes = True  # do/enhanced-report/
    readonly_fields = [
        "reference",
        "raised_at",
        "source",
        "reason",
        "counterparty",
        "amount_eur",
        "entity_code",
        "hit",
        "status",
        "analyst",
        "analysis_due_on",
        "analysis_due",
        "decision",
        "decided_on",
        "decided_by",
        "decision_reason",
        "enhanced_report",
        "enhanced_report_on",
        "enhanced_report_download",
        "tracfin_reported_on",
        "tracfin_reference",
        "tracfin_download",
        "records_kept_from",
    ]

    def get_fieldsets(self, request: HttpRequest, obj: Alert | None = None) -> list:
        if obj is None:
            return [(None, {"fields": AlertForm.Meta.fields})]
        return [
            (None, {"fields": ["status", "analyst", "analysis_due_on", "analysis_due"]}),
            (
                _("Alert"),
                {
                    "fields": [
                        "reference",
                        "raised_at",
                        "source",
                        "reason",
                        "counterparty",
                        "amount_eur",
                        "entity_code",
                        "hit",
                    ]
                },
            ),
            (_("Decision"), {"fields": ["decision", "decided_on", "decided_by", "decision_reason"]}),
            (
                _("Enhanced examination"),
                {"fields": ["enhanced_report", "enhanced_report_on", "enhanced_report_download"]},
            ),
            (_("TRACFIN"), {"fields": ["tracfin_reported_on", "tracfin_reference", "tracfin_download"]}),
            (None, {"fields": ["records_kept_from"]}),
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Alert | None = None) -> list[str]:
        # Raised, an alert changes by its actions only (the services write every field).
        return [] if obj is None else list(self.readonly_fields)

    def get_autocomplete_fields(self, request: HttpRequest) -> list[str]:
        return ["entity"]

    # An alert is evidence (CMF L.561-12, 5 years): never deleted here, never reverted.
    def has_delete_permission(self, request: HttpRequest, obj: Alert | None = None) -> bool:
        return False

    def revert_disabled(self, request: HttpRequest, obj: Alert | None = None) -> bool:
        return True

    # -- columns ---------------------------------------------------------------------------------------
    @admin.display(description=_("raised at"), ordering="raised_at")
    def raised(self, obj: Alert) -> str:
        return format_datetime(obj.raised_at)

    @admin.display(description=_("analysis"), ordering="analysis_due_on")
    def analysis_due(self, obj: Alert) -> str:
        return due_badge(obj.analysis_due_on, done=obj.status == AlertStatus.DECIDED)

    @admin.display(description=_("analyst"), ordering="analyst")
    def analyst_display(self, obj: Alert) -> str:
        return user_label(obj.analyst) if obj.analyst else "–"

    @admin.display(description=_("legal entity"))
    def entity_code(self, obj: Alert) -> str:
        # The entity is not joined: a deleted entity (no database constraint) shows as its id.
        if obj.entity_id is None:
            return "–"
        entity = LegalEntity.objects.filter(pk=obj.entity_id).first()
        return str(entity) if entity is not None else f"#{obj.entity_id}"

    def _download(self, obj: Alert, which: str) -> str:
        field = getattr(obj, FILES[which])
        if not field:
            return "–"
        url = reverse("admin:aml_alert_file", args=[obj.pk, which], current_app=self.admin_site.name)
        return format_html('<a href="{}">{}</a>', url, Path(field.name or "").name)

    @admin.display(description=_("report file"))
    def enhanced_report_download(self, obj: Alert) -> str:
        return self._download(obj, "enhanced-report")

    @admin.display(description=_("report sent to TRACFIN"))
    def tracfin_download(self, obj: Alert) -> str:
        return self._download(obj, "tracfin")

    # -- the files ---------------------------------------------------------------------------------------
    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<path:object_id>/file/<slug:which>/",
                self.admin_site.admin_view(self.file_view),
                name="aml_alert_file",
            ),
            *super().get_urls(),
        ]

    def file_view(self, request: HttpRequest, object_id: str, which: str) -> FileResponse:
        obj = self.get_object(request, unquote(object_id))
        if obj is None or which not in FILES:
            raise Http404
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        field = getattr(obj, FILES[which])
        if not field:
            raise Http404
        return download_response(field.open("rb"), stored_name(field))

    # -- writes through the services -----------------------------------------------------------------
    def save_model(self, request: HttpRequest, obj: Alert, form: forms.ModelForm, change: bool) -> None:
        if change:  # every field is read-only on the change page: nothing to write
            return
        save_through_services(
            obj,
            form,
            change,
            create=lambda **data: services.alert_raise(actor=request.user, **data),
            update=lambda **changes: None,
        )

    # -- transitions (core.admin_actions.TransitionButtonsMixin) ---------------------------------------
    def apply_transition(self, request: HttpRequest, obj: Alert, service: Any, data: dict[str, Any]) -> None:
        service(alert=obj, actor=request.user, **data)

    def transition_context(self, obj: Alert) -> dict[str, Any]:
        raised = format_translated(
            gettext("Raised %(raised)s, status: %(status)s."),
            raised=format_datetime(obj.raised_at),
            status=obj.get_status_display(),
        )
        return {"transition_intro": format_html("{} {}", raised, self.analysis_due(obj))}

    def transition_initial(self, action: str) -> dict[str, Any]:
        today = timezone.localdate()
        return {
            "decide": {"decided_on": today},
            "tracfin_report": {"decided_on": today, "tracfin_reported_on": today},
            "enhanced_report": {"written_on": today},
        }.get(action, {})
