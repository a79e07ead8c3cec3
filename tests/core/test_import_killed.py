"""No data lost: an import process killed in the middle of a large file (SIGKILL, no clean-up) leaves whole
batches and a run record that says where it stopped; the run is then found dead and marked "interrupted";
importing the same file again completes it without a duplicate. A strict or dry run leaves nothing.

The imports run as `manage.py import_completions` subprocesses (what an operator, cron or a container
runs; an upload runs the same engine in the web process) on the test database (committed data:
`transactional_db`). The kill lands while a batch is being written: the test waits until the import
holds uncommitted writes (PostgreSQL: its backend has a transaction id; SQLite: it holds the write lock).
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone, translation

from core.imports import Column, Importer
from core.imports.engine import _Heartbeat
from core.imports.parsers import Text
from core.imports.registry import importers, register, unique_natural_key
from core.models import ImportRun, current_process
from organization.models import Department, Employee, LegalEntity
from tests.processes import Processes, signal_group
from training.importers import CompletionImporter
from training.models import Completion, Module

pytestmark = pytest.mark.usefixtures("english_messages")

ROWS = 20_000
EMPLOYEES = 2_000
MODULES = 10
BATCH = CompletionImporter.batch_size
PARIS = timezone.get_default_timezone()
TIMEOUT = 60.0


# --- the data: a roster, modules and a 20,000-line LMS export -------------------------------------------


def _key(n: int) -> tuple[str, str, dt.datetime]:
    """The natural key of data row `n` (line n + 2): every (employee, module) pair once."""
    day = dt.date(2023, 1, 2) + dt.timedelta(days=n % 300)
    return (
        f"K{n % EMPLOYEES:05d}",
        f"KILL-{n // EMPLOYEES}",
        dt.datetime(day.year, day.month, day.day, 8 + n % 10, n % 60, tzinfo=PARIS),
    )


@pytest.fixture
def lms_export(transactional_db, tmp_path: Path) -> Path:
    entity = LegalEntity.objects.create(code="KILL", name="Kill test entity")
    Employee.objects.bulk_create(
        Employee(employee_id=f"K{n:05d}", last_name=f"Nom{n}", entity=entity, hired_on=dt.date(2015, 1, 1))
        for n in range(EMPLOYEES)
    )
    Module.objects.bulk_create(
        Module(code=f"KILL-{m}", title=f"Kill module {m}", kind="e_learning", deployed_on=dt.date(2022, 1, 3))
        for m in range(MODULES)
    )
    assert EMPLOYEES * MODULES == ROWS
    path = tmp_path / "lms.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write("employee_id;module_code;completed_at;duration_minutes;score\n")
        for n in range(ROWS):
            employee, module, at = _key(n)
            out.write(f"{employee};{module};{at:%d/%m/%Y %H:%M};{20 + n % 40};{50 + n % 50}\n")
    return path


def _stored_keys() -> set[tuple[str, str, dt.datetime]]:
    return set(Completion.objects.values_list("employee__employee_id", "module__code", "completed_at"))


def _assert_history_is_one_creation_per_record(count: int) -> None:
    ids = set(Completion.objects.values_list("pk", flat=True))
    history = list(Completion.history.values_list("id", "history_type"))
    assert len(ids) == count
    assert len(history) == count, "one history row per record, no orphan history row"
    assert {pk for pk, _type in history} == ids
    assert {kind for _pk, kind in history} == {"+"}


# --- the subprocesses -------------------------------------------------------------------------------------


def _database_url() -> str:
    """The test database, as a URL the subprocess's settings read."""
    from urllib.parse import quote

    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = f"{quote(db['USER'] or '', safe='')}:{quote(db['PASSWORD'] or '', safe='')}@"
    return f"postgres://{auth}{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def processes(lms_export: Path, tmp_path: Path) -> Iterator[Processes]:
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "CELERY_TASK_ALWAYS_EAGER"}}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DATABASE_URL=_database_url(),
        CONN_MAX_AGE="0",
        VIGIE_VAR_DIR=str(tmp_path / "var"),
        PYTHONUNBUFFERED="1",
        LOG_LEVEL="WARNING",
    )
    procs = Processes(env=env, workdir=tmp_path)
    try:
        yield procs
    finally:
        procs.stop()


