"""Rights requests, CNIL cases, breaches and the Art. 30 register, on the legal deadline calendar."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GdprConfig(AppConfig):
    name = "gdpr"
    verbose_name = _("GDPR")
    navigation_order = 20  # the sidebar's sections (core/navigation.py)
