"""API of the training modules: `/api/training/modules/`, looked up by `code`, with three read actions
computed by training.kpis (the one definition of "trained"): `completion-rate/` (the rate at a day over a
scope, optionally broken down), `not-trained/` (the people to remind) and `trend/` (the rate at each month
end). Writes go through training.services.module_create/module_update; a reference module is never deleted.
ROUTES lists (prefix, viewset, basename) for training/api/urls.py.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, ClassVar

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _, gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.filters import MAX_YEAR, MIN_YEAR, FilterSet, StrictBooleanFilter
from core.api.permissions import StrictModelPermissions
from core.api.serializers import ModelSerializer
from organization.models import Department, Employee, LegalEntity

from .. import kpis, services
from ..choices import Audience, ModuleKind
from ..models import Module

FIRST_DAY, LAST_DAY = dt.date(MIN_YEAR, 1, 1), dt.date(MAX_YEAR, 12, 31)
MAX_TREND_MONTHS = 120


# --- query parameters -------------------------------------------------------------------------------------


@extend_schema_field(
    {
        "type": "string",
        "format": "date",
        "pattern": r"^(19|2[01])[0-9]{2}-",
        "description": "YYYY-MM-DD, a day of the years 1900 to 2199.",
    }
)
class BoundedDateField(serializers.DateField):
    """A YYYY-MM-DD day within 1900-2199: beyond, the renewal arithmetic would overflow (a 400, not a 500)."""

    def to_internal_value(self, value: Any) -> dt.date:
        day = super().to_internal_value(value)
        if not FIRST_DAY <= day <= LAST_DAY:
            raise serializers.ValidationError(
                _("Give a day between %(first)s and %(last)s.")
                % {"first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()}
            )
        return day


def _distinct(values: list[str]) -> list[str]:
    return list(dict.fromkeys(value.strip() for value in values if value and value.strip()))


class ScopeQuery(serializers.Serializer):
    """`entity` and `department`, each repeatable; both given: employees of those entities AND departments."""

    entity = serializers.ListField(
        child=serializers.CharField(allow_blank=True),
        required=False,
        default=list,
        help_text="Code of a legal entity; repeat the parameter for several. Default: every entity.",
    )
    department = serializers.ListField(
        child=serializers.CharField(allow_blank=True),
        required=False,
        default=list,
        help_text="Name or id of a department; repeat the parameter for several. Default: every department.",
    )

    def validate_entity(self, values: list[str]) -> list[str]:
        codes = _distinct(values)
        known = set(LegalEntity.objects.filter(code__in=codes).values_list("code", flat=True))
        unknown = [code for code in codes if code not in known]
        if unknown:
            raise serializers.ValidationError(
                [_("Unknown entity code “%(code)s”.") % {"code": code} for code in unknown]
            )
        return codes

    def validate_department(self, values: list[str]) -> list[Department]:
        found, unknown = [], []
        for value in _distinct(values):
            department = Department.objects.filter(name=value).first()
            if department is None and value.isascii() and value.isdigit() and len(value) < 10:
                department = Department.objects.filter(pk=int(value)).first()
            if department is None:
                unknown.append(value)
            else:
                found.append(department)
        if unknown:
            raise serializers.ValidationError(
                [
                    _("Unknown department “%(department)s” (give its name or its id).") % {"department": value}
                    for value in unknown
                ]
            )
        return found

    def scope(self) -> kpis.Scope:
        return kpis.Scope.of(entities=self.validated_data["entity"], departments=self.validated_data["department"])

    def scope_data(self) -> dict[str, list[str]]:
        return {
            "entities": sorted(self.validated_data["entity"]),
            "departments": sorted(d.name for d in self.validated_data["department"]),
        }


class RateQuery(ScopeQuery):
    date = BoundedDateField(required=False, help_text="The reference day (YYYY-MM-DD). Default: today, Europe/Paris.")
    breakdown = serializers.ChoiceField(
        choices=kpis.BREAKDOWNS,
        required=False,
        help_text="Also give the rate per entity, department, manager / non-manager or gender.",
        error_messages={
            "invalid_choice": gettext_lazy("“{input}” is not a breakdown: use entity, department, manager or gender.")
        },
    )


class NotTrainedQuery(ScopeQuery):
    date = BoundedDateField(required=False, help_text="The reference day (YYYY-MM-DD). Default: today, Europe/Paris.")


class TrendQuery(ScopeQuery):
    until = BoundedDateField(
        required=False, help_text="The last day of the trend (YYYY-MM-DD). Default: today, Europe/Paris."
    )
    months = serializers.IntegerField(
        required=False,
        default=24,
        min_value=1,
        max_value=MAX_TREND_MONTHS,
        help_text="How many months, `until`'s included (1 to 120). Default: 24.",
    )


# --- responses --------------------------------------------------------------------------------------------


def percent_field(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=4,
        decimal_places=1,
        coerce_to_string=False,
        allow_null=True,
        min_value=Decimal(0),
        max_value=Decimal(100),
        help_text="The rate in percent (numerator ÷ denominator × 100), rounded half-up to one decimal, as a JSON "
        "number (e.g. 91.3); null when the denominator is 0.",
        **kwargs,
    )


@extend_schema_field({"oneOf": [{"type": "string"}, {"type": "boolean"}], "nullable": True})
class BreakdownKeyField(serializers.Field):
    def to_representation(self, value: Any) -> Any:
        return value


class BreakdownRowSerializer(serializers.Serializer):
    key = BreakdownKeyField(
        help_text="entity: its code; department: its name (null: no department); manager: "
        "true or false; gender: F, M, X or an empty string (not stated)."
    )
    # DRF's metaclass takes declared fields out of the class: this one does not replace Field.label, which
    # the stubs see it override.
    label = serializers.CharField()  # type: ignore[assignment]
    numerator = serializers.IntegerField()
    denominator = serializers.IntegerField()
    value = percent_field()


class RateScopeSerializer(serializers.Serializer):
    entities = serializers.ListField(child=serializers.CharField(), help_text="Entity codes; empty: every entity.")
    departments = serializers.ListField(
        child=serializers.CharField(), help_text="Department names; empty: every department."
    )


class CompletionRateSerializer(serializers.Serializer):
    module = serializers.CharField(help_text="The module's code.")
    date = serializers.DateField(help_text="The reference day.")
    scope = RateScopeSerializer()
    value = percent_field()
    numerator = serializers.IntegerField(help_text="Employees of the denominator trained in the module at the day.")
    denominator = serializers.IntegerField(
        help_text="Employees present at the day, in the scope and in the module's audience."
    )
    not_trained = serializers.IntegerField(help_text="denominator − numerator: the people to remind.")
    method = serializers.CharField(help_text="The definition of the rate, in words (the indicator's method text).")
    breakdown = BreakdownRowSerializer(many=True, required=False, help_text="Only with `?breakdown=`.")


class TrendPointSerializer(serializers.Serializer):
    date = serializers.DateField(source="day", help_text="A month end (the last point: `until`).")
    value = percent_field()
    numerator = serializers.IntegerField()
    denominator = serializers.IntegerField()


class NotTrainedEmployeeSerializer(ModelSerializer):
    entity = serializers.SlugRelatedField[LegalEntity](slug_field="code", read_only=True)
    department = serializers.SlugRelatedField[Department](slug_field="name", read_only=True)
    last_completed_on = serializers.DateField(
        read_only=True,
        allow_null=True,
        help_text="Day of the employee's last completion of the module on or before the reference day that does "
        "not count (expired, or before deployment); null when none.",
    )

    class Meta:
        model = Employee
        fields = [
            "employee_id",
            "last_name",
            "first_name",
            "email",
            "entity",
            "department",
            "is_manager",
            "last_completed_on",
        ]
        read_only_fields = fields


# --- the modules ------------------------------------------------------------------------------------------


class ModuleSerializer(ModelSerializer):
    audience_entities = serializers.SlugRelatedField(
        slug_field="code",
        queryset=LegalEntity.objects.all(),
        many=True,
        required=False,
        help_text="Entity codes the audience is limited to; empty: every entity.",
    )
    audience_departments = serializers.SlugRelatedField(
        slug_field="name",
        queryset=Department.objects.all(),
        many=True,
        required=False,
        help_text="Department names the audience is limited to; empty: every department.",
    )

    class Meta:
        model = Module
        fields = [
            "id",
            "code",
            "title",
            "kind",
            "mandatory",
            "audience",
            "audience_entities",
            "audience_departments",
            "deployed_on",
            "renewal_months",
            "min_attendance_minutes",
            "expected_minutes",
            "description",
            "is_reference",
        ]
        read_only_fields = ["is_reference"]
        # The unique code is the service's check, with its message.
        extra_kwargs: ClassVar[dict[str, dict[str, Any]]] = {"code": {"validators": []}}

    # The services validate and write; the serializer only parses.
    def create(self, validated_data: dict[str, Any]) -> Module:
        return services.module_create(actor=self.context["request"].user, **validated_data)

    def update(self, instance: Module, validated_data: dict[str, Any]) -> Module:
        return services.module_update(actor=self.context["request"].user, module=instance, **validated_data)


class ModuleFilter(FilterSet):
    code = django_filters.CharFilter()
    kind = django_filters.ChoiceFilter(choices=ModuleKind.choices)
    audience = django_filters.ChoiceFilter(choices=Audience.choices)
    mandatory = StrictBooleanFilter()
    is_reference = StrictBooleanFilter(label="Reference modules (true) or the others (false)")

    class Meta:
        model = Module
        fields = ["code", "kind", "audience", "mandatory", "is_reference"]


class CanViewEmployees(permissions.BasePermission):
    """Listing people is reading the roster: it also needs the permission to view employees."""

    message = gettext_lazy("Listing the people not trained needs the permission to view employees.")

    def has_permission(self, request: Request, view: Any) -> bool:
        return request.user.has_perm("organization.view_employee")


_QUERY_400 = OpenApiResponse(description="A query parameter is refused: the body names it and says why.")
_NOT_FOUND = OpenApiResponse(description="No module with this code.")


@extend_schema_view(
    list=extend_schema(
        summary="Training modules", description="Filter by `code`, `kind`, `audience`, `mandatory`, `is_reference`."
    ),
    retrieve=extend_schema(summary="A training module"),
    create=extend_schema(summary="Create a training module"),
    update=extend_schema(
        summary="Change a training module",
        description="A reference module keeps its code. A new deployment day re-flags the "
        "module's completions dated before it.",
    ),
    partial_update=extend_schema(summary="Change some fields of a training module"),
    destroy=extend_schema(
        summary="Delete a training module",
        responses={
            204: None,
            400: OpenApiResponse(description="The module has completions or sessions."),
            403: OpenApiResponse(
                description="A reference module (behind a DPEF indicator) is never deleted, or no `delete` permission."
            ),
        },
    ),
)
@extend_schema(tags=["training"])
class ModuleViewSet(viewsets.ModelViewSet):
    """Training modules, by code. The reference modules exist in every installation and are never deleted."""

    queryset = Module.objects.prefetch_related("audience_entities", "audience_departments").order_by("code")
    serializer_class = ModuleSerializer
    filterset_class = ModuleFilter
    lookup_field = "code"
    lookup_value_regex = "[^/]+"

    @transaction.atomic
    def perform_destroy(self, instance: Module) -> None:
        try:
            services.module_delete(actor=self.request.user, module=instance)
        except services.ReferenceModuleProtected as exc:
            raise PermissionDenied(exc.messages[0]) from None
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"non_field_errors": exc.messages}) from None

    def _query(self, query_class: type[ScopeQuery]) -> ScopeQuery:
        query = query_class(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return query

    @extend_schema(
        summary="Completion rate of the module at a day",
        description="Employees present at `date` (hired on or before it, contract not ended before it), in the "
        "scope and in the module's audience, trained in the module at `date` ÷ those employees "
        "(docs/rules.md, Training; training.kpis). `value` is a JSON number in percent with one decimal "
        "(null on 0/0); `numerator` and `denominator` are exact. Scope: `entity` (codes) and "
        "`department` (names or ids), each repeatable; both given, both apply.",
        parameters=[RateQuery],
        responses={200: CompletionRateSerializer, 400: _QUERY_400, 404: _NOT_FOUND},
    )
    @action(detail=True, methods=["get"], url_path="completion-rate", filter_backends=[], pagination_class=None)
    def completion_rate(self, request: Request, code: str | None = None) -> Response:
        module = self.get_object()
        query = self._query(RateQuery)
        day = query.validated_data.get("date") or timezone.localdate()
        scope = query.scope()
        rate = kpis.completion_rate(module, day, scope)
        data: dict[str, Any] = {
            "module": module.code,
            "date": day,
            "scope": query.scope_data(),
            "value": rate.value,
            "numerator": rate.numerator,
            "denominator": rate.denominator,
            "not_trained": rate.not_trained,
            "method": kpis.method_text(module, day),
        }
        if by := query.validated_data.get("breakdown"):
            data["breakdown"] = kpis.breakdown(module, day, by, scope)
        return Response(CompletionRateSerializer(data).data)

    @extend_schema(
        summary="Employees not yet trained in the module at a day",
        description="The people to remind: in the denominator of the completion rate at `date` and not trained "
        "then, in the roster's order (last name, first name, employee ID). Also needs the permission to view "
        "employees.",
        parameters=[NotTrainedQuery],
        responses={200: NotTrainedEmployeeSerializer(many=True), 400: _QUERY_400, 404: _NOT_FOUND},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="not-trained",
        filter_backends=[],
        permission_classes=[StrictModelPermissions, CanViewEmployees],
    )
    def not_trained(self, request: Request, code: str | None = None) -> Response:
        module = self.get_object()
        query = self._query(NotTrainedQuery)
        day = query.validated_data.get("date") or timezone.localdate()
        page = self.paginate_queryset(kpis.not_trained(module, day, query.scope()))
        return self.get_paginated_response(NotTrainedEmployeeSerializer(page, many=True).data)

    @extend_schema(
        summary="Monthly trend of the module's completion rate",
        description="The completion rate at the end of each of the `months` months ending with `until`'s month "
        "(the last point is `until` itself), from the month before the module's deployment on.",
        parameters=[TrendQuery],
        responses={200: TrendPointSerializer(many=True), 400: _QUERY_400, 404: _NOT_FOUND},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def trend(self, request: Request, code: str | None = None) -> Response:
        module = self.get_object()
        query = self._query(TrendQuery)
        until = query.validated_data.get("until") or timezone.localdate()
        points = kpis.monthly_trend(module, until, query.validated_data["months"], query.scope())
        return Response(TrendPointSerializer(points, many=True).data)


ROUTES: list = [("modules", ModuleViewSet, "module")]
