"""Rate limits of the public channel: expiring counters in Django's cache (Redis in production), keyed by an
HMAC of what is counted and the current hour. Neither the client's address nor a receipt code is ever the key
itself, nor kept anywhere: a counter says "this many this hour" about a value nobody can read back, and it
disappears with its hour.

- submissions: per client address and hour (VIGIE_WHISTLEBLOWING_SUBMISSIONS_PER_HOUR), and the author's
  messages per report and hour (the same number); only those that go through count;
- follow-up sign-in attempts that fail: per receipt code and hour (VIGIE_WHISTLEBLOWING_FOLLOW_UP_ATTEMPTS_PER_HOUR),
  so that one code cannot be tried from many addresses, and per client address and hour (five times that:
  authors behind one address, an office's NAT, must not lock each other out).

Each attempt is counted first and decided on the count it got (`cache.add` then `cache.incr`, atomic on
Redis and in the local memory cache): parallel requests cannot all read the same count. An attempt that is
refused, or is not to count (a sign-in that succeeds, a submission that does not go through), is taken back.
Behind a reverse proxy, VIGIE_TRUSTED_PROXY_COUNT must be right (docs/deployment.md): otherwise every visitor
shares the proxy's address and its counters.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from redis.exceptions import RedisError

from core.security import client_ip

from ..services.follow_up import normalise

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


#: What a cache that does not answer raises (Redis down, a file cache's folder gone).
CACHE_ERRORS = (OSError, RedisError)


def _hit(key: str) -> int:
    """Count one on `key`, atomically (`add` then `incr`: two requests at once never read the same count);
    the count after it. 0 when the cache does not answer: no limit rather than no channel (required by law)."""
    try:
        cache.add(key, 0, timeout=TTL_SECONDS)
        try:
            return int(cache.incr(key))
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=TTL_SECONDS)
            return 1
    except CACHE_ERRORS:
        logger.warning("whistleblowing rate limit: the cache does not answer")
        return 0


def _release(key: str) -> None:
    """Take back one count of `key` (an attempt that is not to count)."""
    try:
        cache.decr(key)
    except ValueError:  # expired meanwhile: nothing to take back
        pass
    except CACHE_ERRORS:
        logger.warning("whistleblowing rate limit: the cache does not answer")


@dataclass(frozen=True)
class Reservation:
    """The counts one allowed attempt took; `release()` takes them back (an attempt that is not to count).
    The keys are kept as counted: a release after the hour changed touches the right counters."""

    keys: tuple[str, ...]

    def release(self) -> None:
        for key in self.keys:
            _release(key)


def _reserve(keys: list[tuple[str, int]]) -> Reservation | None:
    """Count one on every key; a Reservation when each count is within its limit. Otherwise the counts are
    taken back (a refused attempt is not checked, so it does not count) and None."""
    counts = [(key, _hit(key), limit) for key, limit in keys]
    if all(count <= limit for _key, count, limit in counts):
        return Reservation(tuple(key for key, _count, _limit in counts))
    for key, count, _limit in counts:
        if count:
            _release(key)
    return None


def _address_key(kind: str, request: HttpRequest) -> str:
    return counter_key(kind, client_ip(request))


def submission_attempt(request: HttpRequest) -> Reservation | None:
    """Reserve one submission for the client's address (VIGIE_WHISTLEBLOWING_SUBMISSIONS_PER_HOUR): None when
    the address is at its limit. A submission that does not go through (a form error, a refused file) is
    released."""
    return _reserve([(_address_key("submit", request), settings.VIGIE_WHISTLEBLOWING_SUBMISSIONS_PER_HOUR)])


def message_attempt(report_pk: int) -> Reservation | None:
    """Reserve one of an author's messages (and their files) to one report this hour: the submissions' limit.
    Released when the message is not sent."""
    return _reserve([(counter_key("message", str(report_pk)), settings.VIGIE_WHISTLEBLOWING_SUBMISSIONS_PER_HOUR)])


#: The per-address limit of sign-in attempts is this many times the per-code one: several authors may share
#: an address (an office's NAT), and the 80-bit code and 120-bit passphrase cannot be guessed anyway.
ADDRESS_FACTOR = 5


def follow_up_attempt(request: HttpRequest, code: str) -> Reservation | None:
    """Count one sign-in attempt, for the address (ADDRESS_FACTOR × VIGIE_WHISTLEBLOWING_FOLLOW_UP_ATTEMPTS_PER_HOUR)
    and for the code when one was typed (the setting itself); None when either is over its limit (the
    attempt must then not be checked at all). A sign-in that succeeds releases its reservation: only failed
    attempts count."""
    limit = settings.VIGIE_WHISTLEBLOWING_FOLLOW_UP_ATTEMPTS_PER_HOUR
    keys = [(_address_key("follow_up", request), ADDRESS_FACTOR * limit)]
    # As `follow_up.normalise` reads it (case, spaces, dashes, O/0, I/L/1): every spelling of one code
    # counts against one counter.
    normalised = normalise(code)
    if normalised:
        keys.append((counter_key("code", normalised), limit))
    return _reserve(keys)
