"""Screening runs: the database side of asset-freeze screening, on top of the pure engine `aml.matching`.

`run_screening` has three shapes (docs/rules.md, "Asset-freeze screening"):

- **full** (nightly, `screen_counterparties`): every active counterparty against every listed entry of the
  lists (all active lists by default). The entries' names and aliases are indexed once in memory; the
  counterparties are read in chunks. A full run moves `Counterparty.screened_at` (when it covered every active
  list) and each screened list's `covered_at`.
- **changed entries** (`entry_ids`, after a list import): only those entries, against the counterparties that
  share a blocking key with one of their names, found through the `CounterpartyKey` rows (an index lookup, not
  100,000 names read): a re-run after one entry changed takes well under a second.
- **given counterparties** (`counterparty_ids`, after an import of counterparties): those against every listed
  entry.

Hits are written in bulk with their history rows. Idempotence: a pair that already has a hit for the same
version of the entry (`entry_hash`), whatever its status, is not raised again ("a reviewed pair stays quiet");
a pending hit on an older version of the entry is brought up to date; otherwise a new pending hit is raised,
due for review VIGIE_AML_HIT_REVIEW_DAYS after its day (Paris). The writes hold a lock on the screened lists'
rows, so two runs never raise the same pair twice.

Bookkeeping markers (`screened_at`, `covered_at`) are written with `QuerySet.update`, without history: they
are the runs' log (kept in ScreeningRun), moved on 100,000 rows a night. A run stores the moment its data was
read (`started_at`) as those markers: a counterparty or list changed while the run was scoring is not counted
as covered.

Nothing here logs a name: ids and counts only (no tipping off through the logs).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from . import matching
from .choices import BirthSignal, HitStatus, RunStatus
from .fingerprints import counterparty_keys
from .models import Counterparty, CounterpartyKey, Hit, ListEntry, ScreeningList, ScreeningRun

logger = logging.getLogger(__name__)

__all__ = ["coverage", "entry_names", "matching_entries", "run_screening", "write_counterparty_keys"]

#: Counterparties read per query.
CHUNK = 5_000
#: Ids per `IN (...)` (SQLite allows 32,766 parameters per statement).
IDS_PER_QUERY = 2_000
#: Processes that score (the machine has 2 cores); below MIN_PARALLEL counterparties, one is faster than a fork.
WORKERS = 2
MIN_PARALLEL = 5_000
#: Hits written per statement.
BATCH = 1_000


# --- what the engine reads ----------------------------------------------------------------------------------


def entry_names(entry: ListEntry) -> tuple[str, ...]:
    """The listed name first, then its aliases (each is matched separately)."""
    return (entry.name, *entry.alias_list())


def _births(birth_dates: str) -> list[matching.BirthDate | None]:
    """The entry's listed birth dates; an unreadable one is left out (the importer rejects them)."""
    births: list[matching.BirthDate | None] = []
    for value in birth_dates.split("|"):
        try:
            birth = matching.parse_birth(value.strip())
        except ValueError:
            continue
        if birth is not None and birth not in births:
            births.append(birth)
    return births or [None]


def matching_entries(entries: Iterable[Any]) -> list[matching.ListEntry]:
    """The engine's entries for rows with `pk`, `kind`, `name`, `aliases` and `birth_dates`. An entry listed
    with several birth dates is given once per date (same id, same names): the pair is excluded only when every
    date excludes it, and the best-scoring date is kept (`_best_per_pair`)."""
    result = []
    for entry in entries:
        names = tuple(name for name in (entry.name, *entry.aliases.splitlines()) if name.strip())
        for birth in _births(entry.birth_dates):
            result.append(matching.ListEntry(entry.pk, names, birth, entry.kind))
    return result


def write_counterparty_keys(counterparties: Iterable[Counterparty]) -> None:
    """Rewrite the CounterpartyKey rows of these counterparties (their names' blocking keys), a few thousand
    counterparties at a time. The importer of counterparties writes them as it saves; tests, the demo and the
    benchmark call this."""
    batch: list[Counterparty] = []
    for counterparty in counterparties:
        batch.append(counterparty)
        if len(batch) == IDS_PER_QUERY:
            _write_keys(batch)
            batch = []
    if batch:
        _write_keys(batch)


