"""Confirmed incidents of corruption and the legal cases about them: the only writers of both (ESRS G1-4).

- An incident is recorded when corruption or influence peddling is established (loi Sapin II art. 17;
  Code pénal art. 432-11, 433-1, 433-2, 435-1 ff., 445-1 ff.). A conflict-of-interest case is one only
  when, once qualified confirmed, its analysis establishes such an act (an advantage offered, solicited
  or accepted for an act of the function): the compliance officer then qualifies it as corruption
  (`coi_case_qualify_as_corruption`), which records the incident linked to the case. Other incidents
  (an audit, a whistleblower's report, a prosecution) are recorded with `corruption_incident_create`.
- The incident says whether own workers were dismissed or disciplined (set here when the linked case has,
  or later gets, a disciplinary sanction) and whether a contract with a business partner was terminated
  or not renewed.
- A legal case is brought against the company (or an entity of the group) or one of its own workers and
  decided with its outcome and, for a conviction or a CJIP, its fine; a decision changes again (an
  appeal, a correction) only with a reason, kept in the history.

Every write validates first (ValidationError keyed by the argument at fault, nothing written), locks the
row it changes and leaves a history row naming who and why.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from core.dates import format_date
from core.services import insert_with_reference, save_with_history

from ..choices import (
    OUTCOMES_WITH_FINE,
    CaseStatus,
    CorruptionNature,
    Defendant,
    MeasureKind,
    ProceedingOutcome,
    Qualification,
)
from ..models import ConflictOfInterestCase, CorruptionIncident, LegalProceeding

__all__ = [
    "INCIDENT_FIELDS",
    "PROCEEDING_FIELDS",
    "coi_case_corruption_problem",
    "coi_case_qualify_as_corruption",
    "corruption_incident_create",
    "corruption_incident_mark_disciplined",
    "corruption_incident_problems",
    "corruption_incident_update",
    "legal_proceeding_create",
    "legal_proceeding_decide",
    "legal_proceeding_problems",
    "legal_proceeding_update",
]

#: What is edited on an incident after it is recorded (its reference and its case stay).
INCIDENT_FIELDS = (
    "nature",
    "confirmed_on",
    "entity",
    "description",
    "workers_disciplined",
    "partner_contract_terminated",
)
#: What is edited on a legal case (its outcome moves by `legal_proceeding_decide`).
PROCEEDING_FIELDS = ("incident", "defendant", "entity", "court", "opened_on", "description")


def _check(problems: dict[str, str]) -> None:
    if problems:
        raise ValidationError(problems)


def _one_of(value: str, choices: Any) -> str:
    return gettext("'%(value)s' is not one of %(choices)s.") % {"value": value, "choices": ", ".join(choices.values)}


def _insert(obj: Any, *, given: str, prefix: str, actor: Any, reason: str) -> None:
    """Insert `obj` under the reference given, or the next free `<prefix>NNN`."""
    given = (given or "").strip()
    insert_with_reference(
        obj,
        actor=actor,
        reason=reason,
        prefix=prefix,
        width=3,
        given=given,
        taken_message=gettext("The reference %(reference)s is already used.") % {"reference": given},
        failed_message=gettext("No free reference could be generated; try again."),
    )


def _day_problem(day: Any, *, today: dt.date) -> str:
    """What is wrong with a date that must be given and not in the future ("" when nothing)."""
    if not isinstance(day, dt.date):
        return gettext("A date is required.")
    if day > today:
        return gettext("This date (%(day)s) is in the future.") % {"day": format_date(day)}
    return ""


# --- incidents -------------------------------------------------------------------------------------------


def corruption_incident_problems(
    *, nature: str, confirmed_on: Any, case: ConflictOfInterestCase | None
) -> dict[str, str]:
    """What is wrong with an incident's nature and date, by field (shared by the services and the admin's
    form, so both say the same thing)."""
    problems: dict[str, str] = {}
    if nature not in CorruptionNature.values:
        problems["nature"] = _one_of(nature, CorruptionNature)
    if message := _day_problem(confirmed_on, today=timezone.localdate()):
        problems["confirmed_on"] = message
    elif case is not None and case.qualified_on is not None and confirmed_on < case.qualified_on:
        problems["confirmed_on"] = gettext(
            "The incident (%(confirmed)s) cannot be confirmed before the case was qualified (%(qualified)s)."
        ) % {"confirmed": format_date(confirmed_on), "qualified": format_date(case.qualified_on)}
    return problems


def coi_case_corruption_problem(case: ConflictOfInterestCase) -> str:
    """Why `case` cannot be qualified as corruption ("" when it can): it must be qualified confirmed
    (and not sent back to analysis), and not be an incident already."""
    if case.qualification != Qualification.CONFIRMED or case.status not in (CaseStatus.QUALIFIED, CaseStatus.CLOSED):
        return gettext(
            "Only a case qualified confirmed conflict of interest is qualified as corruption (%(reference)s is not)."
        ) % {"reference": case.reference}
    incident = CorruptionIncident.objects.filter(coi_case=case).values_list("reference", flat=True).first()
    if incident:
        return gettext("The case %(case)s is already the corruption incident %(incident)s.") % {
            "case": case.reference,
            "incident": incident,
        }
    return ""


@transaction.atomic
def corruption_incident_create(
    *,
    actor: Any,
    confirmed_on: dt.date,
    nature: str,
    description: str = "",
    entity: Any = None,
    coi_case: ConflictOfInterestCase | None = None,
    workers_disciplined: bool = False,
    partner_contract_terminated: bool = False,
    reference: str = "",
) -> CorruptionIncident:
    """Record a confirmed incident of corruption. With `coi_case` (see `coi_case_qualify_as_corruption`),
    the case must be qualified confirmed; the incident takes its entity when none is given, and own
    workers count as disciplined when the case has a disciplinary sanction. `reference` is generated
    (`CORR-YYYY-NNN`, year of confirmation) when not given."""
    case = None
    if coi_case is not None:
        case = ConflictOfInterestCase.objects.select_for_update().get(pk=coi_case.pk)
        if reason := coi_case_corruption_problem(case):
            raise ValidationError({"coi_case": reason})
    _check(corruption_incident_problems(nature=nature, confirmed_on=confirmed_on, case=case))
    if case is not None:
        entity = entity or case.entity
        workers_disciplined = workers_disciplined or case.measures.filter(kind=MeasureKind.SANCTION).exists()
    incident = CorruptionIncident(
        nature=nature,
        confirmed_on=confirmed_on,
        description=(description or "").strip(),
        entity=entity,
        coi_case=case,
        workers_disciplined=bool(workers_disciplined),
        partner_contract_terminated=bool(partner_contract_terminated),
    )
    reason = (
        gettext("qualified as corruption: case %(case)s") % {"case": case.reference}
        if case is not None
        else gettext("confirmed on %(day)s") % {"day": format_date(confirmed_on)}
    )
    _insert(incident, given=reference, prefix=f"CORR-{confirmed_on.year}-", actor=actor, reason=reason)
    if case is not None:
        # The case's own history says it became an incident, for whoever reads the case alone.
        save_with_history(
            case,
            actor=actor,
            reason=gettext("qualified as corruption: %(incident)s") % {"incident": incident.reference},
            update_fields=["status"],
        )
    return incident


@transaction.atomic
def coi_case_qualify_as_corruption(
    *,
    actor: Any,
    case: ConflictOfInterestCase,
    confirmed_on: dt.date,
    nature: str,
    description: str = "",
    partner_contract_terminated: bool = False,
) -> CorruptionIncident:
    """Qualify a confirmed conflict-of-interest case as corruption: the incident ESRS G1-4 counts, linked
    to the case (the only way a case becomes one)."""
    return corruption_incident_create(
        actor=actor,
        coi_case=case,
        confirmed_on=confirmed_on,
        nature=nature,
        description=description,
        partner_contract_terminated=partner_contract_terminated,
    )


@transaction.atomic
def corruption_incident_update(
    *,
    actor: Any,
    incident: CorruptionIncident,
    reason: str = "",
    **changes: Any,
) -> CorruptionIncident:
    """Change what was recorded about an incident (`INCIDENT_FIELDS`); its reference and its case stay."""
    unknown = sorted(set(changes) - set(INCIDENT_FIELDS))
    if unknown:
        raise ValidationError(
            {name: gettext("This field cannot be changed once the incident is recorded.") for name in unknown}
        )
    locked = CorruptionIncident.objects.select_for_update(of=("self",)).select_related("coi_case").get(pk=incident.pk)
    for name, value in changes.items():
        setattr(locked, name, value.strip() if name == "description" and isinstance(value, str) else value)
    _check(corruption_incident_problems(nature=locked.nature, confirmed_on=locked.confirmed_on, case=locked.coi_case))
    save_with_history(
        locked, actor=actor, reason=reason or gettext("updated: %(fields)s") % {"fields": ", ".join(sorted(changes))}
    )
    return locked


def corruption_incident_mark_disciplined(*, actor: Any, case: ConflictOfInterestCase) -> None:
    """A disciplinary sanction was recorded on `case`: its incident, if any, has own workers disciplined.
    Called by `coi_case_add_measure`, inside its transaction."""
    incident = CorruptionIncident.objects.select_for_update().filter(coi_case=case, workers_disciplined=False).first()
    if incident is None:
        return
    incident.workers_disciplined = True
    save_with_history(
        incident,
        actor=actor,
        reason=gettext("disciplinary sanction on case %(case)s") % {"case": case.reference},
        update_fields=["workers_disciplined"],
    )


# --- legal cases -----------------------------------------------------------------------------------------


def legal_proceeding_problems(*, defendant: str, opened_on: Any) -> dict[str, str]:
    """What is wrong with a legal case's defendant and date, by field (services and admin form)."""
    problems: dict[str, str] = {}
    if defendant not in Defendant.values:
        problems["defendant"] = _one_of(defendant, Defendant)
    if message := _day_problem(opened_on, today=timezone.localdate()):
        problems["opened_on"] = message
    return problems


