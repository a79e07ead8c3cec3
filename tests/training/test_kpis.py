"""The completion rate at its boundaries, exactly as docs/rules.md "Training" words it, and the other figures.

Rate of module M at day D = employees present at D, in scope and in M's audience, who completed M between
its deployment day and D (both included; for a renewable module, less than its renewal period before D)
÷ employees present at D, in scope and in M's audience. Present at D: hired on or before D, and no
contract end or one on or after D. Days are Paris days.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from tests.factories import DepartmentFactory, EmployeeFactory, LegalEntityFactory, UserFactory
from tests.training.factories import (
    AttendanceFactory,
    CompletionFactory,
    ModuleFactory,
    SessionFactory,
    WorkshopFactory,
    paris,
)
from training import kpis, services
from training.choices import Audience, CompletionAnomaly, ModuleKind
from training.kpis import Scope
from training.models import Module

pytestmark = pytest.mark.django_db

D = dt.date(2023, 12, 31)
DEPLOYED = dt.date(2022, 4, 11)
UTC = dt.UTC


@pytest.fixture
def module():
    return ModuleFactory(code="T-RATE", deployed_on=DEPLOYED)


def parts(module, day=D, scope=kpis.ALL) -> tuple[int, int]:
    rate = kpis.completion_rate(module, day, scope)
    return rate.numerator, rate.denominator


# -- present at D ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("hired_on", "left_on", "counted"),
    [
        (D, None, True),  # hired on D
        (D + dt.timedelta(days=1), None, False),  # hired the day after
        (dt.date(2020, 1, 1), D, True),  # last day of contract is D
        (dt.date(2020, 1, 1), D - dt.timedelta(days=1), False),  # left the day before
        (D, D, True),  # a one-day contract on D
        (dt.date(2020, 1, 1), D + dt.timedelta(days=1), True),
    ],
)
def test_presence_at_d_decides_the_denominator(module, hired_on, left_on, counted):
    trained = EmployeeFactory(hired_on=hired_on, left_on=left_on)
    CompletionFactory(employee=trained, module=module, completed_at=paris(dt.date(2023, 1, 5)))
    untrained = EmployeeFactory(hired_on=hired_on, left_on=left_on)
    assert parts(module) == ((1, 2) if counted else (0, 0))
    assert kpis.completion_rate(module, D).value == (50 if counted else None)
    assert set(kpis.not_trained(module, D)) == ({untrained} if counted else set())


def test_a_person_hired_on_d_who_completed_on_d_is_trained(module):
    employee = EmployeeFactory(hired_on=D)
    CompletionFactory(employee=employee, module=module, completed_at=paris(D, 9))
    assert parts(module) == (1, 1)
    assert parts(module, D - dt.timedelta(days=1)) == (0, 0)


# -- completed on D: the Paris day ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("completed_at", "counted"),
    [
        (paris(D, 10), True),
        (paris(D, 0), True),
        (dt.datetime(2023, 12, 31, 22, 30, tzinfo=UTC), True),  # 23:30 in Paris on D (winter: UTC+1)
        (dt.datetime(2023, 12, 31, 23, 30, tzinfo=UTC), False),  # 00:30 in Paris on D+1, still D in UTC
        (paris(D + dt.timedelta(days=1), 0), False),
    ],
)
def test_completed_on_d_counts_by_the_paris_day(module, completed_at, counted):
    employee = EmployeeFactory()
    completion = CompletionFactory(employee=employee, module=module, completed_at=completed_at)
    assert completion.completed_on == (D if counted else D + dt.timedelta(days=1))
    assert parts(module) == (int(counted), 1)
    assert parts(module, D + dt.timedelta(days=1)) == (1, 1)


@pytest.mark.parametrize(
    ("completed_at", "counted"),
    [
        (dt.datetime(2023, 6, 30, 21, 30, tzinfo=UTC), True),  # 23:30 in Paris (summer: UTC+2)
        (dt.datetime(2023, 6, 30, 22, 30, tzinfo=UTC), False),  # 00:30 in Paris on 1 July
    ],
)
def test_the_paris_day_in_summer_time(module, completed_at, counted):
    CompletionFactory(employee=EmployeeFactory(), module=module, completed_at=completed_at)
    assert parts(module, dt.date(2023, 6, 30)) == (int(counted), 1)


# -- deployment day ------------------------------------------------------------------------------------
def test_a_completion_on_the_deployment_day_counts_the_day_before_does_not(module):
    on_day, before = EmployeeFactory(), EmployeeFactory()
    CompletionFactory(employee=on_day, module=module, completed_at=paris(DEPLOYED, 8))
    # Unflagged (typed straight into the table): still not counted, by its date.
    CompletionFactory(employee=before, module=module, completed_at=paris(DEPLOYED - dt.timedelta(days=1), 18))
    assert parts(module) == (1, 2)
    assert parts(module, DEPLOYED) == (1, 2)
    assert set(kpis.trained(module, D)) == {on_day}
    assert set(kpis.not_trained(module, D)) == {before}


@time_machine.travel(dt.datetime(2024, 1, 15, 12, tzinfo=UTC), tick=False)
def test_completion_record_flags_the_day_before_deployment_and_it_never_counts(module):
    actor = UserFactory()
    before, on_day = EmployeeFactory(), EmployeeFactory()
    flagged = services.completion_record(
        actor=actor, employee=before, module=module, completed_at=paris(DEPLOYED - dt.timedelta(days=1), 23)
    )
    counted = services.completion_record(actor=actor, employee=on_day, module=module, completed_at=paris(DEPLOYED, 0))
    assert flagged.anomaly == CompletionAnomaly.BEFORE_DEPLOYMENT
    assert counted.anomaly == ""
    assert parts(module) == (1, 2)


# -- renewal ---------------------------------------------------------------------------------------------
@pytest.fixture
def renewable():
    return ModuleFactory(code="T-RENEW", deployed_on=dt.date(2020, 1, 1), renewal_months=24)


@pytest.mark.parametrize(
    ("day", "completed_on", "counted"),
    [
        (D, dt.date(2021, 12, 31), False),  # exactly 24 months before D: expired
        (D, dt.date(2022, 1, 1), True),  # one day later: counts
        (dt.date(2024, 2, 29), dt.date(2022, 2, 28), False),  # D − 24 months is clamped to 28 February
        (dt.date(2024, 2, 29), dt.date(2022, 3, 1), True),
        (dt.date(2024, 2, 28), dt.date(2022, 2, 28), False),
        (dt.date(2024, 2, 27), dt.date(2022, 2, 28), True),
        (dt.date(2026, 2, 28), dt.date(2024, 2, 29), True),  # 2026-02-28 − 24 months = 2024-02-28 < 29
        (dt.date(2026, 3, 1), dt.date(2024, 2, 29), False),
        (dt.date(2024, 3, 31), dt.date(2022, 3, 31), False),
        (dt.date(2024, 3, 30), dt.date(2022, 3, 31), True),
    ],
)
def test_renewal_expiry(renewable, day, completed_on, counted):
    CompletionFactory(employee=EmployeeFactory(), module=renewable, completed_at=paris(completed_on, 12))
    assert parts(renewable, day) == (int(counted), 1)
    assert (day <= kpis.valid_until(renewable, completed_on)) is counted


def test_a_later_completion_renews_and_an_expired_one_is_the_last_day_shown(renewable):
    employee = EmployeeFactory()
    CompletionFactory(employee=employee, module=renewable, completed_at=paris(dt.date(2020, 6, 1)))
    assert parts(renewable, dt.date(2022, 6, 1)) == (0, 1)
    assert kpis.not_trained(renewable, dt.date(2022, 6, 1)).get().last_completed_on == dt.date(2020, 6, 1)
    CompletionFactory(employee=employee, module=renewable, completed_at=paris(dt.date(2022, 5, 20)))
    assert parts(renewable, dt.date(2022, 6, 1)) == (1, 1)
    assert parts(renewable, dt.date(2024, 5, 19)) == (1, 1)
    assert parts(renewable, dt.date(2024, 5, 20)) == (0, 1)


def test_month_end_clamping_of_a_one_month_renewal():
    module = ModuleFactory(code="T-MONTHLY", deployed_on=dt.date(2023, 1, 1), renewal_months=1)
    on_31st, on_28th = EmployeeFactory(), EmployeeFactory()
    CompletionFactory(employee=on_31st, module=module, completed_at=paris(dt.date(2023, 1, 31)))
    CompletionFactory(employee=on_28th, module=module, completed_at=paris(dt.date(2023, 1, 28)))
    assert set(kpis.trained(module, dt.date(2023, 2, 27))) == {on_31st, on_28th}
    assert set(kpis.trained(module, dt.date(2023, 2, 28))) == {on_31st}  # 2023-02-28 − 1 month = 28 January
    assert set(kpis.trained(module, dt.date(2023, 3, 1))) == set()
    assert kpis.valid_until(module, dt.date(2023, 1, 31)) == dt.date(2023, 2, 28)
    assert kpis.valid_until(module, dt.date(2023, 1, 28)) == dt.date(2023, 2, 27)
    assert kpis.renewal_cutoff(module, dt.date(2023, 3, 31)) == dt.date(2023, 2, 28)


def test_valid_until_and_cutoff_of_a_module_that_never_expires(module):
    assert kpis.valid_until(module, D) is None
    assert kpis.renewal_cutoff(module, D) is None


# -- flagged completions ---------------------------------------------------------------------------------
def test_a_completion_flagged_future_never_counts(module):
    employee = EmployeeFactory()
    CompletionFactory(
        employee=employee, module=module, completed_at=paris(dt.date(2023, 3, 1)), anomaly=CompletionAnomaly.FUTURE
    )
    assert parts(module) == (0, 1)
    assert parts(module, dt.date(2030, 1, 1)) == (0, 1)
    assert kpis.trained_at_least_once(2023).numerator == 0
    assert kpis.training_hours(2023).total_minutes() == 0


def test_completion_record_flags_a_future_completion_which_stays_uncounted_after_its_day(module):
    employee = EmployeeFactory()
    with time_machine.travel(dt.datetime(2023, 12, 1, 12, tzinfo=UTC), tick=False):
        completion = services.completion_record(
            actor=None, employee=employee, module=module, completed_at=paris(dt.date(2023, 12, 20))
        )
    assert completion.anomaly == CompletionAnomaly.FUTURE
    assert parts(module) == (0, 1)


# -- audience ----------------------------------------------------------------------------------------------
def test_a_managers_module_counts_managers_only(module):
    module.audience = Audience.MANAGERS
    module.save()
    manager, staff = EmployeeFactory(is_manager=True), EmployeeFactory(is_manager=False)
    for employee in (manager, staff):
        CompletionFactory(employee=employee, module=module)
    EmployeeFactory(is_manager=True)
    assert parts(module) == (1, 2)
    assert not kpis.population(module, D).filter(is_manager=False).exists()
    assert kpis.not_trained(module, D).get().is_manager


def test_audience_limited_to_entities_and_to_departments(module):
    headquarters, subsidiary = LegalEntityFactory(code="HQ"), LegalEntityFactory(code="SUB")
    legal, sales = DepartmentFactory(name="Legal"), DepartmentFactory(name="Sales")
    people = {
        (e.code, d.name): EmployeeFactory(entity=e, department=d)
        for e in (headquarters, subsidiary)
        for d in (legal, sales)
    }
    for employee in people.values():
        CompletionFactory(employee=employee, module=module)
    EmployeeFactory(entity=headquarters, department=None)
    assert parts(module) == (4, 5)
    module.audience_entities.set([headquarters])
    assert parts(module) == (2, 3)
    # Entities and departments are two limits: both apply.
    module.audience_departments.set([legal])
    assert set(kpis.population(module, D)) == {people[("HQ", "Legal")]}
    module.audience_entities.set([])
    assert set(kpis.population(module, D)) == {people[("HQ", "Legal")], people[("SUB", "Legal")]}
    module.audience = Audience.MANAGERS
    assert parts(module) == (0, 0)


def test_scope_by_entity_and_by_department(module):
    north, south = LegalEntityFactory(code="NORTH"), LegalEntityFactory(code="SOUTH")
    it, hr = DepartmentFactory(name="IT"), DepartmentFactory(name="HR")
    a = EmployeeFactory(entity=north, department=it)
    b = EmployeeFactory(entity=north, department=hr)
    c = EmployeeFactory(entity=south, department=it)
    EmployeeFactory(entity=south, department=None)
    for employee in (a, c):
        CompletionFactory(employee=employee, module=module)
    assert parts(module) == (2, 4)
    assert parts(module, scope=Scope.of(entities=[north])) == (1, 2)
    assert parts(module, scope=Scope.of(entities=["SOUTH"])) == (1, 2)
    assert parts(module, scope=Scope.of(departments=[it])) == (2, 2)
    assert parts(module, scope=Scope.of(departments=[hr.pk])) == (0, 1)
    assert parts(module, scope=Scope.of(entities=[north], departments=[hr])) == (0, 1)
    assert parts(module, scope=Scope.of(entities=[north, south], departments=[it, hr])) == (2, 3)
    assert set(kpis.not_trained(module, D, Scope.of(entities=[north]))) == {b}


# -- breakdowns ----------------------------------------------------------------------------------------------
def test_breakdowns_add_up_to_the_total(module):
    entities = [LegalEntityFactory(code=code) for code in ("E1", "E2", "E3")]
    departments = [DepartmentFactory(name=name) for name in ("Audit", "Finance")] + [None]
    for i in range(18):
        employee = EmployeeFactory(
            entity=entities[i % 3],
            department=departments[i % 2 if i % 5 else 2],
            is_manager=i % 4 == 0,
            gender="FMX"[i % 3] if i % 7 else "",
            hired_on=dt.date(2023, 1, 1) if i % 6 else dt.date(2024, 6, 1),
        )
        if i % 3 != 1:
            CompletionFactory(employee=employee, module=module)
    total = kpis.completion_rate(module, D)
    assert (total.numerator, total.denominator) == (9, 15)
    for by in kpis.BREAKDOWNS:
        rows = kpis.breakdown(module, D, by)
        assert sum(r.numerator for r in rows) == total.numerator, by
        assert sum(r.denominator for r in rows) == total.denominator, by
        assert len({r.key for r in rows}) == len(rows), by
    by_entity = {r.key: (r.numerator, r.denominator) for r in kpis.breakdown(module, D, "entity")}
    assert by_entity == {"E1": (3, 3), "E2": (0, 6), "E3": (6, 6)}
    scope = Scope.of(entities=["E1", "E2"])
    scoped = kpis.completion_rate(module, D, scope)
    for by in kpis.BREAKDOWNS:
        rows = kpis.breakdown(module, D, by, scope)
        assert (sum(r.numerator for r in rows), sum(r.denominator for r in rows)) == (
            scoped.numerator,
            scoped.denominator,
        )
    with pytest.raises(ValueError, match="unknown breakdown"):
        kpis.breakdown(module, D, "grade")


def test_breakdown_labels(module, english_messages):
    EmployeeFactory(entity=LegalEntityFactory(code="AL", name="Action"), department=None, is_manager=True, gender="")
    assert [r.label for r in kpis.breakdown(module, D, "entity")] == ["AL – Action"]
    assert [(r.key, r.label) for r in kpis.breakdown(module, D, "department")] == [(None, "(no department)")]
    assert [(r.key, r.label) for r in kpis.breakdown(module, D, "manager")] == [(True, "Managers")]
    assert [(r.key, r.label) for r in kpis.breakdown(module, D, "gender")] == [("", "(not given)")]


# -- workshops: attendance ----------------------------------------------------------------------------------
@pytest.fixture
def workshop():
    return WorkshopFactory(code="T-WORKSHOP", deployed_on=dt.date(2023, 1, 1), min_attendance_minutes=45)


@pytest.mark.parametrize(("minutes", "counted"), [(44, False), (45, False), (46, True), (90, True), (0, False)])
def test_attendance_counts_when_longer_than_the_minimum(workshop, minutes, counted):
    """The 2023 DPEF: "sur une durée supérieure à 45 minutes": exactly 45 minutes does not count."""
    session = SessionFactory(module=workshop, held_on=dt.date(2023, 3, 14))
    AttendanceFactory(session=session, employee=EmployeeFactory(), minutes_attended=minutes)
    assert parts(workshop) == (int(counted), 1)
    assert kpis.workshop_trained(workshop, 2023).value == int(counted)
    assert kpis.trained_at_least_once(2023).numerator == int(counted)


def test_attendance_at_a_session_before_deployment_or_after_d_does_not_count(workshop):
    early = SessionFactory(module=workshop, held_on=dt.date(2022, 12, 31))
    late = SessionFactory(module=workshop, held_on=D + dt.timedelta(days=1))
    on_deployment = SessionFactory(module=workshop, held_on=dt.date(2023, 1, 1))
    a, b, c = EmployeeFactory(), EmployeeFactory(), EmployeeFactory()
    AttendanceFactory(session=early, employee=a, minutes_attended=90)
    AttendanceFactory(session=late, employee=b, minutes_attended=90)
    AttendanceFactory(session=on_deployment, employee=c, minutes_attended=46)
    assert set(kpis.trained(workshop, D)) == {c}
    assert kpis.workshop_trained(workshop, 2022).value == 0  # before deployment
    assert kpis.trained_at_least_once(2022).numerator == 0


def test_an_attendance_of_a_renewable_workshop_expires_like_a_completion():
    workshop = WorkshopFactory(code="T-RENEW-S", deployed_on=dt.date(2020, 1, 1), renewal_months=12)
    expired, valid = EmployeeFactory(), EmployeeFactory()
    AttendanceFactory(session=SessionFactory(module=workshop, held_on=dt.date(2022, 12, 31)), employee=expired)
    AttendanceFactory(session=SessionFactory(module=workshop, held_on=dt.date(2023, 1, 1)), employee=valid)
    assert set(kpis.trained(workshop, D)) == {valid}
    assert set(kpis.trained(workshop, D - dt.timedelta(days=1))) == {expired, valid}


def test_zero_minutes_never_count_even_without_a_minimum():
    workshop = WorkshopFactory(code="T-NOMIN", deployed_on=dt.date(2023, 1, 1), min_attendance_minutes=None)
    session = SessionFactory(module=workshop, held_on=dt.date(2023, 5, 2))
    absent, present = EmployeeFactory(), EmployeeFactory()
    AttendanceFactory(session=session, employee=absent, minutes_attended=0)
    AttendanceFactory(session=session, employee=present, minutes_attended=1)
    assert set(kpis.trained(workshop, D)) == {present}
    assert kpis.workshop_trained(workshop, 2023).record_ids == (present.pk,)
    assert kpis.trained_at_least_once(2023).numerator == 1


def test_a_workshop_also_counts_its_lms_completions_an_e_learning_ignores_sessions(workshop, module):
    by_completion, by_attendance = EmployeeFactory(), EmployeeFactory()
    CompletionFactory(employee=by_completion, module=workshop, completed_at=paris(dt.date(2023, 2, 1)))
    AttendanceFactory(session=SessionFactory(module=workshop), employee=by_attendance, minutes_attended=60)
    assert set(kpis.trained(workshop, D)) == {by_completion, by_attendance}
    # Sessions can only be created for e-learning modules by hand; they never count for them.
    module_session = SessionFactory(module=module, held_on=dt.date(2023, 3, 1))
    AttendanceFactory(session=module_session, employee=by_attendance, minutes_attended=60)
    assert set(kpis.trained(module, D)) == set()


# -- yearly figures ---------------------------------------------------------------------------------------------
def test_yearly_figures(module, workshop):
    virtual = ModuleFactory(
        code="T-VIRTUAL",
        kind=ModuleKind.VIRTUAL,
        deployed_on=dt.date(2022, 1, 1),
        min_attendance_minutes=30,
        expected_minutes=120,
    )
    woman = EmployeeFactory(gender="F")
    man = EmployeeFactory(gender="M")
    gone = EmployeeFactory(gender="F", left_on=dt.date(2023, 6, 30))
    unknown = EmployeeFactory(gender="")
    idle = EmployeeFactory(gender="F")
    CompletionFactory(employee=woman, module=module, completed_at=paris(dt.date(2023, 1, 1), 0), duration_minutes=50)
    CompletionFactory(employee=man, module=module, completed_at=paris(dt.date(2022, 12, 31), 23), duration_minutes=30)
    CompletionFactory(employee=gone, module=module, completed_at=paris(dt.date(2023, 3, 1)), duration_minutes=None)
    CompletionFactory(
        employee=idle,
        module=module,
        completed_at=paris(dt.date(2023, 4, 1)),
        duration_minutes=500,
        anomaly=CompletionAnomaly.FUTURE,
    )
    AttendanceFactory(
        session=SessionFactory(module=workshop, held_on=dt.date(2023, 12, 31)), employee=man, minutes_attended=44
    )  # below the minimum: hours, but not trained
    AttendanceFactory(
        session=SessionFactory(module=virtual, held_on=dt.date(2023, 9, 9)), employee=unknown, minutes_attended=31
    )  # more than the 30-minute minimum

    once = kpis.trained_at_least_once(2023)
    assert (once.numerator, once.denominator) == (2, 4)  # woman and unknown, of the 4 present on 31/12
    assert set(once.record_ids) == {woman.pk, man.pk, unknown.pk, idle.pk}

    assert set(kpis.trainees(2023)) == {woman, gone, unknown}
    share = kpis.women_share_of_trainees(2023)
    assert (share.numerator, share.denominator) == (2, 3)

    hours = kpis.training_hours(2023, with_ids=True)
    assert hours.minutes == {ModuleKind.E_LEARNING: 50 + 45, ModuleKind.IN_PERSON: 44, ModuleKind.VIRTUAL: 31}
    assert hours.hours() == 3  # 170 minutes
    assert hours.hours(ModuleKind.E_LEARNING) == 2  # 95 minutes, half-up
    assert len(hours.completion_ids()) == 2 and len(hours.attendance_ids()) == 2
    assert kpis.training_hours(2022).minutes[ModuleKind.E_LEARNING] == 30


def test_renewals_due_lists_who_stops_counting_within_n_days(renewable):
    today = dt.date(2024, 1, 10)
    soon = EmployeeFactory()  # valid until 2024-01-19
    later = EmployeeFactory()  # valid until 2024-02-09
    expired = EmployeeFactory()
    CompletionFactory(employee=soon, module=renewable, completed_at=paris(dt.date(2022, 1, 20)))
    CompletionFactory(employee=later, module=renewable, completed_at=paris(dt.date(2022, 2, 10)))
    CompletionFactory(employee=expired, module=renewable, completed_at=paris(dt.date(2022, 1, 10)))
    assert list(kpis.renewals_due(renewable, 9, today)) == []
    assert list(kpis.renewals_due(renewable, 10, today)) == [soon]
    assert list(kpis.renewals_due(renewable, 31, today)) == [soon, later]
    assert kpis.renewals_due(renewable, 31, today)[0].last_completed_on == dt.date(2022, 1, 20)
    CompletionFactory(employee=soon, module=renewable, completed_at=paris(dt.date(2023, 12, 1)))
    assert list(kpis.renewals_due(renewable, 31, today)) == [later]


def test_renewals_due_of_a_module_that_never_expires_is_empty(module):
    CompletionFactory(employee=EmployeeFactory(), module=module, completed_at=paris(dt.date(2022, 5, 1)))
    assert list(kpis.renewals_due(module, 3650, D)) == []


def test_renewals_due_also_sees_a_qualifying_attendance():
    workshop = WorkshopFactory(code="T-RENEW-W", deployed_on=dt.date(2020, 1, 1), renewal_months=12)
    by_session, attended_since = EmployeeFactory(), EmployeeFactory()
    AttendanceFactory(session=SessionFactory(module=workshop, held_on=dt.date(2023, 1, 20)), employee=by_session)
    CompletionFactory(employee=attended_since, module=workshop, completed_at=paris(dt.date(2023, 1, 15)))
    AttendanceFactory(session=SessionFactory(module=workshop, held_on=dt.date(2023, 6, 1)), employee=attended_since)
    due = kpis.renewals_due(workshop, 30, dt.date(2024, 1, 1))
    assert list(due) == [by_session]
    assert (due[0].last_trained_on, due[0].last_completed_on, due[0].last_completion_on) == (
        dt.date(2023, 1, 20),
        dt.date(2023, 1, 20),
        None,
    )


def test_monthly_trend_ends_each_month_and_at_the_day(module):
    employee = EmployeeFactory()
    CompletionFactory(employee=employee, module=module, completed_at=paris(dt.date(2023, 2, 28)))
    trend = kpis.monthly_trend(module, dt.date(2023, 3, 15), months=3)
    assert [(r.day, r.numerator) for r in trend] == [
        (dt.date(2023, 1, 31), 0),
        (dt.date(2023, 2, 28), 1),
        (dt.date(2023, 3, 15), 1),
    ]
    assert kpis.month_ends(dt.date(2024, 3, 31), 2) == [dt.date(2024, 2, 29), dt.date(2024, 3, 31)]


def test_monthly_trend_of_a_workshop_counts_qualifying_sessions_and_presence_at_each_month_end():
    workshop = WorkshopFactory(code="T-TREND-WS", deployed_on=dt.date(2023, 1, 1), min_attendance_minutes=45)
    by_session, too_short, by_completion = EmployeeFactory(), EmployeeFactory(), EmployeeFactory()
    leaver = EmployeeFactory(left_on=dt.date(2023, 3, 31))
    AttendanceFactory(session=SessionFactory(module=workshop, held_on=dt.date(2023, 2, 28)), employee=by_session)
    AttendanceFactory(
        session=SessionFactory(module=workshop, held_on=dt.date(2023, 1, 10)), employee=too_short, minutes_attended=44
    )
    AttendanceFactory(session=SessionFactory(module=workshop, held_on=dt.date(2023, 1, 12)), employee=leaver)
    CompletionFactory(employee=by_completion, module=workshop, completed_at=paris(dt.date(2023, 3, 1)))
    trend = kpis.monthly_trend(workshop, dt.date(2023, 4, 30), months=4)
    assert [(r.day, r.numerator, r.denominator) for r in trend] == [
        (dt.date(2023, 1, 31), 1, 4),
        (dt.date(2023, 2, 28), 2, 4),
        (dt.date(2023, 3, 31), 3, 4),
        (dt.date(2023, 4, 30), 2, 3),
    ]
    assert [(r.numerator, r.denominator) for r in trend] == [parts(workshop, r.day) for r in trend]


def test_method_text_names_the_boundaries(renewable, english_messages):
    text = kpis.method_text(renewable, D)
    assert "01/01/2020" in text and "24 months" in text and "31/12/2023" in text


# -- aggregates, not loops ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("people", [3, 40])
def test_a_rate_and_a_breakdown_are_one_query_each_whatever_the_headcount(people, django_assert_num_queries, workshop):
    entity, department = LegalEntityFactory(code="Q"), DepartmentFactory(name="Q")
    workshop.audience_entities.set([entity])
    workshop.audience_departments.set([department])
    session = SessionFactory(module=workshop)
    for i in range(people):
        employee = EmployeeFactory(entity=entity, department=department)
        CompletionFactory(employee=employee, module=workshop, completed_at=paris(dt.date(2023, 2, 1)))
        AttendanceFactory(
            session=session, employee=EmployeeFactory(entity=entity, department=department), minutes_attended=30 + i
        )
    fresh = Module.objects.get(pk=workshop.pk)  # nothing prefetched
    with django_assert_num_queries(1):
        rate = kpis.completion_rate(fresh, D, Scope.of(entities=["Q"]))
    assert rate.denominator == 2 * people
    for by in kpis.BREAKDOWNS:
        with django_assert_num_queries(1):
            rows = kpis.breakdown(fresh, D, by)
        assert sum(r.denominator for r in rows) == 2 * people
