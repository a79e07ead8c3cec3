"""End-to-end: an overdue rights request → exactly one email to the DPO through a real SMTP server
(aiosmtpd), sent by a real Celery worker on Redis with a real beat running, whatever the number of
sweeps; and an SMTP server that refuses (451) the first time: the delivery stays pending with the
error, then goes out once.

The worker and beat are subprocesses with the embedded settings (config.settings.local) pointed at the
test database (DATABASE_URL built from the test connection: the PostgreSQL test database, or the
SQLite test file that config/settings/test.py puts on disk for this), at a Redis database of their own
and at the SMTP server. The test data is committed (`transactional_db`) so the worker sees it.
"""
from __future__ import annotations

import datetime as dt
import email
import email.header
import email.policy
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone, translation

pytestmark = [pytest.mark.e2e, pytest.mark.redis]

ROOT = Path(settings.BASE_DIR)
DPO = "dpo@example.org"
START_TIMEOUT = 30.0
TASK_TIMEOUT = 30.0


# --- the SMTP server ------------------------------------------------------------------------------------

class Collector:
    """An aiosmtpd handler keeping every accepted message; refuses the first `refuse` ones with 451."""

    def __init__(self, refuse: int = 0) -> None:
        self.refuse = refuse
        self.refused = 0
        self.messages: list[email.message.EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: ANN001, N802 - aiosmtpd's API
        with self.lock:
            if self.refused < self.refuse:
                self.refused += 1
                return "451 try later"
            message = email.message_from_bytes(envelope.original_content or envelope.content,
                                               policy=email.policy.default)
            message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
            self.messages.append(message)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server(request: pytest.FixtureRequest) -> Iterator[tuple[Collector, int]]:
    from aiosmtpd.controller import Controller

    handler = Collector(refuse=getattr(request, "param", 0))
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


# --- the worker and beat --------------------------------------------------------------------------------

@dataclass
class Stack:
    env: dict[str, str]
    workdir: Path
    procs: list[tuple[subprocess.Popen, Path]] = field(default_factory=list)

    def start(self, name: str, *args: str) -> tuple[subprocess.Popen, Path]:
        log = self.workdir / f"{name}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                [sys.executable, "-m", "celery", "-A", "config", *args], cwd=ROOT, env=self.env,
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        self.procs.append((proc, log))
        return proc, log

    def logs(self) -> str:
        return "\n".join(f"--- {log.name} (exit {proc.poll()}) ---\n{log.read_text(errors='replace')[-4000:]}"
                         for proc, log in self.procs)

    def wait_for_log(self, proc: subprocess.Popen, log: Path, needle: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while needle not in log.read_text(errors="replace"):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"{log.stem} did not print {needle!r}\n{self.logs()}")
            time.sleep(0.1)

    def stop(self) -> None:
        for proc, _log in reversed(self.procs):
            if proc.poll() is None:
                _signal_group(proc, signal.SIGTERM)
        for proc, _log in reversed(self.procs):
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                _signal_group(proc, signal.SIGKILL)
                proc.wait(timeout=10)


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)  # the group of the process we started, by its id
    except ProcessLookupError:
        pass


