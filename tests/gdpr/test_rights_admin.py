"""The rights-request admin: the list with its badges and filters, creation and edits through the services,
the transition buttons (each through client.post), and the deadline explained on the page."""

from __future__ import annotations

import datetime as dt
from functools import partial
from zoneinfo import ZoneInfo

import pytest

from gdpr.choices import DeadlineEventKind, RequestStatus, Right
from gdpr.models import RightsRequest
from gdpr.services.rights import rights_request_create, rights_request_pause
from tests.clients import admin_client
from tests.factories import UserFactory

PARIS = ZoneInfo("Europe/Paris")
CHANGELIST = "/admin/gdpr/rightsrequest/"
NOW = dt.datetime(2025, 6, 20, 12, tzinfo=PARIS)
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("english_messages", "roles"),
    pytest.mark.time_machine(NOW, tick=False),
]
client_for = partial(admin_client, language="en")  # the messages asserted are the English ones


def make(received: dt.datetime, **kwargs) -> RightsRequest:
    return rights_request_create(actor=None, received_at=received, right=kwargs.pop("right", Right.ACCESS), **kwargs)


def transition_url(request: RightsRequest, action: str) -> str:
    return f"{CHANGELIST}{request.pk}/do/{action}/"


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# --- the list -------------------------------------------------------------------------------------------


def test_changelist_shows_reference_requester_and_badges():
    make(dt.datetime(2025, 5, 2, 9, tzinfo=PARIS), reference="DSR-LATE", requester_name="Jeanne Martin")
    make(dt.datetime(2025, 6, 2, 9, tzinfo=PARIS), reference="DSR-SOON")  # due 02/07: 12 days
    make(dt.datetime(2025, 5, 22, 9, tzinfo=PARIS), reference="DSR-AMBER")  # due 23/06 (22/06 is a Sunday)
    body = page(client_for("DPO").get(CHANGELIST))
    assert "DSR-LATE" in body and "Jeanne Martin" in body
    assert "overdue by 18 days" in body and "vigie-badge-red" in body
    assert "3 days left" in body and "vigie-badge-amber" in body
    assert "12 days left" in body and "vigie-badge-green" in body
    assert "02/05/2025 09:00" in body  # received, Paris time


def test_changelist_query_count_is_pinned(django_assert_max_num_queries):
    handler = UserFactory(username="claire")
    for day in range(1, 29):
        make(dt.datetime(2025, 5, day, 9, tzinfo=PARIS), handler=handler)
    client = client_for("DPO")
    with django_assert_max_num_queries(10):
        page(client.get(CHANGELIST))


@pytest.mark.parametrize(
    "params",
    [
        {"status__exact": "received"},
        {"right__exact": "erasure"},
        {"channel__exact": "post"},
        {"requester_category__exact": "employee"},
        {"due": "overdue"},
        {"due": "week"},
        {"due": "month"},
        {"year": "2025"},
        {"q": "DSR"},
        {"received_at__year": "2025"},
    ],
)
def test_filters_and_search_answer(params):
    make(dt.datetime(2025, 5, 2, 9, tzinfo=PARIS), reference="DSR-1")
    assert client_for("Auditor").get(CHANGELIST, params).status_code == 200


def test_overdue_and_due_this_week_filters_use_the_applicable_deadline():
    make(dt.datetime(2025, 5, 2, 9, tzinfo=PARIS), reference="DSR-LATE")
    make(dt.datetime(2025, 5, 22, 9, tzinfo=PARIS), reference="DSR-WEEK")
    make(dt.datetime(2025, 6, 2, 9, tzinfo=PARIS), reference="DSR-LATER")
    paused = make(dt.datetime(2025, 5, 2, 9, tzinfo=PARIS), reference="DSR-PAUSED")
    rights_request_pause(request=paused, actor=None, asked_on=dt.date(2025, 5, 5))
    client = client_for("Auditor")
    overdue = page(client.get(CHANGELIST, {"due": "overdue"}))
    assert ">DSR-LATE<" in overdue and "DSR-WEEK" not in overdue and "DSR-PAUSED" not in overdue
    week = page(client.get(CHANGELIST, {"due": "week"}))
    assert ">DSR-WEEK<" in week and ">DSR-LATE<" in week and "DSR-LATER" not in week