def _write_keys(counterparties: list[Counterparty]) -> None:
    CounterpartyKey.objects.filter(counterparty_id__in=[counterparty.pk for counterparty in counterparties]).delete()
    CounterpartyKey.objects.bulk_create(
        [
            CounterpartyKey(counterparty_id=counterparty.pk, key=key)
            for counterparty in counterparties
            for key in sorted(counterparty_keys(counterparty.name))
        ],
        batch_size=5_000,
    )


class _Row:
    """A counterparty as read for screening (values_list rows, without model instances)."""

    __slots__ = ("birth_date", "kind", "name", "pk")

    def __init__(self, pk: int, kind: str, name: str, birth_date: dt.date | None) -> None:
        self.pk, self.kind, self.name, self.birth_date = pk, kind, name, birth_date


_FIELDS = ("pk", "kind", "name", "birth_date")


def _rows(queryset: Any) -> Iterator[_Row]:
    for values in queryset.order_by().values_list(*_FIELDS).iterator(chunk_size=CHUNK):
        yield _Row(*values)


def _workers(count: int) -> int:
    """Processes for the scoring: one for a small run, or inside a daemonic process (a Celery prefork worker
    is one: `multiprocessing` refuses it children, "daemonic processes are not allowed to have children")."""
    import multiprocessing

    if count < MIN_PARALLEL or multiprocessing.current_process().daemon:
        return 1
    return WORKERS


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), IDS_PER_QUERY):
        yield ids[start : start + IDS_PER_QUERY]


# --- the run ------------------------------------------------------------------------------------------------


def run_screening(
    *,
    trigger: str,
    lists: Iterable[str] | None = None,
    counterparty_ids: Iterable[int] | None = None,
    entry_ids: Iterable[int] | None = None,
    actor: Any = None,
) -> ScreeningRun:
    """Screen and record the hits (see the module's docstring); returns the run with its counts.

    `lists`: list codes (None: every active list); `counterparty_ids`: only these counterparties;
    `entry_ids`: only these entries. A run that fails is saved as failed with its message, and the error is
    raised again (the hits of a failed run are not written: one transaction)."""
    started = time.perf_counter()
    codes = sorted(set(lists)) if lists is not None else None
    run = ScreeningRun.objects.create(
        started_at=timezone.now(),
        trigger=trigger,
        lists=",".join(codes or [])[:200],
        threshold=settings.VIGIE_AML_SCREENING_THRESHOLD,
    )
    try:
        _run(
            run,
            codes,
            None if counterparty_ids is None else sorted(set(counterparty_ids)),
            None if entry_ids is None else sorted(set(entry_ids)),
            actor,
        )
    except Exception as error:
        run.status = RunStatus.FAILED
        run.message = f"{type(error).__name__}: {error}"[:2000]
        run.finished_at = timezone.now()
        run.duration_ms = int((time.perf_counter() - started) * 1000)
        run.save()
        logger.exception("screening run %s failed", run.pk)
        raise
    run.status = RunStatus.DONE
    run.finished_at = timezone.now()
    run.duration_ms = int((time.perf_counter() - started) * 1000)
    run.save()
    # Ops read the logs: at INFO the run's id only (its counts are in the sealed run record), the counts at DEBUG.
    logger.info("screening run %s (%s) done in %s ms", run.pk, trigger, run.duration_ms)
    logger.debug(
        "screening run %s (%s): %s counterparties, %s entries, %s hits raised in %s ms (%s)",
        run.pk,
        trigger,
        run.counterparties_screened,
        run.entries_screened,
        run.hits_raised,
        run.duration_ms,
        run.message,
    )
    return run


