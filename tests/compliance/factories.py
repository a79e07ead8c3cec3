"""factory_boy factories of the compliance app (records created directly; use the services for workflows)."""

from __future__ import annotations

import datetime as dt

import factory

from compliance.choices import (
    CaseSource,
    CaseStatus,
    ControlEffectiveness,
    CorruptionNature,
    Defendant,
    FunctionType,
    RiskMapKind,
)
from compliance.models import (
    ActionItem,
    CaseMeasure,
    ConflictOfInterestCase,
    CorruptionIncident,
    LegalProceeding,
    MacroProcess,
    Risk,
    RiskInterview,
    RiskMap,
)

# cases


class CaseFactory(factory.django.DjangoModelFactory):
    """A received case; `analysis_due_on` as the services compute it (60 days)."""

    class Meta:
        model = ConflictOfInterestCase

    reference = factory.Sequence(lambda n: f"COI-T-{n:04d}")
    reported_on = dt.date(2025, 3, 3)
    source = CaseSource.MANAGER
    status = CaseStatus.RECEIVED
    description = "A loan officer handled a relative's loan application."
    analysis_due_on = factory.LazyAttribute(lambda o: o.reported_on + dt.timedelta(days=60))


class CaseMeasureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CaseMeasure

    case = factory.SubFactory(CaseFactory)
    kind = "action_plan"
    decided_on = factory.LazyAttribute(lambda o: o.case.reported_on)


class ActionItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActionItem

    case = factory.SubFactory(CaseFactory)
    title = factory.Sequence(lambda n: f"Action {n}")
    owner_name = "Head of lending"
    due_on = dt.date(2025, 6, 30)


# risk maps


class MacroProcessFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MacroProcess
        django_get_or_create = ("kind", "code")

    kind = RiskMapKind.CORRUPTION
    code = factory.Sequence(lambda n: f"MP{n:02d}")
    name = factory.LazyAttribute(lambda o: f"Macro-process {o.code}")


class RiskMapFactory(factory.django.DjangoModelFactory):
    """A draft version; use `risk_map_create` to test the numbering and the copy."""

    class Meta:
        model = RiskMap

    kind = RiskMapKind.CORRUPTION
    version = factory.Sequence(lambda n: n + 1)
    title = factory.LazyAttribute(lambda o: f"Map v{o.version}")


class RiskFactory(factory.django.DjangoModelFactory):
    """A risk with its scores computed as the services do (likelihood × impact)."""

    class Meta:
        model = Risk

    map = factory.SubFactory(RiskMapFactory)
    code = factory.Sequence(lambda n: f"R{n:03d}")
    title = factory.LazyAttribute(lambda o: f"Risk {o.code}")
    macro_process = factory.SubFactory(MacroProcessFactory, kind=factory.SelfAttribute("..map.kind"))
    gross_likelihood = 3
    gross_impact = 3
    gross_score = factory.LazyAttribute(lambda o: o.gross_likelihood * o.gross_impact)
    control_effectiveness = ControlEffectiveness.ADEQUATE
    net_likelihood = 2
    net_impact = 2
    net_score = factory.LazyAttribute(lambda o: o.net_likelihood * o.net_impact)


class RiskInterviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RiskInterview

    map = factory.SubFactory(RiskMapFactory)
    held_on = dt.date(2024, 10, 1)
    function = factory.Sequence(lambda n: f"Function {n}")
    function_type = FunctionType.BUSINESS


# corruption incidents and legal cases (ESRS G1-4)


class CorruptionIncidentFactory(factory.django.DjangoModelFactory):
    """A confirmed incident recorded directly; use `coi_case_qualify_as_corruption` for one from a case."""

    class Meta:
        model = CorruptionIncident

    reference = factory.Sequence(lambda n: f"CORR-T-{n:04d}")
    nature = CorruptionNature.PASSIVE_CORRUPTION
    confirmed_on = dt.date(2025, 3, 3)
    description = "An advantage accepted to speed up a loan file."


class LegalProceedingFactory(factory.django.DjangoModelFactory):
    """A pending case against the company; decide it with `legal_proceeding_decide` (or set outcome,
    decided_on and fine_eur together)."""

    class Meta:
        model = LegalProceeding

    reference = factory.Sequence(lambda n: f"PROC-T-{n:04d}")
    defendant = Defendant.UNDERTAKING
    court = "Tribunal judiciaire de Paris"
    opened_on = dt.date(2024, 9, 2)
