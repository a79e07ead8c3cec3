"""Fields that only some roles may read, declared once on their model, and the lookups that reach them.

A model lists its confidential fields, with the roles that may read them, in a `confidential_fields`
class attribute:

    class ConflictOfInterestCase(models.Model):
        confidential_fields = ConfidentialFields(("reporter_employee", "reporter_name"), readers=(COMPLIANCE_OFFICER,))

Reading a field includes learning anything about its value: who may not read it may not filter a list by
it (`?reporter_employee_id=12` answering "1 result" names the reporter), search it, nor sort by it (the
order of the rows tells the values apart). core/admin_site.py applies this to every admin, the API's
filter backend (core/api/filters.py) to every filterset; both resolve each part of a lookup to its field
(`reporter_employee_id` is the field `reporter_employee`), through relations (`coi_cases__reporter_name`
from an employee). Superusers read everything.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db.models import F, Field, Model
from django.db.models.constants import LOOKUP_SEP
from django.db.models.expressions import OrderBy
from django.db.models.fields.reverse_related import ForeignObjectRel


@dataclass(frozen=True)
class ConfidentialFields:
    #: Names of the model's fields (not attnames: `reporter_employee`, not `reporter_employee_id`).
    fields: tuple[str, ...]
    #: The roles (core.roles group names) that read them; superusers always do.
    readers: tuple[str, ...]

    def readable_by(self, user: Any) -> bool:
        if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", True):
            return False
        if user.is_superuser:
            return True
        return bool(set(self.readers) & group_names(user))


def group_names(user: Any) -> frozenset[str]:
    """The names of `user`'s groups, read once per user object (a request's user)."""
    names = getattr(user, "_vigie_group_names", None)
    if names is None:
        names = frozenset(user.groups.values_list("name", flat=True))
        user._vigie_group_names = names
    return names


def confidential_fields(model: type[Model]) -> ConfidentialFields | None:
    """The declaration of `model`, or of the model a django-simple-history table keeps the versions of
    (a version holds the same values)."""
    declared = getattr(model, "confidential_fields", None)
    if declared is None:
        declared = getattr(getattr(model, "instance_type", None), "confidential_fields", None)
    return declared if isinstance(declared, ConfidentialFields) else None


def declarations() -> list[tuple[type[Model], ConfidentialFields]]:
    """Every installed model that declares confidential fields (historical tables left out)."""
    return [
        (model, declared)
        for model in apps.get_models()
        if isinstance(declared := getattr(model, "confidential_fields", None), ConfidentialFields)
        and not hasattr(model, "instance_type")
    ]


def lookup_fields(model: type[Model], lookup: str) -> Iterator[tuple[type[Model], Field | ForeignObjectRel]]:
    """Each field a lookup (`coi_cases__reporter_name__istartswith`, `reporter_employee_id__in`) goes
    through, with the model that holds it; stops at the first part that is not a field (a transform or a
    comparison). `get_field` knows the column names (`reporter_employee_id`), as the ORM does."""
    for part in lookup.split(LOOKUP_SEP):
        try:
            field = model._meta.pk if part == "pk" else model._meta.get_field(part)
        except FieldDoesNotExist:
            return
        yield model, field
        if not field.is_relation or field.related_model is None:
            return
        model = field.related_model


def hidden_field(user: Any, model: type[Model], lookup: str) -> Field | ForeignObjectRel | None:
    """The first confidential field `user` may not read that `lookup` (from `model`) reaches, if any."""
    for holder, field in lookup_fields(model, lookup):
        declared = confidential_fields(holder)
        if declared is not None and field.name in declared.fields and not declared.readable_by(user):
            return field
    return None


def ordering_lookup(order: Any) -> str | None:
    """The field path an ordering sorts by ("-reporter_name", F("reporter_name").desc()), if it names one."""
    if isinstance(order, str):
        return order.lstrip("-?") or None
    if isinstance(order, OrderBy):
        order = order.expression
    return order.name if isinstance(order, F) else None  # type: ignore[attr-defined]  # F keeps the name it refers to
