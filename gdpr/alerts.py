"""The gdpr deadline rules (notifications/registry.py), for the handler and the DPO of the record's entity
(the controller; notifications/recipients.py), DPO_EMAILS as extras.

- rights request: 7, 3 and 1 days before the applicable deadline, and overdue (the day after it);
- "decide on an extension": unanswered 7 days before the first deadline, no extension recorded;
- CNIL case: 3 days and 1 day before the reply date the CNIL set in a letter, and overdue, until answered;
  every referral, and a complaint without referral when a CNIL letter set it a date;
- breach: 24, 48 and 60 hours after awareness and at the 72-hour deadline (exact hours, UTC), until the
  initial notification or a decision not to notify; all sent at once, swept hourly.

A request whose deadline is suspended (a pause is open: no applicable deadline) has no alert until
it resumes. Thresholds are settings (VIGIE_ALERT_THRESHOLDS, notifications/thresholds.py); the lists
below are the defaults.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.dates import format_date, format_datetime
from notifications.registry import Item, Rule, Threshold
from notifications.thresholds import day_thresholds, hour_thresholds

from .choices import OPEN_REQUEST_STATUSES, Right


def _start_of(day: dt.date) -> dt.datetime:
    """A deadline day as an instant: its first moment, Paris time (day thresholds count from it)."""
    return dt.datetime.combine(day, dt.time(0), tzinfo=timezone.get_default_timezone())


class RightsRequestDeadline(Rule):
    code = "gdpr.rights_request.deadline"
    model = "gdpr.rightsrequest"
    recipients_setting = "DPO_EMAILS"
    schedule = "daily"
    #: Days before the deadline day (negative: after it; -1 = overdue, sent at once).
    default_days: tuple[int, ...] = (7, 3, 1, -1)
    due_field = "applicable_due_on"
    calendar = True  # in each person's calendar feed (notifications/calendar.py)

    @property
    def thresholds(self) -> tuple[Threshold, ...]:  # type: ignore[override]  # a property over the base's class attribute: read from the settings
        return day_thresholds(self.code, self.default_days)

    def label(self) -> str:
        return _("Rights request: legal deadline")

    def records(self, now: dt.datetime):
        from .models import RightsRequest

        return RightsRequest.objects.filter(
            status__in=OPEN_REQUEST_STATUSES, answered_at__isnull=True, **{f"{self.due_field}__isnull": False}
        ).order_by("pk")

    def describe(self, records) -> Iterable[Item]:
        from .services.rights import readable_explanation

        # Plain columns, and the labels, the link and the title's wording worked out once: a first sweep
        # describes every open request with a crossed threshold.
        rows = records.values_list(
            "pk", "reference", "right", self.due_field, "deadline_explanation", "handler__email", "entity_id"
        )
        rights = {value: str(label) for value, label in Right.choices}
        path = reverse("admin:gdpr_rightsrequest_change", args=[0]).replace("/0/", "/%d/")
        wording = self.title_wording()
        for pk, reference, right, day, explanation, handler_email, entity_id in rows:
            yield Item(
                object_id=pk,
                label=reference,
                due_at=_start_of(day),
                title=wording % {"reference": reference, "right": rights.get(right, right), "day": format_date(day)},
                explanation=readable_explanation(explanation),
                admin_path=path % pk,
                recipients=(handler_email,) if handler_email else (),
                entity_id=entity_id,
            )

    def title_wording(self) -> str:
        return _("Rights request %(reference)s (%(right)s): answer due on %(day)s")


class RightsRequestExtensionDecision(RightsRequestDeadline):
    """Seven days before the first deadline, an unanswered request without extension needs a decision:
    answer in time, or tell the requester of the extension (Art. 12(3)) before the deadline."""

    code = "gdpr.rights_request.extension_decision"
    calendar = False  # the same deadline as the legal one, already in the calendar feed
    default_days = (7,)
    due_field = "due_on"

    def label(self) -> str:
        return _("Rights request: decide on an extension")

    def records(self, now: dt.datetime):
        # Not while a pause is open (no applicable deadline): the deadline is suspended. Not once the
        # first deadline's day is over (see `crossed`).
        today = timezone.localtime(now, timezone.get_default_timezone()).date()
        return (
            super()
            .records(now)
            .filter(
                extended_due_on__isnull=True,
                extension_notified_at__isnull=True,
                applicable_due_on__isnull=False,
                due_on__gte=today,
            )
        )

    def crossed(self, due_at: dt.datetime, now: dt.datetime) -> Threshold | None:
        # Once the first deadline's day is over, an extension can no longer be notified: nothing to decide.
        if now >= due_at + dt.timedelta(days=1):
            return None
        return super().crossed(due_at, now)

    def title_wording(self) -> str:
        return _("Rights request %(reference)s: answer by %(day)s or decide on an extension")


def _handler(record) -> tuple[str, ...]:
    return (record.handler.email,) if record.handler and record.handler.email else ()


class CnilReplyDeadline(Rule):
    """An unanswered CNIL case, before and after the reply date a CNIL letter set (never computed),
    whatever the kind: a referral always has one, a complaint without referral when a letter set it one.
    The code keeps its first name: alerts already in the ledger and VIGIE_ALERT_THRESHOLDS use it."""

    code = "gdpr.cnil_referral.deadline"
    calendar = True  # in each person's calendar feed (notifications/calendar.py)
    model = "gdpr.cnilcase"
    recipients_setting = "DPO_EMAILS"
    schedule = "daily"
    default_days: tuple[int, ...] = (3, 1, -1)

    @property
    def thresholds(self) -> tuple[Threshold, ...]:  # type: ignore[override]  # a property over the base's class attribute: read from the settings
        return day_thresholds(self.code, self.default_days)

    def label(self) -> str:
        return _("CNIL case: reply date set by the CNIL")

    due_field = "due_on"

    def records(self, now: dt.datetime):
        from .models import CnilCase

        return CnilCase.objects.awaiting_reply().order_by("pk")

    def describe(self, records) -> Iterable[Item]:
        for case in records.select_related("handler"):
            due = {"reference": case.reference, "day": format_date(case.due_on)}
            received = {"day": format_date(case.received_on)}
            if case.is_referral:
                title = _("CNIL referral %(reference)s: reply due on %(day)s") % due
                explanation = _("Reply date set by the CNIL in its letter (referral received on %(day)s).") % received
            else:
                title = _("CNIL complaint %(reference)s (without referral): reply due on %(day)s") % due
                explanation = (
                    _("Reply date set by the CNIL in a letter about the complaint (received on %(day)s).") % received
                )
            yield Item(
                object_id=case.pk,
                label=case.reference,
                due_at=_start_of(case.due_on),
                title=title,
                explanation=explanation,
                admin_path=reverse("admin:gdpr_cnilcase_change", args=[case.pk]),
                recipients=_handler(case),
                entity_id=case.entity_id,
            )


class BreachNotificationDeadline(Rule):
    """The 72-hour clock of a breach (Art. 33(1)): alerts at exact hours after awareness, all immediate,
    while the clock runs (not notified, not decided "no notification")."""

    code = "gdpr.breach.notification"
    calendar = True  # in each person's calendar feed (notifications/calendar.py)
    model = "gdpr.breach"
    recipients_setting = "DPO_EMAILS"
    schedule = "hourly"
    #: Hours after awareness; 72 is the deadline itself.
    default_hours: tuple[int, ...] = (24, 48, 60, 72)

    @property
    def thresholds(self) -> tuple[Threshold, ...]:  # type: ignore[override]  # a property over the base's class attribute: read from the settings
        from .deadlines import BREACH_NOTIFICATION_PERIOD

        return hour_thresholds(self.code, self.default_hours, period=BREACH_NOTIFICATION_PERIOD)

    def label(self) -> str:
        return _("Breach: notification to the CNIL within 72 hours")

    due_field = "notification_due_at"

    def records(self, now: dt.datetime):
        from .models import Breach

        return (
            Breach.objects.awaiting_decision_or_notification()
            .filter(closed_at__isnull=True, notification_due_at__isnull=False)
            .order_by("pk")
        )

    def describe(self, records) -> Iterable[Item]:
        from .services.breaches import breach_clock_explanation

        for breach in records.select_related("handler"):
            yield Item(
                object_id=breach.pk,
                label=breach.reference,
                due_at=breach.notification_due_at,
                title=_("Breach %(reference)s: notify the CNIL by %(due)s (72 hours after awareness)")
                % {"reference": breach.reference, "due": format_datetime(breach.notification_due_at)},
                explanation=breach_clock_explanation(breach),
                admin_path=reverse("admin:gdpr_breach_change", args=[breach.pk]),
                recipients=_handler(breach),
                entity_id=breach.entity_id,
            )


RULES = (RightsRequestDeadline(), RightsRequestExtensionDecision(), CnilReplyDeadline(), BreachNotificationDeadline())
