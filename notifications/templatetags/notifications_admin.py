"""What the admin's index page tells about the alerts: the emails still unsent after their last planned
attempt (templates/admin/index.html)."""

from __future__ import annotations

from django import template

from core.roles import can_view

from ..models import Alert, Delivery

register = template.Library()


@register.simple_tag(takes_context=True)
def undelivered_alert_emails(context: template.Context) -> int:
    """How many alert emails about records the user may view could not be delivered (0 for a user who may
    not see the ledger)."""
    user = getattr(context.get("request"), "user", None)
    if user is None or not can_view(user, Alert):
        return 0
    return Delivery.objects.escalated().visible_to(user).count()
