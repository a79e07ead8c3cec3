"""Roster import: the full `import_roster` against a bare `bulk_create` of the same rows.

Measures (a) the bare load: read the CSV, build `Employee` objects with the simplest parsing, and
`Employee.objects.bulk_create` them in batches (no validation, no history); (b) the first full import
(validation, lookups, upsert, a history row per write); (c) the re-import of the unchanged file (must
write nothing). The imports run in a subprocess that reports its own time and peak memory
(VmHWM, `bench.peak_rss_mb`), so the parent's memory does not count.

Targets: full ≤ 3× bare, re-import ≥ 5× faster than the first import, peak memory < 500 MB.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import time
from pathlib import Path

from . import Context, import_in_child, verdict

SIZES = {"smoke": 2_000, "full": 100_000}
REPEATS = {"smoke": 3, "full": 2}
ENTITIES = ["ALS", "ONV", "SOLENDI", "ASTRIA", "MNV"]
DEPARTMENTS = [f"Direction régionale {n}" for n in range(1, 14)] + [
    "Direction financière",
    "Direction des systèmes d'information",
    "Direction juridique",
    "Conformité",
    "Ressources humaines",
    "Communication",
    "Audit interne",
    "Achats",
    "Contrôle de gestion",
    "Recouvrement",
]
LAST_NAMES = [
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefèvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
]
FIRST_NAMES = [
    "Zoé",
    "Léa",
    "Chloé",
    "Inès",
    "Jérôme",
    "Hélène",
    "François",
    "Amélie",
    "Noël",
    "Loïc",
    "Gaëlle",
    "Benoît",
    "Cécile",
    "Frédéric",
    "Anaïs",
    "Théo",
    "Maël",
    "Élodie",
    "Clément",
    "Agnès",
]
HEADER = [
    "Matricule",
    "Nom",
    "Prénom",
    "E-mail",
    "Code entité",
    "Service",
    "Date d'entrée",
    "Date de sortie",
    "Manager",
    "Sexe",
    "Cadre",
]
BATCH = 2_000


def write_roster(path: Path, rows: int, seed: int = 7) -> None:
    """A French HR export: `;`, UTF-8 with BOM, DD/MM/YYYY dates, oui/non, F/M, Cadre/Non cadre."""
    from core.spreadsheets import FRENCH, CsvWriter

    rng = random.Random(seed)
    start = dt.date(1985, 1, 1)
    with path.open("w", encoding="utf-8-sig", newline="") as stream:
        writer = CsvWriter(stream, FRENCH)  # the French dialect: ";", as a French HR export
        writer.writerow(HEADER)
        for n in range(rows):
            hired = start + dt.timedelta(days=rng.randrange(14_000))
            left = hired + dt.timedelta(days=rng.randrange(30, 4_000)) if rng.random() < 0.2 else None
            last, first = rng.choice(LAST_NAMES), rng.choice(FIRST_NAMES)
            writer.writerow(
                [
                    f"E{n:06d}",
                    last,
                    first,
                    f"e{n:06d}@example.org",
                    rng.choice(ENTITIES),
                    rng.choice(DEPARTMENTS),
                    hired.strftime("%d/%m/%Y"),
                    left.strftime("%d/%m/%Y") if left else "",
                    "oui" if rng.random() < 0.1 else "non",
                    rng.choice("FM"),
                    rng.choice(["Cadre", "Non cadre"]),
                ]
            )


def _date(text: str) -> dt.date | None:
    if not text:
        return None
    day, month, year = text.split("/")
    return dt.date(int(year), int(month), int(day))


def bare_load(path: Path) -> float:
    """The floor: what loading these rows costs with no validation and no history."""
    from django.db import transaction

    from organization.models import Department, Employee, LegalEntity

    started = time.perf_counter()
    entities = dict(LegalEntity.objects.values_list("code", "pk"))
    departments = {d.name: d.pk for d in Department.objects.bulk_create([Department(name=n) for n in DEPARTMENTS])}
    with path.open(encoding="utf-8-sig", newline="") as stream:
        reader = csv.reader(stream, delimiter=";")
        next(reader)
        batch: list[Employee] = []
        for r in reader:
            batch.append(
                Employee(
                    employee_id=r[0],
                    last_name=r[1],
                    first_name=r[2],
                    email=r[3],
                    entity_id=entities[r[4]],
                    department_id=departments[r[5]],
                    hired_on=_date(r[6]),  # type: ignore[misc]  # every row has one
                    left_on=_date(r[7]),
                    is_manager=r[8] == "oui",
                    gender=r[9],
                    is_executive=r[10] == "Cadre",
                )
            )
            if len(batch) == BATCH:
                with transaction.atomic():
                    Employee.objects.bulk_create(batch)
                batch = []
        with transaction.atomic():
            Employee.objects.bulk_create(batch)
    return time.perf_counter() - started


def _empty_roster() -> None:
    from django.db import connection

    from organization.models import Department, Employee

    with connection.cursor() as cursor:
        for model in (Employee, Department, Employee.history.model, Department.history.model):
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")


def run(size: str, context: Context) -> None:
    from organization.models import Employee, LegalEntity

    rows, repeats = SIZES[size], REPEATS[size]
    path = context.workdir / "roster.csv"
    write_roster(path, rows)
    print(
        f"rows: {rows:,} ({path.stat().st_size / 1e6:.1f} MB CSV, `;`, UTF-8 BOM, French headers); "
        f"best of {repeats} runs"
    )
    for code in ENTITIES:
        LegalEntity.objects.get_or_create(code=code, defaults={"name": code})

    bare, first, again = [], [], []
    for _attempt in range(repeats):
        _empty_roster()
        bare.append(bare_load(path))
        assert Employee.objects.count() == rows
        _empty_roster()
        first.append(import_in_child("roster", path, context))
        history_after_first = Employee.history.count()
        again.append(import_in_child("roster", path, context))
        history_after_again = Employee.history.count()
        assert first[-1]["created"] == rows and first[-1]["rejected"] == 0, first[-1]
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
    full_ratio = first_s / bare_s
    speedup = first_s / again_s
    peak = max(r["peak_mb"] for r in first + again)  # as each import process measured itself
    print(f"  full / bare        = {full_ratio:5.2f}x   (target ≤ 3x)   {verdict(full_ratio <= 3)}")
    print(f"  first / re-import  = {speedup:5.2f}x   (target ≥ 5x)   {verdict(speedup >= 5)}")
    print(
        f"  peak memory        = {peak:5.0f} MB  (target < 500 MB; the import process before importing:"
        f" {first[0]['baseline_mb']:.0f} MB)   {verdict(peak < 500)}"
    )
    print(
        f"  history rows: {history_after_first:,} after the first import, {history_after_again:,} after the re-import"
    )
    if size != "full":
        print("  (the targets are for --size full: at this size the fixed costs of a run dominate)")
