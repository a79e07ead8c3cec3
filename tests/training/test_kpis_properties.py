"""training/kpis.py against an independent computation written from the words of docs/rules.md.

The reference below loops over employees and records held in memory (never the database, never kpis.py,
never dateutil): hypothesis generates small worlds with dates clustered around the boundaries (hiring,
contract end, deployment, the renewal expiry, midnight in Paris), writes them to the database and compares
every figure. Each example runs in a savepoint that is rolled back, so examples do not see each other.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings, strategies as st

from organization.models import Department, Employee, LegalEntity
from training import kpis
from training.models import Attendance, Completion, Module, Session

PARIS = ZoneInfo("Europe/Paris")
UTC = dt.UTC
ENTITIES = ("PA", "PB")
DEPARTMENTS = ("Alpha", "Beta")
KINDS = ("e_learning", "in_person", "virtual")


# -- the reference: docs/rules.md, "Training" and the "Indicator methods" table ----------------------------------
def months_before(day: dt.date, months: int) -> dt.date:
    """`day` minus `months` calendar months, the day clamped to the end of a shorter month."""
    index = day.year * 12 + (day.month - 1) - months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def paris_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(PARIS).date()


@dataclass
class Mod:
    code: str
    kind: str
    audience: str
    deployed_on: dt.date
    renewal_months: int | None
    min_minutes: int | None
    expected_minutes: int | None
    entities: tuple[str, ...]
    departments: tuple[str, ...]

    @property
    def has_sessions(self) -> bool:
        return self.kind != "e_learning"

    def qualifies(self, minutes: int) -> bool:
        """docs/rules.md: attended for more than the minimum (more than 45 minutes: 45 do not count); without
        a minimum, any attendance (zero minutes is not attending)."""
        return minutes > (self.min_minutes or 0)

    def counts_at(self, day_done: dt.date, day: dt.date) -> bool:
        """Done between deployment and `day`, and less than the renewal period before `day`."""
        if not self.deployed_on <= day_done <= day:
            return False
        return self.renewal_months is None or day_done > months_before(day, self.renewal_months)


@dataclass
class Emp:
    key: str
    hired_on: dt.date
    left_on: dt.date | None
    entity: str
    department: str | None
    is_manager: bool
    gender: str

    def present_at(self, day: dt.date) -> bool:
        return self.hired_on <= day and (self.left_on is None or self.left_on >= day)


@dataclass
class Done:  # a completion
    employee: int
    module: int
    completed_at: dt.datetime
    duration: int | None
    anomaly: str


@dataclass
class Sess:
    module: int
    held_on: dt.date
    attendances: dict[int, int]  # employee index -> minutes attended


@dataclass
class World:
    modules: list[Mod]
    employees: list[Emp]
    completions: list[Done]
    sessions: list[Sess]


class Reference:
    def __init__(self, world: World) -> None:
        self.w = world

    def in_audience(self, e: Emp, m: Mod) -> bool:
        if m.audience == "managers" and not e.is_manager:
            return False
        if m.entities and e.entity not in m.entities:
            return False
        return not (m.departments and e.department not in m.departments)

    @staticmethod
    def in_scope(e: Emp, entities: tuple[str, ...], departments: tuple[str, ...]) -> bool:
        return (not entities or e.entity in entities) and (not departments or e.department in departments)

    def training_days(self, i: int, mi: int, day: dt.date) -> list[dt.date]:
        """The days of employee i's completions and qualifying attendances of module mi that count at `day`."""
        m = self.w.modules[mi]
        days = [
            paris_day(c.completed_at)
            for c in self.w.completions
            if c.employee == i and c.module == mi and not c.anomaly
        ]
        if m.has_sessions:
            days += [s.held_on for s in self.w.sessions if s.module == mi and m.qualifies(s.attendances.get(i, 0))]
        return [d for d in days if m.counts_at(d, day)]

    def counted_completions(self, mi: int, day: dt.date) -> set[int]:
        """Indexes of the completions of module mi that count at `day` (any employee)."""
        m = self.w.modules[mi]
        return {
            n
            for n, c in enumerate(self.w.completions)
            if c.module == mi and not c.anomaly and m.counts_at(paris_day(c.completed_at), day)
        }

    def qualifying_attendances(self, mi: int, day: dt.date) -> set[tuple[int, int]]:
        """(session index, employee index) of the attendances of module mi that count at `day`."""
        m = self.w.modules[mi]
        return {
            (n, i)
            for n, s in enumerate(self.w.sessions)
            if s.module == mi and m.counts_at(s.held_on, day)
            for i, minutes in s.attendances.items()
            if m.qualifies(minutes)
        }

    def population(self, mi: int, day: dt.date, entities=(), departments=()) -> list[int]:
        m = self.w.modules[mi]
        return [
            i
            for i, e in enumerate(self.w.employees)
            if e.present_at(day) and self.in_scope(e, entities, departments) and self.in_audience(e, m)
        ]

    def rate(self, mi, day, entities=(), departments=()) -> tuple[set[int], set[int]]:
        """(trained, denominator) as sets of employee indexes."""
        denominator = set(self.population(mi, day, entities, departments))
        return {i for i in denominator if self.training_days(i, mi, day)}, denominator

    def breakdown(self, mi, day, by, entities=(), departments=()) -> dict:
        trained, denominator = self.rate(mi, day, entities, departments)
        groups: dict = defaultdict(lambda: [0, 0])
        for i in denominator:
            e = self.w.employees[i]
            key = {"entity": e.entity, "department": e.department, "manager": e.is_manager, "gender": e.gender}[by]
            groups[key][1] += 1
            groups[key][0] += i in trained
        return {key: tuple(value) for key, value in groups.items()}

    def renewals_due(self, mi, within_days, today, entities=(), departments=()) -> dict[int, dt.date]:
        """Trained today, and the last training that counts today no longer counts at today + N."""
        m = self.w.modules[mi]
        if m.renewal_months is None:
            return {}
        horizon = today + dt.timedelta(days=within_days)
        due = {}
        for i in self.population(mi, today, entities, departments):
            days = self.training_days(i, mi, today)
            if days and not m.counts_at(max(days), horizon):
                due[i] = max(days)
        return due

    # yearly figures: "in Y" is a Paris day between Y-01-01 and Y-12-31
    def _counted_completions_in(self, year):
        for c in self.w.completions:
            day = paris_day(c.completed_at)
            if not c.anomaly and day.year == year and day >= self.w.modules[c.module].deployed_on:
                yield c

    def trained_in(self, year) -> set[int]:
        people = {c.employee for c in self._counted_completions_in(year)}
        for s in self.w.sessions:
            m = self.w.modules[s.module]
            if s.held_on.year == year and s.held_on >= m.deployed_on:
                people |= {i for i, minutes in s.attendances.items() if m.qualifies(minutes)}
        return people

    def trained_at_least_once(self, year, entities=()) -> tuple[int, int]:
        present = {
            i
            for i, e in enumerate(self.w.employees)
            if e.present_at(dt.date(year, 12, 31)) and self.in_scope(e, entities, ())
        }
        return len(present & self.trained_in(year)), len(present)

    def women_share(self, year, entities=()) -> tuple[int, int]:
        people = [i for i in self.trained_in(year) if self.in_scope(self.w.employees[i], entities, ())]
        return sum(self.w.employees[i].gender == "F" for i in people), len(people)

    def training_minutes(self, year, entities=()) -> dict[str, int]:
        minutes = dict.fromkeys(KINDS, 0)
        for c in self._counted_completions_in(year):
            if self.in_scope(self.w.employees[c.employee], entities, ()):
                m = self.w.modules[c.module]
                minutes[m.kind] += c.duration if c.duration is not None else (m.expected_minutes or 0)
        for s in self.w.sessions:
            if s.held_on.year == year:
                for i, attended in s.attendances.items():
                    if self.in_scope(self.w.employees[i], entities, ()):
                        minutes[self.w.modules[s.module].kind] += attended
        return minutes

    def workshop_trained(self, mi, year, entities=()) -> set[int]:
        m = self.w.modules[mi]
        return {
            i
            for s in self.w.sessions
            if s.module == mi and s.held_on.year == year and s.held_on >= m.deployed_on
            for i, minutes in s.attendances.items()
            if m.qualifies(minutes) and self.in_scope(self.w.employees[i], entities, ())
        }


