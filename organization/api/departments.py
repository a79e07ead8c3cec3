"""API of the departments: `/api/organization/departments/`, named by their `name`.
ROUTES lists (prefix, viewset, basename) for organization/api/urls.py.
"""

from rest_framework import viewsets

from core.api.serializers import ModelSerializer

from ..models import Department


class DepartmentSerializer(ModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "name"]


class DepartmentViewSet(viewsets.ModelViewSet):
    queryset = Department.objects.order_by("name")
    serializer_class = DepartmentSerializer
    filterset_fields = ["name"]


ROUTES: list = [("departments", DepartmentViewSet, "department")]
