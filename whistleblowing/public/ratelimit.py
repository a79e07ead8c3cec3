"""Rate limits of the public channel: expiring counters in Django's cache (Redis in production), keyed by an
HMAC of what is counted and the current hour. Neither the client's address nor a receipt code is ever the key
itself, nor kept anywhere: a counter says "this many this hour" about a value nobody can read back, and it
disappears with its hour.

- submissions: per client address and hour (VIGIE_WHISTLEBLOWING_SUBMISSIONS_PER_HOUR), and the author's
  messages per report and hour (the same number);
- follow-up sign-in attempts: per client address and hour, and per receipt code and hour, so that one code
  cannot be tried from many addresses (VIGIE_WHISTLEBLOWING_FOLLOW_UP_ATTEMPTS_PER_HOUR).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from redis.exceptions import RedisError

from core.security import client_ip

logger = logging.getLogger(__name__)

#: A counter outlives its hour by a little (clocks of several web processes), never by much.
TTL_SECONDS = 3600 + 300


def hour_bucket(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // 3600)


def counter_key(kind: str, value: str, *, now: float | None = None) -> str:
    """The cache key of `value`'s counter of `kind` this hour: an HMAC with SECRET_KEY, never the value."""
    bucket = hour_bucket(now)
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"{kind}\x00{bucket}\x00{value}".encode(), hashlib.sha256
    ).hexdigest()
    return f"vigie:wb:rl:{kind}:{digest}"


def normalise_code(code: str) -> str:
    """The receipt code as typed, without case, spaces or dashes (the same code however it was written)."""
    return "".join(c for c in (code or "").upper() if c.isalnum())


def _count(key: str) -> int:
    try:
        return int(cache.get(key) or 0)
    except (OSError, RedisError):  # the cache is down: no limit rather than no channel (required by law)
        logger.warning("whistleblowing rate limit: the cache does not answer")
        return 0


def _hit(key: str) -> None:
    try:
        if not cache.add(key, 1, timeout=TTL_SECONDS):
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.add(key, 1, timeout=TTL_SECONDS)
    except (OSError, RedisError):
        logger.warning("whistleblowing rate limit: the cache does not answer")


def _address_key(kind: str, request: HttpRequest) -> str:
    return counter_key(kind, client_ip(request))


def submission_allowed(request: HttpRequest) -> bool:
    return _count(_address_key("submit", request)) < settings.VIGIE_WHISTLEBLOWING_SUBMISSIONS_PER_HOUR


def record_submission(request: HttpRequest) -> None:
    _hit(_address_key("submit", request))


def message_allowed(report_pk: int) -> bool:
    """An author's messages (and their files) to one report, per hour: the submissions' limit."""
    return _count(counter_key("message", str(report_pk))) < settings.VIGIE_WHISTLEBLOWING_SUBMISSIONS_PER_HOUR


def record_message(report_pk: int) -> None:
    _hit(counter_key("message", str(report_pk)))


def follow_up_attempt(request: HttpRequest, code: str) -> bool:
    """Count one sign-in attempt (for the address, and for the code when one was typed); False when either
    counter was already at the limit (the attempt must then not be checked at all)."""
    limit = settings.VIGIE_WHISTLEBLOWING_FOLLOW_UP_ATTEMPTS_PER_HOUR
    keys = [_address_key("follow_up", request)]
    normalised = normalise_code(code)
    if normalised:
        keys.append(counter_key("code", normalised))
    if any(_count(key) >= limit for key in keys):
        return False
    for key in keys:
        _hit(key)
    return True
