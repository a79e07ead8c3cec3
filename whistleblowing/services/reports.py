"""Whistleblowing reports: the only writers of a report, its content, its messages and its clock.

The workflow is `choices.TRANSITIONS`: received → acknowledged → admissibility decided (admissible, or
inadmissible: closed and the author told why) → investigation → feedback given → closed (the author told).
Every write runs in a transaction with the report's row locked, checks its dates (not before the Paris date
of receipt, not in the future), and writes history rows whose change reasons name the act only: never what
the report says nor who wrote it (the report's history is read by roles that may not see either).

The clock (whistleblowing/deadlines.py) is computed here: at receipt (acknowledgment and feedback), at the
acknowledgment (feedback again, from the earlier of the acknowledgment and the 7th working day) and at a
meeting request; each computation, and each act that stops a clock, writes a `DeadlineEvent` with the
explanation in the site's language. An anonymous report that leaves no means of contact has no deadline:
NULL, and a ledger row that says why.

Files: every file is validated (count, size, type; whistleblowing/services/attachments.py) BEFORE anything
is written, so a refused file refuses the whole submission and leaves nothing half-written; the public form
shows the refusal with the text the author typed, which is therefore not lost.

Errors are `ValidationError`s keyed by the argument at fault, in the active language (French by default).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _, gettext_lazy, ngettext

from core.bounds import MIN_YEAR
from core.dates import format_date, paris_date
from core.services import insert_with_reference, save_with_history

from ..choices import (
    TRANSITIONS,
    Admissibility,
    Category,
    Channel,
    DeadlineKind,
    Direction,
    LinkKind,
    MessageKind,
    Proceedings,
    Status,
)
from ..deadlines import ClockDeadline, acknowledgment_deadline, feedback_deadline, meeting_deadline
from ..models import DeadlineEvent, FollowUpAccess, Message, ReferentAssignment, Report, ReportContent, ReportLink
from ..selectors import content_visible_to, link_target_model, linkable_kinds
from . import attachments
from .follow_up import follow_up_issue, follow_up_open, issue_credentials

__all__ = [
    "ACTIONS",
    "REFERENCE_PREFIX",
    "ClockColumns",
    "clock_applies",
    "clock_columns",
    "follow_up_issue",
    "follow_up_open",
    "message_from_author",
    "message_to_author",
    "contact_set_locked",
    "report_acknowledge",
    "report_allowed_actions",
    "report_close",
    "report_contact_set",
    "report_decide_admissibility",
    "report_entity_set",
    "report_give_feedback",
    "report_link",
    "report_meeting_held",
    "report_record",
    "check_record_entity",
    "date_order_problems",
    "transition_problem",
    "report_request_meeting",
    "report_set_proceedings",
    "report_start_investigation",
    "report_submit_public",
]

REFERENCE_PREFIX = "SIG"
REFERENCE_WIDTH = 4

#: The kinds a referent may send with `message_to_author`; the others are written by their act's service.
FREE_MESSAGE_KINDS = (MessageKind.MESSAGE, MessageKind.ACKNOWLEDGMENT, MessageKind.MINUTES)

# --- checks -------------------------------------------------------------------------------------------------


def _today() -> dt.date:
    return paris_date(timezone.now())


def _in_choices(field: str, value: str, choices: type[models.TextChoices]) -> str:
    if value not in choices.values:
        raise ValidationError(
            {
                field: _("'%(value)s' is not one of %(choices)s.")
                % {"value": value, "choices": ", ".join(choices.values)}
            }
        )
    return value


def _received_at(value: Any) -> dt.datetime:
    """An aware datetime; a naive one is Paris time, a date alone 00:00 Paris time. Not in the future."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time(0))
    if not isinstance(value, dt.datetime):
        raise ValidationError({"received_at": _("A date and time is required.")})
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.get_default_timezone())
    if paris_date(value).year < MIN_YEAR:
        raise ValidationError(
            {"received_at": _("This date (%(day)s) is not plausible.") % {"day": format_date(paris_date(value))}}
        )
    if value > timezone.now():
        raise ValidationError(
            {
                "received_at": _("A report cannot be received in the future (%(day)s).")
                % {"day": format_date(paris_date(value))}
            }
        )
    return value


def _day(field: str, value: Any, report: Report, *, sets: Sequence[str] = ()) -> dt.date:
    """A date not before the Paris date of receipt, not in the future, and in order with the report's other
    dates (`DATE_ORDER`) when it becomes the report's `sets` fields. A datetime is taken as its Paris date."""
    if isinstance(value, dt.datetime):
        value = paris_date(value if timezone.is_aware(value) else timezone.make_aware(value))
    if not isinstance(value, dt.date):
        raise ValidationError({field: _("A date is required.")})
    received = paris_date(report.received_at)
    if value < received:
        raise ValidationError(
            {
                field: _("This date (%(day)s) is before the report was received (%(received)s).")
                % {"day": format_date(value), "received": format_date(received)}
            }
        )
    if sets:
        dates = {name: getattr(report, name) for name in DATED_STEPS}
        dates.update(dict.fromkeys(sets, value))
        problems = date_order_problems(dates, about=sets)
        if problems:
            raise ValidationError({field: next(iter(problems.values()))})
    if value > _today():
        raise ValidationError({field: _("This date (%(day)s) is in the future.") % {"day": format_date(value)}})
    return value