def test_year_filter_takes_the_paris_year():
    make(dt.datetime(2024, 12, 31, 23, 30, tzinfo=PARIS), reference="DSR-2024")
    make(dt.datetime(2025, 1, 1, 0, 30, tzinfo=PARIS), reference="DSR-2025")
    body = page(client_for("Auditor").get(CHANGELIST, {"year": "2024"}))
    assert ">DSR-2024<" in body and "DSR-2025<" not in body


def test_user_without_role_cannot_open_the_list():
    assert client_for().get(CHANGELIST).status_code == 403


# --- the change page ------------------------------------------------------------------------------------


def test_change_page_explains_the_deadline_with_its_ledger_and_pauses():
    request = make(dt.datetime(2025, 6, 2, 9, tzinfo=PARIS))
    rights_request_pause(request=request, actor=None, asked_on=dt.date(2025, 6, 3), note="no signature")
    body = page(client_for("DPO").get(f"{CHANGELIST}{request.pk}/change/"))
    assert "Why this date" in body
    assert "vigie-deadline-ledger" in body and "Computed at receipt" in body and "Paused" in body
    assert "03/06/2025" in body and "no signature" in body
    # status and deadlines are not form fields; the pauses inline is read-only
    assert 'name="status"' not in body and 'name="due_on"' not in body
    assert 'name="pauses-0-asked_on"' not in body
    assert "/do/resume/" in body and "/do/extend/" in body and "/do/answer/" not in body


def test_auditor_sees_the_page_without_buttons_or_save():
    request = make(dt.datetime(2025, 6, 2, 9, tzinfo=PARIS))
    client = client_for("Auditor")
    body = page(client.get(f"{CHANGELIST}{request.pk}/change/"))
    assert "/do/" not in body and 'name="_save"' not in body
    assert client.get(transition_url(request, "start")).status_code == 403
    assert client.post(transition_url(request, "start")).status_code == 403
    assert page(client.get(f"{CHANGELIST}{request.pk}/history/"))


