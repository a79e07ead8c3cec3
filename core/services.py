"""Helpers shared by every app's services: the history-writing save and delete, generated references."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction

# simple-history keeps 100 characters of a change reason.
CHANGE_REASON_MAX = 100


def note_history(obj: models.Model, *, actor: Any, reason: str) -> None:
    """Say who (`actor`, None for the system) and why for the history row of `obj`'s next save or delete
    (simple-history reads these two attributes then): for the writes that do not go through
    `save_with_history` or `delete_with_history` (a save made by another helper, for instance)."""
    obj._history_user = actor  # type: ignore[attr-defined]  # simple-history's, on any model
    obj._change_reason = reason[:CHANGE_REASON_MAX]  # type: ignore[attr-defined]  # the same


def save_with_history(obj: models.Model, *, actor: Any, reason: str, update_fields: list[str] | None = None) -> None:
    """Save `obj` with a history row naming who did it (`actor`, None for the system) and why."""
    note_history(obj, actor=actor, reason=reason)
    obj.save(update_fields=update_fields)


def delete_with_history(obj: models.Model, *, actor: Any, reason: str) -> None:
    """Delete `obj`; its history keeps it as it was, with who deleted it (`actor`, None for the system) and why."""
    note_history(obj, actor=actor, reason=reason)
    obj.delete()


def next_reference(model: type[models.Model], prefix: str, *, width: int, field: str = "reference") -> str:
    """`<prefix><number>`, one more than the highest number already used after that prefix.

    References typed by hand with the same prefix but a non-numeric end ("DSR-2025-00012-bis") are
    skipped. Callers insert in a savepoint and retry on IntegrityError, for concurrent transactions.
    """
    pattern = re.compile(re.escape(prefix) + r"(\d+)$")
    used = model._default_manager.filter(**{f"{field}__startswith": prefix}).values_list(field, flat=True)
    numbers = [int(match.group(1)) for value in used if (match := pattern.match(value))]
    return f"{prefix}{max(numbers, default=0) + 1:0{width}d}"


def ensure_reference_free(
    model: type[models.Model], reference: str, *, message: str, exclude_pk: int | None = None, field: str = "reference"
) -> None:
    """A ValidationError on `field` (with `message`) when another record already has this reference."""
    others = model._default_manager.filter(**{field: reference})
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    if others.exists():
        raise ValidationError({field: message})


#: How many generated numbers are tried before giving up (concurrent inserts of the same number).
REFERENCE_ATTEMPTS = 5


def insert_with_reference(
    obj: models.Model,
    *,
    actor: Any,
    reason: str,
    prefix: str,
    width: int,
    given: str = "",
    taken_message: str,
    failed_message: str,
    field: str = "reference",
) -> None:
    """Insert the new row `obj` (with its history row) under the reference `given`, refused with
    `taken_message` when another row has it; or under the next free `<prefix><number>`. A number taken
    meanwhile by a concurrent transaction fails the unique index: the next one is tried, each attempt in
    a savepoint; another IntegrityError is not about the reference and is raised as it is."""
    model = type(obj)
    if given:
        ensure_reference_free(model, given, message=taken_message, field=field)
        setattr(obj, field, given)
        with transaction.atomic():
            save_with_history(obj, actor=actor, reason=reason)
        return
    for _attempt in range(REFERENCE_ATTEMPTS):
        setattr(obj, field, next_reference(model, prefix, width=width, field=field))
        try:
            with transaction.atomic():
                save_with_history(obj, actor=actor, reason=reason)
            return
        except IntegrityError:
            obj.pk = None
            obj._state.adding = True
            if not model._default_manager.filter(**{field: getattr(obj, field)}).exists():
                raise
    raise ValidationError({field: failed_message})
