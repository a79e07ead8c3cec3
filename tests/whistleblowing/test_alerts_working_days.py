"""The acknowledgment's warning "2 days before" counts working days on the clock's calendar (review22d #4): a
Monday due day warns on the Thursday before (not on the Saturday, read on the due day with the "due today"
alert); a public holiday in between moves it further back. On the due day and overdue: calendar days."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from gdpr.deadlines import is_working_day
from notifications.models import Alert as LedgerAlert
from notifications.sweep import sweep
from tests.factories import UserFactory
from tests.whistleblowing.factories import ReportContentFactory, ReportFactory
from whistleblowing.alerts import AcknowledgmentDue
from whistleblowing.deadlines import acknowledgment_deadline

PARIS = ZoneInfo("Europe/Paris")
ACK = "whistleblowing.acknowledgment"

pytestmark = pytest.mark.django_db


def at(day: dt.date, hour: int = 0, minute: int = 15) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=PARIS)


@pytest.fixture
def referent(roles):
    return UserFactory(username="ref", email="ref@example.org", groups=["Référent alertes"])


def fired_days(report, first: dt.date, last: dt.date) -> dict[str, dt.date]:
    """The daily sweep (00:15 Paris) each day from first to last: the day each threshold was written."""
    seen: dict[str, dt.date] = {}
    day = first
    while day <= last:
        sweep(at(day))
        for code in LedgerAlert.objects.filter(rule=ACK, object_id=report.pk).values_list("threshold", flat=True):
            seen.setdefault(code, day)
        day += dt.timedelta(days=1)
    return seen


def report_due(received: dt.datetime):
    report = ReportFactory(received_at=received, acknowledgment_due_on=acknowledgment_deadline(received).due_on)
    ReportContentFactory(report=report)
    return report


def test_a_monday_due_day_warns_on_the_thursday_before(referent):
    report = report_due(dt.datetime(2025, 2, 6, 10, tzinfo=PARIS))  # a Thursday: due Monday 17 Feb
    assert report.acknowledgment_due_on == dt.date(2025, 2, 17)
    seen = fired_days(report, dt.date(2025, 2, 7), dt.date(2025, 2, 19))
    assert seen == {"d-2": dt.date(2025, 2, 13), "d-0": dt.date(2025, 2, 17), "overdue": dt.date(2025, 2, 18)}
    warning = LedgerAlert.objects.get(rule=ACK, object_id=report.pk, threshold="d-2")
    assert warning.fires_at == at(dt.date(2025, 2, 13), 0, 0)  # the ledger says when it fired, Thursday


def test_a_holiday_in_between_moves_the_warning_further_back(referent):
    # Due Tuesday 22 April 2025 (Easter Monday 21 off): the 2nd working day before is Thursday 17 April.
    report = ReportFactory(
        received_at=dt.datetime(2025, 4, 10, 10, tzinfo=PARIS), acknowledgment_due_on=dt.date(2025, 4, 22)
    )
    ReportContentFactory(report=report)
    seen = fired_days(report, dt.date(2025, 4, 14), dt.date(2025, 4, 23))
    assert seen["d-2"] == dt.date(2025, 4, 17) and seen["d-0"] == dt.date(2025, 4, 22)


def test_a_midweek_due_day_keeps_its_two_days(referent):
    report = ReportFactory(
        received_at=dt.datetime(2025, 2, 3, 10, tzinfo=PARIS), acknowledgment_due_on=dt.date(2025, 2, 12)
    )
    ReportContentFactory(report=report)
    assert sweep(at(dt.date(2025, 2, 9))).created == 0  # Sunday
    assert sweep(at(dt.date(2025, 2, 10), 0, 0)).created == 1  # Monday: Wednesday − 2 working days
    assert sweep(at(dt.date(2025, 2, 11))).created == 0


def test_over_a_year_every_warning_is_read_before_the_due_day():
    """For every receipt day of 2025 the warning falls on a working day before the due day (was 55 on the
    due day itself)."""
    rule = AcknowledgmentDue()
    day = dt.date(2025, 1, 1)
    while day.year == 2025:
        due = acknowledgment_deadline(dt.datetime.combine(day, dt.time(10), tzinfo=PARIS)).due_on
        due_at = dt.datetime.combine(due, dt.time(0), tzinfo=PARIS)
        (warning,) = [t for t in rule.working(due_at) if t.code == "d-2"]
        warn = warning.fires_at(due_at).date()
        assert is_working_day(warn) and warn < due, (day, due, warn)
        assert sum(1 for n in range((due - warn).days) if is_working_day(warn + dt.timedelta(days=n))) == 2
        day += dt.timedelta(days=1)
