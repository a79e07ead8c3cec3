"""API routes of the organization app: each module declares its ROUTES."""

from rest_framework.routers import DefaultRouter

from . import departments, employees, entities

router = DefaultRouter()
for module in (entities, departments, employees):
    for prefix, viewset, basename in module.ROUTES:
        router.register(prefix, viewset, basename=basename)
urlpatterns = router.urls
