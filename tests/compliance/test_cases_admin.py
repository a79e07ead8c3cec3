"""Conflict-of-interest cases and action items in the admin: the list and its badges, the filters, the
action buttons calling the services, and the reporter's identity hidden from all but compliance officers."""

from __future__ import annotations

import datetime as dt
from functools import partial

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from compliance.choices import CaseStatus
from compliance.models import ActionItem, ConflictOfInterestCase
from compliance.services import cases as services
from tests.clients import admin_client, messages_of
from tests.compliance.factories import ActionItemFactory, CaseFactory, CaseMeasureFactory
from tests.factories import EmployeeFactory, UserFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("roles"),
    pytest.mark.time_machine(dt.datetime(2025, 6, 2, 10, 0, tzinfo=dt.UTC), tick=False),
]
CHANGELIST = "/admin/compliance/conflictofinterestcase/"
ITEMS = "/admin/compliance/actionitem/"
client_for = partial(admin_client, language="en")


def change_url(case: ConflictOfInterestCase) -> str:
    return f"{CHANGELIST}{case.pk}/change/"


def action_url(case: ConflictOfInterestCase, action: str) -> str:
    return f"{CHANGELIST}{case.pk}/do/{action}/"


def test_the_list_shows_analysis_badges_measures_and_overdue_actions():
    late = CaseFactory(reference="LATE", reported_on=dt.date(2025, 3, 1))
    CaseFactory(reference="SOON", reported_on=dt.date(2025, 4, 5))  # due 04/06
    done = CaseFactory(
        reference="DONE", status=CaseStatus.QUALIFIED, qualification="confirmed", qualified_on=dt.date(2025, 3, 10)
    )
    CaseMeasureFactory(case=done, kind="sanction")
    ActionItemFactory(case=late, due_on=dt.date(2025, 5, 1))
    body = client_for("Compliance officer").get(CHANGELIST).content.decode()
    assert "overdue by 33 days" in body and "2 days left" in body and ">done<" in body
    assert "Disciplinary sanction" in body
    assert "vigie-badge-red" in body


def test_changelist_query_count_is_pinned(django_assert_max_num_queries):
    for index in range(30):
        case = CaseFactory(reported_on=dt.date(2025, 1, 1) + dt.timedelta(days=index))
        CaseMeasureFactory(case=case)
        ActionItemFactory(case=case)
    client = client_for("Auditor")
    with django_assert_max_num_queries(10):
        assert client.get(CHANGELIST).status_code == 200


def test_action_items_changelist_query_count_is_pinned(django_assert_max_num_queries):
    for _index in range(30):
        ActionItemFactory(owner=UserFactory())
    client = client_for("Auditor")
    with django_assert_max_num_queries(10):
        assert client.get(ITEMS).status_code == 200


@pytest.mark.parametrize(
    "params",
    [
        {"status__exact": "received"},
        {"qualification__exact": "confirmed"},
        {"measure": "sanction"},
        {"source__exact": "audit"},
        {"year": "2025"},
        {"analysis": "overdue"},
        {"analysis": "pending"},
        {"q": "COI"},
    ],
)
def test_case_filters_and_search_answer(params):
    CaseFactory()
    assert client_for("Auditor").get(CHANGELIST, params).status_code == 200


def test_the_measure_and_analysis_filters_select_the_right_cases():
    CaseFactory(reference="LATE", reported_on=dt.date(2025, 3, 1))
    CaseFactory(reference="FRESH", reported_on=dt.date(2025, 5, 20))
    CaseMeasureFactory(
        case=CaseFactory(
            reference="SANCTIONED",
            status=CaseStatus.QUALIFIED,
            qualification="confirmed",
            qualified_on=dt.date(2025, 3, 10),
        ),
        kind="sanction",
    )
    client = client_for("Auditor")
    body = client.get(CHANGELIST, {"analysis": "overdue"}).content.decode()
    assert ">LATE<" in body and ">FRESH<" not in body and ">SANCTIONED<" not in body
    body = client.get(CHANGELIST, {"measure": "sanction"}).content.decode()
    assert ">SANCTIONED<" in body and ">LATE<" not in body


@pytest.mark.parametrize(
    "params", [{"state": "overdue"}, {"state": "week"}, {"state": "done"}, {"on": "case"}, {"q": "Action"}]
)
def test_action_item_filters_answer(params):
    ActionItemFactory()
    assert client_for("Auditor").get(ITEMS, params).status_code == 200


def test_action_item_filters_overdue_and_due_within_7_days():
    ActionItemFactory(title="LATE-ITEM", due_on=dt.date(2025, 5, 30))
    ActionItemFactory(title="WEEK-ITEM", due_on=dt.date(2025, 6, 8))
    ActionItemFactory(title="FAR-ITEM", due_on=dt.date(2025, 9, 8))
    client = client_for("Auditor")
    body = client.get(ITEMS, {"state": "overdue"}).content.decode()
    assert "LATE-ITEM" in body and "WEEK-ITEM" not in body
    body = client.get(ITEMS, {"state": "week"}).content.decode()
    assert "LATE-ITEM" in body and "WEEK-ITEM" in body and "FAR-ITEM" not in body


