"""How long the gdpr records keep their personal data (core/retention.py; settings.VIGIE_RETENTION).

What stays after anonymisation is what the indicators and the register need: references, dates,
rights, channels, statuses, outcomes, deadlines and their explanation (computed from dates only),
categories and counts. A rights request that a CNIL case not anonymised yet refers to waits for it (a
hold): both are gdpr records with the same readers (the DPO, compliance officers, auditors), so the wait
tells nobody about a record they may not view (the system check core.E303 keeps it so).
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from core.retention import REDACT, Hold, Period, Policy, Related

from .choices import CnilCaseKind

# Code civil art. 2224: the common limitation period of five years, during which Vigie may have to
# prove how a request or a case was handled (accountability, GDPR Art. 5(2)).
FIVE_YEARS_BASIS = (
    "GDPR Art. 5(1)(e) and 5(2); five years: limitation period of Code civil art. 2224, to prove the handling"
)

POLICIES = (
    Policy(
        code="gdpr.rights_request",
        model="gdpr.rightsrequest",
        label=_("rights requests"),
        # Closed (filed away), else answered, refused or withdrawn: an open request never expires.
        start=("closed_at", "answered_at"),
        start_label=_("closure (or the answer)"),
        default=Period(years=5),
        basis=FIVE_YEARS_BASIS + " (covers the three years the CNIL asks to keep an objection)",
        fields={
            "requester_name": "",
            "requester_email": "",
            "requester_address": "",
            "extension_reason": REDACT,  # the constraint "an extension has its reasons" keeps holding
            "notes": REDACT,
        },
        related=(
            Related("gdpr.rightsrequestpause", "request", {"note": REDACT}),
            Related("gdpr.deadlineevent", "request", {"reason": REDACT}),
        ),
    ),
    Policy(
        code="gdpr.cnil_case",
        model="gdpr.cnilcase",
        label=_("CNIL referrals and complaints"),
        # From its answer; a complaint without referral that no CNIL letter asked to answer (no reply date)
        # and was never answered, from its receipt. A case still awaiting the reply the CNIL asked for waits.
        start=("answered_on", "received_on"),
        start_label=_("the answer (a complaint without referral with no reply date asked: its receipt)"),
        only=Q(answered_on__isnull=False) | Q(kind=CnilCaseKind.COMPLAINT_WITHOUT_REFERRAL, due_on__isnull=True),
        default=Period(years=5),
        basis=FIVE_YEARS_BASIS + " (cooperation with the CNIL, Art. 31)",
        fields={"subject": REDACT, "notes": REDACT},
        related=(Related("gdpr.cnilcaseattachment", "case", {"description": REDACT}, files=("file",)),),
    ),
    Policy(
        code="gdpr.breach",
        model="gdpr.breach",
        label=_("personal-data breaches"),
        start=("closed_at",),
        start_label=_("closure"),
        default=Period(years=5),
        basis=(
            "GDPR Art. 33(5) sets no period for the register; five years (Code civil art. 2224). The "
            "register entry stays (dates, decision, categories, counts), its free texts go"
        ),
        fields={
            "title": REDACT,
            "description": REDACT,
            "risk_reasoning": REDACT,
            "decision_reasoning": REDACT,  # constraint: deciding not to notify is reasoned
            "delay_reasons": REDACT,  # constraint: a late notification gives its reasons
            "subjects_exemption_reasoning": REDACT,  # constraint: an exemption is reasoned
            "likely_consequences": REDACT,
            "measures": REDACT,
        },
        related=(Related("gdpr.breachnotification", "breach", {"content": REDACT}),),
    ),
)


HOLDS = (
    Hold(
        "gdpr.rightsrequest",
        holder="gdpr.cnilcase",
        keep=lambda cases: Exists(cases.filter(rights_request=OuterRef("pk"))),
        reason="a CNIL case about the request keeps it until the case itself is anonymised",
    ),
)
