"""scripts/backup.sh and scripts/restore.sh: what they refuse (no DATABASE_URL, a damaged dump, a target
that holds data) and, on PostgreSQL, a dump of the test database restored into a new database, and the
whistleblowing attachments' archive (--attachments) written, verified and pruned beside it.

The full round trip on the demo data (every table's rows and checksum, the indicators export) is
scripts/backup_roundtrip.sh, run by CI after the test suites.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tarfile
import time
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


def test_backup_refuses_an_attachments_folder_that_does_not_exist_before_touching_the_database(tmp_path):
    unreachable = {"DATABASE_URL": "postgres://nobody:secret@127.0.0.1:1/none"}
    missing = tmp_path / "no-such-folder"
    result = run(
        BACKUP, "--dir", str(tmp_path / "backups"), "--attachments", str(missing), env=unreachable, tmp=tmp_path
    )
    assert result.returncode == 2
    assert f"--attachments {missing}: no such folder" in result.stderr
    result = run(BACKUP, "--dir", str(tmp_path / "backups"), f"--attachments={missing}", env=unreachable, tmp=tmp_path)
    assert result.returncode == 2
    assert not (tmp_path / "backups").exists(), "nothing is written"
    assert "--attachments DIR" in run(BACKUP, "--help", tmp=tmp_path).stdout


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


def _attachments(root: Path) -> dict[str, bytes]:
    """A whistleblowing files folder as the app lays it out: files in sub-folders, one of them private."""
    files = {
        "2026/12/a1b2c3/report.pdf": b"%PDF-1.7 the report",
        "2026/12/d4e5f6/photo.png": b"\x89PNG\r\n\x1a\n not really",
    }
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    (root / "2026/12/d4e5f6/photo.png").chmod(0o600)
    return files


def _old_archive(folder: Path, name: str) -> Path:
    archive = folder / name
    archive.write_bytes(b"an older archive")
    Path(f"{archive}.sha256").write_text(f"{hashlib.sha256(b'an older archive').hexdigest()}  {name}\n")
    return archive


@pytest.mark.postgres
def test_attachments_are_archived_with_their_checksum_beside_the_dump_and_pruned_to_keep(postgres, tmp_path):
    source = connection.settings_dict["NAME"]
    env = {"DATABASE_URL": _url(source)}
    backups = tmp_path / "backups"
    backups.mkdir()
    folder = tmp_path / "whistleblowing"
    files = _attachments(folder)
    older = [_old_archive(backups, f"vigie-whistleblowing-2020010{day}T020000Z.tar.gz") for day in (1, 2, 3)]
    media = _old_archive(backups, "vigie-media-20200101T020000Z.tar.gz")

    # Without --attachments: as before, no archive of them and none of the older ones pruned.
    result = run(BACKUP, "--dir", str(backups), "--keep", "1", env=env, tmp=tmp_path)
    assert result.returncode == 0, result.stderr
    assert sorted(backups.glob("vigie-whistleblowing-*.tar.gz")) == older
    assert media.exists()

    # The next run (a second later: the names carry the UTC second), with the attachments and --keep 2.
    time.sleep(1)
    result = run(BACKUP, "--dir", str(backups), "--keep", "2", "--attachments", str(folder), env=env, tmp=tmp_path)
    assert result.returncode == 0, result.stderr
    dump = Path(result.stdout.strip().splitlines()[-1])
    stamp = dump.name.removeprefix(f"vigie-{source}-").removesuffix(".dump")
    archive = backups / f"vigie-whistleblowing-{stamp}.tar.gz"
    assert archive.is_file() and f"whistleblowing attachments: {archive}" in result.stderr
    assert oct(archive.stat().st_mode & 0o777) == "0o600"
    assert not list(backups.glob("*.part")), "written under a temporary name, renamed when complete"

    # Its checksum verifies with sha256sum -c, as the restore instructions do.
    check = subprocess.run(
        ["sha256sum", "-c", f"{archive.name}.sha256"], cwd=backups, capture_output=True, text=True, check=False
    )
    assert check.returncode == 0 and f"{archive.name}: OK" in check.stdout, check.stdout + check.stderr

    # It holds the files, at their paths relative to the folder, with their modes.
    with tarfile.open(archive) as tar:
        members = {m.name.removeprefix("./"): m for m in tar.getmembers() if m.isfile()}
        assert set(members) == set(files)
        for name, content in files.items():
            assert tar.extractfile(members[name]).read() == content
        assert members["2026/12/d4e5f6/photo.png"].mode & 0o777 == 0o600

    # --keep 2: the new archive and the newest older one, each with its checksum; the media archives are
    # not pruned (no --media on this run); the dumps keep their own 2.
    kept = sorted(backups.glob("vigie-whistleblowing-*.tar.gz"))
    assert kept == [older[-1], archive]
    assert all(Path(f"{path}.sha256").is_file() for path in kept)
    assert not any(Path(f"{path}.sha256").exists() for path in older[:-1])
    assert media.exists()
    assert len(list(backups.glob(f"vigie-{source}-*.dump"))) == 2


@pytest.mark.postgres
def test_a_tar_failure_on_the_attachments_leaves_no_archive_and_exits_7(postgres, tmp_path):
    """As with --media: no half archive under the final name, no .part left behind, nothing pruned."""
    backups = tmp_path / "backups"
    backups.mkdir()
    older = [_old_archive(backups, f"vigie-whistleblowing-2020010{day}T020000Z.tar.gz") for day in (1, 2)]
    folder = tmp_path / "whistleblowing"
    _attachments(folder)
    fake = tmp_path / "bin"
    fake.mkdir()
    # A tar that writes half an archive (its 4th argument: -C DIR -czf FILE .) and fails.
    (fake / "tar").write_text('#!/bin/sh\necho half > "$4"\necho "tar: disk full" >&2\nexit 2\n')
    (fake / "tar").chmod(0o755)
    env = {"DATABASE_URL": _url(connection.settings_dict["NAME"]), "PATH": f"{fake}:{os.environ['PATH']}"}
    result = run(BACKUP, "--dir", str(backups), "--keep", "1", "--attachments", str(folder), env=env, tmp=tmp_path)
    assert result.returncode == 7, result.stderr
    assert f"tar failed on {folder}: no whistleblowing attachments archive was written" in result.stderr
    assert sorted(backups.glob("vigie-whistleblowing-*")) == sorted(
        [*older, *(Path(f"{path}.sha256") for path in older)]
    )