def _run(
    run: ScreeningRun,
    codes: list[str] | None,
    counterparty_ids: list[int] | None,
    entry_ids: list[int] | None,
    actor: Any,
) -> None:
    clock = _Clock()
    screening_lists = ScreeningList.objects.filter(active=True)
    if codes is not None:
        screening_lists = screening_lists.filter(code__in=codes)
        unknown = set(codes) - set(ScreeningList.objects.filter(code__in=codes).values_list("code", flat=True))
        if unknown:
            raise ValueError(f"unknown screening list: {', '.join(sorted(unknown))}")
    list_pks = list(screening_lists.values_list("pk", flat=True))
    every_active_list = set(list_pks) == set(ScreeningList.objects.filter(active=True).values_list("pk", flat=True))

    entries = ListEntry.objects.listed().filter(screening_list_id__in=list_pks)
    if entry_ids is not None:
        entries = entries.filter(pk__in=entry_ids) if len(entry_ids) <= IDS_PER_QUERY else entries
    entry_rows = list(entries.only("pk", "kind", "name", "aliases", "birth_dates", "content_hash"))
    if entry_ids is not None and len(entry_ids) > IDS_PER_QUERY:
        wanted = set(entry_ids)
        entry_rows = [e for e in entry_rows if e.pk in wanted]
    hashes = {entry.pk: entry.content_hash for entry in entry_rows}
    clock.lap("entries read")
    index = matching.ScreeningIndex.build(matching_entries(entry_rows))
    clock.lap("index built")
    run.entries_screened = len(entry_rows)
    run.names_indexed = len(index.names)

    counterparties = Counterparty.objects.active()
    if counterparty_ids is not None:
        wanted_ids = counterparty_ids
    elif entry_ids is not None:
        # Only the counterparties sharing a blocking key with a name of the changed entries can match them.
        keys = sorted({key[:64] for _, _, norm in index.names for key in matching.blocking_keys(norm)})
        found: set[int] = set()
        for start in range(0, len(keys), IDS_PER_QUERY):
            found.update(
                CounterpartyKey.objects.filter(key__in=keys[start : start + IDS_PER_QUERY]).values_list(
                    "counterparty_id", flat=True
                )
            )
        wanted_ids = sorted(found)
    else:
        wanted_ids = None
    if wanted_ids is None:
        people = list(_rows(counterparties))
    else:
        people = [row for chunk in _chunks(wanted_ids) for row in _rows(counterparties.filter(pk__in=chunk))]
    run.counterparties_screened = len(people)
    clock.lap("counterparties read")

    births = {row.pk: row.birth_date for row in people}
    results = (
        matching.screen(
            (matching.Counterparty(row.pk, row.name, matching.parse_birth(row.birth_date), row.kind) for row in people),
            index,
            settings.VIGIE_AML_SCREENING_THRESHOLD,
            year_tolerance=settings.VIGIE_AML_BIRTH_YEAR_TOLERANCE,
            workers=_workers(len(people)),
        )
        if people and index.names
        else []
    )
    names = {row.pk: row.name for row in people}
    best = _best_per_pair(results)
    clock.lap("scored")
    with transaction.atomic():
        # Serialise the writers of these lists' hits (two runs would otherwise raise the same pair twice).
        list(ScreeningList.objects.select_for_update().filter(pk__in=list_pks).order_by("pk").values_list("pk"))
        dated = {entry.pk for entry in entry_rows if any(_births(entry.birth_dates))}
        _write_hits(run, best, hashes, names, births, dated, actor)
        full = counterparty_ids is None and entry_ids is None
        if full:
            ScreeningList.objects.filter(pk__in=list_pks).update(covered_at=run.started_at)
        if every_active_list and entry_ids is None:
            screened = Counterparty.objects.active().filter(changed_at__lte=run.started_at)
            if counterparty_ids is None:
                screened.update(screened_at=run.started_at)
            else:
                for chunk in _chunks([row.pk for row in people]):
                    screened.filter(pk__in=chunk).update(screened_at=run.started_at)
    clock.lap("written")
    run.covered_counterparties, run.active_counterparties = coverage()
    clock.lap("coverage counted")
    run.message = clock.summary()


class _Clock:
    """The time each phase of a run took, kept in the run's message (where a slow run spends its time)."""

    def __init__(self) -> None:
        self.last = time.perf_counter()
        self.laps: list[tuple[str, float]] = []

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps.append((name, now - self.last))
        self.last = now

    def summary(self) -> str:
        return "; ".join(f"{name} {seconds:.1f} s" for name, seconds in self.laps)


def _best_per_pair(results: Iterable[matching.Hit]) -> dict[tuple[int, int], matching.Hit]:
    """One result per (counterparty, entry): an entry with several birth dates is indexed once per date."""
    best: dict[tuple[int, int], matching.Hit] = {}
    for hit in results:
        pair = (int(hit.counterparty_id), int(hit.entry_id))  # type: ignore[call-overload]  # ids are ints here
        if pair not in best or hit.score > best[pair].score:
            best[pair] = hit
    return best


