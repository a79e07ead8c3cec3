"""Filters of the roster API."""
import django_filters

from core.api.filters import FilterSet

from ..models import Employee


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
