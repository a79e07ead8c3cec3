"""API routes of the AML/CFT app: each module declares its ROUTES. Sealed: 404 for anyone outside the role."""

from rest_framework.routers import DefaultRouter

from . import alerts, counterparties, screening

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
for module in (alerts, counterparties, screening):
    for prefix, viewset, basename in module.ROUTES:
        router.register(prefix, viewset, basename=basename)
urlpatterns = router.urls
