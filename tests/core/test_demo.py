"""The demo data set: users per role and the roster's head-counts."""
import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from organization.models import Department, Employee, LegalEntity


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("load_demo", verbosity=0)
        yield
        # Module-scoped data outlives the per-test transactions: remove it, history rows included
        # (deleting writes "-" history rows), so later tests start from an empty database.
        Employee.objects.all().delete()
        Department.objects.all().delete()
        LegalEntity.objects.filter(parent__isnull=False).delete()
        LegalEntity.objects.all().delete()
        for model in (Employee, Department, LegalEntity):
            model.history.all().delete()
        get_user_model().objects.all().delete()


pytestmark = pytest.mark.django_db


def test_demo_roster_has_the_dpef_headcount_at_2023_year_end(demo):
    present = Employee.objects.present_on(dt.date(2023, 12, 31))
    assert present.count() == 2639
    women = present.filter(gender="F").count() / present.count()
    assert 0.78 <= women <= 0.82
    executives = present.filter(is_executive=True).count() / present.count()
    assert 0.32 <= executives <= 0.38
    assert present.filter(is_manager=True).count() == 300


def test_demo_organisation_is_a_parent_four_subsidiaries_and_fourteen_departments(demo):
    parent = LegalEntity.objects.get(parent__isnull=True)
    assert parent.subsidiaries.count() == 4
    assert Department.objects.count() == 14


def test_demo_headcounts_differ_by_date_because_of_hires_and_leavers(demo):
    counts = {year: Employee.objects.present_on(dt.date(year, 12, 31)).count() for year in (2021, 2022, 2023, 2024)}
    assert len(set(counts.values())) == 4
    assert Employee.objects.filter(left_on__lt=dt.date(2023, 1, 1)).exists()
    assert Employee.objects.filter(hired_on__gt=dt.date(2023, 12, 31)).exists()


def test_demo_has_one_user_per_role_and_a_superuser(demo):
    users = {u.username: u for u in get_user_model().objects.all()}
    assert users["admin"].is_superuser
    assert [g.name for g in users["auditeur"].groups.all()] == ["Auditor"]
    assert [g.name for g in users["dpo"].groups.all()] == ["DPO"]
    assert users["conformite"].check_password("vigie-demo-2023")


def test_load_demo_twice_changes_nothing(demo):
    before = (Employee.objects.count(), Employee.history.count(), get_user_model().objects.count())
    call_command("load_demo", verbosity=0)
    assert (Employee.objects.count(), Employee.history.count(), get_user_model().objects.count()) == before
