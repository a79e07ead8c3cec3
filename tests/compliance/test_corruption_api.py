"""The API of the corruption incidents and legal cases (ESRS G1-4): `/api/compliance/corruption-incidents/`,
`/api/compliance/legal-proceedings/` (decision: POST `decide/`), and a confirmed case qualified as
corruption: POST `/api/compliance/coi-cases/{id}/qualify-corruption/`. Writes through the services."""

from __future__ import annotations

import datetime as dt
from functools import partial

import pytest
from rest_framework.test import APIClient

from compliance.choices import CaseStatus
from compliance.models import CorruptionIncident, LegalProceeding
from tests.clients import api_client
from tests.compliance.factories import (
    CaseFactory,
    CaseMeasureFactory,
    CorruptionIncidentFactory,
    LegalProceedingFactory,
)
from tests.factories import LegalEntityFactory

INCIDENTS = "/api/compliance/corruption-incidents/"
PROCEEDINGS = "/api/compliance/legal-proceedings/"
CASES = "/api/compliance/coi-cases/"
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("english_messages", "roles"),
    pytest.mark.time_machine(dt.datetime(2025, 6, 2, 10, 0, tzinfo=dt.UTC), tick=False),
]
client_for = partial(api_client, language="en")


def references(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["reference"] for row in response.json()["results"]]


@pytest.mark.parametrize("url", [INCIDENTS, PROCEEDINGS])
def test_only_compliance_readers_see_them(url):
    assert APIClient().get(url).status_code in (401, 403)
    for role in ("DPO", "Training manager"):
        assert client_for(role).get(url).status_code == 403
    for role in ("Compliance officer", "Auditor"):
        assert client_for(role).get(url).status_code == 200
    assert client_for("Auditor").post(url, {}, format="json").status_code == 403