@transaction.atomic
def legal_proceeding_create(
    *,
    actor: Any,
    opened_on: dt.date,
    defendant: str,
    incident: CorruptionIncident | None = None,
    entity: Any = None,
    court: str = "",
    description: str = "",
    reference: str = "",
) -> LegalProceeding:
    """Record a legal case about corruption brought against the company or one of its own workers (pending
    until decided). `reference` is generated (`PROC-YYYY-NNN`, year brought) when not given."""
    _check(legal_proceeding_problems(defendant=defendant, opened_on=opened_on))
    proceeding = LegalProceeding(
        incident=incident,
        defendant=defendant,
        entity=entity if entity is not None else getattr(incident, "entity", None),
        court=(court or "").strip(),
        opened_on=opened_on,
        description=(description or "").strip(),
    )
    _insert(
        proceeding,
        given=reference,
        prefix=f"PROC-{opened_on.year}-",
        actor=actor,
        reason=gettext("brought on %(day)s") % {"day": format_date(opened_on)},
    )
    return proceeding


@transaction.atomic
def legal_proceeding_update(
    *,
    actor: Any,
    proceeding: LegalProceeding,
    reason: str = "",
    **changes: Any,
) -> LegalProceeding:
    """Change what was recorded about a legal case (`PROCEEDING_FIELDS`); its outcome moves by
    `legal_proceeding_decide`."""
    unknown = sorted(set(changes) - set(PROCEEDING_FIELDS))
    if unknown:
        raise ValidationError(
            {name: gettext("This field is changed by recording the decision, not edited.") for name in unknown}
        )
    locked = LegalProceeding.objects.select_for_update().get(pk=proceeding.pk)
    for name, value in changes.items():
        setattr(locked, name, value.strip() if isinstance(value, str) and name != "defendant" else value)
    problems = legal_proceeding_problems(defendant=locked.defendant, opened_on=locked.opened_on)
    if not problems and locked.decided_on is not None and locked.decided_on < locked.opened_on:
        problems["opened_on"] = gettext("The case cannot be brought after its decision (%(day)s).") % {
            "day": format_date(locked.decided_on)
        }
    _check(problems)
    save_with_history(
        locked, actor=actor, reason=reason or gettext("updated: %(fields)s") % {"fields": ", ".join(sorted(changes))}
    )
    return locked


