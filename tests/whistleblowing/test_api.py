"""`/api/whistleblowing/reports/` (docs/interfaces.md): the public fields for every reader, the nested `content` for
the referents who may read it (the key absent for anyone else), three filters, and recording a report received
otherwise by a referent only, through the real `report_record`."""

from __future__ import annotations

import datetime as dt

import pytest

from core.roles import AML_OFFICER, AUDITOR, COMPLIANCE_OFFICER, DPO, WHISTLEBLOWING_REFERENT
from tests.factories import LegalEntityFactory, UserFactory
from tests.whistleblowing.factories import ReferentAssignmentFactory, ReportContentFactory, ReportFactory
from whistleblowing.choices import Category, Status
from whistleblowing.models import Report, ReportContent

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("roles")]
URL = "/api/whistleblowing/reports/"
PUBLIC = {
    "id",
    "reference",
    "received_at",
    "category",
    "status",
    "acknowledgment_due_on",
    "acknowledged_on",
    "feedback_due_on",
    "feedback_on",
    "admissibility",
    "meeting_due_on",
    "closed_on",
}


def client_of(*groups: str, superuser: bool = False):
    from rest_framework.test import APIClient

    user = UserFactory(groups=list(groups), is_superuser=superuser)
    client = APIClient()
    client.force_authenticate(user)
    return client, user


@pytest.fixture
def reports():
    e1 = LegalEntityFactory(code="E1")
    first = ReportContentFactory(
        report=ReportFactory(reference="SIG-A", category=Category.FRAUD, acknowledgment_due_on=dt.date(2026, 5, 29)),
        entity=e1,
        author_name="Secret Author",
        facts="Secret facts",
    ).report
    second = ReportContentFactory(
        report=ReportFactory(reference="SIG-B", category=Category.HARASSMENT, status=Status.ACKNOWLEDGED),
        entity=None,
    ).report
    return {"first": first, "second": second, "e1": e1}


@pytest.mark.parametrize("kind", ["superuser", AUDITOR, COMPLIANCE_OFFICER])
def test_readers_get_the_public_fields_and_no_content_key(reports, kind):
    client, _user = client_of(*([] if kind == "superuser" else [kind]), superuser=kind == "superuser")
    response = client.get(URL)
    assert response.status_code == 200
    rows = response.json()["results"]
    assert {row["reference"] for row in rows} == {"SIG-A", "SIG-B"}
    assert all(set(row) == PUBLIC for row in rows)
    detail = client.get(f"{URL}{reports['first'].pk}/").json()
    assert set(detail) == PUBLIC
    assert detail["acknowledgment_due_on"] == "2026-05-29"
    assert "Secret" not in response.content.decode()


@pytest.mark.parametrize("group", [DPO, AML_OFFICER, None])
def test_roles_that_do_not_read_whistleblowing_are_refused(reports, group):
    client, _user = client_of(*([group] if group else []))
    assert client.get(URL).status_code == 403
    assert client.get(f"{URL}{reports['first'].pk}/").status_code == 403


def test_a_referent_gets_the_content_of_what_they_may_read(reports, settings):
    client, user = client_of(WHISTLEBLOWING_REFERENT)
    rows = {row["reference"]: row for row in client.get(URL).json()["results"]}
    assert rows["SIG-A"]["content"]["author_name"] == "Secret Author"
    assert rows["SIG-A"]["content"]["facts"] == "Secret facts"
    assert rows["SIG-A"]["content"]["entity"] == "E1"
    assert rows["SIG-B"]["content"]["entity"] is None
    settings.VIGIE_WHISTLEBLOWING_REFERENTS_PER_ENTITY = True
    ReferentAssignmentFactory(user=client_of(WHISTLEBLOWING_REFERENT)[1], entity=reports["e1"])  # E1 is staffed
    rows = {row["reference"]: row for row in client.get(URL).json()["results"]}
    assert "content" not in rows["SIG-A"] and set(rows["SIG-A"]) == PUBLIC  # not assigned to E1
    assert "content" in rows["SIG-B"]  # no entity: every referent
    assert "content" not in client.get(f"{URL}{reports['first'].pk}/").json()
    ReferentAssignmentFactory(user=user, entity=reports["e1"])
    assert client.get(f"{URL}{reports['first'].pk}/").json()["content"]["author_name"] == "Secret Author"


def test_the_list_s_queries_do_not_grow_with_its_reports(reports, django_assert_max_num_queries):
    client, _user = client_of(WHISTLEBLOWING_REFERENT)
    client.get(URL)  # caches (content types, groups)
    with django_assert_max_num_queries(12) as before:
        client.get(URL)
    for n in range(5):
        ReportContentFactory(report=ReportFactory(reference=f"SIG-MORE-{n}"))
    with django_assert_max_num_queries(len(before.captured_queries)):
        assert len(client.get(URL).json()["results"]) == 7


def test_the_filters_are_reference_status_and_category_only(reports):
    client, _user = client_of(AUDITOR)

    def refs(query: str) -> set[str]:
        response = client.get(f"{URL}?{query}")
        assert response.status_code == 200, response.content
        return {row["reference"] for row in response.json()["results"]}

    assert refs("reference=SIG-A") == {"SIG-A"}
    assert refs("status=acknowledged") == {"SIG-B"}
    assert refs("category=fraud") == {"SIG-A"}
    # A parameter the view does not know is ignored: the sealed fields filter nothing.
    assert refs("author_name=Nobody") == refs("author_name=Secret%20Author") == {"SIG-A", "SIG-B"}
    assert refs("content__facts=Secret%20facts") == {"SIG-A", "SIG-B"}
    assert client.get(f"{URL}?status=nonsense").status_code == 400


