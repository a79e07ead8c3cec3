"""API of the confirmed incidents of corruption and of the legal cases about them (ESRS G1-4):
`/api/compliance/corruption-incidents/` and `/api/compliance/legal-proceedings/`, writes through
compliance.services.corruption.

A legal case's decision is a POST action (`decide/`), never a writable field; a confirmed conflict-of-
interest case is qualified as corruption by its own action (`/api/compliance/coi-cases/{id}/qualify-
corruption/`, compliance/api/cases.py). ROUTES lists (prefix, viewset, basename) for compliance/api/urls.py.
"""

from __future__ import annotations

from typing import Any

import django_filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.filters import FilterSet, StrictBooleanFilter, YearFilter
from core.api.permissions import TransitionPermissions
from core.api.serializers import ModelSerializer
from organization.models import LegalEntity

from ..choices import CorruptionNature, Defendant, ProceedingOutcome
from ..models import ConflictOfInterestCase, CorruptionIncident, LegalProceeding
from ..services import corruption as services


class CorruptionIncidentSerializer(ModelSerializer):
    reference = serializers.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        help_text="Generated (CORR-YYYY-NNN) when not given; cannot change.",
    )
    entity = serializers.SlugRelatedField(
        slug_field="code", queryset=LegalEntity.objects.all(), allow_null=True, required=False
    )
    coi_case = serializers.SlugRelatedField(
        slug_field="reference",
        queryset=ConflictOfInterestCase.objects.all(),
        allow_null=True,
        required=False,
        help_text="Reference of the confirmed conflict-of-interest case qualified as corruption; cannot change.",
    )
    proceedings = serializers.SlugRelatedField[LegalProceeding](slug_field="reference", many=True, read_only=True)

    class Meta:
        model = CorruptionIncident
        fields = [
            "id",
            "reference",
            "nature",
            "confirmed_on",
            "entity",
            "coi_case",
            "description",
            "workers_disciplined",
            "partner_contract_terminated",
            "proceedings",
        ]

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, (list, tuple)) and hasattr(self.instance, "pk"):
            fields["reference"].read_only = True  # the reference names it in the indicators' records
            fields["coi_case"].read_only = True
        return fields

    # The services validate and write; the serializer only parses.
    def create(self, validated_data: dict[str, Any]) -> CorruptionIncident:
        return services.corruption_incident_create(actor=self.context["request"].user, **validated_data)

    def update(self, instance: CorruptionIncident, validated_data: dict[str, Any]) -> CorruptionIncident:
        changes = {name: value for name, value in validated_data.items() if name in services.INCIDENT_FIELDS}
        return services.corruption_incident_update(actor=self.context["request"].user, incident=instance, **changes)


class LegalProceedingSerializer(ModelSerializer):
    reference = serializers.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        help_text="Generated (PROC-YYYY-NNN) when not given; cannot change.",
    )
    incident = serializers.SlugRelatedField(
        slug_field="reference",
        queryset=CorruptionIncident.objects.all(),
        allow_null=True,
        required=False,
        help_text="Reference of the corruption incident the case is about.",
    )
    entity = serializers.SlugRelatedField(
        slug_field="code", queryset=LegalEntity.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = LegalProceeding
        fields = [
            "id",
            "reference",
            "incident",
            "defendant",
            "entity",
            "court",
            "opened_on",
            "description",
            "outcome",
            "decided_on",
            "fine_eur",
        ]
        read_only_fields = ["outcome", "decided_on", "fine_eur"]

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        if self.instance is not None and hasattr(self.instance, "pk"):
            fields["reference"].read_only = True
        return fields

    def create(self, validated_data: dict[str, Any]) -> LegalProceeding:
        return services.legal_proceeding_create(actor=self.context["request"].user, **validated_data)

    def update(self, instance: LegalProceeding, validated_data: dict[str, Any]) -> LegalProceeding:
        changes = {name: value for name, value in validated_data.items() if name in services.PROCEEDING_FIELDS}
        return services.legal_proceeding_update(actor=self.context["request"].user, proceeding=instance, **changes)


class LegalProceedingDecideSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=ProceedingOutcome.choices)
    decided_on = serializers.DateField()
    fine_eur = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        required=False,
        allow_null=True,
        help_text="The fine of a conviction or a CJIP, in euros.",
    )
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=90,
        help_text="Required to change a decision already recorded (an appeal, a correction).",
    )


