"""Rights requests (GDPR Art. 12): the only writers of their status and deadline columns.

Every transition locks the row, checks `REQUEST_TRANSITIONS`, validates its dates, recomputes the
deadline columns in one place (`_recompute_deadlines`, on `rights_request_deadline_columns`, which the import uses
too) and writes a `DeadlineEvent` whenever a deadline changes, so the admin can show the CNIL why a
date is what it is. Errors are `ValidationError`s keyed by the argument at fault (the API answers
400 with them, the admin shows them as messages). The date and outcome rules themselves live in
`rights_rules`, which the import applies to whole rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.dates import format_date
from core.services import next_reference as core_next_reference, note_history, save_with_history
from organization.models import LegalEntity

from ..choices import (
    REQUEST_TRANSITIONS,
    Channel,
    DeadlineEventKind,
    Outcome,
    PauseReason,
    RefusalGround,
    RequesterCategory,
    RequestStatus,
    Right,
)
from ..deadlines import (
    DeadlinePolicy,
    Pause,
    extended_deadline,
    paris_date,
    policy_from_settings,
    rights_request_deadline,
)
from ..models import DeadlineEvent, ProcessingActivity, RightsRequest, RightsRequestPause
from .entities import controller_entity
from .rights_rules import (
    complaint_notice_problem,
    extension_reason_problem,
    future_problem,
    info_received_problem,
    late_extension_problem,
    not_before_receipt_problem,
    passed_deadline_problem,
    refusal_ground_problem,
    rights_request_extension_lateness,
    rights_request_problems,
)

__all__ = [
    "DESCRIPTIVE_FIELDS",
    "DeadlineColumns",
    "deadline_policy_sentence",
    "readable_explanation",
    "rights_request_allowed_actions",
    "rights_request_answer",
    "rights_request_close",
    "rights_request_create",
    "rights_request_deadline_columns",
    "rights_request_extend",
    "rights_request_extension_lateness",
    "rights_request_next_reference",
    "rights_request_pause",
    "rights_request_refuse",
    "rights_request_resume",
    "rights_request_set_handler",
    "rights_request_start",
    "rights_request_update",
    "rights_request_problems",
    "rights_request_withdraw",
]

#: The fields a person may edit directly: they say who asked what, not where the request stands.
DESCRIPTIVE_FIELDS = (
    "requester_name",
    "requester_email",
    "requester_address",
    "requester_category",
    "right",
    "other_rights",
    "channel",
    "notes",
    "entity",
)
REFERENCE_PREFIX = "DSR"
_REFERENCE_ATTEMPTS = 5


# --- deadline columns (shared with the import) -----------------------------------------------------------


@dataclass(frozen=True)
class DeadlineColumns:
    """The stored deadline columns of a request. All dates are None while a pause is open."""

    due_on: dt.date | None
    extended_due_on: dt.date | None
    applicable_due_on: dt.date | None
    explanation: str

    @property
    def dates(self) -> tuple[dt.date | None, dt.date | None, dt.date | None]:
        return self.due_on, self.extended_due_on, self.applicable_due_on

    def as_fields(self) -> dict[str, Any]:
        return {
            "due_on": self.due_on,
            "extended_due_on": self.extended_due_on,
            "applicable_due_on": self.applicable_due_on,
            "deadline_explanation": self.explanation,
        }


def rights_request_deadline_columns(
    *,
    received_at: dt.datetime,
    pauses: Iterable[Pause] = (),
    extension_notified_at: dt.datetime | None = None,
    policy: DeadlinePolicy | None = None,
) -> DeadlineColumns:
    """The deadline columns of a request, computed by gdpr.deadlines with the configured policy.

    The extended deadline exists only when an extension was notified (the caller checks it was in
    time). While a pause is open no deadline runs: the dates are None and the explanation states the
    earliest they can be, as of the day the information was asked for (a fixed day, so the stored
    text does not depend on when it was computed). The explanation is written in the site's language
    (settings.LANGUAGE_CODE), whoever triggers it, so the ledger reads the same for everyone and a
    re-import finds nothing changed.
    """
    policy = policy if policy is not None else policy_from_settings()
    pauses = list(pauses)
    open_pauses = [pause for pause in pauses if pause.is_open]
    as_of = max(pause.asked for pause in open_pauses) if open_pauses else None
    with translation.override(settings.LANGUAGE_CODE):
        first = rights_request_deadline(received_at, pauses=pauses, as_of=as_of, policy=policy)
        lines = [_("Legal deadline: %(explanation)s") % {"explanation": first.explanation}]
        extended = None
        if extension_notified_at is not None:
            extended = extended_deadline(received_at, pauses=pauses, as_of=as_of, policy=policy)
            lines.append(
                _("Extended deadline (requester told on %(date)s): %(explanation)s")
                % {"date": format_date(paris_date(extension_notified_at)), "explanation": extended.explanation}
            )
        if as_of is not None:
            lines.append(
                _("No deadline runs until the information asked for on %(date)s is received.")
                % {"date": format_date(as_of)}
            )
        lines.append(deadline_policy_sentence(policy))
    explanation = "\n".join(lines)
    if as_of is not None:
        return DeadlineColumns(None, None, None, explanation)
    extended_on = extended.due_on if extended is not None else None
    return DeadlineColumns(first.due_on, extended_on, extended_on or first.due_on, explanation)


def deadline_policy_sentence(policy: DeadlinePolicy) -> str:
    """The last line of a stored explanation: the calculation rules in words, in the active language."""
    return _("Calculation rules: %(rules)s.") % {"rules": policy.explain()}


def readable_explanation(text: str, *, shown_above: str = "") -> str:
    """A stored explanation to show: the raw policy line of older versions ("…: rollover=next_working_day,
    calendar=FR, …") said in words, in the active language.

    `shown_above`: the (readable) explanation shown above this one on the same page; the calculation rules it
    ends with are not repeated (a ledger event computed under other rules keeps its own line).
    """
    lines = text.split("\n")
    if "rollover=" in text:
        for index, line in enumerate(lines):
            policy = DeadlinePolicy.from_description(line)
            if policy is not None:
                lines[index] = deadline_policy_sentence(policy)
    if shown_above:
        shown = shown_above.split("\n")[-1]
        lines = [line for line in lines if line != shown]
    return "\n".join(lines)


# --- helpers ---------------------------------------------------------------------------------------------


def _aware(value: dt.datetime, field: str) -> dt.datetime:
    """An aware datetime; a naive one is Paris time (docs/interfaces.md), a date alone 00:00 Paris time."""
    if not isinstance(value, dt.datetime):
        if isinstance(value, dt.date):
            value = dt.datetime.combine(value, dt.time(0))
        else:
            raise ValidationError({field: _("A date and time is required.")})
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.get_default_timezone())
    return value


def _day(value: dt.date | dt.datetime, field: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return paris_date(_aware(value, field))
    if isinstance(value, dt.date):
        return value
    raise ValidationError({field: _("A date is required.")})


def _raise(field: str, problem: str | None) -> None:
    """The transitions stop at the first rule of `rights_rules` that does not hold."""
    if problem is not None:
        raise ValidationError({field: problem})


def _not_in_future(field: str, value: dt.date | dt.datetime) -> None:
    _raise(field, future_problem(value))


def _not_before_receipt(field: str, value: dt.date | dt.datetime, request: RightsRequest) -> None:
    _raise(field, not_before_receipt_problem(value, request.received_at))


def _in_choices(field: str, value: str, choices: type[models.TextChoices], *, allow_blank: bool = False) -> str:
    if allow_blank and not value:
        return ""
    if value not in choices.values:
        raise ValidationError(
            {
                field: _("'%(value)s' is not one of %(choices)s.")
                % {"value": value, "choices": ", ".join(choices.values)}
            }
        )
    return value


#: The actions (service verbs) of the workflow and the status each one leads to.
ACTION_TARGETS = {
    "start": RequestStatus.IN_PROGRESS,
    "pause": RequestStatus.PAUSED,
    "resume": None,  # to in progress, or back to extended
    "extend": RequestStatus.EXTENDED,
    "answer": RequestStatus.ANSWERED,
    "refuse": RequestStatus.REFUSED,
    "withdraw": RequestStatus.WITHDRAWN,
    "close": RequestStatus.CLOSED,
}


def _action_label(target: str) -> str:
    # Spelled out for makemessages: each verb is translated on its own.
    labels: dict[str, str] = {
        RequestStatus.IN_PROGRESS: _("started"),
        RequestStatus.PAUSED: _("paused"),
        RequestStatus.EXTENDED: _("extended"),
        RequestStatus.ANSWERED: _("answered"),
        RequestStatus.REFUSED: _("refused"),
        RequestStatus.WITHDRAWN: _("withdrawn"),
        RequestStatus.CLOSED: _("closed"),
    }
    return labels.get(target, str(target))


def rights_request_allowed_actions(request: RightsRequest) -> list[str]:
    """The actions allowed from the request's status (what the services accept), for buttons and docs."""
    allowed = REQUEST_TRANSITIONS[request.status]
    actions = []
    for action, target in ACTION_TARGETS.items():
        if action == "start":
            ok = request.status == RequestStatus.RECEIVED
        elif action == "resume":
            ok = request.status == RequestStatus.PAUSED
        elif action == "extend":
            # Once per request; during a pause the extension is recorded and the pause goes on.
            ok = request.extension_notified_at is None and (request.status == RequestStatus.PAUSED or target in allowed)
        else:
            ok = target in allowed
        if ok:
            actions.append(action)
    return actions


def _check_rights(other_rights: Sequence[str]) -> list[str]:
    rights = list(dict.fromkeys(other_rights or ()))
    unknown = [right for right in rights if right not in Right.values]
    if unknown:
        raise ValidationError(
            {
                "other_rights": _("'%(value)s' is not one of %(choices)s.")
                % {"value": ", ".join(unknown), "choices": ", ".join(Right.values)}
            }
        )
    return rights


def _check_transition(request: RightsRequest, target: str) -> None:
    if target not in REQUEST_TRANSITIONS[request.status]:
        raise ValidationError(
            {
                "status": _("A request whose status is “%(status)s” cannot be %(action)s.")
                % {"status": request.get_status_display(), "action": _action_label(target)}
            }
        )


def _lock(request: RightsRequest) -> RightsRequest:
    """The row, locked until the end of the transaction: two officers acting at once are serialized."""
    return RightsRequest.objects.select_for_update().get(pk=request.pk)


def _pauses_of(request: RightsRequest) -> list[Pause]:
    if request.pk is None:
        return []
    return [
        Pause(asked, answered)
        for asked, answered in request.pauses.order_by("asked_on", "pk").values_list("asked_on", "answered_on")
    ]


def _recompute_deadlines(request: RightsRequest, *, policy: DeadlinePolicy | None = None) -> bool:
    """Set the deadline columns from the request's receipt, pauses and extension; True when a date changed.

    The one place where the columns are computed for a stored request (the import calls
    `rights_request_deadline_columns` the same way for its rows).
    """
    columns = rights_request_deadline_columns(
        received_at=request.received_at,
        pauses=_pauses_of(request),
        extension_notified_at=request.extension_notified_at,
        policy=policy,
    )
    before = (request.due_on, request.extended_due_on, request.applicable_due_on)
    for name, value in columns.as_fields().items():
        setattr(request, name, value)
    return columns.dates != before or request.pk is None


def _deadline_event(request: RightsRequest, *, kind: str, actor: Any, reason: str = "") -> DeadlineEvent:
    return DeadlineEvent.objects.create(
        request=request,
        kind=kind,
        actor=actor,
        due_on=request.due_on,
        extended_due_on=request.extended_due_on,
        explanation=request.deadline_explanation,
        reason=reason,
    )


def _save(request: RightsRequest, *, actor: Any, reason: str) -> None:
    """Save with a history row naming who did it and why. The transitions check the workflow's rules
    with their own messages; the database constraints stay the last line of defence (checking them
    all here would cost a query each, on every save)."""
    save_with_history(request, actor=actor, reason=reason)


def _save_pause(pause: RightsRequestPause, *, actor: Any, reason: str) -> None:
    pause.full_clean(validate_unique=False, validate_constraints=False)
    save_with_history(pause, actor=actor, reason=reason)


def _transition(
    request: RightsRequest,
    *,
    target: str | None,
    actor: Any,
    reason: str,
    event: str | None,
    event_reason: str = "",
) -> RightsRequest:
    """The common end of a transition: status, deadline columns, history, ledger."""
    if target is not None:
        request.status = target
    changed = _recompute_deadlines(request)
    _save(request, actor=actor, reason=reason)
    if changed:
        _deadline_event(request, kind=event or DeadlineEventKind.RECOMPUTED, actor=actor, reason=event_reason)
    return request


# --- reference -------------------------------------------------------------------------------------------


def rights_request_next_reference(year: int) -> str:
    """The next free `DSR-YYYY-NNNNN` of a year (Paris year of receipt): the highest number + 1."""
    return core_next_reference(RightsRequest, f"{REFERENCE_PREFIX}-{year}-", width=5)


def _insert(request: RightsRequest, *, generate: bool) -> None:
    """Insert, generating the reference when asked; a reference taken meanwhile by a concurrent
    transaction fails the unique index, and the next number is tried (in a savepoint)."""
    year = paris_date(request.received_at).year
    for _attempt in range(_REFERENCE_ATTEMPTS):
        if generate:
            request.reference = rights_request_next_reference(year)
        try:
            with transaction.atomic():
                request.save(force_insert=True)
            return
        except IntegrityError:
            request.pk = None
            request._state.adding = True
            if not RightsRequest.objects.filter(reference=request.reference).exists():
                raise
            if not generate:
                raise ValidationError(
                    {"reference": _("The reference %(reference)s is already used.") % {"reference": request.reference}}
                ) from None
    raise ValidationError({"reference": _("No free reference could be generated; please try again.")})


# --- services --------------------------------------------------------------------------------------------


@transaction.atomic
def rights_request_create(
    *,
    actor: Any,
    received_at: dt.datetime,
    right: str,
    requester_name: str = "",
    requester_email: str = "",
    requester_address: str = "",
    requester_category: str = RequesterCategory.CLIENT,
    channel: str = Channel.EMAIL,
    other_rights: Sequence[str] = (),
    processing_activities: Iterable[ProcessingActivity] = (),
    handler: Any = None,
    notes: str = "",
    reference: str | None = None,
    entity: LegalEntity | None = None,
) -> RightsRequest:
    """Record a request; its reference is generated (`DSR-YYYY-NNNNN`, Paris year of receipt) when not
    given, and its deadline computed at once (a "computed" event in the ledger)."""
    received_at = _aware(received_at, "received_at")
    _not_in_future("received_at", received_at)
    request = RightsRequest(
        reference=(reference or "").strip(),
        received_at=received_at,
        right=right,
        other_rights=_check_rights(other_rights),
        requester_name=requester_name,
        requester_email=requester_email,
        requester_address=requester_address,
        requester_category=requester_category,
        channel=channel,
        handler=handler,
        notes=notes,
        entity=controller_entity(entity),
        status=RequestStatus.RECEIVED,
    )
    generate = not request.reference
    _recompute_deadlines(request)
    request.full_clean(exclude=["reference"] if generate else None, validate_unique=False, validate_constraints=False)
    note_history(request, actor=actor, reason=_("received"))
    _insert(request, generate=generate)
    if processing_activities:
        request.processing_activities.set(list(processing_activities))
    _deadline_event(request, kind=DeadlineEventKind.COMPUTED, actor=actor)
    return request


@transaction.atomic
def rights_request_update(*, request: RightsRequest, actor: Any, **fields: Any) -> RightsRequest:
    """Edit what describes the request (requester, right, channel, notes; `processing_activities`).

    Status, dates and deadlines are refused here: they change only through the transitions.
    """
    locked = _lock(request)
    activities = fields.pop("processing_activities", None)
    refused = sorted(set(fields) - set(DESCRIPTIVE_FIELDS))
    if refused:
        raise ValidationError({name: _("This field changes only through the request's actions.") for name in refused})
    if "other_rights" in fields:
        fields["other_rights"] = _check_rights(fields["other_rights"])
    if "entity" in fields:
        fields["entity"] = controller_entity(fields["entity"])
    changed = [name for name, value in fields.items() if getattr(locked, name) != value]
    for name in changed:
        setattr(locked, name, fields[name])
    if changed:
        locked.full_clean(validate_unique=False)
        _save(locked, actor=actor, reason=_("details edited: %(fields)s") % {"fields": ", ".join(changed)})
    if activities is not None:
        locked.processing_activities.set(list(activities))
    return locked


@transaction.atomic
def rights_request_set_handler(*, request: RightsRequest, actor: Any, handler: Any) -> RightsRequest:
    """Give the request to someone (or to nobody); any status."""
    locked = _lock(request)
    if locked.handler_id != (handler.pk if handler is not None else None):
        locked.handler = handler
        who = str(handler) if handler is not None else _("nobody")
        _save(locked, actor=actor, reason=_("handler: %(who)s") % {"who": who})
    return locked


@transaction.atomic
def rights_request_start(*, request: RightsRequest, actor: Any) -> RightsRequest:
    """Someone works on it: received → in progress. The deadline does not move."""
    locked = _lock(request)
    _check_transition(locked, RequestStatus.IN_PROGRESS)
    if locked.status != RequestStatus.RECEIVED:
        raise ValidationError({"status": _("Only a request that was just received can be started.")})
    return _transition(locked, target=RequestStatus.IN_PROGRESS, actor=actor, reason=_("started"), event=None)


@transaction.atomic
def rights_request_pause(
    *,
    request: RightsRequest,
    actor: Any,
    asked_on: dt.date,
    reason: str = PauseReason.IDENTITY,
    note: str = "",
) -> RightsRequest:
    """Suspend the deadline: information (identity, scope) was asked for on `asked_on`.

    Always an officer's decision, never automatic: asking an already authenticated person for an ID is
    disproportionate (EDPB Guidelines 01/2022 §73). A deadline that has already passed cannot be
    suspended any more.
    """
    locked = _lock(request)
    _check_transition(locked, RequestStatus.PAUSED)
    reason = _in_choices("reason", reason, PauseReason)
    asked_on = _day(asked_on, "asked_on")
    _not_in_future("asked_on", asked_on)
    _not_before_receipt("asked_on", asked_on, locked)
    last_answer = locked.pauses.filter(answered_on__isnull=False).order_by("-answered_on").first()
    last_answered_on = last_answer.answered_on if last_answer is not None else None
    if last_answered_on is not None and asked_on < last_answered_on:
        raise ValidationError(
            {
                "asked_on": _("This date is before the end of the previous pause (%(date)s).")
                % {"date": format_date(last_answered_on)}
            }
        )
    _raise("asked_on", passed_deadline_problem(asked_on, locked.applicable_due_on))
    pause = RightsRequestPause(request=locked, asked_on=asked_on, reason=reason, note=note)
    _save_pause(pause, actor=actor, reason=_("information asked for"))
    return _transition(
        locked,
        target=RequestStatus.PAUSED,
        actor=actor,
        reason=_("paused: %(reason)s") % {"reason": pause.get_reason_display()},
        event=DeadlineEventKind.PAUSED,
        event_reason=f"{pause.get_reason_display()}{': ' + note if note else ''}",
    )


@transaction.atomic
def rights_request_resume(*, request: RightsRequest, actor: Any, answered_on: dt.date) -> RightsRequest:
    """The information asked for came on `answered_on`: the deadline runs again, moved by the days
    waited (policy), back to in progress, or to extended when the request had been extended."""
    locked = _lock(request)
    if locked.status != RequestStatus.PAUSED:
        raise ValidationError(
            {
                "status": _("Only a paused request can be resumed (its status is “%(status)s”).")
                % {"status": locked.get_status_display()}
            }
        )
    target = RequestStatus.EXTENDED if locked.extension_notified_at else RequestStatus.IN_PROGRESS
    _check_transition(locked, target)
    pause = locked.pauses.filter(answered_on__isnull=True).first()
    if pause is None:  # a paused request always has its open pause; this guards hand-edited data
        raise ValidationError({"status": _("This request has no open pause to end.")})
    answered_on = _day(answered_on, "answered_on")
    _not_in_future("answered_on", answered_on)
    _raise("answered_on", info_received_problem(pause.asked_on, answered_on))
    pause.answered_on = answered_on
    _save_pause(pause, actor=actor, reason=_("information received"))
    return _transition(
        locked,
        target=target,
        actor=actor,
        reason=_("resumed"),
        event=DeadlineEventKind.RESUMED,
        event_reason=_("information asked for on %(asked)s received on %(answered)s")
        % {"asked": format_date(pause.asked_on), "answered": format_date(answered_on)},
    )


@transaction.atomic
def rights_request_extend(
    *, request: RightsRequest, actor: Any, notified_at: dt.datetime, reason: str
) -> RightsRequest:
    """Extend by two further months (Art. 12(3)): only when the requester is told, with the reasons,
    before the first deadline. Once per request. During a pause the request stays paused (and resumes
    to "extended")."""
    locked = _lock(request)
    if locked.extension_notified_at is not None:
        raise ValidationError(
            {
                "status": _(
                    "This request was already extended on %(date)s; Art. 12(3) allows one extension of two months."
                )
                % {"date": format_date(paris_date(locked.extension_notified_at))}
            }
        )
    if locked.status != RequestStatus.PAUSED:
        _check_transition(locked, RequestStatus.EXTENDED)
    reason = (reason or "").strip()
    _raise("reason", extension_reason_problem(reason))
    notified_at = _aware(notified_at, "notified_at")
    _not_in_future("notified_at", notified_at)
    _not_before_receipt("notified_at", notified_at, locked)
    _raise(
        "notified_at",
        late_extension_problem(received_at=locked.received_at, pauses=_pauses_of(locked), notified_at=notified_at),
    )
    locked.extension_notified_at = notified_at
    locked.extension_reason = reason
    target = None if locked.status == RequestStatus.PAUSED else RequestStatus.EXTENDED
    return _transition(
        locked, target=target, actor=actor, reason=_("extended"), event=DeadlineEventKind.EXTENDED, event_reason=reason
    )


def _check_end(locked: RightsRequest, answered_at: dt.datetime, field: str = "answered_at") -> dt.datetime:
    answered_at = _aware(answered_at, field)
    _not_in_future(field, answered_at)
    _not_before_receipt(field, answered_at, locked)
    return answered_at


@transaction.atomic
def rights_request_answer(
    *, request: RightsRequest, actor: Any, answered_at: dt.datetime, outcome: str, channel: str
) -> RightsRequest:
    """The answer was sent on `answered_at`, by `channel`, with `outcome`. A refusal as manifestly
    unfounded or excessive is `rights_request_refuse`; a withdrawal, `rights_request_withdraw`."""
    locked = _lock(request)
    _check_transition(locked, RequestStatus.ANSWERED)
    outcome = _in_choices("outcome", outcome, Outcome)
    if outcome == Outcome.WITHDRAWN:
        raise ValidationError({"outcome": _("A withdrawal is recorded with the withdraw action, not as an answer.")})
    if outcome in (Outcome.REFUSED, Outcome.UNFOUNDED):
        # Not acting on a request must give its ground and the right to complain (Art. 12(4)-(5)).
        raise ValidationError(
            {
                "outcome": _(
                    "A refusal is recorded with the refuse action: it needs its ground and "
                    "tells the requester of the right to complain to the CNIL (Art. 12(4))."
                )
            }
        )
    channel = _in_choices("channel", channel, Channel)
    locked.answered_at = _check_end(locked, answered_at)
    locked.outcome = outcome
    locked.answer_channel = channel
    return _transition(
        locked,
        target=RequestStatus.ANSWERED,
        actor=actor,
        reason=_("answered: %(outcome)s") % {"outcome": locked.get_outcome_display()},
        event=None,
    )


@transaction.atomic
def rights_request_refuse(
    *,
    request: RightsRequest,
    actor: Any,
    ground: str,
    answered_at: dt.datetime,
    complaint_right_notified: bool,
    channel: str = "",
) -> RightsRequest:
    """Refuse as manifestly unfounded or excessive (Art. 12(5)). The refusal tells the requester of the
    right to complain to the CNIL (Art. 12(4)); without that confirmation it is refused. It is due within
    the same deadline: a late refusal is recorded, and counts as late."""
    locked = _lock(request)
    _check_transition(locked, RequestStatus.REFUSED)
    _raise("ground", refusal_ground_problem(ground))
    ground = _in_choices("ground", ground, RefusalGround)
    _raise("complaint_right_notified", complaint_notice_problem(complaint_right_notified))
    channel = _in_choices("channel", channel, Channel, allow_blank=True)
    locked.answered_at = _check_end(locked, answered_at)
    locked.refusal_ground = ground
    locked.complaint_right_notified = True
    locked.outcome = Outcome.UNFOUNDED if ground == RefusalGround.MANIFESTLY_UNFOUNDED else Outcome.REFUSED
    locked.answer_channel = channel
    return _transition(
        locked,
        target=RequestStatus.REFUSED,
        actor=actor,
        reason=_("refused: %(ground)s") % {"ground": locked.get_refusal_ground_display()},
        event=None,
    )


@transaction.atomic
def rights_request_withdraw(
    *, request: RightsRequest, actor: Any, withdrawn_at: dt.datetime | None = None, note: str = ""
) -> RightsRequest:
    """The requester withdrew (or never came back): the request ends on `withdrawn_at` (now by default),
    stored as its end date (`answered_at`) with the outcome "withdrawn". A pause still open ends that
    day, so the request keeps a deadline to be judged against."""
    locked = _lock(request)
    _check_transition(locked, RequestStatus.WITHDRAWN)
    withdrawn_at = _check_end(locked, withdrawn_at or timezone.now(), "withdrawn_at")
    pause = locked.pauses.filter(answered_on__isnull=True).first()
    if pause is not None:
        pause.answered_on = max(paris_date(withdrawn_at), pause.asked_on)
        pause.note = "\n".join(filter(None, [pause.note, _("Ended by the withdrawal of the request.")]))
        _save_pause(pause, actor=actor, reason=_("ended by the withdrawal"))
    locked.answered_at = withdrawn_at
    locked.outcome = Outcome.WITHDRAWN
    if note:
        locked.notes = "\n".join(filter(None, [locked.notes, note]))
    return _transition(
        locked,
        target=RequestStatus.WITHDRAWN,
        actor=actor,
        reason=_("withdrawn"),
        event=DeadlineEventKind.RESUMED if pause is not None else None,
        event_reason=_("withdrawn") if pause is not None else "",
    )


@transaction.atomic
def rights_request_close(*, request: RightsRequest, actor: Any, closed_at: dt.datetime | None = None) -> RightsRequest:
    """File an answered, refused or withdrawn request away."""
    locked = _lock(request)
    _check_transition(locked, RequestStatus.CLOSED)
    locked.closed_at = _check_end(locked, closed_at or timezone.now(), "closed_at")
    return _transition(locked, target=RequestStatus.CLOSED, actor=actor, reason=_("closed"), event=None)
