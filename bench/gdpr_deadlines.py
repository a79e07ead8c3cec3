"""Rights requests at scale: the "due within 7 days or overdue" query and one year's gdpr selectors.

Data: 200,000 requests received over ten years (smoke: 5,000), about 3% still open, their deadline
columns computed by gdpr.deadlines. Measures, each the median of several runs:
(a) the due-soon query (open requests whose applicable deadline is on or before today + 7 days),
    with its query plan, which must use the partial index on open requests;
(b) every gdpr selector for one year;
(c) the baseline: a Python loop over all requests doing (a)'s filtering, in the same run.
Targets: (a) under 50 ms and served by the index; (b) under 200 ms.
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import time

from . import Context, verdict

SIZES = {"smoke": 5_000, "full": 200_000}
RUNS = 7
TODAY = dt.date(2025, 11, 20)
YEAR = 2023


def _median_ms(func, runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        func()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def populate(count: int) -> None:
    from django.utils import timezone

    from gdpr.choices import OPEN_REQUEST_STATUSES, Outcome, RequestStatus, Right
    from gdpr.deadlines import rights_request_deadline
    from gdpr.models import RightsRequest

    rng = random.Random(11)
    paris = timezone.get_default_timezone()
    start = dt.datetime(2016, 1, 1, 9, 0, tzinfo=paris)
    span = (dt.datetime(2025, 11, 20, tzinfo=paris) - start).total_seconds()
    rights = list(Right.values)
    batch: list[RightsRequest] = []
    for n in range(count):
        received_at = start + dt.timedelta(seconds=span * n / count)
        deadline = rights_request_deadline(received_at)
        # The last ~3% received are still open; a few old ones were forgotten (overdue).
        is_open = n >= count * 0.97 or rng.random() < 0.002
        answered_at = None if is_open else received_at + dt.timedelta(days=rng.randint(1, 35))
        batch.append(
            RightsRequest(
                reference=f"DSR-B-{n:07d}",
                right=rng.choice(rights),
                received_at=received_at,
                status=rng.choice(OPEN_REQUEST_STATUSES[:2]) if is_open else RequestStatus.CLOSED,
                due_on=deadline.due_on,
                applicable_due_on=deadline.due_on,
                deadline_explanation=deadline.explanation,
                answered_at=answered_at,
                outcome="" if is_open else Outcome.GRANTED,
            )
        )
        if len(batch) == 5_000:
            RightsRequest.objects.bulk_create(batch)
            batch = []
    RightsRequest.objects.bulk_create(batch)


def run(size: str, context: Context) -> None:
    from django.db import connection

    from gdpr import selectors
    from gdpr.models import RightsRequest

    count = SIZES[size]
    started = time.perf_counter()
    populate(count)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"  rows: {count:,} rights requests over 2016-2025 (generated in {time.perf_counter() - started:.1f}s)")

    horizon = TODAY + dt.timedelta(days=7)
    due_soon = (
        RightsRequest.objects.due_before(horizon)
        .order_by("applicable_due_on")
        .values_list("pk", "reference", "applicable_due_on")
    )
    found = len(list(due_soon))
    query_ms = _median_ms(lambda: list(due_soon.all()))  # .all(): a fresh query each run, not the cache

    def python_loop() -> int:
        open_statuses = {"received", "in_progress", "paused", "extended"}
        return sum(
            1
            for status, due in RightsRequest.objects.values_list("status", "applicable_due_on").iterator(
                chunk_size=10_000
            )
            if status in open_statuses and due is not None and due <= horizon
        )

    assert python_loop() == found, "the baseline and the query disagree"
    loop_ms = _median_ms(python_loop, runs=3)

    year_selectors = [
        selectors.rights_requests_received,
        selectors.rights_request_mean_days,
        selectors.cnil_referrals_received,
        selectors.cnil_complaints_without_referral,
        selectors.breach_notifications,
        selectors.breach_notified_within_72h_rate,
        selectors.processing_activities,
    ]
    selectors_ms = _median_ms(
        lambda: [f(YEAR) for f in year_selectors] + [selectors.rights_requests_on_time_rate(YEAR, today=TODAY)]
    )
    plan = due_soon.explain()
    uses_index = "rightsrequest_open_due_idx" in plan
    print(f"  due within 7 days or overdue: {found} requests")
    print(f"  (a) due-soon query            {query_ms:8.1f} ms   (target < 50 ms)   {verdict(query_ms < 50)}")
    print(
        f"      served by the partial index on open requests: {'yes' if uses_index else 'no'}   {verdict(uses_index)}"
    )
    print(
        f"  (b) {YEAR} gdpr selectors       {selectors_ms:8.1f} ms   (target < 200 ms)  {verdict(selectors_ms < 200)}"
    )
    print(f"  (c) Python loop baseline      {loop_ms:8.1f} ms   query is {loop_ms / max(query_ms, 0.001):,.0f}x faster")
    print("  plan of the due-soon query:")
    for line in plan.splitlines():
        print(f"    {line}")
