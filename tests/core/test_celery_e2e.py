"""End-to-end: a real `celery worker` and a real `celery beat`, as `make run` and production start them.

Two set-ups, each with its own worker and beat subprocesses:
- Redis (production): broker, result backend and cache on a dedicated Redis database (/15);
- the embedded default (no service): kombu's filesystem broker, file result backend and file cache
  under a temporary VIGIE_VAR_DIR. Never skipped: it is what `make run` starts on any machine.

For each, a `core.tasks.ping` round trip through the broker and the result backend, and the proof that
beat fired `core.tasks.heartbeat` and the worker ran it: the heartbeat is read back by
`core.health.last_heartbeat()` in a process with the same settings as the worker's.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from celery import Celery
from django.conf import settings

from tests.processes import Processes

pytestmark = pytest.mark.e2e

ROOT = Path(settings.BASE_DIR)
START_TIMEOUT = 30.0  # seconds for a worker to say "ready"
TASK_TIMEOUT = 20.0  # seconds for a task result or a heartbeat


@dataclass
class CeleryStack(Processes):
    """A worker and a beat subprocess sharing one environment, and a client app to talk to them."""

    client: Celery = field(default_factory=lambda: Celery("vigie-e2e-client"))
    started_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    def stop(self) -> None:
        super().stop()
        self.client.close()

    def last_heartbeat(self, timeout: float) -> dt.datetime | None:
        """Wait for a heartbeat with the worker's own settings: core.health in a fresh process."""
        script = (
            "import sys, time, django\n"
            "django.setup()\n"
            "from core.health import last_heartbeat\n"
            "deadline = time.monotonic() + float(sys.argv[1])\n"
            "beat = last_heartbeat()\n"
            "while beat is None and time.monotonic() < deadline:\n"
            "    time.sleep(0.2)\n"
            "    beat = last_heartbeat()\n"
            "print(beat.isoformat() if beat else '')\n"
        )
        result = subprocess.run(
            [sys.executable, "-c", script, str(timeout)],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout + 30,
            check=False,
        )
        assert result.returncode == 0, f"reading the heartbeat failed:\n{result.stderr}\n{self.logs()}"
        value = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
        return dt.datetime.fromisoformat(value) if value else None


def _base_env(var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_TASK_ALWAYS_EAGER"}}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        VIGIE_VAR_DIR=str(var_dir),
        VIGIE_HEARTBEAT_SECONDS="1",
        PYTHONUNBUFFERED="1",
        LOG_LEVEL="INFO",
    )
    return env


def _start(stack: CeleryStack, worker_args: list[str]) -> CeleryStack:
    stack.started_at = dt.datetime.now(dt.UTC)
    worker, worker_log = stack.start(
        "worker", "worker", "--loglevel=INFO", "--concurrency=1", "--hostname=e2e@%h", *worker_args
    )
    stack.wait_for_log(worker, worker_log, " ready.", START_TIMEOUT)
    stack.start(
        "beat",
        "beat",
        "--loglevel=INFO",
        f"--schedule={stack.workdir / 'celerybeat-schedule'}",
        f"--pidfile={stack.workdir / 'beat.pid'}",
    )
    return stack


def _redis_db15(url: str) -> str:
    """The same server as REDIS_URL, database 15: ours to flush."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/15"))


@pytest.fixture(scope="module")
def _redis_stacks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, CeleryStack]]:
    """One Redis stack for the module, started by the first test that gets past `redis_url`."""
    stacks: dict[str, CeleryStack] = {}
    yield stacks
    for stack in stacks.values():
        stack.stop()
        import redis

        with redis.Redis.from_url(stack.env["REDIS_URL"]) as server:
            server.flushdb()


@pytest.fixture
def redis_stack(
    redis_url: str, _redis_stacks: dict[str, CeleryStack], tmp_path_factory: pytest.TempPathFactory
) -> CeleryStack:
    if "redis" not in _redis_stacks:
        import redis

        url = _redis_db15(redis_url)
        with redis.Redis.from_url(url) as server:
            server.flushdb()
        workdir = tmp_path_factory.mktemp("celery-redis")
        env = _base_env(workdir / "var")
        env["REDIS_URL"] = url
        client = Celery("vigie-e2e-client", broker=url, backend=url)
        _redis_stacks["redis"] = stack = CeleryStack(env=env, workdir=workdir, client=client)
        _start(stack, ["--without-gossip", "--without-mingle"])
    return _redis_stacks["redis"]


@pytest.fixture(scope="module")
def embedded_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CeleryStack]:
    workdir = tmp_path_factory.mktemp("celery-embedded")
    var_dir = workdir / "var"  # not created here: the settings must create what they need
    env = _base_env(var_dir)
    stack = CeleryStack(env=env, workdir=workdir, client=Celery("vigie-e2e-client"))
    try:
        _start(stack, [])
        # The client talks to the folders the worker created, with the same transport options.
        stack.client.conf.update(
            broker_url="filesystem://",
            broker_transport_options={
                "data_folder_in": str(var_dir / "broker" / "queue"),
                "data_folder_out": str(var_dir / "broker" / "queue"),
                "control_folder": str(var_dir / "broker" / "control"),
                "store_processed": False,
            },
            result_backend=f"file://{var_dir / 'results'}",
        )
        yield stack
    finally:
        stack.stop()


def _check_ping(stack: CeleryStack) -> None:
    result = stack.client.send_task("core.tasks.ping", args=["e2e"])
    try:
        assert result.get(timeout=TASK_TIMEOUT) == "e2e"
    except Exception as exc:  # noqa: BLE001 - show the processes' logs with any failure
        pytest.fail(f"ping did not come back: {exc!r}\n{stack.logs()}")


def _check_heartbeat(stack: CeleryStack) -> None:
    beat = stack.last_heartbeat(TASK_TIMEOUT)
    assert beat is not None, f"no heartbeat within {TASK_TIMEOUT:.0f}s\n{stack.logs()}"
    since = stack.started_at - dt.timedelta(seconds=1)
    assert beat >= since, f"stale heartbeat {beat} (processes started {since})"
    # Beat sent it and the worker ran it (not something else writing the cache key).
    stack.wait_for_pattern("beat", r"Sending due task heartbeat \(core\.tasks\.heartbeat\)", 5)
    stack.wait_for_pattern("worker", r"Task core\.tasks\.heartbeat\[[0-9a-f-]+\] succeeded", 5)


@pytest.mark.redis
def test_redis_ping_round_trip(redis_stack: CeleryStack) -> None:
    _check_ping(redis_stack)


@pytest.mark.redis
def test_redis_beat_heartbeat_runs_on_worker(redis_stack: CeleryStack) -> None:
    _check_heartbeat(redis_stack)


def test_embedded_ping_round_trip(embedded_stack: CeleryStack) -> None:
    _check_ping(embedded_stack)


def test_embedded_beat_heartbeat_runs_on_worker(embedded_stack: CeleryStack) -> None:
    _check_heartbeat(embedded_stack)
