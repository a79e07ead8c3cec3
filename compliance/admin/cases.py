"""Admin of the conflict-of-interest cases and their action items.

Wiring only: the add and change forms save through `coi_case_create` / `coi_case_update`, each transition
is a button of the change page with its small form (core.admin_actions.TransitionButtonsMixin) calling its service,
and action items are planned and completed through `action_item_create` / `action_item_complete`.
The reporter's identity (a whistleblower's, notably) and the identities of the employees concerned
kept when the roster anonymised them are shown only to compliance officers (`coi_case_reporter_readable_by`);
everyone else reads "confidential" for the reporter, nothing of the kept identities, history pages included.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, gettext_lazy as _, ngettext
from simple_history.admin import SimpleHistoryAdmin

from core.admin_actions import TransitionButtonsMixin, form_action, format_translated, save_through_services
from core.admin_choosers import user_label
from core.admin_utils import (
    AnonymisedMixin,
    CheckedListFilter,
    QuerySetMethodFilter,
    ReadOnlyTabularInline,
    YearFilter,
    assigned_filter,
    badge,
    date_input,
    due_badge,
)
from core.dates import format_date

from ..choices import CaseStatus, CorruptionNature, MeasureKind, Qualification
from ..models import ActionItem, CaseMeasure, ConflictOfInterestCase, CorruptionIncident, MacroProcess, Risk
from ..models.corruption import NO_NAMES
from ..services import cases as services, corruption as corruption_services
from ..services.cases import coi_case_reporter_readable_by

if TYPE_CHECKING:
    CaseAdminBase = SimpleHistoryAdmin[ConflictOfInterestCase]
    ActionItemAdminBase = SimpleHistoryAdmin[ActionItem]
else:
    CaseAdminBase = ActionItemAdminBase = SimpleHistoryAdmin

REPORTER_FIELDS = ("reporter_employee", "reporter_name")
#: Shown and diffed in the history for compliance officers only (declared on the model; the admin site
#: keeps them out of every list's filters, search and sort for anyone else: core/admin_lookups.py).
CONFIDENTIAL_FIELDS = ConflictOfInterestCase.confidential_fields.fields


# --- list filters ----------------------------------------------------------------------------------------


class MeasureFilter(CheckedListFilter):
    """Cases with a measure of a kind (a subquery: no join, no DISTINCT on the big list)."""

    title = _("measure")
    parameter_name = "measure"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, Any]]:
        return list(MeasureKind.choices)

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.cleaned is None:
            return queryset
        return queryset.with_measure(self.cleaned)  # type: ignore[attr-defined]  # the admin's CaseQuerySet


class ReportedYearFilter(YearFilter):
    title = _("year reported")
    field = "reported_on"


class AnalysisOverdueFilter(QuerySetMethodFilter):
    title = _("analysis")
    parameter_name = "analysis"
    options = {
        "overdue": (_("Analysis overdue"), "analysis_overdue"),
        "pending": (_("Awaiting qualification"), "awaiting_qualification"),
    }


class ActionItemStateFilter(QuerySetMethodFilter):
    title = _("deadline")
    parameter_name = "state"
    options = {
        "overdue": (_("Overdue"), "overdue"),
        "week": (_("Due within 7 days"), "due_within_week"),
        "open": (_("Not done"), "open"),
        "done": (_("Done"), "done"),
    }


class AttachedToFilter(CheckedListFilter):
    title = _("attached to")
    parameter_name = "on"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, Any]]:
        return [("case", _("A case")), ("risk", _("A risk"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset if self.cleaned is None else queryset.filter(**{f"{self.cleaned}__isnull": False})


# --- forms of the transitions ----------------------------------------------------------------------------


class StartAnalysisForm(forms.Form):
    reason = forms.CharField(label=_("comment"), required=False, max_length=90)


class QualifyForm(forms.Form):
    qualification = forms.ChoiceField(label=_("qualification"), choices=Qualification.choices)
    qualified_on = forms.DateField(label=_("qualified on"), widget=date_input())
    analysis = forms.CharField(label=_("analysis"), widget=forms.Textarea(attrs={"rows": 5}), required=False)


class AddMeasureForm(forms.Form):
    kind = forms.ChoiceField(label=_("measure"), choices=MeasureKind.choices)
    decided_on = forms.DateField(label=_("decided on"), widget=date_input())
    description = forms.CharField(label=_("description"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    justification = forms.CharField(
        label=_("justification"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("Required for a measure on a case qualified unfounded."),
    )


class CloseForm(forms.Form):
    closed_on = forms.DateField(label=_("closed on"), widget=date_input())
    justification = forms.CharField(
        label=_("justification"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("Required to close a confirmed conflict of interest without any measure."),
    )


class ReopenForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=90, required=False)


class QualifyCorruptionForm(forms.Form):
    """A confirmed case whose analysis establishes corruption or influence peddling becomes an incident
    (ESRS G1-4)."""

    nature = forms.ChoiceField(label=_("nature"), choices=CorruptionNature.choices)
    confirmed_on = forms.DateField(label=_("confirmed on"), widget=date_input())
    partner_contract_terminated = forms.BooleanField(
        label=_("business-partner contract terminated or not renewed"), required=False
    )
    description = forms.CharField(
        label=_("description"), widget=forms.Textarea(attrs={"rows": 3}), required=False, help_text=NO_NAMES
    )


class LinkRisksForm(forms.Form):
    risks = forms.ModelMultipleChoiceField(
        label=_("risks"),
        queryset=Risk.objects.select_related("map").order_by("map", "code"),
        widget=forms.SelectMultiple(attrs={"size": 12}),
    )


#: action → (form, service, button title, done message)
TRANSITIONS: dict[str, tuple[type[forms.Form], Any, Any, Any]] = {
    "start_analysis": (
        StartAnalysisForm,
        services.coi_case_start_analysis,
        _("Start the analysis"),
        _("Analysis started."),
    ),
    "qualify": (QualifyForm, services.coi_case_qualify, _("Qualify"), _("Case qualified.")),
    "add_measure": (AddMeasureForm, services.coi_case_add_measure, _("Add a measure"), _("Measure recorded.")),
    "link_risks": (LinkRisksForm, services.coi_case_link_risks, _("Link to risks"), _("Risks linked.")),
    "close": (CloseForm, services.coi_case_close, _("Close"), _("Case closed.")),
    "reopen": (ReopenForm, services.coi_case_reopen, _("Reopen"), _("Case reopened.")),
    "qualify_corruption": (
        QualifyCorruptionForm,
        corruption_services.coi_case_qualify_as_corruption,
        _("Qualify as corruption"),
        _("Case recorded as a corruption incident."),
    ),
}


# --- the case --------------------------------------------------------------------------------------------


class CaseForm(forms.ModelForm):
    class Meta:
        model = ConflictOfInterestCase
        fields = [
            "reference",
            "reported_on",
            "source",
            *REPORTER_FIELDS,
            "persons_concerned",
            "third_parties",
            "entity",
            "macro_process",
            "dossier_type",
            "dossier_reference",
            "description",
            "handler",
        ]
        widgets = {"reported_on": date_input()}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "reference" in self.fields:
            self.fields["reference"].required = False
            self.fields["reference"].help_text = _("Generated (COI-YYYY-NNN) when left empty.")

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if self.instance.pk is None:
            if "reported_on" not in self.errors:
                for name, message in services.coi_case_problems(reported_on=data.get("reported_on")).items():
                    self.add_error(name, message)
            reference = (data.get("reference") or "").strip()
            if reference and ConflictOfInterestCase.objects.filter(reference=reference).exists():
                self.add_error(
                    "reference",
                    gettext("A case with the reference %(reference)s already exists.") % {"reference": reference},
                )
        return data


class MeasureInline(ReadOnlyTabularInline):
    """Measures are recorded by the "Add a measure" button (the service checks them)."""

    model = CaseMeasure
    fields = readonly_fields = ("kind", "decided_on", "description")


class ActionItemInline(ReadOnlyTabularInline):
    """The action plan of the case; items are planned and completed from the action items' admin."""

    model = ActionItem
    fk_name = "case"
    fields = readonly_fields = ("title", "owner", "owner_name", "due_on", "due", "done_on", "evidence")

    @admin.display(description=_("time left"))
    def due(self, obj: ActionItem) -> str:
        return due_badge(obj.due_on, done=obj.is_done)


