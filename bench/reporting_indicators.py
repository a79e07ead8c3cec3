"""The yearly indicators at scale: the whole registry for one year, its snapshot, and the auditor pack.

Data, as the other benchmarks make it (setup, not measured): 100,000 employees and 2,000,000 completions
of 10 modules (bench.training_rates; smoke: 2,000 and 20,000) and 200,000 rights requests over 2016-2025
(bench.gdpr_deadlines; smoke: 5,000), no history rows; then (VACUUM) ANALYZE.

Measures, for YEAR (2024: a whole year of both):
(a) `reporting.services.year_evaluate(YEAR)`: every computed indicator, from records, nothing written (the
    best of 3 runs), with its number of queries, and each indicator's own time (the slowest printed);
(b) the baseline, in the same run: two hand-written SQL queries, the RGPD completion rate at 31/12
    (bench.training_rates.hand_sql) and the count of the year's rights requests; (a) must agree with
    them, and the ratio is printed;
(c) `year_compute(YEAR)`: the snapshot written (values, records), then again (nothing changes);
(d) the auditor pack of YEAR (`reporting.auditor_pack.build_pack`), its size and the peak memory.
Targets (PostgreSQL, --size full): (a) under 2 s; (d) under 30 s.
"""

from __future__ import annotations

import datetime as dt
import resource
import time
from collections.abc import Callable
from typing import Any

from . import Context, gdpr_deadlines, training_rates, verdict

SIZES = {"smoke": (2_000, 20_000, 5_000), "full": (100_000, 2_000_000, 200_000)}
YEAR = 2024
RUNS = 3


def _empty_rights_requests(vendor: str) -> None:
    from django.db import connection

    from gdpr.models import RightsRequest

    tables = [connection.ops.quote_name(m._meta.db_table) for m in (RightsRequest.history.model, RightsRequest)]
    with connection.cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")


def _count_received(year: int) -> int:
    """The baseline for E2_RIGHTS_REQUESTS: one hand-written count (received_at in the Paris year)."""
    from django.db import connection

    from gdpr.querysets import paris_year_bounds

    start, end = paris_year_bounds(year)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM gdpr_rightsrequest WHERE received_at >= %s AND received_at < %s", [start, end]
        )
        return int(cursor.fetchone()[0])


def _best(func: Callable[[], Any], runs: int = RUNS) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(runs):
        started = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - started)
    return best, result


def run(size: str, context: Context) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reporting import registry, services
    from training.models import Module

    employees, completions, requests = SIZES[size]
    started = time.perf_counter()
    training_rates.empty_completions_and_roster(context.vendor)
    _empty_rights_requests(context.vendor)
    training_rates.populate_roster(employees)
    loaded = training_rates.load_completions(training_rates.completion_rows(completions), context.vendor)
    gdpr_deadlines.populate(requests)
    training_rates.analyze(context.vendor)
    print(
        f"  setup (not measured): {employees:,} employees, {loaded:,} completions, {requests:,} rights requests "
        f"in {time.perf_counter() - started:.1f}s"
    )

    services.year_evaluate(YEAR)  # warm-up: content types, the first query of each model
    with CaptureQueriesContext(connection) as queries:
        evaluate_s, evaluated = _best(lambda: services.year_evaluate(YEAR))
    per_run_queries = len(queries.captured_queries) // RUNS
    failed = [code for code, e in evaluated.items() if e.status == "error"]
    assert not failed, f"indicators failed: {failed}"

    baseline_started = time.perf_counter()
    trained, present = training_rates.hand_sql(Module.objects.get(code="RGPD"), dt.date(YEAR, 12, 31))
    received = _count_received(YEAR)
    baseline_s = time.perf_counter() - baseline_started
    rgpd = evaluated["E2_GDPR_ELEARNING_RATE"]
    assert (rgpd.numerator, rgpd.denominator) == (trained, present), (rgpd, trained, present)
    assert evaluated["E2_RIGHTS_REQUESTS"].value == received

    timings = []
    for code, computation in registry.computations().items():
        started = time.perf_counter()
        services.indicator_evaluate(computation, YEAR)
        timings.append((time.perf_counter() - started, code))
    timings.sort(reverse=True)

    target = 2.0
    print(
        f"  (a) the whole registry for {YEAR} ({len(evaluated)} computed indicators): {evaluate_s:.2f} s, "
        f"{per_run_queries} queries   (target < {target:.0f} s)   {verdict(evaluate_s < target)}"
    )
    print("      slowest: " + "; ".join(f"{code} {seconds * 1000:,.0f} ms" for seconds, code in timings[:6]))
    print(
        f"  (b) baseline: hand-written SQL (RGPD rate {trained:,}/{present:,}, {received:,} requests received) "
        f"{baseline_s * 1000:,.0f} ms; the registry computes {len(evaluated)} indicators in "
        f"{evaluate_s / max(baseline_s, 1e-6):,.1f}x that time"
    )

    first_s, first = _best(lambda: services.year_compute(YEAR), runs=1)
    second_s, second = _best(lambda: services.year_compute(YEAR), runs=1)
    print(
        f"  (c) year_compute({YEAR}): first {first_s:.2f} s ({first.created} values stored with their records), "
        f"second {second_s:.2f} s ({second.unchanged} unchanged, {second.changed} changed)"
    )
    assert second.changed == 0

    try:
        from reporting.auditor_pack import build_pack
    except ImportError:
        print("  (d) auditor pack: skipped (reporting/auditor_pack.py does not exist yet)")
        return
    before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    pack_started = time.perf_counter()
    pack = build_pack(YEAR)
    pack_s = time.perf_counter() - pack_started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    target = 30.0
    print(
        f"  (d) auditor pack for {YEAR}: {pack_s:.1f} s, {len(pack) / 1_048_576:,.1f} MiB zip, peak memory "
        f"{peak_kb / 1024:,.0f} MB (+{max(0, peak_kb - before_kb) / 1024:,.0f} MB)   (target < {target:.0f} s)   "
        f"{verdict(pack_s < target)}"
    )
