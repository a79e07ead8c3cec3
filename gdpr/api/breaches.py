"""API of the breach register: `/api/gdpr/breaches/`, writes through gdpr.services.breaches.

`notification_due_at` is computed (awareness + 72 hours) and every state change is a POST action:
`/assess/`, `/decide/`, `/notify/`, `/inform-subjects/`, `/record-exemption/`, `/close/`. Datetimes are
ISO 8601 with their offset (Paris time). ROUTES lists (prefix, viewset, basename) for gdpr/api/urls.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import django_filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.filters import FilterSet, StrictBooleanFilter, YearFilter
from core.api.permissions import TransitionPermissions
from core.api.serializers import DateTimeField, ModelSerializer
from organization.api.fields import EntityCodeField, entity_code_filter

from ..choices import NotificationPhase, RiskLevel, SubjectsExemption
from ..models import Breach, BreachNotification
from ..services import breaches as services

if TYPE_CHECKING:
    from ..models.breaches import BreachQuerySet


class BreachNotificationSerializer(ModelSerializer):
    class Meta:
        model = BreachNotification
        fields = ["id", "phase", "sent_at", "cnil_reference", "content"]
        read_only_fields = fields


class BreachSerializer(ModelSerializer):
    entity_code = EntityCodeField(source="entity")
    reference = serializers.CharField(
        max_length=64, required=False, allow_blank=True, help_text="Generated (BR-YYYY-NNN) when not given."
    )
    notified_within_72h = serializers.BooleanField(
        read_only=True, allow_null=True, help_text="Null while not notified."
    )
    clock_explanation = serializers.SerializerMethodField(help_text="How the deadline was computed.")
    notifications = BreachNotificationSerializer(many=True, read_only=True)

    class Meta:
        model = Breach
        fields = [
            "id",
            "reference",
            "title",
            "entity_code",
            "description",
            "occurred_at",
            "aware_at",
            "processor_aware_at",
            "processor_informed_at",
            "notification_due_at",
            "clock_explanation",
            "risk_level",
            "risk_reasoning",
            "high_risk",
            "notification_required",
            "decision_reasoning",
            "notified_at",
            "notified_within_72h",
            "cnil_notification_reference",
            "delay_reasons",
            "subjects_informed_at",
            "subjects_exemption",
            "subjects_exemption_reasoning",
            "subject_categories",
            "subjects_count",
            "data_categories",
            "records_count",
            "likely_consequences",
            "measures",
            "closed_at",
            "notifications",
        ]
        # State and computed columns change only through the POST actions.
        read_only_fields = [
            "notification_due_at",
            "risk_level",
            "risk_reasoning",
            "high_risk",
            "notification_required",
            "decision_reasoning",
            "notified_at",
            "cnil_notification_reference",
            "delay_reasons",
            "subjects_informed_at",
            "subjects_exemption",
            "subjects_exemption_reasoning",
            "closed_at",
        ]

    def get_clock_explanation(self, obj: Breach) -> str:
        return services.breach_clock_explanation(obj)

    # The services validate and write; the serializer only parses.
    def create(self, validated_data: dict[str, Any]) -> Breach:
        return services.breach_create(actor=self.context["request"].user, **validated_data)

    def update(self, instance: Breach, validated_data: dict[str, Any]) -> Breach:
        return services.breach_update(actor=self.context["request"].user, breach=instance, **validated_data)


class AssessSerializer(serializers.Serializer):
    risk_level = serializers.ChoiceField(choices=RiskLevel.choices)
    reasoning = serializers.CharField(help_text="Why this level (facts, data, people, consequences).")
    high_risk = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="Art. 34; follows risk_level when not given."
    )


class DecideSerializer(serializers.Serializer):
    notification_required = serializers.BooleanField()
    reasoning = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Required when not notifying (Art. 33(5))."
    )


class NotifySerializer(serializers.Serializer):
    sent_at = DateTimeField()
    phase = serializers.ChoiceField(choices=NotificationPhase.choices, default=NotificationPhase.INITIAL)
    cnil_reference = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    content = serializers.CharField(required=False, allow_blank=True, default="")
    delay_reasons = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Required after the 72 hours (Art. 33(1))."
    )


class InformSubjectsSerializer(serializers.Serializer):
    informed_at = DateTimeField()


EXEMPTIONS = [choice for choice in SubjectsExemption.choices if choice[0]]


# Inline in the schema: as a component it would be a second name for the choices of `subjects_exemption`.
@extend_schema_field({"type": "string", "enum": [code for code, _label in EXEMPTIONS]})
class ExemptionField(serializers.ChoiceField):
    pass


class ExemptionSerializer(serializers.Serializer):
    exemption = ExemptionField(choices=EXEMPTIONS, help_text="The Art. 34(3) point relied on: (a), (b) or (c).")
    reasoning = serializers.CharField()


class CloseSerializer(serializers.Serializer):
    closed_at = DateTimeField(required=False, allow_null=True, default=None)


class BreachFilter(FilterSet):
    reference = django_filters.CharFilter()
    notified = StrictBooleanFilter(field_name="notified_at", lookup_expr="isnull", exclude=True)
    overdue = StrictBooleanFilter(
        method="filter_overdue", label="72 hours passed, not notified and no decision not to notify"
    )
    late = StrictBooleanFilter(method="filter_late", label="Notified after the 72 hours")
    aware_year = YearFilter(method="filter_aware_year", label="Year of awareness (Paris time)")
    risk_level = django_filters.ChoiceFilter(choices=RiskLevel.choices)
    notification_required = StrictBooleanFilter()
    closed = StrictBooleanFilter(field_name="closed_at", lookup_expr="isnull", exclude=True)
    entity = entity_code_filter()

    class Meta:
        model = Breach
        fields = [
            "reference",
            "notified",
            "overdue",
            "late",
            "aware_year",
            "risk_level",
            "notification_required",
            "closed",
            "entity",
        ]

    def filter_overdue(self, queryset: BreachQuerySet, name: str, value: bool) -> BreachQuerySet:
        overdue = Breach.objects.overdue()
        return queryset.filter(pk__in=overdue.values("pk")) if value else queryset.exclude(pk__in=overdue.values("pk"))

    def filter_late(self, queryset: BreachQuerySet, name: str, value: bool) -> BreachQuerySet:
        return queryset.notified_late() if value else queryset.notified_within_72h()

    def filter_aware_year(self, queryset: BreachQuerySet, name: str, value: Any) -> BreachQuerySet:
        return queryset.aware_in(int(value))


def _transition(summary: str, request: type[serializers.Serializer], *, returns: Any = None) -> Any:
    return extend_schema(
        summary=summary,
        request=request,
        responses={200: returns or BreachSerializer, 400: OpenApiResponse(description="Field messages.")},
    )


@extend_schema_view(
    list=extend_schema(summary="The breach register: every breach, notified or not (Art. 33(5))"),
    create=extend_schema(summary="Record a breach and start its 72-hour clock at awareness"),
)
@extend_schema(tags=["gdpr"])
class BreachViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Personal-data breaches. Not deletable: the register keeps every breach (Art. 33(5))."""

    queryset = Breach.objects.select_related("entity").prefetch_related("notifications").order_by("-aware_at", "-pk")
    serializer_class = BreachSerializer
    filterset_class = BreachFilter

    def _apply(
        self, request: Request, payload_class: type[serializers.Serializer], service: Any, **extra: Any
    ) -> Response:
        breach = self.get_object()
        payload = payload_class(data=request.data)
        payload.is_valid(raise_exception=True)
        service(actor=request.user, breach=breach, **payload.validated_data, **extra)
        # Re-read with the prefetch, so the answer shows the notifications just recorded.
        return Response(self.get_serializer(self.get_queryset().get(pk=breach.pk)).data)

    @_transition("Assess the risk to people", AssessSerializer)
    @action(detail=True, methods=["post"], permission_classes=[TransitionPermissions])
    def assess(self, request: Request, pk: str | None = None) -> Response:
        return self._apply(request, AssessSerializer, services.breach_assess)

    @_transition("Decide whether to notify the CNIL (reasoning required when not)", DecideSerializer)
    @action(detail=True, methods=["post"], permission_classes=[TransitionPermissions])
    def decide(self, request: Request, pk: str | None = None) -> Response:
        return self._apply(request, DecideSerializer, services.breach_decide)

    @_transition("Record a notification to the CNIL (initial or complementary)", NotifySerializer)
    @action(detail=True, methods=["post"], permission_classes=[TransitionPermissions])
    def notify(self, request: Request, pk: str | None = None) -> Response:
        return self._apply(request, NotifySerializer, services.breach_notify)

    @_transition("Record when the data subjects were informed (Art. 34)", InformSubjectsSerializer)
    @action(detail=True, methods=["post"], url_path="inform-subjects", permission_classes=[TransitionPermissions])
    def inform_subjects(self, request: Request, pk: str | None = None) -> Response:
        return self._apply(request, InformSubjectsSerializer, services.breach_inform_subjects)

    @_transition("Record an Art. 34(3) exemption from informing the data subjects", ExemptionSerializer)
    @action(detail=True, methods=["post"], url_path="record-exemption", permission_classes=[TransitionPermissions])
    def record_exemption(self, request: Request, pk: str | None = None) -> Response:
        return self._apply(request, ExemptionSerializer, services.breach_record_exemption)

    @_transition("Close a complete breach file", CloseSerializer)
    @action(detail=True, methods=["post"], permission_classes=[TransitionPermissions])
    def close(self, request: Request, pk: str | None = None) -> Response:
        return self._apply(request, CloseSerializer, services.breach_close)


ROUTES: list = [("breaches", BreachViewSet, "breach")]