#: The order of a report's dates, one definition for the services and the import (whistleblowing/importers):
#: (later, earlier, message), `%(day)s` the later date and `%(earliest)s` the earlier one.
DATE_ORDER: tuple[tuple[str, str, Any], ...] = (
    (
        "admissibility_decided_on",
        "acknowledged_on",
        gettext_lazy("The admissibility decision (%(day)s) cannot precede the acknowledgment (%(earliest)s)."),
    ),
    (
        "feedback_on",
        "acknowledged_on",
        gettext_lazy("Feedback (%(day)s) cannot precede the acknowledgment (%(earliest)s)."),
    ),
    (
        "feedback_on",
        "admissibility_decided_on",
        gettext_lazy("Feedback (%(day)s) cannot precede the admissibility decision (%(earliest)s)."),
    ),
    (
        "closed_on",
        "acknowledged_on",
        gettext_lazy("The closure (%(day)s) cannot precede the acknowledgment (%(earliest)s)."),
    ),
    (
        "closed_on",
        "admissibility_decided_on",
        gettext_lazy("The closure (%(day)s) cannot precede the admissibility decision (%(earliest)s)."),
    ),
    ("closed_on", "feedback_on", gettext_lazy("The closure (%(day)s) cannot precede the feedback (%(earliest)s).")),
    (
        "closed_on",
        "meeting_requested_on",
        gettext_lazy("The closure (%(day)s) cannot precede the meeting request (%(earliest)s)."),
    ),
    (
        "closed_on",
        "meeting_held_on",
        gettext_lazy("The closure (%(day)s) cannot precede the meeting held on %(earliest)s."),
    ),
    (
        "meeting_held_on",
        "meeting_requested_on",
        gettext_lazy("The meeting (%(day)s) cannot precede its request (%(earliest)s)."),
    ),
)
#: The dated steps of a report (`Report` fields) that `DATE_ORDER` puts in order.
DATED_STEPS = tuple(dict.fromkeys(name for pair in DATE_ORDER for name in pair[:2]))


def date_order_problems(dates: dict[str, dt.date | None], *, about: Sequence[str] = ()) -> dict[str, str]:
    """The dates of `dates` (a report's, by field; absent or None: not taken) out of `DATE_ORDER`, as
    {later field: message}, the first problem of each field; with `about`, only the pairs involving one of those
    fields (the ones an act sets)."""
    problems: dict[str, str] = {}
    for later, earlier, message in DATE_ORDER:
        if about and later not in about and earlier not in about:
            continue
        day, earliest = dates.get(later), dates.get(earlier)
        if day is not None and earliest is not None and day < earliest and later not in problems:
            problems[later] = str(message) % {"day": format_date(day), "earliest": format_date(earliest)}
    return problems


def _required_text(field: str, value: str, message: str) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationError({field: message})
    return text


def _status_label(status: str) -> str:
    return str(Status(status).label)


def transition_problem(status: str, target: str, action: str) -> str | None:
    """Why a report whose status is `status` cannot move to `target` (`choices.TRANSITIONS`), None when it can;
    the services and the import (whistleblowing/importers) both ask it."""
    if target in TRANSITIONS[status]:
        return None
    return _("A report whose status is “%(status)s” cannot take this step: %(action)s.") % {
        "status": _status_label(status),
        "action": action,
    }


def _check_transition(report: Report, target: str, action: str) -> None:
    problem = transition_problem(report.status, target, action)
    if problem is not None:
        raise ValidationError({"status": problem})


def _check_open(report: Report, action: str) -> None:
    if report.status == Status.CLOSED:
        _check_transition(report, Status.CLOSED, action)  # raises: a closed report moves nowhere


def _locked(report: Report) -> Report:
    """The report's row, locked until the end of the transaction (two referents acting at once are
    serialized). An anonymised report takes no more writes."""
    locked = Report.objects.select_for_update().get(pk=report.pk)
    if locked.anonymised_on is not None:
        raise ValidationError({"report": _("This report was anonymised: it can no longer be changed.")})
    return locked


def _refresh(report: Report, locked: Report) -> Report:
    # The caller's instance (the admin's, the API's) shows what was written.
    for field in locked._meta.concrete_fields:
        setattr(report, field.attname, getattr(locked, field.attname))
    # Its cached sealed part may be stale: read again when next asked for.
    report._state.fields_cache.pop("content", None)
    return report


def _attachments() -> Any:
    """whistleblowing/services/attachments.py (a function, so tests can stand a fake in for it)."""
    return attachments


def _check_files(files: Sequence[Any]) -> list[Any]:
    """Every file checked before anything is written: a refused file keeps nothing of the submission."""
    files = [f for f in files or () if f]
    if not files:
        return []
    limit = settings.VIGIE_WHISTLEBLOWING_MAX_FILES
    if len(files) > limit:
        raise ValidationError(
            {
                "files": ngettext(
                    "At most %(count)d file can be sent at once.", "At most %(count)d files can be sent at once.", limit
                )
                % {"count": limit}
            },
        )
    problems: list[str] = []
    validate_upload = _attachments().validate_upload
    for upload in files:
        try:
            validate_upload(upload)
        except ValidationError as exc:
            problems.extend(exc.messages)
    if problems:
        raise ValidationError({"files": problems})
    return files


def _add_files(report: Report, files: list[Any], *, from_author: bool, actor: Any, message: Message | None) -> None:
    if files:
        attachment_add = _attachments().attachment_add
        for upload in files:
            attachment_add(report=report, uploaded_file=upload, from_author=from_author, actor=actor, message=message)


# --- the clock and its ledger ---------------------------------------------------------------------------------


def clock_applies(content: ReportContent) -> bool:
    """No deadline runs for an anonymous report that leaves no means of contact (nobody to answer)."""
    return not (content.anonymous and not content.contact_possible)


@dataclass(frozen=True)
class ClockColumns:
    """A report's deadline columns and the ledger explanations that go with them (in the site's language)."""

    acknowledgment_due_on: dt.date | None
    feedback_due_on: dt.date | None
    acknowledgment_explanation: str
    feedback_explanation: str


