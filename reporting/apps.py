"""The yearly indicators, their snapshots and the DPEF export."""

from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = _("Reporting")
    navigation_order = 50  # the sidebar's sections (core/navigation.py), the dashboard first
    navigation_links = ((_("Dashboard"), "admin:reporting_dashboard", "reporting.view_reportingyear"),)

    def ready(self) -> None:
        from . import records, registry

        registry.autodiscover()
        records.autodiscover()
        checks.register(registry.check_registry)
        checks.register(records.check_records)
