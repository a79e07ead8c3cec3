"""The home page's content, "Mon bureau" (reporting/home.py; templates/admin/index.html)."""

from __future__ import annotations

from django import template

from ..home import Home, home

register = template.Library()


@register.simple_tag(takes_context=True)
def vigie_home(context: template.Context) -> Home | None:
    """What the signed-in user has to act on (None without a signed-in user)."""
    user = getattr(context.get("request"), "user", None)
    if user is None or not user.is_authenticated:
        return None
    return home(user)
