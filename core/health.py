"""Liveness of the parts a deadline depends on: database, broker, and the beat → worker chain.

Redis down (the cache, the broker) is reported, never raised: the web keeps working without it; beat's
heartbeat is then "unknown", and the sweeps missed meanwhile catch up at the next one (the ledger).
"""
from __future__ import annotations

import datetime as dt
import logging

from django.core.cache import cache
from django.db import connection
from django.utils import timezone

HEARTBEAT_KEY = "vigie:heartbeat"
logger = logging.getLogger(__name__)


class CacheDown(Exception):
    """The cache (Redis in production) does not answer."""


def record_heartbeat() -> dt.datetime:
    now = timezone.now()
    cache.set(HEARTBEAT_KEY, now.isoformat(), timeout=None)
    return now


def last_heartbeat() -> dt.datetime | None:
    """When beat's last heartbeat ran (None: none yet); raises CacheDown when the cache does not answer."""
    try:
        value = cache.get(HEARTBEAT_KEY)
    except Exception as exc:  # redis.ConnectionError, OSError...: any failure of the cache backend
        raise CacheDown(str(exc)) from exc
    return dt.datetime.fromisoformat(value) if value else None


def check_database() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:  # noqa: BLE001 - any failure means "down" on a health page
        return False


def status() -> dict:
    from django.conf import settings

    try:
        beat, cache_state = last_heartbeat(), "ok"
    except CacheDown as exc:
        logger.warning("health: the cache does not answer: %s", exc)
        beat, cache_state = None, "down"
    # Late when more than three beats were missed.
    late_after = dt.timedelta(seconds=3 * settings.VIGIE_HEARTBEAT_SECONDS + 60)
    return {
        "database": "ok" if check_database() else "down",
        "database_engine": connection.vendor,
        "broker": settings.CELERY_BROKER_URL.split("://", 1)[0],
        "cache": cache_state,
        "last_heartbeat": beat.isoformat() if beat else None,
        # "unknown" right after a start, before beat's first heartbeat has run.
        "scheduler": "unknown" if beat is None else ("ok" if timezone.now() - beat <= late_after else "late"),
    }
