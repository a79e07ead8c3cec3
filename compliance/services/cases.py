"""Conflict-of-interest cases and their action items: the only writers of their status and dates.

A suspicion is received, analysed, qualified (unfounded / potential / confirmed) and closed with its
measures (docs/rules.md, "Conflicts of interest"). Every transition locks the row, checks
`CASE_TRANSITIONS`, validates its dates and writes a history row naming who and why. Errors are
`ValidationError`s keyed by the argument at fault: the API answers 400 with them, the admin shows them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from core.dates import format_date
from core.services import insert_with_reference, save_with_history

from ..choices import CASE_TRANSITIONS, CaseSource, CaseStatus, DossierType, MeasureKind, Qualification
from ..models import ActionItem, CaseMeasure, ConflictOfInterestCase, CorruptionIncident, Risk
from .corruption import coi_case_corruption_problem, corruption_incident_mark_disciplined

__all__ = [
    "DESCRIPTIVE_FIELDS",
    "action_item_complete",
    "action_item_create",
    "action_item_problems",
    "coi_case_add_measure",
    "coi_case_allowed_actions",
    "coi_case_analysis_due_on",
    "coi_case_close",
    "coi_case_create",
    "coi_case_link_risks",
    "coi_case_problems",
    "coi_case_qualify",
    "coi_case_reopen",
    "coi_case_reporter_readable_by",
    "coi_case_start_analysis",
    "coi_case_update",
    "coi_cases_keep_identities",
]

#: What a person may edit directly: who reported what, about whom; not where the case stands.
DESCRIPTIVE_FIELDS = (
    "source",
    "reporter_employee",
    "reporter_name",
    "persons_concerned",
    "third_parties",
    "entity",
    "macro_process",
    "dossier_type",
    "dossier_reference",
    "description",
    "handler",
)
UNSET: Any = object()


def coi_case_analysis_due_on(reported_on: dt.date) -> dt.date:
    """The end of the analysis period (setting VIGIE_COI_ANALYSIS_DAYS, default 60 calendar days)."""
    return reported_on + dt.timedelta(days=settings.VIGIE_COI_ANALYSIS_DAYS)


def _case_prefix(year: int) -> str:
    return f"COI-{year}-"


def coi_case_problems(
    *,
    reported_on: dt.date | None,
    qualification: str = "",
    qualified_on: dt.date | None = None,
    measures: Iterable[str] = (),
    closed_on: dt.date | None = None,
    today: dt.date | None = None,
) -> dict[str, str]:
    """The contradictions of a case's dates and qualification, by field (empty when it holds together).

    Shared by the services and the importer, so both say the same thing.
    """
    today = today or timezone.localdate()
    measures = list(measures)
    problems: dict[str, str] = {}
    if reported_on is None:
        problems["reported_on"] = gettext("The report date is required.")
    elif reported_on > today:
        problems["reported_on"] = gettext("The report date (%(day)s) cannot be in the future.") % {
            "day": format_date(reported_on)
        }
    if qualification and qualification not in Qualification.values:
        problems["qualification"] = gettext("'%(value)s' is not one of %(choices)s.") % {
            "value": qualification,
            "choices": ", ".join(Qualification.values),
        }
    if qualification and qualified_on is None:
        problems["qualified_on"] = gettext("A qualification needs its date.")
    elif qualified_on is not None and not qualification:
        problems["qualification"] = gettext("A qualification date was given without a qualification.")
    for name, day in (("qualified_on", qualified_on), ("closed_on", closed_on)):
        if day is None or name in problems:
            continue
        if reported_on is not None and day < reported_on:
            problems[name] = gettext("This date (%(day)s) is before the case was reported (%(reported)s).") % {
                "day": format_date(day),
                "reported": format_date(reported_on),
            }
        elif day > today:
            problems[name] = gettext("This date (%(day)s) is in the future.") % {"day": format_date(day)}
    if closed_on is not None and "closed_on" not in problems:
        if not qualification:
            problems["closed_on"] = gettext("A case cannot be closed before it is qualified.")
        elif qualified_on is not None and closed_on < qualified_on:
            problems["closed_on"] = gettext(
                "The closing (%(closed)s) cannot be before the qualification (%(qualified)s)."
            ) % {"closed": format_date(closed_on), "qualified": format_date(qualified_on)}
    if measures:
        if not qualification:
            problems["measures"] = gettext("Measures are decided once the case is qualified.")
        elif qualification == Qualification.UNFOUNDED:
            problems["measures"] = gettext("An unfounded case has no measures.")
    return problems


def _check(problems: dict[str, str]) -> None:
    if problems:
        raise ValidationError(problems)


def _locked(case: ConflictOfInterestCase) -> ConflictOfInterestCase:
    return ConflictOfInterestCase.objects.select_for_update().get(pk=case.pk)


def _refresh(case: ConflictOfInterestCase, locked: ConflictOfInterestCase) -> ConflictOfInterestCase:
    # The caller's instance (the admin's, the API's) shows what was written.
    for field in locked._meta.concrete_fields:
        setattr(case, field.attname, getattr(locked, field.attname))
    return locked


def _status_label(status: str) -> str:
    return str(CaseStatus(status).label)


def _transition(case: ConflictOfInterestCase, target: str, *, action: str) -> None:
    if target not in CASE_TRANSITIONS[case.status]:
        raise ValidationError(
            {
                "status": gettext("%(action)s is not possible for a case whose status is “%(status)s”.")
                % {"action": action, "status": _status_label(case.status)}
            }
        )
    case.status = target


def _not_before_report(field: str, day: dt.date | None, case: ConflictOfInterestCase) -> dt.date:
    if not isinstance(day, dt.date):
        raise ValidationError({field: gettext("A date is required.")})
    if day < case.reported_on:
        raise ValidationError(
            {
                field: gettext("This date (%(day)s) is before the case was reported (%(reported)s).")
                % {"day": format_date(day), "reported": format_date(case.reported_on)}
            }
        )
    if day > timezone.localdate():
        raise ValidationError({field: gettext("This date (%(day)s) is in the future.") % {"day": format_date(day)}})
    return day


#: The service verbs of the workflow, for the admin's buttons and the API's documentation
#: (`qualify_corruption` is compliance.services.corruption.coi_case_qualify_as_corruption).
ACTIONS = ("start_analysis", "qualify", "add_measure", "close", "reopen", "link_risks", "qualify_corruption")


def coi_case_allowed_actions(case: ConflictOfInterestCase) -> list[str]:
    """The actions the services accept from the case's status."""
    allowed = CASE_TRANSITIONS[case.status]
    actions = []
    if CaseStatus.UNDER_ANALYSIS in allowed and case.status != CaseStatus.CLOSED:
        actions.append("start_analysis")
    if CaseStatus.QUALIFIED in allowed:
        actions.append("qualify")
    if case.status == CaseStatus.QUALIFIED:
        actions += ["add_measure", "link_risks"]
    if CaseStatus.CLOSED in allowed:
        actions.append("close")
    if case.status == CaseStatus.CLOSED:
        actions.append("reopen")
    if case.qualification == Qualification.CONFIRMED and not coi_case_corruption_problem(case):
        actions.append("qualify_corruption")
    return actions