# -- the generated worlds: small, with dates around the boundaries ---------------------------------------------
REFERENCE_DAYS = [
    dt.date(2023, 12, 31),
    dt.date(2024, 2, 29),
    dt.date(2024, 3, 31),
    dt.date(2023, 3, 1),
    dt.date(2023, 6, 30),
    dt.date(2022, 12, 31),
    dt.date(2024, 1, 1),
]
DEPLOYMENTS = [dt.date(2022, 1, 1), dt.date(2022, 4, 11), dt.date(2023, 1, 1)]
RENEWALS = [1, 12, 24]
WITHIN = [0, 1, 30, 365]
# Paris clock times, and UTC instants late in the evening (on the next Paris day from 22:00 or 23:00 UTC).
PARIS_TIMES = [dt.time(0, 0), dt.time(0, 30), dt.time(10, 0), dt.time(23, 30), dt.time(23, 59)]
UTC_TIMES = [dt.time(21, 30), dt.time(22, 30), dt.time(23, 30)]


@dataclass
class Case:
    world: World
    day: dt.date  # the reference day D (also "today" of renewals_due)
    within: int  # the renewals_due horizon most of the dates are drawn around, in days
    year: int  # the year of the yearly figures


@st.composite
def cases(draw) -> Case:
    day = draw(st.one_of(st.sampled_from(REFERENCE_DAYS), st.dates(dt.date(2022, 6, 1), dt.date(2024, 6, 30))))
    within = draw(st.sampled_from(WITHIN))
    year = draw(st.sampled_from([2022, 2023, 2024]))
    horizon = day + dt.timedelta(days=within)

    modules = []
    for n in range(draw(st.integers(1, 2))):
        kind = draw(st.sampled_from(KINDS))
        modules.append(
            Mod(
                code=f"H-{n}",
                kind=kind,
                audience=draw(st.sampled_from(["all_staff", "all_staff", "managers"])),
                deployed_on=draw(st.sampled_from(DEPLOYMENTS)),
                renewal_months=draw(st.sampled_from([None, *RENEWALS])),
                min_minutes=draw(st.sampled_from([None, 45])) if kind != "e_learning" else None,
                expected_minutes=draw(st.sampled_from([None, 30])),
                entities=draw(st.sampled_from([(), (), ("PA",)])),
                departments=draw(st.sampled_from([(), (), ("Beta",)])),
            )
        )
    # Every boundary of the rules for these modules: D, each deployment day, D − R months (the renewal
    # expiry, also seen from the renewal horizon), the year's first and last days.
    anchors = sorted(
        {
            day,
            *(m.deployed_on for m in modules),
            dt.date(year, 1, 1),
            dt.date(year, 12, 31),
            *(months_before(d, m.renewal_months) for d in (day, horizon) for m in modules if m.renewal_months),
        }
    )
    days = st.one_of(
        st.builds(lambda a, o: a + dt.timedelta(days=o), st.sampled_from(anchors), st.sampled_from([-1, 0, 0, 1])),
        st.builds(lambda a, o: a + dt.timedelta(days=o), st.sampled_from(anchors), st.sampled_from([-1, 0, 0, 1])),
        st.dates(dt.date(2021, 6, 1), dt.date(2024, 6, 30)),
    )
    moments = st.one_of(
        st.builds(lambda d, t: dt.datetime.combine(d, t, tzinfo=PARIS), days, st.sampled_from(PARIS_TIMES)),
        st.builds(lambda d, t: dt.datetime.combine(d, t, tzinfo=UTC), days, st.sampled_from(UTC_TIMES)),
    )

    employees = []
    for n in range(draw(st.integers(3, 25))):
        hired = draw(st.sampled_from([dt.date(2021, 1, 4), dt.date(2021, 1, 4), None]))  # mostly present
        hired = hired or draw(days)
        left = draw(st.sampled_from([False, False, True])) and max(draw(days), hired) or None
        employees.append(
            Emp(
                key=f"H{n:03d}",
                hired_on=hired,
                left_on=left,
                entity=draw(st.sampled_from(ENTITIES)),
                department=draw(st.sampled_from([*DEPARTMENTS, None])),
                is_manager=draw(st.booleans()),
                gender=draw(st.sampled_from(["F", "F", "M", "X", ""])),
            )
        )
    seen, completions = set(), []
    for _ in range(draw(st.integers(5, 40))):
        c = Done(
            employee=draw(st.integers(0, len(employees) - 1)),
            module=draw(st.integers(0, len(modules) - 1)),
            completed_at=draw(moments),
            duration=draw(st.sampled_from([None, 20, 45, 61])),
            anomaly=draw(st.sampled_from(["", "", "", "", "", "", "future", "before_deployment"])),
        )
        if (identity := (c.employee, c.module, c.completed_at)) not in seen:
            seen.add(identity)
            completions.append(c)
    workshops = [n for n, m in enumerate(modules) if m.has_sessions]
    sessions = []
    if workshops:
        for _ in range(draw(st.integers(1, 4))):
            module = draw(st.sampled_from(workshops))
            least = modules[module].min_minutes or 0
            deployed = modules[module].deployed_on
            around_deployment = st.sampled_from([deployed - dt.timedelta(days=1), deployed])
            sessions.append(
                Sess(
                    module=module,
                    held_on=draw(st.one_of(days, around_deployment)),
                    attendances=draw(
                        st.dictionaries(
                            st.integers(0, len(employees) - 1),
                            st.sampled_from([0, max(least - 1, 1), least, least + 1, 90]),
                            max_size=8,
                        )
                    ),
                )
            )
    return Case(World(modules, employees, completions, sessions), day, within, year)


