"""The compliance deadline rules (notifications/registry.py), for the handler or owner and the compliance
officers of the record's entity (notifications/recipients.py), COMPLIANCE_EMAILS as extras.

- conflict-of-interest analysis overdue: a case still awaiting its qualification (received or under
  analysis) the day after its analysis due date; sent at once, with the handler;
- action items: 7 days before their due date, and overdue (the day after it, sent at once), until done;
  with the owner (without one: the handler of the action's case).

Thresholds are settings (VIGIE_ALERT_THRESHOLDS, notifications/thresholds.py); the lists below are the
defaults.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.dates import format_date
from notifications.registry import Item, Rule, Threshold
from notifications.thresholds import day_thresholds


def _start_of(day: dt.date) -> dt.datetime:
    """A due day as an instant: its first moment, Paris time (day thresholds count from it)."""
    return dt.datetime.combine(day, dt.time(0), tzinfo=timezone.get_default_timezone())


def _email(user) -> tuple[str, ...]:
    return (user.email,) if user is not None and user.email else ()


class DayRule(Rule):
    recipients_setting = "COMPLIANCE_EMAILS"
    schedule = "daily"
    default_days: tuple[int, ...] = ()

    @property
    def thresholds(self) -> tuple[Threshold, ...]:  # type: ignore[override]  # computed from the settings
        return day_thresholds(self.code, self.default_days)


class CoiAnalysisOverdue(DayRule):
    code = "compliance.coi_case.analysis_overdue"
    calendar = True  # in each person's calendar feed (notifications/calendar.py)
    model = "compliance.conflictofinterestcase"
    default_days = (-1,)

    def label(self) -> str:
        return _("Conflict of interest: analysis overdue")

    due_field = "analysis_due_on"

    def records(self, now: dt.datetime):
        from .models import ConflictOfInterestCase

        return (
            ConflictOfInterestCase.objects.awaiting_qualification().filter(analysis_due_on__isnull=False).order_by("pk")
        )

    def describe(self, records) -> Iterable[Item]:
        for case in records.select_related("handler"):
            day = format_date(case.analysis_due_on)
            yield Item(
                object_id=case.pk,
                label=case.reference,
                due_at=_start_of(case.analysis_due_on),
                title=_("Conflict-of-interest case %(reference)s: analysis due on %(day)s, not qualified yet")
                % {"reference": case.reference, "day": day},
                explanation=_("Reported on %(reported)s; the analysis period ends on %(day)s.")
                % {"reported": format_date(case.reported_on), "day": day},
                admin_path=reverse("admin:compliance_conflictofinterestcase_change", args=[case.pk]),
                recipients=_email(case.handler),
                entity_id=case.entity_id,
            )


class ActionItemDue(DayRule):
    code = "compliance.action_item.due"
    calendar = True  # in each person's calendar feed (notifications/calendar.py)
    model = "compliance.actionitem"
    # The title names the case or the risk the action belongs to.
    reveals = ("compliance.conflictofinterestcase", "compliance.risk")
    default_days = (7, -1)

    def label(self) -> str:
        return _("Action item: due date")

    due_field = "due_on"

    def records(self, now: dt.datetime):
        from .models import ActionItem

        return ActionItem.objects.open().filter(due_on__isnull=False).order_by("pk")

    def describe(self, records) -> Iterable[Item]:
        for action in records.select_related("owner", "case__handler", "risk__map"):
            day = format_date(action.due_on)
            on = action.case.reference if action.case_id else str(action.risk)
            owner = (action.owner.get_full_name() or action.owner.get_username()) if action.owner else action.owner_name
            yield Item(
                object_id=action.pk,
                label=action.title,
                due_at=_start_of(action.due_on),
                title=_('Action "%(title)s" (%(on)s): due on %(day)s') % {"title": action.title, "on": on, "day": day},
                explanation=_("Due date of the action plan; owner: %(owner)s.") % {"owner": owner or "–"},
                admin_path=reverse("admin:compliance_actionitem_change", args=[action.pk]),
                # An action without an owner goes to the handler of its case.
                recipients=_email(action.owner) or (_email(action.case.handler) if action.case_id else ()),
                entity_id=_action_entity(action),
            )


def _action_entity(action) -> int | None:
    """The entity of an action: its case's, or its risk map's when risk maps name one (None: the parent
    company)."""
    if action.case_id:
        return action.case.entity_id
    if action.risk_id:
        return getattr(action.risk.map, "entity_id", None)
    return None


RULES = (CoiAnalysisOverdue(), ActionItemDue())