# --- cases -----------------------------------------------------------------------------------------------


@transaction.atomic
def coi_case_create(
    *,
    actor: Any,
    reported_on: dt.date,
    reference: str = "",
    source: str = CaseSource.OTHER,
    reporter_employee: Any = None,
    reporter_name: str = "",
    persons_concerned: Iterable[Any] = (),
    third_parties: str = "",
    entity: Any = None,
    macro_process: Any = None,
    dossier_type: str = "",
    dossier_reference: str = "",
    description: str = "",
    handler: Any = None,
) -> ConflictOfInterestCase:
    """Record a suspicion. `reference` is generated (`COI-YYYY-NNN`, year of the report) when not given;
    the analysis due date is the report date plus the analysis period."""
    _check(coi_case_problems(reported_on=reported_on))
    problems = {}
    if source not in CaseSource.values:
        problems["source"] = gettext("'%(value)s' is not one of %(choices)s.") % {
            "value": source,
            "choices": ", ".join(CaseSource.values),
        }
    if dossier_type and dossier_type not in DossierType.values:
        problems["dossier_type"] = gettext("'%(value)s' is not one of %(choices)s.") % {
            "value": dossier_type,
            "choices": ", ".join(DossierType.values),
        }
    _check(problems)
    given = (reference or "").strip()
    case = ConflictOfInterestCase(
        reported_on=reported_on,
        source=source,
        reporter_employee=reporter_employee,
        reporter_name=reporter_name,
        third_parties=third_parties,
        entity=entity,
        macro_process=macro_process,
        dossier_type=dossier_type,
        dossier_reference=dossier_reference,
        description=description,
        handler=handler,
        analysis_due_on=coi_case_analysis_due_on(reported_on),
    )
    insert_with_reference(
        case,
        actor=actor,
        reason=gettext("reported on %(day)s") % {"day": format_date(reported_on)},
        prefix=_case_prefix(reported_on.year),
        width=3,
        given=given,
        taken_message=gettext("A case with the reference %(reference)s already exists.") % {"reference": given},
        failed_message=gettext("No free reference could be generated; try again."),
    )
    persons = list(persons_concerned or ())
    if persons:
        case.persons_concerned.set(persons)
    return case


