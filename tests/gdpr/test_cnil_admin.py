"""The CNIL cases in the admin: the list with reply badges, filters, the "answer" action, the letters."""

from __future__ import annotations

import datetime as dt
from functools import partial

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from gdpr.choices import CnilCaseKind
from gdpr.models import CnilCase, CnilCaseAttachment
from tests.clients import admin_client, messages_of
from tests.gdpr.factories import CnilCaseFactory, RightsRequestFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("roles"),
    pytest.mark.time_machine(dt.datetime(2025, 4, 15, 10, 0, tzinfo=dt.UTC), tick=False),
]
CHANGELIST = "/admin/gdpr/cnilcase/"
client_for = partial(admin_client, language="en")  # the messages asserted are the English ones


def answer(client: Client, cases: list[CnilCase], answered_on: str):
    return client.post(
        CHANGELIST,
        {"action": "answer", ACTION_CHECKBOX_NAME: [c.pk for c in cases], "apply": "1", "answered_on": answered_on},
        follow=True,
    )


def form_data(**values: str) -> dict[str, str]:
    return {
        "reference": "",
        "kind": "referral",
        "cnil_reference": "",
        "received_on": "2025-04-10",
        "due_on": "2025-04-20",
        "subject": "",
        "notes": "",
        "attachments-TOTAL_FORMS": "0",
        "attachments-INITIAL_FORMS": "0",
        "attachments-2-TOTAL_FORMS": "0",
        "attachments-2-INITIAL_FORMS": "0",
        **values,
    }


def test_the_list_shows_the_reply_date_with_a_badge_for_open_referrals():
    CnilCaseFactory(reference="LATE", received_on=dt.date(2025, 4, 1), due_on=dt.date(2025, 4, 11))
    CnilCaseFactory(reference="SOON", received_on=dt.date(2025, 4, 10), due_on=dt.date(2025, 4, 18))
    CnilCaseFactory(reference="DONE", answered_on=dt.date(2025, 3, 10))
    CnilCaseFactory(reference="PLAINTE", kind=CnilCaseKind.COMPLAINT_WITHOUT_REFERRAL)
    body = client_for("DPO").get(CHANGELIST).content.decode()
    assert "overdue by 4 days" in body and "3 days left" in body and "no reply date" in body
    assert "answered on 10/03/2025" in body  # an answered case says when, in place of the time left


def test_a_complaint_with_a_reply_date_has_its_badge_and_is_in_the_overdue_filter():
    CnilCaseFactory(
        reference="PLAINTE-LATE",
        kind=CnilCaseKind.COMPLAINT_WITHOUT_REFERRAL,
        received_on=dt.date(2025, 4, 1),
        due_on=dt.date(2025, 4, 11),
    )
    CnilCaseFactory(reference="PLAINTE", kind=CnilCaseKind.COMPLAINT_WITHOUT_REFERRAL)
    client = client_for("DPO")
    body = client.get(CHANGELIST).content.decode()
    assert "overdue by 4 days" in body and "no reply date" in body
    body = client.get(CHANGELIST, {"due": "overdue"}).content.decode()
    assert "PLAINTE-LATE" in body and ">PLAINTE<" not in body


def test_changelist_query_count_is_pinned(django_assert_max_num_queries):
    for _i in range(40):
        CnilCaseFactory(rights_request=RightsRequestFactory())
    client = client_for("DPO")
    with django_assert_max_num_queries(8):
        assert client.get(CHANGELIST).status_code == 200


@pytest.mark.parametrize(
    "params",
    [
        {"kind__exact": "referral"},
        {"answered": "yes"},
        {"answered": "no"},
        {"due": "overdue"},
        {"due": "week"},
        {"due": "month"},
        {"year": "2025"},
        {"q": "PLT"},
    ],
)
def test_filters_and_search_answer(params):
    CnilCaseFactory(cnil_reference="PLT-1")
    assert client_for("Auditor").get(CHANGELIST, params).status_code == 200


