"""The breach register in the admin: the list with its 72-hour badges, the actions, the XLSX register."""

from __future__ import annotations

import datetime as dt
import io
from functools import partial
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client

from gdpr.choices import RiskLevel
from gdpr.models import Breach, BreachNotification
from tests.clients import admin_client, messages_of
from tests.factories import UserFactory
from tests.gdpr.factories import BreachFactory
from tests.spreadsheet_checks import PAYLOADS, formula_cells, xlsx_texts

PARIS = ZoneInfo("Europe/Paris")
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("roles"),
    pytest.mark.time_machine(dt.datetime(2025, 3, 30, 12, 0, tzinfo=PARIS), tick=False),
]
CHANGELIST = "/admin/gdpr/breach/"
client_for = partial(admin_client, language="en")  # the messages asserted are the English ones


def paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=PARIS)


def run_action(client: Client, action: str, breaches: list[Breach], **data: str):
    """The second POST of an action with an intermediate form (the "apply" button)."""
    return client.post(
        CHANGELIST,
        {"action": action, ACTION_CHECKBOX_NAME: [b.pk for b in breaches], "apply": "1", **data},
        follow=True,
    )


# --- the list ---------------------------------------------------------------------------------------------


def test_the_register_lists_every_breach_with_its_clock_in_paris_time_and_its_badge():
    BreachFactory(reference="RUNNING", aware_at=paris(2025, 3, 28, 10, 0))
    BreachFactory(
        reference="NOTIFIED",
        aware_at=paris(2025, 3, 20, 10, 0),
        notified_at=paris(2025, 3, 21, 10, 0),
        notification_required=True,
    )
    BreachFactory(reference="OVERDUE", aware_at=paris(2025, 3, 25, 10, 0))
    body = client_for("DPO").get(CHANGELIST).content.decode()
    assert "RUNNING" in body and "NOTIFIED" in body and "OVERDUE" in body
    assert "28/03/2025 10:00" in body and "31/03/2025 11:00" in body  # aware at, due at: Paris time across DST
    assert "23 h left" in body  # 12:00 summer time on 30/03 to 11:00 on 31/03
    assert "overdue by" in body
    assert "done" in body  # the notified one's clock has stopped


def test_the_changelist_is_french_by_default():
    BreachFactory()
    response = admin_client("DPO").get(CHANGELIST)  # no Accept-Language: the site's language
    assert response.status_code == 200 and '<html lang="fr"' in response.content.decode()


def test_changelist_query_count_is_pinned(django_assert_max_num_queries):
    for hour in range(40):
        BreachFactory(aware_at=paris(2025, 3, 1, 0, 0) + dt.timedelta(hours=hour), handler=UserFactory())
    client = client_for("DPO")
    with django_assert_max_num_queries(8):
        assert client.get(CHANGELIST).status_code == 200


@pytest.mark.parametrize(
    "params",
    [
        {"risk_level__exact": "high"},
        {"decision": "notify"},
        {"decision": "no"},
        {"decision": "undecided"},
        {"notified": "yes"},
        {"notified": "no"},
        {"clock": "late"},
        {"clock": "within"},
        {"clock": "overdue"},
        {"clock": "running"},
        {"aware_year": "2025"},
        {"q": "BR-1"},
    ],
)
def test_filters_and_search_answer(params):
    BreachFactory(reference="BR-1")
    assert client_for("Auditor").get(CHANGELIST, params).status_code == 200


def test_the_late_filter_shows_only_late_notifications():
    BreachFactory(
        reference="LATE-ONE",
        aware_at=paris(2025, 3, 1, 10, 0),
        notified_at=paris(2025, 3, 5, 10, 0),
        notification_required=True,
        delay_reasons="Weekend",
    )
    BreachFactory(
        reference="ON-TIME",
        aware_at=paris(2025, 3, 1, 10, 0),
        notified_at=paris(2025, 3, 2, 10, 0),
        notification_required=True,
    )
    body = client_for("Auditor").get(CHANGELIST, {"clock": "late"}).content.decode()
    assert "LATE-ONE" in body and "ON-TIME" not in body


def test_decision_filter_separates_undecided_from_not_to_notify():
    BreachFactory(reference="UNDECIDED")
    BreachFactory(reference="NO-NOTIF", risk_level=RiskLevel.NONE, notification_required=False, decision_reasoning="x")
    body = client_for("Auditor").get(CHANGELIST, {"decision": "undecided"}).content.decode()
    assert "UNDECIDED" in body and "NO-NOTIF" not in body


