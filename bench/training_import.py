"""LMS completions import: the full `import_completions` against a bare `bulk_create` of the same rows.

Data: a French LMS export (`;`, UTF-8 with BOM; Matricule, Code module, Date de réalisation
"DD/MM/YYYY HH:MM", Durée (min), Score with a decimal comma) of 500,000 completions (smoke: 5,000) of
the roster and the 10 modules of `bench.training_rates` (the roster is created if the database has none;
a few completions are dated before their module's deployment and get flagged). The completions table is
emptied before each load, so every run starts from the same state.

Measures (a) the bare load: read the CSV, build `Completion` objects with the simplest parsing and
`bulk_create` them in batches (no validation, no history); (b) the first full import (header matching,
parsing, lookups, flags, upsert, a history row per write); (c) the re-import of the same file (must
write nothing). The imports run in a subprocess that reports its own time and peak memory (VmHWM,
see `peak_rss_mb`), so the parent's memory does not count.

Targets (PostgreSQL, --size full): the first import at least 20,000 rows/s, peak memory < 500 MB.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import time
import zoneinfo
from decimal import Decimal
from pathlib import Path

from . import Context, import_in_child, verdict
from .training_rates import SIZES as RATE_SIZES, ensure_modules, populate_roster

SIZES = {"smoke": 5_000, "full": 500_000}
REPEATS = {"smoke": 3, "full": 2}
HEADER = ["Matricule", "Code module", "Date de réalisation", "Durée (min)", "Score"]
LAST_DAY = dt.date(2025, 10, 31)
BATCH = 2_000
PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def write_export(
    path: Path, rows: int, employees: list[str], modules: list[tuple[str, dt.date]], seed: int = 17
) -> None:
    """One line per (employee, module) pair, employees first, so the natural keys are all different;
    dated from 30 days before the module's deployment (those get flagged) to LAST_DAY."""
    from core.spreadsheets import FRENCH, CsvWriter

    if rows > len(employees) * len(modules):
        raise ValueError(f"{rows} rows need more than {len(employees)} employees × {len(modules)} modules")
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8-sig", newline="") as stream:
        writer = CsvWriter(stream, FRENCH)  # ";"-separated, as the LMS exports it
        writer.writerow(HEADER)
        for n in range(rows):
            code, deployed_on = modules[n // len(employees) % len(modules)]
            first = deployed_on - dt.timedelta(days=30)
            day = first + dt.timedelta(days=rng.randrange((LAST_DAY - first).days))
            score = rng.randint(400, 1000)
            writer.writerow(
                [
                    employees[n % len(employees)],
                    code,
                    f"{day:%d/%m/%Y} {rng.randint(7, 19):02d}:{rng.randrange(60):02d}",
                    rng.randint(5, 90) if rng.random() < 0.95 else "",
                    f"{score // 10},{score % 10}" if rng.random() < 0.9 else "",
                ]
            )


def bare_load(path: Path) -> float:
    """The floor: what loading these rows costs with no validation and no history (the day and the
    before-deployment flag are computed, as the model needs them)."""
    from django.db import transaction

    from organization.models import Employee
    from training.models import Completion, Module

    started = time.perf_counter()
    employees = dict(Employee.objects.values_list("employee_id", "pk"))
    modules = {m.code: m for m in Module.objects.all()}
    with path.open(encoding="utf-8-sig", newline="") as stream:
        reader = csv.reader(stream, delimiter=";")
        next(reader)
        batch: list[Completion] = []
        for employee, code, when, minutes, score in reader:
            module = modules[code]
            day, hour = when.split(" ")
            d, m, y = day.split("/")
            hh, mm = hour.split(":")
            local = dt.datetime(int(y), int(m), int(d), int(hh), int(mm), tzinfo=PARIS)
            batch.append(
                Completion(
                    employee_id=employees[employee],
                    module=module,
                    completed_at=local.astimezone(dt.UTC),
                    completed_on=local.date(),
                    duration_minutes=int(minutes) if minutes else None,
                    score=Decimal(score.replace(",", ".")) if score else None,
                    anomaly="before_deployment" if local.date() < module.deployed_on else "",
                )
            )
            if len(batch) == BATCH:
                with transaction.atomic():
                    Completion.objects.bulk_create(batch)
                batch = []
        with transaction.atomic():
            Completion.objects.bulk_create(batch)
    return time.perf_counter() - started


def _empty_completions(vendor: str) -> None:
    from django.db import connection

    from training.models import Completion

    tables = [connection.ops.quote_name(m._meta.db_table) for m in (Completion, Completion.history.model)]
    with connection.cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute(f"TRUNCATE {', '.join(tables)}")
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")


def run(size: str, context: Context) -> None:
    from organization.models import Employee
    from training.models import Completion

    rows, repeats = SIZES[size], REPEATS[size]
    if not Employee.objects.exists():
        populate_roster(RATE_SIZES[size][0])
    employees = list(Employee.objects.order_by("pk").values_list("employee_id", flat=True))
    modules = [(m.code, m.deployed_on) for m in ensure_modules()]
    path = context.workdir / "completions.csv"
    write_export(path, rows, employees, modules)
    print(
        f"rows: {rows:,} ({path.stat().st_size / 1e6:.1f} MB CSV, `;`, UTF-8 BOM, French headers) of "
        f"{len(employees):,} employees and {len(modules)} modules; best of {repeats} runs, completions "
        f"emptied before each load"
    )

    bare, first, again = [], [], []
    for _attempt in range(repeats):
        _empty_completions(context.vendor)
        bare.append(bare_load(path))
        assert Completion.objects.count() == rows
        _empty_completions(context.vendor)
        first.append(import_in_child("completions", path, context))
        history_after_first = Completion.history.count()
        flagged = Completion.objects.exclude(anomaly="").count()
        again.append(import_in_child("completions", path, context))
        history_after_again = Completion.history.count()
        assert first[-1]["created"] == rows and first[-1]["rejected"] == 0, first[-1]
        assert again[-1]["created"] == 0 and again[-1]["updated"] == 0, again[-1]
        assert again[-1]["unchanged"] == rows and history_after_again == history_after_first == rows, again[-1]

    # The minimum of repeated runs is the cost of the code; the rest is the machine's other work.
    bare_s = min(bare)
    first_s = min(r["seconds"] for r in first)
    again_s = min(r["seconds"] for r in again)

    def line(label: str, seconds: float) -> str:
        return f"  {label:<32} {seconds:7.2f} s  {rows / seconds:>10,.0f} rows/s"

    print(line("(a) bare bulk_create", bare_s))
    print(line("(b) full import, first time", first_s))
    print(line("(c) re-import, unchanged", again_s))
    rate = rows / first_s
    print(f"  import rate        = {rate:9,.0f} rows/s (target ≥ 20,000)   {verdict(rate >= 20_000)}")
    print(f"  full / bare        = {first_s / bare_s:5.2f}x")
    print(
        f"  first / re-import  = {first_s / again_s:5.2f}x   (re-import: created {again[-1]['created']}, "
        f"updated {again[-1]['updated']}, unchanged {again[-1]['unchanged']:,})"
    )
    peak = max(r["peak_mb"] for r in first + again)  # as each import process measured itself
    print(
        f"  peak memory        = {peak:5.0f} MB  (target < 500 MB; the import process before importing:"
        f" {first[0]['baseline_mb']:.0f} MB)   {verdict(peak < 500)}"
    )
    print(
        f"  history rows: {history_after_first:,} after the first import, {history_after_again:,} after the "
        f"re-import; {flagged:,} completions flagged (before their module's deployment)"
    )
    if context.vendor != "postgresql":
        print("  (the targets are for PostgreSQL; on SQLite they are printed for comparison)")
    if size != "full":
        print("  (the targets are for --size full: at this size the fixed costs of a run dominate)")
