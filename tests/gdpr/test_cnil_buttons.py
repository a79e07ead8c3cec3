"""The buttons of a CNIL case's page (record the answer, keep a letter) and its time-left badge."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.files.uploadedfile import SimpleUploadedFile

from gdpr.choices import CnilCaseKind
from gdpr.models import CnilCase, CnilCaseAttachment
from gdpr.services import cnil as services
from tests.clients import admin_client, logged_in, page_of as page
from tests.gdpr.factories import CnilCaseFactory

PARIS = ZoneInfo("Europe/Paris")
CHANGELIST = "/admin/gdpr/cnilcase/"
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("roles"),
    pytest.mark.time_machine(dt.datetime(2025, 4, 15, 10, 0, tzinfo=PARIS), tick=False),
]


def change_url(case: CnilCase) -> str:
    return f"{CHANGELIST}{case.pk}/change/"


def button_url(case: CnilCase, action: str) -> str:
    return f"{CHANGELIST}{case.pk}/do/{action}/"


def test_an_open_case_has_both_buttons_an_answered_one_only_the_letter():
    client, _user = logged_in("DPO")
    open_case = CnilCaseFactory(received_on=dt.date(2025, 4, 1), due_on=dt.date(2025, 4, 20))
    answered = CnilCaseFactory(received_on=dt.date(2025, 4, 1), due_on=dt.date(2025, 4, 20))
    services.cnil_case_answer(actor=None, case=answered, answered_on=dt.date(2025, 4, 10))
    body = page(client.get(change_url(open_case)))
    assert button_url(open_case, "answer") in body and button_url(open_case, "attach") in body
    body = page(client.get(change_url(answered)))
    assert button_url(answered, "answer") not in body and button_url(answered, "attach") in body


def test_the_answer_through_its_button_goes_through_the_service_and_keeps_the_history():
    client, user = logged_in("DPO")
    case = CnilCaseFactory(received_on=dt.date(2025, 4, 1), due_on=dt.date(2025, 4, 20))
    form_page = page(client.get(button_url(case, "answer")))
    assert 'name="answered_on"' in form_page and 'value="2025-04-15"' in form_page  # today by default
    assert "received 01/04/2025, reply due 20/04/2025" in form_page and "5 days left" in form_page
    response = client.post(button_url(case, "answer"), {"answered_on": "2025-04-14"})
    assert response.status_code == 302 and response["Location"] == change_url(case)
    case.refresh_from_db()
    assert case.answered_on == dt.date(2025, 4, 14)
    latest = case.history.order_by("-history_id").first()
    assert latest.history_user == user and "answered 14/04/2025" in latest.history_change_reason


def test_an_answer_the_service_refuses_comes_back_on_the_form_with_the_date_typed():
    client, _user = logged_in("DPO")
    case = CnilCaseFactory(received_on=dt.date(2025, 4, 1), due_on=dt.date(2025, 4, 20))
    body = page(client.post(button_url(case, "answer"), {"answered_on": "2025-03-20"}))
    assert "cannot be dated before the receipt" in body and "errorlist" in body
    assert 'value="2025-03-20"' in body
    body = page(client.post(button_url(case, "answer"), {"answered_on": "not a date"}))
    assert "errorlist" in body
    case.refresh_from_db()
    assert case.answered_on is None


def test_answering_twice_is_sent_back_to_the_page_with_why():
    client, _user = logged_in("DPO")
    case = CnilCaseFactory(received_on=dt.date(2025, 4, 1), due_on=dt.date(2025, 4, 20))
    services.cnil_case_answer(actor=None, case=case, answered_on=dt.date(2025, 4, 10))
    response = client.get(button_url(case, "answer"), follow=True)
    assert response.redirect_chain[-1][0] == change_url(case)
    assert "is not possible for this case: answered on 10/04/2025" in page(response)
    body = page(client.post(button_url(case, "answer"), {"answered_on": "2025-04-12"}))
    assert "already answered on 10/04/2025" in body
    case.refresh_from_db()
    assert case.answered_on == dt.date(2025, 4, 10)


def test_a_letter_kept_through_its_button(isolated_media):
    client, user = logged_in("DPO")
    case = CnilCaseFactory()
    form_page = page(client.get(button_url(case, "attach")))
    assert 'enctype="multipart/form-data"' in form_page and 'type="file"' in form_page
    letter = SimpleUploadedFile("reply.pdf", b"%PDF-1.4 the reply", content_type="application/pdf")
    response = client.post(button_url(case, "attach"), {"file": letter, "description": "our reply"})
    assert response.status_code == 302
    attachment = CnilCaseAttachment.objects.get(case=case)
    assert (attachment.description, attachment.uploaded_by, attachment.file.read()) == (
        "our reply",
        user,
        b"%PDF-1.4 the reply",
    )
    assert "letter attached: our reply" in attachment.history.latest().history_change_reason


def test_a_letter_without_a_file_is_refused_on_the_form(isolated_media):
    client, _user = logged_in("DPO")
    case = CnilCaseFactory()
    body = page(client.post(button_url(case, "attach"), {"description": "typed before forgetting the file"}))
    assert "errorlist" in body and "typed before forgetting the file" in body
    empty = SimpleUploadedFile("empty.pdf", b"", content_type="application/pdf")
    body = page(client.post(button_url(case, "attach"), {"file": empty, "description": "empty"}))
    assert "errorlist" in body
    assert not CnilCaseAttachment.objects.exists()


@pytest.mark.parametrize("role", ["Compliance officer", "Auditor"])
def test_a_user_who_may_only_read_sees_no_button_and_is_refused_the_urls(role, isolated_media):
    case = CnilCaseFactory()
    client = admin_client(role, language="en")
    assert "/do/" not in page(client.get(change_url(case)))
    for action in ("answer", "attach"):
        assert client.get(button_url(case, action)).status_code == 403
    assert client.post(button_url(case, "answer"), {"answered_on": "2025-04-14"}).status_code == 403
    letter = SimpleUploadedFile("x.pdf", b"x")
    assert client.post(button_url(case, "attach"), {"file": letter}).status_code == 403
    case.refresh_from_db()
    assert case.answered_on is None and not CnilCaseAttachment.objects.exists()


def test_the_list_answer_action_still_answers_with_the_same_form():
    client, _user = logged_in("DPO")
    case = CnilCaseFactory(received_on=dt.date(2025, 4, 1), due_on=dt.date(2025, 4, 20))
    response = client.post(
        CHANGELIST, {"action": "answer", ACTION_CHECKBOX_NAME: [case.pk], "apply": "1", "answered_on": "2025-04-14"}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.answered_on == dt.date(2025, 4, 14)


# --- the time-left badge -----------------------------------------------------------------------------------


def test_the_change_page_and_the_list_show_the_time_left_in_french():
    late = CnilCaseFactory(reference="LATE", received_on=dt.date(2025, 4, 1), due_on=dt.date(2025, 4, 11))
    soon = CnilCaseFactory(reference="SOON", received_on=dt.date(2025, 4, 10), due_on=dt.date(2025, 4, 18))
    complaint = CnilCaseFactory(reference="PLAINTE", kind=CnilCaseKind.COMPLAINT_WITHOUT_REFERRAL)
    client, _user = logged_in("DPO", language=None)  # the site's language: French
    assert "en retard de 4 jours" in page(client.get(change_url(late)))
    assert "3 jours restants" in page(client.get(change_url(soon)))
    assert "sans date de réponse" in page(client.get(change_url(complaint)))
    body = page(client.get(CHANGELIST))
    assert "en retard de 4 jours" in body and "3 jours restants" in body
    assert "temps restant pour répondre" in page(client.get(change_url(soon))).lower()
    # A badge is never cut: it stays on one line.
    assert body.count("white-space:nowrap") >= 3


def test_the_badge_is_not_on_the_add_page():
    client, _user = logged_in("DPO", language="en")
    body = page(client.get(f"{CHANGELIST}add/"))
    assert "time left to reply" not in body
