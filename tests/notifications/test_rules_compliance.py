"""The compliance rules with frozen `now` values: the COI analysis overdue the day after its due date, the
action items 7 days before and overdue, at Paris midnight and not a minute before, across month ends;
qualification / completion stops them; recipients; one alert at the latest threshold after missed runs."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from compliance.services import cases as case_services
from notifications.models import Alert
from notifications.registry import get_rule
from notifications.sweep import sweep
from tests.factories import UserFactory

PARIS = ZoneInfo("Europe/Paris")
COI = "compliance.coi_case.analysis_overdue"
ACTION = "compliance.action_item.due"
MINUTE = dt.timedelta(minutes=1)
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def compliance_emails(settings):
    settings.COMPLIANCE_EMAILS = ["conformite@example.org"]
    settings.DPO_EMAILS = ["dpo@example.org"]
    settings.VIGIE_COI_ANALYSIS_DAYS = 60


@pytest.fixture
def actor():
    return UserFactory(username="rcci")


def midnight(year, month, day):
    return dt.datetime(year, month, day, tzinfo=PARIS)


def alerts(rule, object_id=None):
    rows = Alert.objects.filter(rule=rule)
    if object_id is not None:
        rows = rows.filter(object_id=object_id)
    return list(rows.order_by("fires_at").values_list("threshold", flat=True))


def coi_case(actor, reported_on=dt.date(2024, 12, 2), handler=None):
    return case_services.coi_case_create(
        actor=actor, reported_on=reported_on, handler=handler, description="Supplier owned by a relative"
    )


def test_schedules_and_default_thresholds():
    assert get_rule(COI).schedule == get_rule(ACTION).schedule == "daily"
    assert [t.code for t in get_rule(COI).thresholds] == ["overdue"]
    assert [t.code for t in get_rule(ACTION).thresholds] == ["d-7", "overdue"]


# -- conflict-of-interest analysis --------------------------------------------------------------------
def test_coi_analysis_overdue_fires_the_day_after_the_due_date_at_midnight(actor):
    case = coi_case(actor)  # reported 02/12/2024 + 60 days = Friday 31/01/2025 (a month end)
    assert case.analysis_due_on == dt.date(2025, 1, 31)
    assert sweep(midnight(2025, 2, 1) - MINUTE).created == 0
    assert sweep(midnight(2025, 2, 1)).created == 1
    alert = Alert.objects.get(rule=COI)
    assert (alert.threshold, alert.urgency, alert.immediate) == ("overdue", "overdue", True)
    assert alert.fires_at == midnight(2025, 2, 1) and alert.due_at == midnight(2025, 1, 31)
    assert case.reference in alert.title and "31/01/2025" in alert.title
    assert alert.admin_path == f"/admin/compliance/conflictofinterestcase/{case.pk}/change/"
    assert sweep(midnight(2025, 2, 2)).created == 0


def test_coi_recipients_are_compliance_and_the_handler_not_the_dpo(actor, roles):
    handler = UserFactory(username="analyste", email="analyste@example.org", groups=["Compliance officer"])
    coi_case(actor, handler=handler)
    sweep(midnight(2025, 2, 3))
    alert = Alert.objects.get(rule=COI)
    assert sorted(alert.deliveries.values_list("recipient", flat=True)) == [
        "analyste@example.org",
        "conformite@example.org",
    ]


def test_a_qualified_case_is_not_overdue_and_one_under_analysis_is(actor):
    qualified, analysed = coi_case(actor), coi_case(actor)
    case_services.coi_case_qualify(
        actor=actor, case=qualified, qualification="unfounded", qualified_on=dt.date(2025, 1, 15)
    )
    case_services.coi_case_start_analysis(actor=actor, case=analysed)
    sweep(midnight(2025, 3, 1))  # a missed month: one alert
    assert alerts(COI, qualified.pk) == []
    assert alerts(COI, analysed.pk) == ["overdue"]


# -- action items ----------------------------------------------------------------------------------------
def action(actor, due_on=dt.date(2025, 2, 28), owner=None, case=None):
    return case_services.action_item_create(
        actor=actor,
        title="Update the gift register",
        due_on=due_on,
        case=case or coi_case(actor, reported_on=dt.date(2025, 2, 1)),
        owner=owner,
    )


def test_action_item_fires_7_days_before_and_the_day_after_across_the_february_month_end(actor):
    item = action(actor)  # due Friday 28/02/2025: d-7 = 21/02, overdue = 01/03
    assert sweep(midnight(2025, 2, 21) - MINUTE).created == 0
    assert sweep(midnight(2025, 2, 21)).created == 1
    assert alerts(ACTION) == ["d-7"]
    assert sweep(midnight(2025, 3, 1) - MINUTE).created == 0
    assert sweep(midnight(2025, 3, 1)).created == 1
    assert alerts(ACTION) == ["d-7", "overdue"]
    d7, overdue = Alert.objects.get(rule=ACTION, threshold="d-7"), Alert.objects.get(rule=ACTION, threshold="overdue")
    assert not d7.immediate and d7.urgency == "soon"
    assert overdue.immediate and overdue.urgency == "overdue"
    assert "28/02/2025" in overdue.title and overdue.admin_path == f"/admin/compliance/actionitem/{item.pk}/change/"


def test_action_item_leap_year_month_end(actor):
    action(actor, due_on=dt.date(2024, 2, 29), case=coi_case(actor, reported_on=dt.date(2024, 1, 10)))
    assert sweep(midnight(2024, 3, 1) - MINUTE).created == 1  # the 29th is still "due today"
    assert alerts(ACTION) == ["d-7"]  # d-7 (22/02) was missed: caught up once, not overdue yet
    assert sweep(midnight(2024, 3, 1)).created == 1
    assert alerts(ACTION) == ["d-7", "overdue"]
    assert Alert.objects.get(rule=ACTION, threshold="overdue").fires_at == midnight(2024, 3, 1)


def test_action_item_recipients_are_compliance_and_the_owner(actor, roles):
    owner = UserFactory(username="owner", email="Owner@example.org", groups=["Compliance officer"])
    action(actor, owner=owner)
    sweep(midnight(2025, 2, 22))
    alert = Alert.objects.get(rule=ACTION)
    assert sorted(alert.deliveries.values_list("recipient", flat=True)) == [
        "conformite@example.org",
        "owner@example.org",
    ]


def test_a_done_action_stops_alerting(actor):
    done, open_ = action(actor), action(actor)
    sweep(midnight(2025, 2, 21))
    case_services.action_item_complete(actor=actor, item=done, done_on=dt.date(2025, 2, 25), evidence="Register v2")
    sweep(midnight(2025, 3, 5))
    assert alerts(ACTION, done.pk) == ["d-7"]
    assert alerts(ACTION, open_.pk) == ["d-7", "overdue"]


def test_a_missed_run_gives_one_alert_at_the_latest_threshold(actor):
    action(actor)
    assert sweep(midnight(2025, 3, 20)).created == 1
    assert alerts(ACTION) == ["overdue"]
    assert sweep(midnight(2025, 3, 21)).created == 0


def test_action_thresholds_are_settings(actor, settings):
    settings.VIGIE_ALERT_THRESHOLDS = {ACTION: [14, 7, -1]}
    action(actor)
    assert sweep(midnight(2025, 2, 14) - MINUTE).created == 0
    assert sweep(midnight(2025, 2, 14)).created == 1
    assert alerts(ACTION) == ["d-14"]
