"""The compliance indicator selectors (docs/rules.md, "Indicator methods") at their boundaries."""

import datetime as dt

import pytest

from compliance import selectors
from compliance.choices import FunctionType, MeasureKind, Qualification, RiskMapKind
from tests.compliance.factories import (
    CaseFactory,
    CaseMeasureFactory,
    CorruptionIncidentFactory,
    LegalProceedingFactory,
    RiskFactory,
    RiskInterviewFactory,
    RiskMapFactory,
)

pytestmark = pytest.mark.django_db


def qualified(reported_on, qualification, *measures):
    case = CaseFactory(
        reported_on=reported_on, qualification=qualification, qualified_on=reported_on, status="qualified"
    )
    for kind in measures:
        CaseMeasureFactory(case=case, kind=kind)
    return case


def test_cases_are_counted_in_the_year_they_were_reported():
    CaseFactory(reported_on=dt.date(2023, 1, 1))
    CaseFactory(reported_on=dt.date(2023, 12, 31))
    CaseFactory(reported_on=dt.date(2022, 12, 31))
    assert selectors.coi_suspicions(2023).value == 2


def test_confirmed_with_refusal_or_sanction_counts_each_case_once_and_only_confirmed_ones():
    qualified(dt.date(2023, 3, 1), Qualification.CONFIRMED, MeasureKind.DOSSIER_REFUSED, MeasureKind.SANCTION)
    qualified(dt.date(2023, 4, 1), Qualification.CONFIRMED, MeasureKind.ACTION_PLAN)
    qualified(dt.date(2023, 5, 1), Qualification.POTENTIAL, MeasureKind.DOSSIER_REFUSED)
    assert selectors.coi_confirmed_with_refusal_or_sanction(2023).value == 1
    # A confirmed conflict of interest is not an incident of corruption (ESRS G1-4): none was recorded.
    assert selectors.esrs_g1_4_confirmed_incidents(2023).value == 0
    assert selectors.esrs_g1_4_disciplinary_actions(2023).value == 0


def test_qualified_with_action_plan_takes_potential_and_confirmed_not_unfounded():
    qualified(dt.date(2023, 3, 1), Qualification.CONFIRMED, MeasureKind.ACTION_PLAN, MeasureKind.SANCTION)
    qualified(dt.date(2023, 4, 1), Qualification.POTENTIAL, MeasureKind.ACTION_PLAN)
    qualified(dt.date(2023, 5, 1), Qualification.UNFOUNDED, MeasureKind.ACTION_PLAN)
    qualified(dt.date(2023, 6, 1), Qualification.POTENTIAL, MeasureKind.REFERRAL)
    assert selectors.coi_qualified_with_action_plan(2023).value == 2


def test_the_map_in_force_is_the_latest_approved_on_or_before_year_end():
    old = RiskMapFactory(kind=RiskMapKind.CORRUPTION, version=1, approved_on=dt.date(2022, 5, 1))
    current = RiskMapFactory(kind=RiskMapKind.CORRUPTION, version=2, approved_on=dt.date(2023, 12, 31))
    RiskMapFactory(kind=RiskMapKind.CORRUPTION, version=3, approved_on=None)  # draft
    RiskMapFactory(kind=RiskMapKind.CORRUPTION, version=4, approved_on=dt.date(2024, 1, 1))
    RiskFactory.create_batch(2, map=old)
    RiskFactory.create_batch(3, map=current)
    RiskInterviewFactory.create_batch(4, map=current, function_type=FunctionType.BUSINESS)
    RiskInterviewFactory.create_batch(1, map=current, function_type=FunctionType.SUPPORT)
    assert selectors.corruption_map_risks(2023).value == 3
    assert selectors.corruption_map_risks(2022).value == 2
    assert selectors.corruption_map_interviews(2023).value == 5
    parts = selectors.corruption_map_interviews_by_function_type(2023)
    assert (parts["business"].value, parts["support"].value) == (4, 1)
    assert selectors.coi_map_risks(2023).value == 0  # no conflict-of-interest map approved


def test_macro_processes_covered_are_distinct():
    risk_map = RiskMapFactory(kind=RiskMapKind.CONFLICT_OF_INTEREST, version=1, approved_on=dt.date(2023, 6, 30))
    first = RiskFactory(map=risk_map)
    RiskFactory(map=risk_map, macro_process=first.macro_process)
    RiskFactory(map=risk_map)
    assert selectors.coi_map_risks(2023).value == 3
    assert selectors.coi_map_macro_processes(2023).value == 2


# --- ESRS G1-4: incidents of corruption, convictions and fines ------------------------------------------------


def test_g1_4_counts_the_incidents_of_corruption_confirmed_in_the_year_and_their_consequences():
    qualified(dt.date(2023, 3, 1), Qualification.CONFIRMED, MeasureKind.SANCTION)  # a conflict of interest only
    disciplined = CorruptionIncidentFactory(confirmed_on=dt.date(2023, 1, 1), workers_disciplined=True)
    terminated = CorruptionIncidentFactory(
        confirmed_on=dt.date(2023, 12, 31),
        partner_contract_terminated=True,
        coi_case=qualified(dt.date(2023, 2, 1), Qualification.CONFIRMED),
    )
    CorruptionIncidentFactory(confirmed_on=dt.date(2022, 12, 31), workers_disciplined=True)
    CorruptionIncidentFactory(confirmed_on=dt.date(2024, 1, 1), partner_contract_terminated=True)
    incidents = selectors.esrs_g1_4_confirmed_incidents(2023)
    assert (incidents.value, incidents.model, set(incidents.record_ids)) == (
        2,
        "compliance.corruptionincident",
        {disciplined.pk, terminated.pk},
    )
    assert selectors.esrs_g1_4_disciplinary_actions(2023).record_ids == (disciplined.pk,)
    assert selectors.esrs_g1_4_partner_contracts_terminated(2023).record_ids == (terminated.pk,)


def test_convictions_and_fines_are_the_decisions_of_the_year_against_the_company():
    from decimal import Decimal

    def decided(outcome, day, fine=None, defendant="undertaking"):
        return LegalProceedingFactory(
            outcome=outcome, decided_on=day, fine_eur=fine, defendant=defendant, opened_on=dt.date(2022, 1, 3)
        )

    conviction = decided("conviction", dt.date(2023, 6, 1), Decimal("100000.50"))
    cjip = decided("settlement", dt.date(2023, 12, 31), Decimal("2000000"))  # a fine, not a conviction
    unfined = decided("conviction", dt.date(2023, 2, 1))
    decided("acquittal", dt.date(2023, 3, 1))
    decided("conviction", dt.date(2023, 4, 1), Decimal("5000"), defendant="own_worker")  # not the company's
    decided("conviction", dt.date(2022, 12, 31), Decimal("7"))
    LegalProceedingFactory()  # pending
    convictions = selectors.esrs_g1_4_convictions(2023)
    assert (convictions.value, set(convictions.record_ids)) == (2, {conviction.pk, unfined.pk})
    fines = selectors.esrs_g1_4_fines(2023)
    assert fines.value == Decimal("2100000.50")
    assert (fines.model, set(fines.record_ids)) == ("compliance.legalproceeding", {conviction.pk, cjip.pk, unfined.pk})
    nothing = selectors.esrs_g1_4_fines(2021)
    assert (nothing.value, nothing.record_ids) == (Decimal("0.00"), ())
