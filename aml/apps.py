"""AML/CFT: vigilance alerts to the TRACFIN decision, counterparties and asset-freeze screening."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AmlConfig(AppConfig):
    name = "aml"
    verbose_name = _("AML/CFT")
    navigation_order = 35  # the sidebar's sections (core/navigation.py)
    #: A sealed app (core/roles.py `sealed_out`): its records exist only for the members of this role's group
    #: (and for superusers when the setting below is true). No tipping off (CMF L.561-18): for anyone else
    #: every page, count, email and API path behaves as if the app were not installed. Plain strings: this
    #: module is imported while the app registry loads.
    sealed_role = "LCB-FT"
    sealed_superusers_setting = "VIGIE_AML_VISIBLE_TO_SUPERUSERS"
