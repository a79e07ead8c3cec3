"""What a user may ask of an admin list through its URL, for every admin of the site (core/admin_site.py
wraps each one): lookups, search fields, sortable columns and sidebar filters, and the values they take.

- A lookup, a search field, a sorted column or a sidebar filter that goes through a model the user may not
  view (`?coi_cases__isnull=False` on employees), or reaches a field they may not read
  (`?reporter_employee_id=12` on cases, core/confidential.py), is not offered, and a lookup is refused:
  its answer would tell what the user may not see.
- A regular expression (`__regex`, `__iregex`) is refused to everyone: a pattern the database cannot read
  was a server error, and no page of Vigie links to one.
- A value the database cannot take is Django's "wrong lookup parameters" (the list again without its
  filters, `?e=1`), never a server error: the query a list runs is compiled before it runs, so a year
  outside what dates hold, a date out of range once in UTC, an integer beyond 64 bits (SQLite's driver
  overflows on it) or a NUL character (PostgreSQL refuses it in text) is refused on every database alike.
  The date hierarchy's year, month and day are checked before Django adds a year or a month to them.
"""

from __future__ import annotations

import functools
from typing import Any

from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import EmptyResultSet, FieldDoesNotExist, FullResultSet
from django.db.models import Model, QuerySet
from django.db.models.constants import LOOKUP_SEP
from django.http import HttpRequest

from .admin_utils import AdminMixinBase
from .bounds import MAX_INTEGER, MAX_YEAR, MIN_INTEGER, MIN_YEAR, whole_number
from .confidential import hidden_field, lookup_fields, ordering_lookup
from .roles import can_view

#: Refused to everyone in an admin URL.
REFUSED_LOOKUPS = frozenset({"regex", "iregex"})
#: The date hierarchy's parameters, with their bounds.
_HIERARCHY = {"year": (MIN_YEAR, MAX_YEAR), "month": (1, 12), "day": (1, 31)}


def crossed_models(model: type[Model], lookup: str) -> list[type[Model]]:
    """The models a list lookup (`persons_concerned__last_name`, `coi_cases__isnull`) goes through."""
    return [
        field.related_model
        for _holder, field in lookup_fields(model, lookup)
        if field.is_relation and field.related_model is not None
    ]


def hidden_lookup(user: Any, model: type[Model], lookup: str) -> bool:
    """Whether `lookup` (from `model`) would tell `user` about records or fields they may not see."""
    return (
        any(not can_view(user, crossed) for crossed in crossed_models(model, lookup))
        or hidden_field(user, model, lookup) is not None
    )


def column_ordering(model_admin: Any, column: Any) -> Any:
    """What a list column sorts by (ChangeList.get_ordering_field, without a ChangeList)."""
    try:
        return model_admin.model._meta.get_field(column).name
    except (FieldDoesNotExist, TypeError):
        pass
    attr = column if callable(column) else getattr(model_admin, column, getattr(model_admin.model, column, None))
    if isinstance(attr, property):
        attr = attr.fget
    order = getattr(attr, "admin_order_field", None)
    if order is None and isinstance(column, str) and LOOKUP_SEP in column:
        return column
    return order


def check_runnable(queryset: QuerySet) -> None:
    """Compile the list's query and refuse, as a wrong lookup parameter, what no database should be sent."""
    try:
        # On a copy: compiling sets up aliases on the query, which the list then runs as it is.
        _sql, params = queryset.query.chain().get_compiler(using=queryset.db).as_sql()
    except (EmptyResultSet, FullResultSet):
        return
    except (ValueError, ArithmeticError, LookupError) as exc:  # a year 0, a date before year 1 in UTC...
        raise IncorrectLookupParameters(exc) from exc
    for param in params:
        if isinstance(param, int) and not isinstance(param, bool) and not MIN_INTEGER <= param <= MAX_INTEGER:
            raise IncorrectLookupParameters(f"{param} is beyond a 64-bit integer")
        if isinstance(param, str) and "\x00" in param:
            raise IncorrectLookupParameters("a NUL character in a value")


class CheckedChangeList(ChangeList):
    """Django's change list, with the checks of this module's docstring; `sortable_by` is enforced (Django
    only uses it to draw the headers: `?o=<column>` sorted by any column)."""

    def get_filters(self, request: HttpRequest) -> Any:
        if self.date_hierarchy:
            params = self.get_filters_params()
            for part, (low, high) in _HIERARCHY.items():
                for value in params.get(f"{self.date_hierarchy}__{part}", ()):
                    try:
                        whole_number(value, minimum=low, maximum=high)
                    except ValueError as exc:
                        raise IncorrectLookupParameters(exc) from exc
        return super().get_filters(request)

    def get_queryset(self, request: HttpRequest, exclude_parameters: Any = None) -> QuerySet:
        queryset = super().get_queryset(request, exclude_parameters)
        check_runnable(queryset)
        return queryset

    def get_ordering_field(self, field_name: Any) -> Any:
        if self.sortable_by is not None and field_name not in self.sortable_by:
            return None
        return super().get_ordering_field(field_name)


@functools.cache
def checked_changelist(base: type[ChangeList]) -> type[ChangeList]:
    """`base` (an admin's ChangeList class) with the checks of CheckedChangeList."""
    if issubclass(base, CheckedChangeList):
        return base
    return type(f"Checked{base.__name__}", (CheckedChangeList, base), {"__module__": __name__})


class VisibleLookupsMixin(AdminMixinBase):
    """Mixed into every admin of the site (core/admin_site.py): the lookups, search fields, sortable columns
    and sidebar filters of this module's docstring."""

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest) -> bool:
        if REFUSED_LOOKUPS.intersection(lookup.split(LOOKUP_SEP)):
            return False
        if hidden_lookup(request.user, self.model, lookup):
            return False
        return super().lookup_allowed(lookup, value, request)

    def get_search_fields(self, request: HttpRequest) -> list:
        return [
            name
            for name in super().get_search_fields(request)
            if not hidden_lookup(request.user, self.model, name.lstrip("^=@"))
        ]

    def get_list_filter(self, request: HttpRequest) -> list:
        kept = []
        for item in super().get_list_filter(request):
            path = item[0] if isinstance(item, (list, tuple)) else item
            if isinstance(path, str) and hidden_lookup(request.user, self.model, path):
                continue
            kept.append(item)
        return kept

    def get_sortable_by(self, request: HttpRequest) -> list:
        kept = []
        for column in super().get_sortable_by(request):
            lookup = ordering_lookup(column_ordering(self, column))
            if lookup is not None and hidden_lookup(request.user, self.model, lookup):
                continue
            kept.append(column)
        return kept

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return checked_changelist(super().get_changelist(request, **kwargs))  # type: ignore[arg-type]  # a class is hashable
