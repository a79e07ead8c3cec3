"""Logging filters of the settings' LOGGING (no Django import: logging is configured before the apps load).

Django logs every 403 as a WARNING "Forbidden (Permission denied)" with the PermissionDenied traceback, and
every 404 with the Http404 one: neither is a fault of the server, and a page the user may not open is
routine (a role without a permission). `QuietClientErrors`, on the `django.request` logger, makes a 403 one
INFO line and drops the traceback of a 404 (it keeps its level). What was asked for is still logged.
"""

from __future__ import annotations

import logging


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
