"""Turn model and service validation errors into 400 responses with field messages, never 500s.

Also: a body over Django's limits (DATA_UPLOAD_MAX_MEMORY_SIZE: a JSON or form body, the non-file fields of a
multipart one) is a 413 naming both sizes (or a 400 for too many fields) in JSON instead of Django's bare
400 page, and a throttled request is told which limit it reached and when to come back (`Retry-After`).

A request refused for want of (valid) credentials counts against the per-address `anon` rate: DRF checks
permissions before throttles, so without this an anonymous client, or one trying tokens, would never be
throttled on views that need a login (all of Vigie's).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import (
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
    ValidationError as DjangoValidationError,
)
from django.db import IntegrityError
from django.db.models import ProtectedError, RestrictedError
from django.utils.translation import gettext as _, gettext_lazy, ngettext
from rest_framework import status
from rest_framework.exceptions import AuthenticationFailed, ErrorDetail, NotAuthenticated, Throttled
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

PERIODS = {
    1: gettext_lazy("second"),
    60: gettext_lazy("minute"),
    3600: gettext_lazy("hour"),
    86400: gettext_lazy("day"),
}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, OverflowError):
        # A date or number beyond what Python or the database can hold (e.g. year 1 in Paris time).
        return Response(
            {"non_field_errors": [_("A date or a number is out of range.")]}, status=status.HTTP_400_BAD_REQUEST
        )
    if isinstance(exc, (ProtectedError, RestrictedError)):
        # A DELETE of a row others still point to (an entity with employees...): say which, not the SQL.
        objects = exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects
        kinds = sorted({str(obj._meta.verbose_name_plural) for obj in objects})
        message = _("This record cannot be deleted: other records refer to it (%(kinds)s).") % {
            "kinds": ", ".join(kinds)
        }
        return Response({"non_field_errors": [message]}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, IntegrityError):
        return Response({"non_field_errors": [str(exc).splitlines()[0]]}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, SuspiciousOperation):
        return _suspicious(exc, context)
    if isinstance(exc, (NotAuthenticated, AuthenticationFailed)):
        exc = _anonymous_throttle(exc, context)
    if isinstance(exc, Throttled):
        exc.detail = ErrorDetail(_throttled_message(exc, context), code=exc.default_code)
    response = drf_exception_handler(exc, context)
    if response is not None and response.status_code == status.HTTP_400_BAD_REQUEST and isinstance(response.data, list):
        # `raise ValidationError("...")` outside a serializer gives a bare list; the documented shape is an object.
        response.data = {"non_field_errors": response.data}
    return response


def _suspicious(exc: SuspiciousOperation, context: dict[str, Any]) -> Response | None:
    """Django's request limits, raised while DRF reads the body (Django would answer a bare 400 page)."""
    if isinstance(exc, RequestDataTooBig):
        from core.imports.uploads import content_length, size_text

        request = context.get("request")
        meta = request.META if request is not None else {}
        size = content_length(request) if request is not None else 0
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
        if not str(meta.get("CONTENT_TYPE", "")).startswith("multipart/"):
            # DRF reads a JSON or form body through request.body, which holds it to the limit.
            message = _("The request body is too large: %(size)s; the limit is %(limit)s.") % {
                "size": size_text(size),
                "limit": size_text(limit),
            }
            return Response({"detail": message}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        message = _(
            "The form fields of the request are too large (the request is %(size)s); the limit is %(limit)s "
            "besides the files."
        ) % {"size": size_text(size), "limit": size_text(limit)}
        return Response({"detail": message}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, TooManyFieldsSent):
        message = _("The request has too many fields (the limit is %(limit)d).") % {
            "limit": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        }
        return Response({"detail": message}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, TooManyFilesSent):
        message = _("The request has too many files (the limit is %(limit)d).") % {
            "limit": settings.DATA_UPLOAD_MAX_NUMBER_FILES
        }
        return Response({"detail": message}, status=status.HTTP_400_BAD_REQUEST)
    return None  # other suspicious operations keep Django's handling (logged, 400)


def _anonymous_throttle(exc: Exception, context: dict[str, Any]) -> Exception:
    """The refusal itself, or a Throttled once the client's address is past the `anon` rate."""
    from .throttling import AnonThrottle

    request, view = context.get("request"), context.get("view")
    if request is None or view is None:  # DRF's handler context holds both; a bare call may not
        return exc
    throttle = AnonThrottle()
    if throttle.allow_request(request, view):
        return exc
    return Throttled(throttle.wait())


def _throttled_message(exc: Throttled, context: dict[str, Any]) -> str:
    wait = int(exc.wait or 0)  # type: ignore[attr-defined]  # set by Throttled.__init__; the stubs leave it out
    again = ngettext("Try again in %(wait)d second.", "Try again in %(wait)d seconds.", wait) % {"wait": wait}
    request = context.get("request")
    from .throttling import THROTTLED_ATTR

    refused = getattr(request, THROTTLED_ATTR, None) if request is not None else None
    if not refused:
        return " ".join([_("Too many requests."), again])
    # The limit that keeps the client waiting longest is the one to name.
    throttle = max(refused, key=lambda t: t.wait())
    period = PERIODS.get(throttle.duration or 0) or _("%(seconds)d seconds") % {"seconds": throttle.duration or 0}
    limit = _("Too many requests: at most %(count)d per %(period)s.") % {
        "count": throttle.num_requests or 0,
        "period": period,
    }
    return " ".join([limit, again])
