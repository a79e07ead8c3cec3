"""Shared infrastructure: the import machinery, roles, the system user, API plumbing, health."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        # A past version's page is read-only for whoever may not revert (core/admin_history.py).
        from .admin_history import install

        install()