def _signal(hit: matching.Hit, both_dated: bool) -> str:
    if hit.birth_signal > 0:
        return BirthSignal.SUPPORTS
    # The engine says 0 for "one side unknown" and for "close enough": tell them apart for the reviewer.
    return BirthSignal.NEUTRAL if both_dated else BirthSignal.ABSENT


def _write_hits(
    run: ScreeningRun,
    best: dict[tuple[int, int], matching.Hit],
    hashes: dict[int, str],
    names: dict[int, str],
    births: dict[int, dt.date | None],
    dated: set[int],
    actor: Any,
) -> None:
    """`dated`: the entries listed with a birth date."""
    existing: dict[tuple[int, int], list[Hit]] = defaultdict(list)
    entry_pks = sorted({entry for _, entry in best})
    for chunk in _chunks(entry_pks):
        for hit in Hit.objects.filter(entry_id__in=chunk):
            if (hit.counterparty_id, hit.entry_id) in best:
                existing[(hit.counterparty_id, hit.entry_id)].append(hit)
    now = timezone.now()
    due = timezone.localdate(now) + dt.timedelta(days=settings.VIGIE_AML_HIT_REVIEW_DAYS)
    new: list[Hit] = []
    updated: list[Hit] = []
    reviewed = 0
    for (counterparty_pk, entry_pk), found in sorted(best.items()):
        entry_hash = hashes[entry_pk]
        known = existing.get((counterparty_pk, entry_pk), [])
        same_version = [hit for hit in known if hit.entry_hash == entry_hash]
        if same_version:
            reviewed += any(hit.status != HitStatus.PENDING for hit in same_version)
            continue
        values = {
            "entry_hash": entry_hash,
            "counterparty_name": names[counterparty_pk][:300],
            "matched_name": found.matched_name[:500],
            "score": min(100, int(found.score)),
            "birth_signal": _signal(found, births[counterparty_pk] is not None and entry_pk in dated),
            "run": run,
        }
        pending = [hit for hit in known if hit.status == HitStatus.PENDING]
        if pending:  # a pending hit on an older version of the entry: brought up to date, still due when it was
            hit = pending[0]
            for name, value in values.items():
                setattr(hit, name, value)
            updated.append(hit)
        else:
            new.append(
                Hit(
                    counterparty_id=counterparty_pk,
                    entry_id=entry_pk,
                    raised_at=now,
                    review_due_on=due,
                    status=HitStatus.PENDING,
                    **values,
                )
            )
    reason = f"screening run {run.pk}"
    if new:
        bulk_create_with_history(new, Hit, batch_size=BATCH, default_user=actor, default_change_reason=reason)
    if updated:
        bulk_update_with_history(
            updated,
            Hit,
            ["entry_hash", "counterparty_name", "matched_name", "score", "birth_signal", "run"],
            batch_size=BATCH,
            default_user=actor,
            default_change_reason=reason,
        )
    run.hits_raised = len(new) + len(updated)
    run.hits_already_reviewed = reviewed


# --- coverage -----------------------------------------------------------------------------------------------


def _covered_q(screening_list: ScreeningList) -> Q:
    """Counterparties whose current data was screened against this list's current version: screened against
    every active list since both changed, or in a full run of this list that started after both changed."""
    loaded_at = screening_list.loaded_at
    by_counterparty = Q(screened_at__isnull=False, screened_at__gte=F("changed_at"))
    if loaded_at is not None:
        by_counterparty &= Q(screened_at__gte=loaded_at)
    covered_at = screening_list.covered_at
    if covered_at is not None and (loaded_at is None or covered_at >= loaded_at):
        return by_counterparty | Q(changed_at__lte=covered_at)
    return by_counterparty


def coverage() -> tuple[int, int]:
    """(covered, active): active counterparties screened against the current version of every active list,
    and all active counterparties. Without any active list nothing is screened: (0, active)."""
    active = Counterparty.objects.active()
    lists = list(ScreeningList.objects.filter(active=True))
    total = active.count()
    if not lists:
        return 0, total
    condition = Q()
    for screening_list in lists:
        condition &= _covered_q(screening_list)
    return active.filter(condition).count(), total
