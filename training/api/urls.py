"""API routes of the training app: each module declares its ROUTES."""

from core.api.routers import Router

from . import completions, modules, phishing, sessions

router = Router()
for module in (modules, completions, sessions, phishing):
    for prefix, viewset, basename in module.ROUTES:
        router.register(prefix, viewset, basename=basename)
urlpatterns = router.urls