def _start_import(
    procs: Processes, path: Path, *options: str, name: str = "import", kind: str = "completions"
) -> subprocess.Popen:
    proc, _log = procs.start_command(name, [sys.executable, "manage.py", f"import_{kind}", str(path), *options])
    return proc


def _writing() -> bool:
    """Whether another connection holds uncommitted writes on the test database: a batch (or a strict
    import's single transaction) is being written."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL"
            )
            return cursor.fetchone()[0] > 0
    probe = sqlite3.connect(connection.settings_dict["NAME"], timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:  # "database is locked": the import is writing
        return "locked" in str(exc)
    else:
        probe.execute("ROLLBACK")
        return False
    finally:
        probe.close()


def _wait_for(predicate, procs: Processes, proc: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not predicate():
        if proc.poll() is not None:
            pytest.fail(f"the import exited ({proc.returncode}) before {what}\n{procs.logs()}")
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} within {TIMEOUT:.0f}s\n{procs.logs()}")
        time.sleep(0.003)


def _the_run(kind: str = "completions") -> ImportRun | None:
    return ImportRun.objects.filter(kind=kind).order_by("-pk").first()


def _kill_while_writing(
    procs: Processes,
    proc: subprocess.Popen,
    *,
    after_a_batch: bool,
    sig: int = signal.SIGKILL,
    kind: str = "completions",
) -> None:
    """Signal the import while it holds uncommitted writes (after its first committed batch if asked)."""
    if after_a_batch:
        _wait_for(
            lambda: (run := _the_run(kind)) is not None and run.last_line_committed, procs, proc, "committed batch"
        )
    else:
        _wait_for(lambda: (run := _the_run(kind)) is not None and run.sha256, procs, proc, "started run")
    _wait_for(_writing, procs, proc, "batch being written")
    assert proc.poll() is None
    if sig == signal.SIGKILL:
        procs.kill(proc)
        assert proc.returncode == -signal.SIGKILL
    else:
        signal_group(proc, sig)
        proc.wait(timeout=TIMEOUT)


# --- killed in the middle, then completed ------------------------------------------------------------


@pytest.mark.e2e
def test_a_killed_import_leaves_whole_batches_is_marked_interrupted_and_a_rerun_completes_it(processes, lms_export):
    proc = _start_import(processes, lms_export)
    _kill_while_writing(processes, proc, after_a_batch=True)

    run = _the_run()
    # The record still says "running": nothing ran after the kill. It says how far the database got.
    assert run.status == ImportRun.Status.RUNNING and run.finished_at is None
    assert (run.host, run.pid) == (current_process()[0], proc.pid)
    committed = Completion.objects.count()
    assert 0 < committed < ROWS
    assert committed % BATCH == 0, f"{committed} records: not whole batches of {BATCH}"
    assert run.batches_committed == committed // BATCH
    assert run.last_line_committed == committed + 1  # line 1 is the header
    assert (run.created, run.updated, run.unchanged, run.rejected) == (committed, 0, 0, 0)
    # Exactly the first lines of the file, each with its history row, all from this run.
    assert _stored_keys() == {_key(n) for n in range(committed)}
    _assert_history_is_one_creation_per_record(committed)
    assert set(Completion.objects.values_list("import_run_id", flat=True)) == {run.pk}

    # Its process is gone: the run is marked interrupted, with where it stopped (once).
    assert ImportRun.objects.mark_interrupted() == [run.pk]
    assert ImportRun.objects.mark_interrupted() == []
    run.refresh_from_db()
    assert run.status == ImportRun.Status.INTERRUPTED
    assert run.message == (
        f"stopped after line {committed + 1} (batch {committed // BATCH}); re-run the same file to complete it"
    )
    assert run.finished_at is not None and run.last_line_committed == committed + 1

    # The same command again completes it: only the missing rows are created.
    rerun_proc = _start_import(processes, lms_export, name="rerun")
    assert rerun_proc.wait(timeout=TIMEOUT) == 0, processes.logs()
    rerun = _the_run()
    assert rerun.pk != run.pk
    assert (rerun.status, rerun.rows_read, rerun.created, rerun.unchanged, rerun.updated, rerun.rejected) == (
        ImportRun.Status.COMPLETED,
        ROWS,
        ROWS - committed,
        committed,
        0,
        0,
    )
    assert rerun.last_line_committed == ROWS + 1
    assert rerun.details["completes_run"] == run.pk
    assert Completion.objects.count() == ROWS
    assert _stored_keys() == {_key(n) for n in range(ROWS)}
    _assert_history_is_one_creation_per_record(ROWS)


@pytest.mark.e2e
@pytest.mark.parametrize("option", ["--strict", "--dry-run"])
def test_a_killed_strict_or_dry_run_import_leaves_nothing(processes, lms_export, option):
    proc = _start_import(processes, lms_export, option)
    _kill_while_writing(processes, proc, after_a_batch=False)

    assert Completion.objects.count() == 0
    assert Completion.history.count() == 0
    run = _the_run()
    assert run.last_line_committed is None and run.batches_committed == 0
    assert ImportRun.objects.mark_interrupted() == [run.pk]
    run.refresh_from_db()
    assert (run.status, run.last_line_committed) == (ImportRun.Status.INTERRUPTED, None)
    assert "nothing was written" in run.message


@pytest.mark.e2e
def test_a_sigterm_rolls_back_the_batch_in_progress_and_marks_the_run_itself(processes, lms_export):
    """`docker stop`, systemd: SIGTERM, then SIGKILL after a grace period. The command stops at once."""
    proc = _start_import(processes, lms_export)
    _kill_while_writing(processes, proc, after_a_batch=True, sig=signal.SIGTERM)

    assert proc.returncode == 128 + signal.SIGTERM, processes.logs()
    run = _the_run()
    committed = Completion.objects.count()
    assert 0 < committed < ROWS and committed % BATCH == 0
    assert (run.status, run.last_line_committed, run.created) == (
        ImportRun.Status.INTERRUPTED,
        committed + 1,
        committed,
    )
    with translation.override(settings.LANGUAGE_CODE):  # the command's language wrote it
        assert run.message == run.interrupted_message()
    assert f" {committed + 1} " in run.message and f" {committed // BATCH})" in run.message
    _assert_history_is_one_creation_per_record(committed)


REQUESTS = 4_000


@pytest.fixture
def tracker(transactional_db, tmp_path: Path) -> Path:
    """A DPO's tracker: every third request had its identity checked (a pause), all answered."""
    path = tmp_path / "requests.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write(
            "reference;received_at;right;channel;identity_requested_at;identity_received_at;answered_at;outcome\n"
        )
        for n in range(REQUESTS):
            day = dt.date(2024, 1, 2) + dt.timedelta(days=n % 300)
            asked, got = (
                (f"{day + dt.timedelta(days=1):%d/%m/%Y}", f"{day + dt.timedelta(days=6):%d/%m/%Y}")
                if n % 3 == 0
                else ("", "")
            )
            out.write(
                f"DSR-K-{n:05d};{day:%d/%m/%Y} 10:00;access;email;{asked};{got};"
                f"{day + dt.timedelta(days=20):%d/%m/%Y};granted\n"
            )
    return path


