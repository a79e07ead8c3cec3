"""The whistleblowing deadline rules (notifications/registry.py), for the referents only (loi 2016-1691 art. 9):

- a new report sent on the public page: at once (an immediate email, swept every hour), while it is waiting
  for its acknowledgment (received, neither acknowledged nor decided nor closed), within NEW_DAYS of its
  receipt;
- a new message from the author in the follow-up space: at once, while no message to the author followed it
  (within NEW_DAYS of it);
- a meeting the author asked for: at once when asked (within NEW_DAYS of the request), and on its due day and
  overdue, until it is held or the report closed;
- acknowledgment of receipt: 2 WORKING days before its due day (on the clock's calendar, gdpr/deadlines.py:
  a Monday due day warns on the Thursday before, not on the Saturday), on that day, and overdue (the day
  after it), until the report is acknowledged or closed;
- feedback on the measures: 15 and 7 days before its due day, and overdue, until feedback is given or the
  report closed.

The immediate alerts go out after the hourly sweep (at most about an hour after the event; the sending runs
every few minutes after it). An alert whose act was recorded before its email went is not sent
(notifications/sending.py).

Recipients: the members of the "Référent alertes" role (DOMAIN_ROLES["whistleblowing"]); with
VIGIE_WHISTLEBLOWING_REFERENTS_PER_ENTITY, only who may read the report (whistleblowing/selectors.py
`content_visible_to`): the referents assigned to its legal entity (every referent when it names no entity, or
an entity that no longer exists, or one that no active referent staffs: no report is left without a referent),
their deputies and the "everyone away" fallback included (`Item.audience`, notifications/recipients.py). Every
rule `reveals` the sealed content model, so notifications/recipients.py keeps only who passes its seal (the role's members;
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
from django.db.models import F, Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.dates import format_date
from notifications.registry import Item, Rule, Threshold
from notifications.thresholds import day_thresholds

#: The sealed model every alert is about too: only who may view it (the referents) gets or sees the alerts.
CONTENT = "whistleblowing.reportcontent"
#: How long a new report, an author's message or a meeting request stays "new" for its immediate alert (a
#: sweep missed longer than this does not email it: the deadline alerts and the desk still show the report).
NEW_DAYS = 7


def _start_of(day: dt.date) -> dt.datetime:
    """A due day as an instant: its first moment, Paris time (day thresholds count from it)."""
    return dt.datetime.combine(day, dt.time(0), tzinfo=timezone.get_default_timezone())


def _instant(value: dt.date | dt.datetime) -> dt.datetime:
    """A deadline column's value as an instant: a day is its first moment, an instant stays as it is."""
    return value if isinstance(value, dt.datetime) else _start_of(value)


def _day_of(value: dt.date | dt.datetime) -> dt.date:
    """The Paris day of a deadline column's value."""
    if isinstance(value, dt.datetime):
        return timezone.localtime(value, timezone.get_default_timezone()).date()
    return value


def _path() -> str:
    """The admin path of report "%d" (reversed once per sweep, not once per record)."""
    return reverse("admin:whistleblowing_report_change", args=[0]).replace("/0/", "/%d/")


def assigned_referents(entity_ids: Iterable[int]) -> dict[int, tuple[str, ...]]:
    """entity id → the addresses of the referents assigned to it (VIGIE_WHISTLEBLOWING_REFERENTS_PER_ENTITY);
    empty when the setting is off (every referent then handles every report). One query."""
    from .selectors import staffed_entities

    wanted = {pk for pk in entity_ids if pk is not None}
    if not wanted or not settings.VIGIE_WHISTLEBLOWING_REFERENTS_PER_ENTITY:
        return {}
    found: dict[int, dict[str, None]] = {}
    rows = (
        staffed_entities()
        .filter(entity_id__in=wanted)
        .exclude(user__email="")
        .values_list("entity_id", "user__email")
        .order_by("entity_id", "user__email")
    )
    for entity_id, email in rows:
        found.setdefault(entity_id, {})[email.strip().lower()] = None
    return {entity_id: tuple(addresses) for entity_id, addresses in found.items()}


