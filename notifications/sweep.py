"""The sweep: for every rule, the records whose threshold is crossed and not yet in the ledger.

It asks each rule for its open records up to now + the rule's lookahead, keeps those whose most advanced
threshold is crossed, and writes the alerts that are not in the ledger yet, with one delivery per
recipient. A missed run catches up at the next one (it looks at what is crossed, not at what was crossed
"today"); a second sweep, or two at once, create nothing more (the ledger's unique constraint; a sweep
that loses the race skips the rows the other one wrote). The number of queries does not grow with the
number of records: per rule, one read of its records, one of the ledger, and, on PostgreSQL, one COPY
each of the alerts and the deliveries with their history rows (`_create_with_history`; on SQLite the
inserts go in batches, SQLite limits the parameters of a statement). See bench/notifications_sweep.py.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from .models import Alert, Delivery
from .registry import Item, Rule, Threshold, get_rules

REASON = "sweep"


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

    def by_rule(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for plan in self.planned:
            counts[plan.rule.code] = counts.get(plan.rule.code, 0) + 1
        return counts


def _recipients(rule: Rule, item: Item) -> list[str]:
    seen: dict[str, None] = {}
    for address in (*rule.group(), *item.recipients):
        if address and address.strip():
            seen.setdefault(address.strip().lower(), None)
    return list(seen)


def plan(rule: Rule, now: dt.datetime) -> list[Planned]:
    """What this rule would add to the ledger at `now` (nothing is written)."""
    content_type = ContentType.objects.get_for_model(rule.model_class())
    candidates = []
    # Many records share a deadline and a handler: `crossed(due_at, now)` and the recipients are worked
    # out once per distinct value (at 200,000 records, per-record calls were a good part of the sweep).
    crossed: dict[dt.datetime, Threshold | None] = {}
    recipients: dict[tuple[str, ...], list[str]] = {}
    for item in rule.items(now + rule.lookahead()):
        if item.due_at not in crossed:
            crossed[item.due_at] = rule.crossed(item.due_at, now)
        threshold = crossed[item.due_at]
        if threshold is not None:
            if item.recipients not in recipients:
                recipients[item.recipients] = _recipients(rule, item)
            candidates.append(Planned(rule, item, threshold, list(recipients[item.recipients])))
    if not candidates:
        return []
    existing = set(_existing_keys(content_type, rule, [c.item.object_id for c in candidates]))
    return [c for c in candidates if c.key not in existing]


def _existing_keys(content_type: ContentType, rule: Rule, object_ids: list[int]):  # noqa: ANN202
    """The ledger's (object_id, threshold, due_at) of these records for this rule, in one query: on
    PostgreSQL the ids go as one array (`= ANY(%s)`; sent as a constant, PostgreSQL hashes it), not one
    parameter each. (`IN (SELECT unnest(%s))` measured 8 s at 250,000 ids, `= ANY` under 1 s.)"""
    alerts = Alert.objects.filter(content_type=content_type, rule=rule.code)
    if connection.vendor == "postgresql":
        column = f"{connection.ops.quote_name(Alert._meta.db_table)}.{connection.ops.quote_name('object_id')}"
        alerts = alerts.extra(where=[f"{column} = ANY(%s)"], params=[object_ids])  # noqa: S610 - no user input
    else:
        alerts = alerts.filter(object_id__in=object_ids)
    return alerts.values_list("object_id", "threshold", "due_at")


def sweep(now: dt.datetime | None = None, *, rules: list[Rule] | None = None, dry_run: bool = False) -> SweepReport:
    """Run every rule once (as the beat schedule does); `dry_run` returns what would be written."""
    now = now or timezone.now()
    report = SweepReport(now=now)
    for rule in rules if rules is not None else get_rules():
        planned = plan(rule, now)
        report.planned.extend(planned)
        if planned and not dry_run:
            created, deliveries = _write(rule, planned, now)
            report.created += created
            report.deliveries += deliveries
    return report


def _alert(rule: Rule, content_type: ContentType, planned: Planned, now: dt.datetime) -> Alert:
    item, threshold = planned.item, planned.threshold
    return Alert(
        rule=rule.code, threshold=item.threshold_code(threshold), content_type=content_type, object_id=item.object_id,
        object_label=item.label[:255], due_at=item.due_at, fires_at=threshold.fires_at(item.due_at),
        urgency=threshold.urgency, immediate=threshold.immediate, title=item.title[:255],
        explanation=item.explanation, admin_path=item.admin_path[:255], created_at=now,
    )


def _write(rule: Rule, planned: list[Planned], now: dt.datetime) -> tuple[int, int]:
    content_type = ContentType.objects.get_for_model(rule.model_class())
    try:
        with transaction.atomic():
            alerts = _create_with_history([_alert(rule, content_type, p, now) for p in planned], Alert, now)
            pairs = list(zip(planned, alerts, strict=True))
            deliveries = _deliver(pairs, now)
        return len(alerts), deliveries
    except IntegrityError:
        # Another sweep wrote some of these rows meanwhile: write the others one by one.
        created = deliveries = 0
        for one in planned:
            try:
                with transaction.atomic():
                    alert = bulk_create_with_history([_alert(rule, content_type, one, now)], Alert,
                                                     default_change_reason=REASON, default_date=now)[0]
                    deliveries += _deliver([(one, alert)], now)
                created += 1
            except IntegrityError:
                continue
        return created, deliveries


def _deliver(pairs: list[tuple[Planned, Alert]], now: dt.datetime) -> int:
    rows = [Delivery(alert=alert, recipient=recipient) for planned, alert in pairs for recipient in planned.recipients]
    if rows:
        _create_with_history(rows, Delivery, now)
    return len(rows)


def _create_with_history(objs: Sequence[models.Model], model: type[models.Model], now: dt.datetime) -> list:
    """Insert new alerts or deliveries with one history row each ("+", reason "sweep", dated `now`).

    On PostgreSQL, in a constant number of statements whatever their number: the ids from the table's
    sequence, one COPY of the rows, one INSERT ... SELECT of their history rows from the rows just
    written (as core/imports/fastwrite.py does for imports). Elsewhere: simple-history's
    `bulk_create_with_history`. Constraints apply as for any insert (a duplicate raises IntegrityError).
    """
    copy = _copy_plan(model) if connection.vendor == "postgresql" and objs else None
    if copy is None:
        return bulk_create_with_history(list(objs), model, batch_size=1000, default_change_reason=REASON,
                                        default_date=now)
    fields, history_columns, selects = copy
    quote = connection.ops.quote_name
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                       [table, len(objs)])
        ids = [row[0] for row in cursor.fetchall()]
        columns = ", ".join(quote(f.column) for f in fields)
        attnames = [f.attname for f in fields]
        text = [i for i, f in enumerate(fields) if isinstance(f, (models.CharField, models.TextField))]
        with connection.wrap_database_errors, cursor.cursor.copy(f"COPY {quote(table)} ({columns}) FROM STDIN") as out:
            for obj, pk in zip(objs, ids, strict=True):
                obj.pk = pk
                # The attributes as they are: these models' columns are plain values (text, numbers,
                # booleans, aware datetimes, ids), which psycopg writes as Django would; text is str()ed
                # (a lazy translation would not be). Field.get_db_prep_save per value was a third of the time.
                row = [getattr(obj, name) for name in attnames]
                for index in text:
                    if row[index] is not None and type(row[index]) is not str:
                        row[index] = str(row[index])
                out.write_row(row)
        cursor.execute(
            f"INSERT INTO {quote(model.history.model._meta.db_table)} ({', '.join(history_columns)}) "
            # A join with the ids, not `t.id = ANY(%(ids)s)`: unless PostgreSQL sees the array as a
            # constant, it checks it row by row (quadratic: minutes at 130,000 rows); a join is hashed.
            f"SELECT {', '.join(selects)} FROM {quote(table)} t JOIN unnest(%(ids)s::bigint[]) AS new(id) "
            f"ON t.id = new.id",
            {"ids": ids, "history_date": now, "history_type": "+", "history_user_id": None,
             "history_change_reason": REASON},
        )
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
    return list(objs)


_HISTORY_COLUMNS = {"history_date", "history_type", "history_user_id", "history_change_reason"}


def _copy_plan(model: type[models.Model]) -> tuple[list[models.Field], list[str], list[str]] | None:
    """(the fields to copy, the history table's columns, their SELECT expressions), or None when the
    history model has columns of its own (then simple-history writes it)."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    if any(getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False) for f in fields):
        return None  # their value is set by pre_save, which the COPY path does not call
    source = {f.attname: f.column for f in model._meta.concrete_fields}
    columns, selects = [], []
    for hist in model.history.model._meta.concrete_fields:
        if hist.primary_key:  # history_id
            continue
        if hist.attname in _HISTORY_COLUMNS:
            columns.append(connection.ops.quote_name(hist.column))
            selects.append(f"%({hist.attname})s")
        elif hist.attname in source:
            columns.append(connection.ops.quote_name(hist.column))
            selects.append(f"t.{connection.ops.quote_name(source[hist.attname])}")
        else:
            return None
    return [model._meta.pk, *fields], columns, selects
