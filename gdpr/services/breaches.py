"""Services of the personal-data breaches (GDPR Art. 33-34); their register export is gdpr/exports/breaches.py.

The only writers of `Breach` and `BreachNotification` besides the importer (which applies the same
rules through `breach_date_problems` and `breach_late_notification_problem`). The 72-hour clock counts from
our awareness (docs/rules.md, "Personal-data breaches"); `notification_due_at` is always
`gdpr.deadlines.breach_notification_deadline(aware_at)`, never typed in. Each transition locks the row,
checks what the law and the facts allow (ValidationError with field messages, nothing written) and
leaves a history row naming who and why.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from core.dates import format_datetime
from core.services import ensure_reference_free, next_reference, save_with_history
from organization.models import LegalEntity

from ..choices import NotificationPhase, RiskLevel, SubjectsExemption
from ..deadlines import breach_deadline_explanation, breach_notification_deadline, to_paris
from ..models import Breach, BreachNotification
from .entities import controller_entity

#: "Not given" for the optional arguments of `breach_update` (None is a value there).
UNSET: Any = object()
#: A time typed "now" in a form or sent by a client whose clock runs a little ahead is not "the future".
FUTURE_TOLERANCE = dt.timedelta(minutes=5)

#: The fields a person edits (create and update); the others change only through the transitions.
DESCRIPTIVE_FIELDS: tuple[str, ...] = (
    "title",
    "description",
    "occurred_at",
    "subject_categories",
    "subjects_count",
    "data_categories",
    "records_count",
    "likely_consequences",
    "measures",
    "handler",
    "entity",
)
CLOCK_FIELDS: tuple[str, ...] = ("aware_at", "processor_aware_at", "processor_informed_at")


def elapsed(start: dt.datetime, end: dt.datetime) -> str:
    """Elapsed time in hours (and minutes when there are some): "75 h", "72 h 05 min"."""
    # In UTC: Python subtracts two datetimes sharing one ZoneInfo by wall clock (an hour off across DST).
    minutes = int((end.astimezone(dt.UTC) - start.astimezone(dt.UTC)).total_seconds() // 60)
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest:02d} min" if rest else f"{hours} h"


_save = save_with_history


def _naive(value: Any) -> bool:
    return isinstance(value, dt.datetime) and (value.tzinfo is None or value.utcoffset() is None)


def breach_date_problems(
    *,
    aware_at: dt.datetime | None,
    occurred_at: dt.datetime | None = None,
    processor_aware_at: dt.datetime | None = None,
    processor_informed_at: dt.datetime | None = None,
    notified_at: dt.datetime | None = None,
    subjects_informed_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> dict[str, str]:
    """The contradictions between a breach's dates, by field (empty when they hold together).

    Shared by the services, the admin forms and the importer, so each says the same thing.
    """
    now = now or timezone.now()
    problems: dict[str, str] = {}
    values = {
        "aware_at": aware_at,
        "occurred_at": occurred_at,
        "processor_aware_at": processor_aware_at,
        "processor_informed_at": processor_informed_at,
        "notified_at": notified_at,
        "subjects_informed_at": subjects_informed_at,
    }
    for name, value in values.items():
        if _naive(value):
            problems[name] = gettext("Give a date and time with its time zone.")
        elif value is not None and value > now + FUTURE_TOLERANCE:
            problems[name] = gettext("%(at)s is in the future.") % {"at": format_datetime(value)}
    if problems:
        return problems
    # Compared in UTC: two datetimes sharing one ZoneInfo compare by wall clock (wrong in the DST fold).
    aware_at, occurred_at, processor_aware_at, processor_informed_at, notified_at, subjects_informed_at = (
        value.astimezone(dt.UTC) if value is not None else None
        for value in (
            aware_at,
            occurred_at,
            processor_aware_at,
            processor_informed_at,
            notified_at,
            subjects_informed_at,
        )
    )
    if aware_at is None:
        return {"aware_at": gettext("The time we became aware of the breach is required: the 72 hours count from it.")}
    if occurred_at is not None and occurred_at > aware_at:
        problems["occurred_at"] = gettext(
            "The breach cannot have occurred (%(occurred)s) after we became aware of it (%(aware)s)."
        ) % {"occurred": format_datetime(occurred_at), "aware": format_datetime(aware_at)}
    if (
        processor_aware_at is not None
        and processor_informed_at is not None
        and processor_informed_at < processor_aware_at
    ):
        problems["processor_informed_at"] = gettext(
            "The processor cannot have told us (%(informed)s) before it was aware (%(aware)s)."
        ) % {"informed": format_datetime(processor_informed_at), "aware": format_datetime(processor_aware_at)}
    if notified_at is not None and notified_at < aware_at:
        problems["notified_at"] = gettext(
            "The notification (%(notified)s) cannot be dated before awareness (%(aware)s)."
        ) % {"notified": format_datetime(notified_at), "aware": format_datetime(aware_at)}
    if subjects_informed_at is not None and subjects_informed_at < aware_at:
        problems["subjects_informed_at"] = gettext(
            "The data subjects cannot have been informed (%(informed)s) before awareness (%(aware)s)."
        ) % {"informed": format_datetime(subjects_informed_at), "aware": format_datetime(aware_at)}
    return problems


def breach_late_notification_problem(
    *, aware_at: dt.datetime, notified_at: dt.datetime, delay_reasons: str
) -> str | None:
    """Why a notification after the 72 hours cannot be recorded without the reasons for the delay."""
    due = breach_notification_deadline(aware_at)
    if notified_at <= due or (delay_reasons or "").strip():
        return None
    return gettext(
        "Notified %(elapsed)s after awareness, past the deadline of %(due)s: "
        "the reasons for the delay are required (Art. 33(1))."
    ) % {"elapsed": elapsed(aware_at, notified_at), "due": format_datetime(due)}


def high_risk_problem(*, risk_level: str, high_risk: bool) -> str | None:
    """A high risk to people (Art. 34: inform them) is the risk level "high", and the reverse."""
    if high_risk == (risk_level == RiskLevel.HIGH):
        return None
    if high_risk:
        return gettext("A high risk to people (Art. 34) goes with the risk level 'high'.")
    return gettext("The risk level 'high' is a high risk to people (Art. 34).")


def breach_decision_problems(
    *, notification_required: bool, reasoning: str, notified_at: dt.datetime | None, risk_level: str
) -> dict[str, str]:
    """Why a decision on notifying the CNIL cannot stand (empty when it can), the first reason only.

    Not notifying needs its reasoning (Art. 33(5)), is possible only when the breach is unlikely to
    result in a risk (Art. 33(1)), and not once the CNIL was notified. Shared by `breach_decide` and
    the importer (keys are the service's arguments: `notification_required`, `reasoning`).
    """
    if notification_required:
        return {}
    if notified_at is not None:
        return {
            "notification_required": gettext("The CNIL was notified on %(at)s: the decision cannot be not to notify.")
            % {"at": format_datetime(notified_at)}
        }
    if risk_level in (RiskLevel.RISK, RiskLevel.HIGH):
        return {
            "notification_required": gettext(
                "The breach is assessed as '%(level)s': only a breach unlikely to result in a risk may go "
                "unnotified (Art. 33(1))."
            )
            % {"level": RiskLevel(risk_level).label}
        }
    if not (reasoning or "").strip():
        return {"reasoning": gettext("Deciding not to notify needs its reasoning (Art. 33(5)).")}
    return {}


def breach_problems(breach: Breach) -> dict[str, str]:
    """The contradictions of a breach as edited (its facts and clock dates against what is recorded).

    Used by `breach_update` and by the admin form, which checks an unsaved copy before saving.
    """
    problems = breach_date_problems(
        aware_at=breach.aware_at,
        occurred_at=breach.occurred_at,
        processor_aware_at=breach.processor_aware_at,
        processor_informed_at=breach.processor_informed_at,
    )
    if problems:
        return problems
    # The recorded notification and information were checked against the former awareness.
    if breach.notified_at is not None and breach.notified_at < breach.aware_at:
        return {
            "aware_at": gettext("Awareness cannot be after the notification (%(at)s).")
            % {"at": format_datetime(breach.notified_at)}
        }
    if breach.subjects_informed_at is not None and breach.subjects_informed_at < breach.aware_at:
        return {
            "aware_at": gettext("Awareness cannot be after the information of the data subjects (%(at)s).")
            % {"at": format_datetime(breach.subjects_informed_at)}
        }
    if breach.notified_at is not None:
        late = breach_late_notification_problem(
            aware_at=breach.aware_at, notified_at=breach.notified_at, delay_reasons=breach.delay_reasons
        )
        if late:
            return {"aware_at": late}
    return {}


def breach_clock_explanation(breach: Breach) -> str:
    """The 72-hour clock in words, with the processor's dates when a processor found the breach."""
    lines = [breach_deadline_explanation(breach.aware_at)]
    if breach.processor_aware_at or breach.processor_informed_at:
        lines.append(
            gettext(
                "The processor was aware at %(aware)s and told us at %(informed)s; the deadline counts from our "
                "awareness (EDPB Guidelines 9/2022)."
            )
            % {
                "aware": format_datetime(breach.processor_aware_at) if breach.processor_aware_at else "–",
                "informed": format_datetime(breach.processor_informed_at) if breach.processor_informed_at else "–",
            }
        )
        if breach.processor_informed_at and breach.processor_informed_at < breach.aware_at:
            lines.append(
                gettext(
                    "Check the awareness date: the processor told us before it. A controller is aware once its "
                    "processor has informed it."
                )
            )
    if breach.notified_at is not None:
        if breach.notified_at <= breach.notification_due_at:
            lines.append(
                gettext("Notified at %(at)s, %(elapsed)s after awareness: within 72 hours.")
                % {"at": format_datetime(breach.notified_at), "elapsed": elapsed(breach.aware_at, breach.notified_at)}
            )
        else:
            lines.append(
                gettext("Notified at %(at)s, %(elapsed)s after awareness: late (reasons: %(reasons)s).")
                % {
                    "at": format_datetime(breach.notified_at),
                    "elapsed": elapsed(breach.aware_at, breach.notified_at),
                    "reasons": breach.delay_reasons,
                }
            )
    elif breach.notification_required is False:
        lines.append(gettext("Decided not to notify: the clock no longer runs."))
    return "\n".join(lines)


def _check(problems: dict[str, str]) -> None:
    if problems:
        raise ValidationError(problems)


def _lock(breach: Breach) -> Breach:
    return Breach.objects.select_for_update().get(pk=breach.pk)


def _refuse_if_closed(breach: Breach) -> None:
    if breach.closed_at is not None:
        raise ValidationError(
            gettext("The breach %(reference)s was closed on %(at)s: it can no longer change.")
            % {"reference": breach.reference, "at": format_datetime(breach.closed_at)}
        )


def _check_reference_free(reference: str, *, exclude_pk: int | None = None) -> None:
    ensure_reference_free(
        Breach,
        reference,
        exclude_pk=exclude_pk,
        message=gettext("A breach with the reference %(reference)s already exists.") % {"reference": reference},
    )


def breach_next_reference(year: int) -> str:
    """`BR-YYYY-NNN`, one more than the highest number of that year."""
    return next_reference(Breach, f"BR-{year}-", width=3)


def _check_counts(values: dict[str, Any]) -> None:
    for name in ("subjects_count", "records_count"):
        value = values.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise ValidationError({name: gettext("Give a whole number of 0 or more.")})


# --- create and edit ------------------------------------------------------------------------------------


@transaction.atomic
def breach_create(
    *,
    actor: Any,
    aware_at: dt.datetime,
    reference: str = "",
    title: str = "",
    description: str = "",
    occurred_at: dt.datetime | None = None,
    processor_aware_at: dt.datetime | None = None,
    processor_informed_at: dt.datetime | None = None,
    subject_categories: str = "",
    subjects_count: int | None = None,
    data_categories: str = "",
    records_count: int | None = None,
    likely_consequences: str = "",
    measures: str = "",
    handler: Any = None,
    entity: LegalEntity | None = None,
) -> Breach:
    """Enter a breach in the register and start its 72-hour clock at `aware_at` (our awareness).

    The processor's dates, when a processor found the breach, are stored; they do not move the deadline.
    `reference` is generated (`BR-YYYY-NNN`, year of awareness in Paris) when not given.
    """
    _check(
        breach_date_problems(
            aware_at=aware_at,
            occurred_at=occurred_at,
            processor_aware_at=processor_aware_at,
            processor_informed_at=processor_informed_at,
        )
    )
    _check_counts({"subjects_count": subjects_count, "records_count": records_count})
    reference = (reference or "").strip() or breach_next_reference(to_paris(aware_at).year)
    _check_reference_free(reference)
    breach = Breach(
        reference=reference,
        title=title,
        description=description,
        occurred_at=occurred_at,
        aware_at=aware_at,
        processor_aware_at=processor_aware_at,
        processor_informed_at=processor_informed_at,
        notification_due_at=breach_notification_deadline(aware_at),
        subject_categories=subject_categories,
        subjects_count=subjects_count,
        data_categories=data_categories,
        records_count=records_count,
        likely_consequences=likely_consequences,
        measures=measures,
        handler=handler,
        entity=controller_entity(entity),
    )
    _save(
        breach,
        actor=actor,
        reason=gettext("recorded: aware %(aware)s, notification due %(due)s")
        % {"aware": format_datetime(aware_at), "due": format_datetime(breach.notification_due_at)},
    )
    return breach


@transaction.atomic
def breach_update(
    *,
    actor: Any,
    breach: Breach,
    reference: str = UNSET,
    aware_at: dt.datetime = UNSET,
    processor_aware_at: dt.datetime | None = UNSET,
    processor_informed_at: dt.datetime | None = UNSET,
    reason: str = "",
    **fields: Any,
) -> Breach:
    """Correct or complete the facts (`fields`: the `DESCRIPTIVE_FIELDS`) or the awareness dates.

    A corrected awareness moves the deadline (always awareness + 72 hours); the recorded notification
    and information of the data subjects must still hold together with it.
    """
    unknown = sorted(set(fields) - set(DESCRIPTIVE_FIELDS))
    if unknown:
        raise TypeError(f"breach_update() got unexpected fields: {', '.join(unknown)}")
    locked = _lock(breach)
    changes = {
        name: value
        for name, value in {
            "reference": reference,
            "aware_at": aware_at,
            "processor_aware_at": processor_aware_at,
            "processor_informed_at": processor_informed_at,
            **fields,
        }.items()
        if value is not UNSET
    }
    if "reference" in changes:
        changes["reference"] = (changes["reference"] or "").strip()
        if not changes["reference"]:
            raise ValidationError({"reference": gettext("The reference cannot be empty.")})
        _check_reference_free(changes["reference"], exclude_pk=locked.pk)
    _check_counts(changes)
    if "entity" in changes:
        changes["entity"] = controller_entity(changes["entity"])
    for name, value in changes.items():
        setattr(locked, name, value)
    _check(breach_problems(locked))
    text = reason
    if "aware_at" in changes:
        locked.notification_due_at = breach_notification_deadline(locked.aware_at)
        text = text or gettext("awareness corrected to %(aware)s, notification due %(due)s") % {
            "aware": format_datetime(locked.aware_at),
            "due": format_datetime(locked.notification_due_at),
        }
    changed = sorted(name for name in changes if name != "handler") or ["handler"]
    _save(locked, actor=actor, reason=text or gettext("updated: %(fields)s") % {"fields": ", ".join(changed)})
    return locked


# --- transitions ----------------------------------------------------------------------------------------


@transaction.atomic
def breach_assess(
    *, actor: Any, breach: Breach, risk_level: str, reasoning: str, high_risk: bool | None = None
) -> Breach:
    """Record the risk to people and why. `high_risk` (Art. 34: inform the data subjects) follows the
    level when not given and must agree with it when given.

    A reassessment to a risk after a decision not to notify reopens the decision: the clock runs again.
    """
    locked = _lock(breach)
    _refuse_if_closed(locked)
    problems: dict[str, str] = {}
    if risk_level not in RiskLevel.values:
        problems["risk_level"] = gettext("'%(value)s' is not a risk level (expected %(expected)s).") % {
            "value": risk_level,
            "expected": ", ".join(RiskLevel.values),
        }
    if not (reasoning or "").strip():
        problems["reasoning"] = gettext("The risk assessment needs its reasoning.")
    is_high = risk_level == RiskLevel.HIGH
    if high_risk is not None and "risk_level" not in problems:
        if (disagreement := high_risk_problem(risk_level=risk_level, high_risk=bool(high_risk))) is not None:
            problems["high_risk"] = disagreement
    _check(problems)
    locked.risk_level = risk_level
    locked.risk_reasoning = reasoning.strip()
    locked.high_risk = is_high
    fields = ["risk_level", "risk_reasoning", "high_risk"]
    text = gettext("risk assessed: %(level)s") % {"level": locked.get_risk_level_display()}
    if locked.notification_required is False and risk_level != RiskLevel.NONE:
        # Not notifying is lawful only when the breach is unlikely to result in a risk (Art. 33(1)).
        locked.notification_required = None
        locked.decision_reasoning = ""
        fields += ["notification_required", "decision_reasoning"]
        text += gettext("; the decision not to notify is reopened")
    _save(locked, actor=actor, reason=text, update_fields=fields)
    return locked


@transaction.atomic
def breach_decide(*, actor: Any, breach: Breach, notification_required: bool, reasoning: str = "") -> Breach:
    """Decide whether the CNIL must be notified. Not notifying needs its reasoning (Art. 33(5)) and is
    possible only when the breach is unlikely to result in a risk (Art. 33(1))."""
    locked = _lock(breach)
    _refuse_if_closed(locked)
    if notification_required is None:
        raise ValidationError({"notification_required": gettext("Say whether the CNIL must be notified (yes or no).")})
    reasoning = (reasoning or "").strip()
    _check(
        breach_decision_problems(
            notification_required=bool(notification_required),
            reasoning=reasoning,
            notified_at=locked.notified_at,
            risk_level=locked.risk_level,
        )
    )
    locked.notification_required = bool(notification_required)
    locked.decision_reasoning = reasoning
    text = gettext("decided: notify the CNIL") if notification_required else gettext("decided: no notification")
    _save(locked, actor=actor, reason=text, update_fields=["notification_required", "decision_reasoning"])
    return locked


@transaction.atomic
def breach_notify(
    *,
    actor: Any,
    breach: Breach,
    sent_at: dt.datetime,
    phase: str = NotificationPhase.INITIAL,
    cnil_reference: str = "",
    content: str = "",
    delay_reasons: str = "",
) -> BreachNotification:
    """Record a notification to the CNIL (Art. 33): one initial (which sets `Breach.notified_at`), then
    complementary ones (Art. 33(4)). After the 72 hours, the reasons for the delay are required.

    `delay_reasons`, when given, replaces the reasons recorded on the breach.
    """
    locked = _lock(breach)
    _refuse_if_closed(locked)
    if phase not in NotificationPhase.values:
        raise ValidationError(
            {
                "phase": gettext("'%(value)s' is not a phase (expected %(expected)s).")
                % {"value": phase, "expected": ", ".join(NotificationPhase.values)}
            }
        )
    if sent_at is None:
        raise ValidationError({"sent_at": gettext("The date and time of the notification are required.")})
    problems = breach_date_problems(aware_at=locked.aware_at, notified_at=sent_at)
    if "notified_at" in problems:
        raise ValidationError({"sent_at": problems["notified_at"]})
    delay_reasons = (delay_reasons or "").strip()
    cnil_reference = (cnil_reference or "").strip()
    fields: list[str] = []
    if phase == NotificationPhase.INITIAL:
        if locked.notified_at is not None:
            raise ValidationError(
                {
                    "phase": gettext("The initial notification was sent on %(at)s: later ones are complementary.")
                    % {"at": format_datetime(locked.notified_at)}
                }
            )
        if locked.notification_required is False:
            raise ValidationError(
                {"phase": gettext("The decision recorded is not to notify: record a decision to notify first.")}
            )
        late = breach_late_notification_problem(
            aware_at=locked.aware_at, notified_at=sent_at, delay_reasons=delay_reasons or locked.delay_reasons
        )
        if late:
            raise ValidationError({"delay_reasons": late})
        locked.notified_at = sent_at
        fields.append("notified_at")
        if locked.notification_required is None:
            locked.notification_required = True
            fields.append("notification_required")
        if cnil_reference:
            locked.cnil_notification_reference = cnil_reference
            fields.append("cnil_notification_reference")
        text = gettext("notified to the CNIL at %(at)s (%(elapsed)s after awareness)") % {
            "at": format_datetime(sent_at),
            "elapsed": elapsed(locked.aware_at, sent_at),
        }
    else:
        if locked.notified_at is None:
            raise ValidationError(
                {"phase": gettext("A complementary notification needs the initial notification first.")}
            )
        if sent_at < locked.notified_at:
            raise ValidationError(
                {
                    "sent_at": gettext("A complementary notification cannot be dated before the initial one (%(at)s).")
                    % {"at": format_datetime(locked.notified_at)}
                }
            )
        text = gettext("complementary notification at %(at)s") % {"at": format_datetime(sent_at)}
    if delay_reasons:
        locked.delay_reasons = delay_reasons
        fields.append("delay_reasons")
    if fields:
        _save(locked, actor=actor, reason=text, update_fields=fields)
    notification = BreachNotification(
        breach=locked,
        phase=phase,
        sent_at=sent_at,
        cnil_reference=cnil_reference,
        content=content or "",
        sent_by=actor,
    )
    _save(notification, actor=actor, reason=text)
    return notification


@transaction.atomic
def breach_inform_subjects(*, actor: Any, breach: Breach, informed_at: dt.datetime) -> Breach:
    """Record when the data subjects were informed (Art. 34)."""
    locked = _lock(breach)
    _refuse_if_closed(locked)
    if informed_at is None:
        raise ValidationError(
            {"informed_at": gettext("The date and time the data subjects were informed are required.")}
        )
    if locked.subjects_informed_at is not None:
        raise ValidationError(
            {
                "informed_at": gettext("The data subjects were already informed on %(at)s.")
                % {"at": format_datetime(locked.subjects_informed_at)}
            }
        )
    if locked.subjects_exemption:
        raise ValidationError(
            {
                "informed_at": gettext(
                    "An exemption is recorded (%(exemption)s): the data subjects are not to be informed."
                )
                % {"exemption": locked.get_subjects_exemption_display()}
            }
        )
    problems = breach_date_problems(aware_at=locked.aware_at, subjects_informed_at=informed_at)
    if "subjects_informed_at" in problems:
        raise ValidationError({"informed_at": problems["subjects_informed_at"]})
    locked.subjects_informed_at = informed_at
    _save(
        locked,
        actor=actor,
        reason=gettext("data subjects informed at %(at)s") % {"at": format_datetime(informed_at)},
        update_fields=["subjects_informed_at"],
    )
    return locked


@transaction.atomic
def breach_record_exemption(*, actor: Any, breach: Breach, exemption: str, reasoning: str) -> Breach:
    """Record why the data subjects are not informed despite a high risk (Art. 34(3)(a), (b) or (c))."""
    locked = _lock(breach)
    _refuse_if_closed(locked)
    problems: dict[str, str] = {}
    allowed = [value for value in SubjectsExemption.values if value]
    if exemption not in allowed:
        problems["exemption"] = gettext("'%(value)s' is not an Art. 34(3) exemption (expected %(expected)s).") % {
            "value": exemption,
            "expected": ", ".join(allowed),
        }
    if not (reasoning or "").strip():
        problems["reasoning"] = gettext("The exemption needs its reasoning.")
    if locked.subjects_informed_at is not None:
        problems["exemption"] = gettext("The data subjects were informed on %(at)s: no exemption to record.") % {
            "at": format_datetime(locked.subjects_informed_at)
        }
    _check(problems)
    locked.subjects_exemption = exemption
    locked.subjects_exemption_reasoning = reasoning.strip()
    _save(
        locked,
        actor=actor,
        reason=gettext("exemption recorded: %(exemption)s") % {"exemption": locked.get_subjects_exemption_display()},
        update_fields=["subjects_exemption", "subjects_exemption_reasoning"],
    )
    return locked


def breach_close_problems(breach: Breach) -> list[str]:
    """What is still missing before the breach can be closed (empty: it can be)."""
    missing = []
    if not breach.risk_level:
        missing.append(gettext("the risk is not assessed"))
    if breach.notification_required is None:
        missing.append(gettext("the decision to notify or not is not recorded"))
    elif breach.notification_required and breach.notified_at is None:
        missing.append(gettext("the CNIL is not notified"))
    if breach.high_risk and breach.subjects_informed_at is None and not breach.subjects_exemption:
        missing.append(gettext("the data subjects are not informed and no Art. 34(3) exemption is recorded"))
    return missing


def breach_allowed_actions(breach: Breach) -> list[str]:
    """The transitions the services accept from the breach's state, in the order of the file (for the
    buttons of its page): none once closed; the decision until the CNIL is notified; the initial
    notification unless notified or decided not to notify, complementary ones after it; informing the
    data subjects or an exemption until they are informed; closing once the file is complete."""
    if breach.closed_at is not None:
        return []
    actions = ["assess"]
    if breach.notified_at is None:
        actions.append("decide")
        if breach.notification_required is not False:
            actions.append("notify")
    else:
        actions.append("notify_complementary")
    if breach.subjects_informed_at is None:
        if not breach.subjects_exemption:
            actions.append("inform_subjects")
        actions.append("record_exemption")
    if not breach_close_problems(breach):
        actions.append("close")
    return actions


@transaction.atomic
def breach_close(*, actor: Any, breach: Breach, closed_at: dt.datetime | None = None) -> Breach:
    """Close a breach whose file is complete: assessed, decided, notified when required, data subjects
    informed (or an exemption recorded) when the risk is high."""
    locked = _lock(breach)
    _refuse_if_closed(locked)
    missing = breach_close_problems(locked)
    if missing:
        raise ValidationError(gettext("The breach cannot be closed: %(missing)s.") % {"missing": "; ".join(missing)})
    closed_at = closed_at or timezone.now()
    if closed_at < locked.aware_at or closed_at > timezone.now() + FUTURE_TOLERANCE:
        raise ValidationError({"closed_at": gettext("The closing date must be between awareness and now.")})
    locked.closed_at = closed_at
    _save(locked, actor=actor, reason=gettext("closed"), update_fields=["closed_at"])
    return locked
