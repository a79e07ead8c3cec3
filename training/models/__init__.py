"""Training: modules, LMS completions, workshop sessions with attendance, phishing campaigns."""

from .completions import Completion
from .figures import ModuleFigures
from .modules import Module
from .phishing import PhishingCampaign
from .sessions import Attendance, Session

__all__ = ["Attendance", "Completion", "Module", "ModuleFigures", "PhishingCampaign", "Session"]
