"""API of the conflict-of-interest cases and their action items: `/api/compliance/coi-cases/` and
`/api/compliance/action-items/`, writes through compliance.services.cases.

Transitions are POST actions on the case (`start-analysis/`, `qualify/`, `add-measure/`, `close/`,
`reopen/`, `link-risks/`, and `qualify-corruption/`: a confirmed case becomes a corruption incident, ESRS
G1-4), never a writable status. The reporter's identity, and the identities of the employees concerned
kept when the roster anonymised them (read-only), are omitted for anyone but compliance officers
(`coi_case_reporter_readable_by`). ROUTES lists (prefix, viewset, basename) for compliance/api/urls.py.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.filters import FilterSet, IntegerFilter, StrictBooleanFilter, YearFilter
from core.api.permissions import TransitionPermissions
from core.api.serializers import ModelSerializer, Serializer
from core.api.user_fields import UserNameField
from organization.models import Employee, LegalEntity

from ..choices import CaseStatus, CorruptionNature, MeasureKind, Qualification
from ..models import ActionItem, CaseMeasure, ConflictOfInterestCase, CorruptionIncident, MacroProcess, Risk
from ..querysets import ActionItemQuerySet, CaseQuerySet
from ..services import cases as services, corruption as corruption_services
from ..services.cases import coi_case_reporter_readable_by
from .corruption import CorruptionIncidentSerializer

#: Omitted for anyone but compliance officers (declared on the model).
CONFIDENTIAL_FIELDS = ConflictOfInterestCase.confidential_fields.fields


class CaseMeasureSerializer(ModelSerializer):
    class Meta:
        model = CaseMeasure
        fields = ["id", "kind", "decided_on", "description"]
        read_only_fields = fields


class ActionItemSerializer(ModelSerializer):
    case = serializers.SlugRelatedField(
        slug_field="reference", queryset=ConflictOfInterestCase.objects.all(), allow_null=True, required=False
    )
    owner = serializers.SlugRelatedField[User](slug_field="username", read_only=True)
    owner_display = UserNameField(source="owner", help_text="The user who owns the action, by name.")
    is_overdue = serializers.SerializerMethodField(help_text="Not done and past its due date.")

    class Meta:
        model = ActionItem
        fields = [
            "id",
            "case",
            "risk",
            "title",
            "owner",
            "owner_display",
            "owner_name",
            "due_on",
            "done_on",
            "is_overdue",
            "evidence",
        ]
        read_only_fields = ["done_on"]

    def get_is_overdue(self, obj: ActionItem) -> bool:
        return obj.done_on is None and obj.due_on < timezone.localdate()

    def create(self, validated_data: dict[str, Any]) -> ActionItem:
        return services.action_item_create(actor=self.context["request"].user, **validated_data)


class CaseSerializer(ModelSerializer):
    reference = serializers.CharField(
        max_length=32, required=False, allow_blank=True, help_text="Generated (COI-YYYY-NNN) when not given."
    )
    entity = serializers.SlugRelatedField(
        slug_field="code", queryset=LegalEntity.objects.all(), allow_null=True, required=False
    )
    macro_process = serializers.PrimaryKeyRelatedField(
        queryset=MacroProcess.objects.all(), allow_null=True, required=False
    )
    reporter_employee = serializers.SlugRelatedField(
        slug_field="employee_id",
        queryset=Employee.objects.all(),
        allow_null=True,
        required=False,
        help_text="Omitted for anyone but compliance officers.",
    )
    persons_concerned = serializers.SlugRelatedField(
        slug_field="employee_id", queryset=Employee.objects.all(), many=True, required=False
    )
    qualified_by = serializers.SlugRelatedField[User](slug_field="username", read_only=True)
    qualified_by_display = UserNameField(source="qualified_by", help_text="Who qualified the case, by name.")
    is_analysis_overdue = serializers.SerializerMethodField(help_text="Not qualified and past its analysis due date.")
    measures = CaseMeasureSerializer(many=True, read_only=True)
    action_items = ActionItemSerializer(many=True, read_only=True)
    risks = serializers.PrimaryKeyRelatedField[Risk](many=True, read_only=True)
    corruption_incident = serializers.SlugRelatedField[CorruptionIncident](
        slug_field="reference",
        read_only=True,
        allow_null=True,
        help_text="The corruption incident (ESRS G1-4) the case was qualified as, if any.",
    )

    class Meta:
        model = ConflictOfInterestCase
        fields = [
            "id",
            "reference",
            "reported_on",
            "source",
            "reporter_employee",
            "reporter_name",
            "persons_concerned",
            "persons_concerned_identities",
            "third_parties",
            "entity",
            "macro_process",
            "dossier_type",
            "dossier_reference",
            "description",
            "status",
            "analysis_due_on",
            "is_analysis_overdue",
            "qualification",
            "qualified_on",
            "qualified_by",
            "qualified_by_display",
            "analysis",
            "justification",
            "closed_on",
            "measures",
            "action_items",
            "risks",
            "corruption_incident",
        ]
        read_only_fields = [
            "status",
            "analysis_due_on",
            "qualification",
            "qualified_on",
            "analysis",
            "justification",
            "closed_on",
        ]

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        request = self.context.get("request")
        if request is None or not coi_case_reporter_readable_by(request.user):
            for name in CONFIDENTIAL_FIELDS:
                fields.pop(name, None)
        return fields

    def get_is_analysis_overdue(self, obj: ConflictOfInterestCase) -> bool:
        return obj.status in (CaseStatus.RECEIVED, CaseStatus.UNDER_ANALYSIS) and (
            obj.analysis_due_on < timezone.localdate()
        )

    # The services validate and write; the serializer only parses.
    def create(self, validated_data: dict[str, Any]) -> ConflictOfInterestCase:
        return services.coi_case_create(actor=self.context["request"].user, **validated_data)

    def update(self, instance: ConflictOfInterestCase, validated_data: dict[str, Any]) -> ConflictOfInterestCase:
        validated_data.pop("reference", None)
        validated_data.pop("reported_on", None)
        return services.coi_case_update(actor=self.context["request"].user, case=instance, **validated_data)


class CoiStartAnalysisSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=90)


class CoiQualifySerializer(serializers.Serializer):
    qualification = serializers.ChoiceField(choices=Qualification.choices)
    qualified_on = serializers.DateField()
    analysis = serializers.CharField(required=False, allow_blank=True)


class CoiAddMeasureSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=MeasureKind.choices)
    decided_on = serializers.DateField()
    description = serializers.CharField(required=False, allow_blank=True)
    justification = serializers.CharField(
        required=False, allow_blank=True, help_text="Required for a measure on a case qualified unfounded."
    )


class CoiCloseSerializer(serializers.Serializer):
    closed_on = serializers.DateField()
    justification = serializers.CharField(
        required=False, allow_blank=True, help_text="Required to close a confirmed case without any measure."
    )


class CoiReopenSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True)


class CoiQualifyCorruptionSerializer(serializers.Serializer):
    nature = serializers.ChoiceField(choices=CorruptionNature.choices)
    confirmed_on = serializers.DateField()
    description = serializers.CharField(
        required=False, allow_blank=True, help_text="The facts, without naming anyone (the people are in the case)."
    )
    partner_contract_terminated = serializers.BooleanField(required=False, default=False)


class CoiLinkRisksSerializer(Serializer):
    risks = serializers.PrimaryKeyRelatedField(queryset=Risk.objects.all(), many=True)


class CaseFilter(FilterSet):
    reference = django_filters.CharFilter()
    status = django_filters.ChoiceFilter(choices=CaseStatus.choices)
    qualification = django_filters.ChoiceFilter(choices=Qualification.choices)
    measure = django_filters.ChoiceFilter(choices=MeasureKind.choices, method="filter_measure")
    reported_year = YearFilter(field_name="reported_on", lookup_expr="year")
    analysis_overdue = StrictBooleanFilter(
        method="filter_analysis_overdue", label="Not qualified, past its analysis due date"
    )

    class Meta:
        model = ConflictOfInterestCase
        fields = ["reference", "status", "qualification", "measure", "reported_year", "analysis_overdue"]

    def filter_measure(self, queryset: CaseQuerySet, name: str, value: str) -> CaseQuerySet:
        return queryset.with_measure(value)

    def filter_analysis_overdue(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        overdue = ConflictOfInterestCase.objects.analysis_overdue().values("pk")
        return queryset.filter(pk__in=overdue) if value else queryset.exclude(pk__in=overdue)


class ActionItemFilter(FilterSet):
    case = django_filters.CharFilter(field_name="case__reference", label="Reference of the case")
    overdue = StrictBooleanFilter(method="filter_overdue", label="Not done and past its due date")
    done = StrictBooleanFilter(field_name="done_on", lookup_expr="isnull", exclude=True)
    due_within = IntegerFilter(
        method="filter_due_within",
        min_value=0,
        max_value=3650,
        label="Not done and due within this many days (overdue included)",
    )

    class Meta:
        model = ActionItem
        fields = ["case", "overdue", "done", "due_within"]

    def filter_overdue(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        overdue = ActionItem.objects.overdue().values("pk")
        return queryset.filter(pk__in=overdue) if value else queryset.exclude(pk__in=overdue)

    def filter_due_within(self, queryset: ActionItemQuerySet, name: str, value: Any) -> ActionItemQuerySet:
        return queryset.due_within(int(value))


def _transition(summary: str, payload: type[serializers.Serializer]) -> Any:
    return extend_schema(
        summary=summary,
        request=payload,
        responses={200: CaseSerializer, 400: OpenApiResponse(description="Field messages.")},
    )


@extend_schema_view(
    list=extend_schema(summary="Conflict-of-interest cases"),
    create=extend_schema(summary="Record a suspicion of conflict of interest"),
)
@extend_schema(tags=["compliance"])
class CaseViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Conflict-of-interest cases. Not deletable: they are evidence of the compliance programme."""

    queryset = (
        ConflictOfInterestCase.objects.select_related(
            "entity", "reporter_employee", "qualified_by", "corruption_incident"
        )
        .prefetch_related(
            "measures",
            "action_items__owner",
            "action_items__case",
            "persons_concerned",
            "risks",
        )
        .order_by("-reported_on", "reference")
    )
    serializer_class = CaseSerializer
    filterset_class = CaseFilter

    def _run(self, request: Request, payload_class: type[serializers.Serializer], service: Any) -> Response:
        case = self.get_object()
        payload = payload_class(data=request.data)
        payload.is_valid(raise_exception=True)
        service(actor=request.user, case=case, **payload.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=case.pk)).data, status=status.HTTP_200_OK)

    @_transition("Start the analysis", CoiStartAnalysisSerializer)
    @action(detail=True, methods=["post"], url_path="start-analysis", permission_classes=[TransitionPermissions])
    def start_analysis(self, request: Request, pk: str | None = None) -> Response:
        return self._run(request, CoiStartAnalysisSerializer, services.coi_case_start_analysis)

    @_transition("Qualify the case (unfounded, potential, confirmed)", CoiQualifySerializer)
    @action(detail=True, methods=["post"], permission_classes=[TransitionPermissions])
    def qualify(self, request: Request, pk: str | None = None) -> Response:
        return self._run(request, CoiQualifySerializer, services.coi_case_qualify)

    @_transition("Record a measure decided on a qualified case", CoiAddMeasureSerializer)
    @action(detail=True, methods=["post"], url_path="add-measure", permission_classes=[TransitionPermissions])
    def add_measure(self, request: Request, pk: str | None = None) -> Response:
        return self._run(request, CoiAddMeasureSerializer, services.coi_case_add_measure)

    @_transition("Close a qualified case", CoiCloseSerializer)
    @action(detail=True, methods=["post"], permission_classes=[TransitionPermissions])
    def close(self, request: Request, pk: str | None = None) -> Response:
        return self._run(request, CoiCloseSerializer, services.coi_case_close)

    @_transition("Reopen a closed case, with a reason", CoiReopenSerializer)
    @action(detail=True, methods=["post"], permission_classes=[TransitionPermissions])
    def reopen(self, request: Request, pk: str | None = None) -> Response:
        return self._run(request, CoiReopenSerializer, services.coi_case_reopen)

    @extend_schema(
        summary="Qualify a confirmed case as corruption: records the incident ESRS G1-4 counts",
        request=CoiQualifyCorruptionSerializer,
        responses={201: CorruptionIncidentSerializer, 400: OpenApiResponse(description="Field messages.")},
    )
    @action(detail=True, methods=["post"], url_path="qualify-corruption", permission_classes=[TransitionPermissions])
    def qualify_corruption(self, request: Request, pk: str | None = None) -> Response:
        case = self.get_object()
        payload = CoiQualifyCorruptionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        incident = corruption_services.coi_case_qualify_as_corruption(
            actor=request.user, case=case, **payload.validated_data
        )
        return Response(
            CorruptionIncidentSerializer(incident, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    @_transition("Link a qualified case to the risks it materialised", CoiLinkRisksSerializer)
    @action(detail=True, methods=["post"], url_path="link-risks", permission_classes=[TransitionPermissions])
    def link_risks(self, request: Request, pk: str | None = None) -> Response:
        return self._run(request, CoiLinkRisksSerializer, services.coi_case_link_risks)


class ActionItemCompleteSerializer(serializers.Serializer):
    done_on = serializers.DateField()
    evidence = serializers.CharField(required=False, allow_blank=True)


@extend_schema(tags=["compliance"])
class ActionItemViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Action items of the plans (on a case or a risk); completed by the `complete/` action."""

    queryset = ActionItem.objects.select_related("case", "owner").order_by("due_on", "pk")
    serializer_class = ActionItemSerializer
    filterset_class = ActionItemFilter

    @extend_schema(
        summary="Mark an action item done, with its evidence",
        request=ActionItemCompleteSerializer,
        responses={200: ActionItemSerializer, 400: OpenApiResponse(description="Field messages.")},
    )
    @action(detail=True, methods=["post"], permission_classes=[TransitionPermissions])
    def complete(self, request: Request, pk: str | None = None) -> Response:
        item = self.get_object()
        payload = ActionItemCompleteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        item = services.action_item_complete(actor=request.user, item=item, **payload.validated_data)
        return Response(self.get_serializer(item).data, status=status.HTTP_200_OK)


ROUTES: list = [("coi-cases", CaseViewSet, "coi-case"), ("action-items", ActionItemViewSet, "action-item")]
