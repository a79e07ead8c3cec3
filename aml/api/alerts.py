"""API of the vigilance alerts: `/api/aml/alerts/`, writes through aml.services.alerts.

A POST on the collection raises an alert (an operational system's). The analysis moves by POST actions on
the alert, never by a writable status: `assign/` (an analyst of the AML/CFT function), `decide/` (closed,
enhanced examination, or its outcome; multipart when a TRACFIN file comes with a report), `enhanced-report/`
(the written report of an enhanced examination, with its file: multipart) and `tracfin-report/` (the
decision to report to TRACFIN with its date, reference and file: multipart). The files themselves are
downloaded from the admin (no media URL is served). Sealed (aml/apps.py): anyone outside the AML/CFT
function gets 404 on these paths.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import django_filters
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.filters import FilterSet, StrictBooleanFilter, YearFilter
from core.api.permissions import TransitionPermissions
from core.api.serializers import DateTimeField, ModelSerializer
from core.api.user_fields import EligibleUserField, UserNameField

from ..choices import AlertSource, AlertStatus, Decision
from ..models import Alert, Counterparty, Hit
from ..services import alerts as services
from .fields import EntityCodeField


class AlertSerializer(ModelSerializer):
    reference = serializers.CharField(
        max_length=32, required=False, allow_blank=True, help_text="Generated (LCB-YYYY-NNNN) when not given."
    )
    raised_at = DateTimeField(required=False, help_text="Now when not given.")
    counterparty = serializers.SlugRelatedField(
        slug_field="reference",
        queryset=Counterparty.objects.all(),
        allow_null=True,
        required=False,
        help_text="The counterparty's reference.",
    )
    entity = EntityCodeField(required=False)
    hit = serializers.PrimaryKeyRelatedField[Hit](read_only=True, help_text="The screening hit that raised the alert.")
    analyst = serializers.SlugRelatedField[User](slug_field="username", read_only=True)
    analyst_display = UserNameField(source="analyst", help_text="The analyst, by name.")
    decided_by = serializers.SlugRelatedField[User](slug_field="username", read_only=True)
    decided_by_display = UserNameField(source="decided_by", help_text="Who decided, by name.")
    is_overdue = serializers.SerializerMethodField(help_text="Not decided and past its analysis due date.")
    enhanced_report_file = serializers.SerializerMethodField(help_text="The report file's name, if one is kept.")
    tracfin_file = serializers.SerializerMethodField(help_text="The name of the file sent to TRACFIN, if kept.")

    class Meta:
        model = Alert
        fields = [
            "id",
            "reference",
            "raised_at",
            "source",
            "reason",
            "counterparty",
            "amount_eur",
            "entity",
            "hit",
            "status",
            "analyst",
            "analyst_display",
            "analysis_due_on",
            "is_overdue",
            "decision",
            "decided_on",
            "decided_by",
            "decided_by_display",
            "decision_reason",
            "enhanced_report",
            "enhanced_report_on",
            "enhanced_report_file",
            "tracfin_reported_on",
            "tracfin_reference",
            "tracfin_file",
            "records_kept_from",
        ]
        read_only_fields = [
            "status",
            "analysis_due_on",
            "decision",
            "decided_on",
            "decision_reason",
            "enhanced_report",
            "enhanced_report_on",
            "tracfin_reported_on",
            "tracfin_reference",
            "records_kept_from",
        ]

    def get_is_overdue(self, obj: Alert) -> bool:
        return obj.status != AlertStatus.DECIDED and obj.analysis_due_on < timezone.localdate()

    def get_enhanced_report_file(self, obj: Alert) -> str | None:
        return Path(obj.enhanced_report_file.name or "").name or None

    def get_tracfin_file(self, obj: Alert) -> str | None:
        return Path(obj.tracfin_file.name or "").name or None

    # The services validate and write; the serializer only parses.
    def create(self, validated_data: dict[str, Any]) -> Alert:
        return services.alert_raise(actor=self.context["request"].user, **validated_data)


class AlertAssignSerializer(serializers.Serializer):
    analyst = EligibleUserField(Alert, help_text="The login of a member of the AML/CFT function.")


class AlertDecideSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=Decision.choices)
    decided_on = serializers.DateField()
    reason = serializers.CharField(help_text="The reasons for the decision.")
    tracfin_reported_on = serializers.DateField(
        required=False, allow_null=True, help_text="Required with the decision to report to TRACFIN."
    )
    tracfin_reference = serializers.CharField(required=False, allow_blank=True, max_length=64)
    tracfin_file = serializers.FileField(required=False, allow_null=True, help_text="The report sent to TRACFIN.")


class AlertTracfinReportSerializer(serializers.Serializer):
    decided_on = serializers.DateField()
    reason = serializers.CharField(help_text="The reasons for the report.")
    tracfin_reported_on = serializers.DateField(help_text="The date the report was sent to TRACFIN.")
    tracfin_reference = serializers.CharField(required=False, allow_blank=True, max_length=64)
    tracfin_file = serializers.FileField(required=False, allow_null=True, help_text="The report sent to TRACFIN.")


class AlertEnhancedReportSerializer(serializers.Serializer):
    report = serializers.CharField(help_text="The written report of the enhanced examination.")
    written_on = serializers.DateField()
    file = serializers.FileField(required=False, allow_null=True, help_text="The signed report, if any.")


class AlertFilter(FilterSet):
    reference = django_filters.CharFilter()
    status = django_filters.ChoiceFilter(choices=AlertStatus.choices)
    decision = django_filters.ChoiceFilter(choices=Decision.choices)
    source = django_filters.ChoiceFilter(choices=AlertSource.choices)
    raised_year = YearFilter(field_name="raised_at", lookup_expr="year")
    overdue = StrictBooleanFilter(method="filter_overdue", label="Not decided, past its analysis due date")
    assigned_to_me = StrictBooleanFilter(method="filter_assigned_to_me", label="Assigned to the signed-in user")

    class Meta:
        model = Alert
        fields = ["reference", "status", "decision", "source", "raised_year", "overdue", "assigned_to_me"]

    def filter_overdue(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        overdue = Alert.objects.overdue().values("pk")
        return queryset.filter(pk__in=overdue) if value else queryset.exclude(pk__in=overdue)

    def filter_assigned_to_me(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        user = self.request.user if self.request is not None else None
        mine = {"analyst_id": getattr(user, "pk", None)}
        return queryset.filter(**mine) if value else queryset.exclude(**mine)


def _action(summary: str, payload: type[serializers.Serializer]) -> Any:
    return extend_schema(
        summary=summary,
        request=payload,
        responses={200: AlertSerializer, 400: OpenApiResponse(description="Field messages.")},
    )


@extend_schema_view(
    list=extend_schema(summary="Vigilance alerts"),
    create=extend_schema(summary="Raise a vigilance alert"),
)
@extend_schema(tags=["aml"])
class AlertViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Vigilance alerts. Not editable nor deletable: they move by their actions and are kept as evidence."""

    queryset = Alert.objects.select_related("counterparty", "entity", "analyst", "decided_by").order_by(
        "-raised_at", "-pk"
    )
    serializer_class = AlertSerializer
    filterset_class = AlertFilter
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def _run(self, request: Request, payload_class: type[serializers.Serializer], service: Any) -> Response:
        alert = self.get_object()
        payload = payload_class(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        service(actor=request.user, alert=alert, **payload.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=alert.pk)).data, status=status.HTTP_200_OK)

    @_action("Assign the analysis to a member of the AML/CFT function", AlertAssignSerializer)
    @action(detail=True, methods=["post"], permission_classes=[TransitionPermissions])
    def assign(self, request: Request, pk: str | None = None) -> Response:
        return self._run(request, AlertAssignSerializer, services.alert_assign)

    @_action(
        "Decide the alert (closed, enhanced examination, report to TRACFIN) or an examination's outcome",
        AlertDecideSerializer,
    )
    @action(detail=True, methods=["post"], permission_classes=[TransitionPermissions])
    def decide(self, request: Request, pk: str | None = None) -> Response:
        return self._run(request, AlertDecideSerializer, services.alert_decide)

    @_action(
        "Keep the written report of an enhanced examination (multipart with its file)", AlertEnhancedReportSerializer
    )
    @action(detail=True, methods=["post"], url_path="enhanced-report", permission_classes=[TransitionPermissions])
    def enhanced_report(self, request: Request, pk: str | None = None) -> Response:
        return self._run(request, AlertEnhancedReportSerializer, services.alert_write_enhanced_report)

    @_action(
        "Decide to report to TRACFIN, with the report's date, reference and file (multipart)",
        AlertTracfinReportSerializer,
    )
    @action(detail=True, methods=["post"], url_path="tracfin-report", permission_classes=[TransitionPermissions])
    def tracfin_report(self, request: Request, pk: str | None = None) -> Response:
        return self._run(request, AlertTracfinReportSerializer, services.alert_report_tracfin)


ROUTES: list[tuple[str, Any, str]] = [("alerts", AlertViewSet, "aml-alert")]
