"""The alert ledger and its sweep, on the rights-request rules: thresholds in Paris days (clock changes
and month ends included), catching up after missed runs, never twice, new alerts for a new deadline."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from gdpr.services import rights as rights_services
from notifications.models import Alert, Delivery
from notifications.registry import Threshold, get_rule, get_rules
from notifications.sweep import _write, plan, sweep
from tests.factories import UserFactory

PARIS = ZoneInfo("Europe/Paris")
DEADLINE = "gdpr.rights_request.deadline"
EXTENSION = "gdpr.rights_request.extension_decision"
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def dpo_emails(settings):
    settings.DPO_EMAILS = ["dpo@example.org", "DPO@example.org ", "dpo-backup@example.org"]


def at(year, month, day, hour=10, minute=0):
    return dt.datetime(year, month, day, hour, minute, tzinfo=PARIS)


def request(received_at, handler=None):
    actor = UserFactory(username="dpo-actor")
    return rights_services.rights_request_create(
        actor=actor, received_at=received_at, right="access", requester_name="Jeanne Test", handler=handler
    )


def alerts(rule=DEADLINE):
    return list(Alert.objects.filter(rule=rule).order_by("fires_at").values_list("threshold", flat=True))


def test_the_gdpr_rules_are_registered_from_the_app():
    assert {DEADLINE, EXTENSION} <= {rule.code for rule in get_rules()}


def test_each_threshold_fires_at_paris_midnight_of_its_day_and_once():
    req = request(at(2025, 3, 5))  # deadline 05/04/2025 is a Saturday: rolled to Monday 07/04/2025
    assert req.applicable_due_on == dt.date(2025, 4, 7)
    assert sweep(at(2025, 3, 30, 23, 59)).created == 0  # d-7 is 31/03 00:00 Paris
    assert sweep(at(2025, 3, 31, 0, 0)).created == 2  # d-7 and the extension decision
    assert alerts() == ["d-7"] and alerts(EXTENSION) == ["d-7"]
    assert sweep(at(2025, 3, 31, 12)).created == 0
    sweep(at(2025, 4, 4, 0, 1))
    sweep(at(2025, 4, 6, 0, 1))
    sweep(at(2025, 4, 8, 0, 1))
    assert alerts() == ["d-7", "d-3", "d-1", "overdue"]
    overdue = Alert.objects.get(rule=DEADLINE, threshold="overdue")
    assert overdue.immediate and overdue.urgency == "overdue"
    assert overdue.fires_at == at(2025, 4, 8, 0, 0)
    assert req.reference in overdue.title and "07/04/2025" in overdue.title
    assert overdue.admin_path == f"/admin/gdpr/rightsrequest/{req.pk}/change/"


def test_thresholds_across_the_spring_clock_change_stay_at_midnight_paris():
    rule = get_rule(DEADLINE)
    due_at = dt.datetime(2025, 4, 2, tzinfo=PARIS)  # d-7 = 26/03 (CET), d-3 = 30/03 (the change day, CEST)
    fires = {t.code: t.fires_at(due_at) for t in rule.thresholds}
    assert fires["d-7"].utcoffset() == dt.timedelta(hours=1) and fires["d-7"].hour == 0
    assert fires["d-3"] == dt.datetime(2025, 3, 30, tzinfo=PARIS) and fires["d-3"].hour == 0
    assert fires["overdue"] == dt.datetime(2025, 4, 3, tzinfo=PARIS)


def test_hour_thresholds_are_exact_durations_in_utc():
    threshold = Threshold("h+24", "urgent", after_deadline=dt.timedelta(hours=-48))
    due = dt.datetime(2025, 3, 31, 1, 30, tzinfo=dt.UTC)  # just after the spring change
    assert threshold.fires_at(due) == dt.datetime(2025, 3, 29, 1, 30, tzinfo=dt.UTC)


def test_a_missed_run_catches_up_with_one_alert_at_the_most_advanced_threshold():
    request(at(2025, 1, 31))  # deadline 28/02/2025 (month end clamp), a Friday
    sweep(at(2025, 3, 10))  # the worker was down for weeks
    assert alerts() == ["overdue"]
    assert sweep(at(2025, 3, 11)).created == 0


def test_two_sweeps_of_the_same_moment_create_nothing_twice():
    request(at(2025, 3, 5))
    now = at(2025, 4, 8, 6)
    first, second = plan(get_rule(DEADLINE), now), plan(get_rule(DEADLINE), now)
    assert len(first) == len(second) == 1
    assert _write(get_rule(DEADLINE), first, now) == (1, 2)
    assert _write(get_rule(DEADLINE), second, now) == (0, 0)  # lost the race: the ledger refuses the copy
    assert Alert.objects.filter(rule=DEADLINE).count() == 1
    assert sorted(Delivery.objects.values_list("recipient", flat=True)) == ["dpo-backup@example.org", "dpo@example.org"]


def test_the_handler_is_a_recipient_and_addresses_are_deduplicated(settings, roles):
    handler = UserFactory(username="juriste", email="Juriste@example.org", groups=["DPO"])
    request(at(2025, 3, 5), handler=handler)
    sweep(at(2025, 4, 8, 6))
    alert = Alert.objects.get(rule=DEADLINE)
    assert sorted(alert.deliveries.values_list("recipient", flat=True)) == [
        "dpo-backup@example.org",
        "dpo@example.org",
        "juriste@example.org",
    ]
    assert alert.history.count() == 1 and alert.deliveries.first().history.count() == 1


def test_an_answered_request_has_no_more_alerts_and_an_extension_brings_new_ones():
    answered, extended = request(at(2025, 3, 5)), request(at(2025, 3, 5))
    actor = UserFactory(username="dpo2")
    sweep(at(2025, 3, 31, 1))
    rights_services.rights_request_answer(
        request=answered, actor=actor, answered_at=at(2025, 4, 1), outcome="granted", channel="email"
    )
    extended = rights_services.rights_request_extend(
        request=extended, actor=actor, notified_at=at(2025, 4, 1), reason="Demande complexe"
    )
    assert sweep(at(2025, 4, 8, 1)).created == 0  # nothing overdue: answered, or extended to July
    new_due = extended.applicable_due_on
    sweep(dt.datetime.combine(new_due - dt.timedelta(days=7), dt.time(0, 5), tzinfo=PARIS))
    assert list(
        Alert.objects.filter(rule=DEADLINE, object_id=extended.pk)
        .order_by("due_at")
        .values_list("threshold", "due_at__date")
    ) == [("d-7", dt.date(2025, 4, 7)), ("d-7", new_due)]  # (the Paris day of each deadline)
    assert not Alert.objects.filter(object_id=answered.pk).exclude(threshold="d-7").exists()


def test_no_extension_to_decide_once_the_first_deadline_is_over():
    request(at(2025, 3, 5))
    sweep(at(2025, 4, 8, 6))  # first sweep after the deadline (07/04)
    assert alerts(EXTENSION) == [] and alerts() == ["overdue"]


def test_a_dry_run_writes_nothing():
    request(at(2025, 3, 5))
    report = sweep(at(2025, 4, 8, 6), dry_run=True)
    assert report.by_rule() == {DEADLINE: 1}
    assert not Alert.objects.exists()


def test_a_paused_request_has_no_alert_while_its_deadline_is_suspended():
    paused = request(at(2025, 3, 5))
    rights_services.rights_request_pause(
        request=paused, actor=UserFactory(username="dpo3"), asked_on=dt.date(2025, 3, 6)
    )
    assert sweep(at(2025, 4, 8, 6)).created == 0
    assert not Alert.objects.exists()
