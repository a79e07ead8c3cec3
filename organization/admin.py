"""Admin of the HR roster: entities, departments, employees (with history)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import Count, Max, Min, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.translation import gettext, gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from core.admin_choosers import user_label
from core.admin_utils import AdminMixinBase, AnonymisedMixin, CheckedListFilter, YearListFilter, badge
from core.dates import format_date
from core.paginator import BigListAdminMixin
from core.roles import ROLES

from .choices import ContactDomain
from .contacts import sources_of
from .models import Department, Employee, EntityContact, LegalEntity
from .querysets import present_on_q

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class PresentTodayMixin(AdminMixinBase):
    """A "present today" head-count column for admins of models that have `employees`.

    A subquery per row (`related`: the employee's field pointing at the row) that an index answers alone
    (employee_entity_presence_idx, employee_dept_presence_idx), not a join grouped over every employee: the list's count then
    reads this table only.
    """

    related = ""

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        today = timezone.localdate()
        present = (
            Employee.objects.filter(present_on_q(today), **{self.related: OuterRef("pk")})
            .order_by()
            .values(self.related)
            .annotate(n=Count("*"))  # COUNT(*): the index holds every column read
            .values("n")
        )
        return super().get_queryset(request).annotate(_present=Coalesce(Subquery(present), 0))

    @admin.display(description=_("present today"), ordering="_present")
    def present_today(self, obj: LegalEntity | Department) -> int:
        return obj._present  # type: ignore[union-attr]  # annotated by get_queryset()


class ContactUserField(forms.ModelChoiceField):
    """A person by name ("Prénom Nom", the login when the user has no name)."""

    def label_from_instance(self, obj: Any) -> str:
        return user_label(obj)


class EntityContactInline(admin.TabularInline):
    """The entity's DPO(s), compliance officer(s) and training manager(s): who receives the alerts of its
    records (notifications). Only superusers add, change or remove them (core/roles.py SUPERUSERS_WRITE);
    every change leaves a history row (the model's history, with who made it)."""

    model = EntityContact
    fields = ["domain", "user"]
    extra = 0
    verbose_name = _("contact")
    verbose_name_plural = _("contacts of the entity (DPO, compliance officer, training manager)")

    def get_queryset(self, request: HttpRequest) -> QuerySet[EntityContact]:
        return super().get_queryset(request).select_related("user")

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "user":
            # The active staff users who hold a role (or superusers): a contact receives the domain's alerts, so
            # EntityContact.clean() requires the domain's role; and whoever is already a contact somewhere (kept:
            # saving the entity never silently drops a contact who left); one query for the whole formset.
            users = get_user_model()._default_manager
            named = EntityContact.objects.values("user_id")
            with_role = Q(is_superuser=True) | Q(groups__name__in=[role.name for role in ROLES])
            kwargs["queryset"] = (
                users.filter((Q(is_active=True, is_staff=True) & with_role) | Q(pk__in=named))
                .distinct()
                .order_by("last_name", "first_name", "username")
            )
            kwargs["form_class"] = ContactUserField
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def inherited_contacts(entity: LegalEntity) -> list[tuple[str, list[Any], LegalEntity | None]]:
    """For each domain the entity's own contacts do not answer for (it names nobody, or only people who left
    or have no email): (domain label, the people of the nearest parent entity that names some, that parent),
    or (label, [], None) when no entity above names anyone. The rule the sweep follows
    (organization/contacts.py), so the page says who the alerts go to."""
    sources = sources_of(entity)
    inherited = {domain: found for domain, found in sources.items() if found[0] != entity.pk}
    user_ids = {contact.user_id for _source, contacts in inherited.values() for contact in contacts}
    users = get_user_model()._default_manager.in_bulk(user_ids)
    entities = LegalEntity.objects.in_bulk({source for source, _contacts in inherited.values() if source is not None})
    result: list[tuple[str, list[Any], LegalEntity | None]] = []
    for domain in ContactDomain:
        if domain.value not in inherited:
            continue
        source, contacts = inherited[domain.value]
        people = [users[c.user_id] for c in contacts if c.user_id in users]
        result.append((str(domain.label), people, entities.get(source) if source is not None else None))
    return result


@admin.register(LegalEntity)
class LegalEntityAdmin(PresentTodayMixin, SimpleHistoryAdmin):
    related = "entity"
    list_display = ["code", "name", "parent", "present_today"]
    list_select_related = ["parent"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent"]
    fields = ["code", "name", "parent", "inherited"]
    readonly_fields = ["inherited"]
    inlines = [EntityContactInline]

    @admin.display(description=_("contacts inherited"))
    def inherited(self, obj: LegalEntity) -> str:
        """The contacts of a parent entity that answer for this one where it names nobody itself."""
        if obj.pk is None:
            return "–"
        lines = []
        for label, users, parent in inherited_contacts(obj):
            if parent is None:
                text = gettext("%(domain)s: nobody named, here or in a parent entity") % {"domain": label}
            else:
                text = gettext("%(domain)s: %(people)s (inherited from %(entity)s)") % {
                    "domain": label,
                    "people": ", ".join(user_label(user) for user in users),
                    "entity": parent,
                }
            lines.append((text,))
        if not lines:
            return gettext("none: the entity names its own contact for every domain")
        return format_html_join("", "<p>{}</p>", lines)


@admin.register(Department)
class DepartmentAdmin(PresentTodayMixin, SimpleHistoryAdmin):
    related = "department"
    list_display = ["name", "present_today", "function_at_risk"]
    list_filter = ["function_at_risk"]
    search_fields = ["name"]


class PresenceFilter(CheckedListFilter):
    """Present today, gone, or not yet arrived: what HR and the training managers ask first."""

    title = _("presence today")
    parameter_name = "presence"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, StrOrPromise]]:
        return [("present", _("Present")), ("left", _("Left")), ("future", _("Not yet arrived"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Employee]) -> QuerySet[Employee]:
        today = timezone.localdate()
        if self.cleaned == "present":
            return queryset.present_on(today)  # type: ignore[attr-defined]  # an EmployeeQuerySet
        if self.cleaned == "left":
            return queryset.filter(left_on__lt=today)
        if self.cleaned == "future":
            return queryset.filter(hired_on__gt=today)
        return queryset


class PresentOnFilter(YearListFilter):
    """Present at the end of a fiscal year: the head-count behind the yearly indicators."""

    title = _("present on 31 December of")
    parameter_name = "present_at_year_end"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        this_year = timezone.localdate().year
        return [(str(y), str(y)) for y in range(this_year, this_year - 6, -1)]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Employee]) -> QuerySet[Employee]:
        if self.cleaned is None:
            return queryset
        return queryset.present_on(dt.date(self.cleaned, 12, 31))  # type: ignore[attr-defined]  # an EmployeeQuerySet


