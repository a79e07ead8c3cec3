"""Filters shared by the API of every app: bounded years and booleans that refuse what they don't know."""
from __future__ import annotations

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MIN_YEAR, MAX_YEAR = 1900, 2199


class YearFilter(django_filters.NumberFilter):
    """A calendar year; anything outside 1900-2199 is a 400, not a date overflow deep in a query."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003 - django-filter's signature
        kwargs.setdefault("min_value", MIN_YEAR)
        kwargs.setdefault("max_value", MAX_YEAR)
        super().__init__(*args, **kwargs)


class StrictNullBooleanField(forms.NullBooleanField):
    # The default select widget turns any unknown value into "unknown" before the field sees it.
    widget = forms.TextInput
    TRUE, FALSE = {"true", "1", "yes", "oui"}, {"false", "0", "no", "non"}

    def to_python(self, value: object) -> bool | None:
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