def clock_columns(
    *,
    received_at: dt.datetime | dt.date,
    acknowledged_on: dt.date | None = None,
    anonymous: bool = False,
    contact_possible: bool = True,
) -> ClockColumns:
    """The acknowledgment and feedback due dates of a report, as the services store them (the importer uses it
    too, so an imported report reads the same): None for an anonymous report without any means of contact."""
    if anonymous and not contact_possible:
        with _site_language():
            why = _("None due: the report is anonymous and leaves no means of contact.")
        return ClockColumns(None, None, why, why)
    acknowledgment = acknowledgment_deadline(received_at)
    feedback = feedback_deadline(received_at, acknowledged_on=acknowledged_on)
    return ClockColumns(
        acknowledgment.due_on, feedback.due_on, _in_site_language(acknowledgment), _in_site_language(feedback)
    )


def _in_site_language(deadline: ClockDeadline) -> str:
    # The ledger reads the same for everyone, whoever triggered the computation (as for rights requests).
    with translation.override(settings.LANGUAGE_CODE):
        return deadline.explanation


def _site_language() -> Any:
    """Ledger texts are written in the site's language, whoever acts (they read the same for everyone)."""
    return translation.override(settings.LANGUAGE_CODE)


def _ledger(report: Report, kind: str, *, actor: Any, due_on: dt.date | None, explanation: str, reason: str) -> None:
    DeadlineEvent.objects.create(
        report=report, deadline=kind, actor=actor, due_on=due_on, explanation=explanation, reason=reason
    )


def _lateness(done_on: dt.date, due_on: dt.date | None) -> str:
    """In the active language (callers are in `_site_language()`)."""
    if due_on is None or done_on <= due_on:
        return _("in time")
    days = (done_on - due_on).days
    return ngettext("%(count)d day late", "%(count)d days late", days) % {"count": days}


def _save(report: Report, *, actor: Any, reason: str, fields: list[str] | None = None) -> None:
    save_with_history(report, actor=actor, reason=reason, update_fields=fields)


def _message(report: Report, *, direction: str, kind: str, body: str, actor: Any, reason: str | None = None) -> Message:
    message = Message(report=report, direction=direction, kind=kind, body=body, sent_by=actor)
    save_with_history(message, actor=actor, reason=reason or _("message: %(kind)s") % {"kind": MessageKind(kind).label})
    return message


# --- what may be done next ---------------------------------------------------------------------------------------

#: The service verbs, for the admin's buttons and the API's documentation.
ACTIONS = (
    "acknowledge",
    "decide_admissibility",
    "start_investigation",
    "give_feedback",
    "close",
    "request_meeting",
    "meeting_held",
    "message",
    "set_proceedings",
    "link",
    "entity_set",
    "contact_set",
    "follow_up_issue",
)


def report_allowed_actions(report: Report) -> list[str]:
    """The actions the services accept from the report's state (in the order of ACTIONS)."""
    if report.anonymised_on is not None:
        return []
    allowed = TRANSITIONS[report.status]
    is_open = report.status != Status.CLOSED
    ok = {
        "acknowledge": is_open and report.acknowledged_on is None,
        "decide_admissibility": not report.admissibility and Status.ADMISSIBLE in allowed,
        "start_investigation": Status.INVESTIGATING in allowed,
        "give_feedback": Status.FEEDBACK_GIVEN in allowed,
        "close": Status.CLOSED in allowed,
        "request_meeting": is_open and (report.meeting_requested_on is None or report.meeting_held_on is not None),
        "meeting_held": is_open and report.meeting_held_on is None,
        "message": is_open,
        "set_proceedings": True,
        "link": True,
        "entity_set": True,
        "contact_set": is_open,
        "follow_up_issue": True,
    }
    return [action for action in ACTIONS if ok[action]]


# --- receipt ----------------------------------------------------------------------------------------------------


def _prefix(received_at: dt.datetime) -> str:
    return f"{REFERENCE_PREFIX}-{paris_date(received_at).year}-"


