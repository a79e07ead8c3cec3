"""The import engine: one generic loop that every `import_<kind>` runs (docs/interfaces.md, "Imports").

An importer (see `Importer`) only declares its columns, its natural key and how a parsed row becomes
model field values. The engine does the rest, the same way for every kind:

1. refuse, whole, a file that is not a table (`readers.Refused`): exit code 2, nothing written;
2. match the header to the columns (case, accents, spaces, `_`, `-`, `'` ignored; aliases), list the
   unknown columns, refuse when a required one is missing;
3. parse every line: all the errors of a line are reported together; a natural key already seen in
   the file is rejected with the line where it first appeared (or, for an importer that says so, refuses
   the whole file); blank lines are counted, not rejected; a line the importer skips (`RowSkipped`) is
   counted in a note, neither written nor rejected;
4. per batch (one transaction each; a strict import is one transaction for the whole file; a dry run
   rolls back each batch): one query loads the existing records by natural key; new ones are created,
   changed ones updated, identical ones counted and not written.
   Writes go through simple-history's bulk helpers, with the importing user and a change reason that
   names the file and the run, so every write has a history row; then `Importer.after_write` writes
   the rows that hang off them (children, ledgers), in the same transaction;
   after the last batch, `Importer.finish` writes what depends on the whole file (in the file's
   transaction for a strict import);
5. record everything on an `ImportRun`, and write the rejected lines (line number, reason, original
   values) to a CSV.

No data lost: a batch and the run's progress (`last_line_committed`, the counts) commit together, so a
process killed at any moment leaves whole batches and a record that says exactly where it stopped (a
strict or dry run leaves nothing). The run records its host and pid and a heartbeat; a run whose
process is gone is marked "interrupted" (`ImportRun.objects.mark_interrupted`, called at the start of
every import) with the line and batch it stopped after. Importing the same file again completes it:
rows already written match their natural key and are counted unchanged, never duplicated.

Only a row's own fault rejects it: the database refusing its values (a constraint: `IntegrityError`; a
value out of range: `DataError`). Any other database error (the database busy with other writers for
longer than it waits, a lost connection, a full disk) fails the run: the batch in progress is rolled back
and the run says the error and where it stopped (the batches before it are kept; importing the same file
again completes it); it is never reported as rows rejected. While a batch is written, other writers wait
for it (on SQLite, for the whole database: its busy timeout, config/settings/base.py, covers a batch); a
dry run rolls back each batch instead of holding one transaction for the whole file, so it never keeps
them waiting longer than that.
"""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
import json
import logging
import operator
import shutil
import sqlite3
import sys
import tempfile
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from django.conf import settings
from django.core.files import File
from django.db import DatabaseError, DataError, IntegrityError, connection, connections, models, transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _, ngettext
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from core.database import WriterGap, busy_wait_seconds, is_busy
from core.history_bulk import create_with_history
from core.models import IMPORT_HEARTBEAT_SECONDS, ImportRun, current_process
from core.spreadsheets import FRENCH, CsvDialect, CsvWriter, csv_redialect, looks_like_formula
from core.users import get_system_user

from .parsers import InvalidValue, Parser, Text, to_text
from .readers import FileFacts, Limits, Refused, Table, excerpt, file_sha256, inspect_file, open_table
from .registry import get_importer
from .text import fold, fold_name

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 2000
#: How many rejected rows a report keeps in memory for the API and the admin (the CSV has them all).
INLINE_REJECTS = 1000
_NOT_SET: Any = object()
_MISS: Any = object()
# Memoised parser results per column are dropped past this many distinct values (memory bound).
_CACHE_LIMIT = 50_000
#: What the database raises when a row's own values are refused (a constraint, a value out of range; SQLite
#: raises OverflowError for a too large integer). Any other error is not the row's fault: it fails the run.
ROW_ERRORS = (IntegrityError, DataError, OverflowError)


@dataclass(frozen=True)
class Column:
    """One column an importer reads. `name` is the canonical header (and the key in `Row`);
    `aliases` are other headers accepted for it, in order of preference (e.g. French HR exports)."""

    name: str
    parser: Parser = field(default_factory=Text)
    required: bool = False
    aliases: tuple[str, ...] = ()
    default: Any = _NOT_SET
    help: str = ""

    @property
    def empty(self) -> Any:
        """What an empty cell becomes: the column's default, else the parser's ("" for text...)."""
        return self.parser.empty if self.default is _NOT_SET else self.default


class RowError(Exception):
    """Raised by `Importer.build` to reject a line with one reason (use `row.error` for several)."""


class RowSkipped(Exception):
    """Raised by `Importer.build` for a line the import does not concern (a vessel in a list of persons and
    companies): read and counted under `note` in the summary, neither written nor rejected."""

    def __init__(self, note: str) -> None:
        super().__init__(note)
        self.note = note


class Row(dict):
    """A parsed line, given to `Importer.build`: a dict of column name → parsed value.

    Only the columns present in the file are keys: `"is_executive" in row` says whether the file has
    that column (an importer leaves a field alone when its column is absent), and `row.get(name)`
    reads an optional one. A value is the column's empty value for an empty cell, None for a value
    that could not be parsed (its error is already recorded).
    """

    __slots__ = ("line", "raw", "errors", "built", "key", "done", "_labels")

    def __init__(self, line: int, raw: Sequence[Any], labels: dict[str, str]) -> None:
        self.line = line
        self.raw = raw
        self.errors: list[str] | None = None
        self.built: dict[str, Any] | None = None
        self.key: tuple | None = None
        self.done = False
        self._labels = labels

    def error(self, column: str | None, message: str) -> None:
        """Record one reason to reject the line; `column` names the column it is about."""
        text = f"{self._labels.get(column, column)}: {message}" if column else message
        if self.errors is None:
            self.errors = [text]
        else:
            self.errors.append(text)


class Pending:
    """A related record that does not exist yet (e.g. a new department): `Lookup.id_or_pending`
    returns one; the engine creates what is missing, with history, just before writing the rows that
    use it, so a rejected line never creates anything."""

    __slots__ = ("lookup", "value")

    def __init__(self, lookup: Lookup, value: str) -> None:
        self.lookup, self.value = lookup, value


