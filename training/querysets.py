"""Reads of the training app shared by the indicators (kpis.py), the admin and the API."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce

if TYPE_CHECKING:
    from .models import Module


def qualifying_q(
    module: Module | None = None,
    *,
    minutes: str = "minutes_attended",
    minimum: str = "session__module__min_attendance_minutes",
) -> Q:
    """The attendances that count as trained, in SQL: more minutes than the module's `attendance_floor`
    (its minimum, 0 without one). With `module`, its floor as a constant (the caller filters on that
    module); else the floor of each row's module, read at `minimum`. `minutes` and `minimum` are the paths
    from the model queried: on Session, `qualifying_q(minutes="attendances__minutes_attended",
    minimum="module__min_attendance_minutes")`."""
    floor = module.attendance_floor if module is not None else Coalesce(F(minimum), Value(0))
    return Q(**{f"{minutes}__gt": floor})
