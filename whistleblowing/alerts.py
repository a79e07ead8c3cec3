"""The whistleblowing deadline rules (notifications/registry.py), for the referents only (loi 2016-1691 art. 9):

- acknowledgment of receipt: 2 days before its due day, on that day, and overdue (the day after it), until the
  report is acknowledged or closed;
- feedback on the measures: 15 and 7 days before its due day, and overdue, until feedback is given or the
  report closed;
- a meeting the author asked for: on its due day and overdue, until it is held or the report closed.

Recipients: the members of the "Référent alertes" role (DOMAIN_ROLES["whistleblowing"]); with
VIGIE_WHISTLEBLOWING_REFERENTS_PER_ENTITY, the referents assigned to the report's legal entity first (the
role's other members only when the entity has none, or the report names no entity). Every rule `reveals` the
sealed content model, so notifications/recipients.py keeps only who passes its seal (the role's members;
superusers are not let in, core/roles.py `NO_SUPERUSERS`) and only they see these alerts in the ledger;
no settings list adds addresses (an operator's mailbox is not a referent). No rule feeds a calendar feed (a
phone syncs its calendar to servers outside the company).

The wording says the report's reference, the kind of deadline and its day: never the author, the facts, the
persons concerned, the entity. Thresholds are settings (VIGIE_ALERT_THRESHOLDS); the lists below are the
defaults.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.dates import format_date
from notifications.registry import Item, Rule, Threshold
from notifications.thresholds import day_thresholds

#: The sealed model every alert is about too: only who may view it (the referents) gets or sees the alerts.
CONTENT = "whistleblowing.reportcontent"


def _start_of(day: dt.date) -> dt.datetime:
    """A due day as an instant: its first moment, Paris time (day thresholds count from it)."""
    return dt.datetime.combine(day, dt.time(0), tzinfo=timezone.get_default_timezone())


def _path() -> str:
    """The admin path of report "%d" (reversed once per sweep, not once per record)."""
    return reverse("admin:whistleblowing_report_change", args=[0]).replace("/0/", "/%d/")


def assigned_referents(entity_ids: Iterable[int]) -> dict[int, tuple[str, ...]]:
    """entity id → the addresses of the referents assigned to it (VIGIE_WHISTLEBLOWING_REFERENTS_PER_ENTITY);
    empty when the setting is off (every referent then handles every report). One query."""
    from .selectors import live_assignments

    wanted = {pk for pk in entity_ids if pk is not None}
    if not wanted or not settings.VIGIE_WHISTLEBLOWING_REFERENTS_PER_ENTITY:
        return {}
    found: dict[int, dict[str, None]] = {}
    rows = (
        live_assignments()
        .filter(entity_id__in=wanted, user__is_active=True)
        .exclude(user__email="")
        .values_list("entity_id", "user__email")
        .order_by("entity_id", "user__email")
    )
    for entity_id, email in rows:
        found.setdefault(entity_id, {})[email.strip().lower()] = None
    return {entity_id: tuple(addresses) for entity_id, addresses in found.items()}


class ReportRule(Rule):
    model = "whistleblowing.report"
    reveals = (CONTENT,)
    domain = "whistleblowing"  # DOMAIN_ROLES["whistleblowing"]: the referents
    recipients_setting = ""  # no list of addresses: see `group`
    schedule = "daily"
    calendar = False
    default_days: tuple[int, ...] = ()
    #: Report.objects method selecting the reports still waiting for the act.
    pending: str

    @property
    def thresholds(self) -> tuple[Threshold, ...]:  # type: ignore[override]  # computed from the settings
        return day_thresholds(self.code, self.default_days)

    def group(self) -> list[str]:
        return []

    def records(self, now: dt.datetime):
        from .models import Report

        return getattr(Report.objects, self.pending)().order_by("pk")

    def title(self, reference: str, day: str) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def explanation(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def describe(self, records) -> Iterable[Item]:
        assert self.due_field is not None
        rows = list(records.values_list("pk", "reference", self.due_field, "content__entity_id"))
        referents = assigned_referents(entity_id for *_rest, entity_id in rows)
        path = _path()
        for pk, reference, day, entity_id in rows:
            yield Item(
                object_id=pk,
                label=reference,
                due_at=_start_of(day),
                title=self.title(reference, format_date(day)),
                explanation=self.explanation(),
                admin_path=path % pk,
                # The entity itself stays out of the ledger (it is sealed content).
                recipients=referents.get(entity_id, ()),
            )


class AcknowledgmentDue(ReportRule):
    code = "whistleblowing.acknowledgment"
    default_days = (2, 0, -1)
    due_field = "acknowledgment_due_on"
    pending = "acknowledgment_pending"

    def label(self) -> str:
        return _("Whistleblowing report: acknowledgment of receipt")

    def title(self, reference: str, day: str) -> str:
        return _("Whistleblowing report %(reference)s: acknowledgment of receipt due on %(day)s") % {
            "reference": reference,
            "day": day,
        }

    def explanation(self) -> str:
        return _("The author is told in writing of the receipt within 7 working days (décret 2022-1284 art. 4).")


class FeedbackDue(ReportRule):
    code = "whistleblowing.feedback"
    default_days = (15, 7, -1)
    due_field = "feedback_due_on"
    pending = "feedback_pending"

    def label(self) -> str:
        return _("Whistleblowing report: feedback to the author")

    def title(self, reference: str, day: str) -> str:
        return _("Whistleblowing report %(reference)s: feedback due on %(day)s") % {"reference": reference, "day": day}

    def explanation(self) -> str:
        return _(
            "The author is told in writing, within 3 months, of the measures envisaged or taken and why "
            "(décret 2022-1284 art. 4)."
        )


class MeetingDue(ReportRule):
    code = "whistleblowing.meeting"
    default_days = (0, -1)
    due_field = "meeting_due_on"
    pending = "meeting_pending"

    def label(self) -> str:
        return _("Whistleblowing report: meeting requested by the author")

    def title(self, reference: str, day: str) -> str:
        return _("Whistleblowing report %(reference)s: meeting due by %(day)s") % {"reference": reference, "day": day}

    def explanation(self) -> str:
        return _("The author asked for a meeting: it is held within 20 working days of the request.")


RULES = (AcknowledgmentDue(), FeedbackDue(), MeetingDue())
