"""Models of the compliance app: conflict-of-interest cases, action plans and the Sapin II risk maps."""
from .cases import CaseMeasure, ConflictOfInterestCase
from .plans import ActionItem
from .riskmaps import MacroProcess, Risk, RiskInterview, RiskMap

__all__ = ["ActionItem", "CaseMeasure", "ConflictOfInterestCase", "MacroProcess", "Risk", "RiskInterview", "RiskMap"]
