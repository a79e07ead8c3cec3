"""Admin of the risk maps: macro-processes, map versions with their heat maps, risks and interviews.

Wiring only: the forms save through compliance.services.riskmaps, the actions and the change-page
buttons call its services through core.admin_actions, the export is compliance.exports.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, gettext_lazy as _, ngettext
from simple_history.admin import SimpleHistoryAdmin

from core.admin_actions import adopt, error_text, form_action, form_view, save_through_services
from core.admin_utils import CheckedListFilter, YearListFilter, date_input
from core.spreadsheets import XLSX_CONTENT_TYPE

from ..choices import FunctionType
from ..exports import export_filename, risk_map_xlsx
from ..models import MacroProcess, Risk, RiskInterview, RiskMap
from ..scoring import AMBER, GREEN, RED, band, grid, ranked, scales_from_settings
from ..services import riskmaps as services

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    MacroProcessAdminBase = SimpleHistoryAdmin[MacroProcess]
    RiskMapAdminBase = SimpleHistoryAdmin[RiskMap]
    RiskAdminBase = SimpleHistoryAdmin[Risk]
    RiskInterviewAdminBase = SimpleHistoryAdmin[RiskInterview]
else:
    MacroProcessAdminBase = RiskMapAdminBase = RiskAdminBase = RiskInterviewAdminBase = SimpleHistoryAdmin

CELL_COLOURS = {GREEN: "#c6efce", AMBER: "#ffeb9c", RED: "#ffc7ce"}


# --- macro-processes ---------------------------------------------------------------------------------------


@admin.register(MacroProcess)
class MacroProcessAdmin(MacroProcessAdminBase):
    list_display = ["code", "name", "kind"]
    list_filter = ["kind"]
    search_fields = ["code", "name"]
    ordering = ["kind", "code"]
    fields = ["kind", "code", "name", "description"]

    def save_model(self, request: HttpRequest, obj: MacroProcess, form: forms.ModelForm, change: bool) -> None:
        save_through_services(
            obj,
            form,
            change,
            create=lambda **data: services.macro_process_create(actor=request.user, **data),
            update=lambda **changes: services.macro_process_update(actor=request.user, macro_process=obj, **changes),
        )

    # Referenced by risks and cases (PROTECT): retire one by renaming, not by deleting.
    def has_delete_permission(self, request: HttpRequest, obj: MacroProcess | None = None) -> bool:
        return False


# --- map versions ------------------------------------------------------------------------------------------


class RiskMapForm(forms.ModelForm):
    class Meta:
        model = RiskMap
        fields = ["kind", "title", "notes"]


class ApproveForm(forms.Form):
    approved_on = forms.DateField(label=_("approved on"), widget=date_input())


class NewVersionForm(forms.Form):
    title = forms.CharField(
        label=_("title of the new version"),
        required=False,
        max_length=200,
        help_text=_("The title of the version copied when left empty."),
    )


@admin.register(RiskMap)
class RiskMapAdmin(RiskMapAdminBase):
    form = RiskMapForm
    list_display = [
        "__str__",
        "kind",
        "version",
        "approved_on",
        "approved_by",
        "risk_count",
        "macro_process_count",
        "interviews_by_function_type",
    ]
    list_display_links = ["__str__"]
    list_filter = ["kind", ("approved_on", admin.EmptyFieldListFilter)]
    list_select_related = ["approved_by"]
    search_fields = ["title", "notes"]
    ordering = ["kind", "-version"]
    change_form_template = "admin/compliance/riskmap/change_form.html"
    actions = ["new_version", "approve", "export_xlsx"]
    readonly_fields = ["version", "based_on", "approved_on", "approved_by", "risks_link", "interviews_link"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[RiskMap]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_risks=Count("risks", distinct=True),
                n_processes=Count("risks__macro_process", distinct=True),
                n_business=Count(
                    "interviews", filter=Q(interviews__function_type=FunctionType.BUSINESS), distinct=True
                ),
                n_support=Count("interviews", filter=Q(interviews__function_type=FunctionType.SUPPORT), distinct=True),
            )
        )

    def get_fields(  # type: ignore[override]  # django-stubs: an invariant list of field groups
        self, request: HttpRequest, obj: RiskMap | None = None
    ) -> list[str]:
        if obj is None:
            return ["kind", "title", "notes"]
        return [
            "kind",
            "version",
            "title",
            "notes",
            "based_on",
            "approved_on",
            "approved_by",
            "risks_link",
            "interviews_link",
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: RiskMap | None = None) -> list[str]:
        if obj is None:
            return []
        # A version keeps its kind; an approved one is frozen.
        frozen = ["title", "notes"] if obj.approved_on else []
        return ["kind", *frozen, *self.readonly_fields]

    def has_delete_permission(self, request: HttpRequest, obj: RiskMap | None = None) -> bool:
        return False  # dated versions are kept (AFA)

    # -- columns -------------------------------------------------------------------------------------
    @admin.display(description=_("risks"), ordering="n_risks")
    def risk_count(self, obj: RiskMap) -> int:
        return obj.n_risks  # type: ignore[attr-defined]  # annotated by get_queryset()

    @admin.display(description=_("macro-processes covered"), ordering="n_processes")
    def macro_process_count(self, obj: RiskMap) -> int:
        return obj.n_processes  # type: ignore[attr-defined]  # annotated by get_queryset()

    @admin.display(description=_("interviews (business / support)"))
    def interviews_by_function_type(self, obj: RiskMap) -> str:
        business, support = obj.n_business, obj.n_support  # type: ignore[attr-defined]  # annotated by get_queryset()
        return f"{business + support} ({business} / {support})"

    @admin.display(description=_("risks"))
    def risks_link(self, obj: RiskMap) -> str:
        url = reverse("admin:compliance_risk_changelist") + f"?map__id__exact={obj.pk}"
        return format_html(
            '<a href="{}">{}</a>',
            url,
            ngettext("%(count)d risk", "%(count)d risks", obj.risks.count()) % {"count": obj.risks.count()},
        )

    @admin.display(description=_("interviews"))
    def interviews_link(self, obj: RiskMap) -> str:
        url = reverse("admin:compliance_riskinterview_changelist") + f"?map__id__exact={obj.pk}"
        count = obj.interviews.count()
        return format_html(
            '<a href="{}">{}</a>',
            url,
            ngettext("%(count)d interview", "%(count)d interviews", count) % {"count": count},
        )

    # -- writes through the services -----------------------------------------------------------------
    def save_model(self, request: HttpRequest, obj: RiskMap, form: forms.ModelForm, change: bool) -> None:
        save_through_services(
            obj,
            form,
            change,
            create=lambda **data: services.risk_map_create(actor=request.user, **data),
            update=lambda **changes: services.risk_map_update(actor=request.user, risk_map=obj, **changes),
        )

    # -- the heat map on the change page -------------------------------------------------------------
    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        obj = self.get_object(request, unquote(object_id))
        extra_context = dict(extra_context or {})
        if obj is not None:
            extra_context.update(heat_map_context(obj))
            extra_context["can_change_map"] = self.has_change_permission(request, obj)
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("<path:object_id>/approve/", view(self.approve_view), name="compliance_riskmap_approve"),
            path("<path:object_id>/new-version/", view(self.new_version_view), name="compliance_riskmap_new_version"),
            path("<path:object_id>/export/", view(self.export_view), name="compliance_riskmap_export"),
            *super().get_urls(),
        ]

    def _object_or_404(self, request: HttpRequest, object_id: str, *, change: bool) -> RiskMap:
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        allowed = (
            self.has_change_permission(request, obj) if change else self.has_view_or_change_permission(request, obj)
        )
        if not allowed:
            raise PermissionDenied
        return obj

    def approve_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        obj = self._object_or_404(request, object_id, change=True)
        return form_view(
            self,
            request,
            obj,
            form_class=ApproveForm,
            title=gettext("Approve this version"),
            apply=lambda approved_on: services.risk_map_approve(
                actor=request.user, risk_map=obj, approved_on=approved_on
            ),
            done_message=gettext("Version approved: it is now frozen."),
            initial={"approved_on": timezone.localdate()},
        )

    def new_version_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        obj = self._object_or_404(request, object_id, change=True)
        if not self.has_add_permission(request):
            raise PermissionDenied
        created: list[RiskMap] = []

        def apply(title: str) -> None:
            created.append(services.risk_map_create(actor=request.user, kind=obj.kind, based_on=obj, title=title))

        response = form_view(
            self,
            request,
            obj,
            form_class=NewVersionForm,
            title=gettext("New version from this one"),
            apply=apply,
            done_message=gettext("New version created: a copy of this one with its risks."),
        )
        if created:  # straight to the new version rather than back to the one copied
            return HttpResponseRedirect(reverse("admin:compliance_riskmap_change", args=[created[0].pk]))
        return response

    def export_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return xlsx_response(self._object_or_404(request, object_id, change=False))

    # -- actions ---------------------------------------------------------------------------------------
    @admin.action(description=_("New version from this one"), permissions=["add"])
    def new_version(self, request: HttpRequest, queryset: QuerySet[RiskMap]) -> HttpResponse | None:
        created: list[RiskMap] = []

        def apply(risk_map: RiskMap, title: str) -> None:
            created.append(
                services.risk_map_create(actor=request.user, kind=risk_map.kind, based_on=risk_map, title=title)
            )

        return form_action(
            self,
            request,
            queryset,
            form_class=NewVersionForm,
            title=gettext("New version from this one"),
            apply=apply,
            done_message=lambda n: (
                ngettext("%(count)d new version created.", "%(count)d new versions created.", n) % {"count": n}
            ),
            explanation=gettext(
                "The new version is a copy of the selected one with its risks (not its interviews); "
                "its number follows the last version of that kind."
            ),
        )

    @admin.action(description=_("Approve"), permissions=["change"])
    def approve(self, request: HttpRequest, queryset: QuerySet[RiskMap]) -> HttpResponse | None:
        return form_action(
            self,
            request,
            queryset,
            form_class=ApproveForm,
            title=gettext("Approve risk map versions"),
            apply=lambda risk_map, approved_on: services.risk_map_approve(
                actor=request.user, risk_map=risk_map, approved_on=approved_on
            ),
            done_message=lambda n: (
                ngettext("%(count)d version approved.", "%(count)d versions approved.", n) % {"count": n}
            ),
            initial={"approved_on": timezone.localdate()},
            explanation=gettext(
                "An approved version is frozen: its risks cannot change any more; a change is made in a new version."
            ),
        )

    @admin.action(description=_("Export XLSX"), permissions=["view"])
    def export_xlsx(self, request: HttpRequest, queryset: QuerySet[RiskMap]) -> HttpResponse | None:
        maps = list(queryset[:2])
        if len(maps) != 1:
            self.message_user(request, gettext("Select one map version to export."), messages.WARNING)
            return None
        return xlsx_response(maps[0])


def xlsx_response(risk_map: RiskMap) -> HttpResponse:
    response = HttpResponse(risk_map_xlsx(risk_map), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{export_filename(risk_map)}"'
    return response


def heat_map_context(risk_map: RiskMap) -> dict[str, Any]:
    """The two grids (gross, net) and the ranked net risks, for the change page's template."""
    scales = scales_from_settings()
    risks = ranked(risk_map.risks.select_related("macro_process"))

    def rows(pairs: list[tuple[int, int]]) -> Any:
        heat = grid(pairs, scales=scales)
        return {
            "rows": [[(cell, CELL_COLOURS[cell.band]) for cell in row] for row in heat.rows],
            "impacts": heat.impacts,
            "total": heat.total,
        }

    return {
        "gross_grid": rows([(r.gross_likelihood, r.gross_impact) for r in risks]),
        "net_grid": rows([(r.net_likelihood, r.net_impact) for r in risks]),
        "ranked_risks": [(risk, CELL_COLOURS[band(risk.net_score, scales=scales)]) for risk in risks],
    }


