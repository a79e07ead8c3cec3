"""API routes of reporting/."""
from django.urls import path

from .views import IndicatorsExportView

urlpatterns = [path("indicators/", IndicatorsExportView.as_view(), name="reporting-indicators")]
