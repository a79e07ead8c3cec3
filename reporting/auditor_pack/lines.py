"""The lines of an indicator's records files: its records' heads (rows.py), in the order of its record sets
then by id, each followed by the extra columns its computation adds (reporting/records.py, RecordsExtra).
"""

from __future__ import annotations

import array
import csv
import itertools
import operator
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from core.spreadsheets import FRENCH, CsvDialect, csv_field

from ..records import COLUMNS, ExtraRows, RecordsExtra
from .cells import ExtraColumns, cells_of, write_column
from .rows import Plan, record_model

if TYPE_CHECKING:
    from .shared import Shared


@dataclass
class RecordRows:
    """What reading one indicator's records found: the records since deleted."""

    headers: list[str]
    missing: list[tuple[str, int]] = field(default_factory=list)


def headers_of(records: list[dict], extra: RecordsExtra | None) -> list[str]:
    headers = ["model", "id"]
    for record_set in records:
        record_model(record_set["model"])
        for header, _accessor in COLUMNS[record_set["model"]]:
            if header not in headers:
                headers.append(header)
    if extra is not None and any(r["model"] == extra.model for r in records):
        headers.extend(h for h in extra.headers if h not in headers)
    return headers


def base_headers(headers: list[str], extra: RecordsExtra | None) -> tuple[str, ...]:
    """The headers of the records' own columns (the extra columns come last)."""
    extra_headers = set(extra.headers) if extra is not None else set()
    return tuple(h for h in headers if h not in extra_headers)


def sorted_ids(ids: Iterable[Any]) -> Sequence[int]:
    """The ids of a record set, sorted, each once (those of `compact` records already are)."""
    if isinstance(ids, array.array):
        return ids
    return sorted({int(i) for i in ids})


def record_lines(
    records: list[dict],
    year: int,
    extra: RecordsExtra | None,
    headers: list[str],
    result: RecordRows,
    shared: Shared | None = None,
    dialect: CsvDialect = FRENCH,
) -> Iterator[tuple[str, list[int], list[str]]]:
    """The CSV lines of the records, a batch at a time: (model, ids, one line per id), by model (in the order
    of `records`) then id. A model's records are read in one query, or taken from `shared.heads(model, base
    headers)` when it has them. Records since deleted give a line with only their model and id, and are
    listed in `result.missing`."""
    base = base_headers(headers, extra)
    sep, line_end, any_cell = dialect.delimiter, dialect.line_end, cells_of(dialect).any_cell
    extra_rows: ExtraRows | None = None
    for record_set in records:
        label = record_set["model"]
        plan = Plan.of(label, dialect)
        ids = sorted_ids(record_set["ids"])
        if not ids:
            continue
        # The rows of the extra columns and the format of the line ends, when this model's lines get them.
        with_extra: tuple[ExtraRows, Callable[..., str]] | None = None
        if extra is not None and label == extra.model:
            if extra_rows is None:
                extra_rows = shared.prepare(extra, year) if shared is not None else extra.prepare(year)
            if extra.headers:
                with_extra = extra_rows, (f"{sep}{{}}" * len(extra.headers) + line_end).format
        gone = f"{csv_field(label, dialect)}{sep}{{}}{sep * (len(headers) - 2)}{line_end}".format
        read = shared.heads(label, base) if shared is not None else None
        batches = plan.heads(base, ids) if read is None else read.select(None if len(ids) == read.count else set(ids))
        for pks, heads in batches:
            if with_extra is not None:
                rows_of, ends = with_extra
                if isinstance(rows_of, ExtraColumns):
                    fields = rows_of.fields(pks, dialect)
                else:
                    more = rows_of(pks)
                    fields = [
                        write_column(any_cell, column, True) for column in zip(*map(more.__getitem__, pks), strict=True)
                    ]
                line_ends: Iterable[str] = itertools.starmap(ends, zip(*fields, strict=True))
            else:
                line_ends = itertools.repeat(line_end)
            if None in heads:
                lines = []
                for pk, head, end in zip(pks, heads, line_ends, strict=False):
                    if head is None:
                        result.missing.append((label, pk))
                        lines.append(gone(pk))
                    else:
                        lines.append(head + end)
            else:
                lines = list(map(operator.add, heads, line_ends))
            yield label, pks, lines


def iter_rows(
    records: list[dict], year: int, extra: RecordsExtra | None, result: RecordRows, dialect: CsvDialect = FRENCH
) -> Iterator[dict[str, str]]:
    """One dict per record (header → field, as a CSV reader reads the records file), in `record_lines`'s
    order."""
    headers = headers_of(records, extra)
    for _label, _pks, lines in record_lines(records, year, extra, headers, result, dialect=dialect):
        for values in csv.reader(lines, delimiter=dialect.delimiter):
            yield dict(zip(headers, values, strict=True))
