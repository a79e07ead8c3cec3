"""The sweep's database pre-filter (sweep.not_alerted: a CASE over the thresholds' bounds and NOT EXISTS
in the ledger) keeps exactly what the Python reference keeps: every open record described, its most
advanced crossed threshold by `Rule.crossed`, minus the keys already in the ledger. Checked hour by hour
across both clock changes of 2025 and a month end, on day deadlines (rights requests, CNIL referrals)
and instant deadlines (breaches), with deadlines moved and records closed along the way."""

import datetime as dt
import random
from zoneinfo import ZoneInfo

import pytest
from django.contrib.contenttypes.models import ContentType

from gdpr.choices import CnilCaseKind, RequestStatus
from gdpr.models import Breach, RightsRequest
from notifications.models import Alert
from notifications.registry import bounds, get_rule
from notifications.sweep import not_alerted, plan, sweep
from tests.gdpr.factories import BreachFactory, CnilCaseFactory, RightsRequestFactory

PARIS = ZoneInfo("Europe/Paris")
RULES = (
    "gdpr.rights_request.deadline",
    "gdpr.rights_request.extension_decision",
    "gdpr.cnil_referral.deadline",
    "gdpr.breach.notification",
)
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def dpo_emails(settings):
    settings.DPO_EMAILS = ["dpo@example.org"]


def reference_keys(rule, now):
    """What the sweep must add: computed in Python from every open record and the whole ledger."""
    content_type = ContentType.objects.get_for_model(rule.model_class())
    ledger = set(
        Alert.objects.filter(content_type=content_type, rule=rule.code).values_list("object_id", "threshold", "due_at")
    )
    keys = set()
    for item in rule.describe(rule.records(now)):
        threshold = rule.crossed(item.due_at, now)
        if threshold is not None:
            key = (item.object_id, item.threshold_code(threshold), item.due_at)
            if key not in ledger:
                keys.add(key)
    return keys


def make_records(start: dt.date, rng: random.Random) -> None:
    for _ in range(40):
        applicable = start + dt.timedelta(days=rng.randint(-3, 20))
        extended = rng.random() < 0.2
        due_on = applicable - dt.timedelta(days=61) if extended else applicable
        received_at = dt.datetime.combine(due_on - dt.timedelta(days=30), dt.time(9), tzinfo=PARIS)
        RightsRequestFactory(
            received_at=received_at,
            status=RequestStatus.EXTENDED if extended else RequestStatus.RECEIVED,
            due_on=due_on,
            extended_due_on=applicable if extended else None,
            applicable_due_on=applicable,
            extension_notified_at=received_at + dt.timedelta(days=20) if extended else None,
            extension_reason="Complex request" if extended else "",
        )
        received = start + dt.timedelta(days=rng.randint(-12, 5))
        CnilCaseFactory(kind=CnilCaseKind.REFERRAL, received_on=received, due_on=received + dt.timedelta(days=10))
        BreachFactory(
            aware_at=dt.datetime.combine(start, dt.time(0), tzinfo=PARIS)
            + dt.timedelta(hours=rng.randint(-80, 200), minutes=rng.choice([0, 17, 59]))
        )


@pytest.mark.parametrize(
    "start",
    [dt.datetime(2025, 3, 27, 0, 30), dt.datetime(2025, 10, 23, 0, 30), dt.datetime(2025, 1, 28, 0, 30)],
    ids=["spring-dst", "autumn-dst", "month-end"],
)
def test_the_prefilter_keeps_what_the_python_reference_keeps(start):
    rng = random.Random(start.toordinal())
    start = start.replace(tzinfo=PARIS)
    make_records(start.date(), rng)
    now = start
    checked = 0
    for step in range(60):  # every 3 hours 20 minutes, over 8 days
        now = start + dt.timedelta(minutes=200 * step)
        for code in RULES:
            rule = get_rule(code)
            assert {p.key for p in plan(rule, now)} == reference_keys(rule, now), (code, now)
            checked += 1
        if step % 7 == 3:  # move some deadlines, close some records, between two sweeps
            for req in RightsRequest.objects.order_by("?")[:3]:
                req.applicable_due_on += dt.timedelta(days=rng.randint(1, 10))
                req.save()
            Breach.objects.filter(pk__in=Breach.objects.order_by("?").values("pk")[:2]).update(closed_at=now)
        if step % 3 != 2:  # some runs are missed: the next one catches up
            sweep(now)
    assert checked == 60 * len(RULES)
    assert Alert.objects.filter(rule="gdpr.breach.notification").exists()
    assert Alert.objects.filter(rule="gdpr.rights_request.deadline", threshold="overdue").exists()


def test_the_case_picks_the_most_advanced_crossed_threshold():
    rule = get_rule("gdpr.rights_request.deadline")
    now = dt.datetime(2025, 3, 30, 3, 30, tzinfo=PARIS)  # just after the spring clock change
    limits = sorted(bounds(rule.thresholds, now, by_day=True), key=lambda b: b[1])
    assert [(b[1], b[2].code) for b in limits] == [
        (dt.date(2025, 3, 29), "overdue"),
        (dt.date(2025, 3, 31), "d-1"),
        (dt.date(2025, 4, 2), "d-3"),
        (dt.date(2025, 4, 6), "d-7"),
    ]


def test_a_record_alerted_at_its_threshold_is_not_read_again():
    rule = get_rule("gdpr.breach.notification")
    breach = BreachFactory(aware_at=dt.datetime(2025, 3, 10, 10, 0, tzinfo=PARIS))
    now = breach.aware_at + dt.timedelta(hours=30)
    assert list(not_alerted(rule, now).values_list("pk", flat=True)) == [breach.pk]
    sweep(now)
    assert not not_alerted(rule, now).exists()
    later = breach.aware_at + dt.timedelta(hours=48)
    assert list(not_alerted(rule, later).values_list("pk", flat=True)) == [breach.pk]


def test_exact_hours_are_counted_in_utc_across_the_clock_change():
    # 48 hours after 28/03 09:50 Paris is 30/03 10:50 Paris (07:50 UTC + 1 h of summer time), not 09:50.
    now = dt.datetime(2025, 3, 28, 9, 50, tzinfo=PARIS)
    rule = get_rule("gdpr.breach.notification")
    by_code = {t.code: bound for _, bound, t in bounds(rule.thresholds, now, by_day=False)}
    assert by_code["h+24"] == dt.datetime(2025, 3, 30, 10, 50, tzinfo=PARIS)
    breach = BreachFactory(aware_at=dt.datetime(2025, 3, 27, 9, 59, tzinfo=PARIS))  # due 30/03 10:59 Paris
    assert breach.notification_due_at == dt.datetime(2025, 3, 30, 10, 59, tzinfo=PARIS)
    assert not not_alerted(rule, now).exists()  # 23 h 51 min since awareness
    assert list(not_alerted(rule, now + dt.timedelta(minutes=9)).values_list("pk", flat=True)) == [breach.pk]
