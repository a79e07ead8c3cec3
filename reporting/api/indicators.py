"""`GET /api/reporting/indicators/?year=YYYY[&entity=CODE]`: the indicators export (docs/interfaces.md, JSON
shape), of the company or (`entity`) of one legal entity's records only, computed now and never published.

Reading it needs the permission to view indicator values (compliance officers, DPO, training
managers, auditors: core/roles.py). A missing or impossible year is a 400 naming the parameter. The values
are those the caller may read (reporting/visibility.py): a value of a year not frozen, computed from
records their role may not view, is "withheld" (a value per entity is never published: the same rule).
An unknown entity code is a 400 naming `entity`.
"""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.permissions import StrictModelPermissions
from core.api.schema import AutoSchema
from core.api.serializers import DateTimeField

from .. import exports, services, visibility
from ..models import IndicatorValue

_WITHHELD = (
    "null when `status` is `withheld`: the year is not frozen and the caller's role may not view every "
    "kind of record the value is computed from."
)
_INDICATOR = inline_serializer(
    "ExportedIndicator",
    fields={
        "code": serializers.CharField(),
        "enjeu": serializers.IntegerField(),
        "label": serializers.CharField(),
        "unit": serializers.CharField(),
        "value": serializers.FloatField(
            allow_null=True,
            help_text=(
                "The value; null without one (see `status`). A value of a year not frozen is shown only to a role that "
                "may view every kind of record it is computed from; once the year is frozen, to every reader."
            ),
        ),
        "numerator": serializers.IntegerField(allow_null=True, help_text=f"A rate's numerator; {_WITHHELD}"),
        "denominator": serializers.IntegerField(allow_null=True, help_text=f"A rate's denominator; {_WITHHELD}"),
        "previous_value": serializers.FloatField(
            allow_null=True, help_text=("N-1's value; null when withheld by the same rule as `value` (N-1 not frozen).")
        ),
        "source": serializers.CharField(),
        "method": serializers.CharField(),
        "status": serializers.ChoiceField(
            choices=[
                ("computed", "computed from the records"),
                ("entered", "a manual value, entered by its owner"),
                ("no_data", "nothing recorded for the year"),
                ("error", "the computation failed (see `note`)"),
                ("missing", "a manual value nobody entered"),
                (
                    visibility.WITHHELD,
                    "not published yet: the year is not frozen and the caller's role may not view every "
                    "kind of record the value is computed from; the value, its parts, its status and "
                    "its note are withheld, the same whatever they are",
                ),
                (
                    services.NOT_BY_ENTITY,
                    "asked for one legal entity, but its records do not say which entity they belong to (or it "
                    "is a manual value, entered for the whole company): no value, never the company's",
                ),
            ]
        ),
        "note": serializers.CharField(),
        "entity": serializers.CharField(
            allow_null=True, help_text="The legal entity whose records only are counted; null: the company total."
        ),
    },
)
_EXPORT = inline_serializer(
    "IndicatorsExport",
    fields={
        "year": serializers.IntegerField(),
        "generated_at": DateTimeField(),
        "frozen": serializers.BooleanField(),
        "entity": serializers.CharField(
            allow_null=True,
            help_text=(
                "The code of the legal entity whose records only are counted (its figures computed now, never "
                "the published ones, even when the year is frozen); null: the company total."
            ),
        ),
        "entity_name": serializers.CharField(allow_null=True, help_text="That entity's name; null: the company."),
        "indicators": _INDICATOR.__class__(many=True),
        "esrs": _INDICATOR.__class__(many=True),
    },
)


class IndicatorsSchema(AutoSchema):
    """`year`'s bounds are those of services.year_check, the last one moving with the calendar."""

    def get_override_parameters(self) -> list:
        year = {"type": "integer", "minimum": services.FIRST_YEAR, "maximum": timezone.localdate().year + 1}
        return [
            *super().get_override_parameters(),
            OpenApiParameter("year", year, required=True, description="The fiscal year."),
            OpenApiParameter(
                "entity",
                str,
                required=False,
                description=(
                    "A legal entity's code: the figures of its records only (not its subsidiaries'; records "
                    "naming no entity are the parent company's), computed now and never published. Default: "
                    "the company total."
                ),
            ),
        ]


class IndicatorsExportView(APIView):
    permission_classes = [StrictModelPermissions]
    queryset = IndicatorValue.objects.none()  # for the model permissions
    schema = IndicatorsSchema()

    @extend_schema(
        operation_id="reporting_indicators_export",
        description=(
            "The indicators of a year (docs/interfaces.md, JSON shape), N-1 beside N. The figures of a "
            "frozen year are published: every reader gets them. Those of a year not frozen (or never "
            "computed) are counts of records: a value is given only to a role that may view every kind of "
            "record it is computed from, else it is `withheld` (null value, numerator, denominator and "
            "previous value, one note), whatever the value; manual values are always given."
        ),
        responses={
            200: _EXPORT,
            400: OpenApiResponse(description="`year` is missing or impossible, or `entity` is no entity's code."),
        },
    )
    def get(self, request: Request) -> Response:
        year = request.query_params.get("year")
        if year in (None, ""):
            return Response({"year": ["This parameter is required (e.g. ?year=2023)."]}, status=400)
        try:
            year_value = services.year_check(year)
        except services.ReportingError as exc:
            return Response({"year": [str(exc)]}, status=400)
        entity = request.query_params.get("entity")
        scope = None
        if entity is not None:
            try:
                scope = services.entity_check(entity)
            except services.ReportingError as exc:
                return Response({"entity": [str(exc)]}, status=400)
        return Response(exports.as_dict(year_value, user=request.user, entity=scope))
