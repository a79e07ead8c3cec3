"""The whistleblowing indicators (whistleblowing/indicators.py): reports received in Y (Paris), by category,
found admissible in Y, acknowledged within 7 working days, given feedback within 3 months (hand-counted);
whole company only; the auditor pack's records carry the public part only; and the desk's items, each
linked to the admin list of exactly the records it counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reporting import catalogue, desk, records, registry, services
from reporting.models import IndicatorValue
from tests.clients import admin_client
from tests.factories import UserFactory
from tests.whistleblowing.factories import ReportContentFactory, ReportFactory
from whistleblowing import indicators
from whistleblowing.choices import Admissibility, Category, Status

PARIS = ZoneInfo("Europe/Paris")
CODES = [code for code in registry.computations() if code.startswith("G1_WB_")]

pytestmark = pytest.mark.django_db


def at(year, month, day, hour=12, minute=0):
    return dt.datetime(year, month, day, hour, minute, tzinfo=PARIS)


def test_the_catalogue_declares_every_code_added_computed_whole_company_only():
    assert sorted(CODES) == sorted(
        ["G1_WB_RECEIVED", "G1_WB_ADMISSIBLE", "G1_WB_ACK_RATE", "G1_WB_FEEDBACK_RATE"]
        + [f"G1_WB_RECEIVED_{category.name}" for category in Category]
    )
    # reporting/ imports no domain app: its list of categories follows whistleblowing.choices.Category.
    assert [suffix for suffix, _label in catalogue.WHISTLEBLOWING_CATEGORIES] == [c.name for c in Category]
    for code in CODES:
        definition = catalogue.get(code)
        assert (definition.enjeu, definition.added, definition.computed, definition.framework) == (
            1,
            True,
            True,
            catalogue.ESRS,
        )
        computation = registry.computation(code)
        assert computation.models == ("whistleblowing.report",)
        assert computation.by_entity is None and computation.whole_company_only
    assert catalogue.get("G1_WB_ACK_RATE").is_rate and catalogue.get("G1_WB_FEEDBACK_RATE").is_rate


def test_received_counts_the_paris_year_and_each_category():
    ReportFactory(received_at=at(2024, 12, 31, 23, 30), category=Category.FRAUD)  # 22:30 UTC: 2024
    ReportFactory(received_at=at(2025, 1, 1, 0, 30), category=Category.FRAUD)  # 23:30 UTC on 31/12: 2025 in Paris
    ReportFactory(received_at=at(2025, 6, 1), category=Category.HARASSMENT)
    ReportFactory(received_at=at(2025, 12, 31, 23, 59), category=Category.CORRUPTION)
    ReportFactory(received_at=at(2026, 1, 1, 0, 0), category=Category.CORRUPTION)
    assert indicators.received(2024).value == 1
    assert indicators.received(2025).value == 3
    assert indicators.received(2025, Category.FRAUD).value == 1
    assert indicators.received(2025, Category.HARASSMENT).value == 1
    assert indicators.received(2025, Category.CORRUPTION).value == 1
    assert indicators.received(2025, Category.DISCRIMINATION).value == 0
    figure = indicators.received(2025)
    assert figure.model == "whistleblowing.report" and len(figure.record_ids) == 3


def test_admissible_counts_the_decisions_of_the_year():
    received = at(2024, 11, 20)
    ReportFactory(
        received_at=received, admissibility=Admissibility.ADMISSIBLE, admissibility_decided_on=dt.date(2025, 1, 3)
    )
    ReportFactory(
        received_at=received, admissibility=Admissibility.ADMISSIBLE, admissibility_decided_on=dt.date(2024, 12, 31)
    )
    ReportFactory(
        received_at=received,
        admissibility=Admissibility.INADMISSIBLE,
        admissibility_decided_on=dt.date(2025, 1, 5),
        status=Status.CLOSED,
        closed_on=dt.date(2025, 1, 5),
    )
    ReportFactory(received_at=at(2025, 2, 1))  # not decided
    assert indicators.admissible(2025).value == 1
    assert indicators.admissible(2024).value == 1


def test_the_acknowledgment_rate():
    due = dt.date(2025, 3, 12)
    received = {"received_at": at(2025, 3, 3), "acknowledgment_due_on": due}
    ReportFactory(**received, acknowledged_on=due)  # on its due day: on time
    ReportFactory(**received, acknowledged_on=dt.date(2025, 3, 4))  # on time
    ReportFactory(**received, acknowledged_on=dt.date(2025, 3, 13))  # a day late
    ReportFactory(**received)  # not acknowledged, past its date: late
    ReportFactory(received_at=at(2025, 3, 3))  # anonymous without contact: none due, not counted
    # Received in December 2025, due in January 2026: judged in 2026 (2025 may be frozen before its date).
    ReportFactory(received_at=at(2025, 12, 29), acknowledgment_due_on=dt.date(2026, 1, 7))
    # Received in December 2024, due in January 2025: judged in 2025 (on time).
    ReportFactory(
        received_at=at(2024, 12, 20), acknowledgment_due_on=dt.date(2025, 1, 2), acknowledged_on=dt.date(2024, 12, 23)
    )
    figure = indicators.acknowledged_on_time(2025, today=dt.date(2026, 1, 5))
    assert (figure.value, figure.numerator, figure.denominator) == (Decimal("60.0"), 3, 5)
    assert len(figure.record_ids) == 5
    # The December 2025 report never moves 2025's figure, in time or late.
    assert indicators.acknowledged_on_time(2025, today=dt.date(2026, 3, 1)).denominator == 5
    assert indicators.acknowledged_on_time(2026, today=dt.date(2026, 1, 7)).denominator == 0
    later = indicators.acknowledged_on_time(2026, today=dt.date(2026, 1, 8))
    assert (later.numerator, later.denominator) == (0, 1)


def test_the_feedback_rate_counts_each_report_in_one_year():
    def report(due, feedback=None, **extra):
        return ReportFactory(received_at=at(2024, 9, 2), feedback_due_on=due, feedback_on=feedback, **extra)

    report(dt.date(2025, 2, 10), dt.date(2025, 2, 10))  # 2025, on its due day: on time
    report(dt.date(2025, 2, 10), dt.date(2025, 2, 11))  # 2025, late
    report(dt.date(2025, 3, 1), dt.date(2024, 12, 20))  # due in 2025, given early (in 2024): 2025, on time
    report(dt.date(2024, 12, 15), dt.date(2025, 1, 10))  # due 2024, given late in 2025: 2024 (late), not 2025
    report(dt.date(2025, 5, 1))  # no feedback, due date passed in 2025: 2025, late
    report(dt.date(2025, 12, 31))  # no feedback, due date not passed yet: not judged
    report(
        dt.date(2025, 2, 1),
        admissibility=Admissibility.INADMISSIBLE,
        admissibility_decided_on=dt.date(2024, 9, 10),
        status=Status.CLOSED,
        closed_on=dt.date(2024, 9, 10),
    )  # inadmissible: no feedback is owed
    figure = indicators.feedback_on_time(2025, today=dt.date(2025, 12, 31))
    assert (figure.value, figure.numerator, figure.denominator) == (Decimal("50.0"), 2, 4)
    previous = indicators.feedback_on_time(2024, today=dt.date(2025, 12, 31))
    assert (previous.numerator, previous.denominator) == (0, 1)
    # 2024's figure was already "late" before the feedback was given: giving it late in 2025 changes nothing.
    early = indicators.feedback_on_time(2024, today=dt.date(2024, 12, 31))
    assert (early.numerator, early.denominator) == (0, 1)


def test_stored_values_records_with_public_fields_only_and_no_data_for_an_empty_year():
    report = ReportFactory(
        received_at=at(2024, 5, 2), category=Category.FRAUD, acknowledgment_due_on=dt.date(2024, 5, 14)
    )
    ReportContentFactory(report=report, author_name="Mallory Whistle", facts="Kickbacks at the Lyon depot")
    with time_machine.travel(at(2025, 3, 1)):
        services.year_compute(2024)
        services.year_compute(2023)
    stored = {v.code: v for v in IndicatorValue.objects.filter(reporting_year__year=2024, code__in=CODES)}
    assert set(stored) == set(CODES)
    assert stored["G1_WB_RECEIVED"].value == 1 and stored["G1_WB_RECEIVED_FRAUD"].value == 1
    assert stored["G1_WB_RECEIVED_HARASSMENT"].value == 0
    assert stored["G1_WB_ACK_RATE"].numerator == 0 and stored["G1_WB_ACK_RATE"].denominator == 1
    empty = IndicatorValue.objects.filter(reporting_year__year=2023, code__in=CODES)
    assert {v.status for v in empty} == {"no_data"}
    headers = [header for header, _accessor in records.COLUMNS["whistleblowing.report"]]
    assert headers == [
        "reference",
        "received_on",
        "category",
        "status",
        "acknowledgment_due_on",
        "acknowledged_on",
        "admissibility",
        "admissibility_decided_on",
        "feedback_due_on",
        "feedback_on",
        "closed_on",
    ]
    # Every column reads a field of the report itself: none reaches its sealed content.
    assert all(
        "content" not in path and "__" not in path
        for path in records.paths_of(records.COLUMNS["whistleblowing.report"])
    )


def test_per_entity_the_figures_are_not_given():
    entity = registry.EntityScope(pk=1, code="SUB", name="Subsidiary")
    evaluated = services.year_evaluate(2025, list(CODES), entity=entity)
    assert {e.status for e in evaluated.values()} == {"not_by_entity"}


# -- the desk ---------------------------------------------------------------------------------------------------
TODAY = dt.date(2025, 6, 16)
NOW = dt.datetime(2025, 6, 16, 9, 0, tzinfo=PARIS)


def wb_desk() -> desk.Desk:
    return dict(desk.desks())["whistleblowing"]


def make_desk_records(scale: int = 1) -> None:
    day = dt.timedelta(days=1)
    for _ in range(scale):
        # acknowledgment: overdue; due today (this week); due in 7 days (this week); in 8 days (neither); done
        ReportFactory(received_at=NOW - 12 * day, acknowledgment_due_on=TODAY - day, feedback_due_on=TODAY + 80 * day)
        ReportFactory(received_at=NOW - 9 * day, acknowledgment_due_on=TODAY, feedback_due_on=TODAY + 85 * day)
        ReportFactory(received_at=NOW, acknowledgment_due_on=TODAY + 7 * day, feedback_due_on=TODAY + 90 * day)
        ReportFactory(received_at=NOW, acknowledgment_due_on=TODAY + 8 * day, feedback_due_on=TODAY + 91 * day)
        ReportFactory(
            received_at=NOW - 12 * day,
            acknowledgment_due_on=TODAY - day,
            acknowledged_on=TODAY - 3 * day,
            status=Status.ACKNOWLEDGED,
            feedback_due_on=TODAY + 15 * day,  # feedback due in 15 days
        )
        # feedback: overdue; due in 16 days (not soon); given; overdue but closed (not counted)
        ReportFactory(
            received_at=NOW - 100 * day,
            acknowledgment_due_on=TODAY - 90 * day,
            acknowledged_on=TODAY - 95 * day,
            status=Status.INVESTIGATING,
            feedback_due_on=TODAY - day,
            meeting_requested_on=TODAY - 5 * day,
            meeting_due_on=TODAY + 23 * day,  # a meeting pending
        )
        ReportFactory(
            received_at=NOW - 80 * day,
            acknowledgment_due_on=TODAY - 70 * day,
            acknowledged_on=TODAY - 75 * day,
            status=Status.ACKNOWLEDGED,
            feedback_due_on=TODAY + 16 * day,
            meeting_requested_on=TODAY - 30 * day,
            meeting_due_on=TODAY - 2 * day,
            meeting_held_on=TODAY - 4 * day,  # held
        )
        ReportFactory(
            received_at=NOW - 100 * day,
            acknowledgment_due_on=TODAY - 90 * day,
            acknowledged_on=TODAY - 95 * day,
            status=Status.FEEDBACK_GIVEN,
            feedback_due_on=TODAY - day,
            feedback_on=TODAY - 10 * day,
        )
        ReportFactory(
            received_at=NOW - 100 * day,
            acknowledgment_due_on=TODAY - 90 * day,
            status=Status.CLOSED,
            closed_on=TODAY - 20 * day,
            feedback_due_on=TODAY - day,
            meeting_requested_on=TODAY - 30 * day,
            meeting_due_on=TODAY - 2 * day,
        )


def test_the_desk_counts_by_hand():
    make_desk_records()
    moment = desk.Moment(TODAY, NOW, None)
    counts = {item.key: item.records(moment).count() for item in wb_desk().items}
    assert counts == {
        "wb_to_acknowledge": 4,  # every unacknowledged one, whatever its due date (the one due in 8 days too)
        "wb_acknowledgments": 1,
        "wb_acknowledgments_week": 2,
        "wb_feedback": 1,
        "wb_feedback_soon": 1,
        "wb_meetings": 1,
    }
    assert {item.key: item.kind for item in wb_desk().items} == {
        "wb_to_acknowledge": desk.DUE_SOON,
        "wb_acknowledgments": desk.OVERDUE,
        "wb_feedback": desk.OVERDUE,
        "wb_acknowledgments_week": desk.DUE_THIS_WEEK,
        "wb_feedback_soon": desk.DUE_SOON,
        "wb_meetings": desk.DUE_SOON,
    }


def test_each_desk_item_asks_one_query_whatever_the_records():
    moment = desk.Moment(TODAY, NOW, None)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            for item in wb_desk().items:
                assert isinstance(item, desk.DeskItem)
                item.records(moment).count()
                item.url(moment)
        return len(captured)

    make_desk_records()
    small = queries()
    make_desk_records(10)
    assert queries() == small == len(wb_desk().items)


def test_each_desk_link_opens_the_list_of_exactly_the_counted_records(roles):
    referent = UserFactory(groups=["Référent alertes"])
    make_desk_records()
    client = admin_client()
    client.force_login(referent)
    moment = desk.Moment(TODAY, NOW, referent)
    with time_machine.travel(NOW, tick=False):
        for item in wb_desk().items:
            listing = client.get(item.url(moment))
            assert listing.status_code == 200, item.key
            assert "e=1" not in listing.get("Location", ""), item.key
            expected = set(item.records(moment).values_list("pk", flat=True))
            assert expected, item.key
            assert {obj.pk for obj in listing.context["cl"].queryset} == expected, item.key


def test_the_desk_is_the_referents_only(roles):
    from reporting import home

    make_desk_records()
    wb_keys = {item.key for item in wb_desk().items}

    def keys(user) -> set[str]:
        with time_machine.travel(NOW, tick=False):
            page = home.home(user)
        return {entry.key for section in page.sections for group in section.groups for entry in group.entries}

    referent = UserFactory(groups=["Référent alertes"])
    assert wb_keys <= keys(referent)
    # The others who read the reports' public part (and superusers) do not get the referents' desk.
    for user in (
        UserFactory(is_superuser=True),
        UserFactory(groups=["Compliance officer"]),
        UserFactory(groups=["Auditor"]),
    ):
        assert not wb_keys & keys(user)
