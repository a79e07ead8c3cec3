"""API throttling: per user when authenticated, per client address when not, stricter for file uploads.

The rates are settings (`REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`, from the VIGIE_API_THROTTLE_* variables)
read at each request, so that a test or a deployment can change them without restarting the classes. The
counters live in the cache (Redis in production): when the cache cannot be reached the API keeps answering,
unthrottled, and says so in the log (once a minute at most, not once per request). Refusing every request
because the rate-limit store is down would turn a Redis outage into an API outage.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from redis.exceptions import RedisError
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle, SimpleRateThrottle, UserRateThrottle

if TYPE_CHECKING:  # rest_framework.views imports this module (DEFAULT_THROTTLE_CLASSES) while it loads
    from rest_framework.request import Request
    from rest_framework.views import APIView

logger = logging.getLogger(__name__)

#: Seconds between two "cache down" warnings of one process.
WARNING_INTERVAL = 60.0
#: The request attribute listing the throttles that refused it, read by core.api.exceptions to say which
#: limit was reached.
THROTTLED_ATTR = "vigie_throttled"
_last_warning = 0.0


def _warn_cache_down(scope: str | None, exc: Exception) -> None:
    global _last_warning
    now = time.monotonic()
    if now - _last_warning >= WARNING_INTERVAL:
        _last_warning = now
        logger.warning(
            "API throttling is off: the cache cannot be reached (%s: %s); requests are let through (scope %s).",
            type(exc).__name__,
            exc,
            scope,
        )


class VigieThrottleMixin(SimpleRateThrottle):
    """Fail open when the cache raises, read the rates at each request, and always give a wait time.

    Put before DRF's throttle class (AnonRateThrottle...), which comes before SimpleRateThrottle in the
    method order: `super()` here reaches DRF's methods."""

    # Set by SimpleRateThrottle.__init__ (its stubs leave them out).
    num_requests: int | None
    duration: int | None

    def get_rate(self) -> str | None:
        # DRF reads the rates once, when the class is defined; reading them here (a throttle is made for
        # each request) follows the settings.
        scope = self.scope
        rates = api_settings.DEFAULT_THROTTLE_RATES
        if scope not in rates:
            return super().get_rate()  # DRF's error for a scope without a rate
        return rates[scope]  # type: ignore[return-value]  # "count/period" strings; the stubs say numbers

    def allow_request(self, request: Request, view: APIView) -> bool:
        try:
            allowed = super().allow_request(request, view)
        except (OSError, RedisError) as exc:  # the cache failed (Redis down, timeout, disk): fail open
            # A programming error is not a cache failure: it is not caught here.
            _warn_cache_down(self.scope, exc)
            return True
        if not allowed:
            refused = getattr(request, THROTTLED_ATTR, [])
            refused.append(self)
            setattr(request, THROTTLED_ATTR, refused)
        return allowed

    def wait(self) -> float:
        # DRF answers None when more requests than the rate were recorded (a rate lowered meanwhile): the
        # client would get a 429 without Retry-After. Wait for the oldest recorded request to expire instead.
        duration = self.duration or 0
        if self.history:
            remaining = duration - (self.now - self.history[-1])
        else:
            remaining = duration
        available = (self.num_requests or 0) - len(self.history) + 1
        if available <= 0:
            return max(duration - (self.now - self.history[0]) if self.history else duration, 1.0)
        return max(remaining / float(available), 1.0)

    def get_ident(self, request: Request) -> str:
        # The same address django-axes uses: X-Forwarded-For only through VIGIE_TRUSTED_PROXY_COUNT proxies,
        # never what the client wrote itself (DRF trusts the whole header by default).
        from core.security import client_ip

        return client_ip(getattr(request, "_request", request)) or "unknown"


class AnonThrottle(VigieThrottleMixin, AnonRateThrottle):
    """Requests without a login, per client address (scope `anon`)."""


class UserThrottle(VigieThrottleMixin, UserRateThrottle):
    """Requests with a login, per user (scope `user`); without a login, per client address."""


class ScopedThrottle(VigieThrottleMixin, ScopedRateThrottle):
    """The stricter limit of views that set `throttle_scope` (e.g. `upload` for the imports), on top of the
    others, per user (or per client address)."""
