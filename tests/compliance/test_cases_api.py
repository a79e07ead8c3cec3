"""`/api/compliance/coi-cases/` and `/api/compliance/action-items/`: permissions, filters, the transition
actions, 400s with field messages, and the reporter's identity omitted for non-officers."""

from __future__ import annotations

import datetime as dt
from functools import partial

import pytest
from rest_framework.test import APIClient

from compliance.choices import CaseStatus
from compliance.models import ConflictOfInterestCase, MacroProcess, Risk, RiskMap
from tests.clients import api_client
from tests.compliance.factories import ActionItemFactory, CaseFactory, CaseMeasureFactory
from tests.factories import EmployeeFactory

URL = "/api/compliance/coi-cases/"
ITEMS = "/api/compliance/action-items/"
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("english_messages", "roles"),
    pytest.mark.time_machine(dt.datetime(2025, 6, 2, 10, 0, tzinfo=dt.UTC), tick=False),
]
client_for = partial(api_client, language="en")


def references(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["reference"] for row in response.json()["results"]]


# --- permissions --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [URL, ITEMS])
def test_anonymous_is_refused(url):
    assert APIClient().get(url).status_code in (401, 403)


@pytest.mark.parametrize("role", [None, "DPO"])
@pytest.mark.parametrize("url", [URL, ITEMS])
def test_authenticated_without_compliance_permission_is_refused(url, role):
    client = client_for(role) if role else client_for()
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("role", ["Compliance officer", "Auditor"])
def test_compliance_readers_list_cases_and_items(role):
    ActionItemFactory(case=CaseFactory(reference="COI-1"))
    client = client_for(role)
    assert references(client.get(URL)) == ["COI-1"]
    assert client.get(ITEMS).json()["count"] == 1


def test_an_auditor_cannot_create_or_run_a_transition():
    case = CaseFactory()
    client = client_for("Auditor")
    assert client.post(URL, {"reported_on": "2025-05-01"}).status_code == 403
    assert client.post(f"{URL}{case.pk}/start-analysis/", {}).status_code == 403
    assert client.post(f"{ITEMS}{ActionItemFactory().pk}/complete/", {"done_on": "2025-06-01"}).status_code == 403
    case.refresh_from_db()
    assert case.status == CaseStatus.RECEIVED


def test_no_one_deletes_a_case_through_the_api():
    assert client_for("Compliance officer").delete(f"{URL}{CaseFactory().pk}/").status_code == 405


def test_list_query_count_is_pinned(django_assert_max_num_queries):
    for index in range(25):
        case = CaseFactory(
            reported_on=dt.date(2025, 1, 1) + dt.timedelta(days=index), reporter_employee=EmployeeFactory()
        )
        CaseMeasureFactory(case=case)
        ActionItemFactory(case=case)
    client = client_for("Compliance officer")
    with django_assert_max_num_queries(14):
        assert client.get(URL).status_code == 200
    with django_assert_max_num_queries(6):
        assert client.get(ITEMS).status_code == 200


# --- the reporter's identity -------------------------------------------------------------------------------


def test_the_reporter_is_omitted_for_an_auditor_and_given_to_an_officer():
    employee = EmployeeFactory(employee_id="E-WB")
    CaseFactory(reporter_employee=employee, reporter_name="Jeanne Lanceuse")
    row = client_for("Auditor").get(URL).json()["results"][0]
    assert "reporter_name" not in row and "reporter_employee" not in row
    assert "Lanceuse" not in str(row)
    row = client_for("Compliance officer").get(URL).json()["results"][0]
    assert (row["reporter_name"], row["reporter_employee"]) == ("Jeanne Lanceuse", "E-WB")


# --- writes through the services ----------------------------------------------------------------------------


def test_an_officer_records_a_suspicion_with_a_generated_reference():
    response = client_for("Compliance officer").post(
        URL, {"reported_on": "2025-05-20", "source": "whistleblowing", "reporter_name": "X", "dossier_type": "loan"}
    )
    assert response.status_code == 201, response.content
    assert response.json()["reference"] == "COI-2025-001"
    assert response.json()["analysis_due_on"] == "2025-07-19"


def test_a_written_status_is_ignored_on_create():
    response = client_for("Compliance officer").post(URL, {"reported_on": "2025-05-20", "status": "closed"})
    assert response.status_code == 201
    assert ConflictOfInterestCase.objects.get().status == CaseStatus.RECEIVED


