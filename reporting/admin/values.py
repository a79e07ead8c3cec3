"""Admin of the computed indicator values: read-only for everyone (a value changes only when its year is
recomputed). A value's page traces the figure to its records: the definition and the method of its
computation, the value and its parts, and per model the records behind it, opened as that model's admin
list filtered to them (short lists) or downloaded as a CSV of their ids.

What a reader is shown follows reporting/visibility.py: a value they may not read (a year not frozen,
records their role may not view) is "not published yet" in the list, on its page and in its CSV, the same
whatever it is; the list sorts and filters on what they are shown only; its history (past values, how
often it changed) and its records are for who may view every kind of record behind it, even once the year
is frozen (the figure is published, not the records it is counted from)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.db.models.constants import LOOKUP_SEP
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext, gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from core.admin_utils import CheckedListFilter, YearListFilter
from core.roles import can_view
from core.spreadsheets import CSV_CONTENT_TYPE, UnknownCsvDialect, csv_text, dialect_named

from .. import catalogue, visibility
from ..models import IndicatorValue, ReportingYear, ValueStatus
from .common import (
    MAX_IDS_IN_LINK,
    file_response,
    record_models,
    records_table,
    shown_records,
    status_badge,
    value_text,
)

if TYPE_CHECKING:
    from django_stubs_ext import FieldsetSpec

    IndicatorValueAdminBase = SimpleHistoryAdmin[IndicatorValue]
else:
    IndicatorValueAdminBase = SimpleHistoryAdmin


class FiscalYearFilter(YearListFilter):
    title = _("fiscal year")
    parameter_name = "year"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [(str(y), str(y)) for y in ReportingYear.objects.order_by("-year").values_list("year", flat=True)]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset if self.cleaned is None else queryset.filter(reporting_year__year=self.cleaned)


class StatusFilter(CheckedListFilter):
    """The status as the reader is shown it (`shown_status`, IndicatorValueAdmin.get_queryset): a value withheld
    from them is under "not published yet" only, whatever its status."""

    title = _("status")
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, Any]]:
        choices = list(ValueStatus.choices)
        if not visibility.Reader.of(request.user).everything:
            choices.append((visibility.WITHHELD, _("not published yet")))
        return choices

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset if self.cleaned is None else queryset.filter(shown_status=self.cleaned)


class EnjeuFilter(CheckedListFilter):
    """The DPEF issue of an indicator (the number in its code: E2_… is issue 2), or the ESRS G1 disclosures."""

    title = _("issue")
    parameter_name = "enjeu"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, Any]]:
        return [*((str(n), f"{n}. {label}") for n, label in catalogue.ENJEUX.items()), ("G1", _("ESRS G1"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.cleaned is None:
            return queryset
        if self.cleaned == "G1":
            return queryset.filter(code__startswith="G1_")
        return queryset.filter(code__startswith=f"E{self.cleaned}_")


def _unit(obj: IndicatorValue) -> str:
    return obj.definition.unit if obj.definition else "count"


@admin.register(IndicatorValue)
class IndicatorValueAdmin(IndicatorValueAdminBase):
    # What fits a 1366 px screen: when it was computed is on the value's page.
    list_display = ["code", "label", "year", "value_display", "parts", "status_display", "records_link"]
    list_display_links = ["code"]
    list_filter = [FiscalYearFilter, StatusFilter, EnjeuFilter]
    search_fields = ["code"]
    list_select_related = ["reporting_year"]
    show_full_result_count = False
    list_per_page = 100
    ordering = ["-reporting_year__year", "code"]
    change_form_template = "admin/reporting/indicatorvalue/change_form.html"
    object_history_template = "admin/reporting/indicatorvalue/object_history.html"
    fieldsets = [
        (None, {"fields": ["reporting_year", "code", "label", "enjeu", "unit"]}),
        (
            _("Figure"),
            {"fields": ["status_display", "message", "value_display", "numerator", "denominator", "computed_at"]},
        ),
        (_("Method"), {"fields": ["method"]}),
        (_("Records"), {"fields": ["records_count", "records_sha256"]}),
    ]
    #: What the page of a value withheld from its reader shows: nothing that depends on the value.
    withheld_fieldsets: FieldsetSpec = [
        (None, {"fields": ["reporting_year", "code", "label", "enjeu", "unit"]}),
        (_("Figure"), {"fields": ["status_display", "value_display"]}),
        (_("Method"), {"fields": ["definition_method"]}),
    ]
    readonly_fields = [
        "reporting_year",
        "code",
        "label",
        "enjeu",
        "unit",
        "status_display",
        "message",
        "value_display",
        "numerator",
        "denominator",
        "computed_at",
        "method",
        "records_count",
        "records_sha256",
        "definition_method",
    ]
    #: The lookups a reader who may not read every value may make in the URL (`?value__gte=5` would find a
    #: withheld value out): the year, the code, when computed.
    restricted_lookups = frozenset({"reporting_year", "code", "computed_at", "id", "pk"})

    # Computed by reporting.services.year_compute only: nobody adds, changes or deletes a value here.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: IndicatorValue | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: IndicatorValue | None = None) -> bool:
        return False

    def revert_disabled(self, request: HttpRequest, obj: IndicatorValue | None = None) -> bool:
        return True

    def get_fieldsets(self, request: HttpRequest, obj: IndicatorValue | None = None) -> FieldsetSpec:
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        reader = visibility.Reader.of(request.user)
        if hasattr(obj, "shown"):
            shown = obj.shown
        else:  # a past version (history_form_view, for who reads the code only)
            shown = obj.shown = reader.reads(obj.code)  # type: ignore[attr-defined]  # get_queryset's annotation
        if not shown:
            return self.withheld_fieldsets
        if reader.reads(obj.code) and len(shown_records(obj.records, request.user)) == len(obj.records):
            return fieldsets
        # Neither how many records nor their SHA-256 (a short list of ids is found back by trying the ids)
        # for who may not view some of them: the published figure is above.
        hidden = {"records_count", "records_sha256"}
        return [
            (title, {**options, "fields": [f for f in options["fields"] if f not in hidden]})
            for title, options in fieldsets
        ]

    def get_list_display(self, request: HttpRequest) -> list[str | Callable[[IndicatorValue], str | bool]]:
        # The list does not read the records (they can be long): it counts them for who may view every kind
        # of record an indicator stands on, and only links to the value's page for the others.
        if (
            all(can_view(request.user, label) for label in record_models())
            and visibility.Reader.of(request.user).everything
        ):
            return list(self.list_display)
        return [("records_page_link" if name == "records_link" else name) for name in self.list_display]

    def get_queryset(self, request: HttpRequest) -> QuerySet[IndicatorValue]:
        # The id lists can be large: a value's page reads them on its own (one query), the list never.
        # `shown`: whether the reader is shown the value; the list sorts and filters on the `shown_` figures,
        # in which every value withheld from them is alike.
        reader = visibility.Reader.of(request.user)
        return (
            super()
            .get_queryset(request)
            .defer("records")
            .annotate(
                shown=reader.shown_expression(),
                shown_value=reader.masked("value"),
                shown_status=reader.masked("status", withheld=visibility.WITHHELD),
            )
        )

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest) -> bool:
        # The list's own filters (?year=, ?status= as shown, ?enjeu=) are allowed to all.
        own = {
            list_filter.parameter_name
            for list_filter in self.list_filter
            if isinstance(list_filter, type) and issubclass(list_filter, admin.SimpleListFilter)
        }
        if (
            not visibility.Reader.of(request.user).everything
            and lookup not in own
            and lookup.split(LOOKUP_SEP, 1)[0] not in self.restricted_lookups
        ):
            return False
        return super().lookup_allowed(lookup, value, request)

    # -- history: for who may view every kind of record behind the value ------------------------------------------
    # Its past values, and how often and when it changed, would tell a role of records it may not view, even
    # once the year is frozen (the versions before the freezing were never published).
    def _reads(self, request: HttpRequest, object_id: Any) -> bool:
        code = (
            IndicatorValue.objects.filter(pk=object_id).values_list("code", flat=True).first()
            if str(object_id).isdigit()
            else None
        )
        return code is not None and visibility.Reader.of(request.user).reads(code)

    def get_history_queryset(
        self, request: HttpRequest, history_manager: Any, pk_name: str, object_id: Any
    ) -> QuerySet:
        queryset = super().get_history_queryset(request, history_manager, pk_name, object_id)
        return queryset if self._reads(request, object_id) else queryset.none()

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra_context = dict(extra_context or {})
        if not self._reads(request, unquote(object_id)):
            extra_context["history_withheld"] = True
        return super().history_view(request, object_id, extra_context)

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if self.has_view_permission(request) and not self._reads(request, unquote(object_id)):
            raise PermissionDenied  # the same for every version id, existing or not
        return super().history_form_view(request, object_id, version_id, extra_context)

    # -- columns ------------------------------------------------------------------------------------------
    @admin.display(description=_("fiscal year"), ordering="reporting_year__year")
    def year(self, obj: IndicatorValue) -> int:
        return obj.reporting_year.year

    @admin.display(description=_("label"))
    def label(self, obj: IndicatorValue) -> str:
        return str(obj.definition.label) if obj.definition else gettext("unknown indicator")

    @admin.display(description=_("issue"))
    def enjeu(self, obj: IndicatorValue) -> str:
        definition = obj.definition
        if definition is None:
            return "–"
        if definition.framework == catalogue.ESRS:
            return gettext("ESRS G1")
        return f"{definition.enjeu}. {definition.enjeu_label}"

    @admin.display(description=_("unit"))
    def unit(self, obj: IndicatorValue) -> str:
        return str(catalogue.UNITS.get(_unit(obj), _unit(obj)))

    @admin.display(description=_("method"))
    def definition_method(self, obj: IndicatorValue) -> str:
        return str(obj.definition.method) if obj.definition else "–"

    # A value withheld from its reader (`shown`, set by get_queryset or get_fieldsets) is "–" and "not
    # published yet"; an object that did not come through them shows nothing.
    @admin.display(description=_("value"), ordering="shown_value")
    def value_display(self, obj: IndicatorValue) -> str:
        return value_text(obj.value if getattr(obj, "shown", False) else None, _unit(obj))

    @admin.display(description=_("numerator / denominator"))
    def parts(self, obj: IndicatorValue) -> str:
        if not getattr(obj, "shown", False) or (obj.numerator is None and obj.denominator is None):
            return "–"
        return (
            f"{obj.numerator if obj.numerator is not None else '–'} / "
            f"{obj.denominator if obj.denominator is not None else '–'}"
        )

    @admin.display(description=_("status"), ordering="shown_status")
    def status_display(self, obj: IndicatorValue) -> str:
        return status_badge(obj.status if getattr(obj, "shown", False) else visibility.WITHHELD)

    @admin.display(description=_("records"), ordering="records_count")
    def records_link(self, obj: IndicatorValue) -> str:
        url = reverse("admin:reporting_indicatorvalue_change", args=[obj.pk])
        return format_html('<a href="{}#records">{}</a>', url, obj.records_count)

    @admin.display(description=_("records"))
    def records_page_link(self, obj: IndicatorValue) -> str:
        url = reverse("admin:reporting_indicatorvalue_change", args=[obj.pk])
        return format_html('<a href="{}#records">{}</a>', url, gettext("see"))

    # -- the records behind a value -----------------------------------------------------------------------------
    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra_context = dict(extra_context or {})
        obj = self.get_object(request, unquote(object_id))
        if obj is not None and self.has_view_permission(request, obj):
            value_url = reverse("admin:reporting_indicatorvalue_change", args=[obj.pk]).removesuffix("change/")
            # The records behind a value are for who may view every kind of record it stands on, even once its
            # year is frozen: the DPEF publishes the figure, not what it is counted from (a DPO got the ids of
            # the employees behind a training rate). Which kinds of record a value has would tell its status.
            reads = visibility.Reader.of(request.user).reads(obj.code)
            extra_context.update(
                {
                    "records_withheld": not reads,
                    "records_lines": records_table(obj.records, request.user, value_url) if reads else [],
                    "records_csv_url": f"{value_url}records.csv",
                    "max_ids_in_link": MAX_IDS_IN_LINK,
                    "year_url": reverse("admin:reporting_reportingyear_change", args=[obj.reporting_year_id]),
                }
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<path:object_id>/records.csv",
                self.admin_site.admin_view(self.records_csv_view),
                name="reporting_indicatorvalue_records",
            ),
            *super().get_urls(),
        ]

    def records_csv_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The ids behind the value (?model=app.model: that model's only), one per line: model;id."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        try:
            dialect = dialect_named(request.GET.get("dialect"))
        except UnknownCsvDialect as exc:
            messages.error(request, str(exc))
            return HttpResponseRedirect(reverse("admin:reporting_indicatorvalue_change", args=[obj.pk]))
        wanted = request.GET.get("model")
        # No id for who may not view every kind of record behind the value (change_view), frozen year or not.
        entries = shown_records(obj.records, request.user) if visibility.Reader.of(request.user).reads(obj.code) else []
        rows = (
            [entry.get("model", ""), record_id]
            for entry in entries
            if not wanted or entry.get("model") == wanted
            for record_id in entry.get("ids", [])
        )
        suffix = f"-{wanted.replace('.', '-')}" if wanted else ""
        return file_response(
            csv_text(["model", "id"], rows, dialect),
            CSV_CONTENT_TYPE,
            f"records-{obj.code}-{obj.reporting_year.year}{suffix}.csv",
        )
