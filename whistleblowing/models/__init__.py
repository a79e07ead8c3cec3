"""Models of the whistleblowing app: the report's public part (reports.py) and its sealed content (content.py)."""

from .content import Attachment, FollowUpAccess, Message, ReportContent, ReportLink
from .reports import DeadlineEvent, ReferentAssignment, Report

__all__ = [
    "Attachment",
    "DeadlineEvent",
    "FollowUpAccess",
    "Message",
    "ReferentAssignment",
    "Report",
    "ReportContent",
    "ReportLink",
]
