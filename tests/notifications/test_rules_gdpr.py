"""The CNIL-referral and breach rules, with frozen `now` values passed to the sweep: each threshold fires
at its exact instant and not a minute before (Paris midnights for the referral, exact UTC hours across the
spring clock change for the breach), stops once answered / notified / decided, catches up once."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from gdpr.services import breaches as breach_services, cnil as cnil_services
from notifications.models import Alert
from notifications.registry import get_rule, get_rules
from notifications.sweep import sweep
from tests.factories import UserFactory

PARIS = ZoneInfo("Europe/Paris")
UTC = dt.UTC
CNIL = "gdpr.cnil_referral.deadline"
BREACH = "gdpr.breach.notification"
MINUTE = dt.timedelta(minutes=1)
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def dpo_emails(settings):
    settings.DPO_EMAILS = ["dpo@example.org"]


@pytest.fixture
def actor():
    return UserFactory(username="dpo-actor")


def alerts(rule, object_id=None):
    rows = Alert.objects.filter(rule=rule)
    if object_id is not None:
        rows = rows.filter(object_id=object_id)
    return list(rows.order_by("fires_at").values_list("threshold", flat=True))


def referral(actor, due_on, handler=None, kind="referral", received_on=dt.date(2025, 2, 1)):
    return cnil_services.cnil_case_create(
        actor=actor, kind=kind, received_on=received_on, due_on=due_on, handler=handler
    )


def test_the_rules_are_registered_with_their_schedule():
    codes = {rule.code: rule for rule in get_rules()}
    assert codes[CNIL].schedule == "daily"
    assert codes[BREACH].schedule == "hourly"
    assert codes["gdpr.rights_request.deadline"].schedule == "daily"


# -- CNIL referral -------------------------------------------------------------------------------------
def test_referral_thresholds_fire_at_paris_midnight_across_month_end_and_clock_change(actor):
    # Reply due Monday 31/03/2025: d-3 = 28/03 (CET), d-1 = 30/03 (the clock-change day), overdue = 01/04 (CEST).
    case = referral(actor, dt.date(2025, 3, 31))
    steps = [
        (dt.datetime(2025, 3, 28, tzinfo=PARIS), ["d-3"]),
        (dt.datetime(2025, 3, 30, tzinfo=PARIS), ["d-3", "d-1"]),
        (dt.datetime(2025, 4, 1, tzinfo=PARIS), ["d-3", "d-1", "overdue"]),
    ]
    before = []
    for instant, expected in steps:
        assert sweep(instant - MINUTE).created == 0
        assert alerts(CNIL) == before
        assert sweep(instant).created == 1
        assert alerts(CNIL) == expected
        before = expected
    assert sweep(dt.datetime(2025, 4, 20, tzinfo=PARIS)).created == 0  # never twice
    overdue = Alert.objects.get(rule=CNIL, threshold="overdue")
    assert overdue.immediate and overdue.urgency == "overdue"
    assert overdue.fires_at == dt.datetime(2025, 4, 1, tzinfo=PARIS)
    assert overdue.fires_at.astimezone(UTC) == dt.datetime(2025, 3, 31, 22, tzinfo=UTC)  # CEST midnight
    assert not Alert.objects.get(rule=CNIL, threshold="d-3").immediate
    assert Alert.objects.get(rule=CNIL, threshold="d-1").urgency == "urgent"
    assert case.reference in overdue.title and "31/03/2025" in overdue.title
    assert overdue.admin_path == f"/admin/gdpr/cnilcase/{case.pk}/change/"


def test_referral_recipients_are_the_dpo_and_the_handler(actor, roles):
    handler = UserFactory(username="juriste", email="juriste@example.org", groups=["DPO"])
    referral(actor, dt.date(2025, 3, 31), handler=handler)
    sweep(dt.datetime(2025, 4, 1, 8, tzinfo=PARIS))
    alert = Alert.objects.get(rule=CNIL)
    assert sorted(alert.deliveries.values_list("recipient", flat=True)) == ["dpo@example.org", "juriste@example.org"]


def test_a_complaint_alerts_on_the_reply_date_a_cnil_letter_set_and_not_without_one(actor):
    """Whatever the kind of case, a reply date the CNIL set is alerted on (issue 14, item 20)."""
    complaint = referral(actor, dt.date(2025, 3, 31), kind="complaint_without_referral")
    referral(actor, None, kind="complaint_without_referral")
    assert sweep(dt.datetime(2025, 4, 1, tzinfo=PARIS)).created == 1
    alert = Alert.objects.get(rule=CNIL)
    assert (alert.object_id, alert.threshold) == (complaint.pk, "overdue")
    assert complaint.reference in alert.title and "31/03/2025" in alert.title and "Plainte CNIL" in alert.title
    cnil_services.cnil_case_answer(actor=actor, case=complaint, answered_on=dt.date(2025, 4, 1))
    assert sweep(dt.datetime(2025, 4, 10, tzinfo=PARIS)).created == 0


def test_an_answered_referral_stops_and_a_complaint_never_alerts(actor):
    answered = referral(actor, dt.date(2025, 3, 31))
    referral(actor, None, kind="complaint_without_referral")
    sweep(dt.datetime(2025, 3, 28, 1, tzinfo=PARIS))
    assert alerts(CNIL, answered.pk) == ["d-3"]
    cnil_services.cnil_case_answer(actor=actor, case=answered, answered_on=dt.date(2025, 3, 28))
    assert sweep(dt.datetime(2025, 4, 10, tzinfo=PARIS)).created == 0
    assert alerts(CNIL) == ["d-3"]


def test_a_missed_referral_run_catches_up_once_at_the_latest_threshold(actor):
    referral(actor, dt.date(2025, 2, 28))
    assert sweep(dt.datetime(2025, 3, 10, tzinfo=PARIS)).created == 1
    assert alerts(CNIL) == ["overdue"]
    assert sweep(dt.datetime(2025, 3, 11, tzinfo=PARIS)).created == 0


def test_referral_thresholds_are_settings_read_at_each_sweep(actor, settings):
    settings.VIGIE_ALERT_THRESHOLDS = {CNIL: [10, -1]}
    referral(actor, dt.date(2025, 3, 31))
    assert [t.code for t in get_rule(CNIL).thresholds] == ["d-10", "overdue"]
    assert sweep(dt.datetime(2025, 3, 21, tzinfo=PARIS) - MINUTE).created == 0
    assert sweep(dt.datetime(2025, 3, 21, tzinfo=PARIS)).created == 1
    assert alerts(CNIL) == ["d-10"]
    del settings.VIGIE_ALERT_THRESHOLDS
    assert [t.code for t in get_rule(CNIL).thresholds] == ["d-3", "d-1", "overdue"]  # the defaults again


# -- breach ------------------------------------------------------------------------------------------
# Aware Saturday 29/03/2025 10:00 Paris (CET, 09:00 UTC); Paris springs forward on Sunday 30/03 at 02:00.
AWARE = dt.datetime(2025, 3, 29, 10, tzinfo=PARIS)


def breach(actor, aware_at=AWARE, handler=None):
    return breach_services.breach_create(actor=actor, aware_at=aware_at, title="Lost laptop", handler=handler)


def test_breach_thresholds_are_exact_hours_in_utc_across_the_clock_change(actor):
    record = breach(actor)
    assert record.notification_due_at == dt.datetime(2025, 4, 1, 9, tzinfo=UTC)
    steps = [
        (dt.datetime(2025, 3, 30, 9, tzinfo=UTC), "h+24"),  # 11:00 in Paris (CEST): 24 real hours, not 10:00
        (dt.datetime(2025, 3, 31, 9, tzinfo=UTC), "h+48"),
        (dt.datetime(2025, 3, 31, 21, tzinfo=UTC), "h+60"),
        (dt.datetime(2025, 4, 1, 9, tzinfo=UTC), "h+72"),
    ]
    seen = []
    for instant, code in steps:
        assert sweep(instant - MINUTE).created == 0
        assert sweep(instant).created == 1
        seen.append(code)
        assert alerts(BREACH) == seen
        assert Alert.objects.get(rule=BREACH, threshold=code).fires_at == instant
    rows = Alert.objects.filter(rule=BREACH)
    assert all(alert.immediate for alert in rows)
    assert rows.get(threshold="h+72").urgency == "overdue" and rows.get(threshold="h+24").urgency == "urgent"
    assert all(alert.due_at == dt.datetime(2025, 4, 1, 9, tzinfo=UTC) for alert in rows)
    assert sweep(dt.datetime(2025, 4, 3, tzinfo=UTC)).created == 0
    deadline = rows.get(threshold="h+72")
    assert record.reference in deadline.title and "01/04/2025 11:00" in deadline.title  # Paris time, CEST
    assert "72" in deadline.explanation
    assert deadline.admin_path == f"/admin/gdpr/breach/{record.pk}/change/"


def test_breach_recipients_are_the_dpo_and_the_handler(actor, roles):
    handler = UserFactory(username="rssi", email="rssi@example.org", groups=["DPO"])
    breach(actor, handler=handler)
    sweep(dt.datetime(2025, 3, 30, 9, 30, tzinfo=UTC))
    alert = Alert.objects.get(rule=BREACH)
    assert sorted(alert.deliveries.values_list("recipient", flat=True)) == ["dpo@example.org", "rssi@example.org"]


def test_a_notified_breach_and_a_breach_decided_not_to_notify_stop_alerting(actor):
    notified, decided, running = breach(actor), breach(actor), breach(actor)
    sweep(dt.datetime(2025, 3, 30, 9, tzinfo=UTC))
    assert len(alerts(BREACH)) == 3
    breach_services.breach_notify(actor=actor, breach=notified, sent_at=dt.datetime(2025, 3, 30, 12, tzinfo=UTC))
    breach_services.breach_decide(
        actor=actor, breach=decided, notification_required=False, reasoning="Encrypted laptop, key not compromised"
    )
    sweep(dt.datetime(2025, 4, 2, tzinfo=UTC))
    assert alerts(BREACH, notified.pk) == ["h+24"]
    assert alerts(BREACH, decided.pk) == ["h+24"]
    assert alerts(BREACH, running.pk) == ["h+24", "h+72"]  # caught up at the latest threshold only


def test_a_breach_found_after_a_missed_run_gets_one_alert_at_the_latest_threshold(actor):
    breach(actor)
    assert sweep(dt.datetime(2025, 3, 31, 22, tzinfo=UTC)).created == 1  # worker down since awareness
    assert alerts(BREACH) == ["h+60"]
    assert sweep(dt.datetime(2025, 3, 31, 23, tzinfo=UTC)).created == 0


def test_breach_hours_are_settings(actor, settings):
    settings.VIGIE_ALERT_THRESHOLDS = {BREACH: [12, 72]}
    breach(actor)
    assert sweep(dt.datetime(2025, 3, 29, 21, tzinfo=UTC) - MINUTE).created == 0
    assert sweep(dt.datetime(2025, 3, 29, 21, tzinfo=UTC)).created == 1
    assert alerts(BREACH) == ["h+12"]


def test_alert_texts_are_stored_in_the_site_language_whatever_the_thread_left_active(actor):
    """A request in English (the admin's preview, run by an English-speaking user) leaves English active
    in its thread; the alerts a later sweep writes there are still emailed to the DPO in French."""
    from django.utils import translation

    complaint = referral(actor, dt.date(2025, 3, 31), kind="complaint_without_referral")
    translation.activate("en")
    try:
        sweep(dt.datetime(2025, 4, 1, tzinfo=PARIS))
    finally:
        translation.deactivate()
    alert = Alert.objects.get(rule=CNIL, object_id=complaint.pk)
    assert "Plainte CNIL" in alert.title
