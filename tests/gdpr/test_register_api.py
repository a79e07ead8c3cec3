"""`/api/gdpr/processing-activities/`: permissions, filters, writes through the services, the retire and
review actions, and the register export as XLSX."""

from __future__ import annotations

import datetime as dt
from io import BytesIO
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from rest_framework.test import APIClient

from gdpr.choices import ProcessingRole
from gdpr.exports.register import CONTENT_TYPE, OVERVIEW_TITLE
from gdpr.models import ProcessingActivity
from tests.clients import api_client
from tests.gdpr.factories import ProcessingActivityFactory

PARIS = ZoneInfo("Europe/Paris")
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("roles"),
    pytest.mark.time_machine(dt.datetime(2025, 3, 5, 10, 0, tzinfo=PARIS), tick=False),
]
TODAY = dt.date(2025, 3, 5)
URL = "/api/gdpr/processing-activities/"
NEW = {"reference": "PA-NEW", "name": "Vidéoprotection", "role": "controller", "purposes": "Sécurité"}


def api(role: str | None = None, *, anonymous: bool = False) -> APIClient:
    """A client with `role` (none: a user without any permission), or an anonymous one."""
    if anonymous:
        return APIClient(HTTP_ACCEPT_LANGUAGE="en")
    return api_client(*([role] if role else []), language="en")


def detail(activity: ProcessingActivity, action: str = "") -> str:
    return f"{URL}{activity.pk}/{action + '/' if action else ''}"


# -- permissions (NetBox style) -----------------------------------------------------------------------
def test_anonymous_requests_are_refused():
    assert api(anonymous=True).get(URL).status_code in (401, 403)
    assert api(anonymous=True).get(f"{URL}export/").status_code in (401, 403)


def test_an_authenticated_user_without_permission_gets_403():
    assert api().get(URL).status_code == 403
    assert api("Training manager").get(f"{URL}export/").status_code == 403


@pytest.mark.parametrize("role", ["DPO", "Compliance officer", "Auditor"])
def test_roles_that_view_gdpr_can_list(role):
    ProcessingActivityFactory()
    response = api(role).get(URL)
    assert response.status_code == 200
    assert response.json()["count"] == 1


@pytest.mark.parametrize("role", ["Auditor", "Compliance officer"])
def test_read_only_roles_cannot_write_or_retire(role):
    activity = ProcessingActivityFactory()
    client = api(role)
    assert client.post(URL, NEW, format="json").status_code == 403
    assert client.patch(detail(activity), {"name": "x"}, format="json").status_code == 403
    assert client.post(detail(activity, "retire"), {"retired_on": "2025-03-01", "reason": "x"}).status_code == 403
    assert client.post(detail(activity, "review"), {}).status_code == 403
    assert ProcessingActivity.objects.get().retired_on is None


def test_entries_cannot_be_deleted_through_the_api():
    activity = ProcessingActivityFactory()
    assert api("DPO").delete(detail(activity)).status_code == 405


def test_the_list_runs_a_fixed_number_of_queries(django_assert_max_num_queries):
    ProcessingActivityFactory.create_batch(40)
    client = api("DPO")
    with django_assert_max_num_queries(6):
        response = client.get(URL)
    assert len(response.json()["results"]) == 40


# -- filters ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("reference=PA-1", ["PA-1"]),
        ("role=processor", ["PA-2"]),
        ("sensitive_data=true", ["PA-1"]),
        ("active_on=2023-12-31", ["PA-1", "PA-3"]),
        ("active_on=2024-01-01", ["PA-1", "PA-2"]),
        ("transfers_outside_eu=true", ["PA-2"]),
        ("review_overdue=true", ["PA-1"]),
        ("dpia_missing=true", ["PA-2"]),
    ],
)
def test_filters(query, expected):
    ProcessingActivityFactory(reference="PA-1", sensitive_data=True, registered_on=dt.date(2020, 1, 1))
    ProcessingActivityFactory(
        reference="PA-2",
        role=ProcessingRole.PROCESSOR,
        registered_on=dt.date(2024, 1, 1),
        transfers_outside_eu=True,
        dpia_required=True,
        last_reviewed_on=dt.date(2025, 1, 1),
    )
    ProcessingActivityFactory(reference="PA-3", registered_on=dt.date(2021, 1, 1), retired_on=dt.date(2024, 1, 1))
    response = api("DPO").get(f"{URL}?{query}")
    assert response.status_code == 200
    assert [row["reference"] for row in response.json()["results"]] == expected


def test_a_bad_filter_date_is_a_400_naming_the_filter():
    response = api("DPO").get(f"{URL}?active_on=31-12-2023")
    assert response.status_code == 400
    assert "active_on" in response.json()


# -- writes through the services ----------------------------------------------------------------------
def test_the_dpo_creates_an_activity_entered_today_with_history():
    response = api("DPO").post(URL, NEW, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["reference"], body["registered_on"], body["active"], body["retired_on"]) == (
        "PA-NEW",
        "2025-03-05",
        True,
        None,
    )
    assert ProcessingActivity.objects.get().history.get().history_change_reason == "Entered the register"


