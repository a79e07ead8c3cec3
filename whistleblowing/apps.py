"""Whistleblowing: the internal reporting channel (loi Sapin II art. 6-9, décret 2022-1284), its referents and clock."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WhistleblowingConfig(AppConfig):
    name = "whistleblowing"
    verbose_name = _("Whistleblowing")
    navigation_order = 37  # the sidebar's sections (core/navigation.py)
    # Not a sealed app: a report's reference, dates, category, status and deadlines are seen by the compliance
    # function and the auditors. What identifies the author or says what the report says lives in the models
    # that declare `sealed_role` (models/content.py): only the referents see them (art. 9), superusers excluded.
