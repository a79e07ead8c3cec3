"""Database errors that say "busy, try again", told from the others.

Writers wait for each other (SQLite's busy timeout, PostgreSQL's row locks: config/settings/base.py). When a
wait ends in an error, it is not the request's or the row's fault: the web answers 503 with Retry-After
(core/middleware.py) and an import run fails with the reason, never a row "rejected" for it
(core/imports/engine.py).
"""
from __future__ import annotations

from django.conf import settings
from django.db import OperationalError

#: SQLite: another connection held the lock for longer than the busy timeout.
SQLITE_BUSY = ("database is locked", "database table is locked", "database schema is locked")
#: PostgreSQL SQLSTATEs: serialization_failure, deadlock_detected, lock_not_available (lock_timeout).
POSTGRES_BUSY = frozenset({"40001", "40P01", "55P03"})


def is_busy(exc: BaseException) -> bool:
    """Whether `exc` is the database refusing to wait any longer for another writer."""
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__  # the driver's own exception (Django wraps it)
    sqlstate = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    if sqlstate:
        return sqlstate in POSTGRES_BUSY
    return str(exc).strip().lower().startswith(SQLITE_BUSY)


def busy_wait_seconds() -> int:
    """How long a writer waits for another one before giving up, on the embedded SQLite (0 elsewhere:
    PostgreSQL waits for row locks as long as they are held, unless a lock_timeout says otherwise)."""
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.sqlite3":
        return 0
    return int(database.get("OPTIONS", {}).get("timeout", 5))
