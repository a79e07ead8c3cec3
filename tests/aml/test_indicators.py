"""The AML/CFT indicators (aml/indicators.py, aml/selectors.py): alerts raised in Y (Paris), decided within
the target, reports to TRACFIN in Y, the screening coverage (now, or the last run of a past year), hits
reviewed within the target; aggregates only (no record ids stored), whole company only; and the desk's items,
each linked to the admin list of exactly the records it counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aml import selectors
from aml.choices import AlertStatus, Decision, HitStatus, RunStatus
from reporting import catalogue, desk, registry, services
from reporting.models import IndicatorValue
from tests.aml.factories import AlertFactory, CounterpartyFactory, HitFactory, ScreeningListFactory, ScreeningRunFactory
from tests.clients import admin_client
from tests.factories import UserFactory

PARIS = ZoneInfo("Europe/Paris")
CODES = (
    "E1_AML_ALERTS",
    "E1_AML_ALERTS_DECIDED_ON_TIME",
    "E1_AML_TRACFIN_REPORTS",
    "E1_AML_SCREENING_COVERAGE",
    "E1_AML_HITS_REVIEWED_ON_TIME",
)

pytestmark = pytest.mark.django_db


def at(year, month, day, hour=12, minute=0):
    return dt.datetime(year, month, day, hour, minute, tzinfo=PARIS)


def decided(alert_fields: dict, decided_on: dt.date, decision=Decision.CLOSED, **extra):
    return AlertFactory(
        status=AlertStatus.DECIDED,
        decision=decision,
        decided_on=decided_on,
        decision_reason="Reasons",
        **alert_fields,
        **extra,
    )


def test_the_catalogue_declares_the_five_codes_as_added_computed_enjeu_1():
    for code in CODES:
        definition = catalogue.get(code)
        assert (definition.enjeu, definition.added, definition.computed) == (1, True, True), code
        computation = registry.computation(code)
        assert computation is not None and computation.by_entity is None and computation.whole_company_only
        assert "aml.alert" in computation.models


def test_alerts_are_counted_in_their_paris_year():
    AlertFactory(raised_at=at(2024, 12, 31, 23, 30))  # 22:30 UTC: 2024
    AlertFactory(raised_at=at(2025, 1, 1, 0, 30))  # 23:30 UTC on 31/12: 2025 in Paris
    AlertFactory(raised_at=at(2025, 6, 1))
    assert selectors.alerts_raised(2024).value == 1
    assert selectors.alerts_raised(2025).value == 2


def test_decided_on_time_judges_decided_alerts_and_open_ones_past_their_date():
    raised = {"raised_at": at(2025, 1, 10), "analysis_due_on": dt.date(2025, 2, 9)}
    decided(raised, dt.date(2025, 2, 9))  # on its due day: on time
    decided(raised, dt.date(2025, 2, 10))  # a day late
    decided(raised, dt.date(2025, 1, 20), decision=Decision.ENHANCED_EXAMINATION)  # on time
    AlertFactory(**raised)  # open, past its date: late
    AlertFactory(raised_at=at(2025, 1, 10), analysis_due_on=dt.date(2025, 3, 30))  # open, within target: not judged
    AlertFactory(raised_at=at(2024, 1, 10), analysis_due_on=dt.date(2024, 2, 9))  # another year
    figure = selectors.alerts_decided_on_time(2025, today=dt.date(2025, 3, 1))
    assert (figure.value, figure.numerator, figure.denominator) == (Decimal("50.0"), 2, 4)
    assert figure.record_sets() == []


def test_tracfin_reports_are_counted_by_the_date_they_were_sent():
    raised = {"raised_at": at(2024, 12, 1), "analysis_due_on": dt.date(2024, 12, 31)}
    for sent in (dt.date(2024, 12, 30), dt.date(2025, 1, 3), dt.date(2025, 2, 1)):
        decided(raised, sent, decision=Decision.TRACFIN_REPORT, tracfin_reported_on=sent, tracfin_reference="T-1")
    decided(raised, dt.date(2025, 1, 3))  # closed: not a report
    assert selectors.tracfin_reports(2024).value == 1
    assert selectors.tracfin_reports(2025).value == 2


def test_hits_reviewed_on_time_use_the_paris_day_of_the_review():
    due = {"raised_at": at(2025, 3, 3), "review_due_on": dt.date(2025, 3, 5)}
    reviewed = {"status": HitStatus.FALSE_POSITIVE, "review_reason": "Different person"}
    HitFactory(**due, **reviewed, reviewed_at=at(2025, 3, 5, 23, 30))  # 22:30 UTC: on its due day, on time
    HitFactory(**due, **reviewed, reviewed_at=at(2025, 3, 6, 0, 30))  # 23:30 UTC on the 5th, but late in Paris
    HitFactory(**due)  # pending, past its date: late
    HitFactory(raised_at=at(2025, 3, 3), review_due_on=dt.date(2025, 3, 20))  # pending, not due: not judged
    figure = selectors.hits_reviewed_on_time(2025, today=dt.date(2025, 3, 10))
    assert (figure.value, figure.numerator, figure.denominator) == (Decimal("33.3"), 1, 3)


def test_coverage_counts_the_active_counterparties_screened_against_every_current_list():
    t = [at(2025, 3, day) for day in range(1, 11)]
    ScreeningListFactory(code="A", loaded_at=t[2], covered_at=t[5])
    ScreeningListFactory(code="B", loaded_at=t[4])
    ScreeningListFactory(code="OLD", active=False, loaded_at=t[9])  # inactive: not screened against
    CounterpartyFactory(changed_at=t[0], screened_at=t[6])  # after both loadings: covered
    CounterpartyFactory(changed_at=t[0], screened_at=t[3])  # before B was loaded: not covered
    CounterpartyFactory(changed_at=t[7], screened_at=t[6])  # changed since its screening: not covered
    CounterpartyFactory(changed_at=t[0], screened_at=None)  # never screened
    CounterpartyFactory(changed_at=t[0], screened_at=t[6], relationship_ended_on=dt.date(2025, 1, 1))  # ended
    assert selectors.coverage() == selectors.Coverage(covered=1, active=4)
    with time_machine.travel(t[9]):
        figure = selectors.screening_coverage(2025)
    assert (figure.value, figure.numerator, figure.denominator) == (Decimal("25.0"), 1, 4)


def test_a_list_covered_by_a_full_run_covers_the_counterparties_unchanged_since():
    t = [at(2025, 3, day) for day in range(1, 11)]
    ScreeningListFactory(code="A", loaded_at=t[2], covered_at=t[5])
    CounterpartyFactory(changed_at=t[0], screened_at=None)  # covered by A's run
    CounterpartyFactory(changed_at=t[7], screened_at=None)  # changed after it
    assert selectors.coverage() == selectors.Coverage(covered=1, active=2)
    # A list loaded again after its last full run is not covered by it.
    ScreeningListFactory(code="B", loaded_at=t[6], covered_at=t[5])
    assert selectors.coverage() == selectors.Coverage(covered=0, active=2)


def test_without_an_active_list_nobody_is_covered():
    CounterpartyFactory(screened_at=at(2025, 3, 1))
    assert selectors.coverage() == selectors.Coverage(covered=0, active=1)


def test_a_past_year_s_coverage_is_the_last_run_finished_in_that_year():
    for finished, covered in ((at(2024, 6, 1), 10), (at(2024, 12, 31, 23, 30), 90), (at(2025, 1, 2), 5)):
        ScreeningRunFactory(
            status=RunStatus.DONE, finished_at=finished, covered_counterparties=covered, active_counterparties=100
        )
    ScreeningRunFactory(status=RunStatus.FAILED, finished_at=at(2024, 12, 31, 23, 50), active_counterparties=100)
    figure = selectors.screening_coverage(2024, today=dt.date(2025, 3, 1))
    assert (figure.value, figure.numerator, figure.denominator) == (Decimal("90.0"), 90, 100)
    assert selectors.screening_coverage(2023, today=dt.date(2025, 3, 1)).value is None


def test_stored_values_carry_no_record_and_say_no_data_for_a_year_without_aml_records():
    AlertFactory(raised_at=at(2024, 5, 1), analysis_due_on=dt.date(2024, 5, 31))
    with time_machine.travel(at(2025, 3, 1)):
        services.year_compute(2024)
        services.year_compute(2023)
    stored = {v.code: v for v in IndicatorValue.objects.filter(reporting_year__year=2024, code__in=CODES)}
    assert set(stored) == set(CODES)
    assert stored["E1_AML_ALERTS"].value == 1
    assert all(v.records == [] and v.records_count == 0 for v in stored.values())
    empty = IndicatorValue.objects.filter(reporting_year__year=2023, code__in=CODES)
    assert {v.status for v in empty} == {"no_data"}


def test_per_entity_the_aml_figures_are_not_given():
    entity = registry.EntityScope(pk=1, code="SUB", name="Subsidiary")
    evaluated = services.year_evaluate(2025, list(CODES), entity=entity)
    assert {e.status for e in evaluated.values()} == {"not_by_entity"}


# -- the desk ---------------------------------------------------------------------------------------------------
TODAY = dt.date(2025, 6, 16)
NOW = dt.datetime(2025, 6, 16, 9, 0, tzinfo=PARIS)


def aml_desk() -> desk.Desk:
    return dict(desk.desks())["aml"]


def make_desk_records(officer, scale: int = 1) -> None:
    for _ in range(scale):
        AlertFactory(raised_at=NOW - dt.timedelta(days=40), analysis_due_on=TODAY - dt.timedelta(days=1))
        AlertFactory(raised_at=NOW - dt.timedelta(days=25), analysis_due_on=TODAY + dt.timedelta(days=5))
        AlertFactory(raised_at=NOW, analysis_due_on=TODAY + dt.timedelta(days=30), analyst=officer)
        AlertFactory(raised_at=NOW, analysis_due_on=TODAY + dt.timedelta(days=30), analyst=UserFactory())
        decided(
            {"raised_at": NOW - dt.timedelta(days=40), "analysis_due_on": TODAY - dt.timedelta(days=1)},
            TODAY,
            analyst=officer,
        )
        HitFactory(raised_at=NOW - dt.timedelta(days=5), review_due_on=TODAY - dt.timedelta(days=3))
        HitFactory(raised_at=NOW, review_due_on=TODAY + dt.timedelta(days=2))


def test_the_desk_counts_overdue_due_this_week_mine_and_unassigned():
    officer = UserFactory()
    make_desk_records(officer)
    moment = desk.Moment(TODAY, NOW, officer)
    counts = {item.key: item.records(moment).count() for item in aml_desk().items}
    assert counts == {
        "aml_alerts": 1,
        "aml_hits": 1,
        "aml_alerts_week": 1,
        "aml_alerts_mine": 1,
        "aml_alerts_unassigned": 2,
    }
    assert aml_desk().order == 35


def test_each_desk_item_asks_the_same_number_of_queries_whatever_the_records():
    officer = UserFactory()
    moment = desk.Moment(TODAY, NOW, officer)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            for item in aml_desk().items:
                assert isinstance(item, desk.DeskItem)
                item.records(moment).count()
                item.url(moment)
        return len(captured)

    make_desk_records(officer)
    small = queries()
    make_desk_records(officer, 10)
    assert queries() == small == len(aml_desk().items)


def test_each_desk_link_opens_the_list_of_exactly_the_counted_records(roles):
    officer = UserFactory(groups=["LCB-FT"])
    make_desk_records(officer)
    client = admin_client()
    client.force_login(officer)
    moment = desk.Moment(TODAY, NOW, officer)
    with time_machine.travel(NOW, tick=False):
        for item in aml_desk().items:
            listing = client.get(item.url(moment))
            assert listing.status_code == 200, item.key
            assert "e=1" not in listing.get("Location", ""), item.key
            expected = set(item.records(moment).values_list("pk", flat=True))
            assert expected, item.key
            assert {obj.pk for obj in listing.context["cl"].queryset} == expected, item.key
