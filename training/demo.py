"""The training demo data, on the organization demo roster, such that the real computation (training.kpis)
gives the reference DPEF's 2023 figures (2022 in brackets):

- completion rates at 31/12: AML/CFT 89% (84%), ethics 2,416 / 2,639 = 92% (93%), GDPR 91% (92%),
  cybersecurity 92% (93%), CSR 78%, disability 87% with 2,225 trained;
- 97% of the staff present at 31/12 trained at least once in the year (94%);
- 39,797 training hours: 14,327 e-learning, 3,682 virtual classroom, 21,788 in-person;
- 626 employees at the ethics workshop for more than 45 minutes (and a few who left at or before 45 minutes,
  one of them at exactly 45: not counted),
  2,619 at the fraud workshop, 62 managers over 11 disability workshops; 4 phishing campaigns;
- about 80% women among the trainees (the roster's share).

The disability module's two published figures disagree (2,225 trained is 84% of the 2,639 present, not
87%). Modelled honestly: its audience leaves out the subsidiary in liquidation (MNV, 73 staff at
31/12/2023), so its denominator is 2,566 and 2,225 / 2,566 = 86.7%; the module's description says so.

Completions and attendances enter through the real imports (`completions`, `attendances`): a generated
LMS export (with a few bad lines, rejected, and flagged lines: before deployment, a mistyped future year)
and attendance sheets. Seeded and idempotent: a second run finds everything unchanged.
"""

from __future__ import annotations

import datetime as dt
import random
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from core.imports import run_import
from core.imports.readers import file_sha256
from core.models import ImportRun
from core.spreadsheets import FRENCH, CsvWriter
from organization.models import Employee, LegalEntity

from . import figures, services
from .choices import ModuleKind
from .models import Module, PhishingCampaign, Session
from .reference import ensure_reference_modules

SEED = 2024
PARIS = timezone.get_default_timezone()
END = {2022: dt.date(2022, 12, 31), 2023: dt.date(2023, 12, 31)}
#: Nothing in the demo is dated after this day (renewals of 2024-2026 included).
LAST_DAY = dt.date(2026, 11, 15)

# code → {year: trained at 31/12 of that year}; the denominators come from the roster.
TARGETS = {
    "LCBFT": {2022: 2245, 2023: 2350},  # 84.05% of 2,671 ; 89.05% of 2,639
    "DEONTO": {2022: 2485, 2023: 2416},  # 93.04% ; 91.55% (the published 2,416 / 2,639)
    "RGPD": {2022: 2458, 2023: 2403},  # 92.03% ; 91.06%
    "CYBER": {2022: 2485, 2023: 2430},  # 93.04% ; 92.08%
    "HANDICAP": {2022: 1250, 2023: 2225},  # 47.9% of 2,607 ; 86.71% of 2,566 (MNV left out)
    "RSE": {2023: 2060},  # 78.06%
}
#: Present at 31/12 with no training at all in the year: 2,671 − 2,512 (94.05%) and 2,639 − 2,560 (97.01%).
UNTRAINED_IN_YEAR = {2022: 159, 2023: 79}
DURATIONS = {
    "LCBFT": (40, 75),
    "DEONTO": (30, 60),
    "RGPD": (30, 50),
    "CYBER": (30, 50),
    "HANDICAP": (20, 40),
    "RSE": (20, 40),
}
HANDICAP_ENTITIES = ("ALS", "ONV", "SOLENDI", "ASTRIA")

