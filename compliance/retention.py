"""How long the conflict-of-interest cases keep their personal data (core/retention.py).

A case is a report about people (the reporter, who may be a whistleblower, the employees and third
parties concerned): the CNIL's référentiel on professional alert systems (délibération n° 2023-064 of
6 July 2023, which replaced n° 2019-139) and loi Sapin II art. 9 say how long. Two record types:
- closed without disciplinary or judicial follow-up: destroyed or anonymised within two months of the
  closure of the verifications;
- closed with a disciplinary sanction or a referral to the authorities: kept until the end of the
  proceedings and of the appeals; Vigie does not know that date, so the default is six years after
  closure (the limitation period of a délit, code de procédure pénale art. 8), to adapt when needed.

What stays is what the indicators need: reference, dates, source, entity, macro-process, dossier type,
status, qualification, the kinds and dates of the measures, the linked risks.

The employees a case names do not wait for it: a training manager or the DPO, who read the roster but
not the cases, would see exactly who is named in cases (still identified years after leaving). When the
retention anonymises an employee, the cases not anonymised yet that name them first copy who they were
(a copy, `COPIES`): the reporter's identity into `reporter_name`, those of the employees concerned into
`persons_concerned_identities`, both shown to compliance officers only, both erased with the case.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from core.retention import REDACT, Copy, Period, Policy, Related

from .choices import CaseStatus, MeasureKind
from .models import CaseMeasure
from .services.cases import coi_cases_keep_identities

PROCEEDINGS = (MeasureKind.SANCTION, MeasureKind.REFERRAL)

#: What a case loses: who reported it, who it is about, and every free text that may name them.
CASE_FIELDS = {
    "reporter_employee": None,
    "reporter_name": "",
    "persons_concerned_identities": REDACT,  # copied from the roster when the employees were anonymised
    "third_parties": REDACT,
    "dossier_reference": REDACT,  # a loan or subsidy file number points at a customer
    "description": REDACT,
    "analysis": REDACT,
    "justification": REDACT,
}
CASE_RELATED = (
    Related("compliance.casemeasure", "case", {"description": REDACT}),
    Related(
        "compliance.actionitem",
        "case",
        {"title": REDACT, "owner_name": "", "evidence": REDACT},
        files=("evidence_file",),
    ),
)


def _with_proceedings():
    return Exists(CaseMeasure.objects.filter(case=OuterRef("pk"), kind__in=PROCEEDINGS))


POLICIES = (
    Policy(
        code="compliance.coi_case",
        model="compliance.conflictofinterestcase",
        label=_("conflict-of-interest cases closed without disciplinary or judicial follow-up"),
        start=("closed_on",),
        start_label=_("closure"),
        only=Q(status=CaseStatus.CLOSED) & ~_with_proceedings(),
        default=Period(months=2),
        basis="CNIL référentiel alertes professionnelles (délibération 2023-064): within two months of closure",
        fields=CASE_FIELDS,
        m2m=("persons_concerned",),
        related=CASE_RELATED,
    ),
    Policy(
        code="compliance.coi_case_proceedings",
        model="compliance.conflictofinterestcase",
        label=_("conflict-of-interest cases closed with a sanction or a referral"),
        start=("closed_on",),
        start_label=_("closure"),
        only=Q(status=CaseStatus.CLOSED) & _with_proceedings(),
        default=Period(years=6),
        basis=(
            "CNIL référentiel alertes professionnelles (délibération 2023-064): until the end of the "
            "proceedings; six years = limitation of a délit (code de procédure pénale art. 8)"
        ),
        fields=CASE_FIELDS,
        m2m=("persons_concerned",),
        related=CASE_RELATED,
    ),
)


def _keep_identities(employees, *, actor, reason):
    coi_cases_keep_identities(employees=employees, actor=actor, reason=reason)


COPIES = (
    Copy(
        "organization.employee",
        into="compliance.conflictofinterestcase",
        keep=_keep_identities,
        reason="a case not anonymised yet keeps the identity of its reporter and of the employees concerned",
    ),
)
