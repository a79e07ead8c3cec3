"""Plain views of the core app."""

from __future__ import annotations

import hmac
from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

from . import health as health_checks
from .security import is_verified


def _health_viewer(request: HttpRequest) -> Any | None:
    """Who may read the details of the health page: the operator's monitoring, with the token in an
    `Authorization: Bearer` header (compared in constant time; no token configured: none accepted), or a
    logged-in staff user (two-factor verified where required). None: anyone else."""
    token = settings.VIGIE_HEALTH_TOKEN
    scheme, _space, given = request.headers.get("Authorization", "").partition(" ")
    if token and scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
        return health_checks.OPERATOR
    user = request.user
    if user.is_authenticated and user.is_active and user.is_staff and is_verified(user):
        return user
    return None


@never_cache
def health(request: HttpRequest) -> JsonResponse:
    """For load balancers and operators: 200 when the database answers ("ok", or "degraded" when another
    part is down or late), else 503 ("down"). The details only for staff and the token (settings
    VIGIE_HEALTH_TOKEN): which engine and broker run, and what is down, help an attacker too."""
    body = health_checks.report(_health_viewer(request))
    return JsonResponse(body, status=503 if body["status"] == health_checks.DOWN else 200)
