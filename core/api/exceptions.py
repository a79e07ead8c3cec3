"""Turn model and service validation errors into 400 responses with field messages, never 500s."""
from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, OverflowError):
        # A date or number beyond what Python or the database can hold (e.g. year 1 in Paris time).
        return Response({"non_field_errors": [_("A date or a number is out of range.")]}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, IntegrityError):
        return Response({"non_field_errors": [str(exc).splitlines()[0]]}, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)
