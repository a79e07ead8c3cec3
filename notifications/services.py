"""What a person does to the alerts and their emails: acknowledge an alert (from the admin or the link
of an email), send the emails again now, or stop the retries of those that could not be delivered.
Each change locks its rows and writes a history row naming who and why."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core.services import save_with_history

from .models import Alert, AlertStatus, Delivery
from .sending import settle_alerts

REASON_RESEND = "resend from the admin"
REASON_ACKNOWLEDGED_IN_ADMIN = "acknowledged in the admin"


@transaction.atomic
def alert_acknowledge(*, alert: Alert, actor: Any, by: str, reason: str, now: dt.datetime | None = None) -> bool:
    """Mark `alert` read by `by` (a username, or the address an email went to): it is not sent again.
    False when it already was (nothing changes: the first acknowledgement is the one kept). The row is
    locked, so an admin action and the email link clicked at once acknowledge it once."""
    locked = Alert.objects.select_for_update().get(pk=alert.pk)
    if locked.status == AlertStatus.ACKNOWLEDGED:
        return False
    locked.status, locked.acknowledged_at, locked.acknowledged_by = (
        AlertStatus.ACKNOWLEDGED,
        now or timezone.now(),
        by[:254],
    )
    save_with_history(
        locked, actor=actor, reason=reason, update_fields=["status", "acknowledged_at", "acknowledged_by"]
    )
    return True


@transaction.atomic
def alerts_acknowledge(*, alerts: QuerySet[Alert], actor: Any, now: dt.datetime | None = None) -> int:
    """Acknowledge every alert of `alerts` in the name of `actor` (the admin action); how many changed."""
    now = now or timezone.now()
    pks = list(alerts.exclude(status=AlertStatus.ACKNOWLEDGED).order_by("pk").values_list("pk", flat=True))
    return sum(
        alert_acknowledge(
            alert=alert, actor=actor, by=actor.get_username(), reason=REASON_ACKNOWLEDGED_IN_ADMIN, now=now
        )
        for alert in Alert.objects.filter(pk__in=pks).order_by("pk")
    )


@transaction.atomic
def deliveries_resend(*, alerts: QuerySet[Alert], actor: Any) -> int:
    """Make every delivery of `alerts` due now: the sent or closed ones go out again, those waiting after
    a failed attempt do not wait any more (a new failure is escalated again at once past the last planned
    attempt). Not one a sending run is sending right now (its claim's lease is not over): it is on its
    way, and a second run must not send it at the same time. Returns how many deliveries changed."""
    now = timezone.now()
    count = 0
    for delivery in Delivery.objects.select_for_update().filter(alert__in=alerts).order_by("pk"):
        if delivery.status == AlertStatus.PENDING and delivery.next_attempt_at is None:
            continue  # already due
        lease = delivery.next_attempt_at  # a claim's lease: a claimed delivery is pending, so it has one here
        if delivery.claimed_at is not None and lease is not None and lease > now:
            continue  # on its way
        delivery.status, delivery.last_error, delivery.next_attempt_at = AlertStatus.PENDING, "", None
        delivery.escalated_at = delivery.escalation_notified_at = None
        save_with_history(
            delivery,
            actor=actor,
            reason=REASON_RESEND,
            update_fields=["status", "last_error", "next_attempt_at", "escalated_at", "escalation_notified_at"],
        )
        count += 1
    for alert in alerts.select_for_update().exclude(status=AlertStatus.PENDING):
        alert.status = AlertStatus.PENDING
        save_with_history(alert, actor=actor, reason=REASON_RESEND, update_fields=["status"])
    return count


@transaction.atomic
def deliveries_close(*, alert: Alert, actor: Any, reason: str, now: dt.datetime | None = None) -> int:
    """Stop the retries of the unsent emails of `alert` (a wrong address, the recipient was told another
    way...): they become "failed", with `actor` and `reason` in their history, and the alert too when none
    of its emails is left to send. Refused without a reason, or when nothing is left to send."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the retries stop: it is kept in the history.")})
    now = now or timezone.now()
    deliveries = list(
        Delivery.objects.select_for_update().filter(alert=alert, status=AlertStatus.PENDING).order_by("pk")
    )
    if not deliveries:
        raise ValidationError(_("Every email of this alert was already sent or closed."))
    why = f"closed unsent: {reason}"
    for delivery in deliveries:
        # One on its way now is closed too: if the server takes it, the sending records it sent all the same.
        delivery.status, delivery.next_attempt_at, delivery.claimed_at = AlertStatus.FAILED, None, None
        save_with_history(delivery, actor=actor, reason=why, update_fields=["status", "next_attempt_at", "claimed_at"])
    settle_alerts({alert.pk}, now, reason=why, actor=actor)
    return len(deliveries)
