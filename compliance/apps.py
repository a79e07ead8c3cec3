"""Conflict-of-interest cases, action plans and the Sapin II risk maps."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplianceConfig(AppConfig):
    name = "compliance"
    verbose_name = _("Compliance")
    navigation_order = 30  # the sidebar's sections (core/navigation.py)