# Hours of 2023 by kind (minutes), reached exactly by the catalogue trainings below.
MINUTES_2023 = {ModuleKind.E_LEARNING: 14_327 * 60, ModuleKind.VIRTUAL: 3_682 * 60, ModuleKind.IN_PERSON: 21_788 * 60}
WORKSHOPS_2023 = {
    # code: (qualifying attendees, sessions, duration, non-qualifying attendees)
    "ATELIER-DEONTO": (626, 40, 90, 24),
    "ATELIER-FRAUDE": (2619, 120, 120, 0),
    "ATELIER-HANDICAP": (62, 11, 210, 0),
}
CATALOGUE = (
    # code, title, kind, expected minutes
    ("METIERS-EL", "Parcours e-learning métiers (catalogue)", ModuleKind.E_LEARNING, 180),
    ("METIERS-PR", "Formations métiers en présentiel", ModuleKind.IN_PERSON, 420),
    ("METIERS-CV", "Classes virtuelles métiers", ModuleKind.VIRTUAL, 180),
)
PHISHING = (
    ("PHI-2022-01", dt.date(2022, 6, 14), "Colis en attente de livraison", 2580, 402, 388),
    ("PHI-2022-02", dt.date(2022, 11, 8), "Mise à jour de la mutuelle", 2610, 365, 455),
    ("PHI-2023-01", dt.date(2023, 2, 21), "Faux message du service paie", 2590, 311, 520),
    ("PHI-2023-02", dt.date(2023, 5, 16), "Partage de document OneDrive", 2602, 287, 604),
    ("PHI-2023-03", dt.date(2023, 9, 12), "Remboursement d'impôts", 2615, 240, 688),
    ("PHI-2023-04", dt.date(2023, 11, 28), "Réinitialisation du mot de passe", 2630, 198, 751),
    ("PHI-2024-01", dt.date(2024, 3, 19), "Invitation Teams d'un partenaire", 2650, 176, 802),
)


@dataclass(frozen=True)
class Person:
    pk: int
    employee_id: str
    entity: str
    hired_on: dt.date
    left_on: dt.date | None
    is_manager: bool

    def present_on(self, day: dt.date) -> bool:
        return self.hired_on <= day and (self.left_on is None or self.left_on >= day)

    def start_in(self, year: int) -> dt.date:
        return max(self.hired_on, dt.date(year, 1, 1))


class Plan:
    """The rows to import: completions (LMS export) and attendances, built in memory."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.completions: list[tuple[str, str, dt.datetime, int]] = []
        self.active: dict[int, set[str]] = defaultdict(set)  # year → employee ids trained that year
        self.minutes: dict[tuple[int, str], int] = defaultdict(int)  # (year, kind) → minutes

    def at(self, day: dt.date) -> dt.datetime:
        return dt.datetime(day.year, day.month, day.day, self.rng.randint(8, 18), self.rng.randrange(60), tzinfo=PARIS)

    def day_between(self, start: dt.date, end: dt.date) -> dt.date:
        return start + dt.timedelta(days=self.rng.randint(0, max((end - start).days, 0)))

    def complete(self, person: Person, module: Module, day: dt.date, minutes: int) -> None:
        self.completions.append((person.employee_id, module.code, self.at(day), minutes))
        if day >= module.deployed_on:
            self.active[day.year].add(person.employee_id)
            self.minutes[(day.year, module.kind)] += minutes


def _people() -> list[Person]:
    rows = Employee.objects.order_by("employee_id").values_list(
        "pk", "employee_id", "entity__code", "hired_on", "left_on", "is_manager"
    )
    return [Person(*row) for row in rows]


def ensure_modules(actor) -> dict[str, Module]:
    """The catalogue modules of the demo, and the disability module's audience (MNV left out)."""
    ensure_reference_modules()  # on a database emptied by `flush`
    for code, title, kind, minutes in CATALOGUE:
        if not Module.objects.filter(code=code).exists():
            services.module_create(
                actor=actor,
                code=code,
                title=title,
                kind=kind,
                mandatory=False,
                deployed_on=dt.date(2019, 1, 1),
                expected_minutes=minutes,
            )
    handicap = Module.objects.get(code="HANDICAP")
    if not handicap.audience_entities.exists():
        services.module_update(
            actor=actor,
            module=handicap,
            audience_entities=LegalEntity.objects.filter(code__in=HANDICAP_ENTITIES),
            description=(
                "Taux de réalisation calculé sur les effectifs d'ALS, ONV, Solendi Expansion et Astria Foncier : "
                "la filiale Ma Nouvelle Ville, en liquidation (73 collaborateurs au 31/12/2023), n'a pas été "
                "inscrite au module."
            ),
        )
    return {module.code: module for module in Module.objects.all()}