class Lookup:
    """Natural key → primary key of a related model, loaded in one query and cached for the run.

    Values are matched through `normalize` (case, accents and spaces by default), so "Direction
    Financière" finds "DIRECTION FINANCIERE". With `create_missing`, unknown values become `Pending`
    and are created (bulk, with history) when a row that needs them is written.
    """

    def __init__(
        self,
        model: type[models.Model],
        field_name: str,
        *,
        create_missing: bool = False,
        normalize: Any = fold_name,
        label: str | None = None,
    ) -> None:
        self.model, self.field_name, self.create_missing = model, field_name, create_missing
        self.normalize = normalize
        self.label = label or str(model._meta.verbose_name_plural)
        self.created = 0
        self._ids: dict[str, int] = {}
        self._seen: dict[str, int | Pending | None] = {}
        self._pending: dict[str, Pending] = {}
        self._made: set[str] = set()  # the values this run created (normalized)

    def load(self) -> None:
        self._ids = {}
        self._seen = {}
        for pk, value in self.model._default_manager.values_list("pk", self.field_name).order_by("pk"):
            self._ids.setdefault(self.normalize(value), pk)

    def get(self, value: str) -> int | None:
        """The id of `value`, None when unknown (or only waiting to be created)."""
        found = self._cached(value)
        return None if isinstance(found, Pending) else found

    def add(self, value: str, pk: int) -> None:
        self._ids[self.normalize(value)] = pk
        self._seen.clear()

    def _cached(self, value: str) -> int | Pending | None:
        # Cached per value as written: a roster repeats a few department names 100,000 times.
        try:
            return self._seen[value]
        except KeyError:
            found = self._seen[value] = self._ids.get(self.normalize(value))
            return found

    def id_or_pending(self, value: str) -> int | Pending | None:
        """The id of `value`, or a `Pending` creation when the lookup creates what is missing."""
        found = self._cached(value)
        if found is not None or not self.create_missing:
            return found
        normalized = self.normalize(value)
        pending = self._pending.get(normalized)
        if pending is None:
            pending = self._pending[normalized] = Pending(self, value)
        self._seen[value] = pending
        return pending

    def create(self, values: Iterable[str], *, user: Any, reason: str, date: Any) -> None:
        new: dict[str, str] = {}
        for value in values:
            normalized = self.normalize(value)
            if normalized not in self._ids:
                new.setdefault(normalized, value)
        if not new:
            return
        objs = bulk_create_with_history(
            [self.model(**{self.field_name: value}) for value in new.values()],
            self.model,
            default_user=user,
            default_change_reason=reason,
            default_date=date,
        )
        for obj in objs:
            normalized = self.normalize(getattr(obj, self.field_name))
            self._ids[normalized] = obj.pk
            self._made.add(normalized)
        self._seen.clear()
        self.created = len(self._made)  # once each, also when a dry run creates one again in a later batch

    @property
    def has_pending(self) -> bool:
        return bool(self._pending)

    def forget_created(self) -> None:
        """The transaction that created values was rolled back (a dry run's batch): they are missing again,
        and the next batch that needs one creates it again (still counted once)."""
        for normalized in self._made:
            self._ids.pop(normalized, None)
        self._seen.clear()

    def forget_pending(self) -> None:
        """Drop what was waiting for creation (end of a batch: its rows were written or rejected)."""
        if self._pending:
            self._pending.clear()
            self._seen.clear()


