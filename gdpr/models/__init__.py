"""Models of the gdpr app: rights requests, CNIL cases, breaches and the Art. 30 register."""

from .breaches import Breach, BreachNotification
from .cnil import CnilCase, CnilCaseAttachment
from .register import ProcessingActivity
from .rights import DeadlineEvent, RightsRequest, RightsRequestPause

__all__ = [
    "Breach",
    "BreachNotification",
    "CnilCase",
    "CnilCaseAttachment",
    "DeadlineEvent",
    "ProcessingActivity",
    "RightsRequest",
    "RightsRequestPause",
]
