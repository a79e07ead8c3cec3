"""Corruption incidents and legal cases in the admin (ESRS G1-4): the "Qualify as corruption" button of a
confirmed case, the add and change forms through the services (a refusal on the form, never a 500), the
decision button of a legal case, and read-only for auditors."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import partial

import pytest

from compliance.choices import CaseStatus, ProceedingOutcome
from compliance.models import CorruptionIncident, LegalProceeding
from tests.clients import admin_client, messages_of
from tests.compliance.factories import (
    CaseFactory,
    CaseMeasureFactory,
    CorruptionIncidentFactory,
    LegalProceedingFactory,
)
from tests.factories import LegalEntityFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("roles"),
    pytest.mark.time_machine(dt.datetime(2025, 6, 2, 10, 0, tzinfo=dt.UTC), tick=False),
]
CASES = "/admin/compliance/conflictofinterestcase/"
INCIDENTS = "/admin/compliance/corruptionincident/"
PROCEEDINGS = "/admin/compliance/legalproceeding/"
client_for = partial(admin_client, language="en")


def confirmed(**kwargs):
    return CaseFactory(
        status=CaseStatus.QUALIFIED, qualification="confirmed", qualified_on=dt.date(2025, 3, 10), **kwargs
    )


def test_a_confirmed_case_is_qualified_as_corruption_by_its_button():
    case = confirmed(entity=LegalEntityFactory(code="ALS"))
    CaseMeasureFactory(case=case, kind="sanction")
    client = client_for("Compliance officer")
    assert "do/qualify-corruption/" in client.get(f"{CASES}{case.pk}/change/").content.decode()
    response = client.post(
        f"{CASES}{case.pk}/do/qualify-corruption/",
        {"nature": "passive_corruption", "confirmed_on": "2025-05-02", "partner_contract_terminated": "on"},
        follow=True,
    )
    assert "Case recorded as a corruption incident." in messages_of(response)
    incident = CorruptionIncident.objects.get()
    assert (
        incident.coi_case,
        incident.entity.code,
        incident.workers_disciplined,
        incident.partner_contract_terminated,
    ) == (case, "ALS", True, True)
    body = client.get(f"{CASES}{case.pk}/change/").content.decode()
    assert incident.reference in body and "do/qualify-corruption/" not in body


def test_a_potential_case_has_no_corruption_button_and_a_forced_post_is_refused_on_the_form():
    case = CaseFactory(status=CaseStatus.QUALIFIED, qualification="potential", qualified_on=dt.date(2025, 3, 10))
    client = client_for("Compliance officer")
    assert "do/qualify-corruption/" not in client.get(f"{CASES}{case.pk}/change/").content.decode()
    response = client.post(
        f"{CASES}{case.pk}/do/qualify-corruption/", {"nature": "passive_corruption", "confirmed_on": "2025-05-02"}
    )
    assert response.status_code == 200
    assert (
        "Only a case qualified confirmed conflict of interest is qualified as corruption" in response.content.decode()
    )
    assert not CorruptionIncident.objects.exists()


def test_an_incident_is_added_through_the_service_and_a_refusal_stays_on_the_form():
    client = client_for("Compliance officer")
    response = client.post(
        f"{INCIDENTS}add/",
        {"reference": "", "nature": "active_corruption", "confirmed_on": "2025-05-20", "description": "Audit finding."},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    incident = CorruptionIncident.objects.get()
    assert incident.reference == "CORR-2025-001" and incident.history.get().history_user is not None
    potential = CaseFactory(status=CaseStatus.QUALIFIED, qualification="potential", qualified_on=dt.date(2025, 3, 10))
    response = client.post(
        f"{INCIDENTS}add/",
        {"reference": "", "nature": "active_corruption", "confirmed_on": "2025-05-20", "coi_case": potential.pk},
    )
    assert response.status_code == 200 and "is qualified as corruption" in response.content.decode()
    response = client.post(
        f"{INCIDENTS}add/", {"reference": "", "nature": "active_corruption", "confirmed_on": "2025-06-03"}
    )
    assert response.status_code == 200 and "is in the future" in response.content.decode()
    assert CorruptionIncident.objects.count() == 1


def test_an_incident_is_changed_through_the_service_with_its_history():
    incident = CorruptionIncidentFactory(confirmed_on=dt.date(2025, 3, 3))
    client = client_for("Compliance officer")
    response = client.post(
        f"{INCIDENTS}{incident.pk}/change/",
        {
            "nature": incident.nature,
            "confirmed_on": "2025-03-03",
            "description": incident.description,
            "partner_contract_terminated": "on",
            "proceedings-TOTAL_FORMS": "0",
            "proceedings-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    incident.refresh_from_db()
    assert incident.partner_contract_terminated
    assert incident.history.first().history_change_reason == "updated: partner_contract_terminated"


def test_a_legal_case_is_brought_then_decided_by_its_button():
    client = client_for("Compliance officer")
    response = client.post(
        f"{PROCEEDINGS}add/",
        {"reference": "", "defendant": "undertaking", "opened_on": "2025-01-15", "court": "Tribunal correctionnel"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    proceeding = LegalProceeding.objects.get()
    assert proceeding.reference == "PROC-2025-001"
    assert "do/decide/" in client.get(f"{PROCEEDINGS}{proceeding.pk}/change/").content.decode()
    response = client.post(
        f"{PROCEEDINGS}{proceeding.pk}/do/decide/",
        {"outcome": "conviction", "decided_on": "2025-05-06", "fine_eur": "150000"},
        follow=True,
    )
    assert "Decision recorded." in messages_of(response)
    proceeding.refresh_from_db()
    assert (proceeding.outcome, proceeding.fine_eur) == (ProceedingOutcome.CONVICTION, Decimal("150000.00"))
    # Changing it again needs a reason: refused on the form, nothing written.
    response = client.post(
        f"{PROCEEDINGS}{proceeding.pk}/do/decide/", {"outcome": "acquittal", "decided_on": "2025-05-20"}
    )
    assert response.status_code == 200 and "give the reason to change it" in response.content.decode()
    proceeding.refresh_from_db()
    assert proceeding.outcome == ProceedingOutcome.CONVICTION


def test_the_auditor_reads_and_changes_nothing():
    incident = CorruptionIncidentFactory()
    proceeding = LegalProceedingFactory(incident=incident)
    client = client_for("Auditor")
    for url in (
        INCIDENTS,
        f"{INCIDENTS}{incident.pk}/change/",
        PROCEEDINGS,
        f"{PROCEEDINGS}{proceeding.pk}/change/",
        f"{INCIDENTS}{incident.pk}/history/",
    ):
        assert client.get(url).status_code == 200, url
    assert client.get(f"{INCIDENTS}add/").status_code == 403
    assert (
        client.post(
            f"{PROCEEDINGS}{proceeding.pk}/do/decide/", {"outcome": "conviction", "decided_on": "2025-05-06"}
        ).status_code
        == 403
    )
    assert "do/decide/" not in client.get(f"{PROCEEDINGS}{proceeding.pk}/change/").content.decode()
    for role in ("DPO", "Training manager"):
        assert client_for(role).get(INCIDENTS).status_code == 403


def test_the_lists_filter_and_their_query_counts_are_pinned(django_assert_max_num_queries):
    for n in range(20):
        incident = CorruptionIncidentFactory(coi_case=CaseFactory(), entity=LegalEntityFactory())
        LegalProceedingFactory(
            incident=incident,
            entity=incident.entity,
            outcome="conviction",
            decided_on=dt.date(2025, 1, 1 + n),
            fine_eur=Decimal(n),
        )
    client = client_for("Auditor")
    with django_assert_max_num_queries(12):
        assert client.get(INCIDENTS).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(PROCEEDINGS).status_code == 200
    assert client.get(INCIDENTS, {"nature__exact": "passive_corruption", "year": "2025"}).status_code == 200
    assert client.get(PROCEEDINGS, {"outcome__exact": "conviction", "year": "2025"}).status_code == 200
