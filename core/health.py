"""Liveness of the parts a deadline depends on: database, broker, cache, and the beat → worker chain; and
what the apps report (an app's `health.py` lists functions in `HEALTH_CHECKS`: undelivered alerts).

Redis down (the cache, the broker) is reported, never raised: the web keeps working without it; beat's
heartbeat is then "unknown", and the sweeps missed meanwhile catch up at the next one (the ledger). The
broker is checked live, with a short timeout: a connection to Redis; the filesystem transport's folders
written to.

Who sees what (core/views.py): anyone gets the overall status ("ok", "degraded", "down"); the details
(which engine, which part is down, the apps' counts) go to a staff login or to the operator's token only.
"""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from .discovery import app_modules

HEARTBEAT_KEY = "vigie:heartbeat"
#: Seconds a live check of the broker may take: a load balancer asks the health page every few seconds.
BROKER_TIMEOUT = 2.0
OK, DOWN, DEGRADED, WARNING = "ok", "down", "degraded", "warning"
logger = logging.getLogger(__name__)


class _Operator:
    """Who sends the health token: the operator's monitoring, which may see every count."""

    def __repr__(self) -> str:
        return "OPERATOR"


OPERATOR = _Operator()

#: What an app reports: (the viewer: a staff user, or OPERATOR) → sections to add to the details, each
#: with a "status" ("ok" or "warning"); None: nothing for this viewer. A user is shown counts of what
#: their role may see only.
AppCheck = Callable[[Any], dict[str, dict[str, Any]] | None]


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


def _writable(folder: Path) -> bool:
    try:
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


def check_broker() -> bool:
    """Whether the Celery broker takes messages now: the filesystem transport's folders can be written
    to; any other transport (Redis) accepts a connection within BROKER_TIMEOUT seconds."""
    url = settings.CELERY_BROKER_URL
    options = dict(getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}) or {})
    if url.split("://", 1)[0] == "filesystem":
        folders = {options.get(name) for name in ("data_folder_in", "data_folder_out", "control_folder")}
        return all(folder and _writable(Path(folder)) for folder in folders)
    from kombu import Connection

    options.update(socket_connect_timeout=BROKER_TIMEOUT, socket_timeout=BROKER_TIMEOUT)
    try:
        with Connection(url, connect_timeout=BROKER_TIMEOUT, transport_options=options) as broker:
            broker.ensure_connection(max_retries=0, timeout=BROKER_TIMEOUT)  # type: ignore[arg-type]  # seconds, a float
        return True
    except Exception as exc:  # noqa: BLE001 - any failure means "down" on a health page
        logger.warning("health: the broker does not answer: %s", exc)
        return False


def status() -> dict[str, Any]:
    """The state of the infrastructure, each part checked now (the details of the health page)."""
    try:
        beat, cache_state = last_heartbeat(), OK
    except CacheDown as exc:
        logger.warning("health: the cache does not answer: %s", exc)
        beat, cache_state = None, DOWN
    # Late when more than three beats were missed.
    late_after = dt.timedelta(seconds=3 * settings.VIGIE_HEARTBEAT_SECONDS + 60)
    return {
        "database": OK if check_database() else DOWN,
        "database_engine": connection.vendor,
        "broker": OK if check_broker() else DOWN,
        "cache": cache_state,
        "last_heartbeat": beat.isoformat() if beat else None,
        # "unknown" right after a start, before beat's first heartbeat has run.
        "scheduler": "unknown" if beat is None else (OK if timezone.now() - beat <= late_after else "late"),
    }


def app_checks(viewer: Any) -> dict[str, dict[str, Any]]:
    """The sections the apps report for `viewer` (a staff user, or OPERATOR)."""
    sections: dict[str, dict[str, Any]] = {}
    for _config, module in app_modules("health"):
        for check in getattr(module, "HEALTH_CHECKS", ()):
            sections.update(check(viewer) or {})
    return sections


def overall(details: dict[str, Any]) -> str:
    """ "down" when the database does not answer (nothing works); "degraded" when another part is down or
    late, or an app section warns; else "ok"."""
    if details.get("database") != OK:
        return DOWN
    parts = [details.get(name) for name in ("broker", "cache")]
    sections = [value.get("status") for value in details.values() if isinstance(value, dict)]
    if any(state != OK for state in parts + sections) or details.get("scheduler") == "late":
        return DEGRADED
    return OK


def report(viewer: Any | None) -> dict[str, Any]:
    """The health page's answer: for a `viewer` (a staff user, or OPERATOR), every part and the apps'
    sections; for None (anyone), the overall status of the infrastructure only (it says nothing of what
    the apps count)."""
    state = status()
    if viewer is None:
        return {"status": overall(state)}
    state.update(app_checks(viewer))
    return {"status": overall(state), **state}
