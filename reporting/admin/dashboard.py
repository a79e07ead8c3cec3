"""The reporting dashboard (/admin/reporting/reportingyear/dashboard/): the year's indicators beside the
year before, what each domain has overdue or due soon (each count linked to the admin list of exactly
those records), and the domains' charts (the completion rates of the mandatory reference modules, the
rights requests received per month with their on-time rate). The figures are reporting/dashboard.py; what
the domains show they declare (reporting/desk.py) and their charts they draw in their own fragments.

The indicators are the stored snapshots of the year and the year before (frozen or not), shown with the
time they were computed: the page computes none of them (the whole registry takes seconds on a large
company's records); a year never computed says so, with the compute button for who may compute. The
downloads compute from the records (reporting/exports.py).

Everyone who can view the reporting years sees it; each indicator's value as reporting/visibility.py
decides (a year not frozen: only for who may view the records it counts); the counts of a domain only those
who may open its lists, each chart only those who may view the records it counts; the compute button only
those who may compute (auditors: read-only, downloads only).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy as _

from core.admin_utils import badge
from core.dates import format_datetime

from .. import catalogue, dashboard, exports, services
from ..models import ReportingYear
from .common import change_text, status_badge, value_text

if TYPE_CHECKING:
    from .years import ReportingYearAdmin


class DashboardYearForm(forms.Form):
    year = forms.TypedChoiceField(label=_("Fiscal year"), coerce=int)

    def __init__(self, *args: Any, years: Iterable[int] = (), **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        field = cast("forms.TypedChoiceField", self.fields["year"])  # declared above
        field.choices = [(year, str(year)) for year in years]


def default_year(this_year: int) -> int:
    """The year the dashboard opens on: the latest one with figures (frozen, computed, or with stored values),
    up to this year; this year when none has any (a year with no snapshot would open on empty figures)."""
    latest = (
        ReportingYear.objects.filter(year__lte=this_year)
        .filter(Q(frozen_at__isnull=False) | Q(computed_at__isnull=False) | Q(values__isnull=False))
        .order_by("-year")
        .values_list("year", flat=True)
        .first()
    )
    return latest or this_year


def selected_year(request: HttpRequest) -> tuple[int, list[int]]:
    """The year of ?year= (by default the latest year with figures, else this year, Paris time: `default_year`;
    a wrong one is said and replaced by it) and the years the selector offers (those computed, this year and
    the one before)."""
    this_year = timezone.localdate().year
    years = set(ReportingYear.objects.values_list("year", flat=True)) | {this_year, this_year - 1}
    year = default_year(this_year)
    raw = request.GET.get("year")
    if raw:
        try:
            year = services.year_check(raw)
        except services.ReportingError as exc:
            messages.error(request, str(exc))
    years.add(year)
    return year, sorted(years, reverse=True)


def indicator_sections(year: int, user: Any) -> tuple[Any, list[dict[str, Any]]]:
    """The year's indicators grouped as the DPEF shows them (by issue), then the ESRS G1 disclosures."""
    reporting_year, lines = dashboard.indicator_lines(year, user)
    can_open = user.has_perm("reporting.view_indicatorvalue")
    sections: list[dict[str, Any]] = []
    for line in lines:
        definition = line.definition
        if definition.framework == catalogue.ESRS:
            key, title = "esrs", gettext("ESRS G1 (business conduct)")
        else:
            key, title = f"e{definition.enjeu}", f"{definition.enjeu}. {definition.enjeu_label}"
        if not sections or sections[-1]["key"] != key:
            sections.append({"key": key, "title": title, "rows": []})
        row, unit = line.row, definition.unit
        sections[-1]["rows"].append(
            {
                "code": definition.code,
                "label": definition.label,
                "value": value_text(row.value, unit),
                "previous": value_text(row.previous, unit),
                "change": change_text(row.change, unit),
                "parts": (row.numerator, row.denominator)
                if row.numerator is not None or row.denominator is not None
                else None,
                "status": badge(gettext("not computed yet"), "grey")
                if row.status == exports.NOT_COMPUTED
                else status_badge(row.status, manual=not definition.computed),
                "note": row.note,
                "source": row.source_text,
                "url": reverse("admin:reporting_indicatorvalue_change", args=[line.value_id])
                if line.value_id and can_open
                else "",
            }
        )
    return reporting_year, sections


def charts(user: Any) -> list[str]:
    """The domains' chart panels `user` may see, each drawn by its domain's template fragment (with the figures
    it draws, for screen readers and for checking)."""
    until = dashboard.today()
    return [
        render_to_string(panel.template, panel.context(until, dashboard.TREND_MONTHS))
        for panel in dashboard.panels(user)
    ]


def dashboard_view(model_admin: ReportingYearAdmin, request: HttpRequest) -> HttpResponse:
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    year, years = selected_year(request)
    reporting_year, sections = indicator_sections(year, request.user)
    can_operate = model_admin.can_operate(request)
    download = reverse("admin:reporting_reportingyear_download")
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": gettext("Reporting dashboard"),
        "year": year,
        "year_form": DashboardYearForm(initial={"year": year}, years=years),
        "reporting_year": reporting_year,
        # When the figures shown were computed (the page shows stored ones only: reporting/dashboard.py).
        "computed_at": format_datetime(reporting_year.computed_at)
        if reporting_year and reporting_year.computed_at
        else "",
        "frozen_at": format_datetime(reporting_year.frozen_at) if reporting_year and reporting_year.frozen_at else "",
        "year_url": reverse("admin:reporting_reportingyear_change", args=[reporting_year.pk]) if reporting_year else "",
        "sections": sections,
        "can_operate": can_operate,
        "compute_url": (
            reverse("admin:reporting_reportingyear_compute", args=[reporting_year.pk])
            if reporting_year
            else reverse("admin:reporting_reportingyear_add") + f"?year={year}"
        ),
        "differences_url": reverse("admin:reporting_reportingyear_differences", args=[reporting_year.pk])
        if reporting_year
        else "",
        "download_links": [
            (label, f"{download}?year={year}&format={fmt}")
            for fmt, label in (
                ("xlsx", "XLSX"),
                ("csv", "CSV"),
                ("csv&dialect=machine", "CSV (machine)"),
                ("json", "JSON"),
            )
        ],
        "overdue_sections": dashboard.desk_sections(request.user),
        "today": timezone.localdate(),
        "panels": charts(request.user),
    }
    return TemplateResponse(request, "admin/reporting/dashboard.html", context)
