"""Serializer fields shared by the AML/CFT API."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from organization.models import LegalEntity


class EntityCodeField(serializers.SlugRelatedField):
    """The legal entity by its code. The entity FKs of AML records have no database constraint (deleting an entity
    must not reveal AML records), so an entity deleted since reads as null instead of failing."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("slug_field", "code")
        kwargs.setdefault("allow_null", True)
        if not kwargs.get("read_only"):
            kwargs.setdefault("queryset", LegalEntity.objects.all())
        super().__init__(**kwargs)

    def get_attribute(self, instance: Any) -> Any:
        try:
            return instance.entity
        except LegalEntity.DoesNotExist:
            return None

    def to_representation(self, value: Any) -> Any:
        return None if value is None else super().to_representation(value)