class HiredYearFilter(YearListFilter):
    """The year of hiring, offered from the last hiring back to the first (MIN and MAX read from an index):
    what the date hierarchy offered, without its DISTINCT over every employee on every page."""

    title = _("year hired")
    parameter_name = "hired_on__year"  # the date hierarchy's parameter: its links keep working

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        bounds = Employee.objects.aggregate(first=Min("hired_on"), last=Max("hired_on"))
        if bounds["first"] is None:
            return []
        return [(str(y), str(y)) for y in range(bounds["last"].year, bounds["first"].year - 1, -1)]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Employee]) -> QuerySet[Employee]:
        return queryset if self.cleaned is None else queryset.filter(hired_on__year=self.cleaned)


@admin.register(Employee)
class EmployeeAdmin(BigListAdminMixin, AnonymisedMixin, SimpleHistoryAdmin):
    list_display = [
        "employee_id",
        "last_name",
        "first_name",
        "entity",
        "department",  # what fits a 1366 px screen: the hiring date is on the employee's page
        "left_on",
        "is_manager",
        "presence",
    ]
    list_filter = [
        PresenceFilter,
        PresentOnFilter,
        HiredYearFilter,
        "entity",
        "department",
        "is_manager",
        "is_executive",
        "gender",
        "function_at_risk",
        "department__function_at_risk",
    ]
    list_select_related = ["entity", "department"]
    search_fields = ["employee_id", "last_name", "first_name", "email"]
    autocomplete_fields = ["entity", "department"]
    list_per_page = 50
    fieldsets = [
        (None, {"fields": ["employee_id", ("last_name", "first_name"), "email", "gender"]}),
        (_("Position"), {"fields": ["entity", "department", ("is_manager", "is_executive"), "function_at_risk"]}),
        (_("Contract"), {"fields": [("hired_on", "left_on")]}),
    ]

    # ?coi_cases=… (the cases concerning an employee) is refused to who may not view the cases by the admin
    # site itself, for every relation of every admin (core/admin_lookups.py VisibleLookupsMixin).
    @admin.display(description=_("presence today"))
    def presence(self, obj: Employee) -> str:
        today = timezone.localdate()
        if obj.hired_on > today:
            return badge(_("arrives %(date)s") % {"date": format_date(obj.hired_on)}, "grey")
        if obj.left_on is not None and obj.left_on < today:
            return badge(_("left"), "grey")
        return badge(_("present"), "green")
