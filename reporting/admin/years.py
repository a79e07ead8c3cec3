"""Admin of the yearly snapshots: the list of years with their state, a year's page with its values, and
the steps of a year's life, each a service of reporting/services.py:

- compute / recompute (`year_compute`, refused on a frozen year), also from "Compute a year", the add page;
- the differences a recomputation would make (`year_differences`; never written), for everyone who can view,
  each of the indicators they may read (reporting/visibility.py);
- freeze (`year_freeze`: refused while an indicator is missing or failed, each one listed) and unfreeze with a
  reason (`year_unfreeze`), both in the year's history;
- the downloads (JSON, CSV, XLSX, the auditor pack), also for a year without a stored snapshot (the
  export computes it then, writing nothing), made for the user who downloads them (reporting/visibility.py:
  a value of a year not frozen computed from records their role may not view is "not published yet");
- the dashboard (reporting/admin/dashboard.py), linked from the list and from the app's index.

The writes need the permission to change reporting years (compliance officers); the page of a year is
read-only for everyone (a snapshot is changed by recomputing it, never by hand).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_permission_codename
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, QuerySet, Value
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy as _, ngettext
from simple_history.admin import SimpleHistoryAdmin

from core.admin_utils import CheckedListFilter, badge
from core.dates import format_datetime
from core.spreadsheets import FRENCH, MACHINE, dialect_named
from organization.models import LegalEntity

from .. import catalogue, exports, registry, services, visibility
from ..models import IndicatorValue, ReportingYear, ValueStatus
from .common import change_text, file_response, shown_records, status_badge, value_text

if TYPE_CHECKING:
    from typing import TypedDict

    from django_stubs_ext import WithAnnotations

    class ValueCounts(TypedDict):
        """The counts of a year's values that the list's queryset adds (ReportingYearAdmin.get_queryset)."""

        ok_values: int
        no_data_values: int
        error_values: int
        withheld_values: int

    CountedYear = WithAnnotations[ReportingYear, ValueCounts]
    ReportingYearAdminBase = SimpleHistoryAdmin[ReportingYear]
else:
    ReportingYearAdminBase = SimpleHistoryAdmin

#: The auditor pack's format (reporting/auditor_pack/) beside the export's (reporting/exports.py).
PACK = "zip"
PACK_CONTENT_TYPE = "application/zip"


def dialect_choices() -> list[tuple[str, Any]]:
    return [
        (FRENCH.name, _("French spreadsheet (; and decimal comma)")),
        (MACHINE.name, _("Machine (, and decimal point, ISO dates)")),
    ]


def format_choices() -> list[tuple[str, Any]]:
    return [("xlsx", _("Excel (XLSX)")), ("csv", _("CSV")), ("json", _("JSON")), (PACK, _("Auditor pack (ZIP)"))]


def _check_year(value: Any) -> int:
    try:
        return services.year_check(value)
    except services.ReportingError as exc:
        raise ValidationError(str(exc), code="year") from exc


class YearForm(forms.Form):
    year = forms.IntegerField(
        label=_("Fiscal year"),
        help_text=_("Its indicators are computed from the records now and stored as the year's snapshot."),
    )

    def clean_year(self) -> int:
        return _check_year(self.cleaned_data["year"])


class DownloadForm(forms.Form):
    year = forms.IntegerField(label=_("Fiscal year"))
    format = forms.ChoiceField(label=_("Format"), choices=format_choices)
    dialect = forms.ChoiceField(
        label=_("CSV dialect"),
        choices=dialect_choices,
        required=False,
        help_text=_("For the CSV files (the export's, the auditor pack's)."),
        error_messages={
            "invalid_choice": _("Unknown CSV dialect “%(value)s”: the allowed values are french, machine.")
        },
    )

    entity = forms.ModelChoiceField(
        label=_("Legal entity"),
        queryset=LegalEntity.objects.order_by("code"),
        to_field_name="code",
        required=False,
        empty_label=_("Company total (every entity)"),
        help_text=_("One entity's records only, computed now: never the published figures."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean_year(self) -> int:
        return _check_year(self.cleaned_data["year"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("entity") is not None and data.get("format") == PACK:
            self.add_error("entity", _("The auditor pack is the company's: choose no entity."))
        return data


class UnfreezeForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text=_("Why figures already verified must change (kept in the year's history)."),
    )


class FrozenFilter(CheckedListFilter):
    title = _("frozen")
    parameter_name = "frozen"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, Any]]:
        return [("yes", _("Frozen")), ("no", _("Open"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset if self.cleaned is None else queryset.filter(frozen_at__isnull=self.cleaned == "no")


def refusal_messages(request: HttpRequest, exc: services.ReportingError) -> None:
    """The service's refusal, then each problem it lists (one message each)."""
    messages.error(request, exc.args[0] if exc.args else str(exc))
    for problem in exc.problems:
        messages.error(request, problem)