class Importer:
    """Base of every importer: declare, do not loop.

    Subclasses set `kind`, `model`, `natural_key` (model attnames, e.g. ("employee_id",)), `columns`,
    and implement `build(row)` returning the model field values (attnames: `entity_id`, not
    `entity`) or raising `RowError`; cross-field contradictions are reported with `row.error(...)`.
    `prepare()` loads lookups once; `stages()` may order the writes of a batch (parents before
    children); `after_write()` writes what hangs off the imported records (child rows, ledger rows).
    `self.run` is the `ImportRun` being executed; fields named in `not_compared` (e.g. `import_run_id`)
    are written with a record but never make it "changed" on their own. Registered with
    `core.imports.register`.
    """

    kind: ClassVar[str]
    model: ClassVar[type[models.Model]]
    do_not_call_in_templates: ClassVar[bool] = True
    natural_key: ClassVar[tuple[str, ...]]
    columns: ClassVar[Sequence[Column]]
    #: Rows per transaction and per existing-records query; None reads the whole file as one batch
    #: (for small files whose rows refer to each other, like entities and their parents).
    batch_size: ClassVar[int | None] = DEFAULT_BATCH_SIZE
    #: Lookups whose creations are reported in the summary ("departments created: 3").
    lookups: Sequence[Lookup] = ()
    #: Fields `build` returns that are written with a record but do not make it changed on their own
    #: (`import_run_id`: re-importing a file must leave its records, and their history, as they are).
    not_compared: ClassVar[frozenset[str]] = frozenset()
    #: All or nothing, whatever the caller asks (command, admin, API): the file is one transaction.
    strict_only: ClassVar[bool] = False
    #: A natural key twice in the file refuses the whole file (exit 2, both lines named) instead of rejecting
    #: the second line; implies `strict_only` (nothing of the file may stay written).
    duplicate_key_refuses_file: ClassVar[bool] = False
    #: The runs of this kind (and their rejected rows, raw lines of the file) are shown to the person who ran
    #: them only, not to everyone who may view the kind's records: for a kind whose records are sealed per
    #: person or per entity (whistleblowing reports with referents per entity). Read by `ImportRun.visible_to`.
    runs_visible_to_runner_only: ClassVar[bool] = False

    def __init__(self, *, user: Any = None, change_reason: str = "", run: ImportRun | None = None) -> None:
        self.user = user
        self.change_reason = change_reason
        #: Values (attnames) a record the import creates gets when `build` does not give them, e.g. the
        #: parent company as `entity_id` when the file has no entity column; set in `prepare`. A record
        #: that exists keeps its own.
        self.create_defaults: dict[str, Any] = {}
        #: The run being executed (records may point to it, e.g. `import_run_id=self.run.pk`); None
        #: outside the engine.
        self.run = run
        #: What the summary must tell beyond the counts, as label → number of written rows (e.g.
        #: "completions flagged, not counted: 3"); increment it in `after_write`, for rows written (the engine
        #: also counts here the rows `build` skipped, under the note of their `RowSkipped`).
        self.notes: dict[str, int] = {}

    def note(self, label: str, count: int = 1) -> None:
        self.notes[label] = self.notes.get(label, 0) + count

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "columns" in cls.__dict__:
            seen: dict[str, str] = {}
            for column in cls.columns:
                for name in (column.name, *column.aliases):
                    other = seen.setdefault(fold(name), column.name)
                    if other != column.name:
                        raise TypeError(f"{cls.__name__}: header '{name}' is declared for {other} and {column.name}")

    @classmethod
    def verbose_name(cls) -> str:
        return str(cls.model._meta.verbose_name_plural)

    @classmethod
    def add_permission(cls) -> str:
        """The permission a person needs to run this import (add on the imported model)."""
        return f"{cls.model._meta.app_label}.add_{cls.model._meta.model_name}"

    def prepare(self) -> None:
        """Load what every row needs (lookups), once, before the first row."""
        for lookup in self.lookups:
            lookup.load()

    def build(self, row: Row) -> dict[str, Any] | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def stages(self, rows: list[Row]) -> Iterator[list[Row]]:
        """The valid rows of one batch, in groups written one after the other. Generated lazily, so
        a group may use ids created by the previous one. A row not yielded must have `row.error`."""
        yield rows

    def after_write(
        self,
        *,
        created: list[tuple[Row, models.Model]],
        updated: list[tuple[Row, dict[str, Any]]],
        unchanged: list[Row],
    ) -> None:
        """Called right after the engine wrote a group of rows, in the same transaction: write here the
        rows that hang off the imported records and need their ids (a request's pauses, ledger rows).

        `created` pairs each new row with its saved object (id set); `updated` pairs each changed row
        with the values its record had before (attnames); `unchanged` rows wrote nothing. Write with
        history (`bulk_create_with_history`, `self.user`, `self.change_reason`). An `IntegrityError` or
        `DataError` raised here undoes the whole group, which the engine then retries row by row; any
        other database error fails the run. Anything a row could be rejected for must be checked in
        `build` or `stages`, before the write. Does nothing by default.
        """

    def finish(self) -> None:
        """Called once after the last row was written, in the same transaction as the rows for a strict
        import (the whole file), in its own otherwise; not called when a strict import rejected a row
        (nothing will be kept). Write here what depends on the whole file (what it no longer contains).
        A dry run rolls it back with the rest. Does nothing by default."""

    def describe_key(self, key: tuple) -> str:
        return ", ".join(f"{name} '{value}'" for name, value in zip(self.natural_key, key, strict=True))

    def fetch_existing(self, keys: list[tuple]) -> dict[tuple, dict[str, Any]]:
        """The existing records of `keys`, as {key: {attname: value}}, in one query per batch.

        A composite key is narrowed on its first part in SQL, then matched whole here.
        """
        names = self.natural_key
        manager = self.model._base_manager
        attnames = [f.attname for f in self.model._meta.concrete_fields]
        found: dict[tuple, dict[str, Any]] = {}
        first = list({key[0] for key in keys})
        step = max_query_params()
        for start in range(0, len(first), step):
            # A natural key names concrete fields (core.imports.registry checks it).
            chunk = _in_values(first[start : start + step], self.model._meta.get_field(names[0]))  # type: ignore[arg-type]
            queryset = manager.filter(**{f"{names[0]}__in": chunk})
            for values in queryset.order_by().values(*attnames):
                found[tuple(values[name] for name in names)] = values
        return found


def _in_values(values: list[Any], field: models.Field) -> list[Any] | RawSQL:
    """The right-hand side of `IN` as one parameter rather than thousands of placeholders, which
    Django prepares one by one (a third of a re-import's time): an array on PostgreSQL, a JSON list
    on SQLite (text and integer keys, whose JSON form is their stored form)."""
    if connection.vendor == "postgresql":
        return RawSQL(f"SELECT unnest(%s::{field.db_type(connection)}[])", (values,))
    if connection.vendor == "sqlite" and all(type(v) in (str, int) for v in values):
        return RawSQL("SELECT value FROM json_each(%s)", (json.dumps(values),))
    return values


