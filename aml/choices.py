"""Choices of the AML/CFT app and the allowed transitions of a vigilance alert."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CounterpartyKind(models.TextChoices):
    PERSON = "person", _("Person")
    COMPANY = "company", _("Company")


class EntryKind(models.TextChoices):
    PERSON = "person", _("Person")
    COMPANY = "company", _("Company")


class AlertSource(models.TextChoices):
    LOAN = "loan", _("Loan")
    SUBSIDY = "subsidy", _("Subsidy")
    HOUSING_ALLOCATION = "housing_allocation", _("Housing allocation")
    SCREENING = "screening", _("Asset-freeze screening")
    OTHER = "other", _("Other")


class AlertStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ANALYSING = "analysing", _("Under analysis")
    DECIDED = "decided", _("Decided")


class Decision(models.TextChoices):
    CLOSED = "closed", _("Closed with reasons")
    ENHANCED_EXAMINATION = "enhanced_examination", _("Enhanced examination")
    TRACFIN_REPORT = "tracfin_report", _("Suspicious transaction report to TRACFIN")


#: status → statuses it may move to. A decided alert may still change decision only from an enhanced
#: examination (its outcome: closed or reported); closed and reported are final (aml/services/alerts.py).
ALERT_TRANSITIONS: dict[str, tuple[str, ...]] = {
    AlertStatus.OPEN: (AlertStatus.ANALYSING, AlertStatus.DECIDED),
    AlertStatus.ANALYSING: (AlertStatus.DECIDED,),
    AlertStatus.DECIDED: (),
}
#: decision → decisions that may follow it.
DECISION_FOLLOWS: dict[str, tuple[str, ...]] = {
    Decision.ENHANCED_EXAMINATION: (Decision.CLOSED, Decision.TRACFIN_REPORT),
    Decision.CLOSED: (),
    Decision.TRACFIN_REPORT: (),
}
OPEN_ALERT_STATUSES = (AlertStatus.OPEN, AlertStatus.ANALYSING)


class HitStatus(models.TextChoices):
    PENDING = "pending", _("Pending review")
    CONFIRMED = "confirmed", _("Confirmed")
    FALSE_POSITIVE = "false_positive", _("False positive")


class BirthSignal(models.TextChoices):
    SUPPORTS = "supports", _("Birth date supports the match")
    NEUTRAL = "neutral", _("Birth date neutral")
    ABSENT = "absent", _("No birth date on one side")


class ScreeningTrigger(models.TextChoices):
    NIGHTLY = "nightly", _("Nightly")
    LIST_IMPORT = "list_import", _("Screening list imported")
    COUNTERPARTY_CHANGE = "counterparty_change", _("Counterparties changed")
    MANUAL = "manual", _("Manual")


class RunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