@pytest.mark.e2e
def test_a_killed_rights_requests_import_keeps_whole_batches_with_their_pauses_and_ledger_rows(tmp_path, tracker):
    """The rows an importer hangs off its records (identity pauses, the deadline ledger) commit with them."""
    from gdpr.models import DeadlineEvent, RightsRequest, RightsRequestPause

    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "CELERY_TASK_ALWAYS_EAGER"}}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DATABASE_URL=_database_url(),
        CONN_MAX_AGE="0",
        VIGIE_VAR_DIR=str(tmp_path / "var"),
        PYTHONUNBUFFERED="1",
        LOG_LEVEL="WARNING",
    )
    procs = Processes(env=env, workdir=tmp_path)
    try:
        proc = _start_import(procs, tracker, kind="rights_requests")
        _kill_while_writing(procs, proc, after_a_batch=True, kind="rights_requests")
        batch = 2_000  # the rights requests importer's batch size
        committed = RightsRequest.objects.count()
        assert 0 < committed < REQUESTS and committed % batch == 0
        references = {f"DSR-K-{n:05d}" for n in range(committed)}
        assert set(RightsRequest.objects.values_list("reference", flat=True)) == references
        assert _the_run("rights_requests").last_line_committed == committed + 1

        def consistent(count: int) -> None:
            requests = set(RightsRequest.objects.values_list("pk", flat=True))
            assert len(requests) == count
            assert sorted(RightsRequest.history.values_list("id", flat=True)) == sorted(requests)
            # One identity pause per third request, one "computed" ledger row per request, nothing else.
            pauses = list(RightsRequestPause.objects.values_list("pk", "request_id"))
            assert len(pauses) == len(range(0, count, 3)) and {r for _p, r in pauses} <= requests
            assert sorted(RightsRequestPause.history.values_list("id", flat=True)) == sorted(p for p, _r in pauses)
            events = list(DeadlineEvent.objects.values_list("request_id", "kind"))
            assert sorted(r for r, _k in events) == sorted(requests) and {k for _r, k in events} == {"computed"}

        consistent(committed)
        assert ImportRun.objects.mark_interrupted() == [_the_run("rights_requests").pk]

        rerun = _start_import(procs, tracker, kind="rights_requests", name="rerun")
        assert rerun.wait(timeout=TIMEOUT) == 0, procs.logs()
        run = _the_run("rights_requests")
        assert (run.status, run.created, run.unchanged, run.updated) == (
            ImportRun.Status.COMPLETED,
            REQUESTS - committed,
            committed,
            0,
        )
        consistent(REQUESTS)
    finally:
        procs.stop()


