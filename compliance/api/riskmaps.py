"""API of the risk maps: `/api/compliance/risk-maps/` (with their risks nested), `/macro-processes/`,
`/risk-interviews/`. Writes go through compliance.services.riskmaps; a new version and an approval are
POST actions (`new-version/`, `approve/`), the XLSX is `GET …/export/`.
ROUTES lists (prefix, viewset, basename) for compliance/api/urls.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import django_filters
from django.contrib.auth.models import User
from django.db.models import Count, Prefetch, Q, QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.filters import FilterSet, IntegerFilter, StrictBooleanFilter
from core.api.permissions import TransitionPermissions
from core.api.schema import file_download
from core.api.serializers import ModelSerializer
from core.api.user_fields import UserNameField
from core.spreadsheets import XLSX_CONTENT_TYPE

from ..choices import FunctionType, RiskMapKind
from ..exports import export_filename, risk_map_xlsx
from ..models import MacroProcess, Risk, RiskInterview, RiskMap
from ..services import riskmaps as services

if TYPE_CHECKING:
    from rest_framework.permissions import _SupportsHasPermission

# --- macro-processes --------------------------------------------------------------------------------------


class MacroProcessSerializer(ModelSerializer):
    class Meta:
        model = MacroProcess
        fields = ["id", "kind", "code", "name", "description"]

    def create(self, validated_data: dict[str, Any]) -> MacroProcess:
        return services.macro_process_create(actor=self.context["request"].user, **validated_data)

    def update(self, instance: MacroProcess, validated_data: dict[str, Any]) -> MacroProcess:
        return services.macro_process_update(
            actor=self.context["request"].user, macro_process=instance, **validated_data
        )

    def get_validators(self) -> list:
        return []  # the unique (kind, code) check is the service's, with its message


@extend_schema_view(list=extend_schema(summary="Macro-processes", description="Filter by `kind`, `code`."))
class MacroProcessViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The reference list of macro-processes of each kind of map. No DELETE: risks and cases refer to them."""

    serializer_class = MacroProcessSerializer
    queryset = MacroProcess.objects.order_by("kind", "code")
    filterset_fields = ["kind", "code"]
    search_fields = ["code", "name"]


# --- risk maps --------------------------------------------------------------------------------------------


class RiskSerializer(ModelSerializer):
    macro_process = serializers.SlugRelatedField[MacroProcess](slug_field="code", read_only=True)

    class Meta:
        model = Risk
        fields = [
            "id",
            "code",
            "title",
            "macro_process",
            "scenario",
            "gross_likelihood",
            "gross_impact",
            "gross_score",
            "existing_controls",
            "control_effectiveness",
            "net_likelihood",
            "net_impact",
            "net_score",
            "owner",
        ]
        read_only_fields = fields


class RiskMapSerializer(ModelSerializer):
    approved_by = serializers.SlugRelatedField[User](slug_field="username", read_only=True)
    approved_by_display = UserNameField(source="approved_by", help_text="Who approved the map, by name.")
    risks = RiskSerializer(many=True, read_only=True, help_text="Ranked: highest net score first.")
    risk_count = serializers.IntegerField(read_only=True)
    macro_process_count = serializers.IntegerField(read_only=True, help_text="Distinct macro-processes of its risks.")
    business_interviews = serializers.IntegerField(read_only=True)
    support_interviews = serializers.IntegerField(read_only=True)

    class Meta:
        model = RiskMap
        fields = [
            "id",
            "kind",
            "version",
            "title",
            "notes",
            "based_on",
            "approved_on",
            "approved_by",
            "approved_by_display",
            "risk_count",
            "macro_process_count",
            "business_interviews",
            "support_interviews",
            "risks",
        ]
        read_only_fields = ["version", "based_on", "approved_on", "approved_by"]

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        if self.instance is not None:
            fields["kind"].read_only = True  # a version keeps its kind
        return fields

    def create(self, validated_data: dict[str, Any]) -> RiskMap:
        return services.risk_map_create(actor=self.context["request"].user, **validated_data)

    def update(self, instance: RiskMap, validated_data: dict[str, Any]) -> RiskMap:
        return services.risk_map_update(actor=self.context["request"].user, risk_map=instance, **validated_data)


class NewVersionInput(serializers.Serializer):
    title = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=200, help_text="The copied version's title when empty."
    )


class ApproveInput(serializers.Serializer):
    approved_on = serializers.DateField()


class RiskMapFilter(FilterSet):
    kind = django_filters.ChoiceFilter(choices=RiskMapKind.choices)
    version = IntegerFilter(min_value=1)
    approved = StrictBooleanFilter(
        field_name="approved_on", lookup_expr="isnull", exclude=True, label="Approved versions (true) or drafts (false)"
    )

    class Meta:
        model = RiskMap
        fields = ["kind", "version", "approved"]


_ERRORS = {
    400: OpenApiResponse(description="Refused: the body names each field at fault and why."),
    403: OpenApiResponse(description="No `change` permission on risk maps."),
}


