"""`/api/aml/screening-hits/`: the potential matches of asset-freeze screening and their review (POST
`review/`: confirmed or false positive, with the reason; a confirmed hit on an active counterparty opens a
vigilance alert). Sealed: 404 for anyone outside the AML/CFT role."""

from __future__ import annotations

from typing import Any

import django_filters
from django.contrib.auth.models import User
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.filters import FilterSet, StrictBooleanFilter
from core.api.permissions import TransitionPermissions
from core.api.serializers import ModelSerializer
from core.api.user_fields import UserNameField

from ..choices import HitStatus
from ..models import Hit
from ..services.screening import hit_review


class HitSerializer(ModelSerializer):
    counterparty_reference = serializers.CharField(source="counterparty.reference", read_only=True)
    list = serializers.CharField(source="entry.screening_list.code", read_only=True, help_text="The list's code.")
    list_id = serializers.CharField(source="entry.list_id", read_only=True, help_text="The entry's id in its list.")
    entry_name = serializers.CharField(source="entry.name", read_only=True, help_text="The entry's listed name.")
    reviewed_by = serializers.SlugRelatedField[User](slug_field="username", read_only=True)
    reviewed_by_display = UserNameField(source="reviewed_by", help_text="Who reviewed the hit, by name.")

    class Meta:
        model = Hit
        fields = [
            "id",
            "counterparty_reference",
            "counterparty_name",
            "list",
            "list_id",
            "entry_name",
            "matched_name",
            "score",
            "birth_signal",
            "status",
            "raised_at",
            "review_due_on",
            "reviewed_at",
            "reviewed_by",
            "reviewed_by_display",
            "review_reason",
        ]
        read_only_fields = fields


class HitReviewSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=[HitStatus.CONFIRMED, HitStatus.FALSE_POSITIVE])
    reason = serializers.CharField(help_text="What the review established.")


class HitFilter(FilterSet):
    status = django_filters.ChoiceFilter(choices=HitStatus.choices)
    counterparty_reference = django_filters.CharFilter(field_name="counterparty__reference")
    list = django_filters.CharFilter(field_name="entry__screening_list__code", label="The list's code")
    overdue = StrictBooleanFilter(method="filter_overdue", label="Pending past its review date")

    class Meta:
        model = Hit
        fields = ["status", "counterparty_reference", "list", "overdue"]

    def filter_overdue(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        overdue = Hit.objects.overdue().values("pk")
        return queryset.filter(pk__in=overdue) if value else queryset.exclude(pk__in=overdue)


@extend_schema(tags=["aml"])
class HitViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Screening hits: a counterparty's name close to a listed name, to review."""

    queryset = Hit.objects.select_related("counterparty", "entry__screening_list", "reviewed_by").order_by(
        "-raised_at", "-pk"
    )
    serializer_class = HitSerializer
    filterset_class = HitFilter

    @extend_schema(
        summary="Review a pending hit: confirmed or false positive, with the reason",
        request=HitReviewSerializer,
        responses={200: HitSerializer, 400: OpenApiResponse(description="Field messages.")},
    )
    @action(detail=True, methods=["post"], permission_classes=[TransitionPermissions])
    def review(self, request: Request, pk: str | None = None) -> Response:
        hit = self.get_object()
        payload = HitReviewSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        hit_review(actor=request.user, hit=hit, **payload.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=hit.pk)).data)


ROUTES: list[tuple[str, Any, str]] = [("screening-hits", HitViewSet, "aml-screening-hit")]