def computed_message(request: HttpRequest, report: services.ComputeReport) -> list[str]:
    """Say what a computation changed, of the values the user may read (reporting/visibility.py: "1 changed"
    told an operator who may not view rights requests that one had been recorded); returns the failures
    among them."""
    reader = visibility.Reader.of(request.user)
    outcomes = [outcome for code, outcome in report.outcomes.items() if reader.reads(code)]
    messages.success(
        request,
        gettext("%(year)d computed: %(created)d new values, %(changed)d changed, %(unchanged)d unchanged.")
        % {
            "year": report.year,
            "created": outcomes.count("created"),
            "changed": outcomes.count("changed"),
            "unchanged": outcomes.count("unchanged"),
        },
    )
    return [problem for code, problem in zip(report.failed, report.problems, strict=True) if reader.reads(code)]


def frozen_text(year: ReportingYear) -> str:
    if year.frozen_at is None:  # `not year.frozen`, which the type checker cannot see through
        return gettext("open")
    return gettext("frozen on %(day)s by %(user)s") % {"day": format_datetime(year.frozen_at), "user": year.frozen_by}


def value_rows(reporting_year: ReportingYear, user: Any = None) -> list[dict[str, Any]]:
    """The year's stored values in the catalogue's order, as the year's page lists them to `user` (without
    their records: a year's id lists can be large); a value they may not read is "not published yet", and
    the number of records behind a value is for who may view them (reporting/visibility.py)."""
    reader = visibility.Reader.of(user)
    order = {d.code: index for index, d in enumerate(catalogue.DEFINITIONS)}
    values = sorted(
        IndicatorValue.objects.filter(reporting_year=reporting_year).defer("records"),
        key=lambda v: (order.get(v.code, len(order)), v.code),
    )
    rows = []
    for value in values:
        definition = value.definition
        unit = definition.unit if definition else "count"
        row: dict[str, Any] = {
            "code": value.code,
            "label": definition.label if definition else gettext("unknown indicator"),
            "computed_at": value.computed_at,
            "url": reverse("admin:reporting_indicatorvalue_change", args=[value.pk]),
        }
        if reader.shows(value.code, published=reporting_year.frozen):
            row.update(
                {
                    "value": value_text(value.value, unit),
                    "numerator": value.numerator,
                    "denominator": value.denominator,
                    "status": status_badge(value.status),
                    "message": value.message,
                    "records_count": value.records_count if reader.reads(value.code) else None,
                }
            )
        else:
            row.update(
                {
                    "value": value_text(None, unit),
                    "numerator": None,
                    "denominator": None,
                    "status": status_badge(visibility.WITHHELD),
                    "message": "",
                    "records_count": None,
                }
            )
        rows.append(row)
    return rows


