"""Serializer bases of the API of every app: DRF's, with date-times always written as RFC 3339 allows and
lists of related records that must be lists, and no NUL character in any field.

A to-many relation (`"persons_concerned": [...]`) takes any iterable in DRF, so a JSON object was read as the
list of its keys (`{}` as "nobody"); DRF's own ListField refuses objects, and so do these.

Europe/Paris kept its mean time (UTC+00:09:21) until 1911: DRF would write such an instant with a seconds
offset ("1900-01-01T10:00:00+00:09:21"), which no RFC 3339 / OpenAPI `date-time` parser accepts. Those are
written in UTC instead; every other instant keeps its Paris offset.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.validators import ProhibitNullCharactersValidator
from django.db import models
from rest_framework import ISO_8601, serializers
from rest_framework.relations import ManyRelatedField
from rest_framework.settings import api_settings


class DateTimeField(serializers.DateTimeField):
    def to_representation(self, value: Any) -> Any:
        output_format = getattr(self, "format", api_settings.DATETIME_FORMAT)
        if isinstance(value, dt.datetime) and value.tzinfo is not None and output_format == ISO_8601:
            offset = self.enforce_timezone(value).utcoffset()
            if offset is not None and offset.total_seconds() % 60:
                return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
        return super().to_representation(value)


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list | tuple):
        return any(_has_nul(item) for item in value)
    return False


class StrictListsMixin:
    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            # A NUL character refused on every field, as DRF's CharField does: a related record's reference
            # (SlugRelatedField) would otherwise reach the database, which PostgreSQL refuses with a 500.
            nul = {
                name: [ProhibitNullCharactersValidator.message]
                for name, field in self.fields.items()  # type: ignore[attr-defined]  # a mixin of Serializer
                if not field.read_only and _has_nul(data.get(name))
            }
            if nul:
                raise serializers.ValidationError(nul)
            errors = {
                name: [
                    ManyRelatedField.default_error_messages["not_a_list"].format(input_type=type(data[name]).__name__)
                ]
                for name, field in self.fields.items()  # type: ignore[attr-defined]  # a mixin of Serializer, which has `fields`
                if isinstance(field, ManyRelatedField) and not field.read_only and isinstance(data.get(name), Mapping)
            }
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)  # type: ignore[misc]  # a mixin of Serializer, which has it


class Serializer(StrictListsMixin, serializers.Serializer):
    pass


class ModelSerializer(StrictListsMixin, serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: DateTimeField,
    }
