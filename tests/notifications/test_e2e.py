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
import os
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone, translation

from tests.processes import Processes, start_redis

pytestmark = [pytest.mark.e2e, pytest.mark.redis]

DPO = "dpo@example.org"
START_TIMEOUT = 30.0
TASK_TIMEOUT = 30.0


# --- the worker and beat --------------------------------------------------------------------------------

Stack = Processes


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


def _new_stack(redis_url: str, smtp_port: int, tmp_path: Path) -> Stack:
    """Worker and beat settings for this Redis, this SMTP server and the test database."""
    env = {k: v for k, v in os.environ.items() if k not in {"CELERY_TASK_ALWAYS_EAGER"}}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        VIGIE_VAR_DIR=str(tmp_path / "var"),
        DATABASE_URL=_database_url(),
        CONN_MAX_AGE="0",
        REDIS_URL=redis_url,
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_port),
        EMAIL_TIMEOUT="5",
        DPO_EMAILS=DPO,
        COMPLIANCE_EMAILS="",
        TRAINING_EMAILS="",
        VIGIE_IMMEDIATE_SECONDS="1",
        # A refused delivery is tried again after 1 s (5 minutes by default), at beat's next run.
        VIGIE_ALERT_RETRY_BASE_SECONDS="1",
        PYTHONUNBUFFERED="1",
        LOG_LEVEL="INFO",
    )
    return Stack(env=env, workdir=tmp_path)


def _start(s: Stack) -> None:
    start_worker(s)
    beat, log = s.start(
        "beat",
        "beat",
        "--loglevel=INFO",
        f"--schedule={s.workdir / 'celerybeat-schedule'}",
        f"--pidfile={s.workdir / 'beat.pid'}",
    )
    # Beat is up and fires the immediate sending every second (VIGIE_IMMEDIATE_SECONDS=1).
    s.wait_for_log(beat, log, "Sending due task notifications-immediate", START_TIMEOUT)


def start_worker(s: Stack, name: str = "worker"):
    worker, log = s.start(
        name,
        "worker",
        "--loglevel=INFO",
        "--concurrency=1",
        "--without-gossip",
        "--without-mingle",
        f"--hostname=e2e-{name}@%h",
    )
    s.wait_for_log(worker, log, " ready.", START_TIMEOUT)
    return worker


@pytest.fixture
def stack(transactional_db, redis_url: str, smtp_server, tmp_path: Path) -> Iterator[tuple[Stack, object]]:
    import redis
    from celery import Celery

    _handler, port = smtp_server
    url = _redis_db13(redis_url)
    with redis.Redis.from_url(url) as server:
        server.flushdb()
    s = _new_stack(url, port, tmp_path)
    client = Celery("vigie-e2e-notifications", broker=url, backend=url)
    try:
        _start(s)
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
        actor=UserFactory(),
        received_at=timezone.now() - dt.timedelta(days=70),
        right="access",
        requester_name="Jeanne Test",
    )


def _sweep(s: Stack, client) -> dict:
    result = client.send_task("notifications.tasks.sweep_and_send", kwargs={"schedule": "daily"})
    try:
        return result.get(timeout=TASK_TIMEOUT)
    except Exception as exc:  # noqa: BLE001 - show the processes' logs with any failure
        pytest.fail(f"sweep_and_send failed: {exc!r}\n{s.logs()}")


