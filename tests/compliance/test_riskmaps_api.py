"""`/api/compliance/risk-maps/`, `/macro-processes/`, `/risk-interviews/`: permissions, nested ranked risks,
filters, the new-version and approve actions, the XLSX export, 400s with field messages."""

from __future__ import annotations

import datetime as dt
import io
from functools import partial
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from rest_framework.test import APIClient

from compliance.choices import RiskMapKind
from compliance.models import MacroProcess, RiskInterview, RiskMap
from tests.clients import api_client
from tests.compliance.factories import MacroProcessFactory, RiskFactory, RiskInterviewFactory, RiskMapFactory

PARIS = ZoneInfo("Europe/Paris")
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("roles"),
    pytest.mark.time_machine(dt.datetime(2025, 3, 10, 12, 0, tzinfo=PARIS), tick=False),
]
MAPS = "/api/compliance/risk-maps/"
PROCESSES = "/api/compliance/macro-processes/"
INTERVIEWS = "/api/compliance/risk-interviews/"
client_for = partial(api_client, language="en")  # the messages asserted are the English ones


@pytest.fixture
def risk_map():
    risk_map = RiskMapFactory(kind=RiskMapKind.CORRUPTION, version=1)
    RiskFactory(map=risk_map, code="LOW", net_likelihood=1, net_impact=1)
    RiskFactory(map=risk_map, code="HIGH", net_likelihood=3, net_impact=4)
    RiskInterviewFactory(map=risk_map)
    return risk_map


# --- permissions --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [MAPS, PROCESSES, INTERVIEWS])
def test_anonymous_is_refused(url):
    assert APIClient().get(url).status_code in (401, 403)


@pytest.mark.parametrize("url", [MAPS, PROCESSES, INTERVIEWS])
@pytest.mark.parametrize("groups", [(), ("DPO",)])
def test_users_without_a_compliance_permission_are_refused(url, groups):
    assert client_for(*groups).get(url).status_code == 403


@pytest.mark.parametrize("url", [MAPS, PROCESSES, INTERVIEWS])
@pytest.mark.parametrize("role", ["Compliance officer", "Auditor"])
def test_compliance_readers_list(url, role, risk_map):
    response = client_for(role).get(url)
    assert response.status_code == 200 and response.json()["count"] >= 1


@pytest.mark.parametrize(
    "url, payload",
    [
        (MAPS, {"kind": "corruption"}),
        (PROCESSES, {"kind": "corruption", "code": "X", "name": "X"}),
        (INTERVIEWS, {"held_on": "2025-03-01", "function": "X", "function_type": "business"}),
    ],
)
def test_an_auditor_cannot_create(url, payload, risk_map):
    assert client_for("Auditor").post(url, payload, format="json").status_code == 403


@pytest.mark.parametrize("action, payload", [("new-version", {}), ("approve", {"approved_on": "2025-03-01"})])
def test_an_auditor_cannot_run_an_action(risk_map, action, payload):
    assert client_for("Auditor").post(f"{MAPS}{risk_map.pk}/{action}/", payload, format="json").status_code == 403
    assert RiskMap.objects.count() == 1 and RiskMap.objects.get().approved_on is None


def test_no_one_deletes_a_map_version(risk_map):
    assert client_for("Compliance officer").delete(f"{MAPS}{risk_map.pk}/").status_code == 405


# --- maps ---------------------------------------------------------------------------------------------------


def test_a_map_comes_with_its_risks_ranked_by_net_score_and_its_counts(risk_map):
    body = client_for("Auditor").get(f"{MAPS}{risk_map.pk}/").json()
    assert [risk["code"] for risk in body["risks"]] == ["HIGH", "LOW"]
    assert body["risks"][0]["net_score"] == 12
    assert (
        body["risk_count"],
        body["macro_process_count"],
        body["business_interviews"],
        body["support_interviews"],
    ) == (2, 2, 1, 0)


def test_the_list_query_count_is_pinned(django_assert_max_num_queries):
    for version in range(1, 11):
        RiskFactory.create_batch(3, map=RiskMapFactory(version=version))
    client = client_for("Auditor")
    with django_assert_max_num_queries(8):
        assert client.get(MAPS).status_code == 200


