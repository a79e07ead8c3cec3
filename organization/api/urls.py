"""API routes of the organization app: each module declares its ROUTES."""

from core.api.routers import Router

from . import departments, employees, entities

router = Router()
for module in (entities, departments, employees):
    for prefix, viewset, basename in module.ROUTES:
        router.register(prefix, viewset, basename=basename)
urlpatterns = router.urls