def test_the_due_filter_keeps_open_referrals_only():
    CnilCaseFactory(reference="LATE", received_on=dt.date(2025, 4, 1), due_on=dt.date(2025, 4, 11))
    CnilCaseFactory(
        reference="ANSWERED",
        received_on=dt.date(2025, 4, 1),
        due_on=dt.date(2025, 4, 11),
        answered_on=dt.date(2025, 4, 10),
    )
    CnilCaseFactory(reference="LATER", received_on=dt.date(2025, 4, 10), due_on=dt.date(2025, 5, 30))
    body = client_for("Auditor").get(CHANGELIST, {"due": "week"}).content.decode()
    assert ">LATE<" in body and ">ANSWERED<" not in body and ">LATER<" not in body


def test_the_answer_action_first_shows_its_form():
    case = CnilCaseFactory()
    response = client_for("DPO").post(CHANGELIST, {"action": "answer", ACTION_CHECKBOX_NAME: [case.pk]})
    assert response.status_code == 200
    assert 'name="answered_on"' in response.content.decode()


def test_the_answer_action_answers_and_reports_refusals_per_case():
    good = CnilCaseFactory(reference="GOOD", received_on=dt.date(2025, 4, 1), due_on=dt.date(2025, 4, 11))
    early = CnilCaseFactory(reference="RECEIVED-LATER", received_on=dt.date(2025, 4, 12), due_on=dt.date(2025, 4, 22))
    response = answer(client_for("DPO"), [good, early], "2025-04-10")
    assert messages_of(response) == [
        "RECEIVED-LATER: answered on: The answer (10/04/2025) cannot be dated before the receipt (12/04/2025).",
        "1 case answered.",
    ]
    assert dict(CnilCase.objects.values_list("reference", "answered_on")) == {
        "GOOD": dt.date(2025, 4, 10),
        "RECEIVED-LATER": None,
    }


def test_an_auditor_cannot_answer():
    case = CnilCaseFactory()
    answer(client_for("Auditor"), [case], "2025-04-10")
    assert CnilCase.objects.get().answered_on is None


def test_adding_a_referral_goes_through_the_service_with_a_letter(isolated_media):
    letter = SimpleUploadedFile("saisine.pdf", b"%PDF-1.4 letter", content_type="application/pdf")
    data = form_data(**{"attachments-2-TOTAL_FORMS": "1", "attachments-2-0-description": "Letter of referral"})
    data["attachments-2-0-file"] = letter
    response = client_for("DPO").post(f"{CHANGELIST}add/", data)
    assert response.status_code == 302, response.content.decode()[-4000:]
    case = CnilCase.objects.get()
    assert (case.reference, case.due_on) == ("CNIL-2025-001", dt.date(2025, 4, 20))
    attachment = CnilCaseAttachment.objects.get()
    assert (attachment.case, attachment.description, attachment.file.read()) == (
        case,
        "Letter of referral",
        b"%PDF-1.4 letter",
    )
    assert attachment.file.path.startswith(str(isolated_media))
    assert case.history.get().history_change_reason.startswith("recorded:")


def test_the_add_form_refuses_a_referral_without_its_reply_date():
    response = client_for("DPO").post(f"{CHANGELIST}add/", form_data(due_on=""))
    assert response.status_code == 200
    assert "A referral needs the reply date set in the CNIL&#x27;s letter." in response.content.decode()
    assert not CnilCase.objects.exists()


def test_a_letter_added_on_the_change_page_is_kept_and_listed(isolated_media):
    case = CnilCaseFactory(received_on=dt.date(2025, 4, 10), due_on=dt.date(2025, 4, 20))
    data = form_data(reference=case.reference, **{"attachments-2-TOTAL_FORMS": "1"})
    data["attachments-2-0-file"] = SimpleUploadedFile("reponse.pdf", b"answer", content_type="application/pdf")
    client = client_for("DPO")
    response = client.post(f"{CHANGELIST}{case.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[-4000:]
    assert case.attachments.get().uploaded_by.groups.get().name == "DPO"
    assert "reponse" in client.get(f"{CHANGELIST}{case.pk}/change/").content.decode()


def test_the_answer_date_is_not_editable_on_the_change_page():
    case = CnilCaseFactory(received_on=dt.date(2025, 4, 10), due_on=dt.date(2025, 4, 20))
    client_for("DPO").post(
        f"{CHANGELIST}{case.pk}/change/", form_data(reference=case.reference, answered_on="2025-04-11")
    )
    assert CnilCase.objects.get().answered_on is None
