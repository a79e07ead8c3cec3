"""The gdpr deadline rules (notifications/registry.py), for the DPO (DPO_EMAILS) and the handler.

- rights request: 7, 3 and 1 days before the applicable deadline, and overdue (the day after it);
- "decide on an extension": unanswered 7 days before the first deadline, no extension recorded.

A request whose deadline is suspended (a pause is open: no applicable deadline) has no alert until
it resumes.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.models import Urgency
from notifications.registry import Item, Rule, Threshold

from .choices import OPEN_REQUEST_STATUSES


def _start_of(day: dt.date) -> dt.datetime:
    """A deadline day as an instant: its first moment, Paris time (day thresholds count from it)."""
    return dt.datetime.combine(day, dt.time(0), tzinfo=timezone.get_default_timezone())


class RightsRequestDeadline(Rule):
    code = "gdpr.rights_request.deadline"
    model = "gdpr.rightsrequest"
    recipients_setting = "DPO_EMAILS"
    thresholds = (
        Threshold("d-7", Urgency.SOON, days_before=7),
        Threshold("d-3", Urgency.SOON, days_before=3),
        Threshold("d-1", Urgency.URGENT, days_before=1),
        Threshold("overdue", Urgency.OVERDUE, days_before=-1, immediate=True),
    )
    date_field = "applicable_due_on"

    def label(self) -> str:
        return _("Rights request: legal deadline")

    def open_requests(self, until: dt.datetime):  # noqa: ANN201 - a queryset
        from .models import RightsRequest

        last_day = timezone.localtime(until, timezone.get_default_timezone()).date() + dt.timedelta(days=7)
        return (RightsRequest.objects.filter(status__in=OPEN_REQUEST_STATUSES, answered_at__isnull=True,
                                             **{f"{self.date_field}__lte": last_day})
                .select_related("handler").order_by("pk"))

    def items(self, until: dt.datetime) -> Iterable[Item]:
        for request in self.open_requests(until):
            day = getattr(request, self.date_field)
            yield Item(
                object_id=request.pk, label=request.reference, due_at=_start_of(day),
                title=self.title(request, day), explanation=request.deadline_explanation,
                admin_path=reverse("admin:gdpr_rightsrequest_change", args=[request.pk]),
                recipients=(request.handler.email,) if request.handler and request.handler.email else (),
            )

    def title(self, request, day: dt.date) -> str:  # noqa: ANN001 - a RightsRequest
        return _("Rights request %(reference)s (%(right)s): answer due on %(day)s") % {
            "reference": request.reference, "right": request.get_right_display(), "day": day.strftime("%d/%m/%Y")}


class RightsRequestExtensionDecision(RightsRequestDeadline):
    """Seven days before the first deadline, an unanswered request without extension needs a decision:
    answer in time, or tell the requester of the extension (Art. 12(3)) before the deadline."""

    code = "gdpr.rights_request.extension_decision"
    thresholds = (Threshold("d-7", Urgency.SOON, days_before=7),)
    date_field = "due_on"

    def label(self) -> str:
        return _("Rights request: decide on an extension")

    def open_requests(self, until: dt.datetime):  # noqa: ANN201 - a queryset
        return super().open_requests(until).filter(extended_due_on__isnull=True, extension_notified_at__isnull=True)

    def crossed(self, due_at: dt.datetime, now: dt.datetime) -> Threshold | None:
        # Once the first deadline's day is over, an extension can no longer be notified: nothing to decide.
        if now >= due_at + dt.timedelta(days=1):
            return None
        return super().crossed(due_at, now)

    def title(self, request, day: dt.date) -> str:  # noqa: ANN001 - a RightsRequest
        return _("Rights request %(reference)s: answer by %(day)s or decide on an extension") % {
            "reference": request.reference, "day": day.strftime("%d/%m/%Y")}


RULES = (RightsRequestDeadline(), RightsRequestExtensionDecision())