@transaction.atomic
def coi_case_update(
    *, actor: Any, case: ConflictOfInterestCase, reason: str = "", **changes: Any
) -> ConflictOfInterestCase:
    """Change what was entered about the case (its descriptive fields); the status moves by the transitions."""
    unknown = sorted(set(changes) - set(DESCRIPTIVE_FIELDS))
    if unknown:
        raise ValidationError(
            {name: gettext("This field is changed by the case's actions, not edited.") for name in unknown}
        )
    locked = _locked(case)
    persons = changes.pop("persons_concerned", UNSET)
    for name, value in changes.items():
        setattr(locked, name, value)
    changed = sorted(changes) + (["persons_concerned"] if persons is not UNSET else [])
    save_with_history(
        locked, actor=actor, reason=reason or gettext("updated: %(fields)s") % {"fields": ", ".join(changed)}
    )
    if persons is not UNSET:
        locked.persons_concerned.set(list(persons or ()))
    return _refresh(case, locked)


@transaction.atomic
def coi_case_start_analysis(*, actor: Any, case: ConflictOfInterestCase, reason: str = "") -> ConflictOfInterestCase:
    """The compliance officer starts analysing the suspicion (or analyses a qualified case again)."""
    locked = _locked(case)
    if locked.status == CaseStatus.CLOSED:
        raise ValidationError(
            {"status": gettext("A closed case is reopened, with a reason, before it is analysed again.")}
        )
    _transition(locked, CaseStatus.UNDER_ANALYSIS, action=gettext("Starting the analysis"))
    save_with_history(locked, actor=actor, reason=reason or gettext("analysis started"), update_fields=["status"])
    return _refresh(case, locked)


@transaction.atomic
def coi_case_qualify(
    *,
    actor: Any,
    case: ConflictOfInterestCase,
    qualification: str,
    qualified_on: dt.date,
    analysis: str = "",
) -> ConflictOfInterestCase:
    """Qualify the case: unfounded, potential or confirmed conflict of interest, dated, by the actor."""
    locked = _locked(case)
    _transition(locked, CaseStatus.QUALIFIED, action=gettext("Qualifying"))
    if qualification not in Qualification.values:
        raise ValidationError(
            {
                "qualification": gettext("'%(value)s' is not one of %(choices)s.")
                % {"value": qualification, "choices": ", ".join(Qualification.values)}
            }
        )
    _not_before_report("qualified_on", qualified_on, locked)
    if qualification == Qualification.UNFOUNDED and locked.measures.exists():
        raise ValidationError({"qualification": gettext("This case has measures: it cannot be qualified unfounded.")})
    incident = CorruptionIncident.objects.filter(coi_case=locked).values_list("reference", flat=True).first()
    if incident and qualification != Qualification.CONFIRMED:
        # The incident ESRS G1-4 counts stands on a confirmed case: it would be left without one.
        raise ValidationError(
            {
                "qualification": gettext(
                    "This case was qualified as corruption (%(incident)s): it stays a confirmed conflict of interest."
                )
                % {"incident": incident}
            }
        )
    locked.qualification, locked.qualified_on, locked.qualified_by = qualification, qualified_on, actor
    if analysis:
        locked.analysis = analysis
    reason = gettext("qualified %(qualification)s on %(day)s") % {
        "qualification": Qualification(qualification).label,
        "day": format_date(qualified_on),
    }
    save_with_history(
        locked,
        actor=actor,
        reason=reason,
        update_fields=["status", "qualification", "qualified_on", "qualified_by", "analysis"],
    )
    return _refresh(case, locked)


