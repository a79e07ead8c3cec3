"""What the alerts tell the health page (core/health.py): the emails still unsent after their last planned
attempt (escalated, they are still retried; the page warns until they are sent, closed or acknowledged), and
the alerts without recipient."""

from __future__ import annotations

from typing import Any

from core.health import OK, OPERATOR, WARNING
from core.roles import can_view

from .models import Alert, Delivery


def undelivered_alerts(viewer: Any) -> dict[str, dict[str, Any]] | None:
    """The count for the operator; for a user, only of alerts about records they may view (not even a
    count tells a role what it may not see); nothing for a user who may not see the ledger."""
    undelivered = Delivery.objects.escalated()
    if viewer is OPERATOR:
        undelivered = undelivered.unsealed()  # a sealed app's (aml) are counted for nobody outside its seal
    else:
        if not can_view(viewer, Alert):
            return None
        undelivered = undelivered.visible_to(viewer)
    count = undelivered.count()
    return {"alerts": {"status": WARNING if count else OK, "undelivered": count}}


def unaddressed_alerts(viewer: Any) -> dict[str, dict[str, Any]] | None:
    """The alerts that go to nobody (no handler, no contact of the entity, nobody holding the role, no
    address in the settings): a warning until someone is named (the next sweep sends them) or they are
    acknowledged. For the operator and administrators (superusers) only: they name the missing person."""
    if viewer is not OPERATOR and not getattr(viewer, "is_superuser", False):
        return None
    unaddressed = Alert.objects.without_recipient()
    # A sealed app's (aml) only for a superuser its seal lets in, never for the operator.
    unaddressed = unaddressed.unsealed() if viewer is OPERATOR else unaddressed.visible_to(viewer)
    count = unaddressed.count()
    return {"alerts_without_recipient": {"status": WARNING if count else OK, "unaddressed": count}}


HEALTH_CHECKS = (undelivered_alerts, unaddressed_alerts)
