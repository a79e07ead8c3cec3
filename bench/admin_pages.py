"""The pages people open, at the size of a large company: server time and number of queries of each page.

Data (bench.reporting_indicators' helpers): 100,000 employees, 2,000,000 completions of 10 modules,
200,000 rights requests and 20,000 whistleblowing reports with their content and three messages each (smoke:
2,000 / 20,000 / 5,000 / 500), the users of the demo roles, then what the
nightly jobs compute (`nightly`: every training module's figures, the indicators of the current year and of
the year before).

Pages: the desk (admin index), every admin list, the indicators dashboard, the reporting year page, each
training module's page and people lists, a reference search in the rights requests, a whistleblowing report's
page (the referent reads its content and messages; the others its public part) and the overdue reports, and
every API
collection's first page (not the indicators export, which computes from the records: bench.reporting_indicators);
as the superuser and as each role (a page a role may not open is skipped). Measured through Django's test
client (server time, no network), the median of RUNS runs after one warm-up, with the number of queries.

The data is built twice: at a tenth of the size first, only to count the queries of each page, then at the
size asked for, timed. A page whose number of queries grows with the data prints GROWS.
Target (PostgreSQL, --size full): every page under 300 ms.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from . import Context, gdpr_deadlines, training_rates, verdict

#: employees, completions, rights requests
SIZES = {"smoke": (2_000, 20_000, 5_000), "full": (100_000, 2_000_000, 200_000)}
#: The first build, for the query counts only: this fraction of the size.
SMALL_DIVISOR = 10
RUNS = {"smoke": 1, "full": 5}
#: whistleblowing reports (a large company receives hundreds a year: this is decades of them)
REPORTS = {"smoke": 500, "full": 20_000}
TARGET_MS = 300.0
SEARCH = "DSR-B-00001"
#: The baseline page: an admin list of no row (the demo groups' list has 4; the token list none).
BASELINE_URL = "/admin/authtoken/tokenproxy/"
#: The modules whose people lists (not trained, renewals due) are measured: one never renewed, two renewed.
PEOPLE_MODULES = ("LCBFT", "RGPD", "CYBER")


def nightly() -> None:
    """What the beat schedule computes every night and the pages read (config/celery.py)."""
    from django.utils import timezone

    from reporting import services
    from training import figures

    figures.compute_all()  # every training module's figures, which its page, the list and the dashboard read
    this_year = timezone.localdate().year
    for year in (this_year - 1, this_year):
        services.year_compute(year)


@dataclass
class Page:
    name: str
    url: str


def populate_reports(count: int) -> None:
    """`count` whistleblowing reports over ten years, at every stage, each with its sealed content and three
    messages (bulk: no history rows, which the pages measured do not read)."""
    import datetime as dt

    from django.utils import timezone

    from whistleblowing.choices import Category, Channel, Direction, Status
    from whistleblowing.models import Message, Report, ReportContent

    now = timezone.now()
    statuses = [Status.RECEIVED, Status.ACKNOWLEDGED, Status.INVESTIGATING, Status.CLOSED]
    categories = list(Category.values)
    reports = []
    for i in range(count):
        received = now - dt.timedelta(days=(i * 3650) // max(count, 1), hours=i % 24)
        day = timezone.localdate(received)
        status = statuses[i % len(statuses)]
        reports.append(
            Report(
                reference=f"SIG-B-{i:06d}",
                received_at=received,
                category=categories[i % len(categories)],
                status=status,
                acknowledgment_due_on=day + dt.timedelta(days=9),
                acknowledged_on=None if status == Status.RECEIVED else day + dt.timedelta(days=3),
                feedback_due_on=day + dt.timedelta(days=92),
                closed_on=day + dt.timedelta(days=60) if status == Status.CLOSED else None,
            )
        )
    Report.objects.bulk_create(reports, batch_size=2_000)
    saved = list(Report.objects.filter(reference__startswith="SIG-B-").values_list("pk", flat=True))
    ReportContent.objects.bulk_create(
        (
            ReportContent(
                report_id=pk,
                channel=Channel.WEB,
                author_name=f"Author {pk}",
                facts=f"The facts of report {pk}, " * 20,
                persons_concerned=f"Person {pk}",
            )
            for pk in saved
        ),
        batch_size=2_000,
    )
    Message.objects.bulk_create(
        (
            Message(report_id=pk, direction=direction, body=f"Message {n} of report {pk}, " * 10, sent_at=now)
            for pk in saved
            for n, direction in enumerate((Direction.FROM_AUTHOR, Direction.TO_AUTHOR, Direction.FROM_AUTHOR))
        ),
        batch_size=5_000,
    )


def build(employees: int, completions: int, requests: int, vendor: str, reports: int = 0) -> float:
    """The data set, the role users and the nightly computations; returns the seconds it took."""
    from core import demo, roles

    started = time.perf_counter()
    training_rates.populate_roster(employees)
    training_rates.load_completions(training_rates.completion_rows(completions), vendor)
    gdpr_deadlines.populate(requests)
    populate_reports(reports)
    training_rates.analyze(vendor)
    roles.setup_roles()
    demo.load_users("bench-password-not-used")
    nightly()
    training_rates.analyze(vendor)
    return time.perf_counter() - started


def pages() -> list[Page]:
    """Every page measured, the admin ones from the admin registry and the API ones from the URL resolver."""
    from django.contrib import admin
    from django.urls import NoReverseMatch, get_resolver, reverse

    from reporting.models import ReportingYear
    from training.models import Module

    found = [Page("desk (admin index)", reverse("admin:index"))]
    for model in sorted(admin.site._registry, key=lambda m: m._meta.label):
        opts = model._meta
        try:
            url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        except NoReverseMatch:
            continue
        found.append(Page(f"list {opts.label_lower}", url))
    found.append(Page("rights requests search", reverse("admin:gdpr_rightsrequest_changelist") + f"?q={SEARCH}"))
    found.append(Page("indicators dashboard", reverse("admin:reporting_dashboard")))
    from whistleblowing.models import Report

    report = Report.objects.filter(reference__startswith="SIG-B-").order_by("reference").first()
    if report is not None:
        found.append(
            Page("whistleblowing report page", reverse("admin:whistleblowing_report_change", args=[report.pk]))
        )
    found.append(
        Page("whistleblowing reports overdue", reverse("admin:whistleblowing_report_changelist") + "?due=overdue")
    )
    year = ReportingYear.objects.order_by("-year").first()
    if year is not None:
        found.append(
            Page(f"reporting year {year.year}", reverse("admin:reporting_reportingyear_change", args=[year.pk]))
        )
    for module in Module.objects.order_by("code"):
        found.append(Page(f"module {module.code}", reverse("admin:training_module_change", args=[module.pk])))
        if module.code in PEOPLE_MODULES:
            found.append(
                Page(f"not trained {module.code}", reverse("admin:training_module_not_trained", args=[module.pk]))
            )
            if module.renewal_months:
                found.append(
                    Page(f"renewals due {module.code}", reverse("admin:training_module_renewals_due", args=[module.pk]))
                )
    for url in _api_collections(get_resolver()):
        found.append(Page(f"api {url.removeprefix('/api/')}", url))
    return found


def _api_collections(resolver: Any) -> Iterator[str]:
    """The API's collection URLs (the `-list` routes without parameters). Not the indicators export
    (/api/reporting/indicators/): an export computes from the records (bench.reporting_indicators measures it)."""
    from django.urls import NoReverseMatch, reverse

    names = sorted({name for name in resolver.reverse_dict if isinstance(name, str) and name.endswith("-list")})
    for name in names:
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        if url.startswith("/api/"):
            yield url


@dataclass
class Measure:
    status: int
    queries: int
    median_ms: float = 0.0


def clients() -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from core.demo import DEMO_USERS

    result = {}
    for username in DEMO_USERS:
        client = Client(HTTP_HOST="localhost")
        client.force_login(get_user_model().objects.get(username=username))
        result[username] = client
    return result


def measure(client: Any, url: str, runs: int) -> Measure:
    """One warm-up, then `runs` timed requests; the number of queries of the last one."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(url)
    if response.status_code != 200:
        return Measure(response.status_code, 0)
    times = []
    queries = 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
        queries = len(captured.captured_queries)
    return Measure(response.status_code, queries, statistics.median(times))


