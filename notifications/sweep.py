"""The sweep: for every rule, the records whose threshold is crossed and not yet in the ledger.

For a rule whose deadline is a column (`Rule.due_field`), one query asks the database for the open
records whose most advanced crossed threshold has no alert yet (a CASE on the deadline picks the
threshold, NOT EXISTS looks it up in the ledger): a sweep reads what it is about to write, not every open
record. Other rules give their items (`Rule.items`). Either way the sweep then checks, in Python, the
threshold of each item (`Rule.crossed`, the reference) and the ledger, and writes the alerts that are
not in it yet, with one delivery per recipient (notifications/recipients.py: the handler, the entity's
contacts or the role's holders, the settings' addresses, the deputies of who is away; an alert with
nobody is written "without recipient", Alert.unaddressed, and resolved again at each later sweep). A missed run catches up at the next one (it looks at what is crossed, not at what was crossed
"today"); a second sweep, or two at once, create nothing more (the ledger's unique constraint; a sweep
that loses the race skips the rows the other one wrote). The number of queries does not grow with the
number of records: per rule, one read of its records, one of the ledger (when something is new), and, on PostgreSQL, one COPY
each of the alerts and the deliveries with their history rows (core/history_bulk.py; on SQLite the
inserts go in batches, SQLite limits the parameters of a statement). Alerts and deliveries are written as
plain rows, not model instances: at 100,000 alerts, building the instances cost more than the writes.
See bench/notifications_sweep.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, Exists, OuterRef, QuerySet, Value, When
from django.db.models.functions import TruncDate
from django.utils import timezone, translation
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from core.history_bulk import create_rows_with_history

from .models import Alert, AlertStatus, Delivery
from .recipients import Resolver
from .registry import Item, Rule, Threshold, bounds, get_rules, is_day_field

REASON = "sweep"
#: The history reason of an alert "without recipient" whose record closed before anyone could receive it.
CLOSED = "record closed: not sent"


@dataclass
class Planned:
    rule: Rule
    item: Item
    threshold: Threshold
    recipients: list[str]

    @property
    def key(self) -> tuple[int, str, dt.datetime]:
        return (self.item.object_id, self.item.threshold_code(self.threshold), self.item.due_at)


@dataclass
class SweepReport:
    now: dt.datetime
    planned: list[Planned] = field(default_factory=list)
    created: int = 0
    deliveries: int = 0
    #: Pending alerts without recipient from earlier sweeps that now have someone (re-resolved).
    readdressed: int = 0
    #: Pending alerts from earlier sweeps still without recipient after this sweep's re-resolution.
    still_unaddressed: int = 0
    #: Pending alerts without recipient whose record is no longer open: not sent, flag cleared (CLOSED).
    closed_unsent: int = 0

    @property
    def unaddressed(self) -> int:
        """How many of the planned alerts have nobody to go to (Alert.unaddressed)."""
        return sum(1 for plan in self.planned if not plan.recipients)

    def by_recipient(self) -> dict[str, int]:
        """How many planned alerts go to each address (the preview)."""
        counts: dict[str, int] = {}
        for plan in self.planned:
            for recipient in plan.recipients:
                counts[recipient] = counts.get(recipient, 0) + 1
        return dict(sorted(counts.items()))

    def by_rule(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for plan in self.planned:
            counts[plan.rule.code] = counts.get(plan.rule.code, 0) + 1
        return counts


def plan(rule: Rule, now: dt.datetime, resolver: Resolver | None = None) -> list[Planned]:
    """What this rule would add to the ledger at `now` (nothing is written). `resolver`: the recipients'
    resolver of the sweep (built here when not given)."""
    resolver = resolver or Resolver(now)
    content_type = ContentType.objects.get_for_model(rule.model_class())
    candidates = []
    # Many records share a deadline, a handler and an entity: `crossed(due_at, now)` and the recipients
    # are worked out once per distinct value (at 200,000 records, per-record calls were a good part of the
    # sweep); the resolver asks the database nothing per item (notifications/recipients.py).
    crossed: dict[dt.datetime, Threshold | None] = {}
    recipients: dict[tuple[tuple[str, ...], int | None, tuple[str, ...] | None], list[str]] = {}
    items = rule.describe(not_alerted(rule, now, content_type)) if rule.due_field else rule.items(now)
    for item in items:
        due_at = item.due_at
        if due_at in crossed:
            threshold = crossed[due_at]
        else:
            threshold = crossed[due_at] = rule.crossed(due_at, now)
        if threshold is None:
            continue
        key = (item.recipients, item.entity_id, item.audience)
        group = recipients.get(key)
        if group is None:
            group = recipients[key] = resolver.for_item(rule, item)
        candidates.append(Planned(rule, item, threshold, group.copy()))
    if not candidates:
        return []
    existing = set(_existing_keys(content_type, rule, [c.item.object_id for c in candidates]))
    if not existing:  # a first sweep: nothing to check the keys against
        return candidates
    return [c for c in candidates if c.key not in existing]


def not_alerted(rule: Rule, now: dt.datetime, content_type: ContentType | None = None):
    """`rule.records(now)` whose deadline has a crossed threshold at `now` and no alert in the ledger at
    the most advanced one, for that deadline (an extended deadline is a new one).

    The most advanced crossed threshold is the one whose bound (registry.bounds) is the smallest among
    those the deadline is within: a CASE over the bounds, smallest first. That holds when the thresholds
    are all of one kind (days before, or durations after); a rule mixing both gets every record with a
    crossed threshold, and the Python check decides."""
    records = rule.records(now)
    content_type = content_type or ContentType.objects.get_for_model(rule.model_class())
    field = rule.due_field
    assert field is not None  # rules without a deadline column give their items (Rule.items), not this
    by_day = is_day_field(records.model, field)
    limits = sorted(bounds(rule.thresholds, now, by_day=by_day), key=lambda b: (b[1], b[0] == "lte"))
    if not limits:
        return records.none()
    widest = limits[-1]
    records = records.filter(**{f"{field}__{widest[0]}": widest[1]})
    if len({t.days_before is None for t in rule.thresholds}) > 1:
        return records
    threshold = Case(*(When(**{f"{field}__{lookup}": bound}, then=Value(t.code)) for lookup, bound, t in limits))
    ledger = Alert.objects.filter(
        content_type=content_type, rule=rule.code, object_id=OuterRef("pk"), threshold=OuterRef("_threshold")
    )
    if by_day:
        paris = timezone.get_default_timezone()
        ledger = ledger.annotate(_due_day=TruncDate("due_at", tzinfo=paris)).filter(_due_day=OuterRef(field))
    else:
        ledger = ledger.filter(due_at=OuterRef(field))
    return records.alias(_threshold=threshold).exclude(Exists(ledger))


def _existing_keys(content_type: ContentType, rule: Rule, object_ids: list[int]):
    """The ledger's (object_id, threshold, due_at) of these records for this rule, in one query: on
    PostgreSQL the ids go as one array (`= ANY(%s)`; sent as a constant, PostgreSQL hashes it), not one
    parameter each. (`IN (SELECT unnest(%s))` measured 8 s at 250,000 ids, `= ANY` under 1 s.)"""
    alerts: QuerySet[Alert] = Alert.objects.filter(content_type=content_type, rule=rule.code)
    if connection.vendor == "postgresql":
        column = f"{connection.ops.quote_name(Alert._meta.db_table)}.{connection.ops.quote_name('object_id')}"
        alerts = alerts.extra(where=[f"{column} = ANY(%s)"], params=[object_ids])
    else:
        alerts = alerts.filter(object_id__in=object_ids)
    return alerts.values_list("object_id", "threshold", "due_at")


def sweep(now: dt.datetime | None = None, *, rules: list[Rule] | None = None, dry_run: bool = False) -> SweepReport:
    """Run every rule once (as the beat schedule does); `dry_run` returns what would be written.

    The alerts' titles and explanations are stored, then emailed, in the site's language: never in the
    language a request or an earlier task left active in this thread."""
    now = now or timezone.now()
    report = SweepReport(now=now)
    resolver = Resolver(now)
    chosen = rules if rules is not None else get_rules()
    with translation.override(settings.LANGUAGE_CODE):
        readdress(chosen, now, resolver, report, dry_run=dry_run)
        for rule in chosen:
            planned = plan(rule, now, resolver)
            report.planned.extend(planned)
            if planned and not dry_run:
                created, deliveries = _write(rule, planned, now)
                report.created += created
                report.deliveries += deliveries
    return report


def readdress(rules: list[Rule], now: dt.datetime, resolver: Resolver, report: SweepReport, *, dry_run: bool) -> None:
    """The pending alerts without recipient of earlier sweeps (AlertQuerySet.without_recipient), resolved again: someone may have been named
    since (a contact, a handler, a role). Those who now have recipients get their deliveries and lose the
    flag (with a history row). One query for the alerts, then per rule that has some, one read of their
    records. An alert whose record is no longer open (the rule gives no item for it: answered, closed,
    deleted) is not delivered: a stale deadline would be emailed to whoever answers now; it loses the flag
    with the history reason CLOSED, so that /health/ stops warning about it."""
    pending = list(
        Alert.objects.without_recipient()
        .filter(status=AlertStatus.PENDING, rule__in=[r.code for r in rules])
        .only("pk", "rule", "object_id")
        .order_by("pk")
    )
    if not pending:
        return
    by_rule: dict[str, list[Alert]] = {}
    for alert in pending:
        by_rule.setdefault(alert.rule, []).append(alert)
    addressed: list[tuple[Alert, list[str]]] = []
    closed: list[Alert] = []
    for rule in rules:
        alerts = by_rule.get(rule.code)
        if not alerts:
            continue
        items = _current_items(rule, now, {alert.object_id for alert in alerts})
        for alert in alerts:
            item = items.get(alert.object_id)
            if item is None:
                closed.append(alert)
            elif found := resolver.for_item(rule, item):
                addressed.append((alert, found))
    report.readdressed = len(addressed)
    report.closed_unsent = len(closed)
    report.still_unaddressed = len(pending) - len(addressed) - len(closed)
    if dry_run or not (addressed or closed):
        return
    rows = [(alert.pk, recipient) for alert, found in addressed for recipient in found]
    with transaction.atomic():
        if rows:
            create_rows_with_history(
                Delivery, rows, columns=("alert_id", "recipient"), user=None, reason=REASON, date=now
            )
        for alert, _found in addressed:
            _unflag(alert, REASON)
        for alert in closed:
            _unflag(alert, CLOSED)
        # One bulk update per reason: simple-history takes the reason of each instance (`_change_reason`).
        changed = [alert for alert, _found in addressed] + closed
        bulk_update_with_history(changed, Alert, ["unaddressed"], default_change_reason=REASON, default_date=now)
    report.deliveries += len(rows)


def _unflag(alert: Alert, reason: str) -> None:
    alert.unaddressed = False
    alert._change_reason = reason  # type: ignore[attr-defined]  # django-simple-history reads it


def _current_items(rule: Rule, now: dt.datetime, object_ids: set[int]) -> dict[int, Item]:
    """The rule's current items of these records (their handler and entity today), by record id."""
    if rule.due_field:
        records = rule.records(now).filter(pk__in=sorted(object_ids))
        items: Iterable[Item] = rule.describe(records)
    else:
        items = rule.items(now)
    return {item.object_id: item for item in items if item.object_id in object_ids}