def _fine(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError(
            {"fine_eur": gettext("'%(value)s' is not an amount in euros.") % {"value": value}}
        ) from exc


@transaction.atomic
def legal_proceeding_decide(
    *,
    actor: Any,
    proceeding: LegalProceeding,
    outcome: str,
    decided_on: dt.date,
    fine_eur: Decimal | None = None,
    reason: str = "",
) -> LegalProceeding:
    """Record how the case ended: a conviction, an acquittal, a dismissal or a CJIP, dated, with the fine
    a conviction or a CJIP imposed (none for the others). A decision already recorded changes only with a
    `reason` (an appeal judgment, a correction), kept in the history with the former one."""
    locked = LegalProceeding.objects.select_for_update().get(pk=proceeding.pk)
    reason = (reason or "").strip()
    problems: dict[str, str] = {}
    if locked.outcome and not reason:
        problems["reason"] = gettext(
            "A decision was recorded on %(day)s: give the reason to change it (an appeal, a correction)."
        ) % {"day": format_date(locked.decided_on)}
    if outcome not in ProceedingOutcome.values:
        problems["outcome"] = _one_of(outcome, ProceedingOutcome)
    if message := _day_problem(decided_on, today=timezone.localdate()):
        problems["decided_on"] = message
    elif decided_on < locked.opened_on:
        problems["decided_on"] = gettext(
            "The decision (%(decided)s) cannot be before the case was brought (%(opened)s)."
        ) % {"decided": format_date(decided_on), "opened": format_date(locked.opened_on)}
    fine = _fine(fine_eur)
    if fine is not None and fine < 0:
        problems["fine_eur"] = gettext("A fine is not negative.")
    elif fine is not None and outcome not in OUTCOMES_WITH_FINE:
        problems["fine_eur"] = gettext("Only a conviction or a CJIP imposes a fine.")
    _check(problems)
    locked.outcome, locked.decided_on, locked.fine_eur = outcome, decided_on, fine
    text = gettext("decided on %(day)s: %(outcome)s") % {
        "day": format_date(decided_on),
        "outcome": ProceedingOutcome(outcome).label,
    }
    save_with_history(
        locked,
        actor=actor,
        reason=f"{text} ({reason})" if reason else text,
        update_fields=["outcome", "decided_on", "fine_eur"],
    )
    return locked
