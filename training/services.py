"""Services of the training app: the only writers of modules, completions, sessions, attendances and
phishing campaigns outside imports (which apply the same rules: `completion_anomaly`, `completion_day`).

Errors are ValidationErrors keyed by the argument at fault. Every write has a history row naming who.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from core.services import (
    delete_with_history,
    ensure_reference_free,
    insert_with_reference,
    next_reference,
    save_with_history,
)
from organization.models import Employee

from .choices import CompletionAnomaly, ModuleKind
from .models import Attendance, Completion, Module, PhishingCampaign, Session

__all__ = [
    "ReferenceModuleProtected",
    "attendance_record",
    "attendance_remove",
    "attendances_remove",
    "completion_anomaly",
    "completion_day",
    "completion_record",
    "module_create",
    "module_delete",
    "module_update",
    "module_refresh_deployment_flags",
    "phishing_campaign_save",
    "session_create",
    "session_update",
]

MODULE_FIELDS = (
    "code",
    "title",
    "kind",
    "mandatory",
    "audience",
    "deployed_on",
    "renewal_months",
    "min_attendance_minutes",
    "expected_minutes",
    "description",
    "anti_corruption",
)


# -- completions ----------------------------------------------------------------------------------------
def completion_day(completed_at: dt.datetime) -> dt.date:
    """The Paris calendar day of a completion (the day the rules compare)."""
    return completed_at.astimezone(timezone.get_default_timezone()).date()


def completion_anomaly(module: Module, completed_at: dt.datetime, *, now: dt.datetime | None = None) -> str:
    """Why a completion must be kept but not counted: dated in the future (after `now`), or before the
    module's deployment day; "" when it counts."""
    now = now or timezone.now()
    if completed_at > now:
        return CompletionAnomaly.FUTURE
    if completion_day(completed_at) < module.deployed_on:
        return CompletionAnomaly.BEFORE_DEPLOYMENT
    return CompletionAnomaly.NONE


@transaction.atomic
def completion_record(
    *,
    actor: Any,
    employee: Employee,
    module: Module,
    completed_at: dt.datetime,
    duration_minutes: int | None = None,
    score: Decimal | None = None,
) -> Completion:
    """Record one completion (typed in the admin or posted by the LMS); flagged when it cannot count."""
    if timezone.is_naive(completed_at):
        raise ValidationError({"completed_at": _("A completion time needs a time zone.")})
    if Completion.objects.filter(employee=employee, module=module, completed_at=completed_at).exists():
        raise ValidationError(
            {"completed_at": _("This employee already has a completion of this module at that time.")}
        )
    if score is not None and score < 0:
        raise ValidationError({"score": _("A score cannot be negative.")})
    completion = Completion(
        employee=employee,
        module=module,
        completed_at=completed_at,
        completed_on=completion_day(completed_at),
        duration_minutes=duration_minutes,
        score=score,
        anomaly=completion_anomaly(module, completed_at),
    )
    save_with_history(completion, actor=actor, reason=_("Completion recorded"))
    return completion


def module_refresh_deployment_flags(module: Module, *, actor: Any) -> int:
    """After a change of deployment day: flag the completions now before it, clear the flag of those
    now after it. Returns how many completions changed."""
    changed = []
    for completion in Completion.objects.filter(module=module, anomaly__in=("", CompletionAnomaly.BEFORE_DEPLOYMENT)):
        wanted = (
            CompletionAnomaly.BEFORE_DEPLOYMENT
            if completion.completed_on < module.deployed_on
            else CompletionAnomaly.NONE
        )
        if completion.anomaly != wanted:
            completion.anomaly = wanted
            changed.append(completion)
    if changed:
        bulk_update_with_history(
            changed,
            Completion,
            ["anomaly"],
            batch_size=1000,
            default_user=actor,
            default_change_reason=_("Deployment day of the module changed"),
        )
    return len(changed)


