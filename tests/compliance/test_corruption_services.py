"""Confirmed incidents of corruption and the legal cases about them, in their services (ESRS G1-4).

A conflict-of-interest case is an incident of corruption only once it is qualified as corruption, which
needs a confirmed case; an incident found otherwise is recorded directly. A legal case is brought against
the company or one of its workers and decided with its outcome and fine.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from compliance.choices import CaseStatus, CorruptionNature, Defendant, MeasureKind, ProceedingOutcome, Qualification
from compliance.models import CorruptionIncident, LegalProceeding
from compliance.services import cases as case_services, corruption as services
from tests.compliance.factories import CaseFactory, CorruptionIncidentFactory, LegalProceedingFactory
from tests.factories import LegalEntityFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_messages")]
TODAY = dt.date(2025, 6, 2)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(dt.datetime(2025, 6, 2, 10, 0), tick=False):
        yield


@pytest.fixture
def officer():
    return UserFactory(username="officer")


def confirmed_case(officer, qualification=Qualification.CONFIRMED, **kwargs):
    case = CaseFactory(reported_on=dt.date(2025, 3, 3), entity=LegalEntityFactory(code="ALS"), **kwargs)
    return case_services.coi_case_qualify(
        actor=officer,
        case=case,
        qualification=qualification,
        qualified_on=dt.date(2025, 4, 1),
        analysis="Gift accepted.",
    )


# --- incidents -------------------------------------------------------------------------------------------


def test_an_incident_found_outside_any_case_is_recorded_with_a_generated_reference_and_its_history(officer):
    CorruptionIncidentFactory(reference="CORR-2025-004")
    incident = services.corruption_incident_create(
        actor=officer,
        confirmed_on=dt.date(2025, 5, 20),
        nature=CorruptionNature.ACTIVE_CORRUPTION,
        description="Facilitation payment to an intermediary (internal audit).",
        partner_contract_terminated=True,
    )
    assert incident.reference == "CORR-2025-005"
    assert (incident.coi_case, incident.workers_disciplined, incident.partner_contract_terminated) == (
        None,
        False,
        True,
    )
    history = incident.history.get()
    assert history.history_user == officer and history.history_change_reason == "confirmed on 20/05/2025"


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        (
            {"nature": "fraud"},
            "nature",
            "'fraud' is not one of active_corruption, passive_corruption, influence_peddling.",
        ),
        ({"confirmed_on": dt.date(2025, 6, 3)}, "confirmed_on", "This date (03/06/2025) is in the future."),
        ({"confirmed_on": None}, "confirmed_on", "A date is required."),
    ],
)
def test_an_incident_is_refused_with_the_field_at_fault_and_nothing_written(officer, values, field, message):
    arguments = {"confirmed_on": dt.date(2025, 5, 20), "nature": CorruptionNature.PASSIVE_CORRUPTION, **values}
    with pytest.raises(ValidationError) as exc:
        services.corruption_incident_create(actor=officer, **arguments)
    assert exc.value.message_dict == {field: [message]}
    assert not CorruptionIncident.objects.exists()


def test_a_confirmed_case_qualified_as_corruption_becomes_an_incident_linked_to_it(officer):
    case = confirmed_case(officer)
    case_services.coi_case_add_measure(actor=officer, case=case, kind=MeasureKind.SANCTION, decided_on=TODAY)
    incident = services.coi_case_qualify_as_corruption(
        actor=officer, case=case, confirmed_on=dt.date(2025, 5, 2), nature=CorruptionNature.PASSIVE_CORRUPTION
    )
    assert incident.coi_case == case and incident.reference == "CORR-2025-001"
    # The case's entity, and its disciplinary sanction: an own worker was disciplined.
    assert (incident.entity.code, incident.workers_disciplined) == ("ALS", True)
    assert incident.history.get().history_change_reason == f"qualified as corruption: case {case.reference}"
    assert case.history.first().history_change_reason == f"qualified as corruption: {incident.reference}"


@pytest.mark.parametrize("qualification", [Qualification.POTENTIAL, Qualification.UNFOUNDED])
def test_only_a_confirmed_case_is_qualified_as_corruption(officer, qualification):
    case = confirmed_case(officer, qualification=qualification)
    with pytest.raises(ValidationError) as exc:
        services.coi_case_qualify_as_corruption(
            actor=officer, case=case, confirmed_on=TODAY, nature=CorruptionNature.PASSIVE_CORRUPTION
        )
    assert list(exc.value.message_dict) == ["coi_case"]
    assert "qualified confirmed" in exc.value.message_dict["coi_case"][0]
    assert not CorruptionIncident.objects.exists()


def test_a_case_not_yet_qualified_or_already_an_incident_is_refused(officer):
    received = CaseFactory(reported_on=dt.date(2025, 3, 3), status=CaseStatus.RECEIVED)
    with pytest.raises(ValidationError):
        services.coi_case_qualify_as_corruption(
            actor=officer, case=received, confirmed_on=TODAY, nature=CorruptionNature.PASSIVE_CORRUPTION
        )
    case = confirmed_case(officer)
    services.coi_case_qualify_as_corruption(
        actor=officer, case=case, confirmed_on=TODAY, nature=CorruptionNature.PASSIVE_CORRUPTION
    )
    with pytest.raises(ValidationError) as exc:
        services.coi_case_qualify_as_corruption(
            actor=officer, case=case, confirmed_on=TODAY, nature=CorruptionNature.ACTIVE_CORRUPTION
        )
    assert "already" in exc.value.message_dict["coi_case"][0]
    assert CorruptionIncident.objects.count() == 1


def test_corruption_is_not_confirmed_before_the_case_was_qualified(officer):
    case = confirmed_case(officer)
    with pytest.raises(ValidationError) as exc:
        services.coi_case_qualify_as_corruption(
            actor=officer, case=case, confirmed_on=dt.date(2025, 3, 31), nature=CorruptionNature.PASSIVE_CORRUPTION
        )
    assert exc.value.message_dict == {
        "confirmed_on": ["The incident (31/03/2025) cannot be confirmed before the case was qualified (01/04/2025)."]
    }


def test_a_closed_confirmed_case_can_still_be_qualified_as_corruption(officer):
    case = confirmed_case(officer)
    case_services.coi_case_add_measure(actor=officer, case=case, kind=MeasureKind.ACTION_PLAN, decided_on=TODAY)
    case_services.coi_case_close(actor=officer, case=case, closed_on=TODAY)
    incident = services.coi_case_qualify_as_corruption(
        actor=officer, case=case, confirmed_on=TODAY, nature=CorruptionNature.INFLUENCE_PEDDLING
    )
    assert incident.coi_case == case and not incident.workers_disciplined


def test_a_sanction_decided_later_on_the_case_marks_its_incident(officer):
    case = confirmed_case(officer)
    incident = services.coi_case_qualify_as_corruption(
        actor=officer, case=case, confirmed_on=TODAY, nature=CorruptionNature.PASSIVE_CORRUPTION
    )
    assert not incident.workers_disciplined
    case_services.coi_case_add_measure(actor=officer, case=case, kind=MeasureKind.SANCTION, decided_on=TODAY)
    incident.refresh_from_db()
    assert incident.workers_disciplined
    assert incident.history.first().history_change_reason == f"disciplinary sanction on case {case.reference}"


def test_a_case_recorded_as_an_incident_cannot_be_requalified_below_confirmed(officer):
    case = confirmed_case(officer)
    incident = services.coi_case_qualify_as_corruption(
        actor=officer, case=case, confirmed_on=TODAY, nature=CorruptionNature.PASSIVE_CORRUPTION
    )
    case_services.coi_case_start_analysis(actor=officer, case=case)
    with pytest.raises(ValidationError) as exc:
        case_services.coi_case_qualify(
            actor=officer, case=case, qualification=Qualification.POTENTIAL, qualified_on=TODAY
        )
    assert incident.reference in exc.value.message_dict["qualification"][0]
    case_services.coi_case_qualify(actor=officer, case=case, qualification=Qualification.CONFIRMED, qualified_on=TODAY)


def test_an_incident_is_updated_through_its_service_and_its_link_never_changes(officer):
    incident = CorruptionIncidentFactory()
    incident = services.corruption_incident_update(
        actor=officer,
        incident=incident,
        partner_contract_terminated=True,
        reason="Supplier contract terminated on 12/05/2025",
    )
    assert CorruptionIncident.objects.get().partner_contract_terminated
    assert incident.history.first().history_change_reason == "Supplier contract terminated on 12/05/2025"
    with pytest.raises(ValidationError) as exc:
        services.corruption_incident_update(actor=officer, incident=incident, coi_case=CaseFactory())
    assert list(exc.value.message_dict) == ["coi_case"]


def test_the_database_refuses_an_unknown_nature_and_a_second_incident_for_one_case():
    with pytest.raises(IntegrityError), transaction.atomic():
        CorruptionIncidentFactory(nature="fraud")
    case = CaseFactory()
    CorruptionIncidentFactory(coi_case=case)
    with pytest.raises(IntegrityError), transaction.atomic():
        CorruptionIncidentFactory(coi_case=case)


# --- legal cases -------------------------------------------------------------------------------------------


def test_a_legal_case_is_brought_then_decided_with_its_fine(officer):
    incident = CorruptionIncidentFactory()
    proceeding = services.legal_proceeding_create(
        actor=officer,
        opened_on=dt.date(2025, 1, 15),
        defendant=Defendant.UNDERTAKING,
        incident=incident,
        court="Tribunal correctionnel de Paris",
    )
    assert proceeding.reference == "PROC-2025-001" and proceeding.outcome == ""
    proceeding = services.legal_proceeding_decide(
        actor=officer,
        proceeding=proceeding,
        outcome=ProceedingOutcome.CONVICTION,
        decided_on=dt.date(2025, 5, 6),
        fine_eur=Decimal("150000.00"),
    )
    stored = LegalProceeding.objects.get()
    assert (stored.outcome, stored.decided_on, stored.fine_eur) == (
        "conviction",
        dt.date(2025, 5, 6),
        Decimal("150000.00"),
    )
    assert stored.history.first().history_change_reason == "decided on 06/05/2025: Conviction"


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"outcome": ProceedingOutcome.ACQUITTAL, "fine_eur": Decimal("10")}, "fine_eur"),
        ({"outcome": ProceedingOutcome.CONVICTION, "fine_eur": Decimal("-1")}, "fine_eur"),
        ({"outcome": "prison"}, "outcome"),
        ({"outcome": ProceedingOutcome.CONVICTION, "decided_on": dt.date(2025, 1, 14)}, "decided_on"),
        ({"outcome": ProceedingOutcome.CONVICTION, "decided_on": dt.date(2025, 6, 3)}, "decided_on"),
    ],
)
def test_a_decision_that_does_not_hold_together_is_refused_and_nothing_written(officer, values, field):
    proceeding = LegalProceedingFactory(opened_on=dt.date(2025, 1, 15))
    with pytest.raises(ValidationError) as exc:
        services.legal_proceeding_decide(
            actor=officer, proceeding=proceeding, **{"decided_on": dt.date(2025, 5, 6), **values}
        )
    assert list(exc.value.message_dict) == [field]
    assert LegalProceeding.objects.get().outcome == ""


def test_a_decision_changes_again_only_with_a_reason_an_appeal_for_instance(officer):
    proceeding = LegalProceedingFactory(opened_on=dt.date(2024, 1, 15))
    services.legal_proceeding_decide(
        actor=officer,
        proceeding=proceeding,
        outcome=ProceedingOutcome.CONVICTION,
        decided_on=dt.date(2024, 10, 1),
        fine_eur=Decimal("50000"),
    )
    with pytest.raises(ValidationError) as exc:
        services.legal_proceeding_decide(
            actor=officer, proceeding=proceeding, outcome=ProceedingOutcome.ACQUITTAL, decided_on=dt.date(2025, 5, 6)
        )
    assert list(exc.value.message_dict) == ["reason"]
    services.legal_proceeding_decide(
        actor=officer,
        proceeding=proceeding,
        outcome=ProceedingOutcome.ACQUITTAL,
        decided_on=dt.date(2025, 5, 6),
        reason="Cour d'appel de Paris, 06/05/2025",
    )
    stored = LegalProceeding.objects.get()
    assert (stored.outcome, stored.fine_eur) == ("acquittal", None)
    assert stored.history.count() == 3


def test_a_legal_case_against_a_worker_is_recorded_and_a_future_one_refused(officer):
    proceeding = services.legal_proceeding_create(
        actor=officer, opened_on=dt.date(2025, 2, 1), defendant=Defendant.OWN_WORKER
    )
    assert proceeding.defendant == "own_worker"
    with pytest.raises(ValidationError) as exc:
        services.legal_proceeding_create(actor=officer, opened_on=dt.date(2025, 6, 3), defendant=Defendant.UNDERTAKING)
    assert list(exc.value.message_dict) == ["opened_on"]
    with pytest.raises(ValidationError) as exc:
        services.legal_proceeding_create(actor=officer, opened_on=dt.date(2025, 2, 1), defendant="shareholder")
    assert list(exc.value.message_dict) == ["defendant"]


@pytest.mark.parametrize(
    ("fields", "name"),
    [
        ({"outcome": ProceedingOutcome.CONVICTION, "decided_on": None}, "legalproceeding_outcome_iff_decided"),
        ({"outcome": "", "decided_on": dt.date(2025, 1, 1)}, "legalproceeding_outcome_iff_decided"),
        (
            {"outcome": ProceedingOutcome.CONVICTION, "decided_on": dt.date(2024, 1, 1)},
            "legalproceeding_decided_after_opened",
        ),
        (
            {"outcome": ProceedingOutcome.ACQUITTAL, "decided_on": dt.date(2025, 1, 1), "fine_eur": Decimal("1")},
            "legalproceeding_fine_of_a_conviction_or_cjip",
        ),
        (
            {"outcome": ProceedingOutcome.CONVICTION, "decided_on": dt.date(2025, 1, 1), "fine_eur": Decimal("-1")},
            "legalproceeding_fine_of_a_conviction_or_cjip",
        ),
        ({"defendant": "shareholder"}, "legalproceeding_known_defendant"),
    ],
)
def test_the_database_keeps_a_legal_case_consistent(fields, name):
    with pytest.raises(IntegrityError, match=name), transaction.atomic():
        LegalProceedingFactory(**fields)