def _new_content(
    *,
    channel: str,
    anonymous: bool,
    contact_possible: bool,
    facts: str,
    facts_period: str,
    persons_concerned: str,
    author_name: str,
    author_email: str,
    author_phone: str,
    author_relation: str,
    author_contact: str,
    entity: Any,
) -> ReportContent:
    """The sealed part, validated (lengths, email, choices) before anything is written. The author's identity
    is kept as given, anonymous or not: never required, never refused."""
    problems: dict[str, list[str]] = {}
    content = ReportContent(
        channel=channel,
        anonymous=bool(anonymous),
        contact_possible=bool(contact_possible),
        facts=(facts or "").strip(),
        facts_period=(facts_period or "").strip(),
        persons_concerned=(persons_concerned or "").strip(),
        author_name=(author_name or "").strip(),
        author_email=(author_email or "").strip(),
        author_phone=(author_phone or "").strip(),
        author_relation=author_relation or "",
        author_contact=(author_contact or "").strip(),
        entity=entity,
    )
    try:
        content.full_clean(exclude=["report", "entity", "facts"], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        problems.update(exc.message_dict)
    if not content.facts:
        problems["facts"] = [_("Describe the facts you report: this field cannot be empty.")]
    if problems:
        raise ValidationError(problems)
    return content


def _receive(
    *,
    actor: Any,
    received_at: dt.datetime,
    category: str,
    content: ReportContent,
    files: list[Any],
    from_author: bool,
    reference: str = "",
) -> Report:
    columns = clock_columns(
        received_at=received_at, anonymous=content.anonymous, contact_possible=content.contact_possible
    )
    report = Report(
        received_at=received_at,
        category=category,
        status=Status.RECEIVED,
        acknowledgment_due_on=columns.acknowledgment_due_on,
        feedback_due_on=columns.feedback_due_on,
    )
    given = (reference or "").strip()
    insert_with_reference(
        report,
        actor=actor,
        reason=_("report received"),
        prefix=_prefix(received_at),
        width=REFERENCE_WIDTH,
        given=given,
        taken_message=_("A report with the reference %(reference)s already exists.") % {"reference": given},
        failed_message=_("No free reference could be generated; please try again."),
    )
    content.report = report
    save_with_history(content, actor=actor, reason=_("report received"))
    with _site_language():
        reason = _("report received")
    _ledger(
        report,
        DeadlineKind.ACKNOWLEDGMENT,
        actor=actor,
        due_on=columns.acknowledgment_due_on,
        explanation=columns.acknowledgment_explanation,
        reason=reason,
    )
    _ledger(
        report,
        DeadlineKind.FEEDBACK,
        actor=actor,
        due_on=columns.feedback_due_on,
        explanation=columns.feedback_explanation,
        reason=reason,
    )
    _add_files(report, files, from_author=from_author, actor=actor, message=None)
    return report


def _checked_content(checks: Sequence[Callable[[], Any]], **fields: Any) -> ReportContent:
    """The content of a new report, unsaved, once `checks` and the content's own checks passed; every
    problem found is raised at once, by field (a form shows them all)."""
    problems: dict[str, list[str]] = {}
    content = None
    for check in checks:
        try:
            check()
        except ValidationError as exc:
            problems.update(exc.message_dict)
    try:
        content = _new_content(**fields)
    except ValidationError as exc:
        problems.update(exc.message_dict)
    if problems or content is None:
        raise ValidationError(problems)
    return content


@transaction.atomic
def report_submit_public(
    *,
    category: str,
    facts: str,
    anonymous: bool,
    facts_period: str = "",
    persons_concerned: str = "",
    author_name: str = "",
    author_email: str = "",
    author_phone: str = "",
    author_relation: str = "",
    author_contact: str = "",
    files: Sequence[Any] = (),
) -> tuple[Report, str, str]:
    """A report sent on the public page, received now: (report, receipt code, passphrase), the two secrets
    to be shown once to the author. A web report always has its follow-up space, so it is contactable and
    its clock runs, anonymous or not."""
    content = _checked_content(
        [lambda: _in_choices("category", category, Category)],
        channel=Channel.WEB,
        anonymous=anonymous,
        contact_possible=True,
        facts=facts,
        facts_period=facts_period,
        persons_concerned=persons_concerned,
        author_name=author_name,
        author_email=author_email,
        author_phone=author_phone,
        author_relation=author_relation,
        author_contact=author_contact,
        entity=None,
    )
    checked = _check_files(files)
    report = _receive(
        actor=None, received_at=timezone.now(), category=category, content=content, files=checked, from_author=True
    )
    code, passphrase = issue_credentials(report)
    return report, code, passphrase


@transaction.atomic
def report_record(
    *,
    actor: Any,
    received_at: dt.datetime | dt.date,
    channel: str,
    category: str,
    facts: str,
    anonymous: bool = False,
    contact_possible: bool = True,
    reference: str | None = None,
    entity: Any = None,
    facts_period: str = "",
    persons_concerned: str = "",
    author_name: str = "",
    author_email: str = "",
    author_phone: str = "",
    author_relation: str = "",
    author_contact: str = "",
    files: Sequence[Any] = (),
) -> Report:
    """A report received otherwise (email, post, phone, meeting), entered by a referent with its receipt date.
    The reference is generated (`SIG-YYYY-NNNN`, Paris year of receipt) unless given. An oral report's
    minutes are then offered to the author as a message (`message_to_author(kind=MINUTES)`). With referents
    per entity, it is filed under one of the actor's legal entities (`check_record_entity`)."""
    content = _checked_content(
        [
            lambda: _received_at(received_at),
            lambda: _in_choices("channel", channel, Channel),
            lambda: _in_choices("category", category, Category),
            lambda: check_record_entity(actor, entity),
        ],
        channel=channel,
        anonymous=anonymous,
        # The follow-up space of a web report is a means of contact.
        contact_possible=True if channel == Channel.WEB else contact_possible,
        facts=facts,
        facts_period=facts_period,
        persons_concerned=persons_concerned,
        author_name=author_name,
        author_email=author_email,
        author_phone=author_phone,
        author_relation=author_relation,
        author_contact=author_contact,
        entity=entity,
    )
    checked = _check_files(files)
    return _receive(
        actor=actor,
        received_at=_received_at(received_at),
        category=category,
        content=content,
        files=checked,
        from_author=True,
        reference=reference or "",
    )


def _per_entity() -> bool:
    return bool(settings.VIGIE_WHISTLEBLOWING_REFERENTS_PER_ENTITY)


#: With referents per entity, a report a referent records names its legal entity (the admin, the API, the import).
ENTITY_REQUIRED = gettext_lazy(
    "With referents per entity, a report you record is filed under one of your legal entities: name it."
)


def check_record_entity(actor: Any, entity: Any) -> None:
    """The legal entity of a report a referent records (`report_record`; the import asks the same): with
    referents per entity, one of the actor's own. A report without one would be read by every referent: only
    the public page's reports have none (every referent triages them)."""
    if entity is None and _per_entity():
        raise ValidationError({"entity": str(ENTITY_REQUIRED)})
    _check_entity_of(actor, entity)


def _check_entity_of(actor: Any, entity: Any) -> None:
    """With referents per entity, a report is filed under none or under one of the actor's own entities: filed
    elsewhere, its referents would read it, and the actor would no longer (or never) be one of them."""
    if entity is None or not _per_entity():
        return
    actor_pk = getattr(actor, "pk", None)
    if actor_pk is None or not ReferentAssignment.objects.filter(user_id=actor_pk, entity_id=entity.pk).exists():
        raise ValidationError({"entity": _("You may only file a report under a legal entity you are a referent of.")})


# --- the author's means of contact ----------------------------------------------------------------------------------


#: Why "no means of contact" is refused for a report whose author holds follow-up credentials (the import says it too).
FOLLOW_UP_IS_CONTACT = gettext_lazy(
    "The author of this report has follow-up credentials: they can be contacted in the follow-up space."
)


def contact_set_locked(locked: Report, *, actor: Any, contact_possible: bool) -> None:
    """Whether the author can be contacted, on the locked report, and its clock with it.

    Contact becoming possible on an anonymous report that had none (follow-up credentials given, an address
    found): the acknowledgment and feedback deadlines are counted from the receipt, as the law says (they may
    be overdue at once), and the ledger says from which day contact was possible. Contact lost on an anonymous
    report not yet acknowledged: no deadline any more, and the ledger says why. A report with follow-up
    credentials always has a means of contact."""
    content = locked.content
    contact_possible = bool(contact_possible)
    if content.contact_possible == contact_possible:
        return
    if not contact_possible and FollowUpAccess.objects.filter(report=locked).exists():
        raise ValidationError({"contact_possible": str(FOLLOW_UP_IS_CONTACT)})
    clock_before = clock_applies(content)
    content.contact_possible = contact_possible
    save_with_history(
        content,
        actor=actor,
        reason=_("contact possible") if contact_possible else _("no means of contact"),
        update_fields=["contact_possible"],
    )
    clock_after = clock_applies(content)
    if clock_after and not clock_before:
        _clock_starts(locked, actor=actor)
    elif clock_before and not clock_after and locked.acknowledged_on is None:
        _clock_stops(locked, actor=actor)


def _clock_starts(locked: Report, *, actor: Any) -> None:
    today = _today()
    acknowledgment = acknowledgment_deadline(locked.received_at)
    feedback = feedback_deadline(locked.received_at, acknowledged_on=locked.acknowledged_on)
    locked.acknowledgment_due_on, locked.feedback_due_on = acknowledgment.due_on, feedback.due_on
    _save(locked, actor=actor, reason=_("contact possible"), fields=["acknowledgment_due_on", "feedback_due_on"])
    with _site_language():
        reason = _("contact possible")
        became = _(
            "Contact with the author became possible on %(day)s; the deadline counts from the receipt (%(received)s)."
        ) % {"day": format_date(today), "received": format_date(paris_date(locked.received_at))}
    for kind, deadline in ((DeadlineKind.ACKNOWLEDGMENT, acknowledgment), (DeadlineKind.FEEDBACK, feedback)):
        _ledger(
            locked,
            kind,
            actor=actor,
            due_on=deadline.due_on,
            explanation=f"{became} {_in_site_language(deadline)}",
            reason=reason,
        )


def _clock_stops(locked: Report, *, actor: Any) -> None:
    locked.acknowledgment_due_on, locked.feedback_due_on = None, None
    _save(locked, actor=actor, reason=_("no means of contact"), fields=["acknowledgment_due_on", "feedback_due_on"])
    with _site_language():
        reason = _("no means of contact")
        why = _("None due from %(day)s: the report is anonymous and leaves no means of contact any more.") % {
            "day": format_date(_today())
        }
    for kind in (DeadlineKind.ACKNOWLEDGMENT, DeadlineKind.FEEDBACK):
        _ledger(locked, kind, actor=actor, due_on=None, explanation=why, reason=reason)


@transaction.atomic
def report_contact_set(*, actor: Any, report: Report, contact_possible: bool) -> Report:
    """Record whether the author of `report` can be contacted (the referent learnt of an address, or lost the
    only one); the clock follows (`contact_set_locked`)."""
    locked = _locked(report)
    contact_set_locked(locked, actor=actor, contact_possible=contact_possible)
    return _refresh(report, locked)


# --- the workflow -------------------------------------------------------------------------------------------------


def _acknowledge(locked: Report, *, actor: Any, acknowledged_on: Any, letter: Any = None) -> None:
    """Record the acknowledgment (the first clock stops) and count the feedback again from the earlier of the
    acknowledgment and the 7th working day. `letter`: the written letter to the author that acknowledged the
    receipt without an acknowledgment of its own (a decision of inadmissibility, a closure)."""
    _check_open(locked, _("acknowledgment"))
    if locked.acknowledged_on is not None:
        raise ValidationError(
            {
                "acknowledged_on": _("This report was already acknowledged on %(day)s.")
                % {"day": format_date(locked.acknowledged_on)}
            }
        )
    # A letter acknowledges on its own day, whatever was decided before without telling the author (an
    # admissibility decided before any acknowledgment): the order of the dates is the referent's acts', not its.
    day = _day("acknowledged_on", acknowledged_on, locked, sets=("acknowledged_on",) if letter is None else ())
    fields = ["acknowledged_on"]
    locked.acknowledged_on = day
    if locked.status == Status.RECEIVED:
        locked.status = Status.ACKNOWLEDGED
        fields.append("status")
    feedback = None
    if locked.acknowledgment_due_on is not None and clock_applies(locked.content):
        feedback = feedback_deadline(locked.received_at, acknowledged_on=day)
        locked.feedback_due_on = feedback.due_on
        fields.append("feedback_due_on")
    _save(locked, actor=actor, reason=_("acknowledged"), fields=fields)
    with _site_language():
        values = {"day": format_date(day), "lateness": _lateness(day, locked.acknowledgment_due_on)}
        if letter is None:
            ack_reason = _("acknowledged on %(day)s (%(lateness)s)") % values
        else:
            ack_reason = _("acknowledged on %(day)s by the letter of %(letter)s (%(lateness)s)") % {
                **values,
                "letter": letter,
            }
        feedback_reason = _("counted again from the acknowledgment of %(day)s") % {"day": format_date(day)}
    _ledger(
        locked,
        DeadlineKind.ACKNOWLEDGMENT,
        actor=actor,
        due_on=locked.acknowledgment_due_on,
        explanation="",
        reason=ack_reason,
    )
    if feedback is not None:
        _ledger(
            locked,
            DeadlineKind.FEEDBACK,
            actor=actor,
            due_on=feedback.due_on,
            explanation=_in_site_language(feedback),
            reason=feedback_reason,
        )


def _letter_acknowledges(locked: Report, *, actor: Any, day: dt.date, letter: Any) -> None:
    """A letter that closes the report (inadmissibility, closure) is the author's written word that it was
    received: it is the acknowledgment, on its day, when none was recorded and one is due (never for an author
    who cannot be contacted)."""
    if locked.acknowledged_on is None and locked.acknowledgment_due_on is not None:
        if locked.feedback_on is not None and locked.feedback_on < day:  # the feedback was the first letter
            day, letter = locked.feedback_on, _("the feedback")
        _acknowledge(locked, actor=actor, acknowledged_on=day, letter=letter)


@transaction.atomic
def report_acknowledge(*, actor: Any, report: Report, acknowledged_on: dt.date, message: str = "") -> Report:
    """The acknowledgment sent (by the follow-up space, email or post) on `acknowledged_on`; `message`, when
    given, is written to the author's follow-up space."""
    locked = _locked(report)
    _acknowledge(locked, actor=actor, acknowledged_on=acknowledged_on)
    body = (message or "").strip()
    if body:
        _message(locked, direction=Direction.TO_AUTHOR, kind=MessageKind.ACKNOWLEDGMENT, body=body, actor=actor)
    return _refresh(report, locked)


@transaction.atomic
def report_decide_admissibility(
    *, actor: Any, report: Report, admissibility: str, decided_on: dt.date, reasons: str
) -> Report:
    """Admissible (the investigation may start) or inadmissible: the report is closed on that day and the
    author told why (the reasons, as a message of the follow-up space)."""
    locked = _locked(report)
    _in_choices("admissibility", admissibility, Admissibility)
    if locked.admissibility:
        assert locked.admissibility_decided_on is not None  # constraint wb_report_admissibility_dated
        raise ValidationError(
            {
                "admissibility": _("The admissibility of this report was already decided on %(day)s.")
                % {"day": format_date(locked.admissibility_decided_on)}
            }
        )
    inadmissible = admissibility == Admissibility.INADMISSIBLE
    _check_transition(
        locked,
        Status.CLOSED if inadmissible else Status.ADMISSIBLE,
        _("inadmissibility") if inadmissible else _("admissibility"),
    )
    # Inadmissible closes the report on that day: not before a meeting already requested or held.
    sets = ("admissibility_decided_on", "closed_on") if inadmissible else ("admissibility_decided_on",)
    day = _day("decided_on", decided_on, locked, sets=sets)
    text = (reasons or "").strip()
    if inadmissible and not text:
        raise ValidationError(
            {"reasons": _("Give the reasons why the report is inadmissible: the author is told them.")}
        )
    if inadmissible:
        _letter_acknowledges(locked, actor=actor, day=day, letter=_("the admissibility decision"))
    content = locked.content
    content.admissibility_reasons = text
    save_with_history(content, actor=actor, reason=_("admissibility decided"), update_fields=["admissibility_reasons"])
    locked.admissibility, locked.admissibility_decided_on = admissibility, day
    fields = ["admissibility", "admissibility_decided_on", "status"]
    if inadmissible:
        locked.status, locked.closed_on = Status.CLOSED, day
        fields.append("closed_on")
        why = _("declared inadmissible and closed")
    else:
        locked.status = Status.ADMISSIBLE
        why = _("declared admissible")
    _save(locked, actor=actor, reason=why, fields=fields)
    if inadmissible:
        _message(locked, direction=Direction.TO_AUTHOR, kind=MessageKind.ADMISSIBILITY, body=text, actor=actor)
    return _refresh(report, locked)


@transaction.atomic
def report_start_investigation(*, actor: Any, report: Report, measures: str = "") -> Report:
    """The verification of an admissible report starts (or starts again after a feedback); `measures`, when
    given, are the measures envisaged."""
    locked = _locked(report)
    _check_transition(locked, Status.INVESTIGATING, _("investigation"))
    text = (measures or "").strip()
    if text:
        content = locked.content
        content.measures = text
        save_with_history(content, actor=actor, reason=_("measures recorded"), update_fields=["measures"])
    locked.status = Status.INVESTIGATING
    _save(locked, actor=actor, reason=_("investigation started"), fields=["status"])
    return _refresh(report, locked)


@transaction.atomic
def report_give_feedback(*, actor: Any, report: Report, feedback_on: dt.date, measures: str, message: str) -> Report:
    """The author told of the measures envisaged or taken, and why (loi 2016-1691 art. 8; décret 2022-1284):
    the feedback clock stops on the first feedback; a later one (after more investigation) is a new message."""
    locked = _locked(report)
    _check_transition(locked, Status.FEEDBACK_GIVEN, _("feedback"))
    day = _day("feedback_on", feedback_on, locked, sets=("feedback_on",))
    text = _required_text(
        "measures", measures, _("Say which measures were envisaged or taken: the feedback is about them.")
    )
    body = _required_text("message", message, _("Write the feedback to the author."))
    _letter_acknowledges(locked, actor=actor, day=day, letter=_("the feedback"))
    content = locked.content
    content.measures = text
    save_with_history(content, actor=actor, reason=_("measures recorded"), update_fields=["measures"])
    first = locked.feedback_on is None
    if first:
        locked.feedback_on = day
    locked.status = Status.FEEDBACK_GIVEN
    _save(locked, actor=actor, reason=_("feedback given"), fields=["feedback_on", "status"])
    if first:
        with _site_language():
            reason = _("feedback given on %(day)s (%(lateness)s)") % {
                "day": format_date(day),
                "lateness": _lateness(day, locked.feedback_due_on),
            }
        _ledger(
            locked, DeadlineKind.FEEDBACK, actor=actor, due_on=locked.feedback_due_on, explanation="", reason=reason
        )
    _message(locked, direction=Direction.TO_AUTHOR, kind=MessageKind.FEEDBACK, body=body, actor=actor)
    return _refresh(report, locked)


@transaction.atomic
def report_close(*, actor: Any, report: Report, closed_on: dt.date, message: str) -> Report:
    """Close the report; the author is told in writing (`message`, in the follow-up space)."""
    locked = _locked(report)
    _check_transition(locked, Status.CLOSED, _("closure"))
    day = _day("closed_on", closed_on, locked, sets=("closed_on",))
    body = _required_text("message", message, _("Write to the author that the report is closed."))
    _letter_acknowledges(locked, actor=actor, day=day, letter=_("the closure"))
    fields = ["status", "closed_on"]
    if (
        locked.feedback_on is None
        and locked.feedback_due_on is not None
        and locked.admissibility != Admissibility.INADMISSIBLE
    ):
        # The closure letter is the author's written answer on what became of the report: the feedback, on
        # that day (late if after its due date), so that no clock is left owed once the report is closed.
        locked.feedback_on = day
        fields.append("feedback_on")
        with _site_language():
            reason = _("feedback given on %(day)s by the letter of closure (%(lateness)s)") % {
                "day": format_date(day),
                "lateness": _lateness(day, locked.feedback_due_on),
            }
        _ledger(
            locked, DeadlineKind.FEEDBACK, actor=actor, due_on=locked.feedback_due_on, explanation="", reason=reason
        )
    locked.status, locked.closed_on = Status.CLOSED, day
    _save(locked, actor=actor, reason=_("closed"), fields=fields)
    _message(locked, direction=Direction.TO_AUTHOR, kind=MessageKind.CLOSURE, body=body, actor=actor)
    return _refresh(report, locked)


@transaction.atomic
def report_request_meeting(*, report: Report, requested_on: dt.date, actor: Any = None) -> Report:
    """The author asks for a video or in-person meeting (from the follow-up space: `actor` None; or by other
    means, recorded by a referent): it is due within 20 working days of the request."""
    locked = _locked(report)
    _check_open(locked, _("meeting"))
    if locked.meeting_requested_on is not None and locked.meeting_held_on is None:
        assert locked.meeting_due_on is not None
        raise ValidationError(
            {
                "requested_on": _("A meeting was already requested on %(day)s; it is due by %(due)s.")
                % {"day": format_date(locked.meeting_requested_on), "due": format_date(locked.meeting_due_on)}
            }
        )
    day = _day("requested_on", requested_on, locked)
    deadline = meeting_deadline(day)
    locked.meeting_requested_on, locked.meeting_due_on, locked.meeting_held_on = day, deadline.due_on, None
    _save(
        locked,
        actor=actor,
        reason=_("meeting requested"),
        fields=["meeting_requested_on", "meeting_due_on", "meeting_held_on"],
    )
    with _site_language():
        reason = _("meeting requested")
        body = _("Meeting requested on %(day)s; it is to be held by %(due)s.") % {
            "day": format_date(day),
            "due": format_date(deadline.due_on),
        }
    _ledger(
        locked,
        DeadlineKind.MEETING,
        actor=actor,
        due_on=deadline.due_on,
        explanation=_in_site_language(deadline),
        reason=reason,
    )
    _message(locked, direction=Direction.FROM_AUTHOR, kind=MessageKind.MEETING_REQUEST, body=body, actor=actor)
    return _refresh(report, locked)


@transaction.atomic
def report_meeting_held(*, actor: Any, report: Report, held_on: dt.date, minutes: str = "") -> Report:
    """The meeting took place on `held_on` (the meeting clock stops); its minutes, when given, are offered to
    the author in the follow-up space to check."""
    locked = _locked(report)
    _check_open(locked, _("meeting"))
    if locked.meeting_held_on is not None:
        raise ValidationError(
            {
                "held_on": _("A meeting held on %(day)s is already recorded; a new one follows a new request.")
                % {"day": format_date(locked.meeting_held_on)}
            }
        )
    day = _day("held_on", held_on, locked, sets=("meeting_held_on",))
    locked.meeting_held_on = day
    _save(locked, actor=actor, reason=_("meeting held"), fields=["meeting_held_on"])
    if locked.meeting_due_on is not None:
        with _site_language():
            reason = _("meeting held on %(day)s (%(lateness)s)") % {
                "day": format_date(day),
                "lateness": _lateness(day, locked.meeting_due_on),
            }
        _ledger(locked, DeadlineKind.MEETING, actor=actor, due_on=locked.meeting_due_on, explanation="", reason=reason)
    text = (minutes or "").strip()
    if text:
        _message(locked, direction=Direction.TO_AUTHOR, kind=MessageKind.MINUTES, body=text, actor=actor)
    return _refresh(report, locked)


@transaction.atomic
def report_set_proceedings(
    *, actor: Any, report: Report, proceedings: str, ended_on: dt.date | None = None, note: str = ""
) -> Report:
    """Whether disciplinary or judicial proceedings followed, and when they ended: the retention rule reads it
    (proceedings keep the report until they end). Also on a closed report."""
    locked = _locked(report)
    _in_choices("proceedings", proceedings, Proceedings)
    if proceedings == Proceedings.ENDED:
        if ended_on is None:
            raise ValidationError({"ended_on": _("Proceedings that ended need their end date.")})
        day: dt.date | None = _day("ended_on", ended_on, locked)
    elif ended_on is not None:
        raise ValidationError({"ended_on": _("An end date goes only with proceedings that ended.")})
    else:
        day = None
    text = (note or "").strip()
    if text:
        content = locked.content
        content.proceedings_note = text
        save_with_history(content, actor=actor, reason=_("proceedings noted"), update_fields=["proceedings_note"])
    locked.proceedings, locked.proceedings_ended_on = proceedings, day
    _save(
        locked,
        actor=actor,
        reason=_("proceedings: %(state)s") % {"state": Proceedings(proceedings).label},
        fields=["proceedings", "proceedings_ended_on"],
    )
    return _refresh(report, locked)


@transaction.atomic
def report_link(*, actor: Any, report: Report, record: Any) -> ReportLink:
    """Link the report to the record it led to (a conflict-of-interest case, an AML/CFT alert or a breach).
    Nothing of the report is copied into that record: the link lives on the report's sealed side."""
    locked = _locked(report)
    label = getattr(getattr(record, "_meta", None), "label_lower", None)
    kind = next((kind for kind in LinkKind.values if link_target_model(kind)._meta.label_lower == label), None)
    if kind is None or getattr(record, "pk", None) is None:
        raise ValidationError(
            {"record": _("A report is linked to a conflict-of-interest case, an AML/CFT alert or a breach.")}
        )
    field = kind  # ReportLink's field of each kind bears its name (selectors.link_target_model)
    if kind not in linkable_kinds(actor):
        raise ValidationError({"record": _("You may not link a report to this kind of record.")})
    if locked.links.filter(**{f"{field}_id": record.pk}).exists():
        raise ValidationError({"record": _("The report is already linked to this record.")})
    link = ReportLink(report=locked, kind=kind, linked_by=actor, **{f"{field}_id": record.pk})
    save_with_history(link, actor=actor, reason=_("linked: %(kind)s") % {"kind": LinkKind(kind).label})
    return link


@transaction.atomic
def report_entity_set(*, actor: Any, report: Report, entity: Any) -> Report:
    """The legal entity the report is about (None: not known); with per-entity referents, it decides who
    sees the content."""
    locked = _locked(report)
    content = locked.content
    changed = content.entity_id != (entity.pk if entity is not None else None)
    if _per_entity():
        # Only a referent who reads the report may move it, and only into one of their own entities: moving
        # it elsewhere (or clearing it: every referent would read it) would show it to other referents, and
        # moving a report one may not read into one's own entity would read it (review 21b #1). Checked first,
        # changed or not: "unchanged" would otherwise tell an outsider the report's entity.
        if not content_visible_to(actor, locked):
            raise ValidationError({"report": _("You may not change the legal entity of this report.")})
    if changed and _per_entity():
        if entity is None:
            raise ValidationError(
                {"entity": _("With referents per entity, a report's legal entity cannot be removed.")}
            )
        _check_entity_of(actor, entity)
    if changed:
        content.entity = entity
        save_with_history(content, actor=actor, reason=_("entity set"), update_fields=["entity"])
    return _refresh(report, locked)


# --- the follow-up space ------------------------------------------------------------------------------------------


@transaction.atomic
def message_to_author(
    *, actor: Any, report: Report, body: str, kind: str = MessageKind.MESSAGE, files: Sequence[Any] = ()
) -> Message:
    """A referent writes to the author's follow-up space. An acknowledgment sent this way, when the report was
    not yet acknowledged, acknowledges it on the Paris date of sending (the first clock stops)."""
    _in_choices("kind", kind, MessageKind)
    if kind not in FREE_MESSAGE_KINDS:
        raise ValidationError(
            {
                "kind": _("A message “%(kind)s” is written by its action, not sent on its own.")
                % {"kind": MessageKind(kind).label}
            }
        )
    text = _required_text("body", body, _("The message is empty."))
    checked = _check_files(files)
    locked = _locked(report)
    _check_open(locked, _("message"))
    if kind == MessageKind.ACKNOWLEDGMENT and locked.acknowledged_on is None:
        _acknowledge(locked, actor=actor, acknowledged_on=_today())
    message = _message(locked, direction=Direction.TO_AUTHOR, kind=kind, body=text, actor=actor)
    _add_files(locked, checked, from_author=False, actor=actor, message=message)
    return message


@transaction.atomic
def message_from_author(*, report: Report, body: str, files: Sequence[Any] = ()) -> Message:
    """The author answers from the follow-up space (after `follow_up_open`), with documents if any."""
    text = _required_text("body", body, _("The message is empty."))
    checked = _check_files(files)
    locked = _locked(report)
    _check_open(locked, _("message"))
    message = _message(
        locked,
        direction=Direction.FROM_AUTHOR,
        kind=MessageKind.MESSAGE,
        body=text,
        actor=None,
        reason=_("message from the author"),
    )
    _add_files(locked, checked, from_author=True, actor=None, message=message)
    return message
