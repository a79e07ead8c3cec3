"""Reads of the ledger shared by the admin, the health page and the sending: what a user may see of it,
and the emails still unsent after their last planned attempt.

A user sees an alert when they may view everything its rule reveals (notifications/registry.py
`Rule.visible_to`: the record's model and the others its wording tells about), so the ledger is filtered
by rule; an alert of a rule no longer registered is shown to who may view its record."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Exists, OuterRef, Q

from core.roles import can_view, seal_of, sealed_apps, sealed_models

from .registry import get_rules

if TYPE_CHECKING:  # models.py imports this module
    from .models import Alert, Delivery  # noqa: F401 - named in base classes

# The statuses, as plain values: models.py imports this module.
PENDING, ACKNOWLEDGED = "pending", "acknowledged"


def visible_alerts(user: Any, prefix: str = "") -> Q:
    """The alerts `user` may see, as a condition on Alert (`prefix`: the path to the alert, "alert__")."""
    rules = get_rules()
    known = [rule.code for rule in rules]
    visible = [rule.code for rule in rules if rule.visible_to(user)]
    return Q(**{f"{prefix}rule__in": visible}) | (
        ~Q(**{f"{prefix}rule__in": known}) & Q(**{f"{prefix}content_type__in": visible_content_types(user)})
    )


def sealed_alerts(prefix: str = "") -> Q:
    """The alerts about sealed records (core/roles.py `seal_of`: a sealed app's, aml, or a sealed model's,
    whistleblowing's content): of a rule whose wording tells about a sealed model, or about a sealed record.
    Left out of what goes to people outside the seal whoever they are (the operator's health counts, the
    escalation email): a count or a bounce is a tip."""
    codes = [rule.code for rule in get_rules() if any(seal_of(label) for label in rule.viewed_models())]
    sealed_types = ContentType.objects.get_for_models(*sealed_models(), for_concrete_models=False).values()
    return (
        Q(**{f"{prefix}rule__in": codes})
        | Q(**{f"{prefix}content_type__app_label__in": sealed_apps()})
        | Q(**{f"{prefix}content_type__in": [content_type.pk for content_type in sealed_types]})
    )


def visible_content_types(user: Any) -> list[int]:
    """The kinds of record, among those the ledger has alerts about, that `user` may view: an alert's
    title names its record (a case's action, an employee), and a role must not learn, even by a count,
    what it may not see."""
    from .models import Alert

    used = Alert.objects.order_by().values("content_type").distinct()
    return [
        content_type.pk
        for content_type in ContentType.objects.filter(pk__in=used)
        if can_view(user, f"{content_type.app_label}.{content_type.model}")
    ]


class DeliveryQuerySet(models.QuerySet["Delivery"]):
    def escalated(self) -> Self:
        """Still unsent after the last planned attempt (VIGIE_ALERT_MAX_ATTEMPTS), and nobody closed it or
        acknowledged its alert: what the health page, the admin and the escalation email report."""
        return self.filter(status=PENDING, escalated_at__isnull=False).exclude(alert__status=ACKNOWLEDGED)

    def in_flight(self, now: Any) -> Self:
        """Claimed by a sending run whose lease is not over: that run is talking to the SMTP server about
        it (or died doing so, which only the end of the lease tells). Nobody else sends it meanwhile."""
        return self.filter(status=PENDING, claimed_at__isnull=False, next_attempt_at__gt=now)

    def visible_to(self, user: Any) -> Self:
        return self.filter(visible_alerts(user, "alert__"))

    def unsealed(self) -> Self:
        """Without the deliveries of alerts about a sealed app's records (`sealed_alerts`)."""
        return self.exclude(sealed_alerts("alert__"))


class AlertQuerySet(models.QuerySet["Alert"]):
    def visible_to(self, user: Any) -> Self:
        """The alerts `user` may see (`visible_alerts`)."""
        return self.filter(visible_alerts(user))

    def unsealed(self) -> Self:
        """Without the alerts about a sealed app's records (`sealed_alerts`)."""
        return self.exclude(sealed_alerts())

    def undelivered(self) -> Self:
        """The alerts with an email still unsent after the last planned attempt (`DeliveryQuerySet.escalated`)."""
        from .models import Delivery

        return self.filter(Exists(Delivery.objects.escalated().filter(alert=OuterRef("pk"))))

    def without_recipient(self) -> Self:
        """The alerts not acknowledged that go to nobody: marked "without recipient" by the sweep
        (`Alert.unaddressed`: no handler, no contact of the entity, nobody holding the role, no address in the
        settings; those of before the mark got it from migration 0007). The flag is indexed: the health page,
        the desk and every sweep ask for them."""
        return self.exclude(status=ACKNOWLEDGED).filter(unaddressed=True)
