"""Reads behind the compliance indicators (RULES.md, "Indicator methods"); each returns a core Figure."""
from __future__ import annotations

import datetime as dt

from core.figures import Figure

from .choices import FunctionType, MeasureKind, Qualification, RiskMapKind
from .models import ConflictOfInterestCase, Risk, RiskInterview, RiskMap


def cases_reported_in(year: int):  # noqa: ANN201 - a QuerySet
    return ConflictOfInterestCase.objects.filter(reported_on__year=year)


def coi_suspicions(year: int) -> Figure:
    """E1_COI_SUSPICIONS: conflict-of-interest cases reported in Y."""
    return Figure.count(cases_reported_in(year))


def coi_confirmed_with_refusal_or_sanction(year: int) -> Figure:
    """E1_COI_CONFIRMED_REFUSAL_OR_SANCTION: cases reported in Y, qualified confirmed, whose measures
    include a dossier refused or a sanction."""
    cases = cases_reported_in(year).filter(
        qualification=Qualification.CONFIRMED,
        measures__kind__in=(MeasureKind.DOSSIER_REFUSED, MeasureKind.SANCTION),
    )
    return Figure.count(cases.distinct())


def coi_qualified_with_action_plan(year: int) -> Figure:
    """E1_COI_QUALIFIED_WITH_ACTION_PLAN: cases reported in Y, qualified potential or confirmed, whose
    measures include an action plan."""
    cases = cases_reported_in(year).filter(
        qualification__in=(Qualification.POTENTIAL, Qualification.CONFIRMED), measures__kind=MeasureKind.ACTION_PLAN
    )
    return Figure.count(cases.distinct())


def esrs_g1_4_confirmed_incidents(year: int) -> Figure:
    """ESRS G1-4: confirmed conflict-of-interest incidents reported in Y."""
    return Figure.count(cases_reported_in(year).filter(qualification=Qualification.CONFIRMED))


def esrs_g1_4_disciplinary_actions(year: int) -> Figure:
    """ESRS G1-4: of those, the ones that led to a disciplinary sanction."""
    cases = cases_reported_in(year).filter(qualification=Qualification.CONFIRMED, measures__kind=MeasureKind.SANCTION)
    return Figure.count(cases.distinct())


def map_in_force(kind: str, year: int) -> RiskMap | None:
    """The latest version of that map approved on or before Y-12-31."""
    return (
        RiskMap.objects.filter(kind=kind, approved_on__lte=dt.date(year, 12, 31))
        .order_by("-approved_on", "-version")
        .first()
    )


def _map_risks(kind: str, year: int):  # noqa: ANN202 - a QuerySet
    risk_map = map_in_force(kind, year)
    return Risk.objects.filter(map=risk_map) if risk_map else Risk.objects.none()


def coi_map_risks(year: int) -> Figure:
    """E1_COI_RISK_MAP_RISKS: risks of the COI map in force at the end of Y."""
    return Figure.count(_map_risks(RiskMapKind.CONFLICT_OF_INTEREST, year))


def corruption_map_risks(year: int) -> Figure:
    """E1_CORRUPTION_RISK_MAP_RISKS: risks of the corruption map in force at the end of Y."""
    return Figure.count(_map_risks(RiskMapKind.CORRUPTION, year))


def coi_map_macro_processes(year: int) -> Figure:
    """E1_COI_RISK_MAP_MACRO_PROCESSES: distinct macro-processes among the COI map's risks."""
    from .models import MacroProcess

    ids = _map_risks(RiskMapKind.CONFLICT_OF_INTEREST, year).values("macro_process_id")
    return Figure.count(MacroProcess.objects.filter(pk__in=ids))


def corruption_map_interviews(year: int, *, function_type: str | None = None) -> Figure:
    """E1_CORRUPTION_RISK_MAP_INTERVIEWS: interviews recorded for the corruption map in force at the end
    of Y (optionally of one function type: the parts always add up to the total, by construction)."""
    risk_map = map_in_force(RiskMapKind.CORRUPTION, year)
    interviews = RiskInterview.objects.filter(map=risk_map) if risk_map else RiskInterview.objects.none()
    if function_type:
        interviews = interviews.filter(function_type=function_type)
    return Figure.count(interviews)


def corruption_map_interviews_by_function_type(year: int) -> dict[str, Figure]:
    return {kind: corruption_map_interviews(year, function_type=kind) for kind in FunctionType.values}
