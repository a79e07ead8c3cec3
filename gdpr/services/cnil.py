"""Services of the CNIL cases: create, update, answer, attach the letters.

The only writers of `CnilCase` and `CnilCaseAttachment` besides the importer (which applies the same
rules through `cnil_case_problems`). A referral's reply date comes from the CNIL's letter and is entered,
never computed: there is no statutory period (docs/rules.md, "CNIL cases"). A complaint without referral has
none, unless a CNIL letter sets one: then it is entered the same way and alerted on like a referral's. Every write validates first
(ValidationError with field messages, nothing written) and leaves a history row naming who and why.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from core.dates import format_date
from core.services import ensure_reference_free, next_reference, save_with_history
from organization.models import LegalEntity

from ..choices import CnilCaseKind
from ..models import CnilCase, CnilCaseAttachment, RightsRequest
from .entities import controller_entity

#: "Not given" for the optional arguments of `cnil_case_update` (None is a value there: no due date).
UNSET: Any = object()


_save = save_with_history


def cnil_case_problems(
    *,
    kind: str,
    received_on: dt.date | None,
    due_on: dt.date | None,
    answered_on: dt.date | None = None,
    today: dt.date | None = None,
) -> dict[str, str]:
    """The contradictions of a case's dates, by field (empty when it holds together).

    Shared by the services, the admin forms and the importer, so each says the same thing.
    """
    today = today or timezone.localdate()
    problems: dict[str, str] = {}
    if kind not in CnilCaseKind.values:
        problems["kind"] = gettext("'%(kind)s' is not a kind of CNIL case (expected %(expected)s).") % {
            "kind": kind,
            "expected": ", ".join(CnilCaseKind.values),
        }
    if received_on is None:
        problems["received_on"] = gettext("The receipt date is required.")
    elif received_on > today:
        problems["received_on"] = gettext("The receipt date (%(day)s) cannot be in the future.") % {
            "day": format_date(received_on)
        }
    if kind == CnilCaseKind.REFERRAL and due_on is None:
        problems["due_on"] = gettext("A referral needs the reply date set in the CNIL's letter.")
    elif due_on is not None and received_on is not None and due_on < received_on:
        problems["due_on"] = gettext("The reply date (%(due)s) cannot be before the receipt (%(received)s).") % {
            "due": format_date(due_on),
            "received": format_date(received_on),
        }
    if answered_on is not None:
        if received_on is not None and answered_on < received_on:
            problems["answered_on"] = gettext(
                "The answer (%(answered)s) cannot be dated before the receipt (%(received)s)."
            ) % {"answered": format_date(answered_on), "received": format_date(received_on)}
        elif answered_on > today:
            problems["answered_on"] = gettext("The answer (%(day)s) cannot be dated in the future.") % {
                "day": format_date(answered_on)
            }
    return problems


def cnil_case_edit_problems(case: CnilCase) -> dict[str, str]:
    """The contradictions of a case as edited (used by `cnil_case_update` and the admin form)."""
    problems = cnil_case_problems(kind=case.kind, received_on=case.received_on, due_on=case.due_on)
    # The answer date was checked when it was recorded; a corrected receipt must still precede it.
    if case.answered_on is not None and case.received_on is not None and case.answered_on < case.received_on:
        problems.setdefault(
            "received_on",
            gettext("The receipt (%(received)s) cannot be after the answer (%(answered)s).")
            % {"received": format_date(case.received_on), "answered": format_date(case.answered_on)},
        )
    return problems


def _check(problems: dict[str, str]) -> None:
    if problems:
        raise ValidationError(problems)


def _check_reference_free(reference: str, *, exclude_pk: int | None = None) -> None:
    ensure_reference_free(
        CnilCase,
        reference,
        exclude_pk=exclude_pk,
        message=gettext("A CNIL case with the reference %(reference)s already exists.") % {"reference": reference},
    )


def cnil_case_next_reference(year: int) -> str:
    """`CNIL-YYYY-NNN`, one more than the highest number of that year."""
    return next_reference(CnilCase, f"CNIL-{year}-", width=3)


@transaction.atomic
def cnil_case_create(
    *,
    actor: Any,
    kind: str,
    received_on: dt.date,
    due_on: dt.date | None = None,
    reference: str = "",
    cnil_reference: str = "",
    rights_request: RightsRequest | None = None,
    subject: str = "",
    notes: str = "",
    handler: Any = None,
    entity: LegalEntity | None = None,
) -> CnilCase:
    """Record a referral (with the reply date of the CNIL's letter) or a complaint without referral (with
    the reply date a CNIL letter set, if one did).

    `reference` is generated (`CNIL-YYYY-NNN`, year of receipt) when not given.
    """
    _check(cnil_case_problems(kind=kind, received_on=received_on, due_on=due_on))
    reference = (reference or "").strip() or cnil_case_next_reference(received_on.year)
    _check_reference_free(reference)
    case = CnilCase(
        reference=reference,
        kind=kind,
        received_on=received_on,
        due_on=due_on,
        cnil_reference=cnil_reference,
        rights_request=rights_request,
        subject=subject,
        notes=notes,
        handler=handler,
        entity=controller_entity(entity),
    )
    _save(
        case,
        actor=actor,
        reason=gettext("recorded: %(kind)s received %(day)s")
        % {"kind": case.get_kind_display(), "day": format_date(received_on)},
    )
    return case


@transaction.atomic
def cnil_case_update(
    *,
    actor: Any,
    case: CnilCase,
    reference: str = UNSET,
    kind: str = UNSET,
    received_on: dt.date = UNSET,
    due_on: dt.date | None = UNSET,
    cnil_reference: str = UNSET,
    rights_request: RightsRequest | None = UNSET,
    subject: str = UNSET,
    notes: str = UNSET,
    handler: Any = UNSET,
    entity: LegalEntity | None = UNSET,
    reason: str = "",
) -> CnilCase:
    """Change what was entered (a new reply date granted by the CNIL, one a later letter sets on a
    complaint, a correction). The answer is recorded by `cnil_case_answer`. Arguments not given are left
    as they are."""
    locked = CnilCase.objects.select_for_update().get(pk=case.pk)
    changes = {
        name: value
        for name, value in {
            "reference": reference,
            "kind": kind,
            "received_on": received_on,
            "due_on": due_on,
            "cnil_reference": cnil_reference,
            "rights_request": rights_request,
            "subject": subject,
            "notes": notes,
            "handler": handler,
            "entity": entity,
        }.items()
        if value is not UNSET
    }
    if "entity" in changes:
        changes["entity"] = controller_entity(changes["entity"])
    if "reference" in changes:
        changes["reference"] = (changes["reference"] or "").strip()
        if not changes["reference"]:
            raise ValidationError({"reference": gettext("The reference cannot be empty.")})
        _check_reference_free(changes["reference"], exclude_pk=locked.pk)
    for name, value in changes.items():
        setattr(locked, name, value)
    _check(cnil_case_edit_problems(locked))
    changed = sorted(name for name in changes if name != "handler") or ["handler"]
    _save(locked, actor=actor, reason=reason or gettext("updated: %(fields)s") % {"fields": ", ".join(changed)})
    return locked


@transaction.atomic
def cnil_case_answer(*, actor: Any, case: CnilCase, answered_on: dt.date, reason: str = "") -> CnilCase:
    """Record the date we answered the CNIL: not before the receipt, not in the future, once."""
    locked = CnilCase.objects.select_for_update().get(pk=case.pk)
    if answered_on is None:
        raise ValidationError({"answered_on": gettext("The answer date is required.")})
    if locked.answered_on is not None:
        raise ValidationError(
            {
                "answered_on": gettext("This case was already answered on %(day)s.")
                % {"day": format_date(locked.answered_on)}
            }
        )
    problems = cnil_case_problems(
        kind=locked.kind, received_on=locked.received_on, due_on=locked.due_on, answered_on=answered_on
    )
    if "answered_on" in problems:
        raise ValidationError({"answered_on": problems["answered_on"]})
    locked.answered_on = answered_on
    if locked.due_on is not None and answered_on > locked.due_on:
        text = gettext("answered %(day)s, after the reply date %(due)s") % {
            "day": format_date(answered_on),
            "due": format_date(locked.due_on),
        }
    else:
        text = gettext("answered %(day)s") % {"day": format_date(answered_on)}
    _save(locked, actor=actor, reason=reason or text, update_fields=["answered_on"])
    return locked


def cnil_case_allowed_actions(case: CnilCase) -> list[str]:
    """What the services accept for the case (for the buttons of its page): a letter can always be kept;
    the answer is recorded once. A case has no other state: it ends with its answer."""
    return ["attach"] if case.answered_on is not None else ["answer", "attach"]


@transaction.atomic
def cnil_case_attach(*, actor: Any, case: CnilCase, file: File, description: str = "") -> CnilCaseAttachment:
    """Keep a letter (from or to the CNIL) with its case, under MEDIA_ROOT."""
    if file is None or not getattr(file, "name", "") or file.size == 0:
        raise ValidationError({"file": gettext("The file is empty or missing.")})
    attachment = CnilCaseAttachment(case=case, file=file, description=description.strip(), uploaded_by=actor)
    name = description.strip() or attachment.filename
    _save(attachment, actor=actor, reason=gettext("letter attached: %(name)s") % {"name": name})
    return attachment
