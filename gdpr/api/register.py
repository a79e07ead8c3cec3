"""API of the Art. 30 register: `/api/gdpr/processing-activities/`, its `retire` and `review` actions
and `export/?date=YYYY-MM-DD` (the register at a date as XLSX, Art. 30(4)). Writes go through
gdpr.services; ROUTES lists (prefix, viewset, basename) for gdpr/api/urls.py."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

import django_filters
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.filters import FilterSet, StrictBooleanFilter
from core.api.permissions import TransitionPermissions
from core.api.schema import file_download
from core.api.serializers import ModelSerializer
from organization.api.fields import EntityCodeField, entity_code_filter

from ..exports.register import CONTENT_TYPE, register_on, register_response
from ..models import ProcessingActivity
from ..services.register import (
    EDITABLE_FIELDS,
    processing_activity_create,
    processing_activity_retire,
    processing_activity_review,
    processing_activity_update,
)

if TYPE_CHECKING:
    from rest_framework.serializers import BaseSerializer

    from ..models.register import ProcessingActivityQuerySet


#: The editable fields, the entity by its code.
_API_FIELDS = [name if name != "entity" else "entity_code" for name in EDITABLE_FIELDS]


class ProcessingActivitySerializer(ModelSerializer):
    entity_code = EntityCodeField(
        source="entity",
        help_text="Code of the legal entity whose register holds the activity; the parent company when not given.",
    )
    registered_on = serializers.DateField(
        required=False, help_text="Day the activity entered the register; today when not given."
    )
    active = serializers.SerializerMethodField(help_text="In the register today.")
    review_due_on = serializers.DateField(read_only=True, help_text="Last review (or entry) + the review period.")
    review_overdue = serializers.SerializerMethodField()

    class Meta:
        model = ProcessingActivity
        fields = ["id", *_API_FIELDS, "retired_on", "retired_reason", "active", "review_due_on", "review_overdue"]
        # Retirement is a transition (POST .../retire/), never a field to write.
        read_only_fields = ["retired_on", "retired_reason"]

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_active(self, obj: ProcessingActivity) -> bool:
        return obj.in_register_on(timezone.localdate())

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_review_overdue(self, obj: ProcessingActivity) -> bool:
        return obj.review_overdue()


class RetireSerializer(serializers.Serializer):
    retired_on = serializers.DateField(help_text="First day the activity is no longer in the register.")
    reason = serializers.CharField(help_text="Why the activity leaves the register.")


class ReviewSerializer(serializers.Serializer):
    reviewed_on = serializers.DateField(required=False, help_text="Day of the review; today when not given.")
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ExportQuerySerializer(serializers.Serializer):
    date = serializers.DateField(required=False, help_text="The register on this day (YYYY-MM-DD); today by default.")
    entity = EntityCodeField(
        required=False, help_text="The register of this legal entity (its code); every entity's by default."
    )


class ProcessingActivityFilter(FilterSet):
    reference = django_filters.CharFilter()
    active_on = django_filters.DateFilter(method="filter_active_on", label="In the register on (YYYY-MM-DD)")
    review_overdue = StrictBooleanFilter(method="filter_review_overdue", label="Review overdue today")
    dpia_missing = StrictBooleanFilter(method="filter_dpia_missing", label="DPIA required and not done")
    entity = entity_code_filter()

    class Meta:
        model = ProcessingActivity
        fields = [
            "reference",
            "role",
            "active_on",
            "sensitive_data",
            "transfers_outside_eu",
            "dpia_required",
            "review_overdue",
            "dpia_missing",
            "entity",
        ]

    # django-filter's method signature: (queryset, field name, value); never called for an empty value.
    def filter_active_on(
        self, queryset: ProcessingActivityQuerySet, name: str, value: dt.date
    ) -> ProcessingActivityQuerySet:
        return queryset.in_register_on(value)

    def filter_review_overdue(
        self, queryset: ProcessingActivityQuerySet, name: str, value: bool
    ) -> ProcessingActivityQuerySet:
        overdue = queryset.review_overdue()
        return overdue if value else queryset.exclude(pk__in=overdue.values("pk"))

    def filter_dpia_missing(
        self, queryset: ProcessingActivityQuerySet, name: str, value: bool
    ) -> ProcessingActivityQuerySet:
        missing = queryset.dpia_missing()
        return missing if value else queryset.exclude(pk__in=missing.values("pk"))


class XlsxRenderer(BaseRenderer):
    """Lets a client ask for the export with `Accept: <xlsx type>`; errors are still JSON text."""

    media_type = CONTENT_TYPE
    format = "xlsx"
    charset = None
    render_style = "binary"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        return data if isinstance(data, bytes) else json.dumps(data).encode()


@extend_schema(tags=["gdpr: register (Art. 30)"])
class ProcessingActivityViewSet(viewsets.ModelViewSet):
    """The register of processing activities (GDPR Art. 30). Entries are never deleted: they are retired."""

    queryset = ProcessingActivity.objects.select_related("entity").order_by("reference")
    serializer_class = ProcessingActivitySerializer
    filterset_class = ProcessingActivityFilter
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def perform_create(self, serializer: BaseSerializer[ProcessingActivity]) -> None:
        serializer.instance = processing_activity_create(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer: BaseSerializer[ProcessingActivity]) -> None:
        assert serializer.instance is not None  # update() gives the serializer the object it changes
        serializer.instance = processing_activity_update(
            activity=serializer.instance, actor=self.request.user, data=serializer.validated_data
        )

    @extend_schema(
        request=RetireSerializer,
        responses=ProcessingActivitySerializer,
        summary="Retire the activity from the register",
    )
    @action(detail=True, methods=["post"], permission_classes=[TransitionPermissions])
    def retire(self, request: Request, pk: str | None = None) -> Response:
        payload = RetireSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        activity = processing_activity_retire(activity=self.get_object(), actor=request.user, **payload.validated_data)
        return Response(self.get_serializer(activity).data)

    @extend_schema(
        request=ReviewSerializer,
        responses=ProcessingActivitySerializer,
        summary="Record a review of the activity's record",
    )
    @action(detail=True, methods=["post"], permission_classes=[TransitionPermissions])
    def review(self, request: Request, pk: str | None = None) -> Response:
        payload = ReviewSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        activity = processing_activity_review(activity=self.get_object(), actor=request.user, **payload.validated_data)
        return Response(self.get_serializer(activity).data)

    @extend_schema(
        summary="The register at a date, as XLSX (Art. 30(4))",
        description="An overview sheet (one row per activity) and one sheet per activity laid out as the "
        "CNIL's model record, in French. Activities in the register on `date`: entered on or "
        "before it, not retired on or before it.",
        parameters=[
            OpenApiParameter("date", OpenApiTypes.DATE, description="Default: today (Europe/Paris)."),
            OpenApiParameter(
                "entity", OpenApiTypes.STR, description="The register of this legal entity (its code); default: all."
            ),
        ],
        responses={
            **file_download(
                CONTENT_TYPE, "The register as a workbook (XLSX): the overview and one sheet per activity."
            ),
            400: OpenApiResponse(description="`date` is not a valid date, or `entity` no known entity code."),
        },
    )
    @action(
        detail=False,
        methods=["get"],
        filter_backends=[],
        pagination_class=None,
        renderer_classes=[JSONRenderer, XlsxRenderer],
    )
    def export(self, request: Request) -> HttpResponse:
        query = ExportQuerySerializer(data=request.query_params)
        if not query.is_valid():
            # The error is JSON, whatever the client asked for (`?format=xlsx`, `Accept:`): as the schema says.
            request.accepted_renderer, request.accepted_media_type = JSONRenderer(), JSONRenderer.media_type
            raise ValidationError(query.errors)
        day = query.validated_data.get("date") or timezone.localdate()
        entity = query.validated_data.get("entity")
        return register_response(register_on(day, entity=entity), on=day, entity=entity)


ROUTES = [("processing-activities", ProcessingActivityViewSet, "processingactivity")]