def max_query_params() -> int:
    """How many values one `IN (...)` may hold on this database (SQLite's limit is a build option)."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        try:
            return max(100, connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) - 100)
        except AttributeError:  # Python < 3.11
            return 900
    return 20_000


@dataclass(frozen=True)
class Reject:
    line: int
    reason: str


@dataclass
class ImportReport:
    """What a run did, for the command line, the admin and the API."""

    run: ImportRun
    rejects: list[Reject] = field(default_factory=list)
    rejects_path: Path | None = None

    @property
    def database_failed(self) -> bool:
        """The run failed because the database could not go on (busy, gone, full), not because of the file:
        the API answers 503 (try again later), not 400."""
        return self.run.status == ImportRun.Status.FAILED and self.run.details.get("stopped_by") == "database"

    @property
    def exit_code(self) -> int:
        if self.run.status == ImportRun.Status.REFUSED:
            return 2
        if self.run.status == ImportRun.Status.FAILED:
            return 3
        return 0 if self.run.status == ImportRun.Status.COMPLETED else 1

    def lines(self) -> list[str]:
        """The summary a person reads after an import."""
        run = self.run
        if run.status == ImportRun.Status.REFUSED:
            return [f"refused: {run.message}"]
        head = _("%(kind)s import of %(file)s (run %(pk)s): %(status)s") % {
            "kind": run.kind,
            "file": run.file_name,
            "pk": run.pk,
            "status": run.get_status_display(),
        }
        if run.dry_run:
            head += " " + _("[dry run: nothing was written]")
        lines = [head, "  " + summary_counts(run)]
        if completes := run.details.get("completes_run"):
            lines.append("  " + _("completes the interrupted run %(pk)s of this file") % {"pk": completes})
        for label, count in run.details.get("created_related", {}).items():
            lines.append("  " + _("%(label)s created: %(count)d") % {"label": label, "count": count})
        for label, count in run.details.get("notes", {}).items():
            lines.append(f"  {label}: {count}")
        if unknown := run.details.get("unknown_columns"):
            lines.append("  " + _("unknown columns ignored: %s") % ", ".join(unknown))
        if run.message:
            lines.append("  " + run.message)
        if run.rejected:
            where = str(self.rejects_path) if self.rejects_path else _("stored with the run")
            lines.append("  " + _("rejected rows: %(where)s") % {"where": where})
        return lines


def summary_counts(run: ImportRun) -> str:
    return _(
        "read %(read)d, created %(created)d, updated %(updated)d, unchanged %(unchanged)d, "
        "rejected %(rejected)d, blank lines ignored %(blank)d"
    ) % {
        "read": run.rows_read,
        "created": run.created,
        "updated": run.updated,
        "unchanged": run.unchanged,
        "rejected": run.rejected,
        "blank": run.blank_lines,
    }


class RejectsWriter:
    """The rejected lines as CSV: `line;reason;<the file's own columns>`.

    Vigie's CSV (core/spreadsheets.py), stored in its French dialect: UTF-8 with a BOM and `;` as separator,
    so French Excel opens it as a table (a plain UTF-8 comma file opens as one column with broken accents
    there), and a value that a spreadsheet would run as a formula written as text. The copy beside the file
    (`--dialect machine`) and the downloads (`?dialect=machine`) may rewrite it in the machine dialect
    (`csv_redialect`); the values are the file's own texts either way. The original columns are kept, so the file can be
    corrected and imported again (`line` and `reason` are then ignored as unknown columns).

    A line is written as wide as the header, and no value longer than `max_chars` (the cell limit of the
    readers, which refuse a longer one: this is the bound whatever a reader let through): the rejects of a file
    are never larger than the file could hold.
    """

    def __init__(self, header: Sequence[str], *, max_chars: int | None = None) -> None:
        self._binary = tempfile.TemporaryFile()
        self._text = io.TextIOWrapper(self._binary, encoding="utf-8-sig", newline="")
        self._writer = CsvWriter(self._text)
        # Every stored field, the apostrophe that neutralises a formula included, within what a reader of
        # the file (csv_redialect for `?dialect=machine`, an import of the corrected file) accepts.
        self._max_chars = min(max_chars or csv.field_size_limit(), csv.field_size_limit())
        self._writer.writerow(["line", "reason", *(self._fit(name) for name in header)])
        self._width = len(header)
        self.count = 0
        self.preview: list[Reject] = []

    def add(self, line: int, reason: str, raw: Sequence[Any]) -> None:
        values = [self._fit("" if v is None else to_text(v)) for v in itertools.islice(raw, self._width)]
        values.extend("" for _i in range(self._width - len(values)))  # a CSV line may stop before the header
        self._writer.writerow([line, self._fit(reason), *values])
        self.count += 1
        if len(self.preview) < INLINE_REJECTS:
            self.preview.append(Reject(line, reason))

    def _fit(self, text: str) -> str:
        """`text` cut (with "…") so that, written, it stays within the limit: one character less when the
        writer will put an apostrophe in front."""
        text = excerpt(text, self._max_chars)
        if len(text) == self._max_chars and looks_like_formula(text):
            text = excerpt(text, self._max_chars - 1)
        return text

    def finish(self) -> File:
        self._text.flush()
        self._binary.seek(0)
        return File(self._binary)

    def close(self) -> None:
        self._text.close()  # closes the binary file too


def _folded_plan(header: Sequence[str], columns: Sequence[Column]) -> tuple[dict[str, int], list[str]]:
    """Which file column each declared column reads, and the unknown headers; refuses duplicates."""
    folded = [fold(h) for h in header]
    positions: dict[str, list[int]] = {}
    for index, name in enumerate(folded):
        if name:
            positions.setdefault(name, []).append(index)
    mapping: dict[str, int] = {}
    used: set[int] = set()
    for column in columns:
        for candidate in (column.name, *column.aliases):
            indexes = [i for i in positions.get(fold(candidate), []) if i not in used]
            if len(indexes) > 1:
                raise Refused(
                    _("column '%(name)s' appears %(count)d times in the header (columns %(where)s)")
                    % {
                        "name": excerpt(header[indexes[0]]),
                        "count": len(indexes),
                        "where": ", ".join(str(i + 1) for i in indexes),
                    }
                )
            if indexes:
                mapping[column.name] = indexes[0]
                used.add(indexes[0])
                break
    unknown = [excerpt(h) for i, h in enumerate(header) if h and i not in used]
    return mapping, unknown


def _found(header: Sequence[str], limit: int = 12) -> str:
    shown = [excerpt(h) for h in header if h][:limit]
    more = ", ..." if len([h for h in header if h]) > limit else ""
    return ", ".join(shown) + more


class _Heartbeat:
    """Keeps `ImportRun.heartbeat_at` fresh while a run works, from a thread with its own database
    connection, so that a long batch or a strict import (one transaction) is not taken for dead by a
    process on another machine (`ImportRun.objects.mark_interrupted`). Batches also beat as they commit.

    PostgreSQL only: an SQLite database is on the machine that runs the import, where the stale check
    looks at the process itself, and a second writer would only wait for the import's write lock.
    """

    def __init__(self, run_pk: int, interval: float = IMPORT_HEARTBEAT_SECONDS) -> None:
        self.run_pk, self.interval = run_pk, interval
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if connection.vendor != "postgresql" or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._beat, name=f"import-run-{self.run_pk}-heartbeat", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=10)

    def _beat(self) -> None:
        try:
            while not self._stopped.wait(self.interval):
                try:
                    ImportRun.objects.filter(pk=self.run_pk, status=ImportRun.Status.RUNNING).update(
                        heartbeat_at=timezone.now()
                    )
                except DatabaseError:
                    logger.warning("import run %s: heartbeat not written", self.run_pk, exc_info=True)
        finally:
            connections["default"].close()  # this thread's own connection


class _Run:
    """One execution of an importer over one file (the state of `run_import`)."""

    def __init__(
        self,
        importer_class: type[Importer],
        path: Path,
        *,
        user: Any,
        dry_run: bool,
        strict: bool,
        file_name: str,
        rejects_path: Path | None,
        rejects_dialect: CsvDialect = FRENCH,
    ) -> None:
        self.importer_class = importer_class
        self.rejects_dialect = rejects_dialect
        self.path = path
        self.user = user
        self.dry_run = dry_run
        self.strict = strict or importer_class.strict_only or importer_class.duplicate_key_refuses_file
        self.file_name = file_name
        self.rejects_path = rejects_path
        ImportRun.objects.mark_interrupted()
        host, pid, pid_started = current_process()
        self.run = ImportRun.objects.create(
            kind=importer_class.kind,
            file_name=file_name[:255],
            user=user,
            dry_run=dry_run,
            strict=self.strict,
            size=path.stat().st_size if path.exists() else 0,
            host=host,
            pid=pid,
            pid_started=pid_started,
            heartbeat_at=timezone.now(),
        )
        self.rejects: RejectsWriter | None = None
        self.seen: dict[tuple, int] = {}
        self.last_line = 0
        #: The first and last lines of the batch being written, for the message of a database error.
        self.writing: tuple[int, int] | None = None
        #: Between two batches, other writers get their turn (SQLite does not queue them).
        self.gap = WriterGap()

    # -- the whole run ------------------------------------------------------------------------------
    def execute(self) -> ImportReport:
        table: Table | None = None
        heartbeat = _Heartbeat(self.run.pk)
        try:
            try:
                facts = inspect_file(self.path, max_bytes=settings.VIGIE_IMPORT_MAX_BYTES)
                self.run.sha256, self.run.size = facts.sha256, facts.size
                limits = Limits.from_settings()
                table = open_table(self.path, facts, limits)
                mapping, unknown = self._match_header(table)
                lines = _with_data(table)
            except Refused as refusal:
                return self._refused(str(refusal))
            self.run.details = self._details(facts, table, unknown)
            self._save_started()
            self.rejects = RejectsWriter(table.header, max_chars=limits.max_cell_chars)
            heartbeat.start()
            try:
                self._process(lines, table, mapping)
            except Refused as refusal:  # a workbook whose reading fails half-way (the batch in progress undone)
                heartbeat.stop()
                return self._stopped(str(refusal))
            heartbeat.stop()
            return self._finish()
        except DatabaseError as exc:
            # Not a bug of the import, nor a row's fault (those are rejected rows): the database could not
            # go on (busy for too long, gone, full). The run says so, and where it stopped.
            heartbeat.stop()
            self._failed(exc)
            return ImportReport(run=self.run)
        except Exception as exc:
            heartbeat.stop()
            self._failed(exc)
            raise
        except BaseException:
            # KeyboardInterrupt, or SystemExit from a signal handler (the command's SIGTERM, gunicorn's
            # SIGABRT of a worker past its timeout): the batch in progress was rolled back.
            heartbeat.stop()
            self._interrupted()
            raise
        finally:
            heartbeat.stop()
            if table is not None:
                table.close()
            if self.rejects is not None:
                self.rejects.close()

    def _match_header(self, table: Table) -> tuple[dict[str, int], list[str]]:
        columns = self.importer_class.columns
        mapping, unknown = _folded_plan(table.header, columns)
        if not mapping:
            raise Refused(
                _("no header line: none of the expected columns (%(expected)s) was found (first line: %(found)s)")
                % {"expected": ", ".join(c.name for c in columns), "found": _found(table.header)}
            )
        missing = [c.name for c in columns if c.required and c.name not in mapping]
        if missing:
            raise Refused(
                _("missing required column(s): %(missing)s (found: %(found)s)")
                % {"missing": ", ".join(missing), "found": _found(table.header)}
            )
        return mapping, unknown

    @staticmethod
    def _details(facts: FileFacts, table: Table, unknown: list[str]) -> dict[str, Any]:
        details: dict[str, Any] = {"header_line": table.header_line, "unknown_columns": unknown}
        if facts.encoding:
            details["encoding"] = facts.encoding
            details["delimiter"] = getattr(table, "delimiter", None)
        return details

    def _process(self, lines: Iterator[tuple[int, Any]], table: Table, mapping: dict[str, int]) -> None:
        importer = self.importer_class(user=self.user, change_reason=self._change_reason(), run=self.run)
        self.importer = importer
        batch_size = self.importer_class.batch_size
        # Strict: all or nothing, one transaction (on SQLite, other writers wait for the whole file). A dry
        # run does not need one: each batch is written and rolled back in its own transaction.
        with transaction.atomic() if self.strict else contextlib.nullcontext():
            importer.prepare()
            batch: list[Row] = []
            batch_rejects: list[Row] = []
            for row in self._rows(lines, table, mapping, importer):
                if row.errors:
                    batch_rejects.append(row)
                else:
                    batch.append(row)
                if batch_size is not None and len(batch) + len(batch_rejects) >= batch_size:
                    self._flush(batch, batch_rejects)
                    batch, batch_rejects = [], []
            self._flush(batch, batch_rejects)
            if not (self.strict and self.run.rejected):
                with transaction.atomic():  # a savepoint in a strict import, its own transaction otherwise
                    importer.finish()
                    if self.dry_run and not self.strict:
                        transaction.set_rollback(True)
            if self.strict and (self.dry_run or self.run.rejected):
                transaction.set_rollback(True)
            elif self.strict:
                self.run.last_line_committed = self.last_line or None
                self.run.batches_committed = 1 if self.last_line else 0  # the whole file, one transaction

    def _rows(
        self, lines: Iterator[tuple[int, Any]], table: Table, mapping: dict[str, int], importer: Importer
    ) -> Iterator[Row]:
        """Parse every line of `lines` (the table's); the hot loop of an import (100,000 lines in about a
        second), kept flat."""
        columns = {c.name: c for c in self.importer_class.columns}
        labels: dict[str, str] = {}
        plan = []
        for name, index in mapping.items():
            column = columns[name]
            header = table.header[index]
            labels[name] = name if fold(header) == fold(name) else f'{name} ("{header}")'
            cache: dict[Any, Any] | None = {} if column.parser.cacheable else None
            # Plain text is checked inline (a call per cell is half the cost of a wide file).
            text_max = (column.parser.max_length or sys.maxsize) if type(column.parser) is Text else None
            plan.append((name, index, column.parser, column.empty, column.required, cache, text_max))
        run = self.run
        natural_key = self.importer_class.natural_key
        single_key = natural_key[0] if len(natural_key) == 1 else None
        key_of = operator.itemgetter(*natural_key)
        seen = self.seen
        refuse_duplicates = self.importer_class.duplicate_key_refuses_file
        blank_before_header = table.blank_before_header
        read = 0
        required_message = _("a value is required")
        too_long = _("is longer than %(max)d characters")
        for line, raw in lines:
            read += 1
            run.rows_read = read
            run.blank_lines = blank_before_header + table.blank_lines  # the table counts them as it passes them
            self.last_line = line
            size = len(raw)
            row = Row(line, raw, labels)
            errors: list[str] | None = None
            for name, index, parser, empty, required, cache, text_max in plan:
                value = raw[index] if index < size else None
                if type(value) is str:
                    value = value.strip()
                    if not value:
                        value = None
                    elif text_max is not None:
                        if len(value) > text_max:
                            row[name] = None
                            errors = errors or []
                            errors.append(f"{labels[name]}: '{excerpt(value)}' {too_long % {'max': text_max}}")
                        else:
                            row[name] = value
                        continue
                if value is None:
                    if required:
                        row[name] = None
                        errors = errors or []
                        errors.append(f"{labels[name]}: {required_message}")
                    else:
                        row[name] = empty
                    continue
                if cache is not None:
                    result = cache.get(value, _MISS)
                    if result is _MISS:
                        try:
                            result = parser(value)
                        except InvalidValue as exc:
                            result = exc
                        if len(cache) >= _CACHE_LIMIT:
                            cache.clear()
                        cache[value] = result
                    if type(result) is InvalidValue:
                        row[name] = None
                        errors = errors or []
                        errors.append(f"{labels[name]}: '{excerpt(to_text(value))}' {result}")
                    else:
                        row[name] = result
                else:
                    try:
                        row[name] = parser(value)
                    except InvalidValue as exc:
                        row[name] = None
                        errors = errors or []
                        errors.append(f"{labels[name]}: '{excerpt(to_text(value))}' {exc}")
            row.errors = errors
            try:
                built = importer.build(row)
            except RowError as exc:
                row.error(None, str(exc))
                built = None
            except RowSkipped as skipped:
                importer.note(skipped.note)
                continue
            if built is not None:
                key = (built.get(single_key),) if single_key else key_of(built)
                if None not in key:
                    first = seen.get(key)
                    if first is None:
                        seen[key] = line
                    elif refuse_duplicates:
                        raise Refused(
                            _("%(key)s appears twice in the file, on lines %(first)d and %(line)d")
                            % {"key": importer.describe_key(key), "first": first, "line": line}
                        )
                    else:
                        row.error(
                            None,
                            _("duplicate %(key)s already on line %(line)d")
                            % {"key": importer.describe_key(key), "line": first},
                        )
                    row.key = key
                row.built = built
            yield row
        run.rows_read = read
        run.blank_lines = blank_before_header + table.blank_lines

    # -- one batch ----------------------------------------------------------------------------------
    def _flush(self, rows: list[Row], rejected: list[Row]) -> None:
        """Write one batch. Outside strict and dry runs, the run's progress is saved in the batch's own
        transaction: a process killed at any moment leaves the batch and its progress both, or neither.
        A dry run's batch is rolled back (within a strict import, it is a savepoint)."""
        if not rows and not rejected:
            return
        run = self.run
        commit = not (self.strict or self.dry_run)
        before = (run.created, run.updated, run.unchanged, run.rejected, run.last_line_committed, run.batches_committed)
        self.writing = min(row.line for row in (*rows, *rejected)), self.last_line
        if not self.strict:
            self.gap.before_taking()
        try:
            with transaction.atomic():
                if rows:
                    for group in self.importer.stages(rows):
                        self._write_group(group)
                    for lookup in self.importer.lookups:
                        lookup.forget_pending()
                    for row in rows:
                        if not row.done and not row.errors:  # a `stages` that forgot a row must not lose it
                            row.error(None, _("internal error: the row was not written"))
                    rejected = rejected + [row for row in rows if row.errors]
                if rejected:
                    rejected.sort(key=lambda r: r.line)
                    assert self.rejects is not None
                    for row in rejected:
                        self.rejects.add(row.line, "; ".join(row.errors or ()), row.raw)
                    run.rejected = self.rejects.count
                if commit:
                    run.last_line_committed = self.last_line
                    run.batches_committed += 1
                    self._save_progress()
                if self.dry_run:
                    transaction.set_rollback(True)
        except BaseException:
            # The batch was rolled back: the counts go back to what the database holds.
            (run.created, run.updated, run.unchanged, run.rejected, run.last_line_committed, run.batches_committed) = (
                before
            )
            raise
        self.writing = None
        if self.dry_run:
            for lookup in self.importer.lookups:
                lookup.forget_created()  # rolled back: the next batch that needs them creates them again
            if not self.strict:
                self._save_progress()  # what the dry run found so far (nothing was written: no line committed)
        self.gap.released()

    def _write_group(self, rows: list[Row]) -> None:
        rows = [row for row in rows if not row.errors]
        for row in rows:
            row.done = True
        if not rows:
            return
        date = timezone.now()
        self._resolve_pending(rows, date)
        try:
            with transaction.atomic():
                counts = self._upsert(rows, date)
        except ROW_ERRORS:
            # A constraint the parsers did not foresee: find the guilty rows one by one (savepoints),
            # so the good rows of the batch are still written. Any other error goes up: it is not a
            # row's fault, and blaming every row for it would report a failure as rows rejected.
            counts = [0, 0, 0]
            for row in rows:
                try:
                    with transaction.atomic():
                        one = self._upsert([row], date)
                except ROW_ERRORS as exc:
                    row.error(None, _("refused by the database: %s") % str(exc).strip().splitlines()[0])
                    continue
                counts = [a + b for a, b in zip(counts, one, strict=True)]
        self.run.created += counts[0]
        self.run.updated += counts[1]
        self.run.unchanged += counts[2]

    def _resolve_pending(self, rows: list[Row], date: Any) -> None:
        creating = [lookup for lookup in self.importer.lookups if lookup.has_pending]
        if not creating:
            return
        waiting: list[tuple[dict[str, Any], str, Pending]] = []
        for row in rows:
            assert row.built is not None
            for name, value in row.built.items():
                if type(value) is Pending:
                    waiting.append((row.built, name, value))
        if not waiting:
            return
        for lookup in creating:
            lookup.create(
                {p.value for _b, _n, p in waiting if p.lookup is lookup},
                user=self.user,
                reason=self.importer.change_reason,
                date=date,
            )
        for built, name, pending in waiting:
            built[name] = pending.lookup.get(pending.value)

    def _upsert(self, rows: list[Row], date: Any) -> list[int]:
        importer, model = self.importer, self.importer_class.model
        existing = importer.fetch_existing([row.key for row in rows])  # type: ignore[misc]  # valid rows: keyed
        to_create: list[models.Model] = []
        to_update: list[models.Model] = []
        changed_fields: set[str] = set()
        created_rows: list[Row] = []
        updated: list[tuple[Row, dict[str, Any]]] = []
        unchanged: list[Row] = []
        not_compared = importer.not_compared
        for row in rows:
            built = row.built
            assert built is not None
            old = existing.get(row.key)  # type: ignore[arg-type]  # a valid row has its key
            if old is None:
                to_create.append(model(**{**importer.create_defaults, **built}))
                created_rows.append(row)
                continue
            changed = [name for name, value in built.items() if old[name] != value and name not in not_compared]
            if changed:
                changed_fields.update(changed)
                changed_fields.update(name for name in not_compared if name in built)
                to_update.append(model(**{**old, **built}))
                updated.append((row, old))
            else:
                unchanged.append(row)
        reason, user = importer.change_reason, self.user
        created: list[models.Model] = []
        if to_create:
            created = create_with_history(to_create, model, user=user, reason=reason, date=date)
        if to_update:
            bulk_update_with_history(
                to_update,
                model,
                sorted(changed_fields),
                default_user=user,
                default_change_reason=reason,
                default_date=date,
            )
        importer.after_write(
            created=list(zip(created_rows, created, strict=True)), updated=updated, unchanged=unchanged
        )
        return [len(to_create), len(to_update), len(unchanged)]

    # -- the run record -----------------------------------------------------------------------------
    def _change_reason(self) -> str:
        # simple-history keeps 100 characters of a change reason.
        prefix = f"import {self.importer_class.kind} run {self.run.pk}: "
        return prefix + self.file_name[: 100 - len(prefix)]

    def _save_started(self) -> None:
        """The file's checksum, size and details, saved as soon as the header is read, so that a run
        that never finishes still names its file."""
        run = self.run
        if not self.dry_run:
            # The last real run of this file, if it was interrupted: this one completes it.
            previous_runs = ImportRun.objects.filter(kind=run.kind, sha256=run.sha256, dry_run=False, pk__lt=run.pk)
            if self.importer_class.runs_visible_to_runner_only:  # another person's run is not named to them
                previous_runs = previous_runs.filter(user=run.user)
            previous = previous_runs.exclude(status=ImportRun.Status.REFUSED).order_by("-pk").first()
            if previous is not None and previous.status in (ImportRun.Status.INTERRUPTED, ImportRun.Status.FAILED):
                run.details["completes_run"] = previous.pk
        run.heartbeat_at = timezone.now()
        ImportRun.objects.filter(pk=run.pk).update(
            sha256=run.sha256, size=run.size, details=run.details, heartbeat_at=run.heartbeat_at
        )

    def _save_progress(self) -> None:
        run = self.run
        run.heartbeat_at = timezone.now()
        ImportRun.objects.filter(pk=run.pk).update(
            rows_read=run.rows_read,
            created=run.created,
            updated=run.updated,
            unchanged=run.unchanged,
            rejected=run.rejected,
            blank_lines=run.blank_lines,
            last_line_committed=run.last_line_committed,
            batches_committed=run.batches_committed,
            heartbeat_at=run.heartbeat_at,
        )

    def _interrupted(self) -> None:
        """The process is stopping in the middle of the import (an exception that is not an error): the
        record says what the database holds, from its own saved progress."""
        logger.warning("import run %s interrupted", self.run.pk)
        try:
            run = ImportRun.objects.get(pk=self.run.pk)
            changes = {
                "status": ImportRun.Status.INTERRUPTED,
                "finished_at": timezone.now(),
                "message": run.interrupted_message(),
            }
            if self.dry_run or self.strict:
                changes["last_line_committed"] = None
            ImportRun.objects.filter(pk=run.pk, status=ImportRun.Status.RUNNING).update(**changes)
        except DatabaseError:  # the connection went with the process; the next import marks the run
            logger.exception("could not mark import run %s interrupted", self.run.pk)

    def _refused(self, message: str) -> ImportReport:
        run = self.run
        if not run.sha256 and self.path.is_file() and run.size <= settings.VIGIE_IMPORT_MAX_BYTES:
            run.sha256 = file_sha256(self.path)
        run.status = ImportRun.Status.REFUSED
        run.message = message
        run.finished_at = timezone.now()
        run.save()
        return ImportReport(run=run)

    def _stopped(self, message: str) -> ImportReport:
        """The file could not be read to its end (`message` names the line). Nothing committed: refused, as a
        file that is not a table. Batches committed (they stay, as after an interruption): failed, saying so."""
        run = self.run
        if self.dry_run or self.strict or not run.batches_committed:
            run.created = run.updated = run.unchanged = run.rejected = 0
            run.last_line_committed = None
            run.batches_committed = 0
            if self.rejects is not None:
                self.rejects.count = 0
                self.rejects.preview.clear()
            return self._refused(message)
        run.status = ImportRun.Status.FAILED
        run.message = _(
            "%(problem)s; the rows up to line %(line)d were imported: correct the file and import it "
            "again to complete it"
        ) % {"problem": message, "line": run.last_line_committed}
        run.finished_at = timezone.now()
        run.save()
        return ImportReport(run=run)

    def _failed(self, exc: Exception) -> None:
        logger.exception("import run %s failed", self.run.pk)
        run = self.run
        run.status = ImportRun.Status.FAILED
        run.finished_at = timezone.now()
        if self.dry_run or self.strict:
            run.last_line_committed = None
        if isinstance(exc, DatabaseError):
            run.details = {**run.details, "stopped_by": "database"}
            run.message = self._database_failure(exc)
        else:
            run.message = f"{type(exc).__name__}: {exc}"[:2000]
        run.save()

    def _database_failure(self, exc: DatabaseError) -> str:
        """What stopped the run and what the database holds: "database error while writing lines 4002 to
        6001: database is locked (...); stopped after line 4001 (batch 2); re-run the same file to complete
        it". Only the error's first line: a database's detail may quote a row's values."""
        error = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        if is_busy(exc):
            seconds = busy_wait_seconds()
            error += " " + (
                _("(other changes kept the database busy for more than %(seconds)d s)") % {"seconds": seconds}
                if seconds
                else _("(other changes kept the database busy for too long)")
            )
        if self.writing is not None:
            first, last = self.writing
            what = _("database error while writing lines %(first)d to %(last)d: %(error)s") % {
                "first": first,
                "last": last,
                "error": error,
            }
        else:
            what = _("database error: %(error)s") % {"error": error}
        return f"{what}; {self.run.interrupted_message()}"[:2000]

    def _finish(self) -> ImportReport:
        run = self.run
        Status = ImportRun.Status
        if self.strict and run.rejected and not self.dry_run:
            run.status = Status.ROLLED_BACK
            run.message = ngettext(
                "strict mode: %(count)d row rejected, nothing was written",
                "strict mode: %(count)d rows rejected, nothing was written",
                run.rejected,
            ) % {"count": run.rejected}
            run.last_line_committed = None
        else:
            run.status = Status.COMPLETED_WITH_REJECTS if run.rejected else Status.COMPLETED
        created_related = {lookup.label: lookup.created for lookup in self.importer.lookups if lookup.created}
        if created_related:
            run.details["created_related"] = created_related
        if notes := {label: count for label, count in self.importer.notes.items() if count}:
            run.details["notes"] = notes
        run.finished_at = timezone.now()
        rejects_path = None
        assert self.rejects is not None
        if run.rejected:
            content = self.rejects.finish()
            run.rejects_file.save(f"{Path(self.file_name).stem}.rejects.csv", content, save=False)
            if self.rejects_path is not None:
                rejects_path = self._copy_rejects(run)
        elif self.rejects_path is not None and self.rejects_path.exists():
            # A rejects file left by an earlier run of this file would now describe nothing.
            self.rejects_path.unlink()
        run.save()
        return ImportReport(run=run, rejects=self.rejects.preview, rejects_path=rejects_path)

    def _copy_rejects(self, run: ImportRun) -> Path | None:
        assert self.rejects_path is not None
        # Written under a temporary name, then renamed: never a half-written rejects file beside the input.
        partial = self.rejects_path.with_name(f".{self.rejects_path.name}.part")
        try:
            with run.rejects_file.open("rb") as source, partial.open("wb") as target:
                if self.rejects_dialect == FRENCH:  # as stored
                    shutil.copyfileobj(source, target)
                else:
                    target.writelines(line.encode("utf-8") for line in csv_redialect(source, self.rejects_dialect))
            partial.replace(self.rejects_path)
        except (OSError, csv.Error) as exc:
            with contextlib.suppress(OSError):
                partial.unlink(missing_ok=True)
            problem = _("could not write %(path)s (%(error)s): the rejected rows are stored with the run") % {
                "path": self.rejects_path,
                "error": getattr(exc, "strerror", None) or str(exc),
            }
            run.message = f"{run.message} {problem}".strip()
            return None
        return self.rejects_path


