"""Admin of the training modules: the list with each module's current completion rate, and a module's
page as the compliance officer's dashboard (rate, method, monthly trend, breakdowns, renewals due) for a
chosen day and scope, with the "not yet trained" and "renewal due" lists and their CSV exports.

Wiring only: every figure is training.kpis, every write training.services (module_create /
module_update, which re-flags the completions when the deployment day moves). The rate, breakdowns and
trend of the list and of the page are read from the stored figures (training/figures.py: computed every
night, and on demand with the page's "Recompute now"), shown with the time they were computed; the
renewals due and the people lists are live.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet, Window
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, gettext_lazy as _, ngettext
from simple_history.admin import SimpleHistoryAdmin

from core.admin_actions import adopt, error_text
from core.admin_utils import badge, date_input
from core.bounds import MAX_INTEGER, MIN_YEAR
from core.charts import percent_text, point_text, trend_svg
from core.dates import format_date, format_datetime
from core.spreadsheets import UnknownCsvDialect, csv_download, dialect_named
from organization.models import Department, Employee, LegalEntity

from .. import figures, kpis, services
from ..choices import ModuleKind
from ..models import Module

if TYPE_CHECKING:
    ModuleAdminBase = SimpleHistoryAdmin[Module]
else:
    ModuleAdminBase = SimpleHistoryAdmin

#: How many renewals the module's page lists (the full list is one click away).
RENEWALS_SHOWN = 20
TREND_MONTHS = figures.TREND_MONTHS
PEOPLE_PER_PAGE = 100
AUDIENCE_FIELDS = ("audience_entities", "audience_departments")


def rate_colour(value: Decimal | None) -> str:
    """Green from 90 %, amber from 75 %, red below; grey when nobody is in the population."""
    if value is None:
        return "grey"
    if value >= 90:
        return "green"
    return "amber" if value >= 75 else "red"


def rate_badge(value: Decimal | None) -> str:
    return badge(percent_text(value), rate_colour(value))


# --- the day and scope of the figures (?date=&entity=&department=) ----------------------------------------


class ScopeForm(forms.Form):
    date = forms.DateField(label=_("Reference day"), required=False, widget=date_input())
    entity = forms.ModelChoiceField(
        label=_("Legal entity"),
        queryset=LegalEntity.objects.order_by("code"),
        to_field_name="code",
        required=False,
        empty_label=_("All entities"),
    )
    department = forms.ModelChoiceField(
        label=_("Department"),
        queryset=Department.objects.order_by("name"),
        required=False,
        empty_label=_("All departments"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")  # the labels sit above their fields
        super().__init__(*args, **kwargs)

    def clean_date(self) -> dt.date | None:
        """A day from 1900 to a year from today: the rates of another century are a typing error."""
        day = self.cleaned_data.get("date")
        first, last = dt.date(MIN_YEAR, 1, 1), timezone.localdate() + dt.timedelta(days=366)
        if day is not None and not first <= day <= last:
            raise forms.ValidationError(
                gettext("Choose a day from %(first)s to %(last)s.")
                % {"first": format_date(first), "last": format_date(last)}
            )
        return day


@dataclass(frozen=True)
class Selection:
    """The reference day and the scope read from the query string (today and everyone by default)."""

    form: ScopeForm
    day: dt.date
    entity: LegalEntity | None = None
    department: Department | None = None

    @classmethod
    def from_request(cls, request: HttpRequest) -> Selection:
        today = timezone.localdate()
        if not any(request.GET.get(name) for name in ScopeForm.base_fields):
            return cls(ScopeForm(initial={"date": today}), today)
        form = ScopeForm(request.GET)
        form.is_valid()  # a wrong value is shown on the form; the others still apply
        data = getattr(form, "cleaned_data", {})
        return cls(form, data.get("date") or today, data.get("entity"), data.get("department"))

    @property
    def scope(self) -> kpis.Scope:
        return kpis.Scope.of(
            entities=[self.entity] if self.entity else [], departments=[self.department] if self.department else []
        )

    @property
    def is_default(self) -> bool:
        return self.day == timezone.localdate() and self.entity is None and self.department is None

    def query(self, **changes: Any) -> str:
        """The query string of this selection, with `changes` (None drops a parameter)."""
        params: dict[str, Any] = {
            "date": self.day.isoformat(),
            "entity": self.entity.code if self.entity else None,
            "department": self.department.pk if self.department else None,
        }
        params.update(changes)
        return urlencode({name: value for name, value in params.items() if value not in (None, "")})

    def describe(self) -> str:
        return gettext("%(scope)s on %(day)s") % {"scope": self.scope.describe(), "day": format_date(self.day)}


# --- the people to remind ------------------------------------------------------------------------------------


def _shown(value: Any) -> str:
    """A cell of a people list as the page shows it: a date as DD/MM/YYYY (the CSV writes its dialect's)."""
    if isinstance(value, dt.date):
        return format_date(value)
    return "" if value is None else value


def person_columns() -> list[tuple[str, Callable[[Employee], Any]]]:
    """The columns of the people lists and their CSV: (header, value of an employee of `kpis.not_trained`),
    dates as dates. Every text is translated now, not while the CSV streams (after the view has returned)."""
    yes, no = gettext("Yes"), gettext("No")
    return [
        (gettext("Employee ID"), lambda e: e.employee_id),
        (gettext("Last name"), lambda e: e.last_name),
        (gettext("First name"), lambda e: e.first_name),
        (gettext("Email"), lambda e: e.email),
        (gettext("Entity"), lambda e: e.entity.code),
        (gettext("Department"), lambda e: e.department.name if e.department_id else ""),
        (gettext("Manager"), lambda e: yes if e.is_manager else no),
        (gettext("Hired on"), lambda e: e.hired_on),
        (gettext("Last completion"), lambda e: e.last_completed_on),
    ]


@dataclass(frozen=True)
class PeopleList:
    """A list of employees of a module's page: its title, its people and its extra columns."""

    slug: str
    title: Any
    people: Callable[[Module, Selection], QuerySet[Employee]]
    #: Read what its list annotates its employees with (`kpis.not_trained`, `kpis.renewals_due`).
    extra_columns: tuple[tuple[Any, Callable[[Module, Any], Any]], ...] = ()
    renewable_only: bool = False
    #: Count the list with its page (COUNT(*) OVER ()): when its order is a computed value, the database
    #: reads every row of it to sort them anyway, and a separate COUNT would read them all again.
    counted_with_page: bool = False

    def columns(self, module: Module) -> list[tuple[str, Callable[[Employee], Any]]]:
        extra = [(str(label), (lambda e, value=value: value(module, e))) for label, value in self.extra_columns]
        return person_columns() + extra


PEOPLE_LISTS = {
    "not-trained": PeopleList(
        "not-trained",
        _("Not yet trained in %(module)s"),
        lambda module, selection: kpis.not_trained(module, selection.day, selection.scope),
    ),
    "renewals-due": PeopleList(
        "renewals-due",
        _("Renewal of %(module)s due within %(days)d days"),
        lambda module, selection: kpis.renewals_due(module, kpis.RENEWAL_HORIZON_DAYS, selection.day, selection.scope),
        extra_columns=((_("Counts until"), lambda module, e: kpis.valid_until(module, e.last_completed_on)),),
        renewable_only=True,
        counted_with_page=True,
    ),
}


def people_page(people: QuerySet[Employee], number: Any, *, counted_with_page: bool = False) -> Page:
    """The page `number` of a list of people (the last page past its end, the first on a wrong number), as
    `Paginator.get_page` gives it: a COUNT and the page's rows, or with `counted_with_page` one query
    whose rows carry the size of the whole list (then a COUNT only past the end)."""
    paginator = Paginator(people, PEOPLE_PER_PAGE)
    if not counted_with_page:
        return paginator.get_page(number)
    try:
        number = max(int(number), 1)
    except (TypeError, ValueError):
        number = 1
    counted = people.annotate(people_total=Window(Count("pk")))
    # No database offset goes past MAX_INTEGER: such a page is past the end (the last page, below).
    beyond = (number - 1) * PEOPLE_PER_PAGE > MAX_INTEGER - PEOPLE_PER_PAGE
    rows = [] if beyond else list(counted[(number - 1) * PEOPLE_PER_PAGE : number * PEOPLE_PER_PAGE])
    if rows:
        total = rows[0].people_total
    else:
        total = people.count()
        if total:  # past the end: the last page
            number = math.ceil(total / PEOPLE_PER_PAGE)
            rows = list(counted[(number - 1) * PEOPLE_PER_PAGE : number * PEOPLE_PER_PAGE])
        else:
            number = 1
    paginator.__dict__["count"] = total  # Paginator.count is a cached property: read, not queried again
    return Page(rows, number, paginator)


# --- the module ------------------------------------------------------------------------------------------------


class ModuleForm(forms.ModelForm):
    class Meta:
        model = Module
        fields = [*services.MODULE_FIELDS, *AUDIENCE_FIELDS]
        widgets = {"deployed_on": date_input()}

    def clean(self) -> dict[str, Any]:
        # The service's rule, before anything is saved, so the error lands on its field.
        super().clean()
        data = self.cleaned_data  # what ModelForm.clean returns (the stubs allow None, as for any form)
        if data.get("kind") == ModuleKind.E_LEARNING and data.get("min_attendance_minutes"):
            self.add_error(
                "min_attendance_minutes",
                gettext("An e-learning module has no attendance minimum (it has no sessions)."),
            )
        return data


@admin.register(Module)
class ModuleAdmin(ModuleAdminBase):
    form = ModuleForm
    list_display = ["code", "title", "kind", "mandatory", "audience_text", "deployed_on", "renewal", "current_rate"]
    list_display_links = ["code", "title"]
    list_filter = ["kind", "mandatory", "audience", "anti_corruption"]
    search_fields = ["code", "title"]
    ordering = ["code"]
    filter_horizontal = list(AUDIENCE_FIELDS)
    readonly_fields = ["is_reference"]
    change_form_template = "admin/training/module/change_form.html"
    fieldsets = [
        (None, {"fields": ["code", "title", "kind", "mandatory", "anti_corruption", "description", "is_reference"]}),
        (_("Audience"), {"fields": ["audience", *AUDIENCE_FIELDS]}),
        (
            _("Rules of the completion rate"),
            {
                "fields": [
                    "deployed_on",
                    "renewal_months",
                    "min_attendance_minutes",
                    "expected_minutes",
                ]
            },
        ),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Module]:
        # kpis.audience_q reads the audience of each module: prefetched, one query for the whole list.
        return super().get_queryset(request).prefetch_related(*AUDIENCE_FIELDS)

    def get_readonly_fields(self, request: HttpRequest, obj: Module | None = None) -> list[str]:
        # The indicators find a reference module by its code.
        if obj is not None and obj.is_reference:
            return ["code", *self.readonly_fields]
        return list(self.readonly_fields)

    # A reference module is behind a DPEF indicator: it is never deleted.
    def has_delete_permission(self, request: HttpRequest, obj: Module | None = None) -> bool:
        if obj is not None and obj.is_reference:
            return False
        return super().has_delete_permission(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Module]) -> None:
        # The "delete selected" confirmation already refuses them (has_delete_permission per object); kept
        # here too, so that no other path deletes one.
        super().delete_queryset(request, queryset.filter(is_reference=False))

    # -- columns -------------------------------------------------------------------------------------------
    @admin.display(description=_("audience"))
    def audience_text(self, obj: Module) -> str:
        return kpis.describe_audience(obj)

    @admin.display(description=_("renewal"), ordering="renewal_months")
    def renewal(self, obj: Module) -> str:
        if not obj.renewal_months:
            return "–"
        return ngettext("every %(months)d month", "every %(months)d months", obj.renewal_months) % {
            "months": obj.renewal_months
        }

    @admin.display(description=_("completion rate today"))
    def current_rate(self, obj: Module) -> str:
        """Today's (else the latest) whole-company rate stored by the nightly computation, read for the whole
        page in one query (`get_changelist`), with the day it is as of and the time it was computed."""
        stored: figures.Stored | None = getattr(obj, "stored_figures", None)
        if stored is None:
            return format_html('<span class="vigie-rate-missing">{}</span>', gettext("not computed yet"))
        rate = stored.rate
        title = gettext("As of %(day)s, computed on %(moment)s") % {
            "day": format_date(stored.day),
            "moment": format_datetime(stored.computed_at),
        }
        return format_html(
            '<span title="{}">{} <span class="vigie-rate-parts" style="color:#666">{}/{}</span>{}</span>',
            title,
            rate_badge(rate.value),
            rate.numerator,
            rate.denominator,
            "" if stored.day == timezone.localdate() else format_html(" <small>({})</small>", format_date(stored.day)),
        )

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> Any:
        base = super().get_changelist(request, **kwargs)

        class ModuleChangeList(base):  # type: ignore[valid-type,misc]
            def get_results(self, request: HttpRequest) -> None:
                super().get_results(request)
                stored = figures.latest_whole_company(self.result_list)
                for module in self.result_list:
                    module.stored_figures = stored.get(module.pk)

        return ModuleChangeList

    # -- writes through the services --------------------------------------------------------------------------
    def save_model(self, request: HttpRequest, obj: Module, form: forms.ModelForm, change: bool) -> None:
        data = form.cleaned_data
        if not change:
            values = {name: data[name] for name in services.MODULE_FIELDS if name in data}
            audience = {name: data[name] for name in AUDIENCE_FIELDS if name in data}
            adopt(obj, services.module_create(actor=request.user, **values, **audience))
            return
        changes = {
            name: data[name] for name in form.changed_data if name in (*services.MODULE_FIELDS, *AUDIENCE_FIELDS)
        }
        if changes:
            services.module_update(actor=request.user, module=obj, **changes)

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: Any, change: bool) -> None:
        # The service has set the audience; form.save_m2m() would set it again.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def _changeform_view(
        self, request: HttpRequest, object_id: str | None, form_url: str, extra_context: dict[str, Any] | None
    ) -> HttpResponse:
        # What the form cannot see (a code taken meanwhile...) comes back from the service as a message.
        try:
            # Django's private method (inside changeform_view's transaction), which the stubs leave out.
            return super()._changeform_view(request, object_id, form_url, extra_context)  # type: ignore[misc]
        except ValidationError as exc:
            self.message_user(request, error_text(exc, _MODULE_LABELS), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    # -- the dashboard of the change page -----------------------------------------------------------------
    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra_context = dict(extra_context or {})
        if request.method == "GET":
            obj = self.get_object(request, unquote(object_id))
            if obj is not None and self.has_view_or_change_permission(request, obj):
                extra_context.update(dashboard_context(obj, Selection.from_request(request)))
                extra_context["may_recompute"] = may_recompute(request.user)
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("<path:object_id>/figures/", view(self.recompute_view), name="training_module_recompute"),
            path("<path:object_id>/not-trained/", view(self.not_trained_view), name="training_module_not_trained"),
            path("<path:object_id>/renewals-due/", view(self.renewals_due_view), name="training_module_renewals_due"),
            *super().get_urls(),
        ]

    def recompute_view(self, request: HttpRequest, object_id: str) -> HttpResponseBase:
        """POST: compute the figures of the selection in the query string now, store them, and go back to
        the page. Who may ask: `may_recompute` (it writes only derived figures, training/figures.py)."""
        module = self.get_object(request, unquote(object_id))
        if module is None:
            raise Http404
        if not self.has_view_or_change_permission(request, module) or not may_recompute(request.user):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        selection = Selection.from_request(request)
        if selection.form.is_bound and selection.form.errors:
            # Never the whole company for today in place of a selection that was mistyped: said, not computed.
            errors = "; ".join(str(message) for messages in selection.form.errors.values() for message in messages)
            self.message_user(
                request, gettext("Nothing was recomputed: %(errors)s") % {"errors": errors}, messages.ERROR
            )
            return HttpResponseRedirect(
                f"{reverse('admin:training_module_change', args=[module.pk])}?{request.GET.urlencode()}"
            )
        figures.compute(module, selection.day, selection.entity, selection.department)
        self.message_user(
            request, gettext("The figures of %(selection)s were recomputed.") % {"selection": selection.describe()}
        )
        return HttpResponseRedirect(f"{reverse('admin:training_module_change', args=[module.pk])}?{selection.query()}")

    def not_trained_view(self, request: HttpRequest, object_id: str) -> HttpResponseBase:
        return self.people_view(request, object_id, PEOPLE_LISTS["not-trained"])

    def renewals_due_view(self, request: HttpRequest, object_id: str) -> HttpResponseBase:
        return self.people_view(request, object_id, PEOPLE_LISTS["renewals-due"])

    def people_view(self, request: HttpRequest, object_id: str, people_list: PeopleList) -> HttpResponseBase:
        """A list of employees of the module for a day and scope, paginated, or its CSV (?format=csv)."""
        module = self.get_object(request, unquote(object_id))
        if module is None or (people_list.renewable_only and not module.renewal_months):
            raise Http404
        if not self.has_view_or_change_permission(request, module):
            raise PermissionDenied
        selection = Selection.from_request(request)
        people = people_list.people(module, selection)
        columns = people_list.columns(module)
        if request.GET.get("format") == "csv":
            try:
                dialect = dialect_named(request.GET.get("dialect"))
            except UnknownCsvDialect as exc:
                messages.error(request, str(exc))
                return HttpResponseRedirect(request.path + "?" + selection.query())
            lines = ([value(e) for _label, value in columns] for e in people.iterator(chunk_size=2000))
            filename = f"{people_list.slug}-{module.code}-{selection.day.isoformat()}.csv"
            # Streamed (a large population does not sit in memory); names from the roster written as text.
            return csv_download(filename, [label for label, _value in columns], lines, dialect)
        page = people_page(people, request.GET.get("page"), counted_with_page=people_list.counted_with_page)
        can_see_employees = request.user.has_perm("organization.view_employee")
        rows = []
        for employee in page:
            cells = [_shown(value(employee)) for _label, value in columns]
            url = reverse("admin:organization_employee_change", args=[employee.pk]) if can_see_employees else ""
            rows.append((url, cells))
        title = str(people_list.title) % {"module": module.code, "days": kpis.RENEWAL_HORIZON_DAYS}
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": module,
            "title": title,
            "subtitle": selection.describe(),
            "scope_form": selection.form,
            "selection_query": selection.query(),
            "headers": [label for label, _value in columns],
            "rows": rows,
            "page": page,
            "count": page.paginator.count,
            "csv_url": "?" + selection.query(format="csv"),
            "csv_machine_url": "?" + selection.query(format="csv", dialect="machine"),
            "change_url": reverse("admin:training_module_change", args=[module.pk]) + "?" + selection.query(),
            "page_urls": {
                "previous": "?" + selection.query(page=page.previous_page_number()) if page.has_previous() else "",
                "next": "?" + selection.query(page=page.next_page_number()) if page.has_next() else "",
            },
        }
        return TemplateResponse(request, "admin/training/module/people.html", context)


