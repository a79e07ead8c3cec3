"""Filters shared by the API of every app: bounded years, whole numbers and booleans that refuse what they
don't know, and the FilterSet base (and filter backend) that uses them for the fields a view lists.

django-filter's defaults accept garbage silently: `?dry_run=maybe` reads as "any", `?version=1.5` as a
decimal compared with an integer column, `?map=999` (no such map) as a 400 "select a valid choice". Here
a boolean is true/false (or 1/0, yes/no, oui/non), a number of an integer column is a whole number, and a
foreign key is filtered by its id (an unknown id matches nothing).
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_filters.filterset import FILTER_FOR_DBFIELD_DEFAULTS
from django_filters.rest_framework import DjangoFilterBackend

# Beyond these bounds, a 400 rather than a date or integer overflow deep in a query.
from core.bounds import MAX_INTEGER, MAX_YEAR, MIN_INTEGER, MIN_YEAR
from core.confidential import hidden_field


class IntegerFilter(django_filters.NumberFilter):
    """A whole number (`?version=1.5` is a 400), within a 64-bit integer unless `min_value`/`max_value` say
    narrower; the bounds appear in the schema."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("min_value", MIN_INTEGER)
        kwargs.setdefault("max_value", MAX_INTEGER)
        super().__init__(*args, **kwargs)


class YearFilter(IntegerFilter):
    """A calendar year; anything outside 1900-2199 is a 400, not a date overflow deep in a query."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("min_value", MIN_YEAR)
        kwargs.setdefault("max_value", MAX_YEAR)
        super().__init__(*args, **kwargs)


class StrictNullBooleanField(forms.NullBooleanField):
    # The default select widget turns any unknown value into "unknown" before the field sees it.
    widget = forms.TextInput
    TRUE, FALSE = {"true", "1", "yes", "oui"}, {"false", "0", "no", "non"}

    # NullBooleanField answers None too; the stubs declare BooleanField.to_python as bool only.
    def to_python(self, value: object) -> bool | None:  # type: ignore[override]
        if value in (None, ""):
            return None
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise ValidationError(_("'%(value)s' is not true or false."), code="invalid", params={"value": value})

    def validate(self, value: object) -> None:
        pass


class StrictBooleanFilter(django_filters.BooleanFilter):
    """`?overdue=maybe` is a 400 instead of silently returning everything."""

    field_class = StrictNullBooleanField


_INTEGER_COLUMNS = (
    models.AutoField,
    models.BigAutoField,
    models.SmallAutoField,
    models.IntegerField,
    models.BigIntegerField,
    models.SmallIntegerField,
    models.PositiveIntegerField,
    models.PositiveBigIntegerField,
    models.PositiveSmallIntegerField,
)


class FilterSet(django_filters.FilterSet):
    """The base of every API filterset: the filters made for `Meta.fields` (and a view's `filterset_fields`)
    are strict booleans, whole numbers, and foreign keys by id."""

    FILTER_DEFAULTS = {
        **FILTER_FOR_DBFIELD_DEFAULTS,
        models.BooleanField: {"filter_class": StrictBooleanFilter},
        **{column: {"filter_class": IntegerFilter} for column in _INTEGER_COLUMNS},
        models.ForeignKey: {"filter_class": IntegerFilter},
        models.OneToOneField: {"filter_class": IntegerFilter},
    }


class FilterBackend(DjangoFilterBackend):
    """DRF's django-filter backend, with `FilterSet` above as the base of the filtersets it makes. A filter
    on a field the user may not read (core/confidential.py) is left out for them: its parameter is ignored,
    as any parameter a view does not know (filtering by it would tell the value)."""

    filterset_base = FilterSet

    def get_filterset(self, request: Any, queryset: models.QuerySet, view: Any) -> Any:
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None:
            for name, declared in list(filterset.filters.items()):
                if not declared.method and hidden_field(request.user, queryset.model, declared.field_name):
                    del filterset.filters[name]
        return filterset
