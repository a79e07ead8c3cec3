"""The review of screening hits: confirmed or false positive, with the reason, by whom; history kept.

A confirmed hit on a counterparty whose relationship lasts opens a vigilance alert (source "screening") through
`aml.services.alerts.alert_raise`; the immediate email to the AML/CFT officers is the alert rule's
(aml/alerts.py). Errors are `ValidationError`s keyed by the argument at fault (the API answers 400 with them,
the admin shows them).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from core.services import save_with_history

from ..choices import AlertSource, HitStatus
from ..models import Hit

__all__ = ["REVIEW_STATUSES", "hit_review"]

#: What a review may say.
REVIEW_STATUSES = (HitStatus.CONFIRMED, HitStatus.FALSE_POSITIVE)


def hit_review(*, actor: Any, hit: Hit, status: str, reason: str) -> Hit:
    """Record the review of a pending hit; a confirmed hit on an active counterparty raises an alert."""
    if status not in REVIEW_STATUSES:
        raise ValidationError({"status": gettext("A hit is reviewed as confirmed or as a false positive.")})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": gettext("A review needs its reason.")})
    with transaction.atomic():
        locked = Hit.objects.select_for_update().select_related("counterparty", "entry__screening_list").get(pk=hit.pk)
        if locked.status != HitStatus.PENDING:
            raise ValidationError({"status": gettext("This hit has already been reviewed.")})
        locked.status = status
        locked.reviewed_at = timezone.now()
        locked.reviewed_by = actor
        locked.review_reason = reason
        save_with_history(
            locked,
            actor=actor,
            reason=gettext("reviewed: %(status)s") % {"status": HitStatus(status).label},
            update_fields=["status", "reviewed_at", "reviewed_by", "review_reason"],
        )
        counterparty = locked.counterparty
        if (
            status == HitStatus.CONFIRMED
            and counterparty.relationship_ended_on is None
            and counterparty.anonymised_on is None
        ):
            from .alerts import alert_raise

            alert_raise(
                actor=actor,
                source=AlertSource.SCREENING,
                reason=gettext(
                    "Confirmed asset-freeze screening hit: list %(list)s, entry %(list_id)s, matched name "
                    "“%(name)s” (score %(score)s). Review: %(reason)s"
                )
                % {
                    "list": locked.entry.screening_list.code,
                    "list_id": locked.entry.list_id,
                    "name": locked.matched_name,
                    "score": locked.score,
                    "reason": reason,
                },
                counterparty=counterparty,
                hit=locked,
            )
            transaction.on_commit(_send_confirmed_hit_alert)
    for field in locked._meta.concrete_fields:  # the caller's instance shows what was written
        setattr(hit, field.attname, getattr(locked, field.attname))
    return locked


def _send_confirmed_hit_alert() -> None:
    """The AML officers learn of a confirmed hit at once (issue: "an immediate email"): the hourly sweep (which
    holds the rule aml.alert.confirmed_hit) and the immediate sending are queued now rather than at the next
    tick. The review is committed: an unreachable broker is logged and the hourly tick sends it."""
    from notifications.tasks import sweep_and_send

    from ..tasks import queue

    queue(sweep_and_send, schedule="hourly", what="sweep after a confirmed hit", covered_by="the hourly sweep")