# -- modules --------------------------------------------------------------------------------------------
def _check_module(module: Module) -> None:
    errors: dict[str, str] = {}
    if module.kind == ModuleKind.E_LEARNING and module.min_attendance_minutes:
        errors["min_attendance_minutes"] = _("An e-learning module has no attendance minimum (it has no sessions).")
    if module.renewal_months is not None and module.renewal_months <= 0:
        errors["renewal_months"] = _("A renewal period is at least one month.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def module_create(*, actor: Any, audience_entities: Any = (), audience_departments: Any = (), **values: Any) -> Module:
    unknown = set(values) - set(MODULE_FIELDS)
    if unknown:
        raise TypeError(f"unknown module fields: {', '.join(sorted(unknown))}")
    module = Module(**values)
    _check_module(module)
    ensure_reference_free(
        Module,
        module.code,
        field="code",
        message=_("A module with code “%(code)s” already exists.") % {"code": module.code},
    )
    save_with_history(module, actor=actor, reason=_("Module created"))
    module.audience_entities.set(audience_entities)
    module.audience_departments.set(audience_departments)
    return module


@transaction.atomic
def module_update(
    *, actor: Any, module: Module, audience_entities: Any = None, audience_departments: Any = None, **changes: Any
) -> Module:
    """Change a module; a new deployment day re-flags its completions (`module_refresh_deployment_flags`)."""
    unknown = set(changes) - set(MODULE_FIELDS)
    if unknown:
        raise TypeError(f"unknown module fields: {', '.join(sorted(unknown))}")
    if module.is_reference and "code" in changes and changes["code"] != module.code:
        raise ValidationError({"code": _("The code of a reference module cannot change: indicators use it.")})
    previous_deployment = Module.objects.filter(pk=module.pk).values_list("deployed_on", flat=True).first()
    for name, value in changes.items():
        setattr(module, name, value)
    _check_module(module)
    ensure_reference_free(
        Module,
        module.code,
        field="code",
        exclude_pk=module.pk,
        message=_("A module with code “%(code)s” already exists.") % {"code": module.code},
    )
    save_with_history(module, actor=actor, reason=_("Module changed"))
    if audience_entities is not None:
        module.audience_entities.set(audience_entities)
    if audience_departments is not None:
        module.audience_departments.set(audience_departments)
    if previous_deployment != module.deployed_on:
        module_refresh_deployment_flags(module, actor=actor)
    return module


class ReferenceModuleProtected(ValidationError):
    """Deleting a reference module (a DPEF indicator uses it) is refused."""


@transaction.atomic
def module_delete(*, actor: Any, module: Module) -> None:
    """Delete a module nobody followed yet; reference modules and modules with records are kept."""
    if module.is_reference:
        raise ReferenceModuleProtected(
            _("%(code)s is a reference module: a DPEF indicator uses it, it cannot be deleted.") % {"code": module.code}
        )
    if module.completions.exists() or module.sessions.exists():
        raise ValidationError(_("%(code)s has completions or sessions: it cannot be deleted.") % {"code": module.code})
    delete_with_history(module, actor=actor, reason=_("Module deleted"))


# -- sessions and attendance ----------------------------------------------------------------------------
def _check_session(session: Session) -> None:
    if not session.module.has_sessions:
        raise ValidationError(
            {
                "module": _("%(code)s is an e-learning module: it has completions, not sessions.")
                % {"code": session.module.code}
            }
        )
    if not session.duration_minutes or session.duration_minutes <= 0:
        raise ValidationError({"duration_minutes": _("A session lasts at least one minute.")})


@transaction.atomic
def session_create(
    *, actor: Any, module: Module, held_on: dt.date, duration_minutes: int, reference: str = "", **values: Any
) -> Session:
    """A workshop or virtual-class session; its reference (SES-YYYY-NNNN) is generated when not given."""
    session = Session(module=module, held_on=held_on, duration_minutes=duration_minutes, **values)
    _check_session(session)
    insert_with_reference(
        session,
        actor=actor,
        reason=_("Session created"),
        prefix=f"SES-{held_on.year}-",
        width=4,
        given=reference,
        taken_message=_("A session with reference “%(reference)s” already exists.") % {"reference": reference},
        failed_message=_("Could not generate a free reference; please give one."),
    )
    return session


@transaction.atomic
def session_update(*, actor: Any, session: Session, **changes: Any) -> Session:
    for name, value in changes.items():
        setattr(session, name, value)
    _check_session(session)
    save_with_history(session, actor=actor, reason=_("Session changed"))
    return session


@transaction.atomic
def attendance_record(
    *, actor: Any, session: Session, employee: Employee, minutes_attended: int, role: str = "participant"
) -> Attendance:
    """Record (or correct) one line of a session's attendance sheet."""
    if minutes_attended is None or minutes_attended < 0:
        raise ValidationError({"minutes_attended": _("Minutes attended cannot be negative.")})
    attendance = Attendance.objects.select_for_update().filter(session=session, employee=employee).first()
    if attendance is None:
        attendance = Attendance(session=session, employee=employee)
        reason = _("Attendance recorded")
    else:
        reason = _("Attendance corrected")
    attendance.minutes_attended = minutes_attended
    attendance.role = role
    save_with_history(attendance, actor=actor, reason=reason)
    return attendance


@transaction.atomic
def attendance_remove(*, actor: Any, attendance: Attendance) -> None:
    """Take one line off a session's attendance sheet (the person was not there, or it was somebody
    else). The row is locked first, so a correction of the same line at the same time waits for it;
    its history keeps the line as it was, with who removed it."""
    attendances_remove(actor=actor, attendances=Attendance.objects.filter(pk=attendance.pk))


@transaction.atomic
def attendances_remove(*, actor: Any, attendances: Any) -> int:
    """Remove the lines of `attendances` (a queryset), each with its history row; how many there were."""
    locked = list(Attendance.objects.select_for_update().filter(pk__in=attendances.values("pk")).order_by("pk"))
    for line in locked:
        delete_with_history(line, actor=actor, reason=_("Attendance removed"))
    return len(locked)


# -- phishing campaigns ---------------------------------------------------------------------------------
def _check_campaign(campaign: PhishingCampaign) -> None:
    errors = {}
    if campaign.clicked > campaign.targeted:
        errors["clicked"] = _("Clicks cannot exceed the people targeted.")
    if campaign.reported > campaign.targeted:
        errors["reported"] = _("Reports cannot exceed the people targeted.")
    if campaign.submitted_credentials is not None and campaign.submitted_credentials > campaign.clicked:
        errors["submitted_credentials"] = _("People who entered credentials clicked first.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def phishing_campaign_save(*, actor: Any, campaign: PhishingCampaign) -> PhishingCampaign:
    """Create or change a campaign; its reference (PHI-YYYY-NN) is generated when empty."""
    _check_campaign(campaign)
    created = campaign.pk is None
    if not campaign.reference:
        campaign.reference = next_reference(PhishingCampaign, f"PHI-{campaign.sent_on.year}-", width=2)
    else:
        ensure_reference_free(
            PhishingCampaign,
            campaign.reference,
            exclude_pk=campaign.pk,
            message=_("A campaign with reference “%(reference)s” already exists.") % {"reference": campaign.reference},
        )
    save_with_history(campaign, actor=actor, reason=_("Campaign recorded") if created else _("Campaign changed"))
    return campaign
