"""The roster API: permissions, filters and validation."""

import datetime as dt

import pytest
from rest_framework.test import APIClient

from tests.clients import api_client as client_for
from tests.factories import EmployeeFactory, LegalEntityFactory

URL = "/api/organization/employees/"
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("roles")]


def test_anonymous_is_refused():
    assert APIClient().get(URL).status_code in (401, 403)


def test_authenticated_without_permission_is_refused():
    assert client_for().get(URL).status_code == 403


def test_auditor_reads_but_cannot_write():
    EmployeeFactory()
    auditor = client_for("Auditor")
    assert auditor.get(URL).status_code == 200
    entity = LegalEntityFactory(code="ALS")
    response = auditor.post(URL, {"employee_id": "X1", "entity": entity.code, "hired_on": "2023-01-01"})
    assert response.status_code == 403


def test_training_manager_creates_an_employee_with_history():
    LegalEntityFactory(code="ALS")
    response = client_for("Training manager").post(
        URL, {"employee_id": "X1", "entity": "ALS", "hired_on": "2023-01-01", "gender": "F"}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["entity"] == "ALS"
    from organization.models import Employee

    assert Employee.history.filter(employee_id="X1", history_type="+").count() == 1


def test_contract_ending_before_hiring_is_a_400_naming_the_field():
    LegalEntityFactory(code="ALS")
    response = client_for("Training manager").post(
        URL,
        {"employee_id": "X1", "entity": "ALS", "hired_on": "2023-01-02", "left_on": "2023-01-01"},
        format="json",
    )
    assert response.status_code == 400
    assert "left_on" in response.json()


def test_filter_by_employee_id_and_presence():
    kept = EmployeeFactory(employee_id="A1", hired_on=dt.date(2020, 1, 1))
    EmployeeFactory(employee_id="A2", hired_on=dt.date(2020, 1, 1), left_on=dt.date(2023, 12, 30))
    client = client_for("Auditor")
    assert [e["employee_id"] for e in client.get(URL, {"employee_id": "A1"}).json()["results"]] == ["A1"]
    present = client.get(URL, {"present_on": "2023-12-31"}).json()["results"]
    assert [e["employee_id"] for e in present] == [kept.employee_id]


def test_list_query_count_does_not_grow_with_rows(django_assert_max_num_queries):
    EmployeeFactory.create_batch(30)
    client = client_for("Auditor")
    with django_assert_max_num_queries(8):
        assert client.get(URL).status_code == 200


def test_openapi_schema_documents_the_employees_collection():
    response = client_for("Auditor").get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    assert URL in response.json()["paths"]
