"""`/api/gdpr/breaches/`: permissions, the computed clock, filters, the transition actions, 400s."""

from __future__ import annotations

import datetime as dt
from functools import partial
from zoneinfo import ZoneInfo

import pytest
from rest_framework.test import APIClient

from gdpr.choices import RiskLevel
from gdpr.models import Breach, BreachNotification
from tests.clients import api_client
from tests.gdpr.factories import BreachFactory

URL = "/api/gdpr/breaches/"
PARIS = ZoneInfo("Europe/Paris")
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("roles"),
    pytest.mark.time_machine(dt.datetime(2025, 4, 2, 12, 0, tzinfo=PARIS), tick=False),
]
client_for = partial(api_client, language="en")  # the messages asserted are the English ones


def paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=PARIS)


def references(response) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(breach["reference"] for breach in response.json()["results"])


def post(client: APIClient, breach: Breach, action: str, payload: dict):
    return client.post(f"{URL}{breach.pk}/{action}/", payload, format="json")


# --- permissions --------------------------------------------------------------------------------------------


def test_anonymous_is_refused():
    assert APIClient().get(URL).status_code in (401, 403)


def test_authenticated_without_permission_is_refused():
    assert client_for().get(URL).status_code == 403


@pytest.mark.parametrize("role", ["DPO", "Compliance officer", "Auditor"])
def test_gdpr_readers_list_the_register(role):
    BreachFactory(reference="BR-1")
    assert references(client_for(role).get(URL)) == ["BR-1"]


@pytest.mark.parametrize("role", ["Auditor", "Compliance officer"])
@pytest.mark.parametrize("action", ["assess", "decide", "notify", "inform-subjects", "record-exemption", "close"])
def test_readers_cannot_run_a_transition(role, action):
    breach = BreachFactory()
    assert post(client_for(role), breach, action, {}).status_code == 403


def test_an_auditor_cannot_create_a_breach():
    assert client_for("Auditor").post(URL, {"aware_at": "2025-04-01T10:00:00+02:00"}).status_code == 403


def test_no_one_deletes_a_breach_through_the_api():
    assert client_for("DPO").delete(f"{URL}{BreachFactory().pk}/").status_code == 405


# --- the register and its clock -----------------------------------------------------------------------------


