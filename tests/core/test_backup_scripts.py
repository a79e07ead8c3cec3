"""scripts/backup.sh and scripts/restore.sh: what they refuse (no DATABASE_URL, a damaged dump, a target
that holds data) and, on PostgreSQL, a dump of the test database restored into a new database.

The full round trip on the demo data (every table's rows and checksum, the indicators export) is
scripts/backup_roundtrip.sh, run by CI after the test suites.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(settings.BASE_DIR)
BACKUP = ROOT / "scripts" / "backup.sh"
RESTORE = ROOT / "scripts" / "restore.sh"


def run(script: Path, *args: str, env: dict[str, str] | None = None, tmp: Path) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "RESTORE_DATABASE_URL", "PGPASSWORD"}}
    base["TMPDIR"] = str(tmp)  # where the scripts put their private .pgpass
    return subprocess.run(
        ["bash", str(script), *args],
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# --- refusals that need no database ---------------------------------------------------------------------


def test_backup_refuses_without_database_url_or_with_another_engine(tmp_path):
    result = run(BACKUP, "--dir", str(tmp_path), tmp=tmp_path)
    assert result.returncode == 2
    assert "DATABASE_URL is not set" in result.stderr
    result = run(BACKUP, env={"DATABASE_URL": "sqlite:///var/vigie.sqlite3"}, tmp=tmp_path)
    assert result.returncode == 2
    assert "not a PostgreSQL URL" in result.stderr
    result = run(BACKUP, "--keep", "0", env={"DATABASE_URL": "postgres://u@h/d"}, tmp=tmp_path)
    assert result.returncode == 2
    assert not list(tmp_path.glob("*.dump"))


def test_the_url_is_split_without_its_password_which_goes_to_a_private_pgpass_file(tmp_path):
    """libpq gets the URL without the password; the password, decoded and escaped, goes to a 0600 file."""
    script = (
        'source scripts/backup.sh; pg_url "$URL"; printf "%s\\n%s\\n%s\\n" "$PG_CONNINFO" "$PG_DBNAME" '
        '"$PGPASSFILE"; stat -c %a "$PGPASSFILE"; cat "$PGPASSFILE"; pg_conninfo_for other'
    )
    url = "postgres://u%40x:p%3Aa%5Cs%25s@db.example:5433/vigie%20prod?sslmode=require"
    result = subprocess.run(
        ["bash", "-c", script],
        cwd=ROOT,
        env={**os.environ, "URL": url, "TMPDIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    conninfo, dbname, pgpass, mode, secret, other = result.stdout.splitlines()
    assert conninfo == "postgresql://u%40x@db.example:5433/vigie%20prod?sslmode=require"
    assert dbname == "vigie prod"
    assert Path(pgpass).parent.parent == tmp_path
    assert mode == "600"
    assert secret == r"*:*:*:*:p\:a\\s%s"  # the password p:a\s%s, with : and \ escaped as .pgpass wants
    assert other == "postgresql://u%40x@db.example:5433/other?sslmode=require"


def _dump_with_checksum(tmp_path: Path, content: bytes = b"PGDMP not really") -> Path:
    dump = tmp_path / "vigie-x-20250101T000000Z.dump"
    dump.write_bytes(content)
    digest = hashlib.sha256(content).hexdigest()
    (tmp_path / f"{dump.name}.sha256").write_text(f"{digest}  {dump.name}\n")
    return dump


def test_restore_checks_the_checksum_before_touching_any_database(tmp_path):
    dump = _dump_with_checksum(tmp_path)
    unreachable = {"RESTORE_DATABASE_URL": "postgres://nobody:secret@127.0.0.1:1/none"}
    dump.write_bytes(b"PGDMP damaged")
    result = run(RESTORE, str(dump), env=unreachable, tmp=tmp_path)
    assert result.returncode == 5
    assert "does not match its checksum" in result.stderr and "nothing was restored" in result.stderr
    Path(f"{dump}.sha256").unlink()
    result = run(RESTORE, str(dump), env=unreachable, tmp=tmp_path)
    assert result.returncode == 5
    assert ".sha256 is missing" in result.stderr
    assert run(RESTORE, env=unreachable, tmp=tmp_path).returncode == 2  # no dump named
    assert run(RESTORE, str(dump), tmp=tmp_path).returncode == 2  # no target


# --- on PostgreSQL: a real dump, a real restore -----------------------------------------------------------


def _url(name: str) -> str:
    db = connection.settings_dict
    auth = f"{quote(db['USER'] or '', safe='')}:{quote(db['PASSWORD'] or '', safe='')}@"
    return f"postgres://{auth}{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"


def _counts(cursor) -> tuple[int, int, int]:
    cursor.execute(
        "SELECT (SELECT count(*) FROM django_migrations), (SELECT count(*) FROM training_module), "
        "(SELECT count(*) FROM pg_tables WHERE schemaname = 'public')"
    )
    return cursor.fetchone()


@pytest.mark.postgres
def test_a_dump_of_the_test_database_restores_into_a_new_database_and_never_over_data(postgres, tmp_path):
    import psycopg

    password = connection.settings_dict["PASSWORD"]
    source = connection.settings_dict["NAME"]
    with connection.cursor() as cursor:
        expected = _counts(cursor)
    assert expected[0] > 0 and expected[1] > 0

    result = run(BACKUP, "--dir", str(tmp_path / "backups"), env={"DATABASE_URL": _url(source)}, tmp=tmp_path)
    assert result.returncode == 0, result.stderr
    dump = Path(result.stdout.strip().splitlines()[-1])
    assert dump.parent == tmp_path / "backups" and dump.name.startswith(f"vigie-{source}-")
    digest, name = Path(f"{dump}.sha256").read_text().split()
    assert (digest, name) == (hashlib.sha256(dump.read_bytes()).hexdigest(), dump.name)
    assert oct(dump.stat().st_mode & 0o777) == "0o600"
    assert not list(tmp_path.glob("vigie-pg.*")), "the private .pgpass folder is removed"
    if password:
        assert password not in result.stdout + result.stderr

    # Over the test database itself (it holds data): refused, untouched.
    result = run(RESTORE, str(dump), env={"RESTORE_DATABASE_URL": _url(source)}, tmp=tmp_path)
    assert result.returncode == 6
    assert "is not empty" in result.stderr

    target = f"{source}_restore"[:63]
    admin = psycopg.connect(_url(source).replace("postgres://", "postgresql://", 1), autocommit=True)
    try:
        admin.execute(f'DROP DATABASE IF EXISTS "{target}"')
        admin.execute(f'CREATE DATABASE "{target}"')
        result = run(RESTORE, str(dump), env={"RESTORE_DATABASE_URL": _url(target)}, tmp=tmp_path)
        assert result.returncode == 0, result.stderr
        with psycopg.connect(_url(target).replace("postgres://", "postgresql://", 1)) as restored:
            assert _counts(restored.cursor()) == expected
        # Again: now it holds data, so only --force replaces it.
        assert run(RESTORE, str(dump), env={"RESTORE_DATABASE_URL": _url(target)}, tmp=tmp_path).returncode == 6
        result = run(RESTORE, "--force", str(dump), env={"RESTORE_DATABASE_URL": _url(target)}, tmp=tmp_path)
        assert result.returncode == 0, result.stderr
        with psycopg.connect(_url(target).replace("postgres://", "postgresql://", 1)) as restored:
            assert _counts(restored.cursor()) == expected
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
        admin.close()
