"""Personal-data retention: the VIGIE_RETENTION setting and its system check, the `anonymise_expired`
command, the daily task and its beat entry, the admin of the run records."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from dateutil.relativedelta import relativedelta
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone
from hypothesis import given, strategies as st

from config.celery import _beat_schedule
from core import retention, tasks
from core.models import RetentionRun
from gdpr.models import RightsRequest
from tests.clients import admin_client, messages_of
from tests.gdpr.factories import RightsRequestFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_messages")]

PARIS = timezone.get_default_timezone()


def answered(reference: str, day: dt.date, name: str = "Zqrequester") -> RightsRequest:
    return RightsRequestFactory(
        reference=reference,
        received_at=dt.datetime(day.year, day.month, 1, 9, tzinfo=PARIS),
        answered_at=dt.datetime(day.year, day.month, day.day, 10, tzinfo=PARIS),
        outcome="granted",
        status="answered",
        requester_name=name,
    )


# --- the setting ------------------------------------------------------------------------------------------------


def test_a_missing_key_takes_its_default_and_a_configured_one_its_value(settings):
    settings.VIGIE_RETENTION = {"gdpr.rights_request": {"years": 6, "months": 1}, "gdpr.breach": None}
    periods = retention.periods()
    assert periods["gdpr.rights_request"] == retention.Period(years=6, months=1)
    assert periods["gdpr.breach"] is None  # disabled
    assert periods["compliance.coi_case"] == retention.policies()["compliance.coi_case"].default
    assert set(periods) == set(retention.policies())


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"gdpr.rights_requests": {"years": 5}}, "unknown record type 'gdpr.rights_requests'"),
        ({"gdpr.rights_request": {"year": 5}}, "unknown unit 'year'"),
        ({"gdpr.rights_request": {"years": -1}}, "'years' must be a whole number of 0 or more, not -1"),
        ({"gdpr.rights_request": {"years": "5"}}, "'years' must be a whole number of 0 or more, not '5'"),
        ({"gdpr.rights_request": {"years": True}}, "not True"),
        ({"gdpr.rights_request": 5}, "expected a dict of years, months, days"),
        ({"gdpr.rights_request": {}}, "expected a dict"),
        (["gdpr.rights_request"], "must be a dict"),
    ],
)
def test_a_bad_setting_is_refused_saying_what_and_where(settings, value, message):
    settings.VIGIE_RETENTION = value
    with pytest.raises(ImproperlyConfigured, match="VIGIE_RETENTION") as raised:
        retention.periods()
    assert message in str(raised.value)
    with pytest.raises(ImproperlyConfigured):
        retention.run(today=dt.date(2030, 1, 1))
    assert not RetentionRun.objects.exists()  # refused before anything is written
    errors = retention.check_retention()
    assert [e.id for e in errors] == ["core.E301"] and message in errors[0].msg
    with pytest.raises(CommandError, match="VIGIE_RETENTION"):
        call_command("anonymise_expired", "--dry-run", stdout=io.StringIO())


def test_the_system_check_passes_with_the_shipped_settings_and_reports_a_broken_declaration(monkeypatch):
    assert retention.check_retention() == []
    broken = retention.Policy(
        code="test.broken",
        model="gdpr.rightsrequest",
        label="broken",
        start=("answered_at", "received_on"),
        start_label="x",
        default=retention.Period(days=1),
        basis="",
        fields={"no_such_field": ""},
    )
    problems = retention.policy_problems(broken)
    assert any("has no field 'no_such_field'" in p for p in problems)
    assert any("has no field 'received_on'" in p for p in problems)
    mixed = retention.Policy(
        code="test.mixed",
        model="gdpr.cnilcase",
        label="mixed",
        start=("received_on",),
        start_label="x",
        default=retention.Period(days=1),
        basis="",
        fields={"rights_request": None, "subject": retention.REDACT},
    )
    assert retention.policy_problems(mixed) == []
    not_null = retention.Policy(
        code="test.null",
        model="gdpr.cnilcase",
        label="null",
        start=("received_on", "due_on"),
        start_label="x",
        default=retention.Period(days=1),
        basis="",
        fields={"kind": None},
    )
    assert retention.policy_problems(not_null) == ["retention policy test.null: gdpr.CnilCase.kind cannot be None"]


def test_a_disabled_record_type_is_reported_and_left_alone(settings):
    settings.VIGIE_RETENTION = {"gdpr.rights_request": None}
    request = answered("DSR-DISABLED", dt.date(2015, 3, 2))
    run = retention.run(today=dt.date(2030, 1, 1), only=["gdpr.rights_request"])
    assert run.report[0]["disabled"] and run.report[0]["count"] == 0
    request.refresh_from_db()
    assert request.requester_name == "Zqrequester" and request.anonymised_on is None


def test_a_period_in_months_is_counted_in_calendar_months(settings):
    settings.VIGIE_RETENTION = {"gdpr.rights_request": {"months": 1}}
    answered("DSR-JAN31", dt.date(2024, 1, 31))
    policy, period = retention.policies()["gdpr.rights_request"], retention.periods()["gdpr.rights_request"]
    # One month after 31/01/2024 is 29/02 (clamped to the month's end): the request goes on that day, as one
    # answered on 15/01 goes on 15/02 (not on 01/03, which counting back one month from 29/02 would say).
    assert not retention.expired(policy, period, dt.date(2024, 2, 28)).exists()
    assert retention.expired(policy, period, dt.date(2024, 2, 29)).exists()


# --- the command --------------------------------------------------------------------------------------------------


def test_the_command_reports_period_cut_off_count_and_references_and_a_dry_run_changes_nothing():
    for i in range(12):
        answered(f"DSR-OLD-{i:02d}", dt.date(2019, 3, 1 + i))
    answered("DSR-RECENT", dt.date(2024, 3, 1))
    out = io.StringIO()
    call_command("anonymise_expired", "--dry-run", "--today", "2025-06-15", "--only", "gdpr.rights_request", stdout=out)
    text = out.getvalue()
    assert "dry run (nothing anonymised), reference day 2025-06-15" in text
    assert (
        "- gdpr.rights_request (rights requests): 5 years after closure (or the answer), cut-off 2020-06-15: "
        "12 records to anonymise (DSR-OLD-00, DSR-OLD-01"
    ) in text
    assert "DSR-OLD-09, and 2 more)" in text and "DSR-RECENT" not in text
    assert "Total: 12 records to anonymise" in text and "organization.employee" not in text
    assert RightsRequest.objects.filter(anonymised_on__isnull=False).count() == 0
    assert RetentionRun.objects.get().dry_run

    out = io.StringIO()
    call_command("anonymise_expired", "--today", "2025-06-15", "--all-references", stdout=out)
    text = out.getvalue()
    assert "12 records anonymised (DSR-OLD-00" in text and "DSR-OLD-11)" in text
    assert "- organization.employee (employees who left): 5 years after the last day of contract" in text
    assert "Total: 12 records anonymised" in text
    assert RightsRequest.objects.filter(anonymised_on__isnull=False).count() == 12
    assert RightsRequest.objects.get(reference="DSR-RECENT").requester_name == "Zqrequester"
    run = RetentionRun.objects.filter(dry_run=False).get()
    assert run.trigger == RetentionRun.Trigger.COMMAND and run.anonymised == 12


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--today", "15/06/2025"], "expected a date as YYYY-MM-DD"),
        (["--only", "gdpr.nothing"], "Unknown record type gdpr.nothing"),
        (["--today", "2999-01-01"], "is in the future: only a --dry-run may look ahead"),
    ],
)
def test_the_command_refuses_bad_arguments(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("anonymise_expired", *args, stdout=io.StringIO())
    assert not RetentionRun.objects.exists()


def test_a_dry_run_may_look_ahead():
    answered("DSR-SOON", dt.date(2024, 3, 1))
    out = io.StringIO()
    call_command("anonymise_expired", "--dry-run", "--today", "2999-01-01", "--only", "gdpr.rights_request", stdout=out)
    assert "1 record to anonymise (DSR-SOON)" in out.getvalue()


# --- the task -----------------------------------------------------------------------------------------------------


def test_the_daily_task_anonymises_what_is_due_today_and_is_scheduled_at_night():
    answered("DSR-TASK", dt.date(2019, 3, 1))
    with time_machine.travel(dt.datetime(2024, 3, 1, 3, 15, tzinfo=PARIS), tick=False):
        assert tasks.anonymise_expired() == {"run": RetentionRun.objects.get().pk, "anonymised": 1}
    run = RetentionRun.objects.get()
    assert (run.reference_day, run.trigger, run.dry_run) == (dt.date(2024, 3, 1), "task", False)
    assert RightsRequest.objects.get(reference="DSR-TASK").anonymised_on == dt.date(2024, 3, 1)
    assert tasks.anonymise_expired.acks_late
    entry = _beat_schedule()["retention-anonymise-daily"]
    assert entry["task"] == tasks.anonymise_expired.name == "core.tasks.anonymise_expired"
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({3}, {15})


def test_the_day_before_the_task_finds_nothing():
    answered("DSR-TASK", dt.date(2019, 3, 1))
    with time_machine.travel(dt.datetime(2024, 2, 29, 3, 15, tzinfo=PARIS), tick=False):
        assert tasks.anonymise_expired()["anonymised"] == 0


# --- the admin ----------------------------------------------------------------------------------------------------


def test_an_auditor_reads_the_runs_and_cannot_preview_add_change_or_delete(roles):
    answered("DSR-OLD", dt.date(2019, 3, 1))
    run = retention.run(today=dt.date(2025, 6, 15), only=["gdpr.rights_request"])
    client = admin_client("Auditor", language="en")
    listing = client.get(reverse("admin:core_retentionrun_changelist"))
    assert listing.status_code == 200 and "Preview what is due" not in listing.content.decode()
    page = client.get(reverse("admin:core_retentionrun_change", args=[run.pk]))
    body = page.content.decode()
    assert page.status_code == 200 and "DSR-OLD" in body and "cut-off 2020-06-15" in body
    assert 'name="_save"' not in body and "deletelink" not in body
    assert client.post(reverse("admin:core_retentionrun_preview")).status_code == 403
    assert client.get(reverse("admin:core_retentionrun_add")).status_code == 403
    assert client.post(reverse("admin:core_retentionrun_delete", args=[run.pk])).status_code == 403
    assert RetentionRun.objects.count() == 1
    found = client.get(reverse("admin:core_retentionrun_changelist"), {"q": "DSR-OLD"})
    assert found.status_code == 200 and f"/{run.pk}/change/" in found.content.decode()


@pytest.mark.parametrize("group", ["DPO", "Compliance officer"])
def test_the_dpo_and_compliance_officers_preview_what_is_due_without_changing_it(roles, group):
    answered("DSR-DUE", dt.date(2019, 3, 1))
    client = admin_client(group, language="en")
    assert "Preview what is due" in client.get(reverse("admin:core_retentionrun_changelist")).content.decode()
    assert client.get(reverse("admin:core_retentionrun_preview")).status_code == 405
    response = client.post(reverse("admin:core_retentionrun_preview"))
    run = RetentionRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "admin:core_retentionrun_change", args=[run.pk]
    )
    assert run.dry_run and run.trigger == "admin" and run.user is not None
    assert "Dry run: 1 record would be anonymised now; nothing was changed." in messages_of(response)
    assert RightsRequest.objects.get(reference="DSR-DUE").anonymised_on is None
    assert "DSR-DUE" in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize(
    ("today", "period", "cutoff"),
    [
        # Two months after 29, 30 and 31 December is 28 February (clamped): all three go on 28 February.
        (dt.date(2027, 2, 28), retention.Period(months=2), dt.date(2026, 12, 31)),
        (dt.date(2027, 2, 27), retention.Period(months=2), dt.date(2026, 12, 27)),
        (dt.date(2027, 3, 1), retention.Period(months=2), dt.date(2027, 1, 1)),
        # A leap year: 29 February is the end of 29, 30 and 31 December.
        (dt.date(2028, 2, 29), retention.Period(months=2), dt.date(2027, 12, 31)),
        (dt.date(2026, 9, 30), retention.Period(months=2), dt.date(2026, 7, 31)),
        # Five years after 29 February 2024 is 28 February 2029.
        (dt.date(2029, 2, 28), retention.Period(years=5), dt.date(2024, 2, 29)),
        (dt.date(2026, 6, 15), retention.Period(), dt.date(2026, 6, 15)),
        (dt.date(2026, 6, 15), retention.Period(days=30), dt.date(2026, 5, 16)),
    ],
)
def test_a_record_expires_on_the_day_its_period_ends_even_at_a_month_s_end(today, period, cutoff):
    assert period.cutoff(today) == cutoff


@given(start=st.dates(dt.date(2000, 1, 1), dt.date(2090, 12, 31)), years=st.integers(0, 6), months=st.integers(0, 13))
def test_the_cutoff_is_the_last_start_whose_period_has_ended(start, years, months):
    period = retention.Period(years=years, months=months)
    end = start + relativedelta(years=years, months=months)
    assert start <= period.cutoff(end)
    assert start > period.cutoff(end - dt.timedelta(days=1))
