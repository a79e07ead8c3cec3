"""API routes of the compliance app: each module declares its ROUTES."""

from core.api.routers import Router

from . import cases, corruption, riskmaps

router = Router()
for module in (cases, corruption, riskmaps):
    for prefix, viewset, basename in module.ROUTES:
        router.register(prefix, viewset, basename=basename)
urlpatterns = router.urls
