"""Reads behind the compliance indicators (docs/rules.md, "Indicator methods"); each returns a core Figure."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet, Sum

from core.figures import Figure

from .choices import OUTCOMES_WITH_FINE, FunctionType, MeasureKind, ProceedingOutcome, Qualification, RiskMapKind
from .models import ConflictOfInterestCase, CorruptionIncident, LegalProceeding, Risk, RiskInterview, RiskMap

if TYPE_CHECKING:
    from reporting.registry import EntityScope


def _of(queryset: QuerySet[Any], entity: EntityScope | None) -> QuerySet[Any]:
    """`queryset`'s records of `entity` only (its `entity`; none: the parent company's), or all of them."""
    return queryset if entity is None else queryset.filter(entity.q())


def cases_reported_in(year: int, entity: EntityScope | None = None):
    return _of(ConflictOfInterestCase.objects.filter(reported_on__year=year), entity)


def coi_suspicions(year: int, *, entity: EntityScope | None = None) -> Figure:
    """E1_COI_SUSPICIONS: conflict-of-interest cases reported in Y."""
    return Figure.count(cases_reported_in(year, entity))


def coi_confirmed_with_refusal_or_sanction(year: int, *, entity: EntityScope | None = None) -> Figure:
    """E1_COI_CONFIRMED_REFUSAL_OR_SANCTION: cases reported in Y, qualified confirmed, whose measures
    include a dossier refused or a sanction."""
    cases = cases_reported_in(year, entity).filter(
        qualification=Qualification.CONFIRMED,
        measures__kind__in=(MeasureKind.DOSSIER_REFUSED, MeasureKind.SANCTION),
    )
    return Figure.count(cases.distinct())


def coi_qualified_with_action_plan(year: int, *, entity: EntityScope | None = None) -> Figure:
    """E1_COI_QUALIFIED_WITH_ACTION_PLAN: cases reported in Y, qualified potential or confirmed, whose
    measures include an action plan."""
    cases = cases_reported_in(year, entity).filter(
        qualification__in=(Qualification.POTENTIAL, Qualification.CONFIRMED), measures__kind=MeasureKind.ACTION_PLAN
    )
    return Figure.count(cases.distinct())


# -- ESRS G1-4 (§24-25): incidents of corruption or bribery, convictions and fines ----------------------------
# A confirmed conflict of interest is not an incident of corruption: only the incidents recorded as such
# (CorruptionIncident, a case qualified as corruption included) are counted.


def incidents_confirmed_in(year: int, entity: EntityScope | None = None):
    return _of(CorruptionIncident.objects.confirmed_in(year), entity)


def esrs_g1_4_confirmed_incidents(year: int, *, entity: EntityScope | None = None) -> Figure:
    """G1_4_CONFIRMED_INCIDENTS: incidents of corruption or bribery confirmed in Y (§25 a)."""
    return Figure.count(incidents_confirmed_in(year, entity))


def esrs_g1_4_disciplinary_actions(year: int, *, entity: EntityScope | None = None) -> Figure:
    """G1_4_DISCIPLINARY_ACTIONS: of those, the incidents in which own workers were dismissed or
    disciplined (§25 b)."""
    return Figure.count(incidents_confirmed_in(year, entity).filter(workers_disciplined=True))


def esrs_g1_4_partner_contracts_terminated(year: int, *, entity: EntityScope | None = None) -> Figure:
    """G1_4_PARTNER_CONTRACTS_TERMINATED: of those, the incidents in which a contract with a business
    partner was terminated or not renewed (§25 c)."""
    return Figure.count(incidents_confirmed_in(year, entity).filter(partner_contract_terminated=True))


def _company_decisions_in(year: int, entity: EntityScope | None = None):
    return _of(LegalProceeding.objects.against_the_undertaking().decided_in(year), entity)


def esrs_g1_4_convictions(year: int, *, entity: EntityScope | None = None) -> Figure:
    """G1_4_CONVICTIONS: convictions of the company (or an entity of the group) for violation of
    anti-corruption and anti-bribery laws, decided in Y (§24 a). A CJIP is not a conviction."""
    return Figure.count(_company_decisions_in(year, entity).filter(outcome=ProceedingOutcome.CONVICTION))


def esrs_g1_4_fines(year: int, *, entity: EntityScope | None = None) -> Figure:
    """G1_4_FINES_EUR: the fines of those convictions and the public-interest fines of the CJIPs decided in
    Y against the company, in euros (§24 a); 0 when there is none. The records: every such decision."""
    decisions = _company_decisions_in(year, entity).filter(outcome__in=OUTCOMES_WITH_FINE)
    total = decisions.aggregate(total=Sum("fine_eur"))["total"] or Decimal(0)
    figure = Figure.count(decisions)
    return Figure(value=total.quantize(Decimal("0.01")), model=figure.model, record_ids=figure.record_ids)


def map_in_force(kind: str, year: int) -> RiskMap | None:
    """The latest version of that map approved on or before Y-12-31."""
    return (
        RiskMap.objects.filter(kind=kind, approved_on__lte=dt.date(year, 12, 31))
        .order_by("-approved_on", "-version")
        .first()
    )


def _map_risks(kind: str, year: int):
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