@admin.register(ConflictOfInterestCase)
class ConflictOfInterestCaseAdmin(AnonymisedMixin, TransitionButtonsMixin, CaseAdminBase):
    form = CaseForm
    list_display = [
        # What fits a 1366 px screen; the source and the measures are on the case's page.
        "reference",
        "reported_on",
        "entity",
        "dossier_type",
        "status",
        "qualification",
        "analysis_due",
        "overdue_items",
    ]
    list_filter = [
        "status",
        "qualification",
        MeasureFilter,
        "source",
        "entity",
        ReportedYearFilter,
        AnalysisOverdueFilter,
        assigned_filter("handler"),
    ]
    list_select_related = ["entity"]
    search_fields = ["reference", "dossier_reference", "description"]
    show_full_result_count = False
    list_per_page = 50
    ordering = ["-reported_on", "reference"]
    inlines = [MeasureInline, ActionItemInline]
    transitions = TRANSITIONS
    allowed_actions = staticmethod(services.coi_case_allowed_actions)
    transition_not_possible = _("“%(action)s” is not possible for a case whose status is “%(status)s”.")
    transition_url_dashes = True  # do/start-analysis/
    readonly_fields = [
        "status",
        "analysis_due_on",
        "analysis_due",
        "qualification",
        "qualified_on",
        "qualified_by",
        "analysis",
        "justification",
        "closed_on",
        "risks_list",
        "reporter_confidential",
        "corruption_incident_link",
    ]

    def get_fieldsets(self, request: HttpRequest, obj: ConflictOfInterestCase | None = None) -> list:
        officer = coi_case_reporter_readable_by(request.user)
        reporter = list(REPORTER_FIELDS) if officer else ["reporter_confidential"]
        report = ["reference", "reported_on", "source", *reporter]
        concerned = [
            "persons_concerned",
            "third_parties",
            "entity",
            "macro_process",
            "dossier_type",
            "dossier_reference",
            "description",
            "handler",
        ]
        if obj is None:
            return [(None, {"fields": report}), (_("Concerned"), {"fields": concerned})]
        if officer and obj.persons_concerned_identities:
            concerned.insert(1, "persons_concerned_identities")
        return self.with_retention(
            obj,
            [
                (None, {"fields": ["status", "analysis_due_on", "analysis_due"]}),
                (_("Report"), {"fields": report}),
                (_("Concerned"), {"fields": concerned}),
                (
                    _("Qualification"),
                    {
                        "fields": [
                            "qualification",
                            "qualified_on",
                            "qualified_by",
                            "analysis",
                            "justification",
                            "closed_on",
                            "risks_list",
                            "corruption_incident_link",
                        ]
                    },
                ),
            ],
        )

    def get_exclude(self, request: HttpRequest, obj: ConflictOfInterestCase | None = None) -> list[str]:
        # Not even as hidden inputs: the identity never reaches the page of a non-officer.
        return [] if coi_case_reporter_readable_by(request.user) else list(CONFIDENTIAL_FIELDS)

    def get_readonly_fields(self, request: HttpRequest, obj: ConflictOfInterestCase | None = None) -> list[str]:
        # The reference is the key of imports; the report date makes the analysis due date.
        if obj is None:
            return list(self.readonly_fields)
        kept = ["persons_concerned_identities"] if coi_case_reporter_readable_by(request.user) else []
        return [*self.readonly_fields, *kept, "reference", "reported_on", "anonymised_on"]

    def get_autocomplete_fields(self, request: HttpRequest) -> list[str]:
        fields = ["reporter_employee", "persons_concerned", "entity"]
        if self.admin_site.is_registered(MacroProcess):
            fields.append("macro_process")
        return fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[ConflictOfInterestCase]:
        today = timezone.localdate()
        return (
            super()
            .get_queryset(request)
            .prefetch_related("measures")
            .annotate(
                overdue_count=Count(
                    "action_items", filter=Q(action_items__done_on__isnull=True, action_items__due_on__lt=today)
                )
            )
        )

    # A case is evidence of the compliance programme (Sapin II); it moves by its actions only.
    def has_delete_permission(self, request: HttpRequest, obj: ConflictOfInterestCase | None = None) -> bool:
        return False

    def revert_disabled(self, request: HttpRequest, obj: ConflictOfInterestCase | None = None) -> bool:
        return True

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # A past version shows every field, the reporter's identity included.
        if not coi_case_reporter_readable_by(request.user):
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    def past_versions_open(self, request: HttpRequest, obj: ConflictOfInterestCase | None = None) -> bool:
        # The history list links to a past version only for who may open it (core/admin_history.py).
        return coi_case_reporter_readable_by(request.user)

    def get_history_queryset(
        self, request: HttpRequest, history_manager: Any, pk_name: str, object_id: Any
    ) -> QuerySet:
        # A version that changed the identities only (a reporter typed in later, the identities a case kept
        # when the roster anonymised them) is left out for non-officers: its date alone would tell when
        # the reporter was named, or on which day of anonymisation to look for them.
        rows = super().get_history_queryset(request, history_manager, pk_name, object_id)
        if coi_case_reporter_readable_by(request.user):
            return rows
        names = [f.attname for f in self.model._meta.concrete_fields]
        confidential = {self.model._meta.get_field(name).attname for name in CONFIDENTIAL_FIELDS}
        hidden, previous = [], None
        for version in rows.order_by("history_date", "history_id").values("history_id", *names):
            if previous is not None:
                changed = {name for name in names if version[name] != previous[name]}
                if changed and changed <= confidential:
                    hidden.append(version["history_id"])
            previous = version
        return rows.exclude(history_id__in=hidden)

    def set_history_delta_changes(
        self, request: HttpRequest, historical_records: Any, foreign_keys_are_objs: bool = True
    ) -> None:
        # The list of changes shows old and new values: the identities are left out for non-officers.
        excluded = [] if coi_case_reporter_readable_by(request.user) else list(CONFIDENTIAL_FIELDS)
        previous = None
        for current in historical_records:
            if previous is not None:
                delta = previous.diff_against(
                    current, excluded_fields=excluded, foreign_keys_are_objs=foreign_keys_are_objs
                )
                helper = self.get_historical_record_context_helper(request, previous)
                previous.history_delta_changes = helper.context_for_delta_changes(delta)
            previous = current

    # -- columns ---------------------------------------------------------------------------------------
    @admin.display(description=_("reporter"))
    def reporter_confidential(self, obj: ConflictOfInterestCase) -> str:
        return gettext("confidential")

    @admin.display(description=_("measures"))
    def measures_list(self, obj: ConflictOfInterestCase) -> str:
        return ", ".join(str(measure.get_kind_display()) for measure in obj.measures.all()) or "–"

    @admin.display(description=_("analysis"), ordering="analysis_due_on")
    def analysis_due(self, obj: ConflictOfInterestCase) -> str:
        return due_badge(obj.analysis_due_on, done=obj.status in (CaseStatus.QUALIFIED, CaseStatus.CLOSED))

    @admin.display(description=_("overdue actions"))
    def overdue_items(self, obj: ConflictOfInterestCase) -> str:
        count = getattr(obj, "overdue_count", None)
        if count is None:
            count = obj.action_items.overdue().count()
        return badge(count, "red") if count else "–"

    @admin.display(description=_("corruption incident"))
    def corruption_incident_link(self, obj: ConflictOfInterestCase) -> str:
        """The incident (ESRS G1-4) the case was qualified as, with a link for who may read it."""
        incident = CorruptionIncident.objects.filter(coi_case=obj).first()
        if incident is None:
            return gettext("not qualified as corruption")
        url = reverse("admin:compliance_corruptionincident_change", args=[incident.pk])
        return format_html('<a href="{}">{}</a>', url, incident.reference)

    @admin.display(description=_("risks materialised"))
    def risks_list(self, obj: ConflictOfInterestCase) -> str:
        return ", ".join(str(risk) for risk in obj.risks.all()) or "–"

    # -- writes through the services -----------------------------------------------------------------
    def save_model(
        self, request: HttpRequest, obj: ConflictOfInterestCase, form: forms.ModelForm, change: bool
    ) -> None:
        save_through_services(
            obj,
            form,
            change,
            create=lambda **data: services.coi_case_create(actor=request.user, **data),
            update=lambda **changes: services.coi_case_update(
                actor=request.user, case=obj, **{k: v for k, v in changes.items() if k in services.DESCRIPTIVE_FIELDS}
            ),
        )

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: Any, change: bool) -> None:
        # Not form.save_m2m(): the services set the persons concerned. The inlines are read-only but
        # their formsets run for the admin's change message.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    # -- transitions (core.admin_actions.TransitionButtonsMixin) ---------------------------------------
    def apply_transition(
        self, request: HttpRequest, obj: ConflictOfInterestCase, service: Any, data: dict[str, Any]
    ) -> None:
        service(case=obj, actor=request.user, **data)

    def transition_context(self, obj: ConflictOfInterestCase) -> dict[str, Any]:
        reported = format_translated(
            gettext("Reported %(reported)s, status: %(status)s."),
            reported=format_date(obj.reported_on),
            status=obj.get_status_display(),
        )
        return {"transition_intro": format_html("{} {}", reported, self.analysis_due(obj))}

    def transition_initial(self, action: str) -> dict[str, Any]:
        today = timezone.localdate()
        return {
            "qualify": {"qualified_on": today},
            "add_measure": {"decided_on": today},
            "close": {"closed_on": today},
            "qualify_corruption": {"confirmed_on": today},
        }.get(action, {})


