"""Admin of the confirmed incidents of corruption and of the legal cases about them (ESRS G1-4).

Wiring only: the forms save through `corruption_incident_create` / `corruption_incident_update` and
`legal_proceeding_create` / `legal_proceeding_update`; a case's decision is the "Record the decision"
button (`legal_proceeding_decide`). A conflict-of-interest case becomes an incident by its own button
("Qualify as corruption", compliance/admin/cases.py). Nothing is deleted: both are evidence.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext, gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from core.admin_actions import TransitionButtonsMixin, format_translated, save_through_services
from core.admin_utils import ReadOnlyTabularInline, YearFilter, date_input
from core.dates import format_date

from ..choices import ProceedingOutcome
from ..models import CorruptionIncident, LegalProceeding
from ..services import corruption as services

if TYPE_CHECKING:
    IncidentAdminBase = SimpleHistoryAdmin[CorruptionIncident]
    ProceedingAdminBase = SimpleHistoryAdmin[LegalProceeding]
else:
    IncidentAdminBase = ProceedingAdminBase = SimpleHistoryAdmin


class ConfirmedYearFilter(YearFilter):
    title = _("year confirmed")
    field = "confirmed_on"


class DecidedYearFilter(YearFilter):
    title = _("year decided")
    field = "decided_on"


def _reference_optional(form: forms.ModelForm, prefix: str) -> None:
    if "reference" in form.fields:
        form.fields["reference"].required = False
        form.fields["reference"].help_text = _("Generated (%(prefix)s-YYYY-NNN) when left empty.") % {"prefix": prefix}


# --- incidents -------------------------------------------------------------------------------------------


class IncidentForm(forms.ModelForm):
    """What is recorded about an incident; checked by the services' rules before anything is saved."""

    class Meta:
        model = CorruptionIncident
        fields = [
            "reference",
            "nature",
            "confirmed_on",
            "entity",
            "coi_case",
            "description",
            "workers_disciplined",
            "partner_contract_terminated",
        ]
        widgets = {"confirmed_on": date_input()}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _reference_optional(self, "CORR")

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if any(name in self.errors for name in ("nature", "confirmed_on", "coi_case")):
            return data
        case = data.get("coi_case") if "coi_case" in self.fields else self.instance.coi_case
        if "coi_case" in self.fields and case is not None and (reason := services.coi_case_corruption_problem(case)):
            self.add_error("coi_case", reason)
            return data
        for name, message in services.corruption_incident_problems(
            nature=data.get("nature") or "", confirmed_on=data.get("confirmed_on"), case=case
        ).items():
            self.add_error(name if name in self.fields else None, message)
        return data


class ProceedingInline(ReadOnlyTabularInline):
    """The legal cases about the incident; recorded and decided from the legal cases' admin."""

    model = LegalProceeding
    fields = readonly_fields = ("reference", "defendant", "court", "opened_on", "outcome", "decided_on", "fine_eur")
    verbose_name_plural = _("legal cases about the incident")


@admin.register(CorruptionIncident)
class CorruptionIncidentAdmin(IncidentAdminBase):
    form = IncidentForm
    list_display = [
        "reference",
        "confirmed_on",
        "nature",
        "entity",
        "case_link",
        "workers_disciplined",
        "partner_contract_terminated",
    ]
    list_filter = ["nature", ConfirmedYearFilter, "workers_disciplined", "partner_contract_terminated", "entity"]
    list_select_related = ["entity", "coi_case"]
    search_fields = ["reference", "coi_case__reference"]
    autocomplete_fields = ["entity", "coi_case"]
    show_full_result_count = False
    list_per_page = 50
    ordering = ["-confirmed_on", "reference"]
    inlines = [ProceedingInline]
    fieldsets = [
        (None, {"fields": ["reference", "nature", "confirmed_on", "entity", "coi_case"]}),
        (_("ESRS G1-4"), {"fields": ["workers_disciplined", "partner_contract_terminated"]}),
        (_("Facts"), {"fields": ["description"]}),
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: CorruptionIncident | None = None) -> list[str]:
        # The reference names the incident in the indicators' records; the case it came from stays.
        return [] if obj is None else ["reference", "coi_case"]

    def get_inlines(self, request: HttpRequest, obj: CorruptionIncident | None) -> list:
        return [] if obj is None else list(self.inlines)  # a new incident has no legal case yet

    @admin.display(description=_("conflict-of-interest case"), ordering="coi_case__reference")
    def case_link(self, obj: CorruptionIncident) -> str:
        return obj.coi_case.reference if obj.coi_case else "–"

    # Evidence for ESRS G1-4: never deleted, never reverted (the services write).
    def has_delete_permission(self, request: HttpRequest, obj: CorruptionIncident | None = None) -> bool:
        return False

    def revert_disabled(self, request: HttpRequest, obj: CorruptionIncident | None = None) -> bool:
        return True

    def save_model(self, request: HttpRequest, obj: CorruptionIncident, form: forms.ModelForm, change: bool) -> None:
        save_through_services(
            obj,
            form,
            change,
            create=lambda **data: services.corruption_incident_create(actor=request.user, **data),
            update=lambda **changes: services.corruption_incident_update(
                actor=request.user,
                incident=obj,
                **{name: value for name, value in changes.items() if name in services.INCIDENT_FIELDS},
            ),
        )


