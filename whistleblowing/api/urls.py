"""API routes of the whistleblowing app: each module declares its ROUTES."""

from core.api.routers import Router

from . import reports

router = Router(trailing_slash=True)
router.include_root_view = False
for module in (reports,):
    for prefix, viewset, basename in module.ROUTES:
        router.register(prefix, viewset, basename=basename)
urlpatterns = router.urls
