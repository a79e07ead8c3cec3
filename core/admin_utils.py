"""Small helpers shared by the admins of every app: badges for due dates and states, list filters,
read-only inlines and the date widgets of small forms.

Every list filter of the project derives from `CheckedListFilter`: its value is checked before any query
(one of its options, a year, a record's id), and a value it does not know is Django's "wrong lookup
parameters" (the list again, without its filters: `?e=1`), never a server error."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _, gettext_lazy, ngettext

from .bounds import MAX_INTEGER, MAX_YEAR, MIN_YEAR, whole_number

if TYPE_CHECKING:
    # What the admin mixins are mixed into: the type checker reads a mixin as a ModelAdmin.
    AdminMixinBase = admin.ModelAdmin[Any]
else:
    AdminMixinBase = object

COLOURS = {
    "green": ("#e6f4ea", "#1e6b34"),
    "amber": ("#fff4e0", "#8a5300"),
    "red": ("#fde8e8", "#a61b1b"),
    "grey": ("#eeeeee", "#555555"),
}


def badge(text: object, colour: str) -> str:
    """A coloured pill: the colour carries the urgency, the text says it for those who cannot see it."""
    background, foreground = COLOURS[colour]
    return format_html(
        '<span class="vigie-badge vigie-badge-{}" style="background:{};color:{};padding:1px 8px;'
        'border-radius:9px;white-space:nowrap;font-weight:600">{}</span>',
        colour,
        background,
        foreground,
        text,
    )


def due_badge(due: dt.date | dt.datetime | None, *, done: bool = False, now: dt.datetime | None = None) -> str:
    """Days (or hours, for a datetime) left before `due`: green; amber within 7 days (24 hours);
    red when overdue. Grey when the item is done or has no date (e.g. a pause is open)."""
    if due is None:
        return badge(_("suspended"), "grey")
    if done:
        return badge(_("done"), "grey")
    now = now or timezone.now()
    if isinstance(due, dt.datetime):
        hours = (due - now).total_seconds() / 3600
        if hours < 0:
            return badge(_("overdue by %(hours)d h") % {"hours": int(-hours) + 1}, "red")
        return badge(_("%(hours)d h left") % {"hours": int(hours)}, "amber" if hours <= 24 else "green")
    days = (due - timezone.localtime(now).date()).days
    if days < 0:
        return badge(ngettext("overdue by %(days)d day", "overdue by %(days)d days", -days) % {"days": -days}, "red")
    if days == 0:
        return badge(_("due today"), "red")
    text = ngettext("%(days)d day left", "%(days)d days left", days) % {"days": days}
    return badge(text, "amber" if days <= 7 else "green")


class CheckedListFilter(admin.SimpleListFilter):
    """A SimpleListFilter whose value is read once, by `clean`, before the list is queried; `queryset`
    uses `self.cleaned` (None: no value, or an empty one). Raising ValueError or OverflowError in `clean`
    makes the value a wrong lookup parameter (IncorrectLookupParameters: the admin answers the list
    without its filters, `?e=1`).

    By default the value must be one of the options `lookups` offers: a value nobody offered is not
    silently read as "all" (the page would show a filter as applied that is not)."""

    def __init__(self, request: HttpRequest, params: dict, model: Any, model_admin: admin.ModelAdmin) -> None:
        super().__init__(request, params, model, model_admin)
        raw = self.value()
        self.cleaned: Any = None
        if raw:
            try:
                self.cleaned = self.clean(raw)
            except (ValueError, OverflowError) as exc:
                raise IncorrectLookupParameters(f"{self.parameter_name}: {exc}") from exc

    def clean(self, value: str) -> Any:
        if value not in {str(option) for option, _label in self.lookup_choices}:
            raise ValueError(f"{value!r} is not one of the options")
        return value


class DueDateFilter(CheckedListFilter):
    """Overdue / due within 7 days / due within 30 days, on a date column of open items.

    Subclasses set `field` (the deadline column) and `open_lookup` (a dict of filter kwargs that
    selects open items; e.g. {"status__in": OPEN}); `title` and `parameter_name` may stay.
    """

    title = gettext_lazy("deadline")
    parameter_name = "due"
    field = "due_on"
    open_lookup: dict = {}

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("overdue", _("Overdue")), ("week", _("Due within 7 days")), ("month", _("Due within 30 days"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        today = timezone.localdate()
        horizon = {"overdue": -1, "week": 7, "month": 30}.get(self.cleaned or "")
        if horizon is None:
            return queryset
        queryset = queryset.filter(**self.open_lookup)
        if horizon < 0:
            return queryset.filter(**{f"{self.field}__lt": today})
        return queryset.filter(**{f"{self.field}__lte": today + dt.timedelta(days=horizon)})


class AssignedFilter(CheckedListFilter):
    """Who is in charge: the signed-in user ("me"), or nobody. The home page links here (reporting/home.py:
    "assigned to me", "nobody in charge"); a lookup through the user column (`?handler__id__exact=`) would be
    refused to whoever may not view the users (core/admin_lookups.py). Made by `assigned_filter`."""

    title = gettext_lazy("in charge")
    parameter_name = "assigned"
    #: The user column; `nobody` adds what else must be empty for nobody to be in charge (a free-text name).
    field = "handler"
    nobody: dict[str, Any] = {}

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, Any]]:
        return [("me", _("Me")), ("nobody", _("Nobody"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.cleaned == "me":
            return queryset.filter(**{f"{self.field}_id": request.user.pk})
        if self.cleaned == "nobody":
            return queryset.filter(**{f"{self.field}__isnull": True}, **self.nobody)
        return queryset


def assigned_filter(field: str, **nobody: Any) -> type[AssignedFilter]:
    """An AssignedFilter on the user column `field` (`nobody`: the other columns empty when nobody is in charge)."""
    return type("AssignedFilter", (AssignedFilter,), {"field": field, "nobody": nobody, "__module__": __name__})


class YearListFilter(CheckedListFilter):
    """A filter whose value is a calendar year: offered or not, any year from 1900 to 2199 (core.bounds);
    `self.cleaned` is the int. Subclasses set `lookups` and `queryset`."""

    def clean(self, value: str) -> int:
        return whole_number(value, minimum=MIN_YEAR, maximum=MAX_YEAR)


class RecordListFilter(CheckedListFilter):
    """A filter whose value is a record's id, offered or not (a record not offered matches nothing);
    `self.cleaned` is the int. Subclasses set `lookups` and `queryset`."""

    def clean(self, value: str) -> int:
        return whole_number(value, minimum=1, maximum=MAX_INTEGER)


class YearFilter(YearListFilter):
    """The fiscal year of a date or datetime column (Europe/Paris), last six years offered."""

    title = gettext_lazy("year")
    parameter_name = "year"
    field = "received_on"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        this_year = timezone.localdate().year
        return [(str(y), str(y)) for y in range(this_year, this_year - 6, -1)]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.cleaned is None:
            return queryset
        return queryset.filter(**{f"{self.field}__year": self.cleaned})


class QuerySetMethodFilter(CheckedListFilter):
    """A list filter whose options each call a method of the model's queryset (querysets.py holds the
    filters, shared with the API and the tasks). Subclasses set `options`: value -> (label, method name).
    """

    options: dict[str, tuple[Any, str]] = {}

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, Any]]:
        return [(value, label) for value, (label, _method) in self.options.items()]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        option = self.options.get(self.cleaned or "")
        return getattr(queryset, option[1])() if option else queryset


class ReadOnlyTabularInline(admin.TabularInline):
    """Rows kept as evidence with their parent and written only by its services: shown, never added,
    changed or deleted here. Subclasses set `model`, `fields` and `readonly_fields`."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def date_input() -> forms.DateInput:
    """The browser's date picker, for the small forms of actions and transitions."""
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def datetime_input() -> forms.DateTimeInput:
    """The browser's date-and-time picker; Django reads the value in the current time zone (Paris)."""
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class AnonymisedMixin(AdminMixinBase):
    """For the admins of records the retention task anonymises (core/retention.py): an "anonymised" list
    filter, and the date it happened on the change page of an anonymised record."""

    def get_list_filter(self, request: HttpRequest) -> list:
        return [*super().get_list_filter(request), ("anonymised_on", admin.EmptyFieldListFilter)]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list:
        return [*super().get_readonly_fields(request, obj), "anonymised_on"]

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> list:
        return self.with_retention(obj, super().get_fieldsets(request, obj))

    @staticmethod
    def with_retention(obj: Any, fieldsets: Any) -> list:
        """`fieldsets`, plus the anonymisation date when `obj` was anonymised (for an admin whose own
        get_fieldsets comes before this mixin's)."""
        fieldsets = list(fieldsets)
        if obj is not None and getattr(obj, "anonymised_on", None):
            fieldsets.append((gettext_lazy("Personal-data retention"), {"fields": ["anonymised_on"]}))
        return fieldsets
