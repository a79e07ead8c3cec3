"""The buttons of a breach's page: each step of the file (assess, decide, notify, complementary notification,
inform the data subjects, record an exemption, close) from the detail page, with the list action's form and
service; only the steps the state allows; nothing for a user who may only read."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from gdpr.choices import NotificationPhase, RiskLevel, SubjectsExemption
from gdpr.models import Breach, BreachNotification
from gdpr.services import breaches as services
from tests import clients
from tests.clients import admin_client, page_of as page
from tests.gdpr.factories import BreachFactory

PARIS = ZoneInfo("Europe/Paris")
NOW = dt.datetime(2025, 3, 30, 12, 0, tzinfo=PARIS)
CHANGELIST = "/admin/gdpr/breach/"
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("roles"),
    pytest.mark.time_machine(NOW, tick=False),
]
ALL_BUTTONS = {
    "assess",
    "decide",
    "notify",
    "notify-complementary",
    "inform-subjects",
    "record-exemption",
    "close",
}


def paris(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2025, 3, day, hour, minute, tzinfo=PARIS)


def change_url(breach: Breach) -> str:
    return f"{CHANGELIST}{breach.pk}/change/"


def logged_in(*groups: str, language: str | None = "en") -> tuple[Client, object]:
    return clients.logged_in(*groups, language=language, first_name="Dana", last_name="Protect")


def button_url(breach: Breach, action: str) -> str:
    return f"{CHANGELIST}{breach.pk}/do/{action}/"


def buttons_on(body: str, breach: Breach) -> set[str]:
    return {action for action in ALL_BUTTONS if f'href="{button_url(breach, action)}"' in body}


# --- which buttons, in which state ------------------------------------------------------------------------


def _new(dpo) -> Breach:
    return BreachFactory(aware_at=paris(28, 10))


def _assessed_high(dpo) -> Breach:
    breach = _new(dpo)
    return services.breach_assess(actor=dpo, breach=breach, risk_level=RiskLevel.HIGH, reasoning="health data")


def _notified(dpo) -> Breach:
    breach = _assessed_high(dpo)
    services.breach_notify(actor=dpo, breach=breach, sent_at=paris(29, 9))
    return Breach.objects.get(pk=breach.pk)


def _informed(dpo) -> Breach:
    breach = _notified(dpo)
    return services.breach_inform_subjects(actor=dpo, breach=breach, informed_at=paris(29, 10))


def _not_to_notify(dpo) -> Breach:
    breach = services.breach_assess(actor=dpo, breach=_new(dpo), risk_level=RiskLevel.NONE, reasoning="encrypted")
    return services.breach_decide(actor=dpo, breach=breach, notification_required=False, reasoning="no risk")


def _closed(dpo) -> Breach:
    return services.breach_close(actor=dpo, breach=_informed(dpo))


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (_new, {"assess", "decide", "notify", "inform-subjects", "record-exemption"}),
        (_assessed_high, {"assess", "decide", "notify", "inform-subjects", "record-exemption"}),
        (_notified, {"assess", "notify-complementary", "inform-subjects", "record-exemption"}),
        (_informed, {"assess", "notify-complementary", "close"}),
        (_not_to_notify, {"assess", "decide", "inform-subjects", "record-exemption", "close"}),
        (_closed, set()),
    ],
    ids=["new", "assessed-high", "notified", "informed", "not-to-notify", "closed"],
)
def test_the_page_shows_the_buttons_the_state_allows(dpo, state, expected):
    breach = state(dpo)
    client, _user = logged_in("DPO")
    assert buttons_on(page(client.get(change_url(breach))), breach) == expected
    assert set(services.breach_allowed_actions(breach)) == {action.replace("-", "_") for action in expected}


def test_the_sections_point_to_the_buttons_not_to_the_list_actions():
    breach = BreachFactory(aware_at=paris(28, 10))
    client, _user = logged_in("DPO", language=None)  # the site's language: French
    body = page(client.get(change_url(breach)))
    assert "(actions)" not in body and "actions)" not in body
    assert "Évaluation et décision" in body and "Notification à la CNIL" in body
    assert "Renseigné par les boutons de cette page" in body
    assert "Évaluer le risque" in body and "Notifier la CNIL" in body


# --- each step through its button -------------------------------------------------------------------------


def test_each_step_through_its_button_goes_through_the_service_and_keeps_the_history(dpo):
    client, user = logged_in("DPO")
    breach = BreachFactory(aware_at=paris(28, 10))
    steps = [
        ("assess", {"risk_level": RiskLevel.HIGH, "reasoning": "health data exposed"}, "risk assessed"),
        ("decide", {"notification_required": "yes", "reasoning": ""}, "decided: notify the CNIL"),
        (
            "notify",
            {"phase": NotificationPhase.INITIAL, "sent_at": "2025-03-30T11:00", "cnil_reference": "NOTIF-1"},
            "notified to the CNIL",
        ),
        (
            "notify-complementary",
            {"phase": NotificationPhase.COMPLEMENTARY, "sent_at": "2025-03-30T11:30", "content": "more facts"},
            "complementary notification",
        ),
        ("inform-subjects", {"informed_at": "2025-03-30T11:45"}, "data subjects informed"),
        ("close", {"confirm": "on"}, "closed"),
    ]
    for action, data, reason in steps:
        form_page = page(client.get(button_url(breach, action)))
        assert "<form" in form_page and 'name="apply"' in form_page, action
        assert "BR-TEST" in form_page and "due 31/03/2025 11:00" in form_page  # the clock above the form
        # A complementary notification is a row of its own: its history, not the breach's, records it.
        history = BreachNotification.history if action == "notify-complementary" else breach.history
        history_before = history.count()
        response = client.post(button_url(breach, action), data)
        assert response.status_code == 302, (action, response.content.decode()[-2000:])
        assert response["Location"] == change_url(breach)
        latest = history.order_by("-history_id").first()
        assert history.count() > history_before, action
        assert latest.history_user == user and reason in latest.history_change_reason, action
    breach.refresh_from_db()
    assert breach.risk_level == RiskLevel.HIGH and breach.high_risk and breach.notification_required is True
    assert breach.notified_at == paris(30, 11) and breach.cnil_notification_reference == "NOTIF-1"
    assert breach.subjects_informed_at == paris(30, 11, 45) and breach.closed_at == NOW
    phases = list(breach.notifications.order_by("sent_at").values_list("phase", "sent_by"))
    assert phases == [(NotificationPhase.INITIAL, user.pk), (NotificationPhase.COMPLEMENTARY, user.pk)]


def test_the_success_message_and_the_prefilled_forms():
    client, _user = logged_in("DPO")
    breach = BreachFactory(aware_at=paris(28, 10))
    notify_page = page(client.get(button_url(breach, "notify")))
    assert 'value="2025-03-30T12:00"' in notify_page  # sent at: now, Paris time
    assert '<option value="initial" selected>' in notify_page
    assert "After the 72 hours, give the reasons for the delay" in notify_page  # the list action's explanation
    response = client.post(
        button_url(breach, "record-exemption"),
        {"exemption": SubjectsExemption.PROTECTED, "reasoning": "data encrypted"},
        follow=True,
    )
    assert "The exemption is recorded." in page(response)
    breach.refresh_from_db()
    assert breach.subjects_exemption == SubjectsExemption.PROTECTED


def test_an_exemption_through_its_button(dpo):
    client, _user = logged_in("DPO")
    breach = _assessed_high(dpo)
    response = client.post(
        button_url(breach, "record-exemption"),
        {"exemption": SubjectsExemption.PROTECTED, "reasoning": "data encrypted"},
    )
    assert response.status_code == 302
    breach.refresh_from_db()
    assert (breach.subjects_exemption, breach.subjects_exemption_reasoning) == (
        SubjectsExemption.PROTECTED,
        "data encrypted",
    )


# --- what is refused comes back on the form, with what was typed ------------------------------------------


def test_a_late_notification_without_its_reasons_is_refused_on_the_form_keeping_the_input():
    client, _user = logged_in("DPO")
    breach = BreachFactory(aware_at=paris(26, 10))  # due 29/03 10:00: late now
    body = page(
        client.post(
            button_url(breach, "notify"),
            {
                "phase": NotificationPhase.INITIAL,
                "sent_at": "2025-03-30T11:00",
                "cnil_reference": "NOTIF-LATE",
                "content": "what we told the CNIL",
            },
        )
    )
    assert "the reasons for the delay are required" in body
    assert "errorlist" in body
    assert 'value="NOTIF-LATE"' in body and "what we told the CNIL" in body  # nothing typed is lost
    breach.refresh_from_db()
    assert breach.notified_at is None and not BreachNotification.objects.exists()


def test_a_form_error_is_shown_on_the_form_and_nothing_is_written():
    client, _user = logged_in("DPO")
    breach = BreachFactory(aware_at=paris(28, 10))
    history_before = breach.history.count()
    body = page(client.post(button_url(breach, "assess"), {"risk_level": RiskLevel.RISK, "reasoning": ""}))
    assert "This field is required." in body
    assert '<option value="risk" selected>' in body
    body = page(client.post(button_url(breach, "decide"), {"notification_required": "no", "reasoning": "  "}))
    assert "Deciding not to notify needs its reasoning" in body
    breach.refresh_from_db()
    assert breach.risk_level == "" and breach.notification_required is None
    assert breach.history.count() == history_before


def test_a_step_the_state_does_not_allow_sends_back_to_the_page_with_why(dpo):
    client, _user = logged_in("DPO")
    closed = _closed(dpo)
    response = client.get(button_url(closed, "assess"), follow=True)
    body = page(response)
    assert response.redirect_chain[-1][0] == change_url(closed)
    assert "is not possible for this breach now (closed on 30/03/2025 12:00)" in body
    # A POST is left to the service, which refuses it on the form.
    body = page(client.post(button_url(closed, "assess"), {"risk_level": RiskLevel.NONE, "reasoning": "x"}))
    assert "was closed on" in body
    assert client.get(button_url(closed, "teleport")).status_code == 404


# --- who may ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["Compliance officer", "Auditor"])
def test_a_user_who_may_only_read_sees_no_button_and_is_refused_the_urls(role):
    breach = BreachFactory(aware_at=paris(28, 10))
    client = admin_client(role, language="en")
    body = page(client.get(change_url(breach)))
    assert "/do/" not in body
    for action in ALL_BUTTONS:
        assert client.get(button_url(breach, action)).status_code == 403, action
    assert client.post(button_url(breach, "assess"), {"risk_level": "none", "reasoning": "x"}).status_code == 403
    breach.refresh_from_db()
    assert breach.risk_level == ""


def test_a_user_without_role_cannot_reach_a_button():
    breach = BreachFactory(aware_at=paris(28, 10))
    assert admin_client().get(button_url(breach, "assess")).status_code == 403


def test_the_list_action_uses_the_same_form_as_the_button():
    from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

    breach = BreachFactory(aware_at=paris(28, 10))
    client, _user = logged_in("DPO")
    action_page = page(client.post(CHANGELIST, {"action": "assess", ACTION_CHECKBOX_NAME: [breach.pk]}))
    button_page = page(client.get(button_url(breach, "assess")))
    for field in ('name="risk_level"', 'name="reasoning"'):
        assert field in action_page and field in button_page
    response = client.post(
        CHANGELIST,
        {"action": "assess", ACTION_CHECKBOX_NAME: [breach.pk], "apply": "1", "risk_level": "none", "reasoning": "x"},
    )
    assert response.status_code == 302
    breach.refresh_from_db()
    assert breach.risk_level == RiskLevel.NONE
