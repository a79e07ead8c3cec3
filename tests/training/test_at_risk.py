"""ESRS G1-3 §21(b): the share of functions at risk covered by anti-corruption training, by headcount."""

import datetime as dt

import pytest

from organization.models import Employee
from tests.factories import DepartmentFactory, EmployeeFactory
from tests.training.factories import AttendanceFactory, CompletionFactory, SessionFactory, paris
from training import kpis
from training.models import Module

pytestmark = pytest.mark.django_db


def test_the_anti_corruption_reference_modules_are_the_ethics_e_learning_and_workshop():
    assert set(Module.objects.filter(anti_corruption=True).values_list("code", flat=True)) == {
        "DEONTO",
        "ATELIER-DEONTO",
    }


def test_functions_at_risk_by_department_or_by_person_and_coverage_by_any_anti_corruption_training():
    deonto, workshop = Module.objects.get(code="DEONTO"), Module.objects.get(code="ATELIER-DEONTO")
    lcbft = Module.objects.get(code="LCBFT")
    risky = DepartmentFactory(function_at_risk=True)
    safe = DepartmentFactory()
    e_learning = EmployeeFactory(department=risky)
    attended = EmployeeFactory(department=risky)
    too_short = EmployeeFactory(department=risky)
    other_training = EmployeeFactory(department=risky)
    flagged_person = EmployeeFactory(department=safe, function_at_risk=True)
    EmployeeFactory(department=safe)  # not at risk: not counted
    EmployeeFactory(department=risky, left_on=dt.date(2023, 12, 30))  # gone at year end: not counted
    CompletionFactory(employee=e_learning, module=deonto, completed_at=paris(dt.date(2023, 2, 1)))
    CompletionFactory(employee=flagged_person, module=deonto, completed_at=paris(dt.date(2024, 1, 2)))  # after Y
    session = SessionFactory(module=workshop, held_on=dt.date(2023, 5, 4))
    AttendanceFactory(session=session, employee=attended, minutes_attended=46)
    AttendanceFactory(session=session, employee=too_short, minutes_attended=45)  # not more than 45 minutes
    CompletionFactory(employee=other_training, module=lcbft, completed_at=paris(dt.date(2023, 2, 1)))
    figure = kpis.at_risk_coverage(2023)
    assert (figure.numerator, figure.denominator) == (2, 5)
    assert str(figure.value) == "40.0"
    assert set(figure.record_ids) == set(
        Employee.objects.filter(
            pk__in=[e_learning.pk, attended.pk, too_short.pk, other_training.pk, flagged_person.pk]
        ).values_list("pk", flat=True)
    )


def test_no_function_at_risk_is_no_rate_not_zero():
    EmployeeFactory()
    figure = kpis.at_risk_coverage(2023)
    assert figure.value is None and figure.denominator == 0
