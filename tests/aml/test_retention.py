"""AML/CFT retention (aml/retention.py, CMF L.561-12): a counterparty five years after the end of its
relationship, an alert five years after `records_kept_from`; what goes and what the indicators keep.
(tests/core/test_retention.py checks that no personal value of an expired AML record survives in any table or
file.)"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.base import ContentFile

from aml.choices import AlertStatus, Decision, HitStatus
from aml.models import Alert, Counterparty, CounterpartyKey, Hit
from core import retention
from tests.aml.factories import AlertFactory, CounterpartyFactory, HitFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("isolated_media")]

TODAY = dt.date(2030, 6, 15)


def counterparty(ended: dt.date | None) -> Counterparty:
    cp = CounterpartyFactory(
        name="Zéphyrine Oksana", birth_date=dt.date(1970, 1, 1), registration_number="", relationship_ended_on=ended
    )
    CounterpartyKey.objects.create(counterparty=cp, key="oksana")
    HitFactory(
        counterparty=cp,
        score=93,
        status=HitStatus.CONFIRMED,
        reviewed_at=dt.datetime(2024, 1, 3, tzinfo=dt.UTC),
        review_reason="Same birth date as Zéphyrine Oksana",
    )
    return cp


def reported(kept_from: dt.date | None, **fields) -> Alert:
    decided = {}
    if kept_from is not None:
        decided = {
            "status": AlertStatus.DECIDED,
            "decision": Decision.TRACFIN_REPORT,
            "decided_on": kept_from,
            "decision_reason": "Funds from an unexplained source",
            "tracfin_reported_on": kept_from,
            "tracfin_reference": "TRACFIN-2025-1",
            "tracfin_file": ContentFile(b"report", name="str.pdf"),
            "enhanced_report": "Examination of the origin of funds",
            "enhanced_report_file": ContentFile(b"exam", name="exam.pdf"),
        }
    alert = AlertFactory(reason="Early repayment of 80,000 EUR", **decided, **fields)
    alert.records_kept_from = kept_from
    alert.save()
    return alert


def test_the_policies_and_their_five_years():
    policies = retention.policies()
    assert policies["aml.counterparty"].start == ("relationship_ended_on",)
    assert policies["aml.alert"].start == ("records_kept_from",)
    assert retention.periods()["aml.counterparty"] == retention.periods()["aml.alert"] == retention.Period(years=5)


def test_a_counterparty_five_years_after_its_relationship_loses_its_identity_and_its_hits_their_names():
    expired, recent, active = counterparty(dt.date(2025, 6, 15)), counterparty(dt.date(2025, 6, 16)), counterparty(None)
    run = retention.run(today=TODAY, only=["aml.counterparty"])
    assert run.anonymised == 1
    expired.refresh_from_db()
    assert expired.reference == f"ANON-CP-{expired.pk}" and expired.name == "[anonymisé]"
    assert (expired.name_normalised, expired.birth_date, expired.screening_hash) == ("", None, "")
    assert expired.anonymised_on is not None
    assert not Counterparty.objects.active().filter(pk=expired.pk).exists()  # never screened again
    assert list(CounterpartyKey.objects.filter(counterparty=expired).values_list("key", flat=True)) == [
        f"~{CounterpartyKey.objects.get(counterparty=expired).pk}"
    ]
    hit = Hit.objects.get(counterparty=expired)
    assert (hit.status, hit.score) == (HitStatus.CONFIRMED, 93)  # what the indicators count stays
    assert {hit.counterparty_name, hit.matched_name, hit.review_reason} == {"[anonymisé]"}
    for kept in (recent, active):
        kept.refresh_from_db()
        assert kept.name == "Zéphyrine Oksana" and kept.anonymised_on is None
        assert Hit.objects.get(counterparty=kept).review_reason.startswith("Same birth date")


def test_an_alert_five_years_after_its_decision_loses_its_texts_and_files_and_keeps_its_facts():
    expired, recent, undecided = reported(dt.date(2025, 6, 15)), reported(dt.date(2025, 6, 16)), reported(None)
    file_names = (expired.tracfin_file.name, expired.enhanced_report_file.name)
    storage = expired.tracfin_file.storage
    assert all(storage.exists(name) for name in file_names)
    run = retention.run(today=TODAY, only=["aml.alert"])
    assert run.anonymised == 1
    expired.refresh_from_db()
    assert {expired.reason, expired.decision_reason, expired.enhanced_report} == {"[anonymisé]"}
    assert not expired.tracfin_file and not expired.enhanced_report_file
    assert not any(storage.exists(name) for name in file_names)
    facts = (expired.reference, expired.decision, expired.tracfin_reference, expired.tracfin_reported_on)
    assert facts == (expired.reference, Decision.TRACFIN_REPORT, "TRACFIN-2025-1", dt.date(2025, 6, 15))
    assert all("80,000" not in row.reason for row in expired.history.all())
    for kept in (recent, undecided):
        kept.refresh_from_db()
        assert kept.reason.startswith("Early repayment") and kept.anonymised_on is None