_MODULE_LABELS = {
    field.name: field.verbose_name for field in Module._meta.get_fields() if hasattr(field, "verbose_name")
}

BREAKDOWN_TITLES = {
    "entity": _("By legal entity"),
    "department": _("By department"),
    "manager": _("Managers and non-managers"),
    "gender": _("By gender"),
}


def breakdown_tables(stored: figures.Stored, selection: Selection) -> list[dict[str, Any]]:
    """The stored rate per entity, department, manager / non-manager and gender; the entity and department
    rows link to the same page narrowed to that entity or department."""
    tables = []
    for by in kpis.BREAKDOWNS:
        rows = stored.breakdown(by)
        departments = {}
        if by == "department":
            names = [row.key for row in rows if row.key]
            departments = dict(Department.objects.filter(name__in=names).values_list("name", "pk"))
        table_rows = []
        for row in rows:
            link = ""
            if by == "entity" and row.key:
                link = "?" + selection.query(entity=row.key)
            elif by == "department" and row.key in departments:
                link = "?" + selection.query(department=departments[row.key])
            table_rows.append(
                {
                    "label": row.label,
                    "link": link,
                    "numerator": row.numerator,
                    "denominator": row.denominator,
                    "not_trained": row.denominator - row.numerator,
                    "badge": rate_badge(row.value),
                    "bar": float(row.value or 0),
                    "colour": rate_colour(row.value),
                }
            )
        tables.append({"by": by, "title": BREAKDOWN_TITLES[by], "rows": table_rows})
    return tables


