"""API routes of the AML/CFT app: each module declares its ROUTES. Sealed: 404 for anyone outside the role."""

from core.api.routers import Router
from core.api.sealed import sealed_patterns

from . import alerts, counterparties, screening

router = Router(trailing_slash=True)
router.include_root_view = False
for module in (alerts, counterparties, screening):
    for prefix, viewset, basename in module.ROUTES:
        router.register(prefix, viewset, basename=basename)
# Sealed (core/api/sealed.py): for anyone outside the LCB-FT role, every path answers the site's 404.
urlpatterns = sealed_patterns(router.urls, app_label="aml")
