"""Asset-freeze screening on the database (`aml.screening.run_screening`): the issue's benchmark.

Data: `bench.aml_screening.generate` (seed fixed): 20,000 list entries with about 22,000 aliases and
100,000 counterparties (smoke: 2,000 and 10,000), 1,400 planted variants of listed names (smoke: 140: typo,
order, accents, hyphen, initials, alias, alias reordered) and decoys (an entry's exact name, birth year 10+
years away). Loaded as the importers leave them (setup, not measured): one list, entries with their content
hash, counterparties with their normalised name, screening hash and blocking keys (CounterpartyKey rows),
all by `bulk_create` without history rows. A counterparty's birth given as a year only is stored without a
birth date (the model keeps full dates).

Measures:
(a) the full run: every active counterparty against every listed entry, hits written with their history rows;
(b) the same run again: nothing new raised (idempotence), the cost of a nightly run;
(c) after one entry changed (an alias added, as a list import leaves it): the changed-entry run that a list
    import queues (`screen_lists`: candidates through CounterpartyKey rows);
(d) the baseline: the exact normalised-name join (each entry name and alias normalised, then counterparties
    whose `name_normalised` equals one, through its index);
recall on the planted variants for (a) and (d), decoys raised, and the ratios.
Targets (PostgreSQL, --size full): (a) under 60 s, recall 100 %, no decoy; (c) under 5 s.

`python -m bench --only aml_screening_db [--size smoke|full]` (on PostgreSQL when DATABASE_URL is set).
"""

from __future__ import annotations

import os
import time
from collections import Counter
from typing import Any

from . import Context, verdict
from .aml_screening import VARIANTS, generate

FULL_TARGET_SECONDS = 60.0
CHANGE_TARGET_SECONDS = 5.0


def _birth_dates(birth: Any) -> str:
    if birth is None:
        return ""
    return birth.day.isoformat() if birth.day else str(birth.year)


def load(size: str) -> tuple[dict[str, int], dict[str, int], dict[int, tuple[int, str]], set[tuple[int, int]]]:
    """The generated data in the database: (entry pk by generated id, counterparty pk by generated id,
    planted {counterparty pk: (entry pk, variant)}, decoy pairs)."""
    from django.utils import timezone

    from aml.fingerprints import counterparty_hash, entry_hash
    from aml.matching import normalise
    from aml.models import Counterparty, ListEntry, ScreeningList
    from aml.screening import write_counterparty_keys

    entries, counterparties, planted, decoys = generate(size)
    now = timezone.now()
    screening_list = ScreeningList.objects.create(code="BENCH", name="Benchmark list", loaded_at=now, version=1)
    rows = []
    for entry in entries:
        name, aliases = entry.names[0], entry.names[1:]
        births = _birth_dates(entry.birth)
        rows.append(
            ListEntry(
                screening_list=screening_list,
                list_id=str(entry.id),
                kind=entry.kind or "person",
                name=name,
                aliases="\n".join(aliases),
                birth_dates=births,
                content_hash=entry_hash(entry.kind or "person", name, aliases, births),
                changed_at=now,
            )
        )
    ListEntry.objects.bulk_create(rows, batch_size=5_000)
    entry_pks = dict(ListEntry.objects.values_list("list_id", "pk"))
    people = []
    for counterparty in counterparties:
        kind = counterparty.kind or "person"
        birth = counterparty.birth.day if counterparty.birth and kind == "person" else None
        people.append(
            Counterparty(
                reference=str(counterparty.id),
                kind=kind,
                name=counterparty.name,
                name_normalised=normalise(counterparty.name)[:300],
                birth_date=birth,
                screening_hash=counterparty_hash(kind, counterparty.name, birth),
                changed_at=now,
            )
        )
    Counterparty.objects.bulk_create(people, batch_size=5_000)
    write_counterparty_keys(Counterparty.objects.only("pk", "name"))
    counterparty_pks = dict(Counterparty.objects.values_list("reference", "pk"))
    planted_pks = {counterparty_pks[str(c)]: (entry_pks[str(e)], variant) for c, (e, variant) in planted.items()}
    decoy_pks = {(counterparty_pks[str(c)], entry_pks[str(e)]) for c, e in decoys}
    return entry_pks, counterparty_pks, planted_pks, decoy_pks


def baseline() -> set[tuple[int, int]]:
    """(counterparty pk, entry pk) pairs whose normalised names are equal, an entry's aliases included."""
    from aml.matching import normalise
    from aml.models import Counterparty, ListEntry

    by_name: dict[str, set[int]] = {}
    for pk, name, aliases in ListEntry.objects.listed().values_list("pk", "name", "aliases").iterator(5_000):
        for listed in (name, *aliases.splitlines()):
            by_name.setdefault(normalise(listed), set()).add(pk)
    names = sorted(by_name)
    pairs: set[tuple[int, int]] = set()
    for start in range(0, len(names), 2_000):
        for pk, normalised in (
            Counterparty.objects.active()
            .filter(name_normalised__in=names[start : start + 2_000])
            .values_list("pk", "name_normalised")
        ):
            pairs.update((pk, entry) for entry in by_name[normalised])
    return pairs