def test_a_processor_without_controllers_is_a_400_with_the_field_message():
    response = api("DPO").post(URL, {**NEW, "role": "processor", "transfers_outside_eu": True}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "controllers_served": ["A processor record must name the controllers it acts for (Art. 30(2)(a))."],
        "transfer_safeguards": [
            "Transfers outside the EU need their countries and safeguards (Art. 30(1)(e), Art. 46)."
        ],
    }
    assert not ProcessingActivity.objects.exists()


def test_a_dpia_done_in_the_future_is_a_400():
    response = api("DPO").post(URL, {**NEW, "dpia_required": True, "dpia_done_on": "2025-03-06"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"dpia_done_on": ["A DPIA cannot be done in the future."]}


def test_a_duplicate_reference_is_a_400():
    ProcessingActivityFactory(reference="PA-NEW")
    response = api("DPO").post(URL, NEW, format="json")
    assert response.status_code == 400
    assert "reference" in response.json()


def test_patch_updates_through_the_service():
    activity = ProcessingActivityFactory(reference="PA-1")
    response = api("DPO").patch(detail(activity), {"retention": "3 ans"}, format="json")
    assert response.status_code == 200
    assert response.json()["retention"] == "3 ans"
    assert activity.history.latest().history_change_reason == "Updated: retention"


def test_retirement_is_not_a_writable_field():
    activity = ProcessingActivityFactory(reference="PA-1")
    response = api("DPO").patch(detail(activity), {"retired_on": "2025-03-01"}, format="json")
    assert response.status_code == 200
    assert ProcessingActivity.objects.get().retired_on is None


# -- actions ------------------------------------------------------------------------------------------
def test_retire_action():
    activity = ProcessingActivityFactory(reference="PA-1", registered_on=dt.date(2020, 1, 1))
    response = api("DPO").post(
        detail(activity, "retire"), {"retired_on": "2025-03-01", "reason": "Fin du contrat"}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["retired_on"], response.json()["retired_reason"], response.json()["active"]) == (
        "2025-03-01",
        "Fin du contrat",
        False,
    )


def test_retire_before_the_entry_is_a_400_and_changes_nothing():
    activity = ProcessingActivityFactory(reference="PA-1", registered_on=dt.date(2024, 5, 2))
    response = api("DPO").post(detail(activity, "retire"), {"retired_on": "2024-05-01", "reason": "x"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"retired_on": ["PA-1 cannot be retired before it entered the register (02/05/2024)."]}
    assert ProcessingActivity.objects.get().retired_on is None


def test_retire_without_a_reason_or_date_is_a_400_naming_both():
    activity = ProcessingActivityFactory()
    response = api("DPO").post(detail(activity, "retire"), {}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"retired_on", "reason"}


def test_review_action_defaults_to_today():
    activity = ProcessingActivityFactory(last_reviewed_on=dt.date(2023, 1, 1))
    response = api("DPO").post(detail(activity, "review"), {}, format="json")
    assert response.status_code == 200
    assert (response.json()["last_reviewed_on"], response.json()["review_overdue"]) == ("2025-03-05", False)
    assert response.json()["review_due_on"] == "2026-03-05"


# -- export -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["DPO", "Auditor"])
def test_export_returns_the_register_at_the_date_as_xlsx(role):
    ProcessingActivityFactory(reference="PA-1", registered_on=dt.date(2022, 1, 1))
    ProcessingActivityFactory(reference="PA-2", registered_on=dt.date(2024, 1, 1))
    response = api(role).get(f"{URL}export/?date=2023-12-31")
    assert response.status_code == 200
    assert response["Content-Type"] == CONTENT_TYPE
    assert 'filename="registre-traitements-2023-12-31.xlsx"' in response["Content-Disposition"]
    workbook = openpyxl.load_workbook(BytesIO(response.content))
    assert [row[0] for row in workbook[OVERVIEW_TITLE].iter_rows(min_row=2, values_only=True)] == ["PA-1"]
    assert len(workbook.sheetnames) == 2


def test_export_accepts_an_xlsx_accept_header_and_defaults_to_today():
    ProcessingActivityFactory(reference="PA-1")
    response = api("DPO").get(f"{URL}export/", HTTP_ACCEPT=CONTENT_TYPE)
    assert response.status_code == 200
    assert 'filename="registre-traitements-2025-03-05.xlsx"' in response["Content-Disposition"]


def test_export_with_a_bad_date_is_a_400_naming_the_parameter():
    response = api("DPO").get(f"{URL}export/?date=31/12/2023")
    assert response.status_code == 400
    assert list(response.json()) == ["date"]


def test_the_openapi_schema_documents_the_register_and_its_export():
    response = api("DPO").get("/api/schema/?format=json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {f"{URL}", f"{URL}{{id}}/retire/", f"{URL}{{id}}/review/", f"{URL}export/"} <= set(paths)
    assert CONTENT_TYPE in paths[f"{URL}export/"]["get"]["responses"]["200"]["content"]
