"""API routes of the compliance app: each module declares its ROUTES."""

from rest_framework.routers import DefaultRouter

from . import cases, corruption, riskmaps

router = DefaultRouter()
for module in (cases, corruption, riskmaps):
    for prefix, viewset, basename in module.ROUTES:
        router.register(prefix, viewset, basename=basename)
urlpatterns = router.urls