#: The columns of an alert row (by attname); the other fields take their defaults (status "pending"...).
ALERT_COLUMNS = (
    "rule",
    "threshold",
    "content_type_id",
    "object_id",
    "object_label",
    "due_at",
    "fires_at",
    "urgency",
    "immediate",
    "title",
    "explanation",
    "admin_path",
    "created_at",
    "unaddressed",
)


def _alert_rows(rule: Rule, content_type: ContentType, planned: list[Planned], now: dt.datetime) -> list[tuple]:
    """The alerts of `planned`, as rows of ALERT_COLUMNS: plain tuples, not instances, which a first
    sweep of 100,000 alerts spent seconds building (core/history_bulk.py). When a threshold is
    crossed (`fires_at`) is worked out once per threshold and deadline: many records share a deadline."""
    code, content_type_id = rule.code, content_type.pk
    fires: dict[tuple[Threshold, dt.datetime], dt.datetime] = {}
    rows = []
    for one in planned:
        item, threshold = one.item, one.threshold
        due_at = item.due_at
        fires_at = fires.get((threshold, due_at))
        if fires_at is None:
            fires_at = fires[threshold, due_at] = threshold.fires_at(due_at)
        rows.append(
            (
                code,
                item.threshold_code(threshold),
                content_type_id,
                item.object_id,
                item.label[:255],
                due_at,
                fires_at,
                threshold.urgency,
                threshold.immediate,
                item.title[:255],
                item.explanation,
                item.admin_path[:255],
                now,
                not one.recipients,
            )
        )
    return rows


