"""`GET /api/reporting/indicators/?year=YYYY`: the indicators export (docs/interfaces.md, JSON shape).

Reading it needs the permission to view indicator values (compliance officers, DPO, training
managers, auditors: core/roles.py). A missing or impossible year is a 400 naming the parameter. The values
are those the caller may read (reporting/visibility.py): a value of a year not frozen, computed from
records their role may not view, is "withheld".
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
            ]
        ),
        "note": serializers.CharField(),
    },
)
_EXPORT = inline_serializer(
    "IndicatorsExport",
    fields={
        "year": serializers.IntegerField(),
        "generated_at": DateTimeField(),
        "frozen": serializers.BooleanField(),
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
        responses={200: _EXPORT, 400: OpenApiResponse(description="`year` is missing or impossible.")},
    )
    def get(self, request: Request) -> Response:
        year = request.query_params.get("year")
        if year in (None, ""):
            return Response({"year": ["This parameter is required (e.g. ?year=2023)."]}, status=400)
        try:
            year_value = services.year_check(year)
        except services.ReportingError as exc:
            return Response({"year": [str(exc)]}, status=400)
        return Response(exports.as_dict(year_value, user=request.user))