# --- the change page --------------------------------------------------------------------------------------


def test_the_change_page_explains_the_72_hour_clock():
    breach = BreachFactory(
        aware_at=paris(2025, 3, 28, 10, 0),
        processor_aware_at=paris(2025, 3, 27, 9, 0),
        processor_informed_at=paris(2025, 3, 28, 10, 0),
    )
    body = client_for("Auditor").get(f"{CHANGELIST}{breach.pk}/change/").content.decode()
    assert "aware 28/03/2025 10:00 + 72 hours = 31/03/2025 11:00 (Paris time)" in body
    assert "the deadline counts from our awareness" in body


def test_adding_a_breach_goes_through_the_service():
    response = client_for("DPO").post(
        f"{CHANGELIST}add/",
        {
            "reference": "",
            "title": "Lost USB key",
            "aware_at_0": "2025-03-28",
            "aware_at_1": "10:00",
            "description": "USB key lost",
            "notifications-TOTAL_FORMS": "0",
            "notifications-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    breach = Breach.objects.get()
    assert (breach.reference, breach.notification_due_at) == ("BR-2025-001", paris(2025, 3, 31, 11, 0))
    assert breach.history.get().history_change_reason.startswith("recorded: aware 28/03/2025 10:00")


def test_the_add_form_refuses_contradictory_dates_with_a_field_error():
    response = client_for("DPO").post(
        f"{CHANGELIST}add/",
        {
            "title": "x",
            "aware_at_0": "2025-03-28",
            "aware_at_1": "10:00",
            "occurred_at_0": "2025-03-29",
            "occurred_at_1": "10:00",
            "notifications-TOTAL_FORMS": "0",
            "notifications-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "The breach cannot have occurred (29/03/2025 10:00) after we became aware of it" in response.content.decode()
    assert not Breach.objects.exists()


def test_nobody_deletes_a_breach_from_the_register():
    breach = BreachFactory()
    assert client_for("DPO").post(f"{CHANGELIST}{breach.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Breach.objects.exists()


# --- actions ----------------------------------------------------------------------------------------------


def test_the_notify_action_first_shows_its_form_with_the_clock():
    breach = BreachFactory(aware_at=paris(2025, 3, 28, 10, 0))
    response = client_for("DPO").post(CHANGELIST, {"action": "notify", ACTION_CHECKBOX_NAME: [breach.pk]})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="sent_at"' in body and "aware 28/03/2025 10:00, notification due 31/03/2025 11:00" in body


def test_the_notify_action_records_the_initial_notification():
    breach = BreachFactory(aware_at=paris(2025, 3, 28, 10, 0))
    response = run_action(
        client_for("DPO"), "notify", [breach], phase="initial", sent_at="2025-03-29T10:00", cnil_reference="NOT-1"
    )
    assert messages_of(response) == ["1 notification recorded."]
    breach.refresh_from_db()
    assert (breach.notified_at, breach.cnil_notification_reference) == (paris(2025, 3, 29, 10, 0), "NOT-1")


def test_a_refused_transition_is_an_error_message_naming_the_breach_and_the_field():
    late = BreachFactory(reference="BR-LATE", aware_at=paris(2025, 3, 25, 10, 0))
    fine = BreachFactory(reference="BR-FINE", aware_at=paris(2025, 3, 28, 10, 0))
    response = run_action(client_for("DPO"), "notify", [late, fine], phase="initial", sent_at="2025-03-29T10:00")
    assert messages_of(response) == [
        "BR-LATE – Misdirected email: reasons for the delay (Art. 33(1)): Notified 96 h after awareness, past the "
        "deadline of 28/03/2025 10:00: the reasons for the delay are required (Art. 33(1)).",
        "1 notification recorded.",
    ]
    assert list(Breach.objects.notified().values_list("reference", flat=True)) == ["BR-FINE"]


def test_the_decide_action_refuses_not_notifying_without_reasoning():
    breach = BreachFactory(risk_level=RiskLevel.NONE)
    response = run_action(client_for("DPO"), "decide", [breach], notification_required="no", reasoning="")
    assert messages_of(response) == [f"{breach}: reasoning: Deciding not to notify needs its reasoning (Art. 33(5))."]
    run_action(client_for("DPO"), "decide", [breach], notification_required="no", reasoning="Encrypted, key safe")
    breach.refresh_from_db()
    assert (breach.notification_required, breach.decision_reasoning) == (False, "Encrypted, key safe")


def test_assess_inform_exemption_and_close_actions():
    client = client_for("DPO")
    informed = BreachFactory(aware_at=paris(2025, 3, 28, 10, 0))
    exempted = BreachFactory(aware_at=paris(2025, 3, 28, 10, 0))
    run_action(client, "assess", [informed, exempted], risk_level="high", reasoning="Health data")
    assert set(Breach.objects.values_list("high_risk", flat=True)) == {True}
    run_action(client, "notify", [informed, exempted], phase="initial", sent_at="2025-03-29T10:00")
    run_action(client, "inform_subjects", [informed], informed_at="2025-03-29T18:00")
    run_action(client, "record_exemption", [exempted], exemption="art34_3_a", reasoning="Encrypted backup")
    response = run_action(client, "close", [informed, exempted], confirm="on")
    assert messages_of(response) == ["2 breaches closed."]
    assert not Breach.objects.filter(closed_at__isnull=True).exists()


def test_an_auditor_has_no_transition_action():
    breach = BreachFactory()
    response = client_for("Auditor").post(
        CHANGELIST, {"action": "notify", ACTION_CHECKBOX_NAME: [breach.pk], "apply": "1", "sent_at": "2025-03-29T10:00"}
    )
    assert response.status_code == 302  # back to the changelist: the action is not offered to an auditor
    assert not BreachNotification.objects.exists()


# --- the XLSX register ------------------------------------------------------------------------------------


def test_the_register_export_lists_notified_and_not_notified_breaches():
    BreachFactory(
        reference="BR-N",
        title="Notified",
        aware_at=paris(2025, 3, 28, 10, 0),
        notified_at=paris(2025, 3, 29, 10, 0),
        notification_required=True,
    )
    BreachFactory(
        reference="BR-X",
        title="Not notified",
        aware_at=paris(2025, 3, 20, 10, 0),
        risk_level=RiskLevel.NONE,
        notification_required=False,
        decision_reasoning="Encrypted laptop",
    )
    response = client_for("Auditor").get(f"{CHANGELIST}export/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    by_reference = {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    assert set(by_reference) == {"BR-N", "BR-X"}
    assert by_reference["BR-N"]["Notified at (Paris)"] == dt.datetime(2025, 3, 29, 10, 0)
    assert by_reference["BR-N"]["Within 72 hours"] == "yes"
    assert by_reference["BR-N"]["Notification due at (72 h, Paris)"] == dt.datetime(2025, 3, 31, 11, 0)
    assert by_reference["BR-X"]["Decision"] == "do not notify"
    assert by_reference["BR-X"]["Reasoning of the decision"] == "Encrypted laptop"
    assert by_reference["BR-X"]["Notified at (Paris)"] is None


def test_the_register_export_follows_the_changelist_filters_and_the_selection_action():
    BreachFactory(reference="BR-2024", aware_at=paris(2024, 6, 1, 10, 0))
    BreachFactory(reference="BR-2025", aware_at=paris(2025, 3, 1, 10, 0))
    client = client_for("DPO")
    sheet = openpyxl.load_workbook(
        io.BytesIO(client.get(f"{CHANGELIST}export/", {"aware_year": "2024"}).content)
    ).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["BR-2024"]
    response = client.post(
        CHANGELIST, {"action": "export_register", ACTION_CHECKBOX_NAME: [Breach.objects.get(reference="BR-2025").pk]}
    )
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["BR-2025"]


def test_the_register_export_writes_formulas_typed_in_a_breach_as_text():
    BreachFactory(
        reference="BR-F",
        title=PAYLOADS[0],
        description=PAYLOADS[1],
        measures=PAYLOADS[4],
        decision_reasoning="-2+3",
        delay_reasons="@SUM(1)",
        risk_reasoning="bell\x07",
        subjects_count=12,
    )
    content = client_for("DPO").get(f"{CHANGELIST}export/").content
    assert formula_cells(content) == []
    texts = xlsx_texts(content)
    assert set(PAYLOADS) <= set(texts) and "bell" in texts  # as typed, as text (the bell XML cannot hold)
    row = list(openpyxl.load_workbook(io.BytesIO(content)).active.iter_rows(min_row=2, values_only=True))[0]
    assert 12 in row  # numbers stay numbers


def test_a_user_without_role_cannot_export_the_register():
    assert client_for().get(f"{CHANGELIST}export/").status_code == 403