def readers(entity_ids: Iterable[int | None]) -> dict[int | None, tuple[str, ...] | None]:
    """entity id → who may read a report of that entity (`selectors.content_visible_to`), as the alert's
    `Item.audience`: None (every referent) when the per-entity setting is off, for a report without entity,
    for an entity that no longer exists and for one that no active referent staffs (`selectors.staffed_entities`:
    every referent reads its reports); else the addresses of its assigned referents. Two queries."""
    from organization.models import LegalEntity

    wanted = {pk for pk in entity_ids if pk is not None}
    result: dict[int | None, tuple[str, ...] | None] = {None: None}
    if not wanted or not settings.VIGIE_WHISTLEBLOWING_REFERENTS_PER_ENTITY:
        return result | dict.fromkeys(wanted)
    existing = set(LegalEntity.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    assigned = assigned_referents(existing)
    for entity_id in wanted:
        result[entity_id] = (assigned.get(entity_id) or None) if entity_id in existing else None
    return result


class ReportRule(Rule):
    model = "whistleblowing.report"
    reveals = (CONTENT,)
    domain = "whistleblowing"  # DOMAIN_ROLES["whistleblowing"]: the referents
    recipients_setting = ""  # no list of addresses: see `group`
    schedule = "daily"
    calendar = False
    default_days: tuple[int, ...] = ()
    #: Whether every threshold is sent at once (None: the overdue ones only, notifications/thresholds.py).
    immediate: bool | None = None
    #: Report.objects method selecting the reports still waiting for the act.
    pending: str

    @property
    def thresholds(self) -> tuple[Threshold, ...]:  # type: ignore[override]  # computed from the settings
        return day_thresholds(self.code, self.default_days, immediate=self.immediate)

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
        return self.describe_rows(list(records.values_list("pk", "reference", self.due_field, "content__entity_id")))

    def describe_rows(self, rows: list[tuple]) -> Iterable[Item]:
        """Items of rows (report id, reference, deadline: a day or an instant, entity id)."""
        audiences = readers(entity_id for *_rest, entity_id in rows)
        path = _path()
        for pk, reference, due, entity_id in rows:
            audience = audiences.get(entity_id)
            yield Item(
                object_id=pk,
                label=reference,
                due_at=_instant(due),
                title=self.title(reference, format_date(_day_of(due))),
                explanation=self.explanation(),
                admin_path=path % pk,
                # The entity itself stays out of the ledger (it is sealed content): who may read the report
                # gets the alert (its assigned referents), and nobody else (no deputy, no fallback).
                recipients=audience or (),
                audience=audience,
            )


def _working_days_before(day: dt.date, count: int) -> dt.date:
    """The `count`-th working day before `day` (`day` itself not counted), on the clock's calendar."""
    from gdpr.deadlines import is_working_day, policy_from_settings

    calendar = policy_from_settings().calendar
    current, counted = day, 0
    while counted < count:
        current -= dt.timedelta(days=1)
        if is_working_day(current, calendar):
            counted += 1
    return current


class AcknowledgmentDue(ReportRule):
    """Its warnings before the due day count WORKING days, as its 7-working-day clock does (whistleblowing/
    deadlines.py): "d-2" is the 2nd working day before the due day, so that a referent at work reads it before
    the due day (a Monday due day warns on the Thursday before). On the due day and overdue: calendar days.
    The deadline is worked out in Python (`items`), the sweep's SQL counting calendar days only."""

    code = "whistleblowing.acknowledgment"
    default_days = (2, 0, -1)
    deadline_field = "acknowledgment_due_on"
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

    def working(self, due_at: dt.datetime) -> tuple[Threshold, ...]:
        """The thresholds for the deadline `due_at`, those before the due day moved to working days (same
        code, the number of calendar days it takes for this deadline)."""
        day = _day_of(due_at)
        shifted = []
        for threshold in self.thresholds:
            before = threshold.days_before
            if before is not None and before > 0:
                calendar_days = (day - _working_days_before(day, before)).days
                threshold = Threshold(
                    threshold.code, threshold.urgency, days_before=calendar_days, immediate=threshold.immediate
                )
            shifted.append(threshold)
        return tuple(shifted)

    def crossed(self, due_at: dt.datetime, now: dt.datetime) -> Threshold | None:
        passed = [t for t in self.working(due_at) if t.fires_at(due_at) <= now]
        return max(passed, key=lambda t: t.fires_at(due_at), default=None)

    def items(self, now: dt.datetime) -> Iterable[Item]:
        # The furthest due day a warning can have reached: N working days fit in 3 N + 10 calendar days.
        furthest = max((t.days_before or 0 for t in self.thresholds), default=0)
        today = timezone.localtime(now, timezone.get_default_timezone()).date()
        records = self.records(now).filter(acknowledgment_due_on__lte=today + dt.timedelta(days=3 * furthest + 10))
        rows = list(records.values_list("pk", "reference", self.deadline_field, "content__entity_id"))
        return self.describe_rows(rows)


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


class _AtOnce(ReportRule):
    """What the referents learn at once (an immediate email; swept every hour): the "deadline" is the moment
    it happened, its only threshold that day (d-0)."""

    default_days = (0,)
    immediate = True
    schedule = "hourly"

    @staticmethod
    def since(now: dt.datetime) -> dt.datetime:
        return now - dt.timedelta(days=NEW_DAYS)


class NewReport(_AtOnce):
    """A report sent on the public page (a report recorded by a referent is known to them), until it is
    acknowledged, decided or closed."""

    code = "whistleblowing.received"
    due_field = "received_at"

    def label(self) -> str:
        return _("Whistleblowing report: new report received")

    def records(self, now: dt.datetime):
        from .choices import Channel, Status
        from .models import Report

        return Report.objects.filter(
            status=Status.RECEIVED,
            acknowledged_on__isnull=True,
            content__channel=Channel.WEB,
            received_at__gte=self.since(now),
        ).order_by("pk")

    def title(self, reference: str, day: str) -> str:
        return _("New whistleblowing report %(reference)s received on %(day)s") % {"reference": reference, "day": day}

    def explanation(self) -> str:
        return _("A report was sent on the whistleblowing page: read it and acknowledge its receipt.")


class AuthorMessage(_AtOnce):
    """The author wrote in the follow-up space (a message, not a meeting request: MeetingRequested), and no
    message to the author came after it. One alert per message (its instant is the "deadline")."""

    code = "whistleblowing.author_message"

    def label(self) -> str:
        return _("Whistleblowing report: new message from the author")

    def title(self, reference: str, day: str) -> str:
        return _("Whistleblowing report %(reference)s: new message from the author on %(day)s") % {
            "reference": reference,
            "day": day,
        }

    def explanation(self) -> str:
        return _("The author wrote in the follow-up space: read the message and answer it.")

    def items(self, now: dt.datetime) -> Iterable[Item]:
        from .choices import Direction, MessageKind
        from .models import Report

        records = (
            Report.objects.open()
            .annotate(
                _written=Max(
                    "messages__sent_at",
                    filter=Q(messages__direction=Direction.FROM_AUTHOR, messages__kind=MessageKind.MESSAGE),
                ),
                _answered=Max("messages__sent_at", filter=Q(messages__direction=Direction.TO_AUTHOR)),
            )
            .filter(_written__gte=self.since(now), _written__lte=now)
            .filter(Q(_answered__isnull=True) | Q(_answered__lt=F("_written")))
            .order_by("pk")
        )
        return self.describe_rows(list(records.values_list("pk", "reference", "_written", "content__entity_id")))


class MeetingRequested(_AtOnce):
    """The author asked for a meeting (or a referent recorded their request): at once, while it is not held."""

    code = "whistleblowing.meeting_requested"
    due_field = "meeting_requested_on"
    pending = "meeting_pending"

    def label(self) -> str:
        return _("Whistleblowing report: meeting request received")

    def records(self, now: dt.datetime):
        day = timezone.localtime(self.since(now), timezone.get_default_timezone()).date()
        return super().records(now).filter(meeting_requested_on__gte=day)

    def title(self, reference: str, day: str) -> str:
        return _("Whistleblowing report %(reference)s: the author asked for a meeting on %(day)s") % {
            "reference": reference,
            "day": day,
        }

    def explanation(self) -> str:
        return _("The author asked for a meeting: it is held within 20 working days of the request.")


RULES = (AcknowledgmentDue(), FeedbackDue(), MeetingDue(), NewReport(), AuthorMessage(), MeetingRequested())
