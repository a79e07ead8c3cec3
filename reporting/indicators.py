"""What the floor apps put on the home page ("Mon bureau", reporting/home.py), declared as the domains do
theirs (reporting/desk.py): the imports that failed or were interrupted lately (core), the alerts that
reached nobody (notifications). Floor apps only: reporting imports no domain (docs/architecture.md)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import ImportRun
from notifications.models import Alert

from .desk import FAILED_IMPORTS, UNDELIVERED_ALERTS, Desk, DeskItem, Moment, changelist, list_url

#: How far back the home page looks for imports that failed or were interrupted (days, today included).
IMPORT_WINDOW_DAYS = 30
_FAILED = (ImportRun.Status.FAILED, ImportRun.Status.INTERRUPTED)


def imports_since(moment: Moment) -> dt.datetime:
    """Midnight, Paris time, IMPORT_WINDOW_DAYS - 1 days before today: the start of the window."""
    first_day = moment.day - dt.timedelta(days=IMPORT_WINDOW_DAYS - 1)
    return dt.datetime.combine(first_day, dt.time(), tzinfo=timezone.get_default_timezone())


DESK = Desk(
    title=_("Imports and alerts"),
    order=90,
    items=(
        DeskItem(
            "failed_imports",
            _("Imports that failed or were interrupted"),
            "core.importrun",
            # The runs of kinds the user may view only, as the list of runs shows them (ImportRunAdmin).
            records=lambda moment: ImportRun.objects.visible_to(moment.user).filter(
                status__in=_FAILED, started_at__gte=imports_since(moment)
            ),
            url=lambda moment: list_url(
                "admin:core_importrun_changelist",
                status__in=_FAILED,
                started_at__gte=imports_since(moment).isoformat(),
            ),
            kind=FAILED_IMPORTS,
        ),
        DeskItem(
            "undelivered_alerts",
            _("Alerts whose email could not be delivered after the last planned attempt"),
            "notifications.alert",
            records=lambda moment: Alert.objects.visible_to(moment.user).undelivered(),
            url=changelist("admin:notifications_alert_changelist", "undelivered=yes"),
            kind=UNDELIVERED_ALERTS,
        ),
        DeskItem(
            "alerts_without_recipient",
            _("Alerts with no recipient (nobody was to receive them)"),
            "notifications.alert",
            records=lambda moment: Alert.objects.visible_to(moment.user).without_recipient(),
            url=changelist("admin:notifications_alert_changelist", "undelivered=nobody"),
            kind=UNDELIVERED_ALERTS,
            # An administrator names the missing person (a contact of the entity, a role): the count is theirs.
            superusers_only=True,
        ),
    ),
)
