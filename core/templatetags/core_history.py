"""Template filters of the history and import pages: times in Paris time, people by their name."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template

from core.admin_history import user_name
from core.dates import format_date, format_datetime

register = template.Library()


@register.filter
def paris_datetime(value: dt.datetime | None) -> str:
    """31/12/2025 23:59 in Paris time; "–" for no time."""
    return "–" if value is None else format_datetime(value)


@register.filter
def paris_date(value: dt.date | None) -> str:
    return format_date(value, missing="–")


@register.filter
def person_name(user: Any) -> str:
    """A user as people call them: full name, else user name."""
    return user_name(user) or "–"


@register.filter
def history_attribute(record: Any, name: str) -> Any:
    """A column of `history_list_display` on a version (django-simple-history's `getattribute`)."""
    return getattr(record, name, "")
