"""API of the whistleblowing reports: `/api/whistleblowing/reports/` (docs/interfaces.md).

Anyone who may view a report (compliance officers, auditors, superusers, referents) reads its public part:
reference, dates, category, status, deadlines; filtered by `reference`, `status` and `category` only. A
referent who may read the report's sealed part (whistleblowing/selectors.py) gets a nested `content` object
too (the author, what the report says); for anyone else the key itself is absent. A POST on the collection,
by a referent only, records a report received by email, post, phone or meeting (`report_record`); anyone else
gets 403, as for the other apps' writes. With referents per entity, `entity` is required and one of the
referent's own (`report_record` refuses it otherwise: a French 400 on `entity`). The report moves through the admin's buttons.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import BooleanField, Exists, OuterRef, QuerySet, Value
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.filters import FilterSet
from core.api.permissions import StrictModelPermissions
from core.api.serializers import DateTimeField, ModelSerializer, Serializer
from organization.models import LegalEntity

from ..choices import AuthorRelation, Category, Channel, Status
from ..models import Report, ReportContent
from ..selectors import is_referent, reports_with_content_for
from ..services.reports import report_record


class EntityCodeField(serializers.SlugRelatedField):
    """The legal entity by its code; the entity FK has no database constraint, so a deleted one reads as null."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("slug_field", "code")
        kwargs.setdefault("allow_null", True)
        if not kwargs.get("read_only"):
            kwargs.setdefault("queryset", LegalEntity.objects.all())
        super().__init__(**kwargs)

    def get_attribute(self, instance: Any) -> Any:
        if getattr(instance, "entity_id", None) is None:
            return None
        return LegalEntity.objects.filter(pk=instance.entity_id).first()

    def to_representation(self, value: Any) -> Any:
        return None if value is None else super().to_representation(value)


class ReportContentSerializer(ModelSerializer):
    """A report's sealed part: for the referents who may read it only."""

    entity = EntityCodeField(read_only=True)

    class Meta:
        model = ReportContent
        fields = [
            "channel",
            "anonymous",
            "contact_possible",
            "author_name",
            "author_email",
            "author_phone",
            "author_relation",
            "author_contact",
            "entity",
            "facts",
            "facts_period",
            "persons_concerned",
            "admissibility_reasons",
            "measures",
            "proceedings_note",
        ]
        read_only_fields = fields


class SealedContentField(ReportContentSerializer):
    """The nested sealed part, left out (the key itself) unless the view marked the report readable."""

    def get_attribute(self, instance: Any) -> Any:
        if not getattr(instance, "content_readable", False):
            raise serializers.SkipField
        try:
            return instance.content
        except ReportContent.DoesNotExist:
            raise serializers.SkipField from None


class ReportSerializer(ModelSerializer):
    received_at = DateTimeField(read_only=True)
    content = SealedContentField(
        read_only=True,
        required=False,
        help_text="The author and what the report says: present for the referents who may read it only.",
    )

    class Meta:
        model = Report
        fields = [
            "id",
            "reference",
            "received_at",
            "category",
            "status",
            "acknowledgment_due_on",
            "acknowledged_on",
            "feedback_due_on",
            "feedback_on",
            "admissibility",
            "meeting_due_on",
            "closed_on",
            "content",
        ]
        read_only_fields = fields


class ReportRecordSerializer(Serializer):
    """A report received by email, post, phone or meeting, recorded by a referent."""

    reference = serializers.CharField(
        max_length=32, required=False, allow_blank=True, help_text="Generated when not given."
    )
    received_at = DateTimeField()
    channel = serializers.ChoiceField(choices=[(c.value, c.label) for c in Channel if c != Channel.WEB])
    category = serializers.ChoiceField(choices=Category.choices)
    facts = serializers.CharField()
    anonymous = serializers.BooleanField(required=False, default=False)
    contact_possible = serializers.BooleanField(required=False, default=True)
    entity = EntityCodeField(
        required=False,
        help_text="The legal entity's code; required, one of the referent's own, with referents per entity "
        "(VIGIE_WHISTLEBLOWING_REFERENTS_PER_ENTITY): without one every referent would read the report.",
    )
    author_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    author_email = serializers.EmailField(required=False, allow_blank=True)
    author_phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    author_relation = serializers.ChoiceField(choices=AuthorRelation.choices, required=False, allow_blank=True)
    author_contact = serializers.CharField(required=False, allow_blank=True)
    facts_period = serializers.CharField(max_length=200, required=False, allow_blank=True)
    persons_concerned = serializers.CharField(required=False, allow_blank=True)


class ReferentsWrite(BasePermission):
    """Only the referents record reports (superusers included: they are not referents by being superusers)."""

    message = "Only the whistleblowing referents record reports."

    def has_permission(self, request: Any, view: Any) -> bool:
        return request.method in ("GET", "HEAD", "OPTIONS") or is_referent(request.user)


class ReportFilter(FilterSet):
    reference = django_filters.CharFilter()
    status = django_filters.ChoiceFilter(choices=Status.choices)
    category = django_filters.ChoiceFilter(choices=Category.choices)

    class Meta:
        model = Report
        fields = ["reference", "status", "category"]


@extend_schema_view(
    list=extend_schema(summary="Whistleblowing reports (the public part; the content for its referents)"),
    retrieve=extend_schema(summary="A whistleblowing report"),
    create=extend_schema(
        summary="Record a report received by email, post, phone or meeting (referents only)",
        request=ReportRecordSerializer,
        responses={201: ReportSerializer, 400: OpenApiResponse(description="Field messages.")},
    ),
)
@extend_schema(tags=["whistleblowing"])
class ReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Whistleblowing reports. Not editable nor deletable here."""

    queryset = Report.objects.order_by("-received_at", "-pk")
    serializer_class = ReportSerializer
    filterset_class = ReportFilter
    permission_classes = [StrictModelPermissions, ReferentsWrite]

    def get_queryset(self) -> QuerySet[Report]:
        queryset = super().get_queryset()
        user = getattr(self.request, "user", None)
        if user is not None and is_referent(user):
            readable = reports_with_content_for(user).filter(pk=OuterRef("pk"))
            return queryset.select_related("content").annotate(content_readable=Exists(readable))
        return queryset.annotate(content_readable=Value(False, output_field=BooleanField()))

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        payload = ReportRecordSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        data["reference"] = (data.get("reference") or "").strip() or None
        report = report_record(actor=request.user, **data)
        saved = self.get_queryset().get(pk=report.pk)
        return Response(self.get_serializer(saved).data, status=status.HTTP_201_CREATED)


ROUTES: list[tuple[str, Any, str]] = [("reports", ReportViewSet, "whistleblowing-report")]