@transaction.atomic
def coi_case_add_measure(
    *,
    actor: Any,
    case: ConflictOfInterestCase,
    kind: str,
    decided_on: dt.date,
    description: str = "",
    justification: str = "",
) -> CaseMeasure:
    """Record a measure decided on a qualified case. An unfounded case takes a measure only with a
    written justification (it is kept in the measure's description)."""
    locked = _locked(case)
    if locked.status != CaseStatus.QUALIFIED:
        raise ValidationError(
            {
                "kind": gettext("Measures are recorded on a qualified case (this one is “%(status)s”).")
                % {"status": _status_label(locked.status)}
            }
        )
    if kind not in MeasureKind.values:
        raise ValidationError(
            {
                "kind": gettext("'%(value)s' is not one of %(choices)s.")
                % {"value": kind, "choices": ", ".join(MeasureKind.values)}
            }
        )
    justification = (justification or "").strip()
    if locked.qualification == Qualification.UNFOUNDED and not justification:
        raise ValidationError(
            {"justification": gettext("The case was qualified unfounded: a measure needs a written justification.")}
        )
    _not_before_report("decided_on", decided_on, locked)
    if locked.measures.filter(kind=kind).exists():
        raise ValidationError(
            {"kind": gettext("This case already has the measure “%(kind)s”.") % {"kind": MeasureKind(kind).label}}
        )
    text = (description or "").strip()
    if justification:
        text = "\n\n".join(
            part for part in (text, gettext("Justification: %(text)s") % {"text": justification}) if part
        )
    measure = CaseMeasure(case=locked, kind=kind, decided_on=decided_on, description=text)
    reason = gettext("measure: %(kind)s on %(day)s") % {"kind": MeasureKind(kind).label, "day": format_date(decided_on)}
    save_with_history(measure, actor=actor, reason=reason)
    # The case's own history says a measure was added, for whoever reads the case alone.
    save_with_history(locked, actor=actor, reason=reason, update_fields=["status"])
    if kind == MeasureKind.SANCTION:
        # ESRS G1-4: an incident of corruption in which own workers were disciplined.
        corruption_incident_mark_disciplined(actor=actor, case=locked)
    return measure


@transaction.atomic
def coi_case_close(
    *,
    actor: Any,
    case: ConflictOfInterestCase,
    closed_on: dt.date,
    justification: str = "",
) -> ConflictOfInterestCase:
    """Close a qualified case. A confirmed conflict of interest is closed with at least one measure, or
    with a written justification of why none was taken."""
    locked = _locked(case)
    if not locked.qualification or locked.status in (CaseStatus.RECEIVED, CaseStatus.UNDER_ANALYSIS):
        raise ValidationError({"status": gettext("A case cannot be closed before it is qualified.")})
    _transition(locked, CaseStatus.CLOSED, action=gettext("Closing"))
    _not_before_report("closed_on", closed_on, locked)
    if locked.qualified_on and closed_on < locked.qualified_on:
        raise ValidationError(
            {
                "closed_on": gettext("The closing (%(closed)s) cannot be before the qualification (%(qualified)s).")
                % {"closed": format_date(closed_on), "qualified": format_date(locked.qualified_on)}
            }
        )
    justification = (justification or "").strip()
    if locked.qualification == Qualification.CONFIRMED and not justification and not locked.measures.exists():
        raise ValidationError(
            {
                "justification": gettext(
                    "A confirmed conflict of interest is closed with at least one measure or a written justification."
                )
            }
        )
    locked.closed_on = closed_on
    if justification:
        locked.justification = justification
    save_with_history(
        locked,
        actor=actor,
        reason=gettext("closed on %(day)s") % {"day": format_date(closed_on)},
        update_fields=["status", "closed_on", "justification"],
    )
    return _refresh(case, locked)


