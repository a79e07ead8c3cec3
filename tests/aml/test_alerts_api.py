"""`/api/aml/alerts/`: raised by POST, read by the AML/CFT function, moved by its actions (assign, decide,
enhanced-report, tracfin-report with its file), refusals as 400 with the field; status never writable."""

from __future__ import annotations

import datetime as dt
from functools import partial

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from aml.choices import AlertStatus, Decision
from aml.models import Alert
from tests.aml.factories import AlertFactory, CounterpartyFactory
from tests.clients import api_client
from tests.factories import LegalEntityFactory, UserFactory

URL = "/api/aml/alerts/"
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("english_messages", "roles", "isolated_media"),
    pytest.mark.time_machine(dt.datetime(2025, 6, 2, 10, 0, tzinfo=dt.UTC), tick=False),
]
client_for = partial(api_client, language="en")
MAY = dt.datetime(2025, 5, 2, 9, tzinfo=dt.UTC)


def references(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["reference"] for row in response.json()["results"]]


def officer_client() -> tuple[APIClient, object]:
    user = UserFactory(groups=["LCB-FT"])
    client = APIClient(headers={"Accept-Language": "en"})
    client.force_authenticate(user)
    return client, user


def test_anonymous_is_answered_as_if_the_path_did_not_exist():
    # The app is sealed (core/roles.py sealed_out): no 401/403 that would tell the path exists.
    assert APIClient().get(URL).status_code == 404


def test_the_aml_officer_lists_and_filters_alerts():
    AlertFactory(reference="LATE", raised_at=dt.datetime(2025, 4, 1, 9, tzinfo=dt.UTC))
    AlertFactory(reference="NEW")
    AlertFactory(
        reference="DONE",
        raised_at=dt.datetime(2025, 3, 1, 9, tzinfo=dt.UTC),
        status=AlertStatus.DECIDED,
        decision=Decision.CLOSED,
        decided_on=dt.date(2025, 3, 5),
    )
    client = client_for("LCB-FT")
    assert references(client.get(URL)) == ["NEW", "LATE", "DONE"]
    assert references(client.get(URL, {"reference": "LATE"})) == ["LATE"]
    assert references(client.get(URL, {"status": "decided"})) == ["DONE"]
    assert references(client.get(URL, {"overdue": "true"})) == ["LATE"]
    row = client.get(URL, {"reference": "LATE"}).json()["results"][0]
    assert row["is_overdue"] is True and row["analysis_due_on"] == "2025-05-01"


def test_list_query_count_is_pinned(django_assert_max_num_queries):
    for _index in range(20):
        AlertFactory(counterparty=CounterpartyFactory(entity=LegalEntityFactory()), analyst=UserFactory())
    client = client_for("LCB-FT")
    with django_assert_max_num_queries(8):
        assert client.get(URL).status_code == 200


def test_post_raises_an_alert_and_ignores_a_written_status():
    CounterpartyFactory(reference="CP-1", entity=LegalEntityFactory(code="SF"))
    response = client_for("LCB-FT").post(
        URL,
        {
            "source": "loan",
            "reason": "Cash repayment",
            "counterparty": "CP-1",
            "amount_eur": "1500.00",
            "status": "decided",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    row = response.json()
    assert (row["reference"], row["status"], row["entity"]) == ("LCB-2025-0001", "open", "SF")
    assert row["analysis_due_on"] == "2025-07-02"
    assert Alert.objects.get().status == AlertStatus.OPEN


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"source": "loan", "reason": ""}, "reason"),
        ({"source": "casino", "reason": "r"}, "source"),
        ({"source": "loan", "reason": "r", "amount_eur": "-5"}, "amount_eur"),
        ({"source": "loan", "reason": "r", "counterparty": "nobody"}, "counterparty"),
    ],
)
def test_a_bad_alert_is_a_400_with_its_field(payload, field):
    response = client_for("LCB-FT").post(URL, payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Alert.objects.exists()


def test_the_workflow_to_a_tracfin_report_with_its_file():
    alert = AlertFactory(raised_at=MAY)
    client, officer = officer_client()
    analyst = UserFactory(groups=["LCB-FT"])
    row = client.post(f"{URL}{alert.pk}/assign/", {"analyst": analyst.username}, format="json").json()
    assert (row["status"], row["analyst"]) == ("analysing", analyst.username)
    refused = client.post(
        f"{URL}{alert.pk}/tracfin-report/", {"decided_on": "2025-05-30", "reason": "Suspicious"}, format="json"
    )
    assert refused.status_code == 400 and "tracfin_reported_on" in refused.json()
    response = client.post(
        f"{URL}{alert.pk}/tracfin-report/",
        {
            "decided_on": "2025-05-30",
            "reason": "Funds of unknown origin",
            "tracfin_reported_on": "2025-06-01",
            "tracfin_reference": "TF-77",
            "tracfin_file": SimpleUploadedFile("ds.pdf", b"%PDF ds"),
        },
        format="multipart",
    )
    assert response.status_code == 200, response.content
    row = response.json()
    assert (row["status"], row["decision"], row["tracfin_reference"]) == ("decided", "tracfin_report", "TF-77")
    assert row["decided_by"] == officer.username and row["tracfin_file"] == "ds.pdf"
    alert.refresh_from_db()
    assert alert.tracfin_file.read() == b"%PDF ds"


def test_a_decide_tracfin_report_without_its_date_is_a_400():
    alert = AlertFactory(raised_at=MAY)
    response = client_for("LCB-FT").post(
        f"{URL}{alert.pk}/decide/",
        {"decision": "tracfin_report", "decided_on": "2025-05-30", "reason": "r"},
        format="json",
    )
    assert response.status_code == 400
    assert "tracfin_reported_on" in response.json()
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN


def test_an_enhanced_examination_with_its_report_then_its_outcome():
    alert = AlertFactory(raised_at=MAY)
    client = client_for("LCB-FT")
    row = client.post(
        f"{URL}{alert.pk}/decide/",
        {"decision": "enhanced_examination", "decided_on": "2025-05-10", "reason": "Complex"},
        format="json",
    ).json()
    assert row["decision"] == "enhanced_examination"
    response = client.post(
        f"{URL}{alert.pk}/enhanced-report/",
        {"report": "Funds traced.", "written_on": "2025-05-20", "file": SimpleUploadedFile("r.pdf", b"%PDF r")},
        format="multipart",
    )
    assert response.status_code == 200, response.content
    assert response.json()["enhanced_report_file"] == "r.pdf"
    row = client.post(
        f"{URL}{alert.pk}/decide/", {"decision": "closed", "decided_on": "2025-05-25", "reason": "OK"}, format="json"
    ).json()
    assert (row["decision"], row["enhanced_report"]) == ("closed", "Funds traced.")
    again = client.post(
        f"{URL}{alert.pk}/decide/", {"decision": "closed", "decided_on": "2025-05-26", "reason": "x"}, format="json"
    )
    assert again.status_code == 400 and "decision" in again.json()


def test_assign_refuses_a_user_outside_the_aml_function():
    alert = AlertFactory()
    outsider = UserFactory(groups=["Compliance officer"])
    response = client_for("LCB-FT").post(f"{URL}{alert.pk}/assign/", {"analyst": outsider.username}, format="json")
    assert response.status_code == 400 and "analyst" in response.json()


def test_no_one_edits_or_deletes_an_alert_through_the_api():
    alert = AlertFactory()
    client = client_for("LCB-FT")
    assert client.patch(f"{URL}{alert.pk}/", {"status": "decided"}, format="json").status_code == 405
    assert client.delete(f"{URL}{alert.pk}/").status_code == 405