def test_a_compliance_officer_records_an_incident_and_a_bad_one_is_a_400_naming_the_field():
    LegalEntityFactory(code="ALS")
    client = client_for("Compliance officer")
    response = client.post(
        INCIDENTS,
        {
            "nature": "active_corruption",
            "confirmed_on": "2025-05-20",
            "entity": "ALS",
            "partner_contract_terminated": True,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (
        body["reference"],
        body["entity"],
        body["coi_case"],
        body["partner_contract_terminated"],
        body["workers_disciplined"],
    ) == ("CORR-2025-001", "ALS", None, True, False)
    assert CorruptionIncident.objects.get().history.get().history_change_reason == "confirmed on 20/05/2025"
    response = client.post(INCIDENTS, {"nature": "active_corruption", "confirmed_on": "2025-06-03"}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["confirmed_on"]
    potential = CaseFactory(status=CaseStatus.QUALIFIED, qualification="potential", qualified_on=dt.date(2025, 3, 10))
    response = client.post(
        INCIDENTS,
        {"nature": "active_corruption", "confirmed_on": "2025-05-20", "coi_case": potential.reference},
        format="json",
    )
    assert response.status_code == 400 and list(response.json()) == ["coi_case"]
    assert CorruptionIncident.objects.count() == 1


def test_a_confirmed_case_is_qualified_as_corruption_by_its_action_and_shows_its_incident():
    case = CaseFactory(status=CaseStatus.QUALIFIED, qualification="confirmed", qualified_on=dt.date(2025, 3, 10))
    CaseMeasureFactory(case=case, kind="sanction")
    client = client_for("Compliance officer")
    response = client.post(
        f"{CASES}{case.pk}/qualify-corruption/",
        {"nature": "passive_corruption", "confirmed_on": "2025-04-02"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert (response.json()["coi_case"], response.json()["workers_disciplined"]) == (case.reference, True)
    assert client.get(f"{CASES}{case.pk}/").json()["corruption_incident"] == response.json()["reference"]
    response = client.post(
        f"{CASES}{case.pk}/qualify-corruption/",
        {"nature": "passive_corruption", "confirmed_on": "2025-04-02"},
        format="json",
    )
    assert response.status_code == 400 and list(response.json()) == ["coi_case"]
    assert (
        client_for("Auditor")
        .post(
            f"{CASES}{case.pk}/qualify-corruption/",
            {"nature": "passive_corruption", "confirmed_on": "2025-04-02"},
            format="json",
        )
        .status_code
        == 403
    )


def test_an_incident_s_case_and_reference_are_not_changed_through_the_api():
    incident = CorruptionIncidentFactory(reference="CORR-KEEP")
    other = CaseFactory()
    response = client_for("Compliance officer").patch(
        f"{INCIDENTS}{incident.pk}/",
        {"reference": "CORR-NEW", "coi_case": other.reference, "workers_disciplined": True},
        format="json",
    )
    assert response.status_code == 200, response.json()
    incident.refresh_from_db()
    assert (incident.reference, incident.coi_case, incident.workers_disciplined) == ("CORR-KEEP", None, True)


def test_a_legal_case_is_brought_then_decided_by_its_action():
    incident = CorruptionIncidentFactory(reference="CORR-2025-001")
    client = client_for("Compliance officer")
    response = client.post(
        PROCEEDINGS,
        {
            "defendant": "undertaking",
            "opened_on": "2025-01-15",
            "incident": "CORR-2025-001",
            "court": "Tribunal correctionnel de Paris",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["reference"], body["incident"], body["outcome"], body["fine_eur"]) == (
        "PROC-2025-001",
        incident.reference,
        "",
        None,
    )
    # The outcome is not a writable field: it moves by the action.
    proceeding = LegalProceeding.objects.get()
    client.patch(f"{PROCEEDINGS}{proceeding.pk}/", {"outcome": "conviction"}, format="json")
    assert LegalProceeding.objects.get().outcome == ""
    response = client.post(
        f"{PROCEEDINGS}{proceeding.pk}/decide/",
        {"outcome": "settlement", "decided_on": "2025-05-06", "fine_eur": "1250000.50"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["outcome"], response.json()["fine_eur"]) == ("settlement", "1250000.50")
    response = client.post(
        f"{PROCEEDINGS}{proceeding.pk}/decide/",
        {"outcome": "acquittal", "decided_on": "2025-05-20", "fine_eur": "10"},
        format="json",
    )
    assert response.status_code == 400 and set(response.json()) == {"reason", "fine_eur"}


def test_filters_by_year_nature_outcome_and_reference(django_assert_max_num_queries):
    CorruptionIncidentFactory(reference="I-2024", confirmed_on=dt.date(2024, 5, 1), nature="active_corruption")
    CorruptionIncidentFactory(reference="I-2025", confirmed_on=dt.date(2025, 5, 1))
    LegalProceedingFactory(reference="P-PENDING")
    LegalProceedingFactory(reference="P-CONVICTED", outcome="conviction", decided_on=dt.date(2025, 3, 1))
    client = client_for("Auditor")
    assert references(client.get(INCIDENTS, {"confirmed_year": "2024"})) == ["I-2024"]
    assert references(client.get(INCIDENTS, {"nature": "passive_corruption"})) == ["I-2025"]
    assert references(client.get(INCIDENTS, {"reference": "I-2025"})) == ["I-2025"]
    assert references(client.get(PROCEEDINGS, {"outcome": "conviction"})) == ["P-CONVICTED"]
    assert references(client.get(PROCEEDINGS, {"decided": "false"})) == ["P-PENDING"]
    assert references(client.get(PROCEEDINGS, {"decided_year": "2025"})) == ["P-CONVICTED"]
    for _ in range(20):
        incident = CorruptionIncidentFactory(coi_case=CaseFactory(), entity=LegalEntityFactory())
        LegalProceedingFactory(incident=incident, entity=incident.entity)
    with django_assert_max_num_queries(6):
        assert client.get(INCIDENTS).status_code == 200
    with django_assert_max_num_queries(6):
        assert client.get(PROCEEDINGS).status_code == 200
