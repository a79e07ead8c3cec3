"""The rules of a rights request's dates and outcome, in one place for the services and the import.

The services apply them one transition at a time (`rights_request_extend` checks an extension, for
instance) and raise the first problem; the import checks a whole row at once with
`rights_request_problems`, which also holds the rules that the services' workflow guarantees by its
order (an answer needs an outcome, an extension comes before the answer...). Each rule returns its
message, or None when it holds, so both say the same thing in the same words.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.utils import timezone
from django.utils.translation import gettext as _

from core.dates import format_date, format_datetime

from ..choices import Outcome
from ..deadlines import DeadlinePolicy, Pause, extended_deadline, paris_date, rights_request_deadline

__all__ = [
    "REFUSALS",
    "complaint_notice_problem",
    "rights_request_extension_lateness",
    "extension_reason_problem",
    "future_problem",
    "info_received_problem",
    "not_before_receipt_problem",
    "passed_deadline_problem",
    "refusal_ground_problem",
    "rights_request_problems",
]

#: The outcomes that refuse to act on the request (Art. 12(4)-(5)).
REFUSALS = (Outcome.REFUSED, Outcome.UNFOUNDED)

Problems = list[tuple[str, str]]


def future_problem(value: dt.date | dt.datetime) -> str | None:
    """A request's events have all happened: none is dated after now (a date alone, after today)."""
    if isinstance(value, dt.datetime):
        future = value > timezone.now()
    else:
        future = value > timezone.localdate()
    return _("This date is in the future.") if future else None


def not_before_receipt_problem(value: dt.date | dt.datetime, received_at: dt.datetime) -> str | None:
    """Nothing happens to a request before it is received (a date alone is compared with the Paris day)."""
    if isinstance(value, dt.datetime):
        too_early = value < received_at
    else:
        too_early = value < paris_date(received_at)
    if not too_early:
        return None
    return _("This date is before the receipt of the request (%(received)s).") % {
        "received": format_datetime(received_at)
    }


def info_received_problem(asked_on: dt.date, answered_on: dt.date) -> str | None:
    """Information asked for cannot arrive before it was asked for."""
    if answered_on >= asked_on:
        return None
    return _("The information cannot be received (%(answered)s) before it was asked for (%(asked)s).") % {
        "answered": format_date(answered_on),
        "asked": format_date(asked_on),
    }


def extension_reason_problem(reason: str) -> str | None:
    """Art. 12(3): the requester is told the reasons of an extension."""
    if (reason or "").strip():
        return None
    return _("The reasons for the extension are required: the requester must be told them (Art. 12(3)).")


def rights_request_extension_lateness(
    *,
    received_at: dt.datetime,
    pauses: Sequence[Pause],
    notified_at: dt.datetime,
    policy: DeadlinePolicy | None = None,
) -> dt.date | None:
    """The first deadline when `notified_at` falls after it (the extension is then void), else None.

    Art. 12(3): the requester must be told of the extension, with reasons, within the first month.
    A pause still open on the notification day counts up to that day (the deadline was suspended).
    """
    notified_on = paris_date(notified_at)
    first = rights_request_deadline(received_at, pauses=list(pauses), as_of=notified_on, policy=policy)
    return first.due_on if notified_on > first.due_on else None


def late_extension_problem(
    *,
    received_at: dt.datetime,
    pauses: Sequence[Pause],
    notified_at: dt.datetime,
    policy: DeadlinePolicy | None = None,
) -> str | None:
    late = rights_request_extension_lateness(
        received_at=received_at, pauses=pauses, notified_at=notified_at, policy=policy
    )
    if late is None:
        return None
    return _(
        "The requester was told on %(notified)s, after the first deadline (%(due)s): an extension must be "
        "notified before it (Art. 12(3))."
    ) % {"notified": format_date(paris_date(notified_at)), "due": format_date(late)}


def passed_deadline_problem(asked_on: dt.date, due_on: dt.date | None) -> str | None:
    """A deadline that has passed cannot be suspended by asking for information."""
    if due_on is None or asked_on <= due_on:
        return None
    return _("The deadline (%(due)s) had already passed: it cannot be suspended.") % {"due": format_date(due_on)}


def refusal_ground_problem(ground: str) -> str | None:
    if ground:
        return None
    return _("A refusal needs its ground: manifestly unfounded or excessive (Art. 12(5)).")


def complaint_notice_problem(complaint_right_notified: bool | None) -> str | None:
    if complaint_right_notified is True:
        return None
    return _("A refusal must tell the requester of the right to complain to the CNIL (Art. 12(4)): confirm it did.")


def _add(problems: Problems, field: str, message: str | None) -> None:
    if message is not None:
        problems.append((field, message))