class CorruptionIncidentFilter(FilterSet):
    reference = django_filters.CharFilter()
    nature = django_filters.ChoiceFilter(choices=CorruptionNature.choices)
    confirmed_year = YearFilter(field_name="confirmed_on", lookup_expr="year")
    coi_case = django_filters.CharFilter(field_name="coi_case__reference", label="Reference of the case")
    workers_disciplined = StrictBooleanFilter()
    partner_contract_terminated = StrictBooleanFilter()

    class Meta:
        model = CorruptionIncident
        fields = [
            "reference",
            "nature",
            "confirmed_year",
            "coi_case",
            "workers_disciplined",
            "partner_contract_terminated",
        ]


class LegalProceedingFilter(FilterSet):
    reference = django_filters.CharFilter()
    incident = django_filters.CharFilter(field_name="incident__reference", label="Reference of the incident")
    defendant = django_filters.ChoiceFilter(choices=Defendant.choices)
    outcome = django_filters.ChoiceFilter(choices=ProceedingOutcome.choices)
    decided = StrictBooleanFilter(field_name="decided_on", lookup_expr="isnull", exclude=True)
    decided_year = YearFilter(field_name="decided_on", lookup_expr="year")

    class Meta:
        model = LegalProceeding
        fields = ["reference", "incident", "defendant", "outcome", "decided", "decided_year"]


@extend_schema_view(
    list=extend_schema(summary="Confirmed incidents of corruption (ESRS G1-4)"),
    create=extend_schema(summary="Record a confirmed incident of corruption"),
)
@extend_schema(tags=["compliance"])
class CorruptionIncidentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Confirmed incidents of corruption. Not deletable: they are evidence (ESRS G1-4)."""

    queryset = (
        CorruptionIncident.objects.select_related("entity", "coi_case")
        .prefetch_related("proceedings")
        .order_by("-confirmed_on", "reference")
    )
    serializer_class = CorruptionIncidentSerializer
    filterset_class = CorruptionIncidentFilter


@extend_schema_view(
    list=extend_schema(summary="Legal cases about corruption against the company or its workers (ESRS G1-4)"),
    create=extend_schema(summary="Record a legal case (pending until its decision)"),
)
@extend_schema(tags=["compliance"])
class LegalProceedingViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Legal cases about corruption; decided by the `decide/` action. Not deletable."""

    queryset = LegalProceeding.objects.select_related("incident", "entity").order_by("-opened_on", "reference")
    serializer_class = LegalProceedingSerializer
    filterset_class = LegalProceedingFilter

    @extend_schema(
        summary="Record the decision (again, with a reason, after an appeal)",
        request=LegalProceedingDecideSerializer,
        responses={200: LegalProceedingSerializer, 400: OpenApiResponse(description="Field messages.")},
    )
    @action(detail=True, methods=["post"], permission_classes=[TransitionPermissions])
    def decide(self, request: Request, pk: str | None = None) -> Response:
        proceeding = self.get_object()
        payload = LegalProceedingDecideSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        proceeding = services.legal_proceeding_decide(
            actor=request.user, proceeding=proceeding, **payload.validated_data
        )
        return Response(self.get_serializer(proceeding).data, status=status.HTTP_200_OK)


ROUTES: list = [
    ("corruption-incidents", CorruptionIncidentViewSet, "corruption-incident"),
    ("legal-proceedings", LegalProceedingViewSet, "legal-proceeding"),
]
