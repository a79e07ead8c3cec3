"""Benchmarks of Vigie (`python -m bench --size smoke|full [--only NAME]`): measurements, not tests.

Each benchmark is a module listed in `bench.__main__.BENCHMARKS` with a `run(size, context)` function.
The runner points Django at a throwaway database first (see `throwaway_database`), so a benchmark
never touches var/vigie.sqlite3 or the database of DATABASE_URL.
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


@dataclass(frozen=True)
class Context:
    """What the runner gives each benchmark: a scratch directory and the database it runs on."""

    workdir: Path
    database_url: str
    vendor: str

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
        yield Context(workdir=workdir, database_url=url, vendor=vendor)
    finally:
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        if admin_url:
            import psycopg

            with psycopg.connect(_libpq(admin_url), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB_NAME}" WITH (FORCE)')
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
