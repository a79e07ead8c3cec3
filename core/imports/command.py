"""The base of every `import_<kind>` management command: one line of code per kind.

Exit codes (docs/interfaces.md): 0 when every row was imported, 1 when a row was rejected (or a strict
import was rolled back), 2 when the file was refused as a whole (one line on stderr, nothing written),
3 when the database failed in the middle (busy with other writers for longer than it waits, gone, full:
the summary on stderr says the error and where it stopped; the batches before are kept, and importing the
same file again completes it).

Stopped by SIGTERM (`docker stop`, systemd, a supervisor) or Ctrl-C, the command rolls back the batch in
progress, marks its run "interrupted" with the line it stopped after, and exits 143 (SIGTERM).
Killed outright (SIGKILL, a machine that stops), it leaves the batches already committed, and its run is
marked interrupted by the next import or the admin's list of runs. Either way, importing the same file
again completes it without duplicates (rows are matched on their natural key).
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.spreadsheets import UnknownCsvDialect, add_dialect_argument, dialect_named

from .engine import Importer, rejects_path_for, run_import
from .registry import get_importer


class ImportCommand(BaseCommand):
    """Subclasses set `kind`; `help` is derived from the importer's columns."""

    kind: str

    @property
    def help(self) -> str:  # type: ignore[override]  # the importer's, read when asked
        importer = get_importer(self.kind)
        columns = ", ".join(f"{c.name}{'*' if c.required else ''}" for c in importer.columns)
        return (
            f"Import '{self.kind}' from a .csv or .xlsx file (columns, * = required: {columns}). "
            f"Rejected rows go to <name>.rejects.csv beside the file. Exit code 0: all rows imported; "
            f"1: rows rejected; 2: file refused; 3: the database failed (busy for too long, gone). An interrupted "
            f"or failed import is completed by importing the same file again."
        )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="the .csv or .xlsx file to import")
        parser.add_argument("--dry-run", action="store_true", help="validate and count, write nothing")
        parser.add_argument(
            "--strict", action="store_true", help="all or nothing: any rejected row rolls back the file"
        )
        add_dialect_argument(
            parser,
            "the CSV dialect of the rejects file: french (default: `;`, UTF-8 with BOM, for spreadsheets) "
            "or machine (`,`, no BOM); both import again once corrected",
        )

    def importer(self, options: dict[str, Any]) -> str | type[Importer]:
        """The importer to run: the registered one of `kind`; a command with options of its own (a list code)
        may return a variant of it."""
        return self.kind

    def handle(self, *args: Any, path: Path, dry_run: bool, strict: bool, **options: Any) -> None:
        try:
            dialect = dialect_named(options.get("dialect"))
        except UnknownCsvDialect as exc:
            raise CommandError(str(exc)) from exc
        path = path.expanduser()
        with _sigterm_as_exit():
            report = run_import(
                self.importer(options),
                path,
                dry_run=dry_run,
                strict=strict,
                rejects_path=rejects_path_for(path.resolve()),
                rejects_dialect=dialect,
            )
        lines = report.lines()
        if report.exit_code == 2:
            self.stderr.write(lines[0])
        elif report.exit_code == 3:
            self.stderr.write("\n".join(lines))
        else:
            self.stdout.write("\n".join(lines))
        if report.exit_code:
            # SystemExit, not CommandError: the exit code is part of the interface, also for call_command.
            self.stdout.flush()
            sys.exit(report.exit_code)


@contextmanager
def _sigterm_as_exit() -> Iterator[None]:
    """SIGTERM raises SystemExit(143) while the import runs: the batch in progress is rolled back and the
    run is marked interrupted, instead of the process vanishing (the default action of SIGTERM)."""
    if threading.current_thread() is not threading.main_thread():  # signals only go to the main thread
        yield
        return

    def stop(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
