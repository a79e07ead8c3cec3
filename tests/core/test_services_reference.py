"""core.services.insert_with_reference: the one insert-under-a-generated-reference of the services (COI
cases, sessions, corruption incidents and legal cases): a number taken meanwhile is retried with the
next, a given reference already used is refused on its field, any other integrity error is raised as it
is (it used to be retried, then reported as "no free reference")."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from compliance.models import ConflictOfInterestCase
from core import services
from tests.compliance.factories import CaseFactory

pytestmark = pytest.mark.django_db


def insert(case: ConflictOfInterestCase, given: str = "") -> None:
    services.insert_with_reference(
        case,
        actor=None,
        reason="reported",
        prefix="COI-2025-",
        width=3,
        given=given,
        taken_message="taken",
        failed_message="no free reference",
    )


def new(**fields) -> ConflictOfInterestCase:
    return ConflictOfInterestCase(
        **{"reported_on": dt.date(2025, 1, 2), "analysis_due_on": dt.date(2025, 3, 3), **fields}
    )


def test_a_number_taken_meanwhile_is_retried_with_the_next(monkeypatch):
    CaseFactory(reference="COI-2025-001")
    proposals = iter(["COI-2025-001", "COI-2025-002"])  # as if a concurrent insert won the first
    monkeypatch.setattr(services, "next_reference", lambda *args, **kwargs: next(proposals))
    case = new()
    insert(case)
    assert case.reference == "COI-2025-002" and case.history.get().history_change_reason == "reported"


def test_a_given_reference_already_used_is_refused_on_its_field():
    CaseFactory(reference="COI-X")
    with pytest.raises(ValidationError) as exc:
        insert(new(), given="COI-X")
    assert exc.value.message_dict == {"reference": ["taken"]}
    assert ConflictOfInterestCase.objects.count() == 1


def test_another_integrity_error_is_not_mistaken_for_a_taken_reference():
    with pytest.raises(IntegrityError, match="coicase_closed_after_qualified"):
        insert(new(closed_on=dt.date(2025, 2, 1)))  # closed without a qualification
    assert not ConflictOfInterestCase.objects.exists()


def test_it_gives_up_after_a_few_taken_numbers(monkeypatch):
    CaseFactory(reference="COI-2025-001")
    monkeypatch.setattr(services, "next_reference", lambda *args, **kwargs: "COI-2025-001")
    with pytest.raises(ValidationError) as exc:
        insert(new())
    assert exc.value.message_dict == {"reference": ["no free reference"]}
