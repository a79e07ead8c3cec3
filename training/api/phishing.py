"""API of the phishing simulation campaigns: `/api/training/phishing-campaigns/` (the DPEF reports how many
were run). Writes go through training.services.phishing_campaign_save; the reference (PHI-YYYY-NN) is
generated when not given. ROUTES lists (prefix, viewset, basename) for training/api/urls.py.
"""

from __future__ import annotations

from typing import Any

import django_filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets

from core.api.filters import FilterSet, YearFilter
from core.api.serializers import ModelSerializer

from .. import services
from ..models import PhishingCampaign


class PhishingCampaignSerializer(ModelSerializer):
    reference = serializers.CharField(
        max_length=32, required=False, allow_blank=True, help_text="Generated (PHI-YYYY-NN) when not given."
    )
    click_rate = serializers.DecimalField(
        max_digits=4,
        decimal_places=1,
        coerce_to_string=False,
        allow_null=True,
        read_only=True,
        help_text="clicked ÷ targeted in percent, one decimal, as a JSON number; null when no one was targeted.",
    )

    class Meta:
        model = PhishingCampaign
        fields = [
            "id",
            "reference",
            "sent_on",
            "theme",
            "targeted",
            "clicked",
            "submitted_credentials",
            "reported",
            "click_rate",
            "notes",
        ]

    # The service checks the counts and the free reference, with their messages.
    def create(self, validated_data: dict[str, Any]) -> PhishingCampaign:
        campaign = PhishingCampaign(**validated_data)
        return services.phishing_campaign_save(actor=self.context["request"].user, campaign=campaign)

    def update(self, instance: PhishingCampaign, validated_data: dict[str, Any]) -> PhishingCampaign:
        if not validated_data.get("reference", instance.reference):
            validated_data.pop("reference")  # a blank reference keeps the current one
        for name, value in validated_data.items():
            setattr(instance, name, value)
        return services.phishing_campaign_save(actor=self.context["request"].user, campaign=instance)


class PhishingCampaignFilter(FilterSet):
    reference = django_filters.CharFilter()
    year = YearFilter(field_name="sent_on", lookup_expr="year", label="Year the campaign was sent")

    class Meta:
        model = PhishingCampaign
        fields = ["reference", "year"]


@extend_schema_view(
    list=extend_schema(summary="Phishing simulation campaigns", description="Filter by `reference`, `year`."),
    retrieve=extend_schema(summary="A phishing simulation campaign"),
    create=extend_schema(
        summary="Record a phishing simulation campaign",
        responses={
            201: PhishingCampaignSerializer,
            400: OpenApiResponse(
                description="More clicks or reports than people targeted, a reference already used..."
            ),
        },
    ),
    update=extend_schema(summary="Change a phishing simulation campaign"),
    partial_update=extend_schema(summary="Change some fields of a phishing simulation campaign"),
)
@extend_schema(tags=["training"])
class PhishingCampaignViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Phishing simulation campaigns. Not deleted here: each one is counted in the DPEF."""

    queryset = PhishingCampaign.objects.order_by("-sent_on", "reference")
    serializer_class = PhishingCampaignSerializer
    filterset_class = PhishingCampaignFilter


ROUTES: list = [("phishing-campaigns", PhishingCampaignViewSet, "phishing-campaign")]
