"""The AML/CFT deadline rules (aml/alerts.py): the analysis target of a vigilance alert (3 days before, on the
day, overdue), the review of a screening hit (on the day, overdue), and the immediate email when a confirmed
hit opened an alert; to the LCB-FT role's members and AML_EMAILS only; the wording says the reference and the
kind of deadline, never a name, a list, an amount or a reason; no AML rule in a calendar feed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from aml.choices import AlertSource, AlertStatus, Decision, HitStatus
from notifications.calendar import calendar_rules
from notifications.jobs import rules_for
from notifications.models import Alert as LedgerAlert
from notifications.registry import get_rule
from notifications.sending import send_pending
from notifications.sweep import sweep
from tests.aml.factories import AlertFactory, CounterpartyFactory, HitFactory, ListEntryFactory, ScreeningListFactory
from tests.factories import UserFactory

PARIS = ZoneInfo("Europe/Paris")
ANALYSIS = "aml.alert.analysis"
REVIEW = "aml.hit.review"
CONFIRMED = "aml.alert.confirmed_hit"
MINUTE = dt.timedelta(minutes=1)
#: What an AML email must never say (no tipping off: mailboxes are delegated, relays are read by IT).
SECRETS = ("Zéphyrine", "OKSANA", "SECRET-LIST", "Listed Oksana", "123456", "123 456", "early repayment")

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def aml_emails(settings):
    settings.AML_EMAILS = ["lcbft@example.org"]
    settings.COMPLIANCE_EMAILS = ["conformite@example.org"]


@pytest.fixture
def officer(roles):
    return UserFactory(username="officer", email="officer@example.org", groups=["LCB-FT"])


def midnight(year, month, day):
    return dt.datetime(year, month, day, tzinfo=PARIS)


def thresholds(rule, object_id=None):
    rows = LedgerAlert.objects.filter(rule=rule)
    if object_id is not None:
        rows = rows.filter(object_id=object_id)
    return list(rows.order_by("fires_at").values_list("threshold", flat=True))


def secret_counterparty():
    return CounterpartyFactory(name="Zéphyrine OKSANA")


def alert_due(day: dt.date, **fields):
    raised = dt.datetime.combine(day - dt.timedelta(days=30), dt.time(10), tzinfo=PARIS)
    fields.setdefault("counterparty", secret_counterparty())
    return AlertFactory(
        raised_at=raised,
        analysis_due_on=day,
        amount_eur=Decimal("123456.00"),
        reason="Unusual early repayment by Zéphyrine OKSANA",
        **fields,
    )


def secret_hit(**fields):
    entry = ListEntryFactory(screening_list=ScreeningListFactory(code="SECRET-LIST"), name="Listed Oksana")
    return HitFactory(counterparty=secret_counterparty(), entry=entry, **fields)


def assert_says_nothing_secret(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text, (secret, text)


def test_the_rules_their_schedules_and_default_thresholds():
    analysis, review, confirmed = get_rule(ANALYSIS), get_rule(REVIEW), get_rule(CONFIRMED)
    assert [t.code for t in analysis.thresholds] == ["d-3", "d-0", "overdue"]
    assert [t.code for t in review.thresholds] == ["d-0", "overdue"]
    assert [(t.code, t.immediate) for t in confirmed.thresholds] == [("d-0", True)]
    assert (analysis.schedule, review.schedule, confirmed.schedule) == ("daily", "daily", "hourly")
    assert confirmed in rules_for("hourly") and analysis not in rules_for("hourly")
    for rule in (analysis, review, confirmed):
        assert rule.role() == "LCB-FT" and rule.group() == ["lcbft@example.org"]
        assert rule.calendar is False


def test_the_thresholds_follow_the_setting(settings):
    settings.VIGIE_ALERT_THRESHOLDS = {ANALYSIS: [10, -1]}
    assert [t.code for t in get_rule(ANALYSIS).thresholds] == ["d-10", "overdue"]


# -- the analysis target ------------------------------------------------------------------------------------
def test_an_open_alert_is_announced_3_days_before_on_the_day_and_overdue_at_paris_midnight(officer):
    alert = alert_due(dt.date(2025, 3, 31))
    assert sweep(midnight(2025, 3, 28) - MINUTE).created == 0
    assert sweep(midnight(2025, 3, 28)).created == 1
    assert sweep(midnight(2025, 3, 31)).created == 1
    assert sweep(midnight(2025, 4, 1) - MINUTE).created == 0
    assert sweep(midnight(2025, 4, 1)).created == 1
    assert thresholds(ANALYSIS, alert.pk) == ["d-3", "d-0", "overdue"]
    overdue = LedgerAlert.objects.get(rule=ANALYSIS, threshold="overdue")
    assert overdue.immediate and overdue.urgency == "overdue"
    assert alert.reference in overdue.title and "31/03/2025" in overdue.title
    assert overdue.admin_path == f"/admin/aml/alert/{alert.pk}/change/"
    assert_says_nothing_secret(overdue.title, overdue.explanation, overdue.object_label)


def test_a_missed_month_gives_one_alert_and_a_decided_alert_none(officer):
    late, decided = alert_due(dt.date(2025, 3, 31)), alert_due(dt.date(2025, 3, 31))
    decided.status, decided.decision, decided.decided_on = AlertStatus.DECIDED, Decision.CLOSED, dt.date(2025, 3, 2)
    decided.save()
    sweep(midnight(2025, 5, 1))
    assert thresholds(ANALYSIS, late.pk) == ["overdue"]
    assert thresholds(ANALYSIS, decided.pk) == []


def test_the_analysis_alert_goes_to_the_analyst_and_aml_emails_not_to_other_officers(roles):
    analyst = UserFactory(username="analyst", email="analyst@example.org", groups=["LCB-FT"])
    UserFactory(username="other", email="other-lcbft@example.org", groups=["LCB-FT"])
    UserFactory(username="rcci", email="rcci@example.org", groups=["Compliance officer"])
    UserFactory(username="dpo", email="dpo@example.org", groups=["DPO"])
    alert_due(dt.date(2025, 3, 31), analyst=analyst)
    sweep(midnight(2025, 4, 1))
    recipients = LedgerAlert.objects.get(rule=ANALYSIS).deliveries.values_list("recipient", flat=True)
    assert sorted(recipients) == ["analyst@example.org", "lcbft@example.org"]


def test_without_an_analyst_every_lcb_ft_member_gets_it_and_nobody_outside_the_role(roles):
    UserFactory(username="a", email="a@example.org", groups=["LCB-FT"])
    UserFactory(username="b", email="b@example.org", groups=["LCB-FT"])
    UserFactory(username="rcci", email="rcci@example.org", groups=["Compliance officer"])
    UserFactory(username="auditor", email="auditor@example.org", groups=["Auditor"])
    alert_due(dt.date(2025, 3, 31))
    sweep(midnight(2025, 4, 1))
    recipients = LedgerAlert.objects.get(rule=ANALYSIS).deliveries.values_list("recipient", flat=True)
    assert sorted(recipients) == ["a@example.org", "b@example.org", "lcbft@example.org"]


# -- the review of a hit -------------------------------------------------------------------------------------
def test_a_pending_hit_is_announced_on_its_review_day_and_overdue_and_a_reviewed_one_not(officer):
    pending = secret_hit(review_due_on=dt.date(2025, 3, 5))
    reviewed = secret_hit(
        review_due_on=dt.date(2025, 3, 5),
        status=HitStatus.FALSE_POSITIVE,
        reviewed_at=midnight(2025, 3, 4),
        review_reason="Different birth date",
    )
    assert sweep(midnight(2025, 3, 5) - MINUTE).created == 0
    assert sweep(midnight(2025, 3, 5)).created == 1
    assert sweep(midnight(2025, 3, 6)).created == 1
    assert thresholds(REVIEW, pending.pk) == ["d-0", "overdue"]
    assert thresholds(REVIEW, reviewed.pk) == []
    alert = LedgerAlert.objects.get(rule=REVIEW, threshold="overdue")
    assert str(pending.pk) in alert.title and "05/03/2025" in alert.title
    assert alert.admin_path == f"/admin/aml/hit/{pending.pk}/change/"
    assert_says_nothing_secret(alert.title, alert.explanation, alert.object_label)
    assert sorted(alert.deliveries.values_list("recipient", flat=True)) == ["lcbft@example.org", "officer@example.org"]


# -- the confirmed hit: at once --------------------------------------------------------------------------------
def test_an_alert_opened_by_a_confirmed_hit_is_emailed_at_once_by_the_hourly_sweep(officer, english_messages):
    raised = dt.datetime(2025, 3, 5, 14, 20, tzinfo=PARIS)
    hit = secret_hit(
        status=HitStatus.CONFIRMED, reviewed_at=raised, review_reason="Same person", review_due_on=dt.date(2025, 3, 7)
    )
    alert = AlertFactory(
        raised_at=raised,
        source=AlertSource.SCREENING,
        counterparty=hit.counterparty,
        hit=hit,
        reason="Confirmed match of Zéphyrine OKSANA on SECRET-LIST",
        analysis_due_on=dt.date(2025, 4, 4),
    )
    AlertFactory(raised_at=raised, analysis_due_on=dt.date(2025, 4, 4))  # raised by a loan: no immediate email
    now = raised + dt.timedelta(minutes=45)  # the next hourly sweep
    report = sweep(now, rules=rules_for("hourly"))
    assert report.by_rule() == {CONFIRMED: 1}
    ledger = LedgerAlert.objects.get(rule=CONFIRMED)
    assert (ledger.object_id, ledger.immediate, ledger.threshold) == (alert.pk, True, "d-0")
    assert sweep(now + dt.timedelta(hours=1), rules=rules_for("hourly")).created == 0
    send_pending(now, digests=False)
    assert sorted(to for message in mail.outbox for to in message.to) == ["lcbft@example.org", "officer@example.org"]
    for message in mail.outbox:
        assert alert.reference in message.subject
        html = message.alternatives[0][0] if message.alternatives else ""
        assert_says_nothing_secret(message.subject, message.body, str(html))


def test_a_decided_alert_of_a_confirmed_hit_is_not_emailed_again(officer):
    hit = secret_hit(status=HitStatus.CONFIRMED, reviewed_at=midnight(2025, 3, 5), review_reason="Same person")
    AlertFactory(
        raised_at=midnight(2025, 3, 5),
        source=AlertSource.SCREENING,
        hit=hit,
        analysis_due_on=dt.date(2025, 4, 4),
        status=AlertStatus.DECIDED,
        decision=Decision.CLOSED,
        decided_on=dt.date(2025, 3, 5),
    )
    assert sweep(midnight(2025, 3, 5) + dt.timedelta(hours=2), rules=rules_for("hourly")).created == 0


def test_no_aml_rule_feeds_a_calendar(officer):
    assert all(not rule.code.startswith("aml.") for rule in calendar_rules(officer))
