"""Database errors that say "busy, try again", told from the others.

Writers wait for each other (SQLite's busy timeout, PostgreSQL's row locks: config/settings/base.py). When a
wait ends in an error, it is not the request's or the row's fault: the web answers 503 with Retry-After
(core/middleware.py) and an import run fails with the reason, never a row "rejected" for it
(core/imports/engine.py).
"""

from __future__ import annotations

import time

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


#: SQLite lets a waiting writer in only when its busy handler polls and finds the lock free; the handler
#: polls every 100 ms at most once it has waited a little (sqliteDefaultBusyCallback). A long writer that
#: takes the lock back sooner than that after each commit can starve every waiting user for its whole run.
SQLITE_POLL_SECONDS = 0.1


def is_sqlite() -> bool:
    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"


class WriterGap:
    """For a writer that commits one batch after another (an import): on SQLite, leaves the lock free for
    longer than a waiting writer's poll interval between two batches, so the people saving a record while
    it runs wait one batch, not the whole file. The time spent reading the next batch counts; nothing is
    added when it was long enough. No effect on PostgreSQL (row locks queue their waiters)."""

    def __init__(self, *, enabled: bool | None = None) -> None:
        self.enabled = is_sqlite() if enabled is None else enabled
        self.released_at: float | None = None

    def released(self) -> None:
        if self.enabled:
            self.released_at = time.monotonic()

    def before_taking(self) -> None:
        if self.released_at is not None:
            rest = SQLITE_POLL_SECONDS * 1.5 - (time.monotonic() - self.released_at)
            if rest > 0:
                time.sleep(rest)
            self.released_at = None


def busy_wait_seconds() -> int:
    """How long a writer waits for another one before giving up, on the embedded SQLite (0 elsewhere:
    PostgreSQL waits for row locks as long as they are held, unless a lock_timeout says otherwise)."""
    if not is_sqlite():
        return 0
    return int(settings.DATABASES["default"].get("OPTIONS", {}).get("timeout", 5))
