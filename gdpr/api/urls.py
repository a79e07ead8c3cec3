"""API routes of the gdpr app: each module declares its ROUTES."""

from rest_framework.routers import DefaultRouter

from . import breaches, cnil, register, rights

router = DefaultRouter()
for module in (rights, cnil, breaches, register):
    for prefix, viewset, basename in module.ROUTES:
        router.register(prefix, viewset, basename=basename)
urlpatterns = router.urls