def _in_audience(module: Module, person: Person) -> bool:
    if module.code == "HANDICAP":
        return person.entity in HANDICAP_ENTITIES
    return True


def plan_elearning(
    plan: Plan, people: list[Person], modules: dict[str, Module], untrained: dict[int, set[str]]
) -> None:
    rng = plan.rng
    present = {year: [p for p in people if p.present_on(END[year])] for year in END}
    for code, targets in TARGETS.items():
        module = modules[code]
        low, high = DURATIONS[code]
        done: set[str] = set()
        for year in sorted(END):
            audience = [p for p in present[year] if _in_audience(module, p)]
            already = sum(1 for p in audience if p.employee_id in done)
            wanted = targets.get(year)
            if wanted is None:
                continue
            candidates = [p for p in audience if p.employee_id not in done and p.employee_id not in untrained[year]]
            for person in rng.sample(candidates, wanted - already):
                start = max(person.start_in(year), module.deployed_on)
                plan.complete(person, module, plan.day_between(start, END[year]), rng.randint(low, high))
                done.add(person.employee_id)
        if module.renewal_months:
            _plan_renewals(plan, people, module, low, high)


def _plan_renewals(plan: Plan, people: list[Person], module: Module, low: int, high: int) -> None:
    """About 90% renew their training some weeks before it expires (2024-2026)."""
    by_id = {p.employee_id: p for p in people}
    last: dict[str, dt.date] = {}
    for employee_id, code, completed_at, _minutes in plan.completions:
        if code == module.code:
            last[employee_id] = completed_at.date()
    for employee_id in sorted(last):
        person, day = by_id[employee_id], last[employee_id]
        while True:
            day = day + dt.timedelta(days=700 - plan.rng.randint(0, 60))
            if day > LAST_DAY or not person.present_on(day) or plan.rng.random() > 0.9:
                break
            plan.complete(person, module, day, plan.rng.randint(low, high))


