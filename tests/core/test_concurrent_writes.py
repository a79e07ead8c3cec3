"""Several users writing at once, on the embedded SQLite default as on PostgreSQL: they wait for each other
instead of failing (issue 14, item 9).

Every test here runs on the configured database (SQLite by default, PostgreSQL with DATABASE_URL): both CI
suites run them. The writers are real: threads with their own database connections going through the whole
HTTP stack (test clients), or `manage.py import_*` subprocesses, on a committed test database
(`transactional_db`).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.test import APIClient

from compliance.choices import CaseStatus
from compliance.services import cases as case_services
from core.database import WriterGap
from core.models import ImportRun
from gdpr.choices import RequestStatus, Right
from gdpr.models import RightsRequest
from gdpr.services import rights as rights_services
from tests.compliance.factories import CaseFactory
from tests.core.test_import_killed import (  # noqa: F401 - fixtures: the LMS export, the import processes
    BATCH,
    ROWS,
    TIMEOUT,
    _start_import,
    _the_run,
    _wait_for,
    lms_export,
    processes,
)
from tests.factories import UserFactory
from training.models import Completion

pytestmark = pytest.mark.usefixtures("english_messages")


def _file_database() -> None:
    if connection.vendor == "sqlite" and connection.is_in_memory_db():  # type: ignore[attr-defined]  # SQLite's
        pytest.skip("an in-memory SQLite database is not shared between connections")


# --- the SQLite settings are in force on a live connection ---------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_sqlite_connection_uses_wal_a_busy_timeout_and_takes_the_write_lock_when_a_transaction_starts():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite settings (PostgreSQL has row locks and MVCC)")
    _file_database()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"  # readers never wait for the writer, nor it for them
        cursor.execute("PRAGMA synchronous")
        assert cursor.fetchone()[0] == 1  # NORMAL: safe with WAL, no fsync per commit
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] >= 30_000  # milliseconds a writer waits for another one
    # BEGIN IMMEDIATE: an atomic block holds the write lock from its first line, before it writes anything.
    other = sqlite3.connect(connection.settings_dict["NAME"], timeout=0, isolation_level=None)
    try:
        with transaction.atomic():
            RightsRequest.objects.exists()  # a read only
            with pytest.raises(sqlite3.OperationalError, match="database is locked"):
                other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")  # free again once the block ends
        other.execute("ROLLBACK")
    finally:
        other.close()


def test_a_writer_committing_batch_after_batch_lets_a_waiting_writer_in_between_two_batches(tmp_path):
    """SQLite does not queue waiting writers: each polls for the lock (every 100 ms at most). A writer that
    takes the lock back at once after each commit would keep every user waiting for its whole run; with
    the gap an import leaves between its batches, the user gets in after one batch."""
    path = tmp_path / "gap.sqlite3"
    sqlite3.connect(path).execute("PRAGMA journal_mode=WAL").close()
    batches, hold = 8, 0.25
    done = {"batches": 0, "user_in_after": None}
    started = threading.Event()

    def import_like() -> None:
        db = sqlite3.connect(path, timeout=60, isolation_level=None)
        gap = WriterGap(enabled=True)
        for _ in range(batches):
            gap.before_taking()
            db.execute("BEGIN IMMEDIATE")
            started.set()
            time.sleep(hold)  # writing the batch
            db.execute("COMMIT")
            done["batches"] += 1
            gap.released()  # and at once the next batch (its rows are already read)
        db.close()

    writer = threading.Thread(target=import_like)
    writer.start()
    started.wait(10)
    user = sqlite3.connect(path, timeout=60, isolation_level=None)
    user.execute("BEGIN IMMEDIATE")  # a person saving a record: waits for the batch being written
    done["user_in_after"] = done["batches"]
    user.execute("COMMIT")
    user.close()
    writer.join(60)
    assert done["user_in_after"] is not None and done["user_in_after"] < batches / 2, done


# --- two people press the same transition button at the same moment --------------------------------------------


class _BothInside:
    """Wraps a service's row-locking function so that the first of two transactions to lock the row keeps
    its transaction open until the second one has started its own (or for `patience` seconds, when the
    database makes the second wait before it can start: SQLite's BEGIN IMMEDIATE). Without it, the two
    requests would rarely overlap in time and the test would prove nothing."""

    def __init__(self, lock: Callable[[Any], Any], patience: float = 2.0) -> None:
        self.lock, self.patience = lock, patience
        self.arrived = 0
        self.both = threading.Event()
        self.guard = threading.Lock()

    def __call__(self, obj: Any) -> Any:
        with self.guard:
            self.arrived += 1
            first = self.arrived == 1
            if self.arrived == 2:
                self.both.set()
        locked = self.lock(obj)
        if first:
            self.both.wait(self.patience)
        return locked


def _at_once(*requests: Callable[[], Any]) -> list[Any]:
    """Run the requests in threads (each with its own database connection), released together; an exception
    a view let through (a 500) is returned in place of its response."""
    barrier = threading.Barrier(len(requests), timeout=30)
    results: list[Any] = [None] * len(requests)

    def run(index: int, request: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[index] = request()
        except Exception as exc:  # noqa: BLE001 - a 500: reported by the test
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, r)) for i, r in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return results


def _clients(group: str, *, api: bool, count: int = 2) -> list[Client]:
    """`count` people of `group`, each with their own client (API or admin)."""
    clients: list[Client] = []
    for _n in range(count):
        user = UserFactory(groups=[group])
        client: Client
        if api:
            client = api_client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
            api_client.force_authenticate(user)
        else:
            client = Client(HTTP_ACCEPT_LANGUAGE="en")
            client.force_login(user)
        clients.append(client)
    return clients


def _codes(results: list[Any]) -> list[Any]:
    return sorted((r if isinstance(r, Exception) else r.status_code for r in results), key=str)


def _answer_at() -> str:
    return (timezone.localtime() - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def open_request(transactional_db, roles) -> RightsRequest:
    _file_database()
    return rights_services.rights_request_create(
        actor=None, received_at=timezone.now() - dt.timedelta(days=10), right=Right.ACCESS
    )


def test_two_api_answers_at_once_one_is_recorded_the_other_refused_with_a_reason(open_request, monkeypatch):
    monkeypatch.setattr(rights_services, "_lock", _BothInside(rights_services._lock))
    clients = _clients("DPO", api=True)
    url = f"/api/gdpr/rights-requests/{open_request.pk}/answer/"
    body = {"answered_at": _answer_at(), "outcome": "granted", "channel": "email"}

    results = _at_once(*(lambda c=c: c.post(url, body, format="json") for c in clients))

    assert _codes(results) == [200, 400], results
    refused = next(r for r in results if r.status_code == 400).json()
    assert "cannot be answered" in refused["status"][0]
    open_request.refresh_from_db()
    assert open_request.status == RequestStatus.ANSWERED
    assert RightsRequest.history.filter(id=open_request.pk, status=RequestStatus.ANSWERED).count() == 1


def test_two_admin_answers_at_once_one_is_recorded_the_other_shown_the_reason(open_request, monkeypatch):
    monkeypatch.setattr(rights_services, "_lock", _BothInside(rights_services._lock))
    clients = _clients("DPO", api=False)
    url = reverse("admin:gdpr_rightsrequest_transition", args=[open_request.pk, "answer"])
    form = {"answered_at": _answer_at(), "outcome": "granted", "channel": "email"}

    results = _at_once(*(lambda c=c: c.post(url, form) for c in clients))

    assert _codes(results) == [200, 302], results  # done (back to the record), or the form with the refusal
    refused = next(r for r in results if r.status_code == 200).content.decode()
    assert "cannot be answered" in refused
    open_request.refresh_from_db()
    assert open_request.status == RequestStatus.ANSWERED
    assert RightsRequest.history.filter(id=open_request.pk, status=RequestStatus.ANSWERED).count() == 1


def test_two_case_analyses_started_at_once_one_starts_it_the_other_is_refused(transactional_db, roles, monkeypatch):
    _file_database()
    case = CaseFactory(reported_on=timezone.localdate() - dt.timedelta(days=3))
    monkeypatch.setattr(case_services, "_locked", _BothInside(case_services._locked))
    clients = _clients("Compliance officer", api=True)
    url = f"/api/compliance/coi-cases/{case.pk}/start-analysis/"

    results = _at_once(*(lambda c=c: c.post(url, {}, format="json") for c in clients))

    assert _codes(results) == [200, 400], results
    case.refresh_from_db()
    assert case.status == CaseStatus.UNDER_ANALYSIS
    assert (
        case_services.ConflictOfInterestCase.history.filter(id=case.pk, status=CaseStatus.UNDER_ANALYSIS).count() == 1
    )


# --- a wait longer than the database allows: 503 "busy, try again", never a 500 --------------------------------


class _RowHolder(threading.Thread):
    """Another user's transaction holding `obj`'s row (on SQLite: the write lock) until released."""

    def __init__(self, obj: Any) -> None:
        super().__init__()
        self.obj = obj
        self.holding, self.release = threading.Event(), threading.Event()

    def run(self) -> None:
        try:
            with transaction.atomic():
                type(self.obj).objects.select_for_update().get(pk=self.obj.pk)
                self.holding.set()
                self.release.wait(60)
        finally:
            connection.close()

    def __enter__(self) -> _RowHolder:
        self.start()
        assert self.holding.wait(30)
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.join(30)


@pytest.fixture
def impatient_connection():
    """This thread's connection (the test clients') gives up waiting for a lock after 0.3 s."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA busy_timeout")
            before = cursor.fetchone()[0]
            cursor.execute("PRAGMA busy_timeout = 300")
        else:
            cursor.execute("SET lock_timeout = '300ms'")
    yield
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"PRAGMA busy_timeout = {int(before)}")
        else:
            cursor.execute("RESET lock_timeout")