# --- action items ----------------------------------------------------------------------------------------


class ActionItemForm(forms.ModelForm):
    class Meta:
        model = ActionItem
        fields = ["case", "risk", "title", "owner", "owner_name", "due_on", "evidence"]
        widgets = {"due_on": date_input()}

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if self.instance.pk is None and not self.errors:
            problems = services.action_item_problems(
                case=data.get("case"), risk=data.get("risk"), title=data.get("title") or "", due_on=data.get("due_on")
            )
            for name, message in problems.items():
                self.add_error(name if name in self.fields else None, message)
        return data


class CompleteForm(forms.Form):
    done_on = forms.DateField(label=_("done on"), widget=date_input())
    evidence = forms.CharField(label=_("evidence"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


@admin.register(ActionItem)
class ActionItemAdmin(ActionItemAdminBase):
    form = ActionItemForm
    list_display = ["title", "case", "risk", "owner_display", "due_on", "due", "done_on"]
    list_filter = [ActionItemStateFilter, AttachedToFilter, "owner", assigned_filter("owner", owner_name="")]
    list_select_related = ["case", "risk", "owner"]
    search_fields = ["title", "case__reference", "risk__code", "owner_name"]
    autocomplete_fields = ["case"]
    raw_id_fields = ["risk"]
    show_full_result_count = False
    list_per_page = 50
    ordering = ["due_on", "pk"]
    actions = ["complete"]
    readonly_fields = ["done_on", "evidence_file"]

    def get_readonly_fields(self, request: HttpRequest, obj: ActionItem | None = None) -> list[str]:
        # Once planned, an item changes by being completed (the action); its plan stays as it was agreed.
        if obj is None:
            return list(self.readonly_fields)
        return ["case", "risk", "title", "owner", "owner_name", "due_on", "evidence", *self.readonly_fields]

    def has_delete_permission(self, request: HttpRequest, obj: ActionItem | None = None) -> bool:
        return False

    def revert_disabled(self, request: HttpRequest, obj: ActionItem | None = None) -> bool:
        return True

    @admin.display(description=_("owner"), ordering="owner")
    def owner_display(self, obj: ActionItem) -> str:
        return user_label(obj.owner) if obj.owner else obj.owner_name or "–"

    @admin.display(description=_("time left"), ordering="due_on")
    def due(self, obj: ActionItem) -> str:
        return due_badge(obj.due_on, done=obj.is_done)

    def save_model(self, request: HttpRequest, obj: ActionItem, form: forms.ModelForm, change: bool) -> None:
        if change:  # every field is read-only on the change page: nothing to write
            return
        save_through_services(
            obj,
            form,
            change,
            create=lambda **data: services.action_item_create(actor=request.user, **data),
            update=lambda **changes: None,
        )

    @admin.action(description=_("Mark as done"), permissions=["change"])
    def complete(self, request: HttpRequest, queryset: QuerySet[ActionItem]) -> HttpResponse | None:
        return form_action(
            self,
            request,
            queryset,
            form_class=CompleteForm,
            title=gettext("Mark as done"),
            initial={"done_on": timezone.localdate()},
            apply=lambda item, **data: services.action_item_complete(actor=request.user, item=item, **data),
            done_message=lambda n: ngettext("%(count)d action done.", "%(count)d actions done.", n) % {"count": n},
            describe=lambda item: gettext("due %(due)s") % {"due": format_date(item.due_on, missing="–")},
        )