def rights_request_problems(
    *,
    received_at: dt.datetime,
    answered_at: dt.datetime | None = None,
    outcome: str = "",
    extension_notified_at: dt.datetime | None = None,
    extension_reason: str = "",
    refusal_ground: str = "",
    complaint_right_notified: bool | None = None,
    refusal_ground_given: bool = False,
    identity_asked_on: dt.date | None = None,
    identity_received_on: dt.date | None = None,
    other_pauses: Sequence[Pause] = (),
    policy: DeadlinePolicy | None = None,
) -> Problems:
    """The (field, message) contradictions of a request's state as a whole (empty when it holds).

    Fields are the request's columns. `refusal_ground_given`: the ground comes from the caller's input
    (a stored one is cleared with another outcome, a given one is a contradiction). The deadline rules
    (the extension in time, the identity asked for before the deadline) are checked only when the
    dates agree otherwise, since they compute the deadline from them.
    """
    problems: Problems = []
    asked, got = identity_asked_on, identity_received_on
    reason = (extension_reason or "").strip()
    if got is not None and asked is None:
        problems.append(
            (
                "identity_received_at",
                _("the identity was received but never asked for (identity_requested_at is empty)"),
            )
        )
    if asked is not None and got is not None:
        _add(problems, "identity_received_at", info_received_problem(asked, got))
    if asked is not None:
        _add(problems, "identity_requested_at", not_before_receipt_problem(asked, received_at))
    if answered_at is not None:
        _add(problems, "answered_at", not_before_receipt_problem(answered_at, received_at))
    if answered_at is not None and not outcome:
        problems.append(("outcome", _("an answer date needs an outcome")))
    if outcome and answered_at is None:
        problems.append(("answered_at", _("an outcome needs an answer date")))
    if answered_at is not None and asked is not None and paris_date(answered_at) < asked:
        problems.append(
            (
                "identity_requested_at",
                _("%(asked)s is after the answer (%(answered)s)")
                % {"asked": format_date(asked), "answered": format_date(paris_date(answered_at))},
            )
        )
    if answered_at is not None and asked is not None and got is None:
        problems.append(
            (
                "identity_received_at",
                _(
                    "the request was answered while its identity check was still "
                    "pending: give the date the identity was received"
                ),
            )
        )
    if extension_notified_at is not None:
        _add(problems, "extension_reason", extension_reason_problem(reason))
    if reason and extension_notified_at is None:
        problems.append(
            (
                "extension_notified_at",
                _("reasons for an extension are given but not the date the requester was told of it"),
            )
        )
    if extension_notified_at is not None and answered_at is not None and extension_notified_at > answered_at:
        problems.append(
            (
                "extension_notified_at",
                _("%(notified)s is after the answer (%(answered)s)")
                % {
                    "notified": format_date(paris_date(extension_notified_at)),
                    "answered": format_date(paris_date(answered_at)),
                },
            )
        )
    if outcome in REFUSALS:
        _add(problems, "refusal_ground", refusal_ground_problem(refusal_ground))
        _add(problems, "complaint_right_notified", complaint_notice_problem(bool(complaint_right_notified)))
    elif refusal_ground_given and refusal_ground:
        problems.append(("refusal_ground", _("a refusal ground goes with the outcome refused or unfounded")))
    if extension_notified_at is not None:
        _add(problems, "extension_notified_at", not_before_receipt_problem(extension_notified_at, received_at))
    if problems:
        return problems

    pauses = [*other_pauses, *([Pause(asked, got)] if asked is not None else [])]
    if sum(1 for pause in pauses if pause.is_open) > 1:
        return [("identity_requested_at", _("another pause of this request is still open"))]
    if extension_notified_at is not None:
        _add(
            problems,
            "extension_notified_at",
            late_extension_problem(
                received_at=received_at, pauses=pauses, notified_at=extension_notified_at, policy=policy
            ),
        )
    if asked is not None:
        _add(
            problems,
            "identity_requested_at",
            passed_deadline_problem(
                asked, _due_when_asked(received_at, asked, extension_notified_at, other_pauses, policy)
            ),
        )
    return problems


def _due_when_asked(
    received_at: dt.datetime,
    asked: dt.date,
    notified_at: dt.datetime | None,
    other_pauses: Sequence[Pause],
    policy: DeadlinePolicy | None,
) -> dt.date:
    """The deadline that applied on the day the identity was asked for: the pauses ended by then count,
    and the extension when it was notified by then."""
    earlier = [pause for pause in other_pauses if pause.answered is not None and pause.answered <= asked]
    extended = notified_at is not None and paris_date(notified_at) <= asked
    compute = extended_deadline if extended else rights_request_deadline
    return compute(received_at, pauses=earlier, policy=policy).due_on