@admin.register(ReportingYear)
class ReportingYearAdmin(ReportingYearAdminBase):
    list_display = ["year", "state", "computed_at", "ok_count", "no_data_count", "error_count"]
    list_display_links = ["year"]
    list_filter = [FrozenFilter]
    list_select_related = ["frozen_by"]
    ordering = ["-year"]
    fields = readonly_fields = ("year", "state", "computed_at", "frozen_at", "frozen_by", "unfreeze_reason")
    actions = ["compute_selected"]
    history_list_display = ["computed_at", "frozen_at", "frozen_by", "unfreeze_reason"]
    change_list_template = "admin/reporting/reportingyear/change_list.html"
    change_form_template = "admin/reporting/reportingyear/change_form.html"

    # -- permissions ----------------------------------------------------------------------------------------
    def can_operate(self, request: HttpRequest) -> bool:
        """Compute, freeze and unfreeze: the permission to change reporting years (compliance officers)."""
        return request.user.has_perm(f"{self.opts.app_label}.{get_permission_codename('change', self.opts)}")

    def has_add_permission(self, request: HttpRequest) -> bool:
        # "Adding" a year computes it.
        return super().has_add_permission(request) and self.can_operate(request)

    def has_change_permission(self, request: HttpRequest, obj: ReportingYear | None = None) -> bool:
        # A year's page is read-only: its snapshot changes by the steps above, never by hand.
        return False if obj is not None else super().has_change_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: ReportingYear | None = None) -> bool:
        return False  # a snapshot is evidence of what was published

    def revert_disabled(self, request: HttpRequest, obj: ReportingYear | None = None) -> bool:
        return True

    # -- the list ------------------------------------------------------------------------------------------
    def get_queryset(self, request: HttpRequest) -> QuerySet[ReportingYear]:
        # The states of the values the user is shown (reporting/visibility.py); the others are counted apart,
        # all alike (how many "no data" a year has would tell of records they may not view).
        shown = visibility.Reader.of(request.user).shown_q(code="values__code", frozen_at="frozen_at") or Q()
        return (
            super()
            .get_queryset(request)
            .annotate(
                ok_values=Count("values", filter=Q(values__status=ValueStatus.OK) & shown),
                no_data_values=Count("values", filter=Q(values__status=ValueStatus.NO_DATA) & shown),
                error_values=Count("values", filter=Q(values__status=ValueStatus.ERROR) & shown),
                withheld_values=Count("values", filter=~shown) if shown else Value(0),
            )
        )

    def get_list_display(self, request: HttpRequest) -> list[str | Callable[[ReportingYear], str | bool]]:
        if visibility.Reader.of(request.user).everything:
            return list(self.list_display)
        return [*self.list_display, "withheld_count"]

    @admin.display(description=_("state"), ordering="frozen_at")
    def state(self, obj: ReportingYear) -> str:
        return badge(frozen_text(obj), "green" if obj.frozen else "amber")

    @admin.display(description=_("computed"), ordering="ok_values")
    def ok_count(self, obj: CountedYear) -> int:
        return obj.ok_values

    @admin.display(description=_("no data"), ordering="no_data_values")
    def no_data_count(self, obj: CountedYear) -> str:
        return badge(obj.no_data_values, "grey") if obj.no_data_values else "0"

    @admin.display(description=_("errors"), ordering="error_values")
    def error_count(self, obj: CountedYear) -> str:
        return badge(obj.error_values, "red") if obj.error_values else "0"

    @admin.display(description=_("not published yet"), ordering="withheld_values")
    def withheld_count(self, obj: CountedYear) -> int:
        return obj.withheld_values

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        extra_context = {
            **(extra_context or {}),
            "can_operate": self.has_add_permission(request),
            "download_form": DownloadForm(initial={"year": timezone.localdate().year, "format": "xlsx"}),
            "download_url": reverse("admin:reporting_reportingyear_download"),
            "dashboard_url": reverse("admin:reporting_dashboard"),
        }
        return super().changelist_view(request, extra_context)

    @admin.action(description=_("Recompute the selected years"), permissions=["change"])
    def compute_selected(self, request: HttpRequest, queryset: QuerySet[ReportingYear]) -> None:
        for reporting_year in queryset.order_by("year"):
            self._compute(request, reporting_year.year)

    # -- a year's page ----------------------------------------------------------------------------------------
    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra_context = dict(extra_context or {})
        obj = self.get_object(request, unquote(object_id))
        if obj is not None and self.has_view_permission(request, obj):
            extra_context.update(self.year_context(request, obj))
        return super().change_view(request, object_id, form_url, extra_context)

    def year_context(self, request: HttpRequest, obj: ReportingYear) -> dict[str, Any]:
        download = reverse("admin:reporting_reportingyear_download")
        return {
            "value_rows": value_rows(obj, request.user),
            "can_operate": self.can_operate(request),
            "year_frozen": obj.frozen,
            "frozen_text": frozen_text(obj),
            "compute_url": reverse("admin:reporting_reportingyear_compute", args=[obj.pk]),
            "freeze_url": reverse("admin:reporting_reportingyear_freeze", args=[obj.pk]),
            "unfreeze_url": reverse("admin:reporting_reportingyear_unfreeze", args=[obj.pk]),
            "differences_url": reverse("admin:reporting_reportingyear_differences", args=[obj.pk]),
            "download_links": [(label, f"{download}?year={obj.year}&format={fmt}") for fmt, label in format_choices()],
            "dashboard_url": reverse("admin:reporting_dashboard") + f"?year={obj.year}",
        }

    # -- the extra pages ------------------------------------------------------------------------------------
    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("dashboard/", view(self.dashboard_view), name="reporting_dashboard"),
            path("download/", view(self.download_view), name="reporting_reportingyear_download"),
            path("<path:object_id>/compute/", view(self.compute_view), name="reporting_reportingyear_compute"),
            path(
                "<path:object_id>/differences/", view(self.differences_view), name="reporting_reportingyear_differences"
            ),
            path("<path:object_id>/freeze/", view(self.freeze_view), name="reporting_reportingyear_freeze"),
            path("<path:object_id>/unfreeze/", view(self.unfreeze_view), name="reporting_reportingyear_unfreeze"),
            *super().get_urls(),
        ]

    def _year(self, request: HttpRequest, object_id: str) -> CountedYear:
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404(gettext("No reporting year with the id %(id)s.") % {"id": object_id})
        return cast("CountedYear", obj)  # get_object reads get_queryset, which counts the values

    def _change_url(self, obj: ReportingYear) -> str:
        return reverse("admin:reporting_reportingyear_change", args=[obj.pk])

    def _page(
        self, request: HttpRequest, template: str, title: str, obj: ReportingYear | None = None, **context: Any
    ) -> TemplateResponse:
        change_url = self._change_url(obj) if obj else ""
        return TemplateResponse(
            request,
            template,
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": title,
                "original": obj,
                "subtitle": str(obj) if obj else None,
                "change_url": change_url,
                "cancel_url": change_url or reverse("admin:reporting_reportingyear_changelist"),
                **context,
            },
        )

    def _compute(self, request: HttpRequest, year: int) -> services.ComputeReport | None:
        """Compute `year`, say what changed (and which indicators failed); a refusal becomes messages."""
        try:
            report = services.year_compute(year, actor=request.user)
        except services.ReportingError as exc:
            refusal_messages(request, exc)
            return None
        problems = computed_message(request, report)
        if problems:
            messages.warning(
                request,
                ngettext(
                    "%(count)d indicator failed: the year cannot be frozen until it is computed.",
                    "%(count)d indicators failed: the year cannot be frozen until they are computed.",
                    len(problems),
                )
                % {"count": len(problems)},
            )
            for problem in problems:
                messages.warning(request, problem)
        return report

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """ "Compute a year": asks the year, computes it, then shows its page."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            form = YearForm(request.POST)
            if form.is_valid():
                year = form.cleaned_data["year"]
                try:
                    report = services.year_compute(year, actor=request.user)
                except services.ReportingError as exc:
                    form.add_error("year", exc.args[0] if exc.args else str(exc))
                    for problem in exc.problems:
                        form.add_error("year", problem)
                else:
                    for problem in computed_message(request, report):
                        messages.warning(request, problem)
                    return HttpResponseRedirect(self._change_url(ReportingYear.objects.get(year=year)))
        else:
            form = YearForm(initial={"year": request.GET.get("year") or timezone.localdate().year})
        return self._page(
            request,
            "admin/reporting/reportingyear/compute.html",
            gettext("Compute a year"),
            form=form,
            media=self.media + form.media,
        )

    def compute_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if not self.can_operate(request):
            raise PermissionDenied
        obj = self._year(request, object_id)
        if request.method == "POST":
            self._compute(request, obj.year)
        return HttpResponseRedirect(self._change_url(obj))

    def freeze_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """GET: what freezing means and the year's state; POST: freeze (or the list of what prevents it)."""
        if not self.can_operate(request):
            raise PermissionDenied
        obj = self._year(request, object_id)
        if request.method == "POST":
            try:
                services.year_freeze(obj.year, request.user)
            except services.ReportingError as exc:
                refusal_messages(request, exc)
            else:
                messages.success(
                    request,
                    gettext("%(year)d frozen: its indicators will not change until it is unfrozen, with a reason.")
                    % {"year": obj.year},
                )
            return HttpResponseRedirect(self._change_url(obj))
        if obj.frozen:
            messages.warning(request, gettext("%(year)d is already frozen.") % {"year": obj.year})
            return HttpResponseRedirect(self._change_url(obj))
        form = forms.Form()
        return self._page(
            request,
            "admin/reporting/reportingyear/freeze.html",
            gettext("Freeze %(year)d") % {"year": obj.year},
            obj,
            form=form,
            counts={"ok": obj.ok_values, "no_data": obj.no_data_values, "error": obj.error_values},
            computed_at=obj.computed_at,
            media=self.media,
        )

    def unfreeze_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if not self.can_operate(request):
            raise PermissionDenied
        obj = self._year(request, object_id)
        if not obj.frozen and request.method != "POST":
            messages.warning(request, gettext("%(year)d is not frozen.") % {"year": obj.year})
            return HttpResponseRedirect(self._change_url(obj))
        if request.method == "POST":
            form = UnfreezeForm(request.POST)
            if form.is_valid():
                try:
                    services.year_unfreeze(obj.year, request.user, form.cleaned_data["reason"])
                except services.ReportingError as exc:
                    form.add_error(None, exc.args[0] if exc.args else str(exc))
                    messages.error(request, exc.args[0] if exc.args else str(exc))
                else:
                    messages.success(
                        request, gettext("%(year)d unfrozen; the reason is in its history.") % {"year": obj.year}
                    )
                    return HttpResponseRedirect(self._change_url(obj))
        else:
            form = UnfreezeForm()
        return self._page(
            request,
            "admin/reporting/reportingyear/unfreeze.html",
            gettext("Unfreeze %(year)d") % {"year": obj.year},
            obj,
            form=form,
            frozen_text=frozen_text(obj),
            media=self.media + form.media,
        )

    def differences_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """What recomputing the year now would change, value by value: read-only (a frozen year's
        differences are shown, never written)."""
        obj = self._year(request, object_id)
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        # What a recomputation would give is never published: only the indicators the user may read, whether
        # the year is frozen or not (the others are not even computed).
        reader = visibility.Reader.of(request.user)
        codes = None if reader.everything else [code for code in registry.computations() if reader.reads(code)]
        try:
            differences = services.year_differences(obj.year, codes)
        except services.ReportingError as exc:
            refusal_messages(request, exc)
            return HttpResponseRedirect(self._change_url(obj))
        rows = []
        for difference in differences:
            definition = catalogue.BY_CODE.get(difference.code)
            unit = definition.unit if definition else "count"
            before, after = difference.before, difference.after
            before_value = before.value if before is not None and before.status == ValueStatus.OK else None
            after_value = after.value if after.status == ValueStatus.OK else None
            change = (
                (Decimal(after_value) - Decimal(before_value))
                if after_value is not None and before_value is not None
                else None
            )
            rows.append(
                {
                    "code": difference.code,
                    "label": definition.label if definition else "",
                    "new": before is None,
                    "before_status": status_badge(before.status) if before is not None else "",
                    "after_status": status_badge(after.status),
                    "before_value": value_text(before_value, unit),
                    "after_value": value_text(after_value, unit),
                    "change": change_text(change, unit),
                    "before_parts": (before.numerator, before.denominator) if before is not None else (None, None),
                    "after_parts": (after.numerator, after.denominator),
                    "method_changed": before is not None and before.method != after.method,
                    # Which records came and went is not said of records the reader may not view.
                    **self._record_changes(request, difference),
                    "message": after.message,
                    "url": reverse("admin:reporting_indicatorvalue_change", args=[before.pk]) if before else "",
                }
            )
        return self._page(
            request,
            "admin/reporting/reportingyear/differences.html",
            gettext("Differences of %(year)d") % {"year": obj.year},
            obj,
            rows=rows,
            year_frozen=obj.frozen,
            can_recompute=self.can_operate(request) and not obj.frozen,
            not_compared=0 if codes is None else len(registry.computations()) - len(codes),
            compute_url=reverse("admin:reporting_reportingyear_compute", args=[obj.pk]),
            computed_at=obj.computed_at,
        )

    @staticmethod
    def _record_changes(request: HttpRequest, difference: services.Difference) -> dict[str, Any]:
        records = [*difference.after.records, *(difference.before.records if difference.before else [])]
        if len(shown_records(records, request.user)) < len(records):
            return {"records_added": "–", "records_removed": "–"}
        return {"records_added": difference.records_added, "records_removed": difference.records_removed}

    def download_view(self, request: HttpRequest) -> HttpResponse:
        """?year=&format=: the export (JSON, CSV, XLSX) or the auditor pack of any year, stored or not."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = DownloadForm(request.GET)
        if not form.is_valid():
            for field, errors in form.errors.items():
                label = form.fields[field].label if field in form.fields else ""
                for error in errors:  # messages (str), which the stubs type as messages or ValidationErrors
                    messages.error(request, f"{label}: {error}" if label else str(error))
            return HttpResponseRedirect(reverse("admin:reporting_reportingyear_changelist"))
        year, fmt = form.cleaned_data["year"], form.cleaned_data["format"]
        chosen = form.cleaned_data.get("entity")
        entity = services.entity_check(chosen.code) if chosen is not None else None
        dialect = dialect_named(form.cleaned_data.get("dialect"))  # a choice of the form: known
        if fmt == PACK:
            try:
                # Imported here: the pack's module is optional for this page to load.
                from ..auditor_pack import build_pack, pack_filename
            except ImportError:
                messages.error(request, gettext("The auditor pack is not available in this installation."))
                return HttpResponseRedirect(reverse("admin:reporting_reportingyear_changelist"))
            try:
                pack = build_pack(year, user=request.user, dialect=dialect)  # only the records they may view
            except services.ReportingError as exc:
                refusal_messages(request, exc)
                return HttpResponseRedirect(reverse("admin:reporting_reportingyear_changelist"))
            return file_response(pack, PACK_CONTENT_TYPE, pack_filename(year))
        # The values the user may read (reporting/visibility.py); the command line exports them all.
        if fmt == "json":
            content: bytes | str = json.dumps(
                exports.as_dict(year, user=request.user, entity=entity), ensure_ascii=False, indent=2
            )
        elif fmt == "csv":
            content = exports.as_csv(year, user=request.user, dialect=dialect, entity=entity)
        else:
            content = exports.as_xlsx(year, user=request.user, entity=entity)
        return file_response(content, exports.CONTENT_TYPES[fmt], exports.filename(year, fmt, entity))

    def dashboard_view(self, request: HttpRequest) -> HttpResponse:
        from .dashboard import dashboard_view

        return dashboard_view(self, request)