@transaction.atomic
def coi_case_reopen(*, actor: Any, case: ConflictOfInterestCase, reason: str) -> ConflictOfInterestCase:
    """Send a closed case back to analysis, with a reason (kept in its history). The qualification and
    measures stay on record until it is qualified again; a new analysis period starts today."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": gettext("Reopening a case needs a reason.")})
    locked = _locked(case)
    if locked.status != CaseStatus.CLOSED:
        raise ValidationError(
            {
                "status": gettext("Only a closed case is reopened (this one is “%(status)s”).")
                % {"status": _status_label(locked.status)}
            }
        )
    _transition(locked, CaseStatus.UNDER_ANALYSIS, action=gettext("Reopening"))
    locked.closed_on = None
    locked.analysis_due_on = max(locked.analysis_due_on, coi_case_analysis_due_on(timezone.localdate()))
    save_with_history(
        locked,
        actor=actor,
        reason=gettext("reopened: %(reason)s") % {"reason": reason},
        update_fields=["status", "closed_on", "analysis_due_on"],
    )
    return _refresh(case, locked)


@transaction.atomic
def coi_case_link_risks(*, actor: Any, case: ConflictOfInterestCase, risks: Iterable[Risk]) -> ConflictOfInterestCase:
    """Link a qualified case to the risks of a map it materialised (added to those already linked)."""
    risks = list(risks or ())
    if not risks:
        raise ValidationError({"risks": gettext("Choose at least one risk.")})
    locked = _locked(case)
    if not locked.qualification or locked.status not in (CaseStatus.QUALIFIED, CaseStatus.CLOSED):
        raise ValidationError({"risks": gettext("Only a qualified case is linked to the risks it materialised.")})
    locked.risks.add(*risks)
    codes = ", ".join(sorted(risk.code for risk in risks))
    save_with_history(
        locked, actor=actor, reason=gettext("risks linked: %(codes)s") % {"codes": codes}, update_fields=["status"]
    )
    return _refresh(case, locked)


# --- action items ----------------------------------------------------------------------------------------


def action_item_problems(
    *,
    case: ConflictOfInterestCase | None,
    risk: Risk | None,
    title: str,
    due_on: dt.date | None,
) -> dict[str, str]:
    """What is wrong with a planned action, by field (shared by the service and the admin's form)."""
    problems: dict[str, str] = {}
    if case is None and risk is None:
        problems["case"] = gettext("An action item belongs to a case or to a risk.")
    if not (title or "").strip():
        problems["title"] = gettext("The action is required.")
    if not isinstance(due_on, dt.date):
        problems["due_on"] = gettext("A date is required.")
    elif case is not None and due_on < case.reported_on:
        problems["due_on"] = gettext("The due date (%(due)s) is before the case was reported (%(reported)s).") % {
            "due": format_date(due_on),
            "reported": format_date(case.reported_on),
        }
    return problems


@transaction.atomic
def action_item_create(
    *,
    actor: Any,
    title: str,
    due_on: dt.date,
    case: ConflictOfInterestCase | None = None,
    risk: Risk | None = None,
    owner: Any = None,
    owner_name: str = "",
    evidence: str = "",
) -> ActionItem:
    """An action of a plan, on a case or on a risk, with its owner and due date."""
    _check(action_item_problems(case=case, risk=risk, title=title, due_on=due_on))
    item = ActionItem(
        case=case, risk=risk, title=title.strip(), owner=owner, owner_name=owner_name, due_on=due_on, evidence=evidence
    )
    save_with_history(item, actor=actor, reason=gettext("planned, due %(day)s") % {"day": format_date(due_on)})
    return item


@transaction.atomic
def action_item_complete(
    *,
    actor: Any,
    item: ActionItem,
    done_on: dt.date,
    evidence: str = "",
    evidence_file: Any = None,
) -> ActionItem:
    """Mark an action done, with its evidence (a text or a file): not before the case was reported, not
    in the future, once."""
    locked = ActionItem.objects.select_for_update(of=("self",)).select_related("case").get(pk=item.pk)
    if locked.done_on is not None:
        raise ValidationError(
            {"done_on": gettext("This action was already done on %(day)s.") % {"day": format_date(locked.done_on)}}
        )
    if not isinstance(done_on, dt.date):
        raise ValidationError({"done_on": gettext("A date is required.")})
    if locked.case is not None:
        _not_before_report("done_on", done_on, locked.case)
    elif done_on > timezone.localdate():
        raise ValidationError(
            {"done_on": gettext("This date (%(day)s) is in the future.") % {"day": format_date(done_on)}}
        )
    evidence = (evidence or "").strip()
    if not evidence and not evidence_file and not locked.evidence and not locked.evidence_file:
        raise ValidationError({"evidence": gettext("Give the evidence that the action was done (a text or a file).")})
    locked.done_on = done_on
    if evidence:
        locked.evidence = evidence
    if evidence_file:
        locked.evidence_file = evidence_file
    save_with_history(locked, actor=actor, reason=gettext("done on %(day)s") % {"day": format_date(done_on)})
    for field in locked._meta.concrete_fields:
        setattr(item, field.attname, getattr(locked, field.attname))
    return locked


# --- the identities a case keeps when the roster forgets them ------------------------------------------------

#: A separator that no name contains, between a reporter's name typed in and the identity appended.
IDENTITY_SEPARATOR = " — "


def _with_identity(text: str, identity: str, max_length: int) -> str:
    """`text` that names `identity`: the identity alone when empty, appended when not in it yet (the text
    typed shortened to fit, never the identity; its full former value stays in the case's history)."""
    if identity in text:
        return text
    if not text:
        return identity[:max_length]
    room = max_length - len(IDENTITY_SEPARATOR) - len(identity)
    if room <= 0:
        return identity[:max_length]
    return f"{text[:room].rstrip()}{IDENTITY_SEPARATOR}{identity}"


@transaction.atomic
def coi_cases_keep_identities(*, employees: Iterable[Any], actor: Any, reason: str) -> int:
    """Before the personal-data retention anonymises `employees` (their roster rows, names still there),
    the cases not anonymised yet that name them keep who they were, as confidential as the reporter
    (compliance officers only): the reporter's "Last First (employee ID)" in `reporter_name`, each employee
    concerned's on a line of `persons_concerned_identities`. The links stay (to the anonymised rows); the
    copies go with the case's own retention (compliance/retention.py). Returns the number of cases changed."""
    identities = {employee.pk: str(employee) for employee in employees}
    if not identities:
        return 0
    concerned_links = ConflictOfInterestCase.persons_concerned.through.objects.filter(
        employee_id__in=identities,
        conflictofinterestcase__anonymised_on__isnull=True,
    ).values_list("conflictofinterestcase_id", "employee_id")
    concerned: dict[int, set[str]] = {}
    for case_id, employee_id in concerned_links:
        concerned.setdefault(case_id, set()).add(identities[employee_id])
    reported = ConflictOfInterestCase.objects.filter(anonymised_on__isnull=True, reporter_employee_id__in=identities)
    case_ids = set(concerned) | set(reported.values_list("pk", flat=True))
    max_length = ConflictOfInterestCase._meta.get_field("reporter_name").max_length
    changed = 0
    for case in ConflictOfInterestCase.objects.select_for_update().filter(pk__in=case_ids).order_by("pk"):
        before = (case.reporter_name, case.persons_concerned_identities)
        if case.reporter_employee_id in identities:
            case.reporter_name = _with_identity(case.reporter_name, identities[case.reporter_employee_id], max_length)  # type: ignore[arg-type]  # a CharField's
        lines = {line for line in case.persons_concerned_identities.splitlines() if line.strip()}
        lines |= concerned.get(case.pk, set())
        case.persons_concerned_identities = "\n".join(sorted(lines))
        if (case.reporter_name, case.persons_concerned_identities) != before:
            save_with_history(
                case, actor=actor, reason=reason, update_fields=["reporter_name", "persons_concerned_identities"]
            )
            changed += 1
    return changed


# --- who may read the reporter's identity ----------------------------------------------------------------


def coi_case_reporter_readable_by(user: Any) -> bool:
    """The reporter's identity (a whistleblower's above all: loi Sapin II art. 9) is for compliance
    officers and superusers only (the case's declared confidential fields); the admin and the API ask
    this one question."""
    return ConflictOfInterestCase.confidential_fields.readable_by(user)