def plan_workshops(
    plan: Plan, people: list[Person], modules: dict[str, Module], untrained: set[str]
) -> tuple[list[Session], list[tuple[str, str, int, str]]]:
    """Sessions and attendance sheets of 2023: the three reference workshops, then the catalogue's
    in-person and virtual sessions that bring the year's hours to the published totals."""
    rng = plan.rng
    sessions: list[Session] = []
    sheets: list[tuple[str, str, int, str]] = []  # session reference, employee id, minutes, role
    numbers: dict[int, int] = defaultdict(int)

    def new_session(module: Module, held_on: dt.date, minutes: int, trainer: str, place: str) -> Session:
        numbers[held_on.year] += 1
        session = Session(
            reference=f"SES-{held_on.year}-{numbers[held_on.year]:04d}",
            module=module,
            held_on=held_on,
            duration_minutes=minutes,
            trainer=trainer,
            place=place,
        )
        sessions.append(session)
        return session

    def attend(session: Session, person: Person, minutes: int, role: str = "participant") -> None:
        sheets.append((session.reference, person.employee_id, minutes, role))
        plan.minutes[(session.held_on.year, session.module.kind)] += minutes
        if session.module.attendance_counts(minutes):
            plan.active[session.held_on.year].add(person.employee_id)

    eligible = [
        p
        for p in people
        if p.employee_id not in untrained
        and p.hired_on <= END[2023]
        and (p.left_on is None or p.left_on >= dt.date(2023, 1, 1))
    ]
    places = ("Paris, siège", "Lyon", "Lille", "Marseille", "Bordeaux", "Rennes", "Nantes", "Strasbourg")
    facilitator = next(p for p in eligible if p.present_on(dt.date(2023, 1, 1)) and p.present_on(END[2023]))
    for code, (count, session_count, minutes, short) in WORKSHOPS_2023.items():
        module = modules[code]
        days = sorted(plan.day_between(dt.date(2023, 1, 16), dt.date(2023, 12, 15)) for _ in range(session_count))
        own = [new_session(module, day, minutes, "Direction de la Conformité", rng.choice(places)) for day in days]
        pool = [p for p in eligible if p is not facilitator and (module.audience != "managers" or p.is_manager)]
        rng.shuffle(pool)
        placed = 0
        if code == "ATELIER-DEONTO":  # the facilitator attends every session (counted once)
            for session in own:
                attend(session, facilitator, minutes, "facilitator")
            placed = 1
        leftovers = []
        for person in pool:
            if placed >= count:
                leftovers.append(person)
                continue
            options = [s for s in own if person.present_on(s.held_on)]
            if not options:
                continue
            attend(rng.choice(options), person, minutes - rng.choice((0, 0, 0, 5, 10, 15)), "participant")
            placed += 1
        assert placed == count, f"{code}: placed {placed} of {count}"
        # Left at or before the 45 minutes: on the sheet, not trained by this workshop ("more than 45
        # minutes"); the first of them stayed exactly 45 minutes.
        for n, person in enumerate([p for p in leftovers if any(p.present_on(s.held_on) for s in own)][:short]):
            session = rng.choice([s for s in own if person.present_on(s.held_on)])
            minutes = rng.randint(15, module.attendance_floor)
            attend(session, person, module.attendance_floor if n == 0 else minutes)
    # Catalogue sessions: full days (in-person) and half days (virtual) until the year's minutes.
    for code, kind, minutes, size in (
        ("METIERS-PR", ModuleKind.IN_PERSON, 420, 10),
        ("METIERS-CV", ModuleKind.VIRTUAL, 180, 12),
    ):
        module = modules[code]
        remaining = MINUTES_2023[kind] - plan.minutes[(2023, kind)]
        while remaining > 0:
            session = new_session(
                module,
                plan.day_between(dt.date(2023, 1, 9), dt.date(2023, 12, 20)),
                minutes,
                "Organisme de formation",
                rng.choice(places),
            )
            present = [p for p in eligible if p.present_on(session.held_on)]
            for person in rng.sample(present, size):
                if remaining <= 0:
                    break
                attended = min(minutes, remaining)
                attend(session, person, attended)
                remaining -= attended
    return sessions, sheets


def plan_catalogue_elearning(
    plan: Plan, people: list[Person], modules: dict[str, Module], untrained: dict[int, set[str]]
) -> None:
    """Everyone present at 31/12 but the untrained few has at least one training in the year; then the
    e-learning catalogue brings 2023's e-learning minutes to the published total."""
    rng, module = plan.rng, modules["METIERS-EL"]
    for year in sorted(END):
        for person in people:
            if (
                person.present_on(END[year])
                and person.employee_id not in untrained[year]
                and person.employee_id not in plan.active[year]
            ):
                day = plan.day_between(person.start_in(year), END[year])
                plan.complete(person, module, day, rng.randint(120, 240))
    remaining = MINUTES_2023[ModuleKind.E_LEARNING] - plan.minutes[(2023, ModuleKind.E_LEARNING)]
    assert remaining >= 0, remaining
    learners = [p for p in people if p.present_on(END[2023]) and p.employee_id not in untrained[2023]]
    while remaining > 0:
        minutes = rng.randint(180, 420)
        if remaining - minutes < 60:
            minutes = remaining
        person = rng.choice(learners)
        plan.complete(person, module, plan.day_between(person.start_in(2023), END[2023]), minutes)
        remaining -= minutes


def _write_csv(path: Path, header: list[str], rows: list[list[object]]) -> None:
    """The demo's import files, as Vigie writes every CSV (`;`, UTF-8 with a BOM): as an LMS exports them."""
    with path.open("w", encoding="utf-8-sig", newline="") as stream:
        writer = CsvWriter(stream, FRENCH)  # the French dialect: as a French LMS exports it
        writer.writerow(header)
        writer.writerows(rows)


