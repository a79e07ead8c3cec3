"""A past version's page (django-simple-history) writes nothing for a user who may not revert
(core/admin_history.py): an auditor's POST is refused and the page shows no field to type in."""

from __future__ import annotations

import pytest

from core.services import save_with_history
from tests.clients import admin_client
from tests.factories import EmployeeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def employee(roles):
    employee = EmployeeFactory(last_name="Original")
    employee.last_name = "Renamed"
    save_with_history(employee, actor=None, reason="renamed")
    return employee


def version_url(employee) -> str:
    first = employee.history.order_by("history_id").first().history_id
    return f"/admin/organization/employee/{employee.pk}/history/{first}/"


def test_an_auditor_reads_a_past_version_but_cannot_save_it(employee):
    auditor = admin_client("Auditor")
    page = auditor.get(version_url(employee))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Original" in body
    assert 'name="last_name"' not in body and 'name="_save"' not in body
    data = {"employee_id": employee.employee_id, "last_name": "Hacked", "first_name": "x"}
    assert auditor.post(version_url(employee), data).status_code == 403
    employee.refresh_from_db()
    assert employee.last_name == "Renamed"
    assert employee.history.count() == 2


def test_a_user_who_may_change_the_record_still_gets_the_revert_form(employee):
    page = admin_client("Training manager").get(version_url(employee)).content.decode()
    assert 'name="last_name"' in page
