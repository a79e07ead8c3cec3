"""Choices of the compliance app and the allowed transitions of the conflict-of-interest workflow."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseSource(models.TextChoices):
    SELF_DECLARATION = "self_declaration", _("Self-declaration")
    MANAGER = "manager", _("Manager")
    CONTROL = "control", _("Control")
    WHISTLEBLOWING = "whistleblowing", _("Whistleblowing")
    AUDIT = "audit", _("Audit")
    OTHER = "other", _("Other")


class DossierType(models.TextChoices):
    LOAN = "loan", _("Loan")
    SUBSIDY = "subsidy", _("Subsidy")
    HOUSING_ALLOCATION = "housing_allocation", _("Housing allocation")
    PROCUREMENT = "procurement", _("Procurement")
    HR = "hr", _("Human resources")
    OTHER = "other", _("Other")


class CaseStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    UNDER_ANALYSIS = "under_analysis", _("Under analysis")
    QUALIFIED = "qualified", _("Qualified")
    CLOSED = "closed", _("Closed")


CASE_TRANSITIONS: dict[str, tuple[str, ...]] = {
    CaseStatus.RECEIVED: (CaseStatus.UNDER_ANALYSIS, CaseStatus.QUALIFIED),
    CaseStatus.UNDER_ANALYSIS: (CaseStatus.QUALIFIED,),
    CaseStatus.QUALIFIED: (CaseStatus.CLOSED, CaseStatus.UNDER_ANALYSIS),
    # Reopening (with a reason) sends a closed case back to analysis.
    CaseStatus.CLOSED: (CaseStatus.UNDER_ANALYSIS,),
}
OPEN_CASE_STATUSES = (CaseStatus.RECEIVED, CaseStatus.UNDER_ANALYSIS, CaseStatus.QUALIFIED)


class Qualification(models.TextChoices):
    UNFOUNDED = "unfounded", _("Unfounded")
    POTENTIAL = "potential", _("Potential conflict of interest")
    CONFIRMED = "confirmed", _("Confirmed conflict of interest")


class MeasureKind(models.TextChoices):
    ACTION_PLAN = "action_plan", _("Action plan")
    DOSSIER_REFUSED = "dossier_refused", _("Dossier refused")
    SANCTION = "sanction", _("Disciplinary sanction")
    REFERRAL = "referral", _("Referral to the authorities")


class RiskMapKind(models.TextChoices):
    CONFLICT_OF_INTEREST = "conflict_of_interest", _("Conflicts of interest")
    CORRUPTION = "corruption", _("Corruption")


class ControlEffectiveness(models.TextChoices):
    NONE = "none", _("No control")
    WEAK = "weak", _("Weak")
    ADEQUATE = "adequate", _("Adequate")
    STRONG = "strong", _("Strong")


class FunctionType(models.TextChoices):
    BUSINESS = "business", _("Business function")
    SUPPORT = "support", _("Support function")


class CorruptionNature(models.TextChoices):
    """What a confirmed incident is, in the terms of loi Sapin II art. 17 ("faits de corruption ou de
    trafic d'influence") and the Code pénal (art. 432-11, 433-1, 433-2, 435-1 ff., 445-1 ff.)."""

    ACTIVE_CORRUPTION = "active_corruption", _("Active corruption")
    PASSIVE_CORRUPTION = "passive_corruption", _("Passive corruption")
    INFLUENCE_PEDDLING = "influence_peddling", _("Influence peddling")


class Defendant(models.TextChoices):
    """Against whom a legal case was brought (ESRS G1-4: the undertaking and its own workers)."""

    UNDERTAKING = "undertaking", _("The company or an entity of the group")
    OWN_WORKER = "own_worker", _("An own worker")


class ProceedingOutcome(models.TextChoices):
    """How a legal case ended (empty while pending). A judicial public-interest agreement (CJIP, loi Sapin
    II art. 22) is not a conviction, but it imposes a public-interest fine."""

    CONVICTION = "conviction", _("Conviction")
    ACQUITTAL = "acquittal", _("Acquittal")
    DISMISSAL = "dismissal", _("Dismissed (no further action, no case to answer)")
    SETTLEMENT = "settlement", _("Judicial public-interest agreement (CJIP)")


#: The outcomes that impose a fine.
OUTCOMES_WITH_FINE = (ProceedingOutcome.CONVICTION, ProceedingOutcome.SETTLEMENT)