@pytest.fixture
def record():
    """The reports recorded through the API (by reference), besides the two of `reports`."""
    return lambda: list(Report.objects.exclude(reference__in=["SIG-A", "SIG-B"]))


PAYLOAD = {
    "received_at": "2026-06-01T09:30:00+02:00",
    "channel": "phone",
    "category": "corruption",
    "facts": "What was said on the phone.",
    "entity": "E1",
    "author_name": "Jean Dupont",
}


@pytest.mark.time_machine(dt.datetime(2026, 6, 3, 10, 0, tzinfo=dt.UTC), tick=False)
def test_a_referent_records_a_report_received_otherwise(reports, record):
    client, user = client_of(WHISTLEBLOWING_REFERENT)
    response = client.post(URL, PAYLOAD, format="json")
    assert response.status_code == 201, response.content
    (report,) = record()
    body = response.json()
    assert body["reference"] == report.reference == "SIG-2026-0001"
    assert body["received_at"] == "2026-06-01T09:30:00+02:00"
    assert body["acknowledgment_due_on"] == report.acknowledgment_due_on.isoformat()
    assert body["content"]["author_name"] == "Jean Dupont" and body["content"]["entity"] == "E1"
    assert report.received_at == dt.datetime(2026, 6, 1, 7, 30, tzinfo=dt.UTC)
    assert (report.status, report.category) == (Status.RECEIVED, "corruption")
    content = ReportContent.objects.get(report=report)
    assert (content.channel, content.anonymous, content.contact_possible) == ("phone", False, True)
    assert (content.entity_id, content.facts) == (reports["e1"].pk, "What was said on the phone.")
    assert report.deadline_events.count() == 2
    assert report.history.get().history_user == user


@pytest.mark.time_machine(dt.datetime(2026, 6, 3, 10, 0, tzinfo=dt.UTC), tick=False)
def test_a_receipt_in_the_future_is_refused_with_the_field_named_in_french(reports, record):
    client, _user = client_of(WHISTLEBLOWING_REFERENT)
    response = client.post(
        URL, {**PAYLOAD, "received_at": "2026-06-04T09:00:00+02:00"}, format="json", HTTP_ACCEPT_LANGUAGE="fr"
    )
    assert response.status_code == 400
    assert "futur" in " ".join(response.json()["received_at"])
    assert record() == []


@pytest.mark.parametrize("kind", ["superuser", AUDITOR, COMPLIANCE_OFFICER])
def test_nobody_but_a_referent_records_a_report(reports, record, kind):
    client, _user = client_of(*([] if kind == "superuser" else [kind]), superuser=kind == "superuser")
    assert client.post(URL, PAYLOAD, format="json").status_code == 403
    assert record() == []


def test_a_report_with_no_facts_is_refused_with_the_field_named(reports, record):
    client, _user = client_of(WHISTLEBLOWING_REFERENT)
    response = client.post(URL, {**PAYLOAD, "facts": ""}, format="json")
    assert response.status_code == 400
    assert "facts" in response.json()
    assert record() == []


def test_reports_are_neither_changed_nor_deleted_through_the_api(reports):
    client, _user = client_of(WHISTLEBLOWING_REFERENT)
    detail = f"{URL}{reports['first'].pk}/"
    assert client.patch(detail, {"status": "closed"}, format="json").status_code == 405
    assert client.delete(detail).status_code in (403, 405)  # no delete permission, no delete route
    reports["first"].refresh_from_db()
    assert reports["first"].status == Status.RECEIVED


@pytest.mark.time_machine(dt.datetime(2026, 6, 3, 10, 0, tzinfo=dt.UTC), tick=False)
def test_with_per_entity_referents_a_recorded_report_names_one_of_their_entities(reports, record, settings):
    """review 22c #8: without an entity, every referent (those of other entities too) would read it."""
    settings.VIGIE_WHISTLEBLOWING_REFERENTS_PER_ENTITY = True
    e2 = LegalEntityFactory(code="E2")
    client, user = client_of(WHISTLEBLOWING_REFERENT)
    ReferentAssignmentFactory(user=user, entity=e2)
    for payload in ({k: v for k, v in PAYLOAD.items() if k != "entity"}, {**PAYLOAD, "entity": None}):
        response = client.post(URL, payload, format="json", HTTP_ACCEPT_LANGUAGE="fr")
        assert response.status_code == 400, response.content
        assert "une de vos entités juridiques" in " ".join(response.json()["entity"])
    assert record() == []
    response = client.post(URL, {**PAYLOAD, "entity": "E2"}, format="json")
    assert response.status_code == 201, response.content
    (report,) = record()
    assert ReportContent.objects.get(report=report).entity == e2
    other, other_user = client_of(WHISTLEBLOWING_REFERENT)
    ReferentAssignmentFactory(user=other_user, entity=reports["e1"])
    rows = {row["reference"]: row for row in other.get(URL).json()["results"]}
    assert "content" not in rows[report.reference]  # E1's referent does not read it