# --- risks -------------------------------------------------------------------------------------------------


class NetBandFilter(CheckedListFilter):
    """The colour of the net score, with the thresholds of the configured scales."""

    title = _("net score band")
    parameter_name = "net_band"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, StrOrPromise]]:
        return [(GREEN, _("Low (green)")), (AMBER, _("Medium (amber)")), (RED, _("High (red)"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Risk]) -> QuerySet[Risk]:
        top = scales_from_settings().max_score
        # band(): green when 4 × score ≤ max, amber when 2 × score ≤ max, red above.
        if self.cleaned == GREEN:
            return queryset.filter(net_score__lte=top // 4)
        if self.cleaned == AMBER:
            return queryset.filter(net_score__gt=top // 4, net_score__lte=top // 2)
        if self.cleaned == RED:
            return queryset.filter(net_score__gt=top // 2)
        return queryset


class RiskForm(forms.ModelForm):
    class Meta:
        model = Risk
        fields = ["map", *services.RISK_FIELDS]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        scales = scales_from_settings()
        for name in ("gross_likelihood", "net_likelihood"):
            if name in self.fields:
                self.fields[name].help_text = gettext("1 to %(max)d") % {"max": scales.likelihood_max}
        for name in ("gross_impact", "net_impact"):
            if name in self.fields:
                self.fields[name].help_text = gettext("1 to %(max)d") % {"max": scales.impact_max}

    def clean(self) -> dict[str, Any]:
        # The services' own rules, before anything is saved, so the errors land on the fields.
        super().clean()
        data = self.cleaned_data
        candidate = Risk(pk=self.instance.pk)
        for name in ("map", *services.RISK_FIELDS):
            value = data.get(name) if name in self.fields else getattr(self.instance, name, None)
            if name == "map" and name not in self.fields:
                value = self.instance.map
            setattr(candidate, name, value)
        if candidate.map_id is None or any(name in self.errors for name in ("map", *services.RISK_FIELDS)):
            return data  # the fields' own errors say it
        for name, problems in services.risk_problems(candidate).items():
            for problem in problems:
                self.add_error(name if name in self.fields else None, problem)
        return data


class MaterialisedFilter(YearListFilter):
    """Risks that materialised: linked to a qualified conflict-of-interest case reported that year."""

    title = _("materialised in")
    parameter_name = "materialised"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        this_year = timezone.localdate().year
        return [(str(y), str(y)) for y in range(this_year, this_year - 6, -1)]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Risk]) -> QuerySet[Risk]:
        if self.cleaned is None:
            return queryset
        cases = Risk.cases.through.objects.filter(conflictofinterestcase__reported_on__year=self.cleaned)
        return queryset.filter(pk__in=cases.values("risk_id"))


@admin.register(Risk)
class RiskAdmin(RiskAdminBase):
    form = RiskForm
    list_display = [
        "code",
        "title",
        "map",
        "macro_process",
        "net",  # what fits a 1366 px screen: the gross score and the controls are on the risk's page
        "owner",
        "materialised",
    ]
    list_display_links = ["code", "title"]
    list_filter = ["map", "macro_process", NetBandFilter, "control_effectiveness", MaterialisedFilter]
    list_select_related = ["map", "macro_process"]
    search_fields = ["code", "title"]
    autocomplete_fields = ["macro_process"]
    show_full_result_count = False
    list_per_page = 100
    ordering = ["map", "-net_score", "code"]
    readonly_fields = ["gross_score", "net_score"]

    def get_fields(  # type: ignore[override]  # django-stubs: an invariant list of field groups
        self, request: HttpRequest, obj: Risk | None = None
    ) -> list[str | tuple[str, str, str]]:
        return [
            "map",
            "code",
            "title",
            "macro_process",
            "scenario",
            ("gross_likelihood", "gross_impact", "gross_score"),
            "existing_controls",
            "control_effectiveness",
            ("net_likelihood", "net_impact", "net_score"),
            "owner",
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Risk | None = None) -> list[str]:
        return ["map", *self.readonly_fields] if obj is not None else self.readonly_fields

    def has_change_permission(self, request: HttpRequest, obj: Risk | None = None) -> bool:
        if obj is not None and obj.map.approved_on is not None:
            return False  # the version is frozen: shown read-only
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Risk | None = None) -> bool:
        if obj is not None and obj.map.approved_on is not None:
            return False
        return super().has_delete_permission(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Risk]) -> None:
        frozen = queryset.filter(map__approved_on__isnull=False)
        if frozen.exists():
            self.message_user(request, gettext("Risks of an approved version cannot be deleted."), messages.ERROR)
            return
        super().delete_queryset(request, queryset)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Risk]:
        return super().get_queryset(request).annotate(_cases=Count("cases"))

    @admin.display(description=_("cases"), ordering="_cases")
    def materialised(self, obj: Risk) -> int:
        """How many conflict-of-interest cases this risk materialised in (all years)."""
        return obj._cases  # type: ignore[attr-defined]  # annotated by get_queryset()

    @admin.display(description=_("net score"), ordering="net_score")
    def net(self, obj: Risk) -> str:
        colour = CELL_COLOURS[band(obj.net_score, scales=scales_from_settings())]
        return format_html(
            '<span style="background:{};padding:1px 8px;border-radius:9px;font-weight:600">{}</span>',
            colour,
            obj.net_score,
        )

    def save_model(self, request: HttpRequest, obj: Risk, form: forms.ModelForm, change: bool) -> None:
        data = form.cleaned_data
        if not change:
            values = {name: data[name] for name in services.RISK_FIELDS if data.get(name) is not None}
            adopt(obj, services.risk_add(actor=request.user, risk_map=data["map"], **values))
            return
        changes = {name: data[name] for name in form.changed_data if name in services.RISK_FIELDS}
        if changes:
            services.risk_update(actor=request.user, risk=obj, **changes)

    def _changeform_view(
        self, request: HttpRequest, object_id: str | None, form_url: str, extra_context: dict[str, Any] | None
    ) -> HttpResponse:
        # A service's refusal (scale, macro-process of another map, frozen version) back on the form.
        try:
            return super()._changeform_view(  # type: ignore[misc]  # private to ModelAdmin, not in django-stubs
                request, object_id, form_url, extra_context
            )
        except ValidationError as exc:
            self.message_user(request, error_text(exc, _RISK_LABELS), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


_RISK_LABELS = {field.name: field.verbose_name for field in Risk._meta.fields}


# --- interviews ---------------------------------------------------------------------------------------------


_INTERVIEW_FIELDS = ("map", "held_on", "function", "function_type", "macro_process", "notes")


@admin.register(RiskInterview)
class RiskInterviewAdmin(RiskInterviewAdminBase):
    list_display = ["held_on", "function", "function_type", "macro_process", "map"]
    list_filter = ["map", "function_type"]
    list_select_related = ["map", "macro_process"]
    search_fields = ["function", "notes"]
    autocomplete_fields = ["macro_process"]
    fields = _INTERVIEW_FIELDS
    ordering = ["map", "held_on"]

    def get_readonly_fields(self, request: HttpRequest, obj: RiskInterview | None = None) -> list[str]:
        # An interview is a record of what was said: corrected only by deleting and recording again.
        return list(_INTERVIEW_FIELDS) if obj is not None else []

    def has_change_permission(self, request: HttpRequest, obj: RiskInterview | None = None) -> bool:
        return False if obj is not None else super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: RiskInterview, form: forms.ModelForm, change: bool) -> None:
        data = dict(form.cleaned_data)
        adopt(obj, services.risk_interview_record(actor=request.user, risk_map=data.pop("map"), **data))
