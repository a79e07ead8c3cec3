"""API routes of the gdpr app: each module declares its ROUTES."""

from core.api.routers import Router

from . import breaches, cnil, register, rights

router = Router()
for module in (rights, cnil, breaches, register):
    for prefix, viewset, basename in module.ROUTES:
        router.register(prefix, viewset, basename=basename)
urlpatterns = router.urls