def test_create_computes_the_deadline_and_returns_datetimes_with_their_offset():
    response = client_for("DPO").post(
        URL,
        {
            "aware_at": "2025-03-28T10:00:00+01:00",
            "title": "Misdirected mail",
            "subjects_count": 12,
            # State columns are read-only: the computed deadline and the decision cannot be written.
            "notification_due_at": "2025-04-30T10:00:00+02:00",
            "notified_at": "2025-03-29T10:00:00+01:00",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["reference"] == "BR-2025-001"
    assert body["aware_at"] == "2025-03-28T10:00:00+01:00"
    assert body["notification_due_at"] == "2025-03-31T11:00:00+02:00"
    assert body["notified_at"] is None and body["notified_within_72h"] is None
    assert "+ 72 hours = 31/03/2025 11:00" in body["clock_explanation"]


def test_a_breach_without_awareness_or_aware_in_the_future_is_a_400_naming_aware_at():
    client = client_for("DPO")
    assert list(client.post(URL, {"title": "x"}, format="json").json()) == ["aware_at"]
    response = client.post(URL, {"aware_at": "2025-04-03T10:00:00+02:00"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"aware_at": ["03/04/2025 10:00 is in the future."]}
    assert not Breach.objects.exists()


def test_filters_notified_overdue_late_reference_and_aware_year():
    BreachFactory(reference="RUNNING", aware_at=paris(2025, 4, 1, 10, 0))
    BreachFactory(reference="OVERDUE", aware_at=paris(2025, 3, 28, 10, 0))
    BreachFactory(
        reference="NOT-TO-NOTIFY",
        aware_at=paris(2025, 3, 20, 10, 0),
        risk_level=RiskLevel.NONE,
        notification_required=False,
        decision_reasoning="Encrypted",
    )
    BreachFactory(
        reference="ON-TIME",
        aware_at=paris(2025, 3, 10, 10, 0),
        notified_at=paris(2025, 3, 11, 10, 0),
        notification_required=True,
    )
    BreachFactory(
        reference="LATE",
        aware_at=paris(2024, 12, 30, 10, 0),
        notified_at=paris(2025, 1, 6, 10, 0),
        notification_required=True,
        delay_reasons="Holidays",
    )
    client = client_for("Auditor")
    assert references(client.get(URL, {"notified": "true"})) == ["LATE", "ON-TIME"]
    assert references(client.get(URL, {"notified": "false"})) == ["NOT-TO-NOTIFY", "OVERDUE", "RUNNING"]
    assert references(client.get(URL, {"overdue": "true"})) == ["OVERDUE"]
    assert references(client.get(URL, {"late": "true"})) == ["LATE"]
    assert references(client.get(URL, {"reference": "LATE"})) == ["LATE"]
    assert references(client.get(URL, {"aware_year": "2024"})) == ["LATE"]
    assert references(client.get(URL, {"notification_required": "false"})) == ["NOT-TO-NOTIFY"]


def test_aware_year_is_the_paris_year():
    BreachFactory(reference="NEW-YEAR", aware_at=dt.datetime(2024, 12, 31, 23, 30, tzinfo=dt.UTC))  # 00:30 in Paris
    assert references(client_for("Auditor").get(URL, {"aware_year": "2025"})) == ["NEW-YEAR"]


# --- transitions ----------------------------------------------------------------------------------------------


def test_a_breach_goes_through_assess_decide_notify_inform_and_close():
    client = client_for("DPO")
    breach = BreachFactory(aware_at=paris(2025, 3, 28, 10, 0))
    assert (
        post(client, breach, "assess", {"risk_level": "high", "reasoning": "IBANs exposed"}).json()["high_risk"] is True
    )
    assert post(client, breach, "decide", {"notification_required": True}).json()["notification_required"] is True
    body = post(client, breach, "notify", {"sent_at": "2025-03-30T09:00:00+02:00", "cnil_reference": "NOT-42"}).json()
    assert (body["notified_at"], body["notified_within_72h"], body["cnil_notification_reference"]) == (
        "2025-03-30T09:00:00+02:00",
        True,
        "NOT-42",
    )
    body = post(
        client,
        breach,
        "notify",
        {"sent_at": "2025-04-01T09:00:00+02:00", "phase": "complementary", "content": "Forensics"},
    ).json()
    assert [n["phase"] for n in body["notifications"]] == ["initial", "complementary"]
    assert post(client, breach, "inform-subjects", {"informed_at": "2025-03-31T09:00:00+02:00"}).status_code == 200
    body = post(client, breach, "close", {}).json()
    assert body["closed_at"] == "2025-04-02T12:00:00+02:00"
    assert BreachNotification.objects.count() == 2


def test_a_late_notification_without_reasons_is_a_400_naming_delay_reasons():
    breach = BreachFactory(aware_at=paris(2025, 3, 28, 10, 0))
    response = post(client_for("DPO"), breach, "notify", {"sent_at": "2025-03-31T15:00:00+02:00"})
    assert response.status_code == 400
    assert response.json() == {
        "delay_reasons": [
            "Notified 76 h after awareness, past the deadline of 31/03/2025 11:00: the reasons for the delay are "
            "required (Art. 33(1))."
        ]
    }
    assert Breach.objects.get().notified_at is None and not BreachNotification.objects.exists()


def test_deciding_not_to_notify_without_reasoning_is_a_400_naming_reasoning():
    breach = BreachFactory(risk_level=RiskLevel.NONE)
    response = post(client_for("DPO"), breach, "decide", {"notification_required": False})
    assert response.status_code == 400
    assert response.json() == {"reasoning": ["Deciding not to notify needs its reasoning (Art. 33(5))."]}


@pytest.mark.parametrize(
    ("action", "payload", "field"),
    [
        ("assess", {"risk_level": "enormous", "reasoning": "x"}, "risk_level"),
        ("assess", {"risk_level": "high"}, "reasoning"),
        ("notify", {"sent_at": "yesterday"}, "sent_at"),
        ("notify", {"sent_at": "2025-03-29T10:00:00+01:00", "phase": "complementary"}, "phase"),
        ("inform-subjects", {"informed_at": "2025-03-01T10:00:00+01:00"}, "informed_at"),
        ("record-exemption", {"exemption": "art34_3_a", "reasoning": ""}, "reasoning"),
        ("record-exemption", {"exemption": "because", "reasoning": "x"}, "exemption"),
    ],
)
def test_bad_transition_input_is_a_400_with_the_field(action, payload, field):
    breach = BreachFactory(aware_at=paris(2025, 3, 28, 10, 0))
    response = post(client_for("DPO"), breach, action, payload)
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_closing_an_incomplete_file_is_a_400_saying_what_is_missing():
    response = post(client_for("DPO"), BreachFactory(), "close", {})
    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": [
            "The breach cannot be closed: the risk is not assessed; the decision to notify or not is not recorded."
        ]
    }


def test_list_query_count_does_not_grow_with_rows(django_assert_max_num_queries):
    for index in range(30):
        BreachFactory(
            notified_at=paris(2025, 3, 29, 10, 0), notification_required=True, aware_at=paris(2025, 3, 28, 10, index)
        )
    client = client_for("Auditor")
    with django_assert_max_num_queries(8):
        assert client.get(URL).status_code == 200


def test_openapi_schema_documents_the_register_and_its_actions():
    paths = client_for("Auditor").get("/api/schema/", {"format": "json"}).json()["paths"]
    assert URL in paths
    for action in ("assess", "decide", "notify", "inform-subjects", "record-exemption", "close"):
        assert f"{URL}{{id}}/{action}/" in paths
