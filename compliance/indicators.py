"""The compliance indicators (reporting/registry.py): the DPEF's enjeu 1 figures on conflicts of
interest and the risk maps, and ESRS G1-4 (incidents of corruption, convictions, fines), with the
selectors that compute them (compliance/selectors.py)."""
from __future__ import annotations

import datetime as dt

from reporting.registry import Computation, shared

from . import selectors
from .choices import RiskMapKind
from .models import CorruptionIncident, LegalProceeding, RiskMap


def has_data(year: int) -> bool:
    """Whether compliance/ holds anything for Y: a case reported, an incident confirmed, a legal case
    brought or decided in Y, or a risk map approved by 31/12. A year with data and no incident has 0
    incidents (computed), not "no data"."""
    return shared(("compliance.has_data", year), lambda: _has_data(year))


def _has_data(year: int) -> bool:
    return (selectors.cases_reported_in(year).exists()
            or CorruptionIncident.objects.confirmed_in(year).exists()
            or LegalProceeding.objects.filter(opened_on__year=year).exists()
            or LegalProceeding.objects.decided_in(year).exists()
            or RiskMap.objects.filter(approved_on__lte=dt.date(year, 12, 31)).exists())


#: What `has_data` reads: every figure it guards stands on these records too ("no data" or 0 tells them).
HAS_DATA_MODELS = ("compliance.conflictofinterestcase", "compliance.corruptionincident", "compliance.legalproceeding",
                   "compliance.riskmap")
CASES = ("compliance.conflictofinterestcase", "compliance.casemeasure")
INCIDENTS = ("compliance.corruptionincident",)
PROCEEDINGS = ("compliance.legalproceeding",)


def _c(code: str, compute, models: tuple[str, ...]) -> Computation:
    return Computation(code, compute, has_data=has_data, models=tuple(dict.fromkeys(HAS_DATA_MODELS + models)))


def _map(code: str, compute, kind: str, *models: str) -> Computation:
    """A risk-map figure: "no data" while no map of that kind was approved by 31/12 (not 0 risks)."""
    return Computation(code, compute, has_data=lambda year: selectors.map_in_force(kind, year) is not None,
                       models=("compliance.riskmap", *models))


INDICATORS = (
    _c("E1_COI_SUSPICIONS", selectors.coi_suspicions, CASES),
    _c("E1_COI_CONFIRMED_REFUSAL_OR_SANCTION", selectors.coi_confirmed_with_refusal_or_sanction, CASES),
    _c("E1_COI_QUALIFIED_WITH_ACTION_PLAN", selectors.coi_qualified_with_action_plan, CASES),
    _map("E1_COI_RISK_MAP_RISKS", selectors.coi_map_risks, RiskMapKind.CONFLICT_OF_INTEREST, "compliance.risk"),
    _map("E1_COI_RISK_MAP_MACRO_PROCESSES", selectors.coi_map_macro_processes, RiskMapKind.CONFLICT_OF_INTEREST,
         "compliance.risk", "compliance.macroprocess"),
    _map("E1_CORRUPTION_RISK_MAP_RISKS", selectors.corruption_map_risks, RiskMapKind.CORRUPTION, "compliance.risk"),
    _map("E1_CORRUPTION_RISK_MAP_INTERVIEWS", selectors.corruption_map_interviews, RiskMapKind.CORRUPTION,
         "compliance.riskinterview"),
    _c("G1_4_CONFIRMED_INCIDENTS", selectors.esrs_g1_4_confirmed_incidents, INCIDENTS),
    _c("G1_4_DISCIPLINARY_ACTIONS", selectors.esrs_g1_4_disciplinary_actions, INCIDENTS),
    _c("G1_4_PARTNER_CONTRACTS_TERMINATED", selectors.esrs_g1_4_partner_contracts_terminated, INCIDENTS),
    _c("G1_4_CONVICTIONS", selectors.esrs_g1_4_convictions, PROCEEDINGS),
    _c("G1_4_FINES_EUR", selectors.esrs_g1_4_fines, PROCEEDINGS),
)
