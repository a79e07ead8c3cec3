"""The conflict-of-interest workflow in its services: allowed transitions, refusals with their messages."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError

from compliance.choices import CaseStatus, MeasureKind, Qualification, RiskMapKind
from compliance.models import ActionItem, CaseMeasure, ConflictOfInterestCase, MacroProcess, Risk, RiskMap
from compliance.services import cases as services
from tests.compliance.factories import ActionItemFactory, CaseFactory
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_messages")]
TODAY = dt.date(2025, 6, 2)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(dt.datetime(2025, 6, 2, 10, 0), tick=False):
        yield


@pytest.fixture
def officer():
    return UserFactory(username="officer")


def make_risk(code: str = "R1", kind: str = RiskMapKind.CONFLICT_OF_INTEREST) -> Risk:
    process, _ = MacroProcess.objects.get_or_create(kind=kind, code="MP1", defaults={"name": "Lending"})
    risk_map, _ = RiskMap.objects.get_or_create(kind=kind, version=1)
    return Risk.objects.create(
        map=risk_map,
        code=code,
        title="Relative's loan",
        macro_process=process,
        gross_likelihood=2,
        gross_impact=3,
        gross_score=6,
        net_likelihood=1,
        net_impact=3,
        net_score=3,
    )


def qualified(officer, qualification=Qualification.CONFIRMED, **kwargs) -> ConflictOfInterestCase:
    case = CaseFactory(**kwargs)
    return services.coi_case_qualify(
        actor=officer,
        case=case,
        qualification=qualification,
        qualified_on=case.reported_on + dt.timedelta(days=10),
        analysis="Checked.",
    )


def test_create_generates_the_reference_and_the_analysis_due_date(officer, settings):
    settings.VIGIE_COI_ANALYSIS_DAYS = 45
    CaseFactory(reference="COI-2025-007")
    case = services.coi_case_create(actor=officer, reported_on=dt.date(2025, 5, 1), source="whistleblowing")
    assert case.reference == "COI-2025-008"
    assert case.analysis_due_on == dt.date(2025, 6, 15)
    assert case.status == CaseStatus.RECEIVED
    assert case.history.get().history_change_reason == "reported on 01/05/2025"


def test_create_refuses_a_future_report_and_a_taken_reference(officer):
    CaseFactory(reference="COI-X")
    with pytest.raises(ValidationError) as exc:
        services.coi_case_create(actor=officer, reported_on=dt.date(2025, 7, 1))
    assert "cannot be in the future" in exc.value.message_dict["reported_on"][0]
    with pytest.raises(ValidationError) as exc:
        services.coi_case_create(actor=officer, reported_on=dt.date(2025, 5, 1), reference="COI-X")
    assert "already exists" in exc.value.message_dict["reference"][0]
    assert ConflictOfInterestCase.objects.count() == 1


def test_full_workflow_received_to_closed_with_history(officer):
    case = CaseFactory()
    services.coi_case_start_analysis(actor=officer, case=case)
    services.coi_case_qualify(
        actor=officer,
        case=case,
        qualification="confirmed",
        qualified_on=dt.date(2025, 4, 1),
        analysis="The officer approved a relative's loan.",
    )
    services.coi_case_add_measure(actor=officer, case=case, kind="sanction", decided_on=dt.date(2025, 4, 10))
    services.coi_case_close(actor=officer, case=case, closed_on=dt.date(2025, 5, 1))
    case.refresh_from_db()
    assert (case.status, case.qualification, case.qualified_by, case.closed_on) == (
        CaseStatus.CLOSED,
        Qualification.CONFIRMED,
        officer,
        dt.date(2025, 5, 1),
    )
    reasons = [h.history_change_reason for h in case.history.order_by("history_id")]
    assert reasons[1:] == [
        "analysis started",
        "qualified Confirmed conflict of interest on 01/04/2025",
        "measure: Disciplinary sanction on 10/04/2025",
        "closed on 01/05/2025",
    ]


def test_closing_an_unqualified_case_is_refused(officer):
    case = CaseFactory(status=CaseStatus.UNDER_ANALYSIS)
    with pytest.raises(ValidationError) as exc:
        services.coi_case_close(actor=officer, case=case, closed_on=TODAY)
    assert exc.value.message_dict == {"status": ["A case cannot be closed before it is qualified."]}
    case.refresh_from_db()
    assert case.status == CaseStatus.UNDER_ANALYSIS and case.closed_on is None


def test_closing_a_confirmed_case_needs_a_measure_or_a_justification(officer):
    case = qualified(officer)
    with pytest.raises(ValidationError) as exc:
        services.coi_case_close(actor=officer, case=case, closed_on=TODAY)
    assert "at least one measure or a written justification" in exc.value.message_dict["justification"][0]
    services.coi_case_close(actor=officer, case=case, closed_on=TODAY, justification="The person left the company.")
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and case.justification == "The person left the company."


def test_closing_a_potential_case_needs_nothing_more(officer):
    case = qualified(officer, Qualification.POTENTIAL)
    services.coi_case_close(actor=officer, case=case, closed_on=TODAY)
    assert case.status == CaseStatus.CLOSED


def test_closing_before_the_qualification_date_is_refused(officer):
    case = qualified(officer, Qualification.POTENTIAL)
    with pytest.raises(ValidationError) as exc:
        services.coi_case_close(actor=officer, case=case, closed_on=case.reported_on)
    assert "cannot be before the qualification" in exc.value.message_dict["closed_on"][0]


def test_qualifying_before_the_report_or_with_an_unknown_value_is_refused(officer):
    case = CaseFactory()
    with pytest.raises(ValidationError) as exc:
        services.coi_case_qualify(actor=officer, case=case, qualification="confirmed", qualified_on=dt.date(2025, 1, 1))
    assert "before the case was reported (03/03/2025)" in exc.value.message_dict["qualified_on"][0]
    with pytest.raises(ValidationError) as exc:
        services.coi_case_qualify(actor=officer, case=case, qualification="maybe", qualified_on=TODAY)
    assert "'maybe' is not one of" in exc.value.message_dict["qualification"][0]
    case.refresh_from_db()
    assert case.status == CaseStatus.RECEIVED and case.qualification == ""


def test_qualifying_a_qualified_case_again_needs_a_new_analysis(officer):
    case = qualified(officer)
    with pytest.raises(ValidationError) as exc:
        services.coi_case_qualify(actor=officer, case=case, qualification="potential", qualified_on=TODAY)
    assert "not possible for a case whose status is “Qualified”" in exc.value.message_dict["status"][0]


def test_a_measure_on_an_unfounded_case_needs_a_justification(officer):
    case = qualified(officer, Qualification.UNFOUNDED)
    with pytest.raises(ValidationError) as exc:
        services.coi_case_add_measure(actor=officer, case=case, kind="action_plan", decided_on=TODAY)
    assert "needs a written justification" in exc.value.message_dict["justification"][0]
    assert not CaseMeasure.objects.exists()
    measure = services.coi_case_add_measure(
        actor=officer,
        case=case,
        kind="action_plan",
        decided_on=TODAY,
        justification="Reminder of the rules to the team.",
    )
    assert "Reminder of the rules" in measure.description


def test_a_measure_before_the_report_or_twice_or_before_qualification_is_refused(officer):
    with pytest.raises(ValidationError) as exc:
        services.coi_case_add_measure(actor=officer, case=CaseFactory(), kind="sanction", decided_on=TODAY)
    assert "qualified case" in exc.value.message_dict["kind"][0]
    case = qualified(officer)
    with pytest.raises(ValidationError) as exc:
        services.coi_case_add_measure(actor=officer, case=case, kind="sanction", decided_on=dt.date(2025, 1, 1))
    assert "before the case was reported" in exc.value.message_dict["decided_on"][0]
    services.coi_case_add_measure(actor=officer, case=case, kind="sanction", decided_on=TODAY)
    with pytest.raises(ValidationError) as exc:
        services.coi_case_add_measure(actor=officer, case=case, kind="sanction", decided_on=TODAY)
    assert "already has the measure" in exc.value.message_dict["kind"][0]
    assert case.measures.count() == 1


def test_reopening_needs_a_reason_and_a_closed_case(officer):
    case = qualified(officer, Qualification.POTENTIAL)
    with pytest.raises(ValidationError) as exc:
        services.coi_case_reopen(actor=officer, case=case, reason="New facts")
    assert "Only a closed case is reopened" in exc.value.message_dict["status"][0]
    services.coi_case_close(actor=officer, case=case, closed_on=TODAY)
    with pytest.raises(ValidationError) as exc:
        services.coi_case_reopen(actor=officer, case=case, reason=" ")
    assert exc.value.message_dict == {"reason": ["Reopening a case needs a reason."]}
    services.coi_case_reopen(actor=officer, case=case, reason="New facts reported by the auditor")
    case.refresh_from_db()
    assert case.status == CaseStatus.UNDER_ANALYSIS and case.closed_on is None
    assert case.analysis_due_on == TODAY + dt.timedelta(days=60)
    assert case.history.first().history_change_reason == "reopened: New facts reported by the auditor"


def test_only_a_qualified_case_is_linked_to_risks(officer):
    risk = make_risk()
    with pytest.raises(ValidationError) as exc:
        services.coi_case_link_risks(actor=officer, case=CaseFactory(), risks=[risk])
    assert "Only a qualified case" in exc.value.message_dict["risks"][0]
    case = qualified(officer)
    services.coi_case_link_risks(actor=officer, case=case, risks=[risk])
    assert list(case.risks.all()) == [risk]


def test_an_action_item_due_before_the_report_is_refused(officer):
    case = CaseFactory()
    with pytest.raises(ValidationError) as exc:
        services.action_item_create(actor=officer, case=case, title="Train the team", due_on=dt.date(2025, 1, 1))
    assert "before the case was reported (03/03/2025)" in exc.value.message_dict["due_on"][0]
    assert not ActionItem.objects.exists()
    with pytest.raises(ValidationError) as exc:
        services.action_item_create(actor=officer, title="Orphan", due_on=TODAY)
    assert "belongs to a case or to a risk" in exc.value.message_dict["case"][0]


def test_completing_an_action_item_needs_evidence_once(officer):
    item = services.action_item_create(
        actor=officer, case=CaseFactory(), title="Train the team", owner=officer, due_on=dt.date(2025, 7, 1)
    )
    with pytest.raises(ValidationError) as exc:
        services.action_item_complete(actor=officer, item=item, done_on=TODAY)
    assert "evidence" in exc.value.message_dict
    services.action_item_complete(actor=officer, item=item, done_on=TODAY, evidence="Attendance sheet")
    with pytest.raises(ValidationError) as exc:
        services.action_item_complete(actor=officer, item=item, done_on=TODAY, evidence="again")
    assert "already done on 02/06/2025" in exc.value.message_dict["done_on"][0]


def test_querysets_open_overdue_reported_in_and_due_within():
    overdue = CaseFactory(reported_on=dt.date(2025, 3, 1))  # due 30/04
    CaseFactory(reported_on=dt.date(2025, 5, 1))  # due 30/06
    CaseFactory(
        reported_on=dt.date(2025, 3, 1),
        status=CaseStatus.QUALIFIED,
        qualification="potential",
        qualified_on=dt.date(2025, 3, 5),
    )
    CaseFactory(
        reported_on=dt.date(2024, 3, 1),
        status=CaseStatus.CLOSED,
        qualification="unfounded",
        qualified_on=dt.date(2024, 3, 5),
        closed_on=dt.date(2024, 4, 1),
    )
    assert list(ConflictOfInterestCase.objects.analysis_overdue()) == [overdue]
    assert ConflictOfInterestCase.objects.open().count() == 3
    assert ConflictOfInterestCase.objects.reported_in(2024).count() == 1
    late = ActionItemFactory(due_on=dt.date(2025, 6, 1))
    soon = ActionItemFactory(due_on=dt.date(2025, 6, 9))
    ActionItemFactory(due_on=dt.date(2025, 6, 10))
    ActionItemFactory(due_on=dt.date(2025, 5, 1), done_on=dt.date(2025, 5, 1))
    assert list(ActionItem.objects.overdue()) == [late]
    assert list(ActionItem.objects.due_within(7)) == [late, soon]


def test_with_measure_filters_cases_by_measure_kind(officer):
    case = qualified(officer)
    services.coi_case_add_measure(actor=officer, case=case, kind=MeasureKind.REFERRAL, decided_on=TODAY)
    CaseFactory()
    assert list(ConflictOfInterestCase.objects.with_measure("referral")) == [case]