def test_a_request_that_waits_too_long_for_another_writer_gets_503_and_can_try_again(
    open_request, impatient_connection
):
    [api] = _clients("DPO", api=True, count=1)
    [admin] = _clients("DPO", api=False, count=1)
    url = f"/api/gdpr/rights-requests/{open_request.pk}/answer/"
    body = {"answered_at": _answer_at(), "outcome": "granted", "channel": "email"}
    admin_url = reverse("admin:gdpr_rightsrequest_transition", args=[open_request.pk, "answer"])

    with _RowHolder(open_request):
        response = api.post(url, body, format="json")
        assert response.status_code == 503
        assert response["Retry-After"] == "10"
        assert "Try again in a moment" in response.json()["detail"]
        page = admin.post(admin_url, body)
        assert page.status_code == 503 and page["Retry-After"] == "10"
        assert "Database busy" in page.content.decode()
        assert RightsRequest.objects.get(pk=open_request.pk).status == RequestStatus.RECEIVED

    assert api.post(url, body, format="json").status_code == 200


# --- an import runs while people save records ------------------------------------------------------------------


def _save_requests_while(proc: Any, client: APIClient) -> tuple[list[Any], int]:
    """Create rights requests through the API, one after the other, until the import process exits. Returns
    the answers, and how many of them came back while the import was running and had done a batch (so the
    import let them in between two of its batches)."""
    answers: list[Any] = []
    between_batches = 0
    received = (timezone.now() - dt.timedelta(days=2)).isoformat()
    response: Any
    while proc.poll() is None:
        try:
            response = client.post(
                "/api/gdpr/rights-requests/", {"received_at": received, "right": "access"}, format="json"
            )
        except Exception as exc:  # noqa: BLE001 - a 500: reported by the test
            response = exc
        answers.append(response)
        run = _the_run()
        if run is not None and run.status == ImportRun.Status.RUNNING and run.rows_read and proc.poll() is None:
            between_batches += 1
    return answers, between_batches


