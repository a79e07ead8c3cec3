"""Admin of the completions: the LMS records, searched by employee, filtered by module, anomaly, year and
entity. A completion typed in here is recorded by `services.completion_record` (which flags one dated in
the future or before the module's deployment); once recorded it is evidence: shown, not edited.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from core.admin_actions import adopt
from core.admin_utils import CheckedListFilter, YearFilter, badge, datetime_input
from core.paginator import BigListAdminMixin
from organization.models import LegalEntity

from .. import services
from ..models import Completion

if TYPE_CHECKING:
    CompletionAdminBase = SimpleHistoryAdmin[Completion]
else:
    CompletionAdminBase = SimpleHistoryAdmin

FORM_FIELDS = ["employee", "module", "completed_at", "duration_minutes", "score"]


class CompletedYearFilter(YearFilter):
    title = _("year completed")
    field = "completed_on"

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.cleaned is None:
            return queryset
        # The Paris days of the year are the instants of its Paris bounds: a range on the list's ordering
        # index, so the first page is read where the year starts, not after every later completion.
        paris = timezone.get_default_timezone()
        start, end = (dt.datetime(year, 1, 1, tzinfo=paris) for year in (self.cleaned, self.cleaned + 1))
        return queryset.filter(completed_at__gte=start, completed_at__lt=end)


class AnomalyFilter(CheckedListFilter):
    """Counted, or flagged (all flags, or one kind)."""

    title = _("anomaly")
    parameter_name = "anomaly"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, Any]]:
        from ..choices import CompletionAnomaly

        flags = [(value, label) for value, label in CompletionAnomaly.choices if value]
        return [("none", _("Counted (no anomaly)")), ("any", _("Flagged (not counted)")), *flags]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Completion]) -> QuerySet[Completion]:
        value = self.cleaned
        if value == "none":
            return queryset.filter(anomaly="")
        if value == "any":
            return queryset.exclude(anomaly="")
        if value:
            return queryset.filter(anomaly=value)
        return queryset


class EmployeeEntityFilter(CheckedListFilter):
    """The employee's legal entity (the entities are listed from their own table: no DISTINCT here)."""

    title = _("legal entity")
    parameter_name = "entity"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, Any]]:
        return [(code, code) for code in LegalEntity.objects.order_by("code").values_list("code", flat=True)]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset if self.cleaned is None else queryset.filter(employee__entity__code=self.cleaned)


class CompletionForm(forms.ModelForm):
    # Declared, so the browser's date-and-time picker replaces the admin's split widget.
    completed_at = forms.DateTimeField(
        label=_("completed at"),
        widget=datetime_input(),
        help_text=_(
            "Paris time. A completion in the future or before the module's deployment is kept but flagged, "
            "and not counted."
        ),
    )

    class Meta:
        model = Completion
        fields = FORM_FIELDS


@admin.register(Completion)
class CompletionAdmin(BigListAdminMixin, CompletionAdminBase):
    form = CompletionForm
    list_display = [
        "employee",
        "module",
        "completed_at",
        "duration_minutes",
        "score",
        "anomaly_badge",
        "import_run_link",
    ]
    list_filter = ["module", AnomalyFilter, CompletedYearFilter, EmployeeEntityFilter]
    list_select_related = ["employee", "module", "import_run"]
    search_fields = ["employee__employee_id", "employee__last_name", "employee__first_name"]
    autocomplete_fields = ["employee"]
    # No date hierarchy: its years are a DISTINCT over millions of rows on every page; the year filter
    # offers the years. Counted up to a cap, read in the order of an index (core/paginator.py). 50 rows a
    # page, as the other big lists: django-unfold renders each row's headers again, the rows cost the time.
    list_per_page = 50
    ordering = ["-completed_at", "pk"]
    readonly_fields = ["completed_on", "anomaly", "import_run"]

    def get_fields(  # type: ignore[override]  # django-stubs: an invariant list of field groups
        self, request: HttpRequest, obj: Completion | None = None
    ) -> list[str]:
        return FORM_FIELDS if obj is None else [*FORM_FIELDS, *self.readonly_fields]

    def get_readonly_fields(self, request: HttpRequest, obj: Completion | None = None) -> list[str]:
        return list(self.readonly_fields) if obj is None else [*FORM_FIELDS, *self.readonly_fields]

    # A recorded completion is evidence of what the LMS (or the person who typed it) said: no service
    # changes it; a wrong one is deleted and recorded again.
    def has_change_permission(self, request: HttpRequest, obj: Completion | None = None) -> bool:
        return False if obj is not None else super().has_change_permission(request, obj)

    @admin.display(description=_("anomaly"), ordering="anomaly")
    def anomaly_badge(self, obj: Completion) -> str:
        return badge(obj.get_anomaly_display(), "amber") if obj.anomaly else "–"

    @admin.display(description=_("import run"), ordering="import_run")
    def import_run_link(self, obj: Completion) -> str:
        run = obj.import_run
        if run is None:
            return "–"
        url = reverse("admin:core_importrun_change", args=[run.pk])
        return format_html('<a href="{}">{}</a>', url, run.file_name or f"#{run.pk}")

    def save_model(self, request: HttpRequest, obj: Completion, form: forms.ModelForm, change: bool) -> None:
        data = form.cleaned_data
        completion = services.completion_record(
            actor=request.user,
            employee=data["employee"],
            module=data["module"],
            completed_at=data["completed_at"],
            duration_minutes=data.get("duration_minutes"),
            score=data.get("score"),
        )
        adopt(obj, completion)
        if completion.anomaly:
            self.message_user(
                request,
                gettext("This completion is kept but not counted: %(reason)s.")
                % {"reason": completion.get_anomaly_display()},
                messages.WARNING,
            )
