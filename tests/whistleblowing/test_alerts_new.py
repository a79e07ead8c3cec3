"""The referents learn at once (review22d #1): a report sent on the public page is on their desk the moment it is
received ("received, not acknowledged yet", whatever its due date) and in an immediate email swept every hour;
so is each new message of the author and a meeting request when it is made (the meeting's due-day alert stays).
The emails carry the reference, never the content."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from notifications.jobs import rules_for, run_sweep
from notifications.models import Alert as LedgerAlert
from notifications.registry import get_rule
from notifications.sending import send_pending
from notifications.sweep import sweep
from reporting import desk
from tests.factories import UserFactory
from whistleblowing.models import Report
from whistleblowing.services import reports as services

PARIS = ZoneInfo("Europe/Paris")
NEW = "whistleblowing.received"
MESSAGE = "whistleblowing.author_message"
REQUESTED = "whistleblowing.meeting_requested"
MEETING = "whistleblowing.meeting"
FACTS = "Des faits graves au dépôt de Lyon"
BODY = "Je souhaite vous rencontrer vite, Mallory"

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("isolated_media")]


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=PARIS)


@pytest.fixture
def referent(roles, settings, tmp_path):
    settings.VIGIE_WHISTLEBLOWING_FILES_ROOT = tmp_path / "wb"
    UserFactory(username="rcci", email="rcci@example.org", groups=["Compliance officer"])
    UserFactory(username="admin", email="admin@example.org", is_superuser=True)
    return UserFactory(username="ref", email="ref@example.org", groups=["Référent alertes"])


def desk_keys(day: dt.date, now: dt.datetime, user) -> set[str]:
    moment = desk.Moment(day, now, user)
    items = dict(desk.desks())["whistleblowing"].items
    return {item.key for item in items if isinstance(item, desk.DeskItem) and item.records(moment).exists()}


def submit(now: dt.datetime) -> Report:
    with time_machine.travel(now, tick=False):
        report, _code, _passphrase = services.report_submit_public(category="harassment", facts=FACTS, anonymous=True)
    return Report.objects.get(pk=report.pk)


def hourly(now: dt.datetime):
    """The hourly tick: its sweep (the daily one already ran today), then the immediate emails."""
    with time_machine.travel(now, tick=False):
        run_sweep("daily", now.replace(hour=0, minute=15))
        ran, report = run_sweep("hourly", now)
        assert ran == "hourly"
        send_pending(now, digests=False)
    return report


def test_the_new_rules_are_immediate_hourly_and_for_the_referents_only():
    hourly_codes = {rule.code for rule in rules_for("hourly")}
    for code in (NEW, MESSAGE, REQUESTED):
        rule = get_rule(code)
        assert code in hourly_codes
        assert [(t.code, t.immediate) for t in rule.thresholds] == [("d-0", True)]
        assert rule.viewed_models() == ("whistleblowing.report", "whistleblowing.reportcontent")
        assert rule.group() == [] and rule.calendar is False
    assert MEETING not in hourly_codes  # the due-day alert stays a daily one


def test_a_web_report_received_on_a_friday_is_on_the_desk_and_emailed_that_day(referent):
    friday = dt.date(2025, 3, 7)  # acknowledgment due Tuesday 18 March
    report = submit(at(friday, 10))
    assert report.acknowledgment_due_on == dt.date(2025, 3, 18)
    assert desk_keys(friday, at(friday, 10, 1), referent) == {"wb_to_acknowledge"}
    hourly(at(friday, 11, 5))
    alert = LedgerAlert.objects.get(rule=NEW, object_id=report.pk)
    assert alert.immediate and alert.threshold == "d-0"
    assert sorted(alert.deliveries.values_list("recipient", flat=True)) == ["ref@example.org"]
    assert [message.to for message in mail.outbox] == [["ref@example.org"]]
    email = mail.outbox[0]
    assert report.reference in email.subject
    for text in (email.subject, email.body, alert.title, alert.explanation):
        assert FACTS not in text and "Lyon" not in text and "harassment" not in text.lower()
    # Sent once: the next ticks add nothing.
    hourly(at(friday, 12, 5))
    hourly(at(friday + dt.timedelta(days=1), 0, 20))
    assert LedgerAlert.objects.filter(rule=NEW).count() == 1 and len(mail.outbox) == 1


def test_the_new_report_alert_stops_once_acknowledged_and_is_for_web_reports_only(referent):
    monday = dt.date(2025, 3, 3)
    acknowledged = submit(at(monday, 9))
    with time_machine.travel(at(monday, 9, 30), tick=False):
        services.report_acknowledge(actor=referent, report=acknowledged, acknowledged_on=monday)
        recorded = services.report_record(
            actor=referent,
            received_at=at(monday, 9),
            channel="email",
            category="fraud",
            facts=FACTS,
            author_email="a@example.org",
        )
    hourly(at(monday, 10, 5))
    assert not LedgerAlert.objects.filter(rule=NEW).exists()
    # The recorded report (its referent knows it) is on the desk all the same; the acknowledged one no more.
    keys_of = {
        r.pk
        for item in dict(desk.desks())["whistleblowing"].items
        if item.key == "wb_to_acknowledge"
        for r in item.records(desk.Moment(monday, at(monday, 10), referent))
    }
    assert keys_of == {recorded.pk}


def test_an_old_report_is_not_new(referent):
    """A report past NEW_DAYS (a sweep down for a week, or the rule deployed on an old database) gets no "new
    report" email: its deadline alerts and the desk speak for it."""
    report = submit(at(dt.date(2025, 3, 3), 9))
    hourly(at(dt.date(2025, 3, 11), 10, 5))
    assert not LedgerAlert.objects.filter(rule=NEW, object_id=report.pk).exists()


