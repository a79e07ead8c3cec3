"""Logging filters of the settings' LOGGING (no Django import: logging is configured before the apps load).

A calendar feed's path holds its secret (`/calendrier/<secret>.ics`, notifications/calendar.py): whoever
reads the logs must not be able to subscribe to it. `redact_secret_paths` replaces the secret by "…" in the
request lines of runserver (`django.server`, filter `RedactSecretPaths`) and of gunicorn's access log
(core/gunicorn.py, `--logger-class`); the feed's own 404 and 429 are not passed to `django.request`.

Django logs every 403 as a WARNING "Forbidden (Permission denied)" with the PermissionDenied traceback, and
every 404 with the Http404 one: neither is a fault of the server, and a page the user may not open is
routine (a role without a permission). `QuietClientErrors`, on the `django.request` logger, makes a 403 one
INFO line and drops the traceback of a 404 (it keeps its level). What was asked for is still logged.
"""

from __future__ import annotations

import logging
import re
from typing import Any


class QuietClientErrors(logging.Filter):
    """On the `django.request` logger: a 403 is one INFO line without traceback, a 404 keeps its level
    without a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if status in (403, 404):
            record.exc_info = None
            record.exc_text = None
            if status == 403 and record.levelno > logging.INFO:
                record.levelno, record.levelname = logging.INFO, logging.getLevelName(logging.INFO)
        return True


#: The secret in a calendar feed's path.
SECRET_PATH = re.compile(r"(/calendrier/)[^/\s?\"']+(\.ics)")


def redact_secret_paths(value: Any) -> Any:
    """`value` with the secret of any calendar feed path replaced by "…" (anything else unchanged)."""
    return SECRET_PATH.sub(r"\1…\2", value) if isinstance(value, str) else value


class RedactSecretPaths(logging.Filter):
    """On the request loggers: no calendar feed secret in the message or its arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact_secret_paths(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact_secret_paths(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: redact_secret_paths(arg) for key, arg in record.args.items()}
        return True