def store(world: World) -> tuple[list[Module], list[Employee], list[Completion], list[Session]]:
    entities = {code: LegalEntity.objects.get_or_create(code=code, defaults={"name": code})[0] for code in ENTITIES}
    departments = {name: Department.objects.get_or_create(name=name)[0] for name in DEPARTMENTS}
    modules = []
    for m in world.modules:
        module = Module.objects.create(
            code=m.code,
            title=m.code,
            kind=m.kind,
            audience=m.audience,
            deployed_on=m.deployed_on,
            renewal_months=m.renewal_months,
            min_attendance_minutes=m.min_minutes,
            expected_minutes=m.expected_minutes,
        )
        module.audience_entities.set([entities[code] for code in m.entities])
        module.audience_departments.set([departments[name] for name in m.departments])
        modules.append(module)
    employees = Employee.objects.bulk_create(
        [
            Employee(
                employee_id=e.key,
                entity=entities[e.entity],
                department=departments[e.department] if e.department is not None else None,
                hired_on=e.hired_on,
                left_on=e.left_on,
                is_manager=e.is_manager,
                gender=e.gender,
            )
            for e in world.employees
        ]
    )
    completions = []
    for c in world.completions:  # Completion.save derives completed_on (the Paris day): not written here
        completion = Completion(
            employee=employees[c.employee],
            module=modules[c.module],
            completed_at=c.completed_at,
            duration_minutes=c.duration,
            anomaly=c.anomaly,
        )
        completion.save()
        completions.append(completion)
    sessions = Session.objects.bulk_create(
        [
            Session(reference=f"H-SES-{n}", module=modules[s.module], held_on=s.held_on, duration_minutes=90)
            for n, s in enumerate(world.sessions)
        ]
    )
    Attendance.objects.bulk_create(
        [
            Attendance(session=session, employee=employees[i], minutes_attended=minutes)
            for session, s in zip(sessions, world.sessions, strict=True)
            for i, minutes in s.attendances.items()
        ]
    )
    return modules, employees, completions, sessions