def test_the_change_page_offers_the_buttons_of_the_status():
    case = CaseFactory()
    body = client_for("Compliance officer").get(change_url(case)).content.decode()
    assert "do/start-analysis/" in body and "do/qualify/" in body and "do/close/" not in body
    assert "do/qualify/" not in client_for("Auditor").get(change_url(case)).content.decode()


def test_qualify_then_add_a_measure_then_close_through_the_buttons():
    case = CaseFactory()
    client = client_for("Compliance officer")
    response = client.post(
        action_url(case, "qualify"),
        {"qualification": "confirmed", "qualified_on": "2025-04-01", "analysis": "Relative's loan."},
        follow=True,
    )
    assert "Case qualified." in messages_of(response)
    response = client.post(
        action_url(case, "add-measure"), {"kind": "dossier_refused", "decided_on": "2025-04-02"}, follow=True
    )
    assert "Measure recorded." in messages_of(response)
    response = client.post(action_url(case, "close"), {"closed_on": "2025-05-01"}, follow=True)
    assert "Case closed." in messages_of(response)
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and case.measures.get().kind == "dossier_refused"
    assert case.history.first().history_user.groups.filter(name="Compliance officer").exists()


def test_closing_an_unqualified_case_through_the_button_shows_the_refusal():
    case = CaseFactory()
    response = client_for("Compliance officer").post(action_url(case, "close"), {"closed_on": "2025-05-01"})
    assert response.status_code == 200
    assert "A case cannot be closed before it is qualified." in messages_of(response)
    case.refresh_from_db()
    assert case.status == CaseStatus.RECEIVED and case.closed_on is None


def test_a_measure_on_an_unfounded_case_without_justification_is_refused_on_the_form():
    case = CaseFactory(status=CaseStatus.QUALIFIED, qualification="unfounded", qualified_on=dt.date(2025, 3, 10))
    response = client_for("Compliance officer").post(
        action_url(case, "add-measure"), {"kind": "action_plan", "decided_on": "2025-04-02"}
    )
    assert response.status_code == 200
    assert "needs a written justification" in response.content.decode()
    assert not case.measures.exists()


def test_an_auditor_cannot_run_a_transition():
    case = CaseFactory()
    response = client_for("Auditor").post(action_url(case, "start-analysis"), {})
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.status == CaseStatus.RECEIVED


def test_the_add_form_creates_through_the_service_with_a_generated_reference():
    client = client_for("Compliance officer")
    response = client.post(
        f"{CHANGELIST}add/",
        {
            "reference": "",
            "reported_on": "2025-05-12",
            "source": "whistleblowing",
            "reporter_name": "A. Lanceur",
            "third_parties": "",
            "dossier_type": "loan",
            "dossier_reference": "PR-1",
            "description": "Suspicion",
            "measures-TOTAL_FORMS": "0",
            "measures-INITIAL_FORMS": "0",
            "action_items-TOTAL_FORMS": "0",
            "action_items-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    case = ConflictOfInterestCase.objects.get()
    assert case.reference == "COI-2025-001" and case.analysis_due_on == dt.date(2025, 7, 11)
    assert case.history.get().history_change_reason == "reported on 12/05/2025"


def test_the_reporter_is_confidential_for_an_auditor_but_shown_to_an_officer():
    whistleblower = EmployeeFactory(last_name="Delacroix-Secret")
    case = CaseFactory(source="whistleblowing", reporter_employee=whistleblower, reporter_name="Jeanne Lanceuse")
    services.coi_case_update(actor=None, case=case, reporter_name="Jeanne Lanceuse-Alerte")
    auditor = client_for("Auditor")
    for url in (change_url(case), f"{CHANGELIST}{case.pk}/history/"):
        body = auditor.get(url).content.decode()
        assert "Lanceuse" not in body and "Delacroix-Secret" not in body, url
    assert "confidential" in auditor.get(change_url(case)).content.decode()
    version = case.history.first().history_id
    assert auditor.get(f"{CHANGELIST}{case.pk}/history/{version}/").status_code == 403
    officer_body = client_for("Compliance officer").get(change_url(case)).content.decode()
    assert "Jeanne Lanceuse-Alerte" in officer_body


def test_an_action_item_is_planned_through_the_service_and_refused_before_the_report():
    case = CaseFactory()
    client = client_for("Compliance officer")
    response = client.post(
        f"{ITEMS}add/",
        {
            "case": case.pk,
            "title": "Train the lending team",
            "owner_name": "Head of lending",
            "due_on": "2025-01-01",
            "evidence": "",
        },
    )
    assert response.status_code == 200
    assert "before the case was reported" in response.content.decode()
    assert not ActionItem.objects.exists()


def test_the_complete_action_marks_items_done_and_reports_refusals():
    good = ActionItemFactory(title="GOOD")
    done = ActionItemFactory(title="ALREADY", done_on=dt.date(2025, 5, 1), evidence="sheet")
    response = client_for("Compliance officer").post(
        ITEMS,
        {
            "action": "complete",
            ACTION_CHECKBOX_NAME: [good.pk, done.pk],
            "apply": "1",
            "done_on": "2025-06-01",
            "evidence": "Attendance sheet",
        },
        follow=True,
    )
    texts = messages_of(response)
    assert "1 action done." in texts
    assert any("ALREADY" in text and "already done on 01/05/2025" in text for text in texts)
    good.refresh_from_db()
    assert good.done_on == dt.date(2025, 6, 1)
