"""Admin of the phishing simulation campaigns (the DPEF reports how many were run); saved through
`services.phishing_campaign_save`, which checks the counts and generates the reference (PHI-YYYY-NN)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from core.admin_utils import YearFilter, date_input
from core.charts import percent_text

from .. import services
from ..models import PhishingCampaign

if TYPE_CHECKING:
    PhishingCampaignAdminBase = SimpleHistoryAdmin[PhishingCampaign]
else:
    PhishingCampaignAdminBase = SimpleHistoryAdmin


class SentYearFilter(YearFilter):
    title = _("year sent")
    field = "sent_on"


class PhishingCampaignForm(forms.ModelForm):
    class Meta:
        model = PhishingCampaign
        fields = ["reference", "sent_on", "theme", "targeted", "clicked", "submitted_credentials", "reported", "notes"]
        widgets = {"sent_on": date_input()}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "reference" in self.fields:  # not in the read-only form of a role that may only view
            self.fields["reference"].required = False
            self.fields["reference"].help_text = _("Generated (PHI-YYYY-NN) when left empty.")


@admin.register(PhishingCampaign)
class PhishingCampaignAdmin(PhishingCampaignAdminBase):
    form = PhishingCampaignForm
    list_display = ["reference", "sent_on", "theme", "targeted", "clicked", "click_rate_text", "reported"]
    list_display_links = ["reference", "theme"]
    list_filter = [SentYearFilter]
    search_fields = ["reference", "theme"]
    date_hierarchy = "sent_on"
    ordering = ["-sent_on", "reference"]

    @admin.display(description=_("click rate"))
    def click_rate_text(self, obj: PhishingCampaign) -> str:
        return percent_text(obj.click_rate)

    def save_model(self, request: HttpRequest, obj: PhishingCampaign, form: forms.ModelForm, change: bool) -> None:
        # The form has put its values on `obj`; the service checks them and writes the history row.
        obj.reference = (obj.reference or "").strip()
        services.phishing_campaign_save(actor=request.user, campaign=obj)