def _wait_for(predicate, s: Stack, what: str, timeout: float = TASK_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {timeout:.0f}s\n{s.logs()}")
        time.sleep(0.2)


def _expected_subject(reference: str) -> str:
    from notifications.models import Delivery
    from notifications.sending import immediate_message

    delivery = Delivery.objects.select_related("alert").get(
        alert__object_label=reference, recipient=DPO, alert__threshold="overdue"
    )
    with translation.override(settings.LANGUAGE_CODE):
        return str(immediate_message(delivery).subject)  # a str; the stubs allow a lazy one


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
    # exactly the subject, no space in front: a mail rule "starts with [Vigie]" matches it
    assert str(message["Subject"]) == _expected_subject(req.reference)
    assert req.reference in message["Subject"]
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert req.reference in text
    assert Alert.objects.filter(object_label=req.reference).count() == 1
    delivery = Delivery.objects.get(alert__object_label=req.reference)
    assert delivery.status == "sent" and delivery.attempts == 1
    assert "Task notifications.tasks.send_immediate" in (s.workdir / "worker.log").read_text()


@pytest.mark.parametrize("smtp_server", [{"refuse": 1}], indirect=True)
def test_smtp_refusing_then_accepting_keeps_the_delivery_pending_then_sends_it_once(stack, smtp_server):
    from notifications.models import Delivery

    s, client = stack
    handler, _port = smtp_server
    req = overdue_request()
    _sweep(s, client)  # the first attempt is refused; beat's next run after the delivery's wait sends it
    _wait_for(lambda: handler.messages, s, "the email after the refusal")
    time.sleep(2.5)
    assert handler.refused == 1
    assert len(handler.messages) == 1 and req.reference in handler.messages[0]["Subject"]
    delivery = Delivery.objects.get(alert__object_label=req.reference)
    assert delivery.status == "sent" and delivery.attempts == 2
    states = list(delivery.history.order_by("history_date", "history_id").values_list("status", "last_error"))
    assert ("pending", "") == states[0]
    assert any(status == "pending" and "451" in error for status, error in states[1:]), states


# --- fault tests --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("smtp_server", [{"hold_at": 2}], indirect=True)
def test_a_worker_killed_while_sending_loses_nothing_and_repeats_at_most_the_message_in_flight(stack, smtp_server):
    """The SMTP server has taken the 2nd message and not answered yet when the worker is SIGKILLed: the
    first delivery is recorded sent, the other three (the one in flight included) are still pending; a
    new worker sends them, the one in flight once its claim's lease is over, so that message arrives
    twice (same Message-ID) and no other does. The killed attempt counts: that delivery had two."""
    from notifications.models import Delivery

    s, client = stack
    handler, _port = smtp_server
    references = sorted(overdue_request().reference for _ in range(4))
    client.send_task("notifications.tasks.sweep_and_send", kwargs={"schedule": "daily"})
    if not handler.holding.wait(TASK_TIMEOUT):
        pytest.fail(f"no second message reached the SMTP server\n{s.logs()}")
    s.kill(s.procs[0][0])  # the worker (and its prefork child), in the middle of the SMTP exchange
    handler.release.set()
    in_flight = handler.messages[1]["Message-ID"]
    assert list(Delivery.objects.order_by("status").values_list("status", flat=True)) == ["pending"] * 3 + ["sent"]

    start_worker(s, "worker-2")
    _wait_for(lambda: not Delivery.objects.exclude(status="sent").exists(), s, "every delivery sent")
    time.sleep(2.5)  # beat keeps sending every second: nothing more may arrive
    ids = [m["Message-ID"] for m in handler.messages]
    assert len(ids) == 5, [m["Subject"] for m in handler.messages]
    assert [i for i in set(ids) if ids.count(i) > 1] == [in_flight]
    received = sorted({ref for m in handler.messages for ref in references if ref in m["Subject"]})
    assert received == references
    assert sorted(Delivery.objects.values_list("attempts", flat=True)) == [1, 1, 1, 2]
    twice = Delivery.objects.get(attempts=2)
    assert in_flight.startswith(f"<vigie-alert-{twice.alert_id}-{twice.pk}@")
    assert "sending again: the outcome of the previous attempt was not recorded" in set(
        twice.history.values_list("history_change_reason", flat=True)
    )


def test_with_redis_down_then_back_the_next_sweep_catches_up(transactional_db, own_redis, smtp_server, tmp_path):
    """Redis dies after a first alert went out; a request becomes overdue meanwhile. Worker and beat stay
    up, nothing is sent and nothing is lost; when Redis is back, the next sweep sends that one alert,
    once, and not the first one again."""
    from celery import Celery

    from notifications.models import Delivery

    servers, redis_port = own_redis
    handler, smtp_port = smtp_server
    url = f"redis://127.0.0.1:{redis_port}/0"
    s = _new_stack(url, smtp_port, tmp_path / "stack")
    (tmp_path / "stack").mkdir()
    client = Celery("vigie-e2e-redis-down", broker=url, backend=url)
    try:
        _start(s)
        first = overdue_request()
        _sweep(s, client)
        _wait_for(lambda: len(handler.messages) == 1, s, "the first email")

        redis_proc, redis_log = servers.procs[0]
        servers.kill(redis_proc)
        worker_log = s.workdir / "worker.log"
        seen = len(worker_log.read_text(errors="replace"))
        second = overdue_request()
        time.sleep(3)  # worker and beat run without their broker
        assert len(handler.messages) == 1
        assert all(proc.poll() is None for proc, _log in s.procs), s.logs()

        start_redis(servers, redis_port)
        s.wait_for_log(s.procs[0][0], worker_log, "Connected to redis", 60, after=seen)
        _sweep(s, client)
        _wait_for(lambda: len(handler.messages) == 2, s, "the email of the request that became overdue")
        time.sleep(2.5)
        assert len(handler.messages) == 2
        assert first.reference in handler.messages[0]["Subject"]
        assert second.reference in handler.messages[1]["Subject"]
        assert list(Delivery.objects.values_list("status", flat=True)) == ["sent", "sent"]
    finally:
        s.stop()
        client.close()