def _database_url() -> str:
    """The test database, as a URL the subprocesses' settings read."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    if connection.vendor == "postgresql":
        auth = f"{quote(db['USER'] or '', safe='')}:{quote(db['PASSWORD'] or '', safe='')}@"
        return f"postgres://{auth}{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    pytest.skip(f"no subprocess-shareable test database for {connection.vendor}")


def _redis_db13(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/13"))


@pytest.fixture
def stack(transactional_db, redis_url: str, smtp_server, tmp_path: Path) -> Iterator[tuple[Stack, object]]:  # noqa: ANN001
    import redis
    from celery import Celery

    _handler, port = smtp_server
    url = _redis_db13(redis_url)
    with redis.Redis.from_url(url) as server:
        server.flushdb()
    env = {k: v for k, v in os.environ.items() if k not in {"CELERY_TASK_ALWAYS_EAGER"}}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.local", VIGIE_VAR_DIR=str(tmp_path / "var"),
        DATABASE_URL=_database_url(), CONN_MAX_AGE="0", REDIS_URL=url,
        EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(port), EMAIL_TIMEOUT="5", DPO_EMAILS=DPO,
        COMPLIANCE_EMAILS="", TRAINING_EMAILS="", VIGIE_IMMEDIATE_SECONDS="1",
        PYTHONUNBUFFERED="1", LOG_LEVEL="INFO",
    )
    s = Stack(env=env, workdir=tmp_path)
    client = Celery("vigie-e2e-notifications", broker=url, backend=url)
    try:
        worker, log = s.start("worker", "worker", "--loglevel=INFO", "--concurrency=1", "--without-gossip",
                              "--without-mingle", "--hostname=e2e-notifications@%h")
        s.wait_for_log(worker, log, " ready.", START_TIMEOUT)
        beat, log = s.start("beat", "beat", "--loglevel=INFO", f"--schedule={tmp_path / 'celerybeat-schedule'}",
                            f"--pidfile={tmp_path / 'beat.pid'}")
        # Beat is up and fires the immediate sending every second (VIGIE_IMMEDIATE_SECONDS=1).
        s.wait_for_log(beat, log, "Sending due task notifications-immediate", START_TIMEOUT)
        yield s, client
    finally:
        s.stop()
        client.close()
        with redis.Redis.from_url(url) as server:
            server.flushdb()


def overdue_request():
    from gdpr.services import rights as rights_services
    from tests.factories import UserFactory

    return rights_services.rights_request_create(
        actor=UserFactory(), received_at=timezone.now() - dt.timedelta(days=70), right="access",
        requester_name="Jeanne Test")


def _sweep(s: Stack, client) -> dict:  # noqa: ANN001 - a Celery client
    result = client.send_task("notifications.tasks.sweep_and_send", kwargs={"schedule": "daily"})
    try:
        return result.get(timeout=TASK_TIMEOUT)
    except Exception as exc:  # noqa: BLE001 - show the processes' logs with any failure
        pytest.fail(f"sweep_and_send failed: {exc!r}\n{s.logs()}")


def _wait_for(predicate, s: Stack, what: str, timeout: float = TASK_TIMEOUT) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {timeout:.0f}s\n{s.logs()}")
        time.sleep(0.2)


def _expected_subject(reference: str) -> str:
    from notifications.models import Delivery
    from notifications.sending import immediate_message

    delivery = Delivery.objects.select_related("alert").get(alert__object_label=reference, recipient=DPO,
                                                            alert__threshold="overdue")
    with translation.override(settings.LANGUAGE_CODE):
        return immediate_message(delivery).subject


def test_an_overdue_request_sends_exactly_one_email_to_the_dpo_whatever_the_number_of_sweeps(stack, smtp_server):
    from notifications.models import Alert, Delivery

    s, client = stack
    handler, _port = smtp_server
    req = overdue_request()
    _sweep(s, client)
    _wait_for(lambda: handler.messages, s, "an email")
    _sweep(s, client)
    time.sleep(2.5)  # beat sends pending immediate alerts every second: give it the chance to send twice
    assert len(handler.messages) == 1, [m["Subject"] for m in handler.messages]
    message = handler.messages[0]
    assert message["X-Envelope-To"] == DPO and message["To"] == DPO
    assert str(message["Subject"]).strip() == _expected_subject(req.reference)
    assert req.reference in message["Subject"]
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert req.reference in text
    assert Alert.objects.filter(object_label=req.reference).count() == 1
    delivery = Delivery.objects.get(alert__object_label=req.reference)
    assert delivery.status == "sent" and delivery.attempts == 1
    assert "Task notifications.tasks.send_immediate" in (s.workdir / "worker.log").read_text()


@pytest.mark.parametrize("smtp_server", [1], indirect=True)
def test_smtp_refusing_then_accepting_keeps_the_delivery_pending_then_sends_it_once(stack, smtp_server):
    from notifications.models import Delivery

    s, client = stack
    handler, _port = smtp_server
    req = overdue_request()
    _sweep(s, client)  # the first attempt is refused; the task's retry (or beat's next run) sends it
    _wait_for(lambda: handler.messages, s, "the email after the refusal")
    time.sleep(2.5)
    assert handler.refused == 1
    assert len(handler.messages) == 1 and req.reference in handler.messages[0]["Subject"]
    delivery = Delivery.objects.get(alert__object_label=req.reference)
    assert delivery.status == "sent" and delivery.attempts == 2
    states = list(delivery.history.order_by("history_date", "history_id").values_list("status", "last_error"))
    assert ("pending", "") == states[0]
    assert any(status == "pending" and "451" in error for status, error in states[1:]), states
