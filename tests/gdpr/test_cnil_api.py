"""`/api/gdpr/cnil-cases/`: permissions, filters, the `/answer/` action and 400s with field messages."""

from __future__ import annotations

import datetime as dt
from functools import partial

import pytest
from rest_framework.test import APIClient

from gdpr.choices import CnilCaseKind
from gdpr.models import CnilCase
from tests.clients import api_client
from tests.gdpr.factories import CnilCaseFactory, RightsRequestFactory

URL = "/api/gdpr/cnil-cases/"
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("english_messages", "roles"),
    pytest.mark.time_machine(dt.datetime(2025, 4, 15, 10, 0, tzinfo=dt.UTC), tick=False),
]
client_for = partial(api_client, language="en")  # the messages asserted are the English ones


def references(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [case["reference"] for case in response.json()["results"]]


# --- permissions --------------------------------------------------------------------------------------------


def test_anonymous_is_refused():
    assert APIClient().get(URL).status_code in (401, 403)


def test_authenticated_without_permission_is_refused():
    assert client_for().get(URL).status_code == 403


@pytest.mark.parametrize("role", ["DPO", "Compliance officer", "Auditor"])
def test_gdpr_readers_list_the_cases(role):
    CnilCaseFactory(reference="CNIL-1")
    assert references(client_for(role).get(URL)) == ["CNIL-1"]


@pytest.mark.parametrize("role", ["Auditor", "Compliance officer"])
def test_readers_cannot_create_or_answer(role):
    case = CnilCaseFactory()
    client = client_for(role)
    assert client.post(URL, {"kind": "complaint_without_referral", "received_on": "2025-04-01"}).status_code == 403
    assert client.post(f"{URL}{case.pk}/answer/", {"answered_on": "2025-04-10"}).status_code == 403
    assert CnilCase.objects.get().answered_on is None


def test_no_one_deletes_a_case_through_the_api():
    case = CnilCaseFactory()
    assert client_for("DPO").delete(f"{URL}{case.pk}/").status_code == 405


# --- writes through the services ----------------------------------------------------------------------------


def test_dpo_records_a_referral_linked_to_a_rights_request():
    RightsRequestFactory(reference="DSR-2025-00007")
    response = client_for("DPO").post(
        URL,
        {
            "kind": "referral",
            "received_on": "2025-04-10",
            "due_on": "2025-04-20",
            "cnil_reference": "PLT-9",
            "rights_request": "DSR-2025-00007",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["reference"], body["due_on"], body["rights_request"], body["is_overdue"]) == (
        "CNIL-2025-001",
        "2025-04-20",
        "DSR-2025-00007",
        False,
    )
    assert CnilCase.history.get().history_change_reason.startswith("recorded:")


def test_a_referral_without_due_date_is_a_400_naming_due_on():
    response = client_for("DPO").post(URL, {"kind": "referral", "received_on": "2025-04-01"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"due_on": ["A referral needs the reply date set in the CNIL's letter."]}
    assert not CnilCase.objects.exists()


def test_answered_on_is_not_writable_directly():
    case = CnilCaseFactory(received_on=dt.date(2025, 4, 1))
    response = client_for("DPO").patch(f"{URL}{case.pk}/", {"answered_on": "2025-04-02", "notes": "n"}, format="json")
    assert response.status_code == 200
    case.refresh_from_db()
    assert (case.answered_on, case.notes) == (None, "n")


def test_the_answer_action_records_the_answer():
    case = CnilCaseFactory(received_on=dt.date(2025, 4, 1), due_on=dt.date(2025, 4, 11))
    response = client_for("DPO").post(f"{URL}{case.pk}/answer/", {"answered_on": "2025-04-10"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["answered_on"] == "2025-04-10"


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (
            {"answered_on": "2025-03-31"},
            {"answered_on": ["The answer (31/03/2025) cannot be dated before the receipt (01/04/2025)."]},
        ),
        ({"answered_on": "2025-04-16"}, {"answered_on": ["The answer (16/04/2025) cannot be dated in the future."]}),
        ({}, {"answered_on": ["This field is required."]}),
        ({"answered_on": "10/04/2025x"}, None),
    ],
)
def test_a_bad_answer_is_a_400_with_the_field_message(payload, expected):
    case = CnilCaseFactory(received_on=dt.date(2025, 4, 1))
    response = client_for("DPO").post(f"{URL}{case.pk}/answer/", payload, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["answered_on"]
    if expected:
        assert response.json() == expected


# --- filters ------------------------------------------------------------------------------------------------


def test_filters_kind_overdue_due_before_reference_and_received_year():
    CnilCaseFactory(reference="LATE", received_on=dt.date(2025, 4, 1), due_on=dt.date(2025, 4, 11))
    CnilCaseFactory(reference="SOON", received_on=dt.date(2025, 4, 10), due_on=dt.date(2025, 4, 20))
    CnilCaseFactory(
        reference="DONE", received_on=dt.date(2025, 4, 1), due_on=dt.date(2025, 4, 11), answered_on=dt.date(2025, 4, 9)
    )
    CnilCaseFactory(reference="PLAINTE", kind=CnilCaseKind.COMPLAINT_WITHOUT_REFERRAL, received_on=dt.date(2024, 6, 1))
    client = client_for("Auditor")
    assert references(client.get(URL, {"kind": "complaint_without_referral"})) == ["PLAINTE"]
    assert references(client.get(URL, {"overdue": "true"})) == ["LATE"]
    assert sorted(references(client.get(URL, {"overdue": "false"}))) == ["DONE", "PLAINTE", "SOON"]
    assert sorted(references(client.get(URL, {"due_before": "2025-04-22"}))) == ["LATE", "SOON"]
    assert references(client.get(URL, {"reference": "SOON"})) == ["SOON"]
    assert references(client.get(URL, {"received_year": "2024"})) == ["PLAINTE"]
    assert references(client.get(URL, {"answered": "true"})) == ["DONE"]
    assert client.get(URL, {"due_before": "not-a-date"}).status_code == 400


def test_a_complaint_with_a_reply_date_is_recorded_overdue_and_filtered_like_a_referral():
    response = client_for("DPO").post(
        URL, {"kind": "complaint_without_referral", "received_on": "2025-04-01", "due_on": "2025-04-11"}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert (response.json()["due_on"], response.json()["is_overdue"]) == ("2025-04-11", True)
    CnilCaseFactory(
        reference="PLAINTE-SANS-DATE", kind=CnilCaseKind.COMPLAINT_WITHOUT_REFERRAL, received_on=dt.date(2025, 4, 1)
    )
    client = client_for("Auditor")
    assert references(client.get(URL, {"overdue": "true"})) == [response.json()["reference"]]
    assert references(client.get(URL, {"due_before": "2025-04-30"})) == [response.json()["reference"]]


def test_list_query_count_does_not_grow_with_rows(django_assert_max_num_queries):
    for _i in range(30):
        CnilCaseFactory(rights_request=RightsRequestFactory())
    client = client_for("Auditor")
    with django_assert_max_num_queries(8):
        assert client.get(URL).status_code == 200


def test_openapi_schema_documents_the_collection_and_its_answer_action():
    paths = client_for("Auditor").get("/api/schema/", {"format": "json"}).json()["paths"]
    assert URL in paths and f"{URL}{{id}}/answer/" in paths