def test_each_message_of_the_author_is_emailed_at_once_until_answered(referent):
    monday = dt.date(2025, 3, 3)
    report = submit(at(monday, 9))
    hourly(at(monday, 9, 5))
    mail.outbox.clear()
    with time_machine.travel(at(monday, 14), tick=False):
        services.message_from_author(report=report, body=BODY)
    hourly(at(monday, 14, 5))
    first = LedgerAlert.objects.get(rule=MESSAGE, object_id=report.pk)
    assert [m.to for m in mail.outbox] == [["ref@example.org"]]
    assert report.reference in mail.outbox[0].subject
    assert all(BODY not in text and "Mallory" not in text for text in (mail.outbox[0].subject, mail.outbox[0].body))
    hourly(at(monday, 15, 5))
    assert LedgerAlert.objects.filter(rule=MESSAGE).count() == 1
    # Answered, then the author writes again: a new alert for the new message.
    with time_machine.travel(at(monday, 16), tick=False):
        services.message_to_author(actor=referent, report=report, body="Bien reçu.")
    with time_machine.travel(at(dt.date(2025, 3, 4), 8), tick=False):
        services.message_from_author(report=report, body="Une précision")
    hourly(at(dt.date(2025, 3, 4), 8, 5))
    alerts = LedgerAlert.objects.filter(rule=MESSAGE, object_id=report.pk).order_by("pk")
    assert [a.pk for a in alerts][0] == first.pk and alerts.count() == 2
    # An author's message answered before the sweep raises nothing.
    with time_machine.travel(at(dt.date(2025, 3, 4), 9), tick=False):
        services.message_from_author(report=report, body="Encore une")
        services.message_to_author(actor=referent, report=report, body="Noté.")
    hourly(at(dt.date(2025, 3, 4), 9, 5))
    assert LedgerAlert.objects.filter(rule=MESSAGE).count() == 2


def test_a_meeting_request_is_emailed_when_made_and_again_on_its_due_day(referent):
    tuesday = dt.date(2025, 3, 4)
    report = submit(at(dt.date(2025, 3, 3), 10))
    with time_machine.travel(at(tuesday, 10), tick=False):
        services.report_request_meeting(report=report, requested_on=tuesday)
    report.refresh_from_db()
    assert report.meeting_due_on == dt.date(2025, 4, 1)
    hourly(at(tuesday, 10, 5))
    requested = LedgerAlert.objects.get(rule=REQUESTED, object_id=report.pk)
    assert requested.immediate and "ref@example.org" in requested.deliveries.values_list("recipient", flat=True)
    # The request's own message is not also a "new message".
    assert not LedgerAlert.objects.filter(rule=MESSAGE).exists()
    sweep(at(report.meeting_due_on, 0, 15))
    assert list(LedgerAlert.objects.filter(rule=MEETING).values_list("threshold", flat=True)) == ["d-0"]
    assert LedgerAlert.objects.filter(rule=REQUESTED).count() == 1
