"""API routes of the organization app."""
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.register("entities", views.LegalEntityViewSet)
router.register("departments", views.DepartmentViewSet)
router.register("employees", views.EmployeeViewSet)
urlpatterns = router.urls
