"""Each computation declares the kinds of record its value stands on (reporting/registry.py, `models`): who
may read a value of a year not frozen is judged on them (reporting/visibility.py), for a year never stored
too, and "no data" stands on what `has_data` reads."""

from __future__ import annotations

import datetime as dt

import pytest

from compliance.models import ConflictOfInterestCase
from core.figures import Figure
from gdpr import indicators as gdpr_indicators
from reporting import registry, services
from tests.compliance.factories import CaseFactory

pytestmark = pytest.mark.django_db


def test_every_computation_declares_the_kinds_of_record_it_stands_on(monkeypatch):
    """The rule judges a value on the models its computation declares (a year never computed included): a
    computation without them is refused by the system check (reporting.E003)."""
    assert all(computation.models for computation in registry.computations().values())
    # "No data" for G1-4 while compliance holds nothing for the year: its cases tell 0 from "no data".
    assert "compliance.conflictofinterestcase" in registry.computation("G1_4_CONFIRMED_INCIDENTS").models
    monkeypatch.setattr(registry, "_COMPUTATIONS", dict(registry._COMPUTATIONS))
    registry._COMPUTATIONS["E2_CNIL_REFERRALS"] = registry.Computation("E2_CNIL_REFERRALS", lambda year: None)
    registry._COMPUTATIONS["E2_BREACH_NOTIFICATIONS"] = registry.Computation(
        "E2_BREACH_NOTIFICATIONS", lambda year: None, models=("gdpr.nothing",)
    )
    errors = {str(error.msg) for error in registry.check_registry() if error.id == "reporting.E003"}
    assert any(message.startswith("E2_CNIL_REFERRALS declares no model") for message in errors)
    assert any("'gdpr.nothing'" in message for message in errors)


def test_a_value_counting_records_its_computation_does_not_declare_is_an_error(monkeypatch):
    """Else the records of a kind a role may not view would be counted in a value shown to it."""
    case = CaseFactory(reported_on=dt.date(2025, 3, 3))
    leaky = registry.Computation(
        "E2_CNIL_REFERRALS",
        lambda year: Figure.count(ConflictOfInterestCase.objects.filter(pk=case.pk)),
        models=gdpr_indicators.MODELS,
    )
    monkeypatch.setitem(registry._COMPUTATIONS, "E2_CNIL_REFERRALS", leaky)
    evaluated = services.year_evaluate(2025, codes=["E2_CNIL_REFERRALS"])["E2_CNIL_REFERRALS"]
    assert evaluated.status == "error" and evaluated.value is None and evaluated.records == []
    assert "compliance.conflictofinterestcase" in evaluated.message
