"""Choices of the whistleblowing app and the allowed moves of a report through its workflow."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    WEB = "web", _("Web form")
    EMAIL = "email", _("Email")
    POST = "post", _("Post")
    PHONE = "phone", _("Phone")
    MEETING = "meeting", _("Meeting")
    OTHER = "other", _("Other")


#: Channels of an oral report: minutes are written and offered to the author (a follow-up message).
ORAL_CHANNELS = (Channel.PHONE, Channel.MEETING)


class Category(models.TextChoices):
    CORRUPTION = "corruption", _("Corruption or influence peddling")
    CONFLICT_OF_INTEREST = "conflict_of_interest", _("Conflict of interest")
    FRAUD = "fraud", _("Fraud")
    HARASSMENT = "harassment", _("Harassment")
    DISCRIMINATION = "discrimination", _("Discrimination")
    AML_CFT = "aml_cft", _("Money laundering or terrorist financing")
    PERSONAL_DATA = "personal_data", _("Personal data")
    OTHER = "other", _("Other breach of the law or of the code of conduct")


class Status(models.TextChoices):
    RECEIVED = "received", _("Received")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    ADMISSIBLE = "admissible", _("Admissible")
    INVESTIGATING = "investigating", _("Under investigation")
    FEEDBACK_GIVEN = "feedback_given", _("Feedback given")
    CLOSED = "closed", _("Closed")


#: status → statuses it may move to (whistleblowing/services/reports.py). An inadmissible report is closed at
#: once (the author is told why); admissible ones go through the investigation and the feedback.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    Status.RECEIVED: (Status.ACKNOWLEDGED, Status.ADMISSIBLE, Status.CLOSED),
    Status.ACKNOWLEDGED: (Status.ADMISSIBLE, Status.CLOSED),
    Status.ADMISSIBLE: (Status.INVESTIGATING, Status.FEEDBACK_GIVEN, Status.CLOSED),
    Status.INVESTIGATING: (Status.FEEDBACK_GIVEN, Status.CLOSED),
    Status.FEEDBACK_GIVEN: (Status.INVESTIGATING, Status.CLOSED),
    Status.CLOSED: (),
}

OPEN_STATUSES = tuple(s for s in Status if s != Status.CLOSED)


class Admissibility(models.TextChoices):
    ADMISSIBLE = "admissible", _("Admissible")
    INADMISSIBLE = "inadmissible", _("Inadmissible")


class Proceedings(models.TextChoices):
    """Whether disciplinary or judicial proceedings followed (the retention rule depends on it)."""

    NONE = "none", _("No proceedings")
    PENDING = "pending", _("Proceedings under way")
    ENDED = "ended", _("Proceedings ended")


class AuthorRelation(models.TextChoices):
    """Who may report (loi 2016-1691 art. 8 I A)."""

    EMPLOYEE = "employee", _("Employee")
    FORMER_EMPLOYEE = "former_employee", _("Former employee")
    CANDIDATE = "candidate", _("Job candidate")
    SHAREHOLDER = "shareholder", _("Shareholder or partner")
    BOARD_MEMBER = "board_member", _("Member of a board")
    EXTERNAL_STAFF = "external_staff", _("External or occasional staff")
    CONTRACTOR = "contractor", _("Contractor, subcontractor or their staff")
    OTHER = "other", _("Other")


class Direction(models.TextChoices):
    FROM_AUTHOR = "from_author", _("From the author")
    TO_AUTHOR = "to_author", _("To the author")


class MessageKind(models.TextChoices):
    MESSAGE = "message", _("Message")
    ACKNOWLEDGMENT = "acknowledgment", _("Acknowledgment of receipt")
    ADMISSIBILITY = "admissibility", _("Admissibility decision")
    FEEDBACK = "feedback", _("Feedback on the measures")
    CLOSURE = "closure", _("Closure")
    MINUTES = "minutes", _("Minutes of an oral report")
    MEETING_REQUEST = "meeting_request", _("Meeting request")


class DeadlineKind(models.TextChoices):
    ACKNOWLEDGMENT = "acknowledgment", _("Acknowledgment")
    FEEDBACK = "feedback", _("Feedback")
    MEETING = "meeting", _("Meeting")


class LinkKind(models.TextChoices):
    COI_CASE = "coi_case", _("Conflict-of-interest case")
    AML_ALERT = "aml_alert", _("AML/CFT vigilance alert")
    BREACH = "breach", _("Personal-data breach")