def _recall(
    found: set[tuple[int, int]], planted: dict[int, tuple[int, str]]
) -> tuple[float, Counter[str], Counter[str]]:
    total: Counter[str] = Counter()
    hit: Counter[str] = Counter()
    for counterparty, (entry, variant) in planted.items():
        total[variant] += 1
        hit[variant] += (counterparty, entry) in found
    return sum(hit.values()) / max(1, sum(total.values())), total, hit


def run(size: str, context: Context) -> None:
    from django.db import connection
    from django.utils import timezone

    from aml.choices import ScreeningTrigger
    from aml.fingerprints import entry_hash
    from aml.models import CounterpartyKey, Hit, ListEntry
    from aml.screening import run_screening

    started = time.perf_counter()
    entry_pks, counterparty_pks, planted, decoys = load(size)
    loaded = time.perf_counter() - started
    if context.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    print(
        f"  setup (not measured): {len(entry_pks):,} entries, {len(counterparty_pks):,} counterparties, "
        f"{CounterpartyKey.objects.count():,} blocking keys, {len(planted):,} planted, {len(decoys):,} decoys "
        f"in {loaded:.1f}s (bulk_create, no history)",
        flush=True,
    )

    started = time.perf_counter()
    full = run_screening(trigger=ScreeningTrigger.MANUAL)
    full_s = time.perf_counter() - started
    found = set(Hit.objects.values_list("counterparty_id", "entry_id"))
    recall, total, hit = _recall(found, planted)
    decoys_raised = len(found & decoys)
    print(
        f"  (a) full run: {full_s:.1f}s ({full.names_indexed:,} names indexed, {full.hits_raised:,} hits written "
        f"with history) {verdict(full_s < FULL_TARGET_SECONDS)} (target {FULL_TARGET_SECONDS:g}s)"
    )
    print(f"      phases: {full.message}; load average {os.getloadavg()[0]:.1f} (2 cores)")
    print("      " + ", ".join(f"{v} {hit[v]}/{total[v]}" for v in VARIANTS))
    print(
        f"      recall {recall:.2%} {verdict(recall == 1.0)}; decoys raised {decoys_raised} {verdict(not decoys_raised)}"
    )
    print(f"      coverage after the run: {full.covered_counterparties:,}/{full.active_counterparties:,}")

    started = time.perf_counter()
    again = run_screening(trigger=ScreeningTrigger.NIGHTLY)
    again_s = time.perf_counter() - started
    print(
        f"  (b) the same full run again: {again_s:.1f}s, {again.hits_raised} new hits {verdict(again.hits_raised == 0)}"
    )
    print(f"      phases: {again.message}")

    # One entry changed by a list import: a planted one gets a new alias (its hits' pairs are raised again).
    entry = ListEntry.objects.get(pk=next(iter(planted.values()))[0])
    entry.aliases = "\n".join([*entry.alias_list(), f"{entry.name} Junior"])
    entry.content_hash = entry_hash(entry.kind, entry.name, entry.alias_list(), entry.birth_dates)
    entry.changed_at = timezone.now()
    entry.save()
    started = time.perf_counter()
    changed = run_screening(trigger=ScreeningTrigger.LIST_IMPORT, entry_ids=[entry.pk])
    changed_s = time.perf_counter() - started
    print(
        f"  (c) re-run after one entry changed: {changed_s:.2f}s ({changed.counterparties_screened:,} candidate "
        f"counterparties through their keys, {changed.hits_raised} hit(s) raised again) "
        f"{verdict(changed_s < CHANGE_TARGET_SECONDS)} (target {CHANGE_TARGET_SECONDS:g}s)"
    )
    print(f"      phases: {changed.message}")

    started = time.perf_counter()
    exact = baseline()
    baseline_s = time.perf_counter() - started
    baseline_recall, _, baseline_hit = _recall(exact, planted)
    print(
        f"  (d) baseline exact normalised-name join: {baseline_s:.1f}s, {len(exact):,} pairs, recall {baseline_recall:.2%}"
    )
    print("      " + ", ".join(f"{v} {baseline_hit[v]}/{total[v]}" for v in VARIANTS))
    print(
        f"  ratios: full run / baseline {full_s / max(baseline_s, 1e-9):.1f}x; "
        f"re-run after one change / full run {changed_s / max(full_s, 1e-9):.3f}; "
        f"recall {recall:.2%} vs {baseline_recall:.2%}"
    )


if __name__ == "__main__":  # pragma: no cover - `python -m bench --only aml_screening_db` is the entry point
    import sys

    from .__main__ import main

    sys.exit(main(["--only", "aml_screening_db", *sys.argv[1:]]))
