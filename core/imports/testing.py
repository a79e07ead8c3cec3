"""Helpers for the tests of importers (this app's and every other app's)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from django.core.management import call_command


@dataclass(frozen=True)
class CommandResult:
    exit_code: int
    stdout: str
    stderr: str


def run_import_command(kind: str, path: Path | str, *options: str) -> CommandResult:
    """`manage.py import_<kind> PATH [options]` through call_command, with its exit code (the
    command exits with SystemExit(1 or 2) on rejects or refusal, as docs/interfaces.md requires)."""
    stdout, stderr = io.StringIO(), io.StringIO()
    try:
        call_command(f"import_{kind}", str(path), *options, stdout=stdout, stderr=stderr)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    else:
        code = 0
    return CommandResult(code, stdout.getvalue(), stderr.getvalue())


def read_rejects(path: Path) -> list[list[str]]:
    """The rows of a rejects CSV (UTF-8 with BOM, `;`), header included."""
    import csv

    with path.open(encoding="utf-8-sig", newline="") as stream:
        return list(csv.reader(stream, delimiter=";"))