def may_recompute(user: Any) -> bool:
    """Who may recompute a module's figures: who keeps the training records (change a module) or computes the
    yearly indicators (change a reporting year). Not a reader (an auditor writes nothing, not even figures)."""
    return bool(user.has_perm("training.change_module") or user.has_perm("reporting.change_reportingyear"))


def dashboard_context(module: Module, selection: Selection) -> dict[str, Any]:
    """Everything the module's page shows above its form, for the selected day and scope: the stored figures
    of that selection (for the default one, today's or else the latest whole-company ones) with the time
    they were computed, or a "not computed yet" panel; the renewals due, live."""
    day, scope = selection.day, selection.scope
    base = reverse("admin:training_module_change", args=[module.pk]).removesuffix("change/")
    stored = figures.stored(module, day, selection.entity, selection.department, latest=selection.is_default)
    context: dict[str, Any] = {
        "dashboard": True,
        "trend_months": TREND_MONTHS,
        "selection": selection,
        "scope_form": selection.form,
        "scope_text": selection.describe(),
        "recompute_url": f"{base}figures/?{selection.query()}",
        "stored": stored,
    }
    if stored is not None:
        rate = stored.rate
        trend = stored.trend(TREND_MONTHS)
        chart_title = gettext("Completion rate of %(module)s at the end of each month, %(scope)s") % {
            "module": module.code,
            "scope": scope.describe(),
        }
        as_of = Selection(selection.form, stored.day, selection.entity, selection.department)
        context.update(
            {
                "scope_text": as_of.describe(),
                "computed_at": format_datetime(stored.computed_at),
                "figures_day": format_date(stored.day),
                "figures_stale": stored.day != day,
                # Its rules (deployment, renewal, audience) changed since: the stored figures follow the old ones.
                "rules_changed": module.history.filter(history_date__gt=stored.computed_at).exists(),
                "rate": rate,
                "rate_badge": rate_badge(rate.value),
                "rate_text": percent_text(rate.value),
                "method": kpis.method_text(module, stored.day),
                "trend_chart": trend_svg(trend, title=chart_title),
                "trend_rows": [(point, percent_text(point.value), point_text(point)) for point in trend],
                "breakdowns": breakdown_tables(stored, as_of),
                "not_trained_url": f"{base}not-trained/?{as_of.query()}",
                "not_trained_csv_url": f"{base}not-trained/?{as_of.query(format='csv')}",
            }
        )
    if module.renewal_months:
        due = kpis.renewals_due(module, kpis.RENEWAL_HORIZON_DAYS, day, scope)
        # The first rows and the size of the whole list in one query (as the renewals page reads them).
        shown = list(due.annotate(people_total=Window(Count("pk")))[:RENEWALS_SHOWN])
        context.update(
            {
                "renewals_count": shown[0].people_total if shown else 0,
                "renewals": [(e, kpis.valid_until(module, e.last_completed_on)) for e in shown],
                "renewals_url": f"{base}renewals-due/?{selection.query()}",
                "renewals_csv_url": f"{base}renewals-due/?{selection.query(format='csv')}",
                "renewal_horizon": kpis.RENEWAL_HORIZON_DAYS,
            }
        )
    return context