def survey(runs: int, progress: Callable[[str], None] | None = None) -> dict[tuple[str, str], Measure]:
    """(page name, username) → measure, for every page each user may open."""
    result = {}
    users = clients()
    for page in pages():
        for username, client in users.items():
            found = measure(client, page.url, runs)
            result[(page.name, username)] = found
        if progress:
            progress(page.name)
    return result


def run(size: str, context: Context) -> None:
    import logging

    logging.getLogger("django.request").setLevel(logging.ERROR)  # the 403s of the pages a role may not open
    employees, completions, requests = SIZES[size]
    small = (employees // SMALL_DIVISOR, completions // SMALL_DIVISOR, requests // SMALL_DIVISOR)
    seconds = build(*small, context.vendor, reports=REPORTS[size] // SMALL_DIVISOR)
    print(
        f"  setup 1 (not measured): {small[0]:,} employees, {small[1]:,} completions, {small[2]:,} requests, "
        f"role users, nightly computations in {seconds:.1f}s; counting queries"
    )
    counted = survey(1)
    context.fresh()
    seconds = build(employees, completions, requests, context.vendor, reports=REPORTS[size])
    print(
        f"  setup 2 (not measured): {employees:,} employees, {completions:,} completions, {requests:,} requests "
        f"in {seconds:.1f}s; timing, median of {RUNS[size]} runs after a warm-up"
    )
    users = clients()
    baseline = measure(users["admin"], BASELINE_URL, RUNS[size]).median_ms
    print(
        f"  baseline: {BASELINE_URL} (a list of no row, the fixed cost of an admin page) {baseline:.0f} ms; "
        "each page's slowest user is printed as a multiple of it"
    )
    print(f"  {'page':<44} " + " ".join(f"{u:>16}" for u in users) + "    ×base  queries small→full")
    misses, grows = [], []
    for page in pages():
        cells, counts, slowest = [], [], 0.0
        for username, client in users.items():
            found = measure(client, page.url, RUNS[size])
            if found.status != 200:
                cells.append(f"{found.status:>16}")
                continue
            ok = found.median_ms < TARGET_MS
            slowest = max(slowest, found.median_ms)
            cells.append(f"{found.median_ms:9.0f}ms {verdict(ok)}")
            if not ok:
                misses.append(f"{page.name} ({username}) {found.median_ms:.0f} ms")
            before = counted.get((page.name, username))
            if before is not None and before.status == 200:
                counts.append((before.queries, found.queries))
                if found.queries > before.queries:
                    grows.append(f"{page.name} ({username}) {before.queries}→{found.queries}")
        flat = sorted(set(counts))
        ratio = f"{slowest / baseline:7.1f}x" if slowest else " " * 8
        print(
            f"  {page.name[:44]:<44} " + " ".join(cells) + f"  {ratio}  " + ", ".join(f"{a}→{b}" for a, b in flat),
            flush=True,
        )
    print(
        f"\n  target: every page under {TARGET_MS:.0f} ms (PostgreSQL, --size full)   "
        f"{verdict(not misses)} ({len(misses)} missed)"
    )
    for line in misses:
        print(f"    MISS {line}")
    print(f"  queries do not grow with the data (x{SMALL_DIVISOR})   {'PASS' if not grows else 'GROWS'}")
    for line in grows:
        print(f"    GROWS {line}")
    if context.vendor != "postgresql":
        print("  (the target is for PostgreSQL; on SQLite the times are printed for comparison)")
