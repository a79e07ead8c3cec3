"""Vigie's URLs: the admin, the API with its OpenAPI schema, and the health check."""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import URLPattern, URLResolver, include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from core.downloads import media_download
from core.views import health
from notifications.calendar import calendar_feed

admin.site.site_header = _("Vigie – compliance monitoring")
admin.site.site_title = _("Vigie")
admin.site.index_title = _("Compliance, GDPR and training follow-up")

api_patterns: list[URLPattern | URLResolver] = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Login required (SPECTACULAR_SETTINGS["SERVE_PERMISSIONS"]); a browser without a session goes to the login.
    path("docs/", login_required(SpectacularSwaggerView.as_view(url_name="schema")), name="docs"),
    path("imports/", include("core.api.urls")),
    path("organization/", include("organization.api.urls")),
    path("gdpr/", include("gdpr.api.urls")),
    path("compliance/", include("compliance.api.urls")),
    path("training/", include("training.api.urls")),
    path("aml/", include("aml.api.urls")),
    path("whistleblowing/", include("whistleblowing.api.urls")),
    path("reporting/", include("reporting.api.urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("api/", include(api_patterns)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("health/", health, name="health"),
    # The stored files (letters, evidence, source documents): for who may view their record only (core/downloads.py).
    path(f"{settings.MEDIA_URL.strip('/')}/<path:name>", admin.site.admin_view(media_download), name="media"),
    path("notifications/", include("notifications.urls")),
    # A person's deadlines in their calendar application: no login, the secret in the path (notifications/calendar.py).
    path("calendrier/<str:token>.ics", calendar_feed, name="calendar_feed"),
    # The public whistleblowing channel: no login, no address kept (whistleblowing/public/).
    path("signalement/", include("whistleblowing.public.urls")),
]
if settings.VIGIE_OIDC_ENABLED:
    # Company sign-on (core/oidc.py): only mounted when configured, so that nothing answers there otherwise.
    urlpatterns.append(path("oidc/", include("core.oidc")))

# 403 and 404 in the admin's look (a plain page for who may not use the admin), with a way back; JSON under
# /api/, like every other API error (core/errors.py).
handler403 = "core.errors.permission_denied"
handler404 = "core.errors.page_not_found"