scopes = st.sampled_from([((), ()), (("PA",), ()), ((), ("Alpha",)), (("PB",), ("Beta",)), (("PA", "PB"), ())])


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=cases(), scope=scopes)
def test_kpis_agree_with_the_reference(case, scope):
    world, day, within, year = case.world, case.day, case.within, case.year
    ref = Reference(world)
    entities, departments = scope
    with transaction.atomic():
        modules, employees, completions, sessions = store(world)
        pk = {e.pk: i for i, e in enumerate(employees)}
        completion_index = {c.pk: n for n, c in enumerate(completions)}
        session_index = {s.pk: n for n, s in enumerate(sessions)}
        kscope = kpis.Scope.of(entities=entities, departments=[Department.objects.get(name=d) for d in departments])
        by_entities = kpis.Scope.of(entities=entities)

        for mi, module in enumerate(modules):
            counted = kpis.counted_completions(module, day).values_list("pk", flat=True)
            assert {completion_index[c] for c in counted} == ref.counted_completions(mi, day)
            attended = kpis.qualifying_attendances(module, day).values_list("session", "employee")
            assert {(session_index[s], pk[e]) for s, e in attended} == ref.qualifying_attendances(mi, day)

            trained, denominator = ref.rate(mi, day, entities, departments)
            rate = kpis.completion_rate(module, day, kscope)
            assert (rate.numerator, rate.denominator) == (len(trained), len(denominator)), module.code
            assert {pk[e.pk] for e in kpis.trained(module, day, kscope)} == trained
            assert {pk[e.pk] for e in kpis.not_trained(module, day, kscope)} == denominator - trained
            assert {pk[i] for i in kpis.completion_figure(module, day, kscope).record_ids} == denominator
            whole = kpis.completion_rate(module, day)
            assert (whole.numerator, whole.denominator) == tuple(map(len, ref.rate(mi, day)))

            # The trend (one query for a module never renewed): each month end is the reference rate.
            for point in kpis.monthly_trend(module, day, months=4, scope=kscope):
                expected = ref.rate(mi, point.day, entities, departments)
                assert (point.numerator, point.denominator) == tuple(map(len, expected)), (module.code, point.day)

            for by in kpis.BREAKDOWNS:
                rows = kpis.breakdown(module, day, by, kscope)
                assert {r.key: (r.numerator, r.denominator) for r in rows} == ref.breakdown(
                    mi, day, by, entities, departments
                ), by

            for horizon in sorted({within, *WITHIN}):
                due = kpis.renewals_due(module, horizon, day, kscope)
                assert {pk[e.pk]: e.last_trained_on for e in due} == ref.renewals_due(
                    mi, horizon, day, entities, departments
                ), horizon

            if module.has_sessions:
                for any_year in (2022, 2023, 2024):
                    figure = kpis.workshop_trained(module, any_year, by_entities)
                    assert {pk[i] for i in figure.record_ids} == ref.workshop_trained(mi, any_year, entities)

        once = kpis.trained_at_least_once(year, by_entities)
        assert (once.numerator, once.denominator) == ref.trained_at_least_once(year, entities)
        share = kpis.women_share_of_trainees(year, by_entities)
        assert (share.numerator, share.denominator) == ref.women_share(year, entities)
        assert {pk[e.pk] for e in kpis.trainees(year)} == ref.trained_in(year)
        assert kpis.training_hours(year, by_entities).minutes == ref.training_minutes(year, entities)
        transaction.set_rollback(True)


