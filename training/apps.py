"""Training modules, completions, workshops and completion rates against the headcount."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingConfig(AppConfig):
    name = "training"
    verbose_name = _("Training")
    navigation_order = 40  # the sidebar's sections (core/navigation.py)