def test_the_workflow_through_the_actions():
    case = CaseFactory()
    client = client_for("Compliance officer")
    assert client.post(f"{URL}{case.pk}/start-analysis/", {}).json()["status"] == "under_analysis"
    row = client.post(
        f"{URL}{case.pk}/qualify/",
        {"qualification": "confirmed", "qualified_on": "2025-04-01", "analysis": "Relative's loan"},
    ).json()
    assert (row["status"], row["qualification"]) == ("qualified", "confirmed")
    row = client.post(f"{URL}{case.pk}/add-measure/", {"kind": "sanction", "decided_on": "2025-04-10"}).json()
    assert [m["kind"] for m in row["measures"]] == ["sanction"]
    process = MacroProcess.objects.create(kind="conflict_of_interest", code="MP1", name="Lending")
    risk = Risk.objects.create(
        map=RiskMap.objects.create(kind="conflict_of_interest", version=1),
        code="R1",
        title="t",
        macro_process=process,
        gross_likelihood=1,
        gross_impact=1,
        gross_score=1,
        net_likelihood=1,
        net_impact=1,
        net_score=1,
    )
    assert client.post(f"{URL}{case.pk}/link-risks/", {"risks": [risk.pk]}).json()["risks"] == [risk.pk]
    assert client.post(f"{URL}{case.pk}/close/", {"closed_on": "2025-05-01"}).json()["status"] == "closed"
    row = client.post(f"{URL}{case.pk}/reopen/", {"reason": "New facts"}).json()
    assert row["status"] == "under_analysis" and row["closed_on"] is None


def test_closing_an_unqualified_case_is_a_400_with_the_message():
    case = CaseFactory()
    response = client_for("Compliance officer").post(f"{URL}{case.pk}/close/", {"closed_on": "2025-05-01"})
    assert response.status_code == 400
    assert response.json() == {"status": ["A case cannot be closed before it is qualified."]}


def test_a_measure_on_an_unfounded_case_without_justification_is_a_400():
    case = CaseFactory(status=CaseStatus.QUALIFIED, qualification="unfounded", qualified_on=dt.date(2025, 3, 10))
    response = client_for("Compliance officer").post(
        f"{URL}{case.pk}/add-measure/", {"kind": "action_plan", "decided_on": "2025-04-01"}
    )
    assert response.status_code == 400
    assert "needs a written justification" in response.json()["justification"][0]
    assert not case.measures.exists()


def test_an_unknown_qualification_or_a_missing_date_is_a_400():
    case = CaseFactory()
    response = client_for("Compliance officer").post(f"{URL}{case.pk}/qualify/", {"qualification": "maybe"})
    assert response.status_code == 400
    assert set(response.json()) == {"qualification", "qualified_on"}


def test_an_action_item_due_before_the_report_is_a_400():
    case = CaseFactory(reference="COI-9")
    response = client_for("Compliance officer").post(ITEMS, {"case": "COI-9", "title": "Train", "due_on": "2025-01-01"})
    assert response.status_code == 400
    assert "before the case was reported" in response.json()["due_on"][0]
    assert not case.action_items.exists()


def test_an_action_item_is_completed_by_its_action():
    item = ActionItemFactory()
    response = client_for("Compliance officer").post(
        f"{ITEMS}{item.pk}/complete/", {"done_on": "2025-06-01", "evidence": "sheet"}
    )
    assert response.status_code == 200 and response.json()["done_on"] == "2025-06-01"


# --- filters -----------------------------------------------------------------------------------------------


def test_case_filters():
    CaseFactory(reference="LATE", reported_on=dt.date(2024, 3, 1))
    confirmed = CaseFactory(
        reference="CONF",
        reported_on=dt.date(2025, 5, 1),
        status=CaseStatus.QUALIFIED,
        qualification="confirmed",
        qualified_on=dt.date(2025, 5, 2),
    )
    CaseMeasureFactory(case=confirmed, kind="dossier_refused")
    client = client_for("Auditor")
    assert references(client.get(URL, {"reference": "CONF"})) == ["CONF"]
    assert references(client.get(URL, {"qualification": "confirmed"})) == ["CONF"]
    assert references(client.get(URL, {"measure": "dossier_refused"})) == ["CONF"]
    assert references(client.get(URL, {"reported_year": 2024})) == ["LATE"]
    assert references(client.get(URL, {"analysis_overdue": "true"})) == ["LATE"]
    assert references(client.get(URL, {"status": "qualified"})) == ["CONF"]


@pytest.mark.parametrize("params", [{"analysis_overdue": "maybe"}, {"reported_year": "99999"}, {"measure": "x"}])
def test_bad_case_filters_are_400(params):
    assert client_for("Auditor").get(URL, params).status_code == 400


def test_action_item_filters():
    late = ActionItemFactory(case=CaseFactory(reference="COI-A"), due_on=dt.date(2025, 5, 1))
    ActionItemFactory(due_on=dt.date(2025, 5, 1), done_on=dt.date(2025, 5, 1))
    ActionItemFactory(due_on=dt.date(2025, 9, 1))
    client = client_for("Auditor")

    def ids(params: dict[str, str]) -> list[int]:
        return [row["id"] for row in client.get(ITEMS, params).json()["results"]]

    assert ids({"overdue": "true"}) == [late.pk]
    assert ids({"case": "COI-A"}) == [late.pk]
    assert len(ids({"done": "false"})) == 2
    assert client.get(ITEMS, {"overdue": "maybe"}).status_code == 400
