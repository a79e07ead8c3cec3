"""Serializers of the roster."""
from rest_framework import serializers

from core.api.serializers import ModelSerializer

from ..models import Department, Employee, LegalEntity


class LegalEntitySerializer(ModelSerializer):
    parent = serializers.SlugRelatedField(
        slug_field="code", queryset=LegalEntity.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = LegalEntity
        fields = ["id", "code", "name", "parent"]


class DepartmentSerializer(ModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "name"]


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
