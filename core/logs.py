"""Logging filters of the settings' LOGGING (no Django import: logging is configured before the apps load).

A calendar feed's path holds its secret (`/calendrier/<secret>.ics`, notifications/calendar.py): whoever
reads the logs must not be able to subscribe to it. `redact_secret_paths` replaces the secret by "…" in the
request lines of runserver (`django.server`, filter `RedactSecretPaths`) and of gunicorn's access log
(core/gunicorn.py, `--logger-class`); the feed's own 404 and 429 are not passed to `django.request`.

Django logs every 403 as a WARNING "Forbidden (Permission denied)" with the PermissionDenied traceback, and
every 404 with the Http404 one: neither is a fault of the server, and a page the user may not open is
routine (a role without a permission). `QuietClientErrors`, on the `django.request` logger, makes a 403 one
INFO line and drops the traceback of a 404 (it keeps its level). What was asked for is still logged.

The public whistleblowing channel (`/signalement/`, whistleblowing/public/) must keep no address or browser
detail of its visitors (loi 2016-1691 art. 9). Its request lines say nothing of the visitor, but a log
record of Django's carries the request itself (`record.request`: its META holds REMOTE_ADDR, the user agent,
X-Forwarded-For; the error email to ADMINS prints them all, and the posted fields). `ForgetVisitors`, on the
request loggers, takes the request off the records of these paths; gunicorn's access log blanks the address,
user agent and headers of their lines (core/gunicorn.py). Both treat the same way a request whose Referer is a
public page (an icon or a stylesheet a browser fetched for it, a form posted from it): the public pages fetch
nothing, but a browser or an old cached page might.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import urlsplit


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


#: Paths whose visitors leave no trace in the logs (the public whistleblowing channel).
ANONYMOUS_PATH = re.compile(r"^(?:/[a-z]{2}(?:-[a-z]+)?)?/signalement(?:/|$)")


def is_anonymous_path(path: Any) -> bool:
    return isinstance(path, str) and bool(ANONYMOUS_PATH.match(path))


def is_anonymous_referer(referer: Any) -> bool:
    """A request sent from a public whistleblowing page (its Referer's path is anonymous): a stylesheet, an
    icon, a form posted elsewhere. Its line must not name the visitor either."""
    if not isinstance(referer, str) or not referer:
        return False
    try:
        path = urlsplit(referer).path
    except ValueError:
        return False
    return is_anonymous_path(path)


def is_anonymous_request(path: Any, referer: Any) -> bool:
    """A request about the public channel: to one of its paths, or from one of its pages."""
    return is_anonymous_path(path) or is_anonymous_referer(referer)


class ForgetVisitors(logging.Filter):
    """On the request loggers: a record about a public whistleblowing page keeps its message (method, path,
    status) but not the request, whose META and POST would tell who sent it (and what)."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        if request is None:
            return True
        path = getattr(request, "path", None)
        if path is None:  # runserver's records carry the socket: the path is in the request line
            args = record.args if isinstance(record.args, tuple) else ()
            path = next((arg.split(" ")[1] for arg in args if isinstance(arg, str) and " /" in arg), "")
        meta = getattr(request, "META", None)
        referer = meta.get("HTTP_REFERER") if isinstance(meta, dict) else None
        if is_anonymous_request(path, referer):
            record.request = None
        return True


class RedactSecretPaths(logging.Filter):
    """On the request loggers: no calendar feed secret in the message or its arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact_secret_paths(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact_secret_paths(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: redact_secret_paths(arg) for key, arg in record.args.items()}
        return True
