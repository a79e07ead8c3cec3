"""`/api/gdpr/rights-requests/`: permissions, creation through the service, filters, the POST actions."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from rest_framework.test import APIClient

from gdpr.choices import RequestStatus, Right
from gdpr.models import RightsRequest
from gdpr.services.rights import rights_request_create, rights_request_pause
from tests.clients import api_client as client_for  # in the site's language: the 400s asserted are French
from tests.factories import UserFactory
from tests.gdpr.factories import ProcessingActivityFactory

URL = "/api/gdpr/rights-requests/"
PARIS = ZoneInfo("Europe/Paris")
NOW = dt.datetime(2025, 6, 20, 12, tzinfo=PARIS)
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("english_messages", "roles"),
    pytest.mark.time_machine(NOW, tick=False),
]


def make(received: dt.datetime, **kwargs) -> RightsRequest:
    return rights_request_create(actor=None, received_at=received, right=kwargs.pop("right", Right.ACCESS), **kwargs)


def detail(request: RightsRequest, action: str = "") -> str:
    return f"{URL}{request.pk}/{action + '/' if action else ''}"


# --- permissions (NetBox style) ---------------------------------------------------------------------------


def test_anonymous_is_refused():
    assert APIClient().get(URL).status_code in (401, 403)


def test_authenticated_without_permission_is_refused():
    assert client_for().get(URL).status_code == 403


@pytest.mark.parametrize("group", ["DPO", "Compliance officer", "Auditor"])
def test_roles_with_view_permission_read(group):
    make(dt.datetime(2025, 6, 2, 9, tzinfo=PARIS))
    response = client_for(group).get(URL)
    assert response.status_code == 200
    assert response.json()["count"] == 1


@pytest.mark.parametrize("group", ["Auditor", "Compliance officer"])
def test_read_only_roles_can_neither_create_nor_act(group):
    request = make(dt.datetime(2025, 6, 2, 9, tzinfo=PARIS))
    client = client_for(group)
    assert (
        client.post(URL, {"received_at": "2025-06-03T10:00:00+02:00", "right": "access"}, format="json").status_code
        == 403
    )
    assert client.post(detail(request, "start"), {}, format="json").status_code == 403
    assert RightsRequest.objects.get(pk=request.pk).status == RequestStatus.RECEIVED


def test_no_delete_even_for_the_dpo():
    request = make(dt.datetime(2025, 6, 2, 9, tzinfo=PARIS))
    assert client_for("DPO").delete(detail(request)).status_code == 405
    assert RightsRequest.objects.filter(pk=request.pk).exists()


# --- reading --------------------------------------------------------------------------------------------


def test_a_request_shows_its_deadlines_explanation_ledger_and_pauses():
    request = make(dt.datetime(2025, 6, 2, 9, tzinfo=PARIS), reference="DSR-API-1")
    rights_request_pause(request=request, actor=None, asked_on=dt.date(2025, 6, 3))
    data = client_for("Auditor").get(detail(request)).json()
    for name in (
        "reference",
        "received_at",
        "right",
        "status",
        "due_on",
        "extended_due_on",
        "answered_at",
        "applicable_due_on",
        "deadline_explanation",
        "deadline_events",
        "pauses",
    ):
        assert name in data
    assert data["status"] == "paused" and data["applicable_due_on"] is None
    assert [event["kind"] for event in data["deadline_events"]] == ["computed", "paused"]
    assert data["pauses"] == [
        {"id": request.pauses.get().pk, "reason": "identity", "asked_on": "2025-06-03", "answered_on": None, "note": ""}
    ]
    assert data["allowed_actions"] == ["resume", "extend", "withdraw"]


def test_list_query_count_does_not_grow_with_rows(django_assert_max_num_queries):
    for day in range(1, 16):
        request = make(dt.datetime(2025, 6, day, 9, tzinfo=PARIS))
        if day % 3 == 0:
            rights_request_pause(request=request, actor=None, asked_on=dt.date(2025, 6, day))
    client = client_for("Auditor")
    with django_assert_max_num_queries(8):
        response = client.get(URL)
    assert response.status_code == 200 and response.json()["count"] == 15


# --- creation -------------------------------------------------------------------------------------------


def test_the_dpo_creates_a_request_through_the_service():
    ProcessingActivityFactory(reference="PA-LOANS")
    response = client_for("DPO").post(
        URL,
        {
            "received_at": "2025-03-05T10:00:00+01:00",
            "right": "erasure",
            "other_rights": ["objection"],
            "channel": "post",
            "requester_name": "Mme Durand",
            "processing_activities": ["PA-LOANS"],
            "status": "received",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["reference"], data["status"], data["due_on"], data["applicable_due_on"]) == (
        "DSR-2025-00001",
        "received",
        "2025-04-07",
        "2025-04-07",
    )
    assert data["processing_activities"] == ["PA-LOANS"]
    assert [event["kind"] for event in data["deadline_events"]] == ["computed"]
    request = RightsRequest.objects.get()
    assert request.history.get().history_user.groups.filter(name="DPO").exists()


def test_creation_ignores_nothing_silently_a_status_other_than_received_is_refused():
    response = client_for("DPO").post(
        URL,
        {"received_at": "2025-03-05T10:00:00+01:00", "right": "access", "status": "closed", "due_on": "2030-01-01"},
        format="json",
    )
    assert response.status_code == 400
    assert "status" in response.json()
    assert not RightsRequest.objects.exists()


def test_bad_input_is_a_400_naming_each_field():
    response = client_for("DPO").post(
        URL,
        {"received_at": "2025-06-21T10:00:00+02:00", "right": "teleport", "requester_email": "not-an-address"},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"right", "requester_email"}
    response = client_for("DPO").post(
        URL, {"received_at": "2025-06-21T10:00:00+02:00", "right": "access"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"received_at": ["Cette date est dans le futur."]}  # French by default


def test_patch_of_the_status_is_refused_and_changes_nothing():
    request = make(dt.datetime(2025, 6, 2, 9, tzinfo=PARIS))
    client = client_for("DPO")
    response = client.patch(detail(request), {"status": "closed"}, format="json")
    assert response.status_code == 400
    assert "status" in response.json()
    response = client.patch(detail(request), {"due_on": "2030-01-01", "notes": "called back"}, format="json")
    assert response.status_code == 200
    request.refresh_from_db()
    assert (request.status, request.due_on, request.notes) == (
        RequestStatus.RECEIVED,
        dt.date(2025, 7, 2),
        "called back",
    )


def test_patch_cannot_move_the_receipt_date_or_the_reference():
    request = make(dt.datetime(2025, 6, 2, 9, tzinfo=PARIS), reference="DSR-KEEP")
    response = client_for("DPO").patch(
        detail(request), {"received_at": "2025-06-10T09:00:00+02:00", "reference": "DSR-OTHER"}, format="json"
    )
    assert response.status_code == 200
    request.refresh_from_db()
    assert (request.reference, request.due_on) == ("DSR-KEEP", dt.date(2025, 7, 2))


def test_patch_of_the_handler_goes_through_the_service_with_history():
    request = make(dt.datetime(2025, 6, 2, 9, tzinfo=PARIS))
    UserFactory(username="claire", groups=["DPO"])
    response = client_for("DPO").patch(detail(request), {"handler": "claire"}, format="json")
    assert response.status_code == 200 and response.json()["handler"] == "claire"
    assert request.history.first().history_change_reason == "chargé de la demande : claire"


# --- filters --------------------------------------------------------------------------------------------


def references(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return sorted(item["reference"] for item in response.json()["results"])


def test_overdue_follows_the_frozen_clock():
    make(dt.datetime(2025, 5, 2, 9, tzinfo=PARIS), reference="LATE")  # due 02/06/2025
    make(dt.datetime(2025, 6, 2, 9, tzinfo=PARIS), reference="RUNNING")  # due 02/07/2025
    paused = make(dt.datetime(2025, 5, 2, 9, tzinfo=PARIS), reference="PAUSED")
    rights_request_pause(request=paused, actor=None, asked_on=dt.date(2025, 5, 5))  # suspended: not overdue
    client = client_for("Auditor")
    assert references(client.get(URL, {"overdue": "true"})) == ["LATE"]
    assert references(client.get(URL, {"overdue": "false"})) == ["PAUSED", "RUNNING"]
    with time_machine.travel(dt.datetime(2025, 7, 3, 9, tzinfo=PARIS), tick=False):
        assert references(client.get(URL, {"overdue": "true"})) == ["LATE", "RUNNING"]


def test_due_before_status_reference_right_and_year():
    make(dt.datetime(2025, 5, 2, 9, tzinfo=PARIS), reference="A", right=Right.ERASURE)  # due 02/06
    make(dt.datetime(2025, 6, 2, 9, tzinfo=PARIS), reference="B")  # due 02/07
    make(dt.datetime(2024, 12, 31, 23, 30, tzinfo=PARIS), reference="C")  # 2024 in Paris, 2024-12-31 22:30 UTC
    client = client_for("Auditor")
    assert references(client.get(URL, {"due_before": "2025-06-30"})) == ["A", "C"]
    assert references(client.get(URL, {"due_before": "2025-07-02"})) == ["A", "B", "C"]
    assert references(client.get(URL, {"reference": "B"})) == ["B"]
    assert references(client.get(URL, {"right": "erasure"})) == ["A"]
    assert references(client.get(URL, {"received_year": "2024"})) == ["C"]
    assert references(client.get(URL, {"status": "received"})) == ["A", "B", "C"]
    assert client.get(URL, {"due_before": "not-a-date"}).status_code == 400


# --- the POST actions -----------------------------------------------------------------------------------


def act(client: APIClient, request: RightsRequest, action: str, **body):
    return client.post(detail(request, action), body, format="json")


def test_each_action_through_the_api():
    dpo = client_for("DPO")
    request = make(dt.datetime(2025, 6, 2, 9, tzinfo=PARIS))
    assert act(dpo, request, "start").json()["status"] == "in_progress"
    data = act(dpo, request, "pause", asked_on="2025-06-03", reason="identity", note="no signature").json()
    assert (data["status"], data["applicable_due_on"]) == ("paused", None)
    data = act(dpo, request, "resume", answered_on="2025-06-10").json()
    assert (data["status"], data["due_on"]) == ("in_progress", "2025-07-09")
    data = act(dpo, request, "extend", notified_at="2025-06-12T10:00:00+02:00", reason="many systems").json()
    assert (data["status"], data["extended_due_on"], data["applicable_due_on"]) == (
        "extended",
        "2025-09-09",
        "2025-09-09",
    )
    data = act(
        dpo, request, "answer", answered_at="2025-06-19T10:00:00+02:00", outcome="partially_granted", channel="email"
    ).json()
    assert (data["status"], data["outcome"], data["answer_channel"]) == ("answered", "partially_granted", "email")
    data = act(dpo, request, "close").json()
    assert data["status"] == "closed" and data["closed_at"] is not None
    assert [e["kind"] for e in data["deadline_events"]] == ["computed", "paused", "resumed", "extended"]


def test_refuse_and_withdraw_through_the_api():
    dpo = client_for("DPO")
    refused = make(dt.datetime(2025, 6, 2, 9, tzinfo=PARIS))
    response = act(
        dpo,
        refused,
        "refuse",
        ground="excessive",
        answered_at="2025-06-10T10:00:00+02:00",
        complaint_right_notified=True,
    )
    assert response.status_code == 200 and response.json()["status"] == "refused"
    withdrawn = make(dt.datetime(2025, 6, 2, 9, tzinfo=PARIS))
    response = act(dpo, withdrawn, "withdraw", withdrawn_at="2025-06-05T10:00:00+02:00", note="by phone")
    assert response.status_code == 200 and response.json()["outcome"] == "withdrawn"


def test_a_refused_action_is_a_400_naming_the_field_and_writes_nothing():
    dpo = client_for("DPO")
    request = make(dt.datetime(2025, 5, 2, 9, tzinfo=PARIS))  # due 02/06/2025
    response = act(dpo, request, "extend", notified_at="2025-06-03T10:00:00+02:00", reason="too late")
    assert response.status_code == 400
    assert "après le premier délai (02/06/2025)" in response.json()["notified_at"][0]
    response = act(
        dpo,
        request,
        "refuse",
        ground="excessive",
        answered_at="2025-06-10T10:00:00+02:00",
        complaint_right_notified=False,
    )
    assert response.status_code == 400 and "complaint_right_notified" in response.json()
    response = act(dpo, request, "answer", answered_at="2025-05-01T10:00:00+02:00", outcome="granted", channel="email")
    assert response.status_code == 400 and "antérieure à la réception" in response.json()["answered_at"][0]
    response = act(dpo, request, "resume", answered_on="2025-06-10")
    assert response.status_code == 400 and "status" in response.json()
    response = act(dpo, request, "pause", reason="whim")
    assert response.status_code == 400 and set(response.json()) == {"asked_on", "reason"}
    request.refresh_from_db()
    assert (request.status, request.extension_notified_at, request.answered_at) == (RequestStatus.RECEIVED, None, None)
    assert request.deadline_events.count() == 1


def test_the_openapi_schema_documents_the_collection_and_its_actions():
    response = client_for("Auditor").get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert URL in paths
    for action in ("start", "pause", "resume", "extend", "answer", "refuse", "withdraw", "close"):
        assert f"{URL}{{id}}/{action}/" in paths
    assert "asked_on" in response.json()["components"]["schemas"]["PauseInputRequest"]["properties"]


def test_a_refusal_cannot_be_recorded_as_an_answer():
    dpo = client_for("DPO")
    request = make(dt.datetime(2025, 6, 2, 9, tzinfo=PARIS))
    for outcome in ("unfounded", "refused"):
        response = act(
            dpo, request, "answer", answered_at="2025-06-10T10:00:00+02:00", outcome=outcome, channel="email"
        )
        assert response.status_code == 400 and "outcome" in response.json()
    request.refresh_from_db()
    assert request.status == RequestStatus.RECEIVED


@pytest.mark.parametrize("params", [{"received_year": "99999"}, {"received_year": "0"}, {"overdue": "maybe"}])
def test_out_of_range_or_unknown_filter_values_are_a_400(params):
    assert client_for("DPO").get(URL, params).status_code == 400


def test_a_date_beyond_what_paris_time_can_hold_is_a_400_not_a_500():
    response = client_for("DPO").post(URL, {"received_at": "0001-01-01T00:00", "right": "access"}, format="json")
    assert response.status_code == 400
    assert not RightsRequest.objects.exists()
