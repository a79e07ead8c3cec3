"""`GET /api/reporting/indicators/?year=YYYY`: the indicators export (docs/interfaces.md, JSON shape).

Reading it needs the permission to view indicator values (compliance officers, DPO, training
managers, auditors: core/roles.py). A missing or impossible year is a 400 naming the parameter.
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

from .. import export, services
from ..models import IndicatorValue

_INDICATOR = inline_serializer("ExportedIndicator", fields={
    "code": serializers.CharField(), "enjeu": serializers.IntegerField(), "label": serializers.CharField(),
    "unit": serializers.CharField(),
    "value": serializers.FloatField(allow_null=True), "numerator": serializers.IntegerField(allow_null=True),
    "denominator": serializers.IntegerField(allow_null=True),
    "previous_value": serializers.FloatField(allow_null=True), "source": serializers.CharField(),
    "method": serializers.CharField(), "status": serializers.CharField(), "note": serializers.CharField(),
})
_EXPORT = inline_serializer("IndicatorsExport", fields={
    "year": serializers.IntegerField(), "generated_at": DateTimeField(),
    "frozen": serializers.BooleanField(), "indicators": _INDICATOR.__class__(many=True),
    "esrs": _INDICATOR.__class__(many=True),
})


class IndicatorsSchema(AutoSchema):
    """`year`'s bounds are those of services.check_year, the last one moving with the calendar."""

    def get_override_parameters(self) -> list:
        year = {"type": "integer", "minimum": services.FIRST_YEAR, "maximum": timezone.localdate().year + 1}
        return [*super().get_override_parameters(),
                OpenApiParameter("year", year, required=True, description="The fiscal year.")]


class IndicatorsExportView(APIView):
    permission_classes = [StrictModelPermissions]
    queryset = IndicatorValue.objects.none()  # for the model permissions
    schema = IndicatorsSchema()

    @extend_schema(
        operation_id="reporting_indicators_export",
        responses={200: _EXPORT, 400: OpenApiResponse(description="`year` is missing or impossible.")},
    )
    def get(self, request: Request) -> Response:
        year = request.query_params.get("year")
        if year in (None, ""):
            return Response({"year": ["This parameter is required (e.g. ?year=2023)."]}, status=400)
        try:
            year_value = services.check_year(year)
        except services.ReportingError as exc:
            return Response({"year": [str(exc)]}, status=400)
        return Response(export.as_dict(year_value))
