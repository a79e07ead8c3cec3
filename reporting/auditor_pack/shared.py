"""What several indicators' records share, read once for the whole pack: the same records written alike
(most training figures stand on the employees present at 31/12), and extra columns that one read prepares
for several indicators (reporting/records.py, `RecordsExtra.batch`).
"""

from __future__ import annotations

import array
import heapq
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, cast

from core.spreadsheets import FRENCH, CsvDialect

from ..records import ExtraRows, RecordsExtra
from .lines import base_headers, headers_of
from .rows import Plan

if TYPE_CHECKING:
    from .sources import Source


class Heads:
    """The heads of the records of one model that several indicators write alike (the same columns at the
    same places), read once: most training indicators stand on the employees present at 31/12, several on
    the year's completions. Kept compact: one text per batch and the offsets of its heads."""

    def __init__(self, plan: Plan, base_headers: tuple[str, ...], ids: Sequence[int]) -> None:
        self.batches: list[tuple[array.array, str, array.array]] = []
        self.missing: set[int] = set()
        self.count = len(ids)
        for pks, heads in plan.heads(base_headers, ids):
            if None in heads:
                self.missing.update(pk for pk, head in zip(pks, heads, strict=True) if head is None)
                heads = ["" if head is None else head for head in heads]
            texts = cast("list[str]", heads)  # no None left
            ends = array.array("q", itertools.accumulate(map(len, texts)))
            self.batches.append((array.array("q", pks), "".join(texts), ends))

    def select(self, ids: set[int] | None) -> Iterator[tuple[list[int], list[str | None]]]:
        """(pks, heads) of `ids` (None: all), a batch at a time, in pk order."""
        for pks, text, ends in self.batches:
            starts = array.array("q", [0]) + ends[:-1]
            chosen_starts: Iterable[int]
            chosen_ends: Iterable[int]
            if ids is None:
                chosen, chosen_starts, chosen_ends = pks.tolist(), starts, ends
            else:
                kept = list(map(ids.__contains__, pks))
                chosen = list(itertools.compress(pks, kept))
                chosen_starts, chosen_ends = itertools.compress(starts, kept), itertools.compress(ends, kept)
            if not chosen:
                continue
            heads: list[str | None] = list(map(text.__getitem__, map(slice, chosen_starts, chosen_ends)))
            if self.missing:
                heads = [None if pk in self.missing else head for pk, head in zip(chosen, heads, strict=True)]
            yield chosen, heads


def union(id_sets: list[Sequence[int]]) -> array.array:
    """The sorted union of sorted sets of ids, without a set (a set of hundreds of thousands of ints is
    tens of megabytes): dense ids (the usual) marked in a byte each, else merged."""
    low, high = min(ids[0] for ids in id_sets), max(ids[-1] for ids in id_sets)
    if high - low < 8 * sum(map(len, id_sets)):
        marks = bytearray(high - low + 1)
        for ids in id_sets:
            for pk in ids:
                marks[pk - low] = 1
        return array.array("q", itertools.compress(range(low, high + 1), marks))
    return array.array("q", (pk for pk, _same in itertools.groupby(heapq.merge(*id_sets))))


class Shared:
    """What several indicators' records share. The `Heads` of each (model, base headers) that several have:
    read when the first of them is written (the union of their ids), dropped when the last one is. The
    extra columns of batched extras, and those two indicators in a row use (E9: the trained and the rate)."""

    def __init__(self, sources: list[Source], extras: dict[str, RecordsExtra], dialect: CsvDialect = FRENCH) -> None:
        self.dialect = dialect
        self.record_sets: dict[tuple[str, tuple[str, ...]], list] = {}
        #: each batch function's keys among the pack's indicators: prepared together, at the first of them
        self.keys: dict[Callable, set] = {}
        for source in sources:
            extra = extras.get(source.code)
            base = base_headers(headers_of(source.records, extra), extra)
            for record_set in source.records:
                if len(record_set["ids"]):
                    self.record_sets.setdefault((record_set["model"], base), []).append(record_set["ids"])
            if extra is not None and extra.batch is not None:
                self.keys.setdefault(extra.batch, set()).add(extra.key)
        self.read: dict[tuple[str, tuple[str, ...]], Heads] = {}
        self.batched: dict[tuple[Callable, Any, int], Callable[[], ExtraRows]] = {}
        self.batched_year: dict[Callable, int] = {}
        self.prepared: tuple[Any, ExtraRows] | None = None

    def prepare(self, extra: RecordsExtra, year: int) -> ExtraRows:
        """The extra's rows; those of a batched extra (the same two indicators in a row may use) prepared with
        the others of its batch."""
        key = (extra.headers, extra.key, year)
        if extra.batch is not None and self.prepared is not None and self.prepared[0] == key:
            return self.prepared[1]
        self.prepared = None  # dropped before the next is read
        if extra.batch is not None:
            if (extra.batch, extra.key, year) not in self.batched:
                keys = self.keys.get(extra.batch, set()) if self.batched_year.get(extra.batch) != year else set()
                self.batched_year[extra.batch] = year
                self.batched.update(
                    ((extra.batch, k, year), rows) for k, rows in extra.batch(keys | {extra.key}, year).items()
                )
            rows = self.batched.pop((extra.batch, extra.key, year))()
        else:
            rows = extra.prepare(year)
        self.prepared = (key, rows)
        return rows

    def heads(self, label: str, base: tuple[str, ...]) -> Heads | None:
        key = (label, base)
        record_sets = self.record_sets.get(key, [])
        if len(record_sets) < 2 and key not in self.read:
            return None
        if key not in self.read:
            self.read[key] = Heads(Plan.of(label, self.dialect), base, union(record_sets))
            self.record_sets[key] = [None] * len(record_sets)  # the users left
        heads = self.read[key]
        self.record_sets[key].pop()
        if not self.record_sets[key]:
            del self.read[key]
        return heads
