"""Errors of URLs that match no route: JSON under /api/ (what an API client reads), Django's page elsewhere.

Called by the 404 handler (core/errors.py, `handler404` in config/urls.py). DRF answers JSON for what reaches a view; a URL that reaches none
(`/api/gdpr/rights-requests/1.5/`, a typo in a path) would otherwise get Django's HTML page.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.defaults import page_not_found

API_PREFIX = "/api/"


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path_info.startswith(API_PREFIX):
        # DRF's own message (and translation) for a missing object.
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return page_not_found(request, exception)  # Django's own page (core/errors.py answers outside /api/)
