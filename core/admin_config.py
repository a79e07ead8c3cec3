"""Django's admin app with Vigie's site (core/admin_site.py) as the default `admin.site`.

A module of its own: INSTALLED_APPS imports it before the models are ready.
"""

from django.contrib.admin.apps import AdminConfig


class VigieAdminConfig(AdminConfig):
    default_site = "core.admin_site.VigieAdminSite"
