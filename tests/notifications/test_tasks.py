"""The Celery tasks of the alerts, their beat entries and `manage.py run_sweeps` (run in-process)."""

import datetime as dt
import smtplib
from io import StringIO

import pytest
import time_machine
from celery.schedules import crontab
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.core.management import call_command
from django.utils import timezone

from config.celery import _beat_schedule, app
from gdpr.services import rights as rights_services
from notifications import jobs, tasks
from notifications.models import Alert, DailyRun, Delivery
from notifications.registry import get_rules
from tests.factories import UserFactory

DEADLINE = "gdpr.rights_request.deadline"


@pytest.fixture(autouse=True)
def dpo_emails(settings):
    settings.DPO_EMAILS = ["dpo@example.org"]
    settings.COMPLIANCE_EMAILS = []
    settings.TRAINING_EMAILS = []


def overdue_request():
    actor = UserFactory(username="dpo-actor")
    return rights_services.rights_request_create(
        actor=actor, received_at=timezone.now() - dt.timedelta(days=70), right="access", requester_name="Jeanne Test"
    )


def test_the_beat_schedule_sweeps_hourly_daily_and_sends_the_digest_at_the_digest_hour(settings):
    schedule = _beat_schedule()
    hourly, daily = schedule["notifications-sweep-hourly"], schedule["notifications-sweep-daily"]
    assert hourly["task"] == daily["task"] == "notifications.tasks.sweep_and_send"
    assert hourly["kwargs"] == {"schedule": "hourly"} and daily["kwargs"] == {"schedule": "daily"}
    assert isinstance(hourly["schedule"], crontab) and hourly["schedule"].hour == set(range(24))
    assert daily["schedule"].hour == {0} and daily["schedule"].minute == {15}
    assert schedule["notifications-digests"]["schedule"].hour == {7}
    assert schedule["notifications-digests"]["task"] == "notifications.tasks.send_digests"
    assert schedule["notifications-immediate"]["task"] == "notifications.tasks.send_immediate"
    assert schedule["notifications-immediate"]["schedule"] <= 15 * 60
    settings.VIGIE_DIGEST_HOUR = 9
    assert _beat_schedule()["notifications-digests"]["schedule"].hour == {9}
    # crontab hours are read in the app's timezone: Paris.
    assert app.conf.timezone == "Europe/Paris"


def test_acks_late_only_on_the_idempotent_sweep_and_no_celery_retry_of_smtp_errors():
    assert tasks.sweep_and_send.acks_late is True
    assert tasks.send_digests.acks_late is False and tasks.send_immediate.acks_late is False
    # A retry seconds later would burn attempts against a server still down: each delivery has its own
    # retry time, and beat's next run sends what is due.
    for task in (tasks.sweep_and_send, tasks.send_digests, tasks.send_immediate):
        assert not getattr(task, "autoretry_for", ())


def test_the_hourly_sweep_runs_the_hourly_rules_and_the_daily_one_every_rule(monkeypatch):
    class Hourly:
        code, schedule = "x.hourly", "hourly"

    class Daily:
        code = "x.daily"

    class Monthly:
        code, schedule = "x.monthly", "monthly"

    monkeypatch.setattr(jobs, "get_rules", lambda: [Daily(), Hourly(), Monthly()])
    assert [r.code for r in jobs.rules_for("hourly")] == ["x.hourly"]
    assert [r.code for r in jobs.rules_for("daily")] == ["x.daily", "x.hourly", "x.monthly"]
    with pytest.raises(ValueError, match="unknown schedule"):
        jobs.rules_for("weekly")


@pytest.mark.django_db
def test_sweep_and_send_emails_an_overdue_request_once_however_many_runs():
    req = overdue_request()
    result = tasks.sweep_and_send.apply(kwargs={"schedule": "daily"}).get()
    assert result["created"] >= 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["dpo@example.org"]
    assert req.reference in mail.outbox[0].subject + mail.outbox[0].body
    tasks.sweep_and_send.apply(kwargs={"schedule": "daily"}).get()
    tasks.send_immediate.apply().get()
    assert len(mail.outbox) == 1
    assert Alert.objects.filter(rule=DEADLINE, threshold="overdue").count() == 1


@pytest.mark.django_db
def test_the_hourly_sweep_leaves_daily_rules_alone_once_the_day_was_swept():
    overdue_request()
    with time_machine.travel(timezone.now().replace(hour=10, minute=5), tick=False):
        DailyRun.objects.create(job="sweep", day=timezone.localdate(), done_at=timezone.now())
        tasks.sweep_and_send.apply(kwargs={"schedule": "hourly"}).get()
    assert not Alert.objects.filter(rule=DEADLINE).exists()


class RefusesOnce(EmailBackend):
    refused = 0

    def send_messages(self, messages):
        if RefusesOnce.refused == 0:
            RefusesOnce.refused += 1
            raise smtplib.SMTPResponseException(451, b"try later")
        return super().send_messages(messages)


@pytest.mark.django_db
def test_an_smtp_refusal_keeps_the_delivery_pending_then_the_run_after_its_wait_sends_it_once(settings):
    settings.EMAIL_BACKEND = "tests.notifications.test_tasks.RefusesOnce"
    RefusesOnce.refused = 0
    overdue_request()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        tasks.sweep_and_send.apply(kwargs={"schedule": "daily"}).get()
    assert RefusesOnce.refused == 1 and mail.outbox == []
    delivery = Delivery.objects.get(alert__rule=DEADLINE)
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert delivery.next_attempt_at == start + dt.timedelta(minutes=5)
    with time_machine.travel(start + dt.timedelta(minutes=4), tick=False):
        tasks.send_immediate.apply().get()
    assert mail.outbox == []  # it waits
    with time_machine.travel(start + dt.timedelta(minutes=5), tick=False):
        tasks.send_immediate.apply().get()
    assert len(mail.outbox) == 1
    delivery.refresh_from_db()
    assert delivery.status == "sent" and delivery.attempts == 2
    # The first attempt left it pending with the server's answer (history keeps each state).
    states = list(delivery.history.order_by("history_date", "history_id").values_list("status", "last_error"))
    assert any(status == "pending" and "451" in error for status, error in states)


@pytest.mark.django_db
def test_run_sweeps_dry_run_writes_and_sends_nothing():
    overdue_request()
    out = StringIO()
    call_command("run_sweeps", "--dry-run", stdout=out)
    assert f"{DEADLINE}: would create 1 alert(s)" in out.getvalue()
    assert all(rule.code in out.getvalue() for rule in get_rules())
    assert not Alert.objects.exists() and not mail.outbox


@pytest.mark.django_db
def test_run_sweeps_no_send_writes_the_ledger_only_then_a_plain_run_sends():
    overdue_request()
    out = StringIO()
    call_command("run_sweeps", "--no-send", stdout=out)
    assert f"{DEADLINE}: created 1 alert(s)" in out.getvalue()
    assert Alert.objects.filter(rule=DEADLINE).count() == 1 and not mail.outbox
    out = StringIO()
    call_command("run_sweeps", stdout=out)
    assert f"{DEADLINE}: created 0 alert(s)" in out.getvalue() and "sent:" in out.getvalue()
    assert len(mail.outbox) == 1
    call_command("run_sweeps", stdout=StringIO())
    assert len(mail.outbox) == 1
