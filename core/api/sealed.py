"""The API of a sealed app (core/roles.py `seal_of`, e.g. aml): for a user the seal keeps out, its paths do
not exist.

`sealed_patterns(urlpatterns, app_label=...)` wraps every view of the app's URL patterns (aml/api/urls.py):
the caller is authenticated with DRF's own authentication classes (a token is not seen by Django's
middleware), and a caller outside the seal (anonymous, a failed authentication, any role but the seal's,
superusers when the setting says so) gets **the response of the site's 404 handler itself**, the one a
missing path such as `/api/no-such-thing/` gets: same status, body and headers (a DRF NotFound raised in the
view would add `Allow` and `Vary` headers, and a 401/403 would tell that the path exists).

`SealedPermission` (first in a sealed app's `permission_classes`, and checked by `StrictModelPermissions`)
says the same inside DRF, for any view of a sealed model reached another way, and is what the schema
generator sees.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import update_wrapper
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.exceptions import APIException, NotFound
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.settings import api_settings

from core.roles import sealed_out


def api_user(request: HttpRequest) -> Any:
    """The user DRF would authenticate for `request` (None when the credentials are refused)."""
    classes: list[Any] = list(api_settings.DEFAULT_AUTHENTICATION_CLASSES)
    drf_request = Request(request, authenticators=[auth() for auth in classes])
    try:
        return drf_request.user
    except APIException:
        return None


def not_found_response(request: HttpRequest) -> HttpResponse:
    """What the site answers for a path that matches no route (the root URLconf's handler404)."""
    handler: Any = get_resolver().resolve_error_handler(404)
    response: HttpResponse = handler(request, Http404())
    return response


def sealed_view(view: Callable[..., HttpResponse], app_label: str) -> Callable[..., HttpResponse]:
    def sealed(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        session = getattr(request, "session", None)
        accessed = getattr(session, "accessed", None)
        if sealed_out(api_user(request), app_label):
            # Reading the session to know the caller would add "Vary: Cookie", which a missing path has not.
            if session is not None and accessed is not None:
                session.accessed = accessed
            return not_found_response(request)
        return view(request, *args, **kwargs)

    return update_wrapper(sealed, view)


def sealed_patterns(urlpatterns: list, *, app_label: str) -> list:
    """`urlpatterns` with every view sealed for `app_label` (in place, nested includes too)."""
    for pattern in urlpatterns:
        if isinstance(pattern, URLPattern):
            pattern.callback = sealed_view(pattern.callback, app_label)
        elif isinstance(pattern, URLResolver):
            sealed_patterns(pattern.url_patterns, app_label=app_label)
    return urlpatterns


def view_model(view: Any) -> Any:
    """The model of a DRF view (its queryset's), or None."""
    queryset = getattr(view, "queryset", None)
    if queryset is None and hasattr(view, "get_queryset"):
        try:
            queryset = view.get_queryset()
        except Exception:  # noqa: BLE001 - a view that needs its request's arguments: no model to seal
            return None
    return getattr(queryset, "model", None)


class SealedPermission(BasePermission):
    """A view of a sealed model answers 404 (DRF's NotFound) to a user outside the seal."""

    def has_permission(self, request: Any, view: Any) -> bool:
        model = view_model(view)
        if model is not None and sealed_out(request.user, model):
            raise NotFound
        return True
