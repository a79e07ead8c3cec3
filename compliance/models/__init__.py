"""Models of the compliance app: conflict-of-interest cases, action plans, the Sapin II risk maps, and the
confirmed incidents of corruption with their legal cases (ESRS G1-4)."""

from .cases import CaseMeasure, ConflictOfInterestCase
from .corruption import CorruptionIncident, LegalProceeding
from .plans import ActionItem
from .riskmaps import MacroProcess, Risk, RiskInterview, RiskMap

__all__ = [
    "ActionItem",
    "CaseMeasure",
    "ConflictOfInterestCase",
    "CorruptionIncident",
    "LegalProceeding",
    "MacroProcess",
    "Risk",
    "RiskInterview",
    "RiskMap",
]
