"""API of the LMS completions: `/api/training/completions/` (list, read, record one). A completion is recorded
through training.services.completion_record: one dated in the future or before the module's deployment is
kept but flagged (`anomaly`) and not counted. Completions are not edited nor deleted here.
ROUTES lists (prefix, viewset, basename) for training/api/urls.py.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets

from core.api.filters import FilterSet, YearFilter
from core.api.serializers import ModelSerializer
from core.paginator import CappedPageNumberPagination
from organization.models import Employee

from .. import services
from ..choices import CompletionAnomaly
from ..models import Completion, Module

NOT_FLAGGED = "none"


class CompletionSerializer(ModelSerializer):
    employee = serializers.SlugRelatedField(
        slug_field="employee_id", queryset=Employee.objects.all(), help_text="The employee's HR id (employee_id)."
    )
    module = serializers.SlugRelatedField(
        slug_field="code", queryset=Module.objects.all(), help_text="The module's code."
    )

    class Meta:
        model = Completion
        fields = [
            "id",
            "employee",
            "module",
            "completed_at",
            "completed_on",
            "duration_minutes",
            "score",
            "anomaly",
            "import_run",
        ]
        read_only_fields = ["completed_on", "anomaly", "import_run"]

    def get_validators(self) -> list:
        return []  # one completion per employee, module and time: the service's check, with its message

    def create(self, validated_data: dict[str, Any]) -> Completion:
        return services.completion_record(actor=self.context["request"].user, **validated_data)


class CompletionFilter(FilterSet):
    module = django_filters.CharFilter(field_name="module__code", label="Code of the module")
    employee = django_filters.CharFilter(field_name="employee__employee_id", label="HR id of the employee")
    year = YearFilter(method="filter_year", label="Year of the completion day (Paris)")
    anomaly = django_filters.ChoiceFilter(
        choices=[
            (NOT_FLAGGED, _("Not flagged (counted)")),
            *((value, label) for value, label in CompletionAnomaly.choices if value),
        ],
        method="filter_anomaly",
        label="Why flagged; `none`: the completions that count",
    )

    class Meta:
        model = Completion
        fields = ["module", "employee", "year", "anomaly"]

    def filter_year(self, queryset: QuerySet, name: str, value: int) -> QuerySet:
        # The Paris days of the year are the instants between its Paris bounds: a range on the ordering's
        # index (completion_list_idx), so the first page is read where the year starts.
        paris = timezone.get_default_timezone()
        start, end = (dt.datetime(year, 1, 1, tzinfo=paris) for year in (value, value + 1))
        return queryset.filter(completed_at__gte=start, completed_at__lt=end)

    def filter_anomaly(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(anomaly="" if value == NOT_FLAGGED else value)


@extend_schema_view(
    list=extend_schema(
        summary="Completions",
        description="Filter by `module` (code), `employee` (employee_id), `year` (of the completion day), `anomaly`.",
    ),
    retrieve=extend_schema(summary="A completion"),
    create=extend_schema(
        summary="Record a completion",
        description="`completed_at` with its offset (without one: Europe/Paris). Dated in the future or before the "
        "module's deployment, it is kept with its `anomaly` and does not count in the rates.",
        responses={
            201: CompletionSerializer,
            400: OpenApiResponse(description="Unknown employee or module, duplicate, negative score..."),
        },
    ),
)
@extend_schema(tags=["training"])
class CompletionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Completions of the modules, as the LMS exports them (or typed one by one)."""

    queryset = Completion.objects.select_related("employee", "module").order_by("-completed_at", "pk")
    serializer_class = CompletionSerializer
    filterset_class = CompletionFilter
    pagination_class = CappedPageNumberPagination  # millions of rows: counted up to a cap (core/paginator.py)


ROUTES: list = [("completions", CompletionViewSet, "completion")]
