"""The 403 and 404 pages (config/urls.py handler403, handler404): in the admin's look for who may use the
admin, a plain page otherwise; in the user's language, with a way back (the home page and, when it is a
page of this site, the previous one). Under /api/ they answer JSON, like every other API error.

They say nothing of what was asked for: a record that exists but may not be opened and one that does not
exist read the same wherever the views already answer the same status for both. How they are logged:
core/logs.py.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from .api.errors import API_PREFIX, not_found as api_not_found

logger = logging.getLogger(__name__)

ADMIN_TEMPLATE = "core/errors/admin_error.html"
PLAIN_TEMPLATE = "core/errors/plain_error.html"


def _previous_page(request: HttpRequest) -> str | None:
    """The page the user came from, when it is a page of this site other than this one."""
    referer = request.headers.get("Referer", "")
    if not referer or not url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return None
    return None if referer.endswith(request.get_full_path()) else referer


def _admin_user(request: HttpRequest) -> bool:
    """Whether the user may use the admin (active staff, two-factor verified where required)."""
    try:
        return getattr(request, "user", None) is not None and admin.site.has_permission(request)
    except Exception:  # an error page never fails on who is asking
        logger.warning("could not tell whether the user may use the admin", exc_info=True)
        return False


class _PageRequest:
    """The request as the error page's templates see it: the refused URL is not echoed (the language switcher
    of the admin's header goes back to the home page), so the page is the same whichever URL was asked
    for: a record's id, a version's number, are not repeated to who may not open them."""

    def __init__(self, request: HttpRequest, home_url: str) -> None:
        self._request, self._home_url = request, home_url

    def __getattr__(self, name: str) -> Any:
        return getattr(self._request, name)

    @property
    def path(self) -> str:
        return self._home_url

    def get_full_path(self) -> str:
        return self._home_url


def error_page(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    context: dict[str, Any] = {
        "title": title,
        "message": message,
        "status": status,
        "home_url": reverse("admin:index"),
        "previous_url": _previous_page(request),
    }
    context["request"] = _PageRequest(request, context["home_url"])
    if _admin_user(request):
        try:
            body = render_to_string(ADMIN_TEMPLATE, {**admin.site.each_context(request), **context}, request)
            return HttpResponse(body, status=status)
        except Exception:  # the admin's look needs the database (menus): the plain page still answers
            logger.warning("could not render the %s page in the admin's look", status, exc_info=True)
    return HttpResponse(render_to_string(PLAIN_TEMPLATE, context, request), status=status)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path_info.startswith(API_PREFIX):
        return JsonResponse({"detail": _("You do not have permission to perform this action.")}, status=403)
    return error_page(
        request,
        403,
        _("Access refused"),
        _("Your role does not give access to this page. If you need it, ask your administrator."),
    )


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path_info.startswith(API_PREFIX):
        return api_not_found(request, exception)
    return error_page(
        request,
        404,
        _("Page not found"),
        _("This page does not exist, or no longer does. The link you followed may be out of date."),
    )