def test_adding_a_request_goes_through_the_service():
    client = client_for("DPO")
    response = client.post(
        f"{CHANGELIST}add/",
        {
            "reference": "",
            "received_at_0": "2025-03-05",
            "received_at_1": "10:00",
            "right": "access",
            "channel": "email",
            "requester_name": "Paul Petit",
            "requester_category": "client",
            "notes": "",
            "pauses-TOTAL_FORMS": "0",
            "pauses-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    request = RightsRequest.objects.get()
    assert (request.reference, request.due_on) == ("DSR-2025-00001", dt.date(2025, 4, 7))
    assert request.deadline_events.get().kind == DeadlineEventKind.COMPUTED


def test_adding_a_request_received_in_the_future_shows_the_error_on_the_form():
    response = client_for("DPO").post(
        f"{CHANGELIST}add/",
        {
            "received_at_0": "2025-06-21",
            "received_at_1": "10:00",
            "right": "access",
            "channel": "email",
            "requester_category": "client",
            "pauses-TOTAL_FORMS": "0",
            "pauses-INITIAL_FORMS": "0",
        },
    )
    assert "This date is in the future." in page(response)
    assert not RightsRequest.objects.exists()


def test_editing_changes_only_descriptive_fields_with_history():
    request = make(dt.datetime(2025, 6, 2, 9, tzinfo=PARIS), reference="DSR-E")
    response = client_for("DPO").post(
        f"{CHANGELIST}{request.pk}/change/",
        {
            "right": "erasure",
            "channel": "post",
            "requester_name": "Anne",
            "requester_category": "employee",
            "notes": "",
            "handler": "",
            "status": "closed",
            "due_on": "2030-01-01",
            "received_at_0": "2025-06-10",
            "received_at_1": "09:00",
            "pauses-TOTAL_FORMS": "0",
            "pauses-INITIAL_FORMS": "1",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    request.refresh_from_db()
    assert (request.right, request.requester_name, request.status, request.due_on) == (
        "erasure",
        "Anne",
        RequestStatus.RECEIVED,
        dt.date(2025, 7, 2),
    )
    assert request.received_at == dt.datetime(2025, 6, 2, 9, tzinfo=PARIS)
    assert "right" in request.history.first().history_change_reason


# --- each transition through the admin ------------------------------------------------------------------


def test_each_transition_through_its_form():
    client = client_for("DPO")
    request = make(dt.datetime(2025, 6, 2, 9, tzinfo=PARIS))
    steps = [
        ("start", {}, RequestStatus.IN_PROGRESS),
        ("pause", {"asked_on": "2025-06-03", "reason": "identity", "note": "address differs"}, RequestStatus.PAUSED),
        ("resume", {"answered_on": "2025-06-10"}, RequestStatus.IN_PROGRESS),
        ("extend", {"notified_at": "2025-06-12T10:00", "reason": "three systems"}, RequestStatus.EXTENDED),
        (
            "answer",
            {"answered_at": "2025-06-19T10:00", "outcome": "granted", "channel": "post"},
            RequestStatus.ANSWERED,
        ),
        ("close", {}, RequestStatus.CLOSED),
    ]
    for action, data, status in steps:
        assert page(client.get(transition_url(request, action)))  # the small form
        response = client.post(transition_url(request, action), data)
        assert response.status_code == 302, (action, response.content.decode()[-3000:])
        assert response["Location"] == f"{CHANGELIST}{request.pk}/change/"
        request.refresh_from_db()
        assert request.status == status, action
    assert (request.due_on, request.extended_due_on) == (dt.date(2025, 7, 9), dt.date(2025, 9, 9))
    assert list(request.deadline_events.values_list("kind", flat=True)) == ["computed", "paused", "resumed", "extended"]


def test_refuse_and_withdraw_through_their_forms():
    client = client_for("DPO")
    refused = make(dt.datetime(2025, 6, 2, 9, tzinfo=PARIS))
    response = client.post(
        transition_url(refused, "refuse"),
        {"ground": "excessive", "answered_at": "2025-06-10T10:00", "complaint_right_notified": "on"},
    )
    assert response.status_code == 302
    refused.refresh_from_db()
    assert (refused.status, refused.complaint_right_notified) == (RequestStatus.REFUSED, True)
    withdrawn = make(dt.datetime(2025, 6, 2, 9, tzinfo=PARIS))
    assert client.post(transition_url(withdrawn, "withdraw"), {"withdrawn_at": "", "note": ""}).status_code == 302
    withdrawn.refresh_from_db()
    assert withdrawn.status == RequestStatus.WITHDRAWN


def test_a_late_extension_is_refused_with_a_message_and_nothing_written():
    client = client_for("DPO")
    request = make(dt.datetime(2025, 5, 2, 9, tzinfo=PARIS))  # due 02/06/2025
    response = client.post(
        transition_url(request, "extend"), {"notified_at": "2025-06-03T10:00", "reason": "complex"}, follow=True
    )
    body = page(response)
    assert "after the first deadline (02/06/2025)" in body
    assert 'class="messagelist"' in body or "errorlist" in body
    request.refresh_from_db()
    assert (request.status, request.extension_notified_at) == (RequestStatus.RECEIVED, None)


def test_a_refusal_without_the_complaint_notice_is_refused_with_a_message():
    request = make(dt.datetime(2025, 6, 2, 9, tzinfo=PARIS))
    body = page(
        client_for("DPO").post(
            transition_url(request, "refuse"), {"ground": "excessive", "answered_at": "2025-06-10T10:00"}
        )
    )
    assert "right to complain to the CNIL" in body
    assert RightsRequest.objects.get(pk=request.pk).status == RequestStatus.RECEIVED


def test_an_action_not_allowed_now_redirects_with_a_message():
    request = make(dt.datetime(2025, 6, 2, 9, tzinfo=PARIS))
    client = client_for("DPO")
    body = page(client.get(transition_url(request, "close"), follow=True))
    assert "is not possible for a request whose status is" in body
    body = page(client.post(transition_url(request, "close"), {}))
    assert "cannot be closed" in body
    assert client.get(transition_url(request, "teleport")).status_code == 404


def test_the_ledger_escapes_what_people_typed():
    request = make(dt.datetime(2025, 6, 2, 9, tzinfo=PARIS))
    rights_request_pause(request=request, actor=None, asked_on=dt.date(2025, 6, 3), note="<script>x</script>")
    body = page(client_for("DPO").get(f"{CHANGELIST}{request.pk}/change/"))
    assert "<script>x</script>" not in body and "&lt;script&gt;x&lt;/script&gt;" in body
    assert "<p>Délai légal" in body  # paragraphs, not escaped tags; written in the site language (French)
