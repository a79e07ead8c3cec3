"""Subprocesses for the end-to-end tests: Celery workers and beat (and a throwaway redis-server), each in
its own process group with its log in a file, shown with any failure."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
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
            proc = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                argv, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
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
