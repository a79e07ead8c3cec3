"""API of the workshop and virtual-class sessions and their attendance sheets: `/api/training/sessions/`
(reference generated as SES-YYYY-NNNN when not given) and `/api/training/attendances/` (one line of a
sheet: session by reference, employee by employee_id). Writes go through training.services
(session_create/session_update, attendance_record). ROUTES lists (prefix, viewset, basename).
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Count, QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.filters import FilterSet, YearFilter
from core.api.serializers import ModelSerializer
from organization.models import Employee, LegalEntity

from .. import services
from ..choices import AttendanceRole
from ..models import Attendance, Module, Session
from ..querysets import qualifying_q


class SessionSerializer(ModelSerializer):
    reference = serializers.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        help_text="Generated (SES-YYYY-NNNN) when not given; cannot change.",
    )
    module = serializers.SlugRelatedField(
        slug_field="code", queryset=Module.objects.all(), help_text="Code of a workshop or virtual-class module."
    )
    entity = serializers.SlugRelatedField(
        slug_field="code",
        queryset=LegalEntity.objects.all(),
        allow_null=True,
        required=False,
        help_text="Code of the entity it was organised for.",
    )
    attendees = serializers.IntegerField(read_only=True, help_text="Lines of the attendance sheet.")
    qualifying_attendees = serializers.IntegerField(
        read_only=True,
        help_text="Attendees present more than the module's minimum minutes, or any time when it has "
        "none (they count as trained).",
    )

    class Meta:
        model = Session
        fields = [
            "id",
            "reference",
            "module",
            "held_on",
            "duration_minutes",
            "trainer",
            "place",
            "entity",
            "notes",
            "attendees",
            "qualifying_attendees",
        ]

    def create(self, validated_data: dict[str, Any]) -> Session:
        return services.session_create(actor=self.context["request"].user, **validated_data)

    def update(self, instance: Session, validated_data: dict[str, Any]) -> Session:
        validated_data.pop("reference", None)
        return services.session_update(actor=self.context["request"].user, session=instance, **validated_data)


class SessionFilter(FilterSet):
    reference = django_filters.CharFilter()
    module = django_filters.CharFilter(field_name="module__code", label="Code of the module")
    year = YearFilter(field_name="held_on", lookup_expr="year", label="Year the session was held")
    entity = django_filters.CharFilter(field_name="entity__code", label="Code of the entity it was organised for")

    class Meta:
        model = Session
        fields = ["reference", "module", "year", "entity"]


@extend_schema_view(
    list=extend_schema(summary="Sessions", description="Filter by `reference`, `module` (code), `year`, `entity`."),
    retrieve=extend_schema(summary="A session"),
    create=extend_schema(
        summary="Record a session",
        responses={
            201: SessionSerializer,
            400: OpenApiResponse(
                description="An e-learning module, a duration under a minute, a reference already used..."
            ),
        },
    ),
    update=extend_schema(summary="Change a session (its reference stays)"),
    partial_update=extend_schema(summary="Change some fields of a session (its reference stays)"),
)
@extend_schema(tags=["training"])
class SessionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Workshop and virtual-class sessions. Not deleted here: their attendance counts in the rates."""

    serializer_class = SessionSerializer
    filterset_class = SessionFilter

    def get_queryset(self) -> QuerySet[Session]:
        qualifying = qualifying_q(minutes="attendances__minutes_attended", minimum="module__min_attendance_minutes")
        return (
            Session.objects.select_related("module", "entity")
            .annotate(attendees=Count("attendances"), qualifying_attendees=Count("attendances", filter=qualifying))
            .order_by("-held_on", "reference")
        )

    def _save_read_back(self, serializer: serializers.BaseSerializer[Session]) -> None:
        # The counts are annotations of get_queryset(): the saved session is read back through it.
        serializer.instance = self.get_queryset().get(pk=serializer.save().pk)

    def perform_create(self, serializer: serializers.BaseSerializer[Session]) -> None:
        self._save_read_back(serializer)

    def perform_update(self, serializer: serializers.BaseSerializer[Session]) -> None:
        self._save_read_back(serializer)


# --- attendance -------------------------------------------------------------------------------------------


class AttendanceSerializer(ModelSerializer):
    session = serializers.SlugRelatedField(
        slug_field="reference",
        queryset=Session.objects.select_related("module"),
        help_text="Reference of the session; cannot change.",
    )
    employee = serializers.SlugRelatedField(
        slug_field="employee_id",
        queryset=Employee.objects.all(),
        help_text="The employee's HR id (employee_id); cannot change.",
    )
    qualifies = serializers.BooleanField(
        read_only=True,
        help_text="More than the module's minimum minutes (any attendance when it has none): counts as trained.",
    )

    class Meta:
        model = Attendance
        fields = ["id", "session", "employee", "minutes_attended", "role", "qualifies", "import_run"]
        read_only_fields = ["import_run"]

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, (list, QuerySet)):
            fields["session"].read_only = True  # a correction keeps its session and employee
            fields["employee"].read_only = True
        return fields

    def get_validators(self) -> list:
        return []  # a second line for the same session and employee corrects the first (attendance_record)

    def create(self, validated_data: dict[str, Any]) -> Attendance:
        return services.attendance_record(actor=self.context["request"].user, **validated_data)

    def update(self, instance: Attendance, validated_data: dict[str, Any]) -> Attendance:
        return services.attendance_record(
            actor=self.context["request"].user,
            session=instance.session,
            employee=instance.employee,
            minutes_attended=validated_data.get("minutes_attended", instance.minutes_attended),
            role=validated_data.get("role", instance.role),
        )


class AttendanceFilter(FilterSet):
    session = django_filters.CharFilter(field_name="session__reference", label="Reference of the session")
    module = django_filters.CharFilter(field_name="session__module__code", label="Code of the module")
    employee = django_filters.CharFilter(field_name="employee__employee_id", label="HR id of the employee")
    role = django_filters.ChoiceFilter(choices=AttendanceRole.choices)

    class Meta:
        model = Attendance
        fields = ["session", "module", "employee", "role"]


@extend_schema_view(
    list=extend_schema(
        summary="Attendance lines",
        description="Filter by `session` (reference), `module` (code), `employee` (employee_id), `role`.",
    ),
    retrieve=extend_schema(summary="An attendance line"),
    create=extend_schema(
        summary="Record an attendance line (or correct it)",
        description="A line for a session and an employee already on its sheet corrects that line (200); a new "
        "line is created (201).",
        responses={
            200: AttendanceSerializer,
            201: AttendanceSerializer,
            400: OpenApiResponse(description="Unknown session or employee, negative minutes..."),
        },
    ),
    update=extend_schema(summary="Correct the minutes or the role of an attendance line"),
    partial_update=extend_schema(summary="Correct the minutes or the role of an attendance line"),
)
@extend_schema(tags=["training"])
class AttendanceViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Lines of the sessions' attendance sheets."""

    queryset = Attendance.objects.select_related("session__module", "employee").order_by(
        "session__held_on", "session__reference", "pk"
    )
    serializer_class = AttendanceSerializer
    filterset_class = AttendanceFilter

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        existed = Attendance.objects.filter(
            session=serializer.validated_data["session"], employee=serializer.validated_data["employee"]
        ).exists()
        serializer.save()
        return Response(serializer.data, status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED)


ROUTES: list = [("sessions", SessionViewSet, "session"), ("attendances", AttendanceViewSet, "attendance")]
