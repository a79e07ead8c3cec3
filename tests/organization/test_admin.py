"""The roster admin: it loads for each role, filters, searches, and stays cheap in queries."""

import datetime as dt

import pytest

from tests.clients import admin_client as client_for
from tests.factories import EmployeeFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("roles")]
CHANGELIST = "/admin/organization/employee/"


def test_changelist_is_french_by_default_and_lists_employees():
    EmployeeFactory(employee_id="E42", last_name="Durand")
    response = client_for("Training manager").get(CHANGELIST)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Durand" in body
    assert "Salariés" in body or "salariés" in body


def test_changelist_query_count_is_pinned(django_assert_max_num_queries):
    EmployeeFactory.create_batch(40)
    client = client_for("Training manager")
    with django_assert_max_num_queries(14):
        assert client.get(CHANGELIST).status_code == 200


@pytest.mark.parametrize(
    "params",
    [
        {"presence": "present"},
        {"presence": "left"},
        {"presence": "future"},
        {"present_at_year_end": "2023"},
        {"q": "E42"},
    ],
)
def test_filters_and_search_answer(params):
    EmployeeFactory(employee_id="E42", hired_on=dt.date(2020, 1, 1))
    assert client_for("Auditor").get(CHANGELIST, params).status_code == 200


def test_present_at_year_end_filter_applies_the_presence_rule():
    EmployeeFactory(employee_id="IN", hired_on=dt.date(2023, 12, 31))
    EmployeeFactory(employee_id="OUT", hired_on=dt.date(2020, 1, 1), left_on=dt.date(2023, 12, 30))
    body = client_for("Auditor").get(CHANGELIST, {"present_at_year_end": "2023"}).content.decode()
    assert ">IN<" in body and ">OUT<" not in body


def test_auditor_sees_no_add_or_save_button():
    employee = EmployeeFactory()
    client = client_for("Auditor")
    assert 'class="addlink"' not in client.get(CHANGELIST).content.decode()
    page = client.get(f"{CHANGELIST}{employee.pk}/change/").content.decode()
    assert 'name="_save"' not in page
    assert client.get(f"{CHANGELIST}{employee.pk}/history/").status_code == 200


def test_user_without_role_cannot_open_the_roster():
    assert client_for().get(CHANGELIST).status_code == 403
