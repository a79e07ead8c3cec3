"""Benchmarks of Vigie (`python -m bench --size smoke|full [--only NAME]`): measurements, not tests.

Each benchmark is a module listed in `bench.__main__.BENCHMARKS` with a `run(size, context)` function.
The runner points Django at a throwaway database first (see `throwaway_database`), so a benchmark
never touches var/vigie.sqlite3 or the database of DATABASE_URL, and puts that database back to its
just-migrated state before each benchmark (`Context.fresh`), so that none measures what an earlier one
left behind (the sweep's 200,000 requests counted beside gdpr_deadlines' 200,000, for instance).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# Another name lets two benchmark runs share a PostgreSQL server (VIGIE_BENCH_DB).
BENCH_DB_NAME = os.environ.get("VIGIE_BENCH_DB", "vigie_bench")
#: The just-migrated database each benchmark starts from (PostgreSQL: a template database).
TEMPLATE_DB_NAME = f"{BENCH_DB_NAME}_migrated"


@dataclass(frozen=True)
class Context:
    """What the runner gives each benchmark: a scratch directory and the database it runs on."""

    workdir: Path
    database_url: str
    vendor: str
    #: The server's maintenance database (PostgreSQL), to recreate the bench database from its template.
    admin_url: str | None = None

    @property
    def sqlite_files(self) -> tuple[Path, Path]:
        """(the bench database, its just-migrated copy) on SQLite."""
        return self.workdir / "bench.sqlite3", self.workdir / "migrated.sqlite3"

    def keep_migrated(self) -> None:
        """Keep the database as it is now (just migrated) for `fresh`."""
        from django.db import connections

        connections.close_all()  # PostgreSQL copies a template nobody is connected to; SQLite checkpoints its WAL
        if self.admin_url:
            import psycopg

            with psycopg.connect(_libpq(self.admin_url), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE_DB_NAME}"')
                conn.execute(f'CREATE DATABASE "{TEMPLATE_DB_NAME}" TEMPLATE "{BENCH_DB_NAME}"')
        else:
            database, migrated = self.sqlite_files
            shutil.copyfile(database, migrated)

    def fresh(self) -> None:
        """Put the database back to its just-migrated state (what `keep_migrated` kept)."""
        from django.db import connections

        connections.close_all()
        if self.admin_url:
            import psycopg

            with psycopg.connect(_libpq(self.admin_url), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB_NAME}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{BENCH_DB_NAME}" TEMPLATE "{TEMPLATE_DB_NAME}"')
        else:
            database, migrated = self.sqlite_files
            for leftover in (Path(f"{database}-wal"), Path(f"{database}-shm")):
                leftover.unlink(missing_ok=True)
            shutil.copyfile(migrated, database)

    def child_env(self) -> dict[str, str]:
        """The environment of a subprocess that must reach the same throwaway database."""
        return {**os.environ}


def _postgres_admin_url(url: str) -> tuple[str, str]:
    """(URL of the server's maintenance database, URL of the bench database) for a postgres URL."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/postgres")), urlunsplit(parts._replace(path=f"/{BENCH_DB_NAME}"))


@contextlib.contextmanager
def throwaway_database() -> Iterator[Context]:
    """Set the environment for a fresh database, before Django is set up: a SQLite file in a
    temporary directory, or, when DATABASE_URL points at PostgreSQL, a `vigie_bench` database created
    on that server (and dropped afterwards). Also isolates var/ (media, cache) in the temporary dir."""
    workdir = Path(tempfile.mkdtemp(prefix="vigie-bench-"))
    original = os.environ.get("DATABASE_URL", "")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ["DEBUG"] = "0"  # DEBUG would keep every SQL query in memory
    os.environ["VIGIE_VAR_DIR"] = str(workdir / "var")
    os.environ["MEDIA_ROOT"] = str(workdir / "var" / "media")
    (workdir / "var").mkdir()
    admin_url = None
    if original.startswith(("postgres://", "postgresql://", "pgsql://")):
        import psycopg

        admin_url, url = _postgres_admin_url(original)
        with psycopg.connect(_libpq(admin_url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB_NAME}"')
            conn.execute(f'CREATE DATABASE "{BENCH_DB_NAME}"')
        vendor = "postgresql"
    else:
        url = f"sqlite:///{workdir / 'bench.sqlite3'}"
        vendor = "sqlite"
    os.environ["DATABASE_URL"] = url
    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        context = Context(workdir=workdir, database_url=url, vendor=vendor, admin_url=admin_url)
        context.keep_migrated()
        yield context
    finally:
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        if admin_url:
            import psycopg

            with psycopg.connect(_libpq(admin_url), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB_NAME}" WITH (FORCE)')
                conn.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE_DB_NAME}"')
        os.environ["DATABASE_URL"] = original
        shutil.rmtree(workdir, ignore_errors=True)


def _libpq(url: str) -> str:
    # psycopg wants postgresql://; django-environ also accepts postgres:// and pgsql://.
    return "postgresql://" + url.split("://", 1)[1]


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def peak_rss_mb() -> float:
    """This process's peak resident set since it started, in MB: VmHWM where /proc has it. Not
    `ru_maxrss`: on Linux it keeps, across fork and exec, the size of the parent it was forked from
    (here a parent holding the previous benchmark's data)."""
    import resource

    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def import_in_child(kind: str, path: Path, context: Context) -> dict:
    """Run `run_import(kind, path)` in a fresh process (`python -m bench import KIND PATH`), so that its
    time and peak memory are its own; returns what it measured (see `child_import`)."""
    import json
    import subprocess
    import sys

    completed = subprocess.run(
        [sys.executable, "-m", "bench", "import", kind, str(path)],
        env=context.child_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"import subprocess failed:\n{completed.stdout}\n{completed.stderr}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def child_import(kind: str, path: str) -> None:
    """In the subprocess: set up Django, import, print time, counts and peak memory as one JSON line."""
    import json
    import time

    import django

    django.setup()
    from django.db import connection

    from core.imports import run_import

    connection.ensure_connection()
    baseline_mb = peak_rss_mb()
    started = time.perf_counter()
    report = run_import(kind, Path(path))
    seconds = time.perf_counter() - started
    run = report.run
    print(
        json.dumps(
            {
                "seconds": seconds,
                "status": run.status,
                "read": run.rows_read,
                "created": run.created,
                "updated": run.updated,
                "unchanged": run.unchanged,
                "rejected": run.rejected,
                "baseline_mb": baseline_mb,
                "peak_mb": peak_rss_mb(),
            }
        )
    )
