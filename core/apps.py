"""Shared infrastructure: the import machinery, roles, the system user, API plumbing, health."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Core")
    #: The company sign-on's identities: no role's permission (core/roles.py), superusers only.
    superuser_only_models = ("signonidentity",)

    def ready(self) -> None:
        # A past version's page is read-only for whoever may not revert (core/admin_history.py).
        from . import admin_choosers, admin_history, checks  # noqa: F401 - checks registers the system checks

        admin_history.install()
        # A user in a read-only field: by name, no link to the users' admin (core/admin_choosers.py).
        admin_choosers.install()
        # VIGIE_OIDC_ROLE_MAP names roles that exist (company sign-on, core/oidc.py).
        from django.core.checks import register

        from .oidc import check_settings

        register(check_settings)
