"""API of the roster: `/api/organization/employees/`, the entity by its `code`, the department by its
`name`, and `?present_on=` for the people under contract on a day.
ROUTES lists (prefix, viewset, basename) for organization/api/urls.py.
"""

import django_filters
from rest_framework import serializers, viewsets

from core.api.filters import FilterSet
from core.api.serializers import ModelSerializer
from core.paginator import CappedPageNumberPagination

from ..models import Department, Employee, LegalEntity


class EmployeeFilter(FilterSet):
    employee_id = django_filters.CharFilter()
    entity = django_filters.CharFilter(field_name="entity__code")
    department = django_filters.CharFilter(field_name="department__name")
    present_on = django_filters.DateFilter(method="filter_present_on", label="Present on (YYYY-MM-DD)")

    class Meta:
        model = Employee
        fields = ["employee_id", "entity", "department", "is_manager", "gender", "present_on"]

    def filter_present_on(self, queryset, name, value):
        return queryset.present_on(value)


class EmployeeSerializer(ModelSerializer):
    entity = serializers.SlugRelatedField(slug_field="code", queryset=LegalEntity.objects.all())
    department = serializers.SlugRelatedField(
        slug_field="name", queryset=Department.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = Employee
        fields = [
            "id",
            "employee_id",
            "last_name",
            "first_name",
            "email",
            "entity",
            "department",
            "hired_on",
            "left_on",
            "is_manager",
            "is_executive",
            "gender",
        ]

    def validate(self, attrs: dict) -> dict:
        hired_on = attrs.get("hired_on", getattr(self.instance, "hired_on", None))
        left_on = attrs.get("left_on", getattr(self.instance, "left_on", None))
        if hired_on and left_on and left_on < hired_on:
            raise serializers.ValidationError({"left_on": "The last day of contract cannot be before the hiring date."})
        return attrs


class EmployeeViewSet(viewsets.ModelViewSet):
    queryset = Employee.objects.select_related("entity", "department").order_by("employee_id")
    serializer_class = EmployeeSerializer
    filterset_class = EmployeeFilter
    pagination_class = CappedPageNumberPagination  # counted up to a cap (core/paginator.py)
    search_fields = ["employee_id", "last_name", "first_name", "email"]


ROUTES: list = [("employees", EmployeeViewSet, "employee")]
