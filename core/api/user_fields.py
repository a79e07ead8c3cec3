"""The API's user fields: a user written by login must be one who may handle the record (the admin's chooser,
core/admin_choosers.py), and a user is also shown by name (`<field>_display`).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.admin_choosers import user_label, users_who_may_change


@extend_schema_field(OpenApiTypes.STR)  # a login, also on a serializer without a model (an action's input)
class EligibleUserField(serializers.SlugRelatedField):
    """A user given by login, refused (400) unless they may change `model`'s records. The record's current
    user stays accepted, as the admin keeps it offered: sending a record back as read never fails. The refusal
    is the same for a login that does not exist: it tells no more than the admin's chooser."""

    default_error_messages = {
        "does_not_exist": _("“{value}” is not one of the users who may handle this record."),
        "invalid": _("A login is expected."),
    }

    def __init__(self, model: type[Model], **kwargs: Any) -> None:
        self.record_model = model
        kwargs.setdefault("slug_field", "username")
        super().__init__(**kwargs)

    def get_queryset(self) -> QuerySet[Any]:
        users = users_who_may_change(self.record_model)
        instance = getattr(self.parent, "instance", None)
        current = getattr(instance, f"{self.source}_id", None) if isinstance(instance, Model) else None
        if current is not None:
            users = users.model._default_manager.filter(Q(pk__in=users.values("pk")) | Q(pk=current))
        return users


@extend_schema_field(OpenApiTypes.STR)
class UserNameField(serializers.Field):
    """A user as people name them ("Prénom Nom", the login when the user has no name); null for nobody.
    Read-only: give `source` the user field."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["read_only"] = True
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> str:
        return user_label(value)
