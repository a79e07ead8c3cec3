"""Subprocesses for the end-to-end tests: Celery workers and beat (and a throwaway redis-server), each in
its own process group with its log in a file, shown with any failure."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)


@dataclass
class Processes:
    env: dict[str, str]
    workdir: Path
    procs: list[tuple[subprocess.Popen, Path]] = field(default_factory=list)

    def start(self, name: str, *args: str) -> tuple[subprocess.Popen, Path]:
        """`celery -A config <args>` with this environment."""
        return self.start_command(name, [sys.executable, "-m", "celery", "-A", "config", *args])

    def start_command(self, name: str, argv: list[str]) -> tuple[subprocess.Popen, Path]:
        log = self.workdir / f"{name}.log"
        with log.open("ab") as out:
            proc = subprocess.Popen(
                argv,
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group: the prefork children go with it
            )
        self.procs.append((proc, log))
        return proc, log

    @staticmethod
    def log_size(log: Path) -> int:
        """How much `log` holds so far (before a process is started again with the same log)."""
        return len(log.read_text(errors="replace")) if log.exists() else 0

    def logs(self) -> str:
        parts = []
        for proc, log in self.procs:
            text = log.read_text(errors="replace") if log.exists() else ""
            parts.append(f"--- {log.name} (pid {proc.pid}, exit {proc.poll()}) ---\n{text[-4000:]}")
        return "\n".join(parts)

    def wait_for_log(self, proc: subprocess.Popen, log: Path, needle: str, timeout: float, *, after: int = 0) -> None:
        """Wait until `needle` appears in `log` (past its first `after` characters)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if needle in log.read_text(errors="replace")[after:]:
                return
            if proc.poll() is not None:
                pytest.fail(f"{log.stem} exited ({proc.returncode}) before {needle!r}\n{self.logs()}")
            time.sleep(0.1)
        pytest.fail(f"{log.stem} did not print {needle!r} within {timeout:.0f}s\n{self.logs()}")

    def wait_for_pattern(self, name: str, pattern: str, timeout: float) -> None:
        log = self.workdir / f"{name}.log"
        deadline = time.monotonic() + timeout
        while not re.search(pattern, log.read_text(errors="replace")):
            if time.monotonic() >= deadline:
                pytest.fail(f"{name} did not log {pattern!r} within {timeout:.0f}s\n{self.logs()}")
            time.sleep(0.1)

    def kill(self, proc: subprocess.Popen) -> None:
        """SIGKILL the process and its group (a worker's prefork children): no clean-up runs."""
        signal_group(proc, signal.SIGKILL)
        proc.wait(timeout=10)

    def stop(self) -> None:
        for proc, _log in reversed(self.procs):
            if proc.poll() is None:
                signal_group(proc, signal.SIGTERM)
        for proc, _log in reversed(self.procs):
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                signal_group(proc, signal.SIGKILL)
                proc.wait(timeout=10)


def signal_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)  # the group of the process we started, by its id
    except ProcessLookupError:
        pass


# --- a redis-server of a test's own ------------------------------------------------------------------------

REDIS_START_TIMEOUT = 30.0


def free_port() -> int:
    """A local TCP port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_redis(servers: Processes, port: int) -> None:
    """Start (or start again, after a kill) the redis-server of `servers` on `port`, without persistence."""
    binary = shutil.which("redis-server")
    assert binary is not None  # the tests that start one are skipped without it (own_redis)
    before = servers.log_size(servers.workdir / "redis.log")
    proc, log = servers.start_command(
        "redis",
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(servers.workdir),
        ],
    )
    servers.wait_for_log(proc, log, "Ready to accept connections", REDIS_START_TIMEOUT, after=before)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[tuple[Processes, int]]:
    """A redis-server of this test's own, on a free port, that the test can kill (`servers.kill(
    servers.procs[0][0])`) and restart (`start_redis`): (its processes, its port)."""
    from tests.conftest import require_service

    if shutil.which("redis-server") is None:
        require_service("redis-server is not installed (apt-get install redis-server)")
    servers = Processes(env=dict(os.environ), workdir=tmp_path)
    port = free_port()
    start_redis(servers, port)
    try:
        yield servers, port
    finally:
        servers.stop()