# -- valid_until and renewal_cutoff --------------------------------------------------------------------------
def renewable(months: int) -> Module:
    return Module(code="P", kind="e_learning", deployed_on=dt.date(2000, 1, 1), renewal_months=months)


any_day = st.dates(dt.date(2019, 1, 1), dt.date(2031, 12, 31))
periods = st.sampled_from([1, 2, 6, 11, 12, 13, 24, 36])


@settings(max_examples=300, deadline=None)
@given(completed_on=any_day, months=periods, shift=st.integers(-40, 40))
def test_counted_at_d_iff_d_is_at_most_valid_until(completed_on, months, shift):
    module = renewable(months)
    last = kpis.valid_until(module, completed_on)
    # Around the expiry and around the completion: counted at D (D on or after the completion) exactly
    # when the completion is strictly after the cutoff of D, exactly when D <= valid_until.
    for day in (last + dt.timedelta(days=shift), completed_on + dt.timedelta(days=abs(shift))):
        counted = completed_on > kpis.renewal_cutoff(module, day)
        assert counted == (day <= last)
        assert counted == (completed_on > months_before(day, months))


@settings(max_examples=300, deadline=None)
@given(day=any_day, months=periods)
def test_renewal_cutoff_is_d_minus_the_period_clamped(day, months):
    assert kpis.renewal_cutoff(renewable(months), day) == months_before(day, months)


@settings(max_examples=300, deadline=None)
@given(first=any_day, second=any_day, months=periods)
def test_valid_until_is_monotonic_and_within_the_period(first, second, months):
    module = renewable(months)
    early, late = sorted((first, second))
    assert kpis.valid_until(module, early) <= kpis.valid_until(module, late)
    last = kpis.valid_until(module, first)
    assert months_before(last, months) < first <= months_before(last + dt.timedelta(days=1), months)
    # In closed form: the day before "first + R months", or that day itself when it was clamped to a
    # month end (31 January + 1 month = 28 February: the completion counts on 28 February).
    later = months_before(first, -months)
    assert last == (later if later.day != first.day else later - dt.timedelta(days=1))


@pytest.mark.django_db
@settings(max_examples=25, deadline=None)
@given(
    completed_on=st.dates(dt.date(2020, 1, 1), dt.date(2025, 12, 31)),
    months=periods,
    shift=st.sampled_from([-1, 0, 1, 2]),
)
def test_the_database_agrees_with_valid_until(completed_on, months, shift):
    with transaction.atomic():
        module = Module.objects.create(
            code="P-DB", title="P", kind="e_learning", deployed_on=dt.date(2019, 1, 1), renewal_months=months
        )
        entity = LegalEntity.objects.create(code="P-E", name="P")
        employee = Employee.objects.create(employee_id="P-1", entity=entity, hired_on=dt.date(2019, 1, 1))
        Completion.objects.create(
            employee=employee, module=module, completed_at=dt.datetime.combine(completed_on, dt.time(12), tzinfo=PARIS)
        )
        day = kpis.valid_until(module, completed_on) + dt.timedelta(days=shift)
        assert kpis.completion_rate(module, day).numerator == (shift <= 0)
        transaction.set_rollback(True)
