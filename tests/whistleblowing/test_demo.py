"""The whistleblowing demo data (whistleblowing/demo.py): a dozen reports across the categories written through
the services (deadlines and ledger as the application writes them), a few with deadlines near today, an
anonymous web report with messages both ways, one inadmissible and closed, a meeting requested, a link to a
conflict-of-interest case; the demo referent; loading it twice changes nothing."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from core import demo as core_demo, roles
from reporting import desk
from tests.compliance.factories import CaseFactory
from tests.factories import LegalEntityFactory, UserFactory
from whistleblowing import demo
from whistleblowing.choices import Admissibility, Category, Direction, LinkKind, Proceedings, Status
from whistleblowing.models import DeadlineEvent, FollowUpAccess, Message, Report, ReportLink

PARIS = ZoneInfo("Europe/Paris")
NOW = dt.datetime(2026, 3, 18, 11, 0, tzinfo=PARIS)  # a Wednesday
TODAY = NOW.date()

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("isolated_media")]


@pytest.fixture
def loaded(roles, settings, tmp_path):
    return load_demo(settings, tmp_path)


def load_demo(settings, tmp_path):
    """The demo loaded on the day NOW, with its entities, a conflict-of-interest case and its referent."""
    settings.VIGIE_WHISTLEBLOWING_FILES_ROOT = tmp_path / "whistleblowing"
    LegalEntityFactory(code="ALS", parent=None)
    LegalEntityFactory(code="ONV")
    CaseFactory(reference="COI-LIVE-01")
    groups = [roles_name(), *core_demo.DEMO_EXTRA_GROUPS.get("referent", ())]
    referent = UserFactory(username="referent", email="referent@example.org", groups=groups)
    with time_machine.travel(NOW, tick=False):
        summary = demo.load(UserFactory(username="admin", is_superuser=True))
    return referent, summary


def roles_name() -> str:
    return roles.WHISTLEBLOWING_REFERENT


def by_number() -> dict[int, Report]:
    return {
        int(r.reference.removeprefix(demo.PREFIX)): r for r in Report.objects.filter(reference__startswith="SIG-DEMO")
    }


def test_the_demo_referent_is_a_demo_user():
    assert core_demo.DEMO_USERS["referent"][0] == roles.WHISTLEBLOWING_REFERENT


def test_a_dozen_reports_across_every_category_through_the_services(loaded):
    referent, summary = loaded
    reports = by_number()
    assert len(reports) == 12 and "12 reports created" in summary
    assert {r.category for r in reports.values()} == set(Category.values)
    # Written by the services: a ledger row for each clock, history rows by the referent.
    for report in reports.values():
        kinds = set(report.deadline_events.values_list("deadline", flat=True))
        assert {"acknowledgment", "feedback"} <= kinds, report.reference
        assert report.history.filter(history_user=referent).exists()


def test_deadlines_near_today_for_the_desk_and_the_alerts(loaded):
    reports = by_number()
    assert reports[2].acknowledged_on is None and TODAY <= reports[2].acknowledgment_due_on <= TODAY + dt.timedelta(
        days=7
    )
    assert reports[3].acknowledged_on is None and reports[3].acknowledgment_due_on < TODAY
    assert reports[4].status == Status.INVESTIGATING
    assert TODAY <= reports[4].feedback_due_on <= TODAY + dt.timedelta(days=15)
    assert reports[11].feedback_on is None and reports[11].feedback_due_on < TODAY
    moment = desk.Moment(TODAY, NOW, None)
    counts = {item.key: item.records(moment).count() for item in dict(desk.desks())["whistleblowing"].items}
    assert all(counts.values()), counts


def test_the_anonymous_web_report_and_its_messages_both_ways(loaded):
    report = by_number()[1]
    assert report.content.anonymous and report.content.channel == "web"
    assert report.acknowledged_on == TODAY and FollowUpAccess.objects.filter(report=report).exists()
    directions = list(Message.objects.filter(report=report).values_list("direction", flat=True))
    assert directions.count(Direction.FROM_AUTHOR) == 2 and directions.count(Direction.TO_AUTHOR) == 2


def test_the_other_stages(loaded):
    reports = by_number()
    inadmissible = reports[6]
    assert (inadmissible.status, inadmissible.admissibility) == (Status.CLOSED, Admissibility.INADMISSIBLE)
    assert inadmissible.messages.filter(kind="admissibility").exists()
    requested = reports[5]
    assert requested.meeting_requested_on is not None and requested.meeting_due_on > TODAY
    link = ReportLink.objects.get(report=requested)
    assert link.kind == LinkKind.COI_CASE and link.coi_case.reference == "COI-LIVE-01"
    silent = reports[9]
    assert silent.acknowledgment_due_on is None and silent.feedback_due_on is None
    assert (reports[8].proceedings, reports[10].proceedings) == (Proceedings.PENDING, Proceedings.ENDED)
    assert reports[7].status == reports[8].status == reports[10].status == Status.CLOSED


def test_loading_it_twice_changes_nothing(loaded):
    before = (Report.objects.count(), Message.objects.count(), DeadlineEvent.objects.count())
    with time_machine.travel(NOW, tick=False):
        summary = demo.load(None)
    assert (Report.objects.count(), Message.objects.count(), DeadlineEvent.objects.count()) == before
    assert "0 reports created" in summary


def test_the_demo_loads_with_referents_per_entity(roles, settings, tmp_path):
    """With referents per entity, the demo referent is made the referent of every entity and reads every report."""
    from whistleblowing.models import ReferentAssignment
    from whistleblowing.selectors import content_visible_to

    settings.VIGIE_WHISTLEBLOWING_REFERENTS_PER_ENTITY = True
    referent, summary = load_demo(settings, tmp_path)
    assert "12 reports created" in summary
    assert ReferentAssignment.objects.filter(user=referent).count() == 2
    reports = by_number()
    assert all(content_visible_to(referent, report) for report in reports.values())
