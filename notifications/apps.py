"""The alert ledger, deadline sweeps, the DPO digest and email sending."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")
    navigation_section = "desk"  # the alerts are listed under "My desk" (core/navigation.py)
    admin_urls = "notifications.account.admin_urls"  # "My account": absences, calendar feed (core/admin_site.py)

    def ready(self) -> None:
        from .registry import autodiscover

        autodiscover()
