"""What the gdpr importers read from the models' fields."""

from __future__ import annotations

from django.db import models


def max_length(model: type[models.Model], name: str) -> int | None:
    """The length limit of a model's column: a cell longer than the column is refused with the row's
    other problems, rather than by the database when the row is saved."""
    field = model._meta.get_field(name)
    return field.max_length if isinstance(field, models.Field) else None