def _with_data(table: Table) -> Iterator[tuple[int, Any]]:
    """`table.rows()`, refused when no data row follows the header (a header alone, blank lines): there is
    nothing to import, which must not read as a successful import."""
    lines = table.rows()
    for first in lines:
        return itertools.chain([first], lines)
    raise Refused(_("nothing to import: the file has a header line and no data row"))


def rejects_path_for(path: Path) -> Path:
    """`<name>.rejects.csv` beside the input (`roster.xlsx` → `roster.rejects.csv`)."""
    return path.with_name(f"{path.stem}.rejects.csv")


def run_import(
    importer: str | type[Importer],
    path: str | Path,
    *,
    user: Any = None,
    dry_run: bool = False,
    strict: bool = False,
    file_name: str | None = None,
    rejects_path: Path | None = None,
    rejects_dialect: CsvDialect = FRENCH,
) -> ImportReport:
    """Import one file; never raises for a bad file or bad rows (see the report), only for bugs.

    `user` is the person importing (the system user when None); `file_name` is the name to record
    (an upload's original name); `rejects_path`, when given, receives a copy of the rejects CSV, in
    `rejects_dialect` (the run keeps its own in the French one).
    """
    importer_class = get_importer(importer) if isinstance(importer, str) else importer
    return _Run(
        importer_class,
        Path(path),
        user=user or get_system_user(),
        dry_run=dry_run,
        strict=strict,
        file_name=file_name or Path(path).name,
        rejects_path=rejects_path,
        rejects_dialect=rejects_dialect,
    ).execute()
