"""Choices of the gdpr app, and the allowed transitions of the rights-request workflow."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Right(models.TextChoices):
    ACCESS = "access", _("Access (Art. 15)")
    RECTIFICATION = "rectification", _("Rectification (Art. 16)")
    ERASURE = "erasure", _("Erasure (Art. 17)")
    RESTRICTION = "restriction", _("Restriction (Art. 18)")
    PORTABILITY = "portability", _("Portability (Art. 20)")
    OBJECTION = "objection", _("Objection (Art. 21)")
    AUTOMATED_DECISION = "automated_decision", _("Automated decision (Art. 22)")
    POST_MORTEM = "post_mortem", _("Post-mortem instructions (loi 78-17 art. 85)")
    OTHER = "other", _("Other")


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    POST = "post", _("Post")
    WEB_FORM = "web_form", _("Web form")
    IN_PERSON = "in_person", _("In person")
    OTHER = "other", _("Other")


class RequesterCategory(models.TextChoices):
    CLIENT = "client", _("Client")
    EMPLOYEE = "employee", _("Employee")
    PROSPECT = "prospect", _("Prospect")
    OTHER = "other", _("Other")


class RequestStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    IN_PROGRESS = "in_progress", _("In progress")
    PAUSED = "paused", _("Paused (information awaited)")
    EXTENDED = "extended", _("Extended")
    ANSWERED = "answered", _("Answered")
    REFUSED = "refused", _("Refused")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    CLOSED = "closed", _("Closed")


# A request is open (its deadline runs or is suspended) in these states.
OPEN_REQUEST_STATUSES = (
    RequestStatus.RECEIVED,
    RequestStatus.IN_PROGRESS,
    RequestStatus.PAUSED,
    RequestStatus.EXTENDED,
)

REQUEST_TRANSITIONS: dict[str, tuple[str, ...]] = {
    RequestStatus.RECEIVED: (
        RequestStatus.IN_PROGRESS,
        RequestStatus.PAUSED,
        RequestStatus.EXTENDED,
        RequestStatus.ANSWERED,
        RequestStatus.REFUSED,
        RequestStatus.WITHDRAWN,
    ),
    RequestStatus.IN_PROGRESS: (
        RequestStatus.PAUSED,
        RequestStatus.EXTENDED,
        RequestStatus.ANSWERED,
        RequestStatus.REFUSED,
        RequestStatus.WITHDRAWN,
    ),
    RequestStatus.PAUSED: (RequestStatus.IN_PROGRESS, RequestStatus.EXTENDED, RequestStatus.WITHDRAWN),
    RequestStatus.EXTENDED: (
        RequestStatus.PAUSED,
        RequestStatus.ANSWERED,
        RequestStatus.REFUSED,
        RequestStatus.WITHDRAWN,
    ),
    RequestStatus.ANSWERED: (RequestStatus.CLOSED,),
    RequestStatus.REFUSED: (RequestStatus.CLOSED,),
    RequestStatus.WITHDRAWN: (RequestStatus.CLOSED,),
    RequestStatus.CLOSED: (),
}


class Outcome(models.TextChoices):
    GRANTED = "granted", _("Granted")
    PARTIALLY_GRANTED = "partially_granted", _("Partially granted")
    REFUSED = "refused", _("Refused")
    NO_DATA = "no_data", _("No data held")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    UNFOUNDED = "unfounded", _("Unfounded")


class RefusalGround(models.TextChoices):
    MANIFESTLY_UNFOUNDED = "manifestly_unfounded", _("Manifestly unfounded (Art. 12(5))")
    EXCESSIVE = "excessive", _("Excessive, in particular repetitive (Art. 12(5))")


class PauseReason(models.TextChoices):
    IDENTITY = "identity", _("Identity check (décret 2019-536)")
    CLARIFICATION = "clarification", _("Clarification of the scope (EDPB 01/2022)")


class DeadlineEventKind(models.TextChoices):
    COMPUTED = "computed", _("Computed at receipt")
    PAUSED = "paused", _("Paused")
    RESUMED = "resumed", _("Resumed")
    EXTENDED = "extended", _("Extended")
    RECOMPUTED = "recomputed", _("Recomputed")


class CnilCaseKind(models.TextChoices):
    REFERRAL = "referral", _("Referral by the CNIL (saisine)")
    COMPLAINT_WITHOUT_REFERRAL = "complaint_without_referral", _("Complaint without referral")


class RiskLevel(models.TextChoices):
    NONE = "none", _("Unlikely to result in a risk")
    RISK = "risk", _("Risk")
    HIGH = "high", _("High risk")


class SubjectsExemption(models.TextChoices):
    NONE = "", _("None")
    PROTECTED = "art34_3_a", _("Data made unintelligible, e.g. encrypted (Art. 34(3)(a))")
    MITIGATED = "art34_3_b", _("Subsequent measures remove the high risk (Art. 34(3)(b))")
    DISPROPORTIONATE = "art34_3_c", _("Disproportionate effort: public communication (Art. 34(3)(c))")


class NotificationPhase(models.TextChoices):
    INITIAL = "initial", _("Initial notification")
    COMPLEMENTARY = "complementary", _("Complementary notification")


class ProcessingRole(models.TextChoices):
    CONTROLLER = "controller", _("Controller")
    PROCESSOR = "processor", _("Processor")
