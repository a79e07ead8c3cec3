"""The AML/CFT demo data (aml/demo.py): a list in two versions (one entry delisted), counterparties with true
variants of listed names and near misses, a screening run whose hits catch the variants and not the near
misses, reviews and a confirmed hit that opened an alert, alerts at each stage; loading it twice changes
nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from aml import demo, selectors
from aml.choices import AlertStatus, Decision, HitStatus
from aml.models import Alert, Counterparty, Hit, ListEntry, ScreeningList, ScreeningRun
from core.models import ImportRun
from tests.factories import LegalEntityFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded(roles):
    LegalEntityFactory(code="ALS", parent=None)
    LegalEntityFactory(code="ONV")
    officer = UserFactory(username="lcbft", email="lcbft@example.org", groups=["LCB-FT"])
    summary = demo.load(UserFactory(username="admin", is_superuser=True))
    return officer, summary


def snapshot() -> dict[str, object]:
    return {
        "counterparties": Counterparty.objects.count(),
        "entries": ListEntry.objects.count(),
        "version": ScreeningList.objects.get(code=demo.LIST_CODE).version,
        "hits": sorted(Hit.objects.values_list("pk", "status")),
        "alerts": sorted(Alert.objects.values_list("reference", "status", "decision")),
        "imports": ImportRun.objects.count(),
    }


def test_the_list_has_two_versions_and_the_missing_entry_is_delisted(loaded):
    listed = ListEntry.objects.filter(screening_list__code=demo.LIST_CODE)
    assert listed.count() == len(demo.ENTRIES)
    assert list(listed.filter(delisted_on__isnull=False).values_list("list_id", flat=True)) == [demo.DELISTED]
    assert any(entry.alias_list() for entry in listed)


def test_the_screening_catches_the_variants_and_not_the_near_misses(loaded):
    assert Counterparty.objects.count() == demo.PEOPLE + demo.COMPANIES + len(demo.VARIANTS) + len(demo.NEAR_MISSES)
    raised = set(Hit.objects.values_list("counterparty__reference", flat=True))
    variants = {reference for reference, *_rest in demo.VARIANTS}
    missed = variants - raised
    assert missed == set(), missed
    assert not raised & {reference for reference, *_rest in demo.NEAR_MISSES}
    assert ScreeningRun.objects.exists()


def test_reviews_and_the_confirmed_hit_that_opened_an_alert(loaded):
    officer, _summary = loaded
    reviewed = Hit.objects.exclude(status=HitStatus.PENDING)
    assert set(reviewed.values_list("status", flat=True)) >= {HitStatus.FALSE_POSITIVE, HitStatus.CONFIRMED}
    assert all(hit.review_reason and hit.reviewed_by == officer for hit in reviewed)
    confirmed = Hit.objects.get(status=HitStatus.CONFIRMED)
    assert confirmed.counterparty.reference == demo.CONFIRMED[0]
    assert Alert.objects.get(hit=confirmed).source == "screening"
    assert Hit.objects.pending().exists()


def test_alerts_at_each_stage(loaded):
    alerts = Alert.objects.all()
    assert alerts.filter(status=AlertStatus.OPEN).exists()
    assert alerts.filter(status=AlertStatus.ANALYSING, analyst__username="lcbft").exists()
    assert alerts.overdue().exists()
    decisions = set(alerts.values_list("decision", flat=True))
    assert decisions >= {Decision.CLOSED, Decision.ENHANCED_EXAMINATION, Decision.TRACFIN_REPORT}
    reported = alerts.filter(decision=Decision.TRACFIN_REPORT)
    assert all(a.tracfin_reported_on and a.tracfin_reference and a.tracfin_file for a in reported)
    assert alerts.exclude(enhanced_report="").filter(enhanced_report_file__gt="").exists()
    assert selectors.alerts_raised(2023).value == 4 and selectors.tracfin_reports(2023).value == 1
    assert selectors.alerts_decided_on_time(2023, today=dt.date(2024, 6, 1)).numerator == 3


def test_loading_it_again_changes_nothing(loaded):
    before = snapshot()
    demo.load(UserFactory(username="admin"))
    assert snapshot() == before
