"""Services of the Art. 30 register: create, update, retire and review processing activities.

The only writers of `ProcessingActivity` besides the importer (which writes through the import engine
with the same date rules, `date_problems`). Every write validates the whole record (`full_clean`:
the model's rules, its constraints, a unique reference) and leaves a history row naming who and why.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from core.dates import format_date
from core.services import save_with_history

from ..choices import ProcessingRole
from ..models import ProcessingActivity
from .entities import controller_entity

#: The fields a person edits (create and update). `retired_on`/`retired_reason` change only through
#: `processing_activity_retire`; `last_reviewed_on` also through `processing_activity_review`.
EDITABLE_FIELDS: tuple[str, ...] = (
    "reference",
    "name",
    "role",
    "entity",
    "controller_contact",
    "joint_controllers",
    "purposes",
    "legal_basis",
    "data_subject_categories",
    "data_categories",
    "sensitive_data",
    "sensitive_data_details",
    "recipients",
    "transfers_outside_eu",
    "transfer_safeguards",
    "retention",
    "security_measures",
    "controllers_served",
    "processing_categories",
    "dpia_required",
    "dpia_done_on",
    "registered_on",
    "last_reviewed_on",
)


def _save(activity: ProcessingActivity, *, actor: Any, reason: str, update_fields: list[str] | None = None) -> None:
    """Save with a history row naming `actor` and `reason`; a whole-record save validates the record
    first, a transition (retire, review) checks its own rules and writes only its columns, so an
    imported record that is still incomplete can be retired or reviewed."""
    if update_fields is None:
        activity.full_clean()
    save_with_history(activity, actor=actor, reason=reason, update_fields=update_fields)


@transaction.atomic
def processing_activity_create(
    *,
    actor: Any,
    reference: str,
    name: str,
    role: str = ProcessingRole.CONTROLLER,
    registered_on: dt.date | None = None,
    reason: str = "",
    **fields: Any,
) -> ProcessingActivity:
    """Enter an activity in the register (on `registered_on`, today by default).

    `fields` are the other `EDITABLE_FIELDS`; ValidationError (with field messages) when the record is
    incomplete or contradicts itself, nothing written.
    """
    unknown = sorted(set(fields) - set(EDITABLE_FIELDS))
    if unknown:
        raise TypeError(f"processing_activity_create() got unexpected fields: {', '.join(unknown)}")
    fields["entity"] = controller_entity(fields.get("entity"))
    activity = ProcessingActivity(
        reference=reference.strip(),
        name=name.strip(),
        role=role,
        registered_on=registered_on or timezone.localdate(),
        **fields,
    )
    _save(activity, actor=actor, reason=reason or gettext("Entered the register"))
    return activity


@transaction.atomic
def processing_activity_update(
    *, activity: ProcessingActivity, actor: Any, data: Mapping[str, Any], reason: str = ""
) -> ProcessingActivity:
    """Change the fields of `data` (a subset of `EDITABLE_FIELDS`); the change reason names them."""
    unknown = sorted(set(data) - set(EDITABLE_FIELDS))
    if unknown:
        raise TypeError(f"processing_activity_update() got unexpected fields: {', '.join(unknown)}")
    activity = ProcessingActivity.objects.select_for_update().get(pk=activity.pk)
    if "entity" in data:
        data = {**data, "entity": controller_entity(data["entity"])}
    changed = [name for name, value in data.items() if getattr(activity, name) != value]
    if not changed:
        return activity
    for name in changed:
        setattr(activity, name, data[name])
    reason = reason or gettext("Updated: %(fields)s") % {"fields": ", ".join(changed)}
    _save(activity, actor=actor, reason=reason)
    return activity


@transaction.atomic
def processing_activity_retire(
    *, activity: ProcessingActivity, actor: Any, retired_on: dt.date, reason: str
) -> ProcessingActivity:
    """Take an activity out of the register from `retired_on` (it is no longer in it on that day).

    A future date is allowed (the activity ends at the end of the month); retiring on the day it
    entered the register withdraws an entry made by mistake from every dated register.
    """
    activity = ProcessingActivity.objects.select_for_update().get(pk=activity.pk)
    errors: dict[str, list[str]] = {}
    if not reason or not reason.strip():
        errors["reason"] = [gettext("Say why the activity leaves the register.")]
    if activity.retired_on is not None:
        errors["retired_on"] = [
            gettext("%(activity)s is already retired (on %(date)s).")
            % {"activity": activity.reference, "date": format_date(activity.retired_on)}
        ]
    elif retired_on < activity.registered_on:
        errors["retired_on"] = [
            gettext("%(activity)s cannot be retired before it entered the register (%(date)s).")
            % {"activity": activity.reference, "date": format_date(activity.registered_on)}
        ]
    if errors:
        raise ValidationError(errors)
    activity.retired_on = retired_on
    activity.retired_reason = reason.strip()
    _save(
        activity,
        actor=actor,
        update_fields=["retired_on", "retired_reason"],
        reason=gettext("Retired on %(date)s: %(reason)s") % {"date": format_date(retired_on), "reason": reason.strip()},
    )
    return activity


@transaction.atomic
def processing_activity_review(
    *, activity: ProcessingActivity, actor: Any, reviewed_on: dt.date | None = None, note: str = ""
) -> ProcessingActivity:
    """Record that the DPO checked the record is still accurate, on `reviewed_on` (today by default)."""
    reviewed_on = reviewed_on or timezone.localdate()
    activity = ProcessingActivity.objects.select_for_update().get(pk=activity.pk)
    problem = None
    if reviewed_on > timezone.localdate():
        problem = gettext("A review cannot be dated in the future.")
    elif reviewed_on < activity.registered_on:
        problem = gettext("%(activity)s cannot be reviewed before it entered the register (%(date)s).") % {
            "activity": activity.reference,
            "date": format_date(activity.registered_on),
        }
    elif activity.retired_on is not None and activity.retired_on <= reviewed_on:
        problem = gettext("%(activity)s was retired on %(date)s: a retired activity is not reviewed.") % {
            "activity": activity.reference,
            "date": format_date(activity.retired_on),
        }
    elif activity.last_reviewed_on is not None and reviewed_on < activity.last_reviewed_on:
        problem = gettext("%(activity)s was already reviewed on %(date)s, a later date.") % {
            "activity": activity.reference,
            "date": format_date(activity.last_reviewed_on),
        }
    if problem:
        raise ValidationError({"reviewed_on": [problem]})
    if activity.last_reviewed_on == reviewed_on:
        return activity
    activity.last_reviewed_on = reviewed_on
    text = gettext("Reviewed on %(date)s") % {"date": format_date(reviewed_on)}
    _save(
        activity,
        actor=actor,
        update_fields=["last_reviewed_on"],
        reason=f"{text}: {note.strip()}" if note.strip() else text,
    )
    return activity