# --- how a dead run is told from a live one --------------------------------------------------------------


def _running(**fields) -> ImportRun:
    return ImportRun.objects.create(
        kind="completions", file_name="lms.csv", last_line_committed=4001, batches_committed=2, **fields
    )


def _dead_pid() -> int:
    """The pid of a process that has exited and been reaped."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.mark.django_db
def test_a_run_of_this_machine_is_dead_when_its_process_is_gone_or_is_another_process():
    host, pid, started = current_process()
    alive = _running(host=host, pid=pid, pid_started=started)
    gone = _running(host=host, pid=_dead_pid(), pid_started=None)
    reused = _running(host=host, pid=pid, pid_started=(started or 0) + 1) if started is not None else None
    old_but_alive = _running(
        host=host, pid=pid, pid_started=started, heartbeat_at=timezone.now() - dt.timedelta(days=1)
    )

    marked = ImportRun.objects.mark_interrupted()

    assert alive.pk not in marked and old_but_alive.pk not in marked
    assert gone.pk in marked
    if reused is not None:
        assert reused.pk in marked
    gone.refresh_from_db()
    assert gone.status == ImportRun.Status.INTERRUPTED
    assert gone.message == "stopped after line 4001 (batch 2); re-run the same file to complete it"


@pytest.mark.django_db
def test_the_periodic_task_marks_the_dead_runs():
    from config.celery import app
    from core.tasks import mark_interrupted_imports

    host, pid, started = current_process()
    alive = _running(host=host, pid=pid, pid_started=started)
    gone = _running(host=host, pid=_dead_pid(), pid_started=None)
    assert mark_interrupted_imports.apply().get() == [gone.pk]
    assert ImportRun.objects.get(pk=alive.pk).status == ImportRun.Status.RUNNING
    entries = [entry["task"] for entry in app.conf.beat_schedule.values()]
    assert "core.tasks.mark_interrupted_imports" in entries


@pytest.mark.django_db
def test_a_run_of_another_machine_is_dead_when_its_heartbeat_is_too_old(settings):
    settings.VIGIE_IMPORT_STALE_SECONDS = 300
    now = timezone.now()
    recent = _running(host="worker-2", pid=7, heartbeat_at=now - dt.timedelta(seconds=200))
    stale = _running(host="worker-2", pid=7, heartbeat_at=now - dt.timedelta(seconds=400))
    legacy = _running(started_at=now - dt.timedelta(hours=1))  # no host: a run from before the heartbeat
    strict = _running(host="worker-2", pid=8, strict=True, heartbeat_at=now - dt.timedelta(seconds=400))
    assert sorted(ImportRun.objects.mark_interrupted(now=now)) == sorted([stale.pk, legacy.pk, strict.pk])
    stale.refresh_from_db()
    assert stale.finished_at == stale.heartbeat_at  # the last moment it is known to have worked
    strict.refresh_from_db()
    assert strict.last_line_committed is None
    assert strict.message == (
        "stopped before the end: nothing was written (strict import: all or nothing); re-run the same file"
    )
    recent.refresh_from_db()
    assert recent.status == ImportRun.Status.RUNNING


@pytest.mark.django_db
def test_the_admin_shows_a_dead_run_as_interrupted(roles):
    from tests.clients import admin_client

    client = admin_client("Compliance officer", language="en")  # the message is written in the page's language
    run = _running(host=current_process()[0], pid=_dead_pid())
    response = client.get(reverse("admin:core_importrun_changelist"))
    assert response.status_code == 200
    run.refresh_from_db()
    assert run.status == ImportRun.Status.INTERRUPTED
    response = client.get(reverse("admin:core_importrun_change", args=[run.pk]))
    assert "re-run the same file to complete it" in response.content.decode()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_thread_beats_while_the_import_holds_a_long_transaction(postgres):
    run = _running(host="web-1", pid=1, heartbeat_at=timezone.now() - dt.timedelta(hours=1))
    before = run.heartbeat_at
    beat = _Heartbeat(run.pk, interval=0.05)
    with transaction.atomic():  # a strict import's one transaction, holding writes
        Department.objects.create(name="Written in the long transaction")
        beat.start()
        deadline = time.monotonic() + 10
        while ImportRun.objects.get(pk=run.pk).heartbeat_at == before and time.monotonic() < deadline:
            time.sleep(0.05)
        beat.stop()
    assert ImportRun.objects.get(pk=run.pk).heartbeat_at > before
    assert ImportRun.objects.mark_interrupted() == []


# --- a re-run cannot duplicate: every kind's natural key is unique in the database --------------------------


def test_every_import_kind_has_a_natural_key_the_database_holds_unique():
    kinds = importers()
    assert {"completions", "rights_requests", "roster", "entities", "attendances"} <= set(kinds)
    assert {kind: unique_natural_key(importer) for kind, importer in kinds.items()} == dict.fromkeys(kinds)


def test_an_importer_whose_natural_key_is_not_unique_is_refused():
    class ByName(Importer):
        kind = "test_by_last_name"
        model = Employee
        natural_key = ("last_name",)
        columns = (Column("last_name", Text(100), required=True),)

    with pytest.raises(ImproperlyConfigured, match="a re-run could duplicate rows"):
        register(ByName)
    assert "test_by_last_name" not in importers()

    class ByEntityAndId(ByName):
        kind = "test_by_entity_and_id"
        natural_key = ("entity_id", "employee_id")  # contains a unique field: unique

    assert unique_natural_key(ByEntityAndId) is None


@pytest.mark.django_db
def test_the_api_shows_a_dead_run_as_interrupted(roles):
    from tests.clients import api_client

    run = _running(host=current_process()[0], pid=_dead_pid())
    body = api_client("Auditor").get(f"/api/imports/runs/{run.pk}/").json()
    assert body["status"] == "interrupted"
    assert body["last_line_committed"] == run.last_line_committed and body["batches_committed"] == 2
    assert "heartbeat_at" in body
