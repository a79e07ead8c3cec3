"""API fields and filters for the records that belong to a legal entity (named by its code)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ..models import LegalEntity


class EntityCodeField(serializers.SlugRelatedField):
    """A legal entity by its code, read and written (`entity_code = EntityCodeField(source="entity")` on a
    record's serializer); omitted or null on a write, the services give the parent company. An unknown code
    is a 400 naming it."""

    default_error_messages = {
        **serializers.SlugRelatedField.default_error_messages,
        "does_not_exist": _("Unknown legal entity code '{value}'."),
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", LegalEntity.objects.all())
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault(
            "help_text", "Code of the legal entity that is the controller; the parent company when not given."
        )
        super().__init__(slug_field="code", **kwargs)


class EntityCodeFilter(django_filters.ModelChoiceFilter):
    """`?entity=<code>`: the records of one legal entity (exact code); an unknown code is a 400 naming
    `entity`, as on a write (the entities are no secret: every role may list them)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("field_name", "entity")
        kwargs.setdefault("to_field_name", "code")
        kwargs.setdefault("queryset", LegalEntity.objects.all())
        kwargs.setdefault("label", "Legal entity (code)")
        kwargs.setdefault("error_messages", {"invalid_choice": _("Unknown legal entity code '%(value)s'.")})
        super().__init__(**kwargs)


def entity_code_filter() -> EntityCodeFilter:
    """`?entity=<code>`: the records of one legal entity (exact code); an unknown code is a 400."""
    return EntityCodeFilter()
