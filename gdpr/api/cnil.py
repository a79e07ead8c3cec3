"""API of the CNIL cases: `/api/gdpr/cnil-cases/`, writes through gdpr.services.cnil.

The answer is a POST action (`/answer/`), never a writable field. ROUTES lists (prefix, viewset,
basename) for gdpr/api/urls.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import django_filters
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.filters import FilterSet, StrictBooleanFilter, YearFilter
from core.api.permissions import TransitionPermissions
from core.api.serializers import ModelSerializer
from organization.api.fields import EntityCodeField, entity_code_filter

from ..models import CnilCase, CnilCaseAttachment, RightsRequest

if TYPE_CHECKING:
    from ..models.cnil import CnilCaseQuerySet
from ..services.cnil import cnil_case_answer, cnil_case_create, cnil_case_update


class CnilCaseAttachmentSerializer(ModelSerializer):
    class Meta:
        model = CnilCaseAttachment
        fields = ["id", "file", "description", "uploaded_at"]
        read_only_fields = fields


class CnilCaseSerializer(ModelSerializer):
    entity_code = EntityCodeField(source="entity")
    rights_request = serializers.SlugRelatedField(
        slug_field="reference",
        queryset=RightsRequest.objects.all(),
        allow_null=True,
        required=False,
        help_text="Reference of the rights request the complaint is about.",
    )
    reference = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        help_text="Generated (CNIL-YYYY-NNN) when not given.",
    )
    is_overdue = serializers.SerializerMethodField(
        help_text="Not answered and past the reply date the CNIL set (a referral, or a complaint a CNIL letter "
        "set a date on)."
    )
    attachments = CnilCaseAttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = CnilCase
        fields = [
            "id",
            "reference",
            "kind",
            "entity_code",
            "cnil_reference",
            "received_on",
            "due_on",
            "answered_on",
            "is_overdue",
            "rights_request",
            "subject",
            "notes",
            "attachments",
        ]
        read_only_fields = ["answered_on"]

    def get_is_overdue(self, obj: CnilCase) -> bool:
        return obj.answered_on is None and obj.due_on is not None and obj.due_on < timezone.localdate()

    # The services validate and write; the serializer only parses.
    def create(self, validated_data: dict[str, Any]) -> CnilCase:
        return cnil_case_create(actor=self.context["request"].user, **validated_data)

    def update(self, instance: CnilCase, validated_data: dict[str, Any]) -> CnilCase:
        return cnil_case_update(actor=self.context["request"].user, case=instance, **validated_data)


class CnilCaseAnswerSerializer(serializers.Serializer):
    answered_on = serializers.DateField(
        help_text="The date we answered the CNIL (not before receipt, not in the future)."
    )


class CnilCaseFilter(FilterSet):
    reference = django_filters.CharFilter()
    kind = django_filters.ChoiceFilter(choices=CnilCase._meta.get_field("kind").choices)
    overdue = StrictBooleanFilter(method="filter_overdue", label="Not answered and past the reply date the CNIL set")
    answered = StrictBooleanFilter(field_name="answered_on", lookup_expr="isnull", exclude=True)
    due_before = django_filters.DateFilter(
        method="filter_due_before", label="Not answered, reply date on or before this date (YYYY-MM-DD)"
    )
    received_year = YearFilter(field_name="received_on", lookup_expr="year")
    entity = entity_code_filter()

    class Meta:
        model = CnilCase
        fields = ["reference", "kind", "overdue", "answered", "due_before", "received_year", "entity"]

    def filter_overdue(self, queryset: CnilCaseQuerySet, name: str, value: bool) -> CnilCaseQuerySet:
        overdue = CnilCase.objects.overdue()
        return queryset.filter(pk__in=overdue.values("pk")) if value else queryset.exclude(pk__in=overdue.values("pk"))

    def filter_due_before(self, queryset: CnilCaseQuerySet, name: str, value: Any) -> CnilCaseQuerySet:
        return queryset.due_before(value)


@extend_schema_view(
    list=extend_schema(summary="CNIL referrals and complaints without referral"),
    create=extend_schema(
        summary="Record a CNIL case (a referral needs the reply date of the CNIL's letter; a "
        "complaint without referral takes one when a CNIL letter set it)"
    ),
)
@extend_schema(tags=["gdpr"])
class CnilCaseViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """CNIL cases. Not deletable here: they are evidence of our cooperation with the CNIL (Art. 31)."""

    queryset = (
        CnilCase.objects.select_related("rights_request", "entity")
        .prefetch_related("attachments")
        .order_by("-received_on", "reference")
    )
    serializer_class = CnilCaseSerializer
    filterset_class = CnilCaseFilter

    @extend_schema(
        summary="Record the answer to the CNIL",
        request=CnilCaseAnswerSerializer,
        responses={200: CnilCaseSerializer, 400: OpenApiResponse(description="Field messages (answered_on).")},
    )
    @action(detail=True, methods=["post"], permission_classes=[TransitionPermissions])
    def answer(self, request: Request, pk: str | None = None) -> Response:
        case = self.get_object()
        payload = CnilCaseAnswerSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        case = cnil_case_answer(actor=request.user, case=case, **payload.validated_data)
        return Response(self.get_serializer(case).data, status=status.HTTP_200_OK)


ROUTES: list = [("cnil-cases", CnilCaseViewSet, "cnil-case")]
