"""A request that waited too long for another writer gets 503 "busy, try again", not a 500.

Writers wait for each other (config/settings/base.py: SQLite's busy timeout; PostgreSQL's row locks). A wait
can still end in an error: a `--strict` import of a large file holds SQLite's write lock for its whole
length, a PostgreSQL deadlock or lock timeout. The request's transaction was rolled back; the person only
has to try again, which is what 503 with Retry-After says (JSON under /api/, a page elsewhere).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from .api.errors import API_PREFIX
from .database import is_busy

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 10


class DatabaseBusyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_busy(exception):
            return None
        logger.warning("database busy: %s %s: %s", request.method, request.path, exception)
        message = _(
            "The database was busy with other changes (an import, perhaps) for too long: this request "
            "was not carried out. Try again in a moment."
        )
        response: HttpResponse
        if request.path_info.startswith(API_PREFIX):
            response = JsonResponse({"detail": message}, status=503)
        else:
            response = TemplateResponse(request, "admin/vigie/database_busy.html", {"message": message}, status=503)
            response.render()
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