@pytest.mark.e2e
@pytest.mark.parametrize("option", ["", "--dry-run"])
def test_an_import_and_people_saving_records_at_the_same_time_both_complete(processes, lms_export, roles, option):
    [client] = _clients("DPO", api=True, count=1)
    proc = _start_import(processes, lms_export, *([option] if option else []))

    answers, between_batches = _save_requests_while(proc, client)

    assert proc.wait(timeout=TIMEOUT) == 0, processes.logs()
    run = _the_run()
    assert (run.status, run.rows_read, run.created, run.rejected) == (ImportRun.Status.COMPLETED, ROWS, ROWS, 0)
    assert Completion.objects.count() == (0 if option else ROWS)
    assert answers and all(getattr(a, "status_code", None) == 201 for a in answers), _codes(answers)
    assert RightsRequest.objects.count() == len(answers)
    # The people did not wait for the whole file: they saved between its batches (a dry run too).
    assert between_batches >= 2, (between_batches, len(answers))


# --- the database stays busy for longer than the import waits ------------------------------------------------------


class _Blocker:
    """Another connection holding what the import must write to, until released: on SQLite the database's
    write lock (BEGIN IMMEDIATE), on PostgreSQL the completions table (no row can be inserted)."""

    def __enter__(self) -> _Blocker:
        if connection.vendor == "sqlite":
            self.sqlite = sqlite3.connect(connection.settings_dict["NAME"], timeout=TIMEOUT, isolation_level=None)
            self.sqlite.execute("BEGIN IMMEDIATE")  # waits for the batch being written, if one is
        else:
            self.atomic = transaction.atomic()
            self.atomic.__enter__()
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {Completion._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")
        return self

    def __exit__(self, *exc: object) -> None:
        if connection.vendor == "sqlite":
            self.sqlite.execute("ROLLBACK")
            self.sqlite.close()
        else:
            transaction.set_rollback(True)
            self.atomic.__exit__(None, None, None)


@pytest.mark.e2e
@pytest.mark.parametrize("option", ["", "--dry-run"])
def test_a_database_busy_for_longer_than_the_import_waits_fails_the_run_and_rejects_no_row(
    processes, lms_export, option
):
    # The import waits 2 s for a lock (SQLite's busy timeout; PostgreSQL's lock_timeout, through libpq).
    processes.env.update(VIGIE_SQLITE_TIMEOUT="2", PGOPTIONS="-c lock_timeout=2000")
    proc, log = processes.start_command(
        "import", [sys.executable, "manage.py", "import_completions", str(lms_export), *([option] if option else [])]
    )
    if option:
        _wait_for(lambda: (run := _the_run()) is not None and run.sha256, processes, proc, "started run")
    else:
        _wait_for(lambda: (run := _the_run()) is not None and run.batches_committed, processes, proc, "committed batch")
    run = _the_run()
    with _Blocker():
        # Held until the import has given up and said so (then it can write that down).
        processes.wait_for_log(proc, log, f"import run {run.pk} failed", TIMEOUT)

    assert proc.wait(timeout=TIMEOUT) == 3, processes.logs()
    run.refresh_from_db()
    committed = Completion.objects.count()
    assert (run.status, run.rejected) == (ImportRun.Status.FAILED, 0)
    assert not run.rejects_file and not lms_export.with_name("lms.rejects.csv").exists()
    busy = "database is locked" if connection.vendor == "sqlite" else "lock timeout"
    assert busy in run.message, run.message
    with translation.override(settings.LANGUAGE_CODE):  # the command's language wrote it
        assert run.message.endswith(f"; {run.interrupted_message()}"), run.message
    assert run.message in log.read_text()  # the command's summary, on stderr
    if option:
        assert committed == 0 and run.last_line_committed is None
        return
    assert committed == run.batches_committed * BATCH and run.last_line_committed == committed + 1
    assert f" {committed + 1} " in run.message and f" {run.batches_committed})" in run.message

    # The database is free again: the same file completes the failed run.
    rerun = _start_import(processes, lms_export, name="rerun")
    assert rerun.wait(timeout=TIMEOUT) == 0, processes.logs()
    last = _the_run()
    assert (last.status, last.created, last.unchanged, last.details["completes_run"]) == (
        ImportRun.Status.COMPLETED,
        ROWS - committed,
        committed,
        run.pk,
    )
    assert Completion.objects.count() == ROWS