@extend_schema_view(
    list=extend_schema(
        summary="Risk maps",
        description="Every version, with its risks ranked by net score. Filter by `kind`, `version`, `approved`.",
    ),
    create=extend_schema(
        summary="Create a map version",
        description="Numbered after the last version of that kind, as a copy of it (risks only).",
    ),
)
class RiskMapViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Sapin II risk maps: dated versions; an approved version is frozen. No DELETE: versions are kept."""

    serializer_class = RiskMapSerializer
    filterset_class = RiskMapFilter

    def get_queryset(self) -> QuerySet[RiskMap]:
        return (
            RiskMap.objects.select_related("approved_by")
            .annotate(
                risk_count=Count("risks", distinct=True),
                macro_process_count=Count("risks__macro_process", distinct=True),
                business_interviews=Count(
                    "interviews", filter=Q(interviews__function_type=FunctionType.BUSINESS), distinct=True
                ),
                support_interviews=Count(
                    "interviews", filter=Q(interviews__function_type=FunctionType.SUPPORT), distinct=True
                ),
            )
            .prefetch_related(
                Prefetch(
                    "risks",
                    queryset=Risk.objects.select_related("macro_process").order_by(
                        "-net_score", "-gross_score", "code"
                    ),
                )
            )
            .order_by("kind", "-version")
        )

    # The counts are annotations of get_queryset(): a created or changed map is read back through it, or its
    # answer would lack them.
    def perform_create(self, serializer: serializers.BaseSerializer[RiskMap]) -> None:
        serializer.instance = self.get_queryset().get(pk=serializer.save().pk)

    def perform_update(self, serializer: serializers.BaseSerializer[RiskMap]) -> None:
        serializer.instance = self.get_queryset().get(pk=serializer.save().pk)

    def get_permissions(self) -> Sequence[_SupportsHasPermission]:
        if self.action in ("new_version", "approve"):
            return [TransitionPermissions()]
        return super().get_permissions()

    def _read_back(self, pk: int, status: int = 200) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=pk)).data, status=status)

    @extend_schema(
        summary="New version from this one",
        request=NewVersionInput,
        description="A copy of this version with its risks (not its interviews), numbered after the last "
        "version of its kind.",
        responses={201: RiskMapSerializer, **_ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="new-version")
    def new_version(self, request: Request, pk: str | None = None) -> Response:
        data = NewVersionInput(data=request.data)
        data.is_valid(raise_exception=True)
        source = self.get_object()
        created = services.risk_map_create(actor=request.user, kind=source.kind, based_on=source, **data.validated_data)
        return self._read_back(created.pk, status=201)

    @extend_schema(
        summary="Approve",
        request=ApproveInput,
        responses={200: RiskMapSerializer, **_ERRORS},
        description="Approved by the caller; the version is frozen from then on.",
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        data = ApproveInput(data=request.data)
        data.is_valid(raise_exception=True)
        risk_map = self.get_object()
        services.risk_map_approve(actor=request.user, risk_map=risk_map, **data.validated_data)
        return self._read_back(risk_map.pk)

    @extend_schema(
        summary="Export XLSX",
        responses=file_download(
            XLSX_CONTENT_TYPE, "The map version as a workbook (XLSX): the risks, the two heat maps, the interviews."
        ),
        description="Risks ranked by net score, the gross and net heat maps, the interviews.",
    )
    @action(detail=True, methods=["get"])
    def export(self, request: Request, pk: str | None = None) -> Any:
        from django.http import HttpResponse

        risk_map = self.get_object()
        response = HttpResponse(risk_map_xlsx(risk_map), content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{export_filename(risk_map)}"'
        return response


# --- interviews -------------------------------------------------------------------------------------------


class RiskInterviewSerializer(ModelSerializer):
    map = serializers.PrimaryKeyRelatedField(queryset=RiskMap.objects.all(), help_text="The map version's id.")
    macro_process = serializers.PrimaryKeyRelatedField(
        queryset=MacroProcess.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = RiskInterview
        fields = ["id", "map", "held_on", "function", "function_type", "macro_process", "notes"]

    def create(self, validated_data: dict[str, Any]) -> RiskInterview:
        return services.risk_interview_record(
            actor=self.context["request"].user, risk_map=validated_data.pop("map"), **validated_data
        )


@extend_schema_view(
    list=extend_schema(summary="Risk interviews", description="Filter by `map`, `function_type`, `macro_process`.")
)
class RiskInterviewViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Interviews held to build a map version (recorded, not edited)."""

    serializer_class = RiskInterviewSerializer
    queryset = RiskInterview.objects.select_related("map", "macro_process").order_by("map", "held_on", "pk")
    filterset_fields = ["map", "function_type", "macro_process"]
    search_fields = ["function"]


ROUTES: list = [
    ("risk-maps", RiskMapViewSet, "riskmap"),
    ("macro-processes", MacroProcessViewSet, "macroprocess"),
    ("risk-interviews", RiskInterviewViewSet, "riskinterview"),
]
