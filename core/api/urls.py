"""API routes of the core app: the import runs and the upload of a file of each kind."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .imports import ImportRunViewSet, ImportUploadView

router = SimpleRouter()
router.register("runs", ImportRunViewSet, basename="importrun")
urlpatterns = [
    *router.urls,
    path("<slug:kind>/", ImportUploadView.as_view(), name="import-upload"),
]
