"""API routes of reporting/: the indicators export is one view, not a router's collection."""

from django.urls import path

from .indicators import IndicatorsExportView

urlpatterns = [path("indicators/", IndicatorsExportView.as_view(), name="reporting-indicators")]
