"""Vigie's own system checks (`manage.py check`, and every start: runserver, migrate, gunicorn's first
request through `check --deploy` in the image).

- core.E401: production without a usable `VIGIE_SITE_URL`. Every link Vigie sends (alert emails, the
  calendar feeds' events, the feed addresses shown on "My account") is that address followed by a path: unset
  or not an absolute http(s) address, the links would point nowhere. config/settings/production.py refuses
  to load with the same rule (`site_url_problem`), so both say the same thing; the check also covers any
  other settings module that sets VIGIE_PRODUCTION.
- core.W401: production linking to the machine itself (localhost, 127.0.0.1): links that only work on
  the server.

`site_url_problem` imports nothing from Django's settings: the settings modules call it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks

EXAMPLE = "https://vigie.example.com"
LOOPBACK = {"localhost", "127.0.0.1", "::1", "0.0.0.0"}


def site_url_problem(value: str | None) -> str | None:
    """What is wrong with `value` as VIGIE_SITE_URL (None: nothing): it must be set, and an absolute
    http(s) address with a host, without query or fragment."""
    if not value or not value.strip():
        return f"VIGIE_SITE_URL is not set (the address in the links Vigie sends, {EXAMPLE})"
    try:
        parts = urlsplit(value.strip())
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        host = None
    if parts.scheme not in ("http", "https") or not host or parts.query or parts.fragment:
        return f"VIGIE_SITE_URL must be an absolute http(s) address such as {EXAMPLE}, not {value!r}"
    return None


def check_site_url(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    if not getattr(settings, "VIGIE_PRODUCTION", False):
        return []
    value = getattr(settings, "VIGIE_SITE_URL", "")
    problem = site_url_problem(value)
    if problem is not None:
        return [checks.Error(problem, hint="Set it in the environment or in .env (.env.example).", id="core.E401")]
    if urlsplit(value).hostname in LOOPBACK:
        return [
            checks.Warning(
                f"VIGIE_SITE_URL is {value!r}: the links in emails and calendars only work on the server itself",
                hint=f"Set the address users reach Vigie at, e.g. {EXAMPLE}.",
                id="core.W401",
            )
        ]
    return []


checks.register(check_site_url)
