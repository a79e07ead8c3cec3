"""API views of the roster."""
from rest_framework import viewsets

from ..models import Department, Employee, LegalEntity
from .filters import EmployeeFilter
from .serializers import DepartmentSerializer, EmployeeSerializer, LegalEntitySerializer


class LegalEntityViewSet(viewsets.ModelViewSet):
    queryset = LegalEntity.objects.select_related("parent").order_by("code")
    serializer_class = LegalEntitySerializer
    filterset_fields = ["code"]


class DepartmentViewSet(viewsets.ModelViewSet):
    queryset = Department.objects.order_by("name")
    serializer_class = DepartmentSerializer
    filterset_fields = ["name"]


class EmployeeViewSet(viewsets.ModelViewSet):
    queryset = Employee.objects.select_related("entity", "department").order_by("employee_id")
    serializer_class = EmployeeSerializer
    filterset_class = EmployeeFilter
    search_fields = ["employee_id", "last_name", "first_name", "email"]
