"""The lists of people of a module (training/kpis.py `not_trained` and `renewals_due`, read from the trainings
that expire and in the roster's order so that they are fast at a large company's size) name exactly the
people a plain computation over the records names: a property test over generated worlds (the generator
and the reference of test_kpis_properties.py, written from docs/rules.md), with the lists' order, their
annotations and their counts, and a table of the edge cases of renewals_due."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings, strategies as st

from organization.models import Department, Employee
from tests.factories import DepartmentFactory, EmployeeFactory, LegalEntityFactory
from tests.training.factories import (
    AttendanceFactory,
    CompletionFactory,
    ModuleFactory,
    SessionFactory,
    WorkshopFactory,
    paris,
)
from tests.training.test_kpis_properties import WITHIN, Reference, cases, paris_day, scopes, store
from training import kpis
from training.choices import Audience, CompletionAnomaly

# ASCII names, some shared: the roster's order is the same under every collation.
NAMES = ["", "Durand", "Martin", "Martin", "Petit"]


def last_completion(ref: Reference, i: int, mi: int, day: dt.date, *, counted: bool) -> dt.date | None:
    """Employee i's last completion of module mi not flagged and dated on or before `day` (with `counted`,
    one that counts at `day`: after the deployment and the renewal cutoff), None without one."""
    m = ref.w.modules[mi]
    days = [
        paris_day(c.completed_at)
        for c in ref.w.completions
        if c.employee == i and c.module == mi and not c.anomaly and paris_day(c.completed_at) <= day
    ]
    if counted:
        days = [d for d in days if m.counts_at(d, day)]
    return max(days, default=None)


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(
    case=cases(), scope=scopes, names=st.lists(st.tuples(st.sampled_from(NAMES), st.sampled_from(NAMES)), min_size=25)
)
def test_the_people_lists_agree_with_the_reference(case, scope, names):
    world, day = case.world, case.day
    ref = Reference(world)
    entities, departments = scope
    with transaction.atomic():
        modules, employees, _completions, _sessions = store(world)
        for employee, (last, first) in zip(employees, names, strict=False):
            employee.last_name, employee.first_name = last, first
        Employee.objects.bulk_update(employees, ["last_name", "first_name"])
        index = {e.pk: i for i, e in enumerate(employees)}
        kscope = kpis.Scope.of(entities=entities, departments=[Department.objects.get(name=d) for d in departments])

        def roster_order(i: int) -> tuple[str, str, str]:
            e = employees[i]
            return e.last_name, e.first_name, e.employee_id

        for mi, module in enumerate(modules):
            trained, denominator = ref.rate(mi, day, entities, departments)
            people = kpis.not_trained(module, day, kscope)
            assert [index[e.pk] for e in people] == sorted(denominator - trained, key=roster_order)
            assert {index[e.pk]: e.last_completed_on for e in people} == {
                i: last_completion(ref, i, mi, day, counted=False) for i in denominator - trained
            }
            assert people.count() == len(denominator - trained)

            for within in sorted({case.within, *WITHIN}):
                expected = ref.renewals_due(mi, within, day, entities, departments)
                due = kpis.renewals_due(module, within, day, kscope)
                assert [(index[e.pk], e.last_trained_on) for e in due] == sorted(
                    expected.items(), key=lambda item: (item[1], employees[item[0]].employee_id)
                ), within
                for e in due:
                    assert e.last_completed_on == e.last_trained_on
                    assert e.last_completion_on == last_completion(ref, index[e.pk], mi, day, counted=True)
                assert due.count() == len(expected)
        transaction.set_rollback(True)


# -- renewals_due at its edges: renewed every 12 months, today 2024-06-15, within 30 days -----------------------
TODAY = dt.date(2024, 6, 15)
WITHIN_DAYS = 30
# The cutoffs: counted today when after 2023-06-15; still counted at the horizon (2024-07-15) when after
# 2023-07-15. Due: the last counted training is dated 2023-06-16 ... 2023-07-15.
FIRST_DUE, LAST_DUE = dt.date(2023, 6, 16), dt.date(2023, 7, 15)


@pytest.fixture
def renewable():
    return ModuleFactory(code="T-EDGE", deployed_on=dt.date(2022, 1, 1), renewal_months=12)


def due_ids(module, scope=kpis.ALL, within=WITHIN_DAYS) -> list[str]:
    return [e.employee_id for e in kpis.renewals_due(module, within, TODAY, scope)]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("days", "due"),
    [
        ([FIRST_DUE], True),  # the first day of the window
        ([LAST_DUE], True),  # its last day: counts until 2024-07-14, not at the horizon
        ([FIRST_DUE - dt.timedelta(days=1)], False),  # expired already today
        ([LAST_DUE + dt.timedelta(days=1)], False),  # still counts at the horizon
        ([dt.date(2023, 7, 1), dt.date(2024, 1, 10)], False),  # renewed by a later completion
        ([dt.date(2023, 7, 1), dt.date(2023, 7, 1)], True),  # twice the same day: listed once
        ([dt.date(2023, 6, 20), dt.date(2023, 7, 10)], True),  # both expire soon: the later one is the last
        ([dt.date(2023, 7, 1), TODAY + dt.timedelta(days=1)], True),  # a completion after today does not renew
        ([], False),
    ],
)
def test_renewals_due_at_the_window_s_edges(renewable, days, due):
    employee = EmployeeFactory(employee_id="EDGE")
    for n, day in enumerate(days):
        CompletionFactory(employee=employee, module=renewable, completed_at=paris(day, 9 + n))
    assert due_ids(renewable) == (["EDGE"] if due else [])
    assert kpis.renewals_due(renewable, WITHIN_DAYS, TODAY).count() == int(due)
    if due:
        assert kpis.renewals_due(renewable, WITHIN_DAYS, TODAY).get().last_trained_on == max(
            d for d in days if d <= TODAY
        )


@pytest.mark.django_db
def test_a_flagged_later_completion_does_not_renew_and_a_flagged_one_is_not_due(renewable):
    renewed_by_a_flagged_one, flagged_only = EmployeeFactory(employee_id="F1"), EmployeeFactory(employee_id="F2")
    CompletionFactory(employee=renewed_by_a_flagged_one, module=renewable, completed_at=paris(dt.date(2023, 7, 1)))
    CompletionFactory(
        employee=renewed_by_a_flagged_one,
        module=renewable,
        completed_at=paris(dt.date(2024, 1, 1)),
        anomaly=CompletionAnomaly.FUTURE,
    )
    CompletionFactory(
        employee=flagged_only,
        module=renewable,
        completed_at=paris(dt.date(2023, 7, 1)),
        anomaly=CompletionAnomaly.FUTURE,
    )
    assert due_ids(renewable) == ["F1"]


@pytest.mark.django_db
def test_a_completion_before_deployment_is_never_due():
    module = ModuleFactory(code="T-LATE", deployed_on=dt.date(2023, 7, 1), renewal_months=12)
    before, on_the_day = EmployeeFactory(employee_id="B1"), EmployeeFactory(employee_id="B2")
    CompletionFactory(employee=before, module=module, completed_at=paris(dt.date(2023, 6, 30)))
    CompletionFactory(employee=on_the_day, module=module, completed_at=paris(dt.date(2023, 7, 1)))
    assert due_ids(module) == ["B2"]


@pytest.mark.django_db
def test_only_the_people_present_today_in_the_audience_and_scope_are_due(renewable):
    north, south = LegalEntityFactory(code="N"), LegalEntityFactory(code="S")
    legal, sales = DepartmentFactory(name="Legal"), DepartmentFactory(name="Sales")
    people = {
        "LEFT": EmployeeFactory(left_on=TODAY - dt.timedelta(days=1), entity=north, department=legal),
        "LAST-DAY": EmployeeFactory(left_on=TODAY, entity=north, department=legal),
        "NOT-YET": EmployeeFactory(hired_on=TODAY + dt.timedelta(days=1), entity=north, department=legal),
        "N-LEGAL-M": EmployeeFactory(entity=north, department=legal, is_manager=True),
        "N-SALES": EmployeeFactory(entity=north, department=sales),
        "S-LEGAL": EmployeeFactory(entity=south, department=legal),
    }
    for employee_id, employee in people.items():
        employee.employee_id = employee_id
        employee.save()
        CompletionFactory(employee=employee, module=renewable, completed_at=paris(dt.date(2023, 7, 1)))
    assert due_ids(renewable) == ["LAST-DAY", "N-LEGAL-M", "N-SALES", "S-LEGAL"]
    assert due_ids(renewable, kpis.Scope.of(entities=[north])) == ["LAST-DAY", "N-LEGAL-M", "N-SALES"]
    assert due_ids(renewable, kpis.Scope.of(departments=[sales])) == ["N-SALES"]
    renewable.audience_entities.set([south])
    assert due_ids(renewable) == ["S-LEGAL"]
    renewable.audience_entities.set([])
    renewable.audience_departments.set([legal])
    assert due_ids(renewable) == ["LAST-DAY", "N-LEGAL-M", "S-LEGAL"]
    renewable.audience = Audience.MANAGERS
    renewable.save()
    assert due_ids(renewable) == ["N-LEGAL-M"]


@pytest.mark.django_db
def test_a_workshop_is_renewed_by_a_qualifying_session_or_a_completion_and_due_by_either():
    workshop = WorkshopFactory(code="T-EDGE-W", deployed_on=dt.date(2022, 1, 1), renewal_months=12)
    soon, later = dt.date(2023, 7, 1), dt.date(2024, 1, 10)

    def attend(employee, day, minutes=90):
        AttendanceFactory(
            session=SessionFactory(module=workshop, held_on=day), employee=employee, minutes_attended=minutes
        )

    def complete(employee, day):
        CompletionFactory(employee=employee, module=workshop, completed_at=paris(day))

    session_then_completion = EmployeeFactory(employee_id="W1")
    attend(session_then_completion, soon)
    complete(session_then_completion, later)
    completion_then_session = EmployeeFactory(employee_id="W2")
    complete(completion_then_session, soon)
    attend(completion_then_session, later)
    too_short_to_renew = EmployeeFactory(employee_id="W3")
    complete(too_short_to_renew, soon)
    attend(too_short_to_renew, later, minutes=45)
    session_then_session = EmployeeFactory(employee_id="W4")
    attend(session_then_session, soon)
    attend(session_then_session, later)
    both_the_same_day = EmployeeFactory(employee_id="W5")
    attend(both_the_same_day, soon)
    complete(both_the_same_day, soon)
    assert due_ids(workshop) == ["W3", "W5"]
    due = {e.employee_id: e for e in kpis.renewals_due(workshop, WITHIN_DAYS, TODAY)}
    assert (due["W5"].last_trained_on, due["W5"].last_completion_on) == (soon, soon)
