"""docs/rules.md "present at D": hired on or before D, and no contract end or one on or after D."""

import datetime as dt

import pytest
from hypothesis import given, settings, strategies as st

from organization.models import Employee
from tests.factories import EmployeeFactory

D = dt.date(2023, 12, 31)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("hired_on", "left_on", "present"),
    [
        (dt.date(2023, 12, 31), None, True),  # hired on D
        (dt.date(2024, 1, 1), None, False),  # hired the day after
        (dt.date(2020, 1, 1), dt.date(2023, 12, 31), True),  # last day of contract is D
        (dt.date(2020, 1, 1), dt.date(2023, 12, 30), False),  # left the day before
        (dt.date(2020, 1, 1), dt.date(2024, 6, 30), True),
        (dt.date(2023, 12, 31), dt.date(2023, 12, 31), True),  # a one-day contract on D
    ],
)
def test_present_on_includes_both_boundary_days(hired_on, left_on, present):
    employee = EmployeeFactory(hired_on=hired_on, left_on=left_on)
    assert Employee.objects.present_on(D).filter(pk=employee.pk).exists() is present
    assert employee.is_present_on(D) is present


@pytest.mark.django_db
@settings(max_examples=60, deadline=None)
@given(
    hired=st.dates(dt.date(2015, 1, 1), dt.date(2025, 12, 31)),
    stay=st.one_of(st.none(), st.integers(0, 3000)),
    day=st.dates(dt.date(2015, 1, 1), dt.date(2026, 12, 31)),
)
def test_queryset_and_python_agree_on_presence(hired, stay, day):
    left = None if stay is None else hired + dt.timedelta(days=stay)
    employee = EmployeeFactory(hired_on=hired, left_on=left)
    try:
        in_query = Employee.objects.present_on(day).filter(pk=employee.pk).exists()
        assert in_query == employee.is_present_on(day) == (hired <= day and (left is None or left >= day))
    finally:
        employee.delete()


@pytest.mark.django_db
def test_database_refuses_a_contract_ending_before_it_starts():
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        EmployeeFactory(hired_on=dt.date(2023, 5, 2), left_on=dt.date(2023, 5, 1))