# --- legal cases -----------------------------------------------------------------------------------------


class ProceedingForm(forms.ModelForm):
    class Meta:
        model = LegalProceeding
        fields = ["reference", "incident", "defendant", "entity", "court", "opened_on", "description"]
        widgets = {"opened_on": date_input()}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _reference_optional(self, "PROC")

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if not any(name in self.errors for name in ("defendant", "opened_on")):
            for name, message in services.legal_proceeding_problems(
                defendant=data.get("defendant") or "", opened_on=data.get("opened_on")
            ).items():
                self.add_error(name, message)
        return data


class DecideForm(forms.Form):
    outcome = forms.ChoiceField(label=_("outcome"), choices=ProceedingOutcome.choices)
    decided_on = forms.DateField(label=_("decided on"), widget=date_input())
    fine_eur = forms.DecimalField(
        label=_("fine (euros)"),
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
        help_text=_("A conviction or a CJIP only."),
    )
    reason = forms.CharField(
        label=_("reason"),
        required=False,
        max_length=90,
        help_text=_("Required to change a decision already recorded (an appeal, a correction)."),
    )


@admin.register(LegalProceeding)
class LegalProceedingAdmin(TransitionButtonsMixin, ProceedingAdminBase):
    form = ProceedingForm
    list_display = [
        "reference",
        "opened_on",
        "defendant",
        "entity",
        "incident",
        "court",
        "outcome",
        "decided_on",
        "fine_eur",
    ]
    list_filter = ["outcome", "defendant", DecidedYearFilter, "entity"]
    list_select_related = ["entity", "incident"]
    search_fields = ["reference", "court", "incident__reference"]
    autocomplete_fields = ["entity", "incident"]
    show_full_result_count = False
    list_per_page = 50
    ordering = ["-opened_on", "reference"]
    transitions = {
        "decide": (DecideForm, services.legal_proceeding_decide, _("Record the decision"), _("Decision recorded."))
    }
    allowed_actions = staticmethod(lambda proceeding: ["decide"])  # and again, with a reason, on appeal
    fieldsets = [
        (None, {"fields": ["reference", "incident", "defendant", "entity", "court", "opened_on"]}),
        (_("Decision"), {"fields": ["outcome", "decided_on", "fine_eur"]}),
        (_("Public details of the case"), {"fields": ["description"]}),
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: LegalProceeding | None = None) -> list[str]:
        decision = ["outcome", "decided_on", "fine_eur"]
        return decision if obj is None else ["reference", *decision]

    def get_fieldsets(self, request: HttpRequest, obj: LegalProceeding | None = None) -> list:
        # A new case is pending: its decision is recorded by the button of its page.
        return self.fieldsets if obj is not None else [self.fieldsets[0], self.fieldsets[2]]

    def has_delete_permission(self, request: HttpRequest, obj: LegalProceeding | None = None) -> bool:
        return False

    def revert_disabled(self, request: HttpRequest, obj: LegalProceeding | None = None) -> bool:
        return True

    def save_model(self, request: HttpRequest, obj: LegalProceeding, form: forms.ModelForm, change: bool) -> None:
        save_through_services(
            obj,
            form,
            change,
            create=lambda **data: services.legal_proceeding_create(actor=request.user, **data),
            update=lambda **changes: services.legal_proceeding_update(
                actor=request.user,
                proceeding=obj,
                **{name: value for name, value in changes.items() if name in services.PROCEEDING_FIELDS},
            ),
        )

    # -- the decision (core.admin_actions.TransitionButtonsMixin) ---------------------------------------
    def apply_transition(self, request: HttpRequest, obj: LegalProceeding, service: Any, data: dict[str, Any]) -> None:
        service(proceeding=obj, actor=request.user, **data)

    def transition_context(self, obj: LegalProceeding) -> dict[str, Any]:
        brought = format_translated(
            gettext("Brought on %(opened)s against %(defendant)s."),
            opened=format_date(obj.opened_on),
            defendant=obj.get_defendant_display(),
        )
        if not obj.outcome:
            return {"transition_intro": brought}
        decided = format_translated(
            gettext("Decision recorded: %(outcome)s on %(decided)s."),
            outcome=obj.get_outcome_display(),
            decided=format_date(obj.decided_on, missing=""),
        )
        return {"transition_intro": format_html("{} {}", brought, decided)}
