"""Reads of the ledger shared by the admin, the health page and the sending: what a user may see of it,
and the emails still unsent after their last planned attempt."""
from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Exists, OuterRef

from core.roles import can_view

# The statuses, as plain values: models.py imports this module.
PENDING, ACKNOWLEDGED = "pending", "acknowledged"


def visible_content_types(user: Any) -> list[int]:
    """The kinds of record, among those the ledger has alerts about, that `user` may view: an alert's
    title names its record (a case's action, an employee), and a role must not learn, even by a count,
    what it may not see."""
    from .models import Alert

    used = Alert.objects.order_by().values("content_type").distinct()
    return [content_type.pk for content_type in ContentType.objects.filter(pk__in=used)
            if can_view(user, f"{content_type.app_label}.{content_type.model}")]


class DeliveryQuerySet(models.QuerySet):
    def escalated(self) -> DeliveryQuerySet:
        """Still unsent after the last planned attempt (VIGIE_ALERT_MAX_ATTEMPTS), and nobody closed it or
        acknowledged its alert: what the health page, the admin and the escalation email report."""
        return (self.filter(status=PENDING, escalated_at__isnull=False)
                .exclude(alert__status=ACKNOWLEDGED))

    def in_flight(self, now: Any) -> DeliveryQuerySet:
        """Claimed by a sending run whose lease is not over: that run is talking to the SMTP server about
        it (or died doing so, which only the end of the lease tells). Nobody else sends it meanwhile."""
        return self.filter(status=PENDING, claimed_at__isnull=False, next_attempt_at__gt=now)

    def visible_to(self, user: Any) -> DeliveryQuerySet:
        return self.filter(alert__content_type__in=visible_content_types(user))


class AlertQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> AlertQuerySet:
        """The alerts about records `user` may view (see `visible_content_types`)."""
        return self.filter(content_type__in=visible_content_types(user))

    def undelivered(self) -> AlertQuerySet:
        """The alerts with an email still unsent after the last planned attempt (`DeliveryQuerySet.escalated`)."""
        from .models import Delivery

        return self.filter(Exists(Delivery.objects.escalated().filter(alert=OuterRef("pk"))))