def _write(rule: Rule, planned: list[Planned], now: dt.datetime) -> tuple[int, int]:
    content_type = ContentType.objects.get_for_model(rule.model_class())
    rows = _alert_rows(rule, content_type, planned, now)
    try:
        with transaction.atomic():
            ids = create_rows_with_history(Alert, rows, columns=ALERT_COLUMNS, user=None, reason=REASON, date=now)
            deliveries = _deliver(list(zip(planned, ids, strict=True)), now)
        return len(ids), deliveries
    except IntegrityError:
        # Another sweep wrote some of these rows meanwhile: write the others one by one.
        created = deliveries = 0
        for one, row in zip(planned, rows, strict=True):
            try:
                with transaction.atomic():
                    alert = bulk_create_with_history(
                        [Alert(**dict(zip(ALERT_COLUMNS, row, strict=True)))],
                        Alert,
                        default_change_reason=REASON,
                        default_date=now,
                    )[0]
                    deliveries += _deliver([(one, alert.pk)], now)
                created += 1
            except IntegrityError:
                continue
        return created, deliveries


def _deliver(pairs: list[tuple[Planned, int]], now: dt.datetime) -> int:
    """One delivery per recipient of each (planned alert, its id), as rows (alert_id, recipient)."""
    rows = [(alert_id, recipient) for planned, alert_id in pairs for recipient in planned.recipients]
    if rows:
        create_rows_with_history(Delivery, rows, columns=("alert_id", "recipient"), user=None, reason=REASON, date=now)
    return len(rows)
