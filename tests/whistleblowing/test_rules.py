"""The whistleblowing deadline rules (whistleblowing/alerts.py): acknowledgment (2 days before, on the day,
overdue), feedback (15 and 7 days before, overdue), meeting (on the day, overdue); to the referents only
(with the per-entity setting: the entity's assigned referents first), superusers included among those left
out; the wording carries the reference and the deadline, never the author or the content."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from notifications.models import Alert as LedgerAlert
from notifications.registry import get_rule
from notifications.sending import send_pending
from notifications.sweep import sweep
from organization.models import LegalEntity
from tests.factories import UserFactory
from tests.whistleblowing.factories import MessageFactory, ReportContentFactory, ReportFactory
from whistleblowing.choices import Status
from whistleblowing.models import ReferentAssignment

PARIS = ZoneInfo("Europe/Paris")
ACK = "whistleblowing.acknowledgment"
FEEDBACK = "whistleblowing.feedback"
MEETING = "whistleblowing.meeting"
MINUTE = dt.timedelta(minutes=1)
REFERENT = "Référent alertes"
#: What no alert, title or email may carry: the markers of the sealed content.
SECRETS = ("Mallory", "mallory@", "0611223344", "Kickbacks", "Victor Concerned", "Secret reply", "Lyon depot")

pytestmark = pytest.mark.django_db


def midnight(year, month, day):
    return dt.datetime(year, month, day, tzinfo=PARIS)


def thresholds(rule, object_id=None):
    rows = LedgerAlert.objects.filter(rule=rule)
    if object_id is not None:
        rows = rows.filter(object_id=object_id)
    return list(rows.order_by("fires_at").values_list("threshold", flat=True))


def recipients(rule):
    return sorted(LedgerAlert.objects.get(rule=rule).deliveries.values_list("recipient", flat=True))


def secret_report(entity=None, **fields):
    report = ReportFactory(received_at=midnight(2025, 2, 3) + dt.timedelta(hours=10), **fields)
    ReportContentFactory(
        report=report,
        author_name="Mallory Whistle",
        author_email="mallory@example.org",
        author_phone="0611223344",
        facts="Kickbacks paid at the Lyon depot",
        persons_concerned="Victor Concerned",
        entity=entity,
    )
    MessageFactory(report=report, body="Secret reply from the author")
    return report


def assert_says_nothing_secret(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text, (secret, text)


@pytest.fixture
def people(roles):
    """A referent, and everyone who must not get whistleblowing alerts (a superuser among them)."""
    UserFactory(username="ref", email="ref@example.org", groups=[REFERENT])
    UserFactory(username="admin", email="admin@example.org", is_superuser=True)
    UserFactory(username="rcci", email="rcci@example.org", groups=["Compliance officer"])
    UserFactory(username="auditor", email="auditor@example.org", groups=["Auditor"])
    UserFactory(username="dpo", email="dpo@example.org", groups=["DPO"])


def test_the_rules_and_their_default_thresholds(settings):
    settings.COMPLIANCE_EMAILS = ["conformite@example.org"]
    ack, feedback, meeting = get_rule(ACK), get_rule(FEEDBACK), get_rule(MEETING)
    assert [t.code for t in ack.thresholds] == ["d-2", "d-0", "overdue"]
    assert [t.code for t in feedback.thresholds] == ["d-15", "d-7", "overdue"]
    assert [t.code for t in meeting.thresholds] == ["d-0", "overdue"]
    for rule in (ack, feedback, meeting):
        assert rule.role() == REFERENT
        assert rule.group() == []  # no settings list: an operator's mailbox is not a referent
        assert rule.calendar is False
        assert rule.viewed_models() == ("whistleblowing.report", "whistleblowing.reportcontent")


def test_acknowledgment_two_days_before_on_the_day_and_overdue(people):
    report = secret_report(acknowledgment_due_on=dt.date(2025, 2, 12))
    assert sweep(midnight(2025, 2, 10) - MINUTE).created == 0
    assert sweep(midnight(2025, 2, 10)).created == 1
    assert sweep(midnight(2025, 2, 11)).created == 0
    assert sweep(midnight(2025, 2, 12)).created == 1
    assert sweep(midnight(2025, 2, 13) - MINUTE).created == 0
    assert sweep(midnight(2025, 2, 13)).created == 1
    assert thresholds(ACK, report.pk) == ["d-2", "d-0", "overdue"]
    overdue = LedgerAlert.objects.get(rule=ACK, threshold="overdue")
    assert overdue.urgency == "overdue" and overdue.immediate
    assert report.reference in overdue.title and "12/02/2025" in overdue.title
    assert overdue.admin_path == f"/admin/whistleblowing/report/{report.pk}/change/"
    assert_says_nothing_secret(overdue.title, overdue.explanation, overdue.object_label)


def test_an_acknowledged_or_closed_report_gets_no_acknowledgment_alert(people):
    acknowledged = secret_report(acknowledgment_due_on=dt.date(2025, 2, 12), acknowledged_on=dt.date(2025, 2, 5))
    closed = secret_report(
        acknowledgment_due_on=dt.date(2025, 2, 12), status=Status.CLOSED, closed_on=dt.date(2025, 2, 6)
    )
    none_due = secret_report()  # anonymous without any means of contact: no deadline
    sweep(midnight(2025, 3, 1))
    assert thresholds(ACK, acknowledged.pk) == thresholds(ACK, closed.pk) == thresholds(ACK, none_due.pk) == []


def test_feedback_fifteen_and_seven_days_before_and_overdue(people):
    report = secret_report(
        acknowledgment_due_on=dt.date(2025, 2, 12),
        acknowledged_on=dt.date(2025, 2, 4),
        status=Status.ACKNOWLEDGED,
        feedback_due_on=dt.date(2025, 5, 4),
    )
    assert sweep(midnight(2025, 4, 19) - MINUTE).created == 0
    assert sweep(midnight(2025, 4, 19)).created == 1
    assert sweep(midnight(2025, 4, 26) - MINUTE).created == 0
    assert sweep(midnight(2025, 4, 27)).created == 1
    assert sweep(midnight(2025, 5, 4)).created == 0
    assert sweep(midnight(2025, 5, 5)).created == 1
    assert thresholds(FEEDBACK, report.pk) == ["d-15", "d-7", "overdue"]
    given = secret_report(feedback_due_on=dt.date(2025, 5, 4), feedback_on=dt.date(2025, 4, 1))
    sweep(midnight(2025, 5, 10))
    assert thresholds(FEEDBACK, given.pk) == []


def test_meeting_on_its_due_day_and_overdue(people):
    report = secret_report(meeting_requested_on=dt.date(2025, 3, 3), meeting_due_on=dt.date(2025, 3, 31))
    held = secret_report(
        meeting_requested_on=dt.date(2025, 3, 3),
        meeting_due_on=dt.date(2025, 3, 31),
        meeting_held_on=dt.date(2025, 3, 20),
    )
    assert sweep(midnight(2025, 3, 31) - MINUTE).created == 0
    assert sweep(midnight(2025, 3, 31)).created == 1
    assert sweep(midnight(2025, 4, 1)).created == 1
    assert thresholds(MEETING, report.pk) == ["d-0", "overdue"]
    assert thresholds(MEETING, held.pk) == []


def test_only_the_referents_get_the_alerts_and_the_emails_say_nothing_of_the_content(people):
    report = secret_report(acknowledgment_due_on=dt.date(2025, 2, 12))
    now = midnight(2025, 2, 13)
    sweep(now)
    # Not the superuser, not the compliance officer or the auditor who view the report's public part.
    assert recipients(ACK) == ["ref@example.org"]
    send_pending(now, digests=True)
    assert [message.to for message in mail.outbox] == [["ref@example.org"]]
    for message in mail.outbox:
        assert report.reference in message.subject or report.reference in message.body
        html = message.alternatives[0][0] if message.alternatives else ""
        assert_says_nothing_secret(message.subject, message.body, str(html))


def test_who_sees_the_alerts_in_the_ledger(people):
    from django.contrib.auth import get_user_model

    users = {user.username: user for user in get_user_model().objects.all()}
    rule = get_rule(ACK)
    assert rule.visible_to(users["ref"])
    for name in ("admin", "rcci", "auditor", "dpo"):
        assert not rule.visible_to(users[name]), name


def test_without_any_referent_the_alert_has_no_recipient_rather_than_someone_else(roles):
    UserFactory(username="admin", email="admin@example.org", is_superuser=True)
    UserFactory(username="rcci", email="rcci@example.org", groups=["Compliance officer"])
    secret_report(acknowledgment_due_on=dt.date(2025, 2, 12))
    sweep(midnight(2025, 2, 13))
    assert recipients(ACK) == []


def test_per_entity_the_assigned_referents_and_only_who_may_read_the_report(roles, settings):
    settings.VIGIE_WHISTLEBLOWING_REFERENTS_PER_ENTITY = True
    lyon = LegalEntity.objects.create(code="LYO", name="Lyon")
    paris = LegalEntity.objects.create(code="PAR", name="Paris")
    assigned = UserFactory(username="ref-lyon", email="ref-lyon@example.org", groups=[REFERENT])
    UserFactory(username="ref-other", email="ref-other@example.org", groups=[REFERENT])
    ReferentAssignment.objects.create(user=assigned, entity=lyon)
    in_lyon = secret_report(entity=lyon, acknowledgment_due_on=dt.date(2025, 2, 12))
    in_paris = secret_report(entity=paris, acknowledgment_due_on=dt.date(2025, 2, 12))
    no_entity = secret_report(acknowledgment_due_on=dt.date(2025, 2, 12))
    sweep(midnight(2025, 2, 13))

    def to(report):
        alert = LedgerAlert.objects.get(rule=ACK, object_id=report.pk)
        return sorted(alert.deliveries.values_list("recipient", flat=True))

    assert to(in_lyon) == ["ref-lyon@example.org"]
    # Without entity, or in an entity no referent staffs yet, every referent reads the report and gets its alert
    # (whistleblowing/selectors.py `staffed_entities`: no report is left without a referent).
    assert to(no_entity) == ["ref-lyon@example.org", "ref-other@example.org"]
    assert to(in_paris) == ["ref-lyon@example.org", "ref-other@example.org"]
    assert not LedgerAlert.objects.get(rule=ACK, object_id=in_paris.pk).unaddressed


def test_without_the_per_entity_setting_every_referent_gets_every_alert(roles, settings):
    settings.VIGIE_WHISTLEBLOWING_REFERENTS_PER_ENTITY = False
    lyon = LegalEntity.objects.create(code="LYO", name="Lyon")
    assigned = UserFactory(username="ref-lyon", email="ref-lyon@example.org", groups=[REFERENT])
    UserFactory(username="ref-other", email="ref-other@example.org", groups=[REFERENT])
    ReferentAssignment.objects.create(user=assigned, entity=lyon)
    secret_report(entity=lyon, acknowledgment_due_on=dt.date(2025, 2, 12))
    sweep(midnight(2025, 2, 13))
    assert recipients(ACK) == ["ref-lyon@example.org", "ref-other@example.org"]