def _lms_rows(plan: Plan, people: list[Person]) -> list[list[object]]:
    rows = [
        [e, code, at.strftime("%d/%m/%Y %H:%M"), minutes, plan.rng.randint(60, 100)]
        for e, code, at, minutes in sorted(plan.completions, key=lambda c: c[2])
    ]
    veteran = next(p for p in people if p.present_on(dt.date(2022, 1, 1)) and p.present_on(END[2023]))
    # Flagged, kept, never counted: the pilot group before the deployment, a mistyped year.
    rows.append([veteran.employee_id, "DEONTO", "28/03/2022 10:00", 35, 80])
    rows.append([veteran.employee_id, "LCBFT", "14/02/2032 09:30", 50, 90])
    # Rejected with their reasons: an unknown employee, an unknown module, an impossible date, a negative duration.
    rows.append(["E999999", "LCBFT", "05/06/2023 11:00", 45, 75])
    rows.append([veteran.employee_id, "LCB-FT-V2", "05/06/2023 11:00", 45, 75])
    rows.append([veteran.employee_id, "RSE", "31/06/2023 11:00", 30, 70])
    rows.append([veteran.employee_id, "RSE", "03/07/2023 11:00", -30, 70])
    return rows


def load_phishing(actor) -> int:
    existing = set(PhishingCampaign.objects.values_list("reference", flat=True))
    created = 0
    for reference, sent_on, theme, targeted, clicked, reported in PHISHING:
        if reference not in existing:
            services.phishing_campaign_save(
                actor=actor,
                campaign=PhishingCampaign(
                    reference=reference,
                    sent_on=sent_on,
                    theme=theme,
                    targeted=targeted,
                    clicked=clicked,
                    reported=reported,
                ),
            )
            created += 1
    return created


def _import_once(kind: str, path: Path, user) -> ImportRun:
    """Import the generated file unless these very bytes were imported to the end already: the demo
    writes the same files at every `make run`, and each restart must not add a run to the history."""
    done = ImportRun.objects.last_complete(kind, file_sha256(path))
    return done if done is not None else run_import(kind, path, user=user).run


def load(user=None) -> str:
    rng = random.Random(SEED)
    modules = ensure_modules(user)
    people = _people()
    present = {year: [p for p in people if p.present_on(END[year])] for year in END}
    untrained = {year: {p.employee_id for p in rng.sample(present[year], UNTRAINED_IN_YEAR[year])} for year in END}
    plan = Plan(rng)
    plan_elearning(plan, people, modules, untrained)
    sessions, sheets = plan_workshops(plan, people, modules, untrained[2023])
    plan_catalogue_elearning(plan, people, modules, untrained)

    existing = set(Session.objects.values_list("reference", flat=True))
    new_sessions = [s for s in sessions if s.reference not in existing]
    bulk_create_with_history(
        new_sessions, Session, batch_size=500, default_user=user, default_change_reason="demo data"
    )
    with tempfile.TemporaryDirectory(prefix="vigie-demo-") as folder:
        lms = Path(folder) / "export-lms-2022-2026.csv"
        _write_csv(
            lms, ["employee_id", "module_code", "completed_at", "duration_minutes", "score"], _lms_rows(plan, people)
        )
        completions = _import_once("completions", lms, user)
        attendance = Path(folder) / "feuilles-emargement-2023.csv"
        _write_csv(
            attendance, ["session_reference", "employee_id", "minutes_attended", "role"], [list(row) for row in sheets]
        )
        attendances = _import_once("attendances", attendance, user)
    campaigns = load_phishing(user)
    # The module pages and the dashboard read the figures the nightly task stores: computed now, so that
    # a fresh demo shows them.
    figures.compute_all()
    return (
        f"training: {len(new_sessions)} sessions, completions import run {completions.pk} "
        f"({completions.created} created, {completions.rejected} rejected), attendances import run "
        f"{attendances.pk} ({attendances.created} created), {campaigns} phishing campaigns"
    )
