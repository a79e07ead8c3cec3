"""Liveness of the parts a deadline depends on: database, broker, and the beat → worker chain."""
from __future__ import annotations

import datetime as dt

from django.core.cache import cache
from django.db import connection
from django.utils import timezone

HEARTBEAT_KEY = "vigie:heartbeat"


def record_heartbeat() -> dt.datetime:
    now = timezone.now()
    cache.set(HEARTBEAT_KEY, now.isoformat(), timeout=None)
    return now


def last_heartbeat() -> dt.datetime | None:
    value = cache.get(HEARTBEAT_KEY)
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

    beat = last_heartbeat()
    # Late when more than three beats were missed.
    late_after = dt.timedelta(seconds=3 * settings.VIGIE_HEARTBEAT_SECONDS + 60)
    return {
        "database": "ok" if check_database() else "down",
        "database_engine": connection.vendor,
        "broker": settings.CELERY_BROKER_URL.split("://", 1)[0],
        "last_heartbeat": beat.isoformat() if beat else None,
        # "unknown" right after a start, before beat's first heartbeat has run.
        "scheduler": "unknown" if beat is None else ("ok" if timezone.now() - beat <= late_after else "late"),
    }