def test_maps_filter_by_kind_version_and_approval(risk_map):
    RiskMapFactory(kind=RiskMapKind.CONFLICT_OF_INTEREST, version=1, approved_on=dt.date(2025, 1, 1))
    client = client_for("Auditor")
    assert [m["kind"] for m in client.get(MAPS, {"kind": "corruption"}).json()["results"]] == ["corruption"]
    assert [m["kind"] for m in client.get(MAPS, {"approved": "true"}).json()["results"]] == ["conflict_of_interest"]
    assert [m["kind"] for m in client.get(MAPS, {"approved": "false"}).json()["results"]] == ["corruption"]
    assert client.get(MAPS, {"version": 2}).json()["count"] == 0
    assert client.get(MAPS, {"approved": "maybe"}).status_code == 400


def test_creating_a_map_numbers_it_after_the_last_and_copies_it(risk_map):
    response = client_for("Compliance officer").post(MAPS, {"kind": "corruption", "version": 9}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["version"] == 2 and len(response.json()["risks"]) == 2


def test_the_new_version_action_copies_the_map(risk_map):
    response = client_for("Compliance officer").post(
        f"{MAPS}{risk_map.pk}/new-version/", {"title": "2025"}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["version"] == 2 and body["based_on"] == risk_map.pk and body["title"] == "2025"
    assert body["risk_count"] == 2 and body["business_interviews"] == 0


def test_the_approve_action_records_the_approver(risk_map):
    response = client_for("Compliance officer").post(
        f"{MAPS}{risk_map.pk}/approve/", {"approved_on": "2025-03-07"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["approved_on"] == "2025-03-07" and response.json()["approved_by"]


def test_an_approval_without_a_date_or_in_the_future_is_a_400(risk_map):
    client = client_for("Compliance officer")
    assert "approved_on" in client.post(f"{MAPS}{risk_map.pk}/approve/", {}, format="json").json()
    response = client.post(f"{MAPS}{risk_map.pk}/approve/", {"approved_on": "2025-12-01"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"approved_on": ["An approval date cannot be in the future."]}


def test_an_approved_map_cannot_be_edited(risk_map):
    risk_map.approved_on = dt.date(2025, 1, 1)
    risk_map.save()
    response = client_for("Compliance officer").patch(f"{MAPS}{risk_map.pk}/", {"title": "x"}, format="json")
    assert response.status_code == 400 and "frozen" in str(response.json())


def test_the_export_is_an_xlsx_ranked_by_net_score(risk_map):
    response = client_for("Auditor").get(f"{MAPS}{risk_map.pk}/export/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="risk-map-corruption-v1.xlsx"'
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content))["Risques"].iter_rows(values_only=True))
    assert [row[1] for row in rows[1:]] == ["HIGH", "LOW"]


def test_the_export_needs_the_view_permission(risk_map):
    assert client_for("DPO").get(f"{MAPS}{risk_map.pk}/export/").status_code == 403


# --- macro-processes and interviews ---------------------------------------------------------------------------


def test_a_macro_process_is_created_and_a_duplicate_code_is_a_400():
    client = client_for("Compliance officer")
    payload = {"kind": "corruption", "code": "BUY", "name": "Purchasing"}
    assert client.post(PROCESSES, payload, format="json").status_code == 201
    response = client.post(PROCESSES, payload, format="json")
    assert response.status_code == 400 and "code" in response.json()
    assert MacroProcess.objects.count() == 1


def test_an_interview_on_a_macro_process_of_another_kind_is_a_400(risk_map):
    other = MacroProcessFactory(kind=RiskMapKind.CONFLICT_OF_INTEREST)
    response = client_for("Compliance officer").post(
        INTERVIEWS,
        {
            "map": risk_map.pk,
            "held_on": "2025-03-01",
            "function": "Buyer",
            "function_type": "business",
            "macro_process": other.pk,
        },
        format="json",
    )
    assert response.status_code == 400 and "macro_process" in response.json()
    assert RiskInterview.objects.count() == 1


def test_an_interview_is_recorded(risk_map):
    response = client_for("Compliance officer").post(
        INTERVIEWS,
        {"map": risk_map.pk, "held_on": "2025-03-01", "function": "Payroll", "function_type": "support"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert client_for("Auditor").get(INTERVIEWS, {"function_type": "support"}).json()["count"] == 1
