"""The PostgreSQL write path of imports (core/history_bulk.py): same records, same history, as
simple-history's bulk_create_with_history."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.history_bulk import _plan, create_with_history
from organization.models import Employee
from tests.factories import DepartmentFactory, LegalEntityFactory, UserFactory
from tests.training.factories import ModuleFactory, paris
from training.models import Completion

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def _employees(count, entity, department):
    return [
        Employee(
            employee_id=f"FW{n:04d}",
            last_name="Lefèvre\ttab",
            first_name="Zoé\nnewline",
            email="",
            entity=entity,
            department=department if n % 2 else None,
            hired_on=dt.date(2020, 1, 1) + dt.timedelta(days=n),
            left_on=None if n % 3 else dt.date(2024, 6, 30),
            is_manager=bool(n % 2),
            gender="F",
        )
        for n in range(count)
    ]


def test_copy_path_writes_the_records_and_one_history_row_each(postgres):
    user = UserFactory()
    entity, department = LegalEntityFactory(code="FWE"), DepartmentFactory(name="FW dept")
    date = timezone.now()
    objs = create_with_history(
        _employees(25, entity, department), Employee, user=user, reason="import roster run 1", date=date
    )
    assert all(obj.pk for obj in objs)
    stored = {e.pk: e for e in Employee.objects.filter(employee_id__startswith="FW")}
    assert set(stored) == {obj.pk for obj in objs}
    for obj in objs:
        row = stored[obj.pk]
        assert (row.last_name, row.first_name, row.department_id, row.left_on, row.is_manager) == (
            "Lefèvre\ttab",
            "Zoé\nnewline",
            obj.department_id,
            obj.left_on,
            obj.is_manager,
        )
    history = Employee.history.filter(employee_id__startswith="FW")
    assert history.count() == 25
    first = history.get(id=objs[0].pk)
    assert (first.history_type, first.history_user_id, first.history_change_reason, first.history_date) == (
        "+",
        user.pk,
        "import roster run 1",
        date,
    )
    assert first.first_name == "Zoé\nnewline" and first.hired_on == objs[0].hired_on


def test_copy_path_keeps_aware_datetimes_decimals_and_nulls(postgres):
    module = ModuleFactory()
    entity, department = LegalEntityFactory(code="FWC"), DepartmentFactory(name="FW dept C")
    employee = create_with_history(
        _employees(1, entity, department), Employee, user=None, reason="r", date=timezone.now()
    )[0]
    at = paris(dt.date(2023, 10, 29), 2)  # the autumn clock change
    completion = Completion(
        employee=employee,
        module=module,
        completed_at=at,
        completed_on=at.date(),
        duration_minutes=None,
        score=Decimal("87.50"),
    )
    create_with_history([completion], Completion, user=None, reason="r", date=timezone.now())
    stored = Completion.objects.get(pk=completion.pk)
    # (compared in UTC: Python never finds an ambiguous Paris time equal to a time of another zone)
    assert (stored.completed_at, stored.score, stored.duration_minutes) == (
        at.astimezone(dt.UTC),
        Decimal("87.50"),
        None,
    )
    assert Completion.history.get(id=completion.pk).history_user_id is None


def test_a_constraint_violation_is_a_django_integrity_error(postgres):
    entity, department = LegalEntityFactory(code="FWI"), DepartmentFactory(name="FW dept I")
    bad = _employees(1, entity, department)
    bad[0].left_on = dt.date(2000, 1, 1)  # before hired_on
    with pytest.raises(IntegrityError), transaction.atomic():
        create_with_history(bad, Employee, user=None, reason="r", date=timezone.now())
    assert not Employee.objects.filter(employee_id__startswith="FW").exists()


def test_only_models_with_plain_columns_and_a_plain_history_take_the_copy_path(postgres):
    from core.models import ImportRun

    assert _plan(Employee) is not None and _plan(Completion) is not None
    assert _plan(ImportRun) is None  # no history, JSON and file columns
