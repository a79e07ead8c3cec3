"""The alert ledger, deadline sweeps, the DPO digest and email sending."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")
    navigation_section = "desk"  # the alerts are listed under "My desk" (core/navigation.py)
    #: Everyone's absences and calendar feeds: no role's permission (core/roles.py), superusers only; each
    #: person manages their own on "My account".
    superuser_only_models = ("absence", "calendarfeed")
    admin_urls = "notifications.account.admin_urls"  # "My account": absences, calendar feed (core/admin_site.py)

    def ready(self) -> None:
        from . import seals
        from .registry import autodiscover

        autodiscover()
        seals.connect()  # who joins or leaves a sealed role is told to that role (notifications/seals.py)
