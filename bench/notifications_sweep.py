"""The alert sweep at scale (notifications/sweep.py), and one recipient's digest.

Data: 200,000 open rights requests (smoke: 2,000), their deadline columns set directly (setup, not
measured): applicable deadlines spread over 45 days either side of "now", a tenth of them extended, a
few paused (no applicable deadline), a fifth with a handler who has an email address; DPO_EMAILS has one
address. The people (issue 19): six legal entities (a parent, four subsidiaries, one of theirs), the requests
spread over them, DPO contacts on the parent and two subsidiaries (the others inherit), three DPO role
holders, and absences today (a contact and a handler away, with their deputies) and on other days. Items of the other rules are added when their app declares them (`<app>/alerts.py`) and this
benchmark knows how to make their records (see `_other_rules`); every registered rule is swept anyway.

Measures, at 20/11/2025 10:00 Paris:
(a) `sweep(now)`: the first sweep (it writes the alerts and their deliveries) and a second one (it writes
    nothing), their time and number of queries (django.test.utils.CaptureQueriesContext), at a tenth
    of the size and at the size, to show that the number of queries does not grow with the records;
(b) the baseline: one hand-written SQL count of the due items, in the same run; it must equal what the
    first sweep created;
(c) the digest of one recipient with 5,000 pending items (notifications/sending.py), when it exists;
(d) the recipients' resolution alone (notifications/recipients.py): building the resolver and resolving
    every item of the first sweep, one by one (no cache), its queries and time, at both sizes.
Targets (PostgreSQL, --size full): each sweep under 2 s; the same number of queries at both sizes, for the
sweeps and for the resolution.
"""

from __future__ import annotations

import datetime as dt
import random
import time
import zoneinfo
from typing import Any

from . import Context, verdict

SIZES = {"smoke": 2_000, "full": 200_000}
DIGEST_ITEMS = 5_000
PARIS = zoneinfo.ZoneInfo("Europe/Paris")
NOW = dt.datetime(2025, 11, 20, 10, 0, tzinfo=PARIS)
TODAY = NOW.date()
SPREAD_DAYS = 45
DPO = "dpo@example.org"
HANDLERS = 20
BATCH = 5_000


def people(handlers: list[Any]) -> list[int]:
    """The entities, their DPO contacts, the DPO role holders and the absences (once); the entities' ids."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from core.roles import DPO as DPO_ROLE, setup_roles
    from notifications.models import Absence
    from organization.choices import ContactDomain
    from organization.models import EntityContact, LegalEntity

    existing = list(LegalEntity.objects.filter(code__startswith="BENCH-").order_by("pk").values_list("pk", flat=True))
    if existing:
        return existing
    user_model = get_user_model()
    parent = LegalEntity.objects.create(code="BENCH-PARENT", name="Parent")
    subsidiaries = [LegalEntity.objects.create(code=f"BENCH-S{n}", name=f"Sub {n}", parent=parent) for n in range(4)]
    grandchild = LegalEntity.objects.create(code="BENCH-S0-A", name="Sub of sub", parent=subsidiaries[0])
    setup_roles()  # the DPO role's permissions: a recipient must be able to view rights requests
    role = Group.objects.get(name=DPO_ROLE)
    dpos = []
    for n in range(3):
        dpo = user_model.objects.create(username=f"bench-dpo-{n}", email=f"bench-dpo-{n}@example.org")
        dpo.groups.add(role)
        dpos.append(dpo)
    for entity, dpo in ((parent, dpos[0]), (subsidiaries[0], dpos[1]), (subsidiaries[1], dpos[2])):
        EntityContact.objects.create(entity=entity, user=dpo, domain=ContactDomain.DPO)
    deputy = user_model.objects.create(username="bench-deputy", email="bench-deputy@example.org")
    # Recipients must be able to view rights requests (notifications/recipients.py): handlers and deputy are DPOs.
    role.user_set.add(deputy, *handlers)
    for away, starts in (
        (dpos[1], TODAY),
        (handlers[0], TODAY - dt.timedelta(days=3)),
        (dpos[2], TODAY + dt.timedelta(days=9)),
    ):
        Absence.objects.create(user=away, deputy=deputy, starts_on=starts, ends_on=starts + dt.timedelta(days=5))
    return [parent.pk, *(s.pk for s in subsidiaries), grandchild.pk]


def populate(start: int, count: int, seed: int) -> None:
    """`count` open rights requests numbered from `start` (bulk_create, no history rows)."""
    from django.contrib.auth import get_user_model

    from gdpr.choices import RequestStatus, Right
    from gdpr.models import RightsRequest

    user_model = get_user_model()
    handlers = list(user_model.objects.filter(username__startswith="bench-handler-").order_by("pk"))
    if not handlers:
        handlers = [
            user_model.objects.create(username=f"bench-handler-{n}", email=f"handler{n}@example.org")
            for n in range(HANDLERS)
        ]
    entities = people(handlers)
    rng = random.Random(seed)
    rights = list(Right.values)
    batch: list[RightsRequest] = []
    for n in range(start, start + count):
        applicable = TODAY + dt.timedelta(days=rng.randint(-SPREAD_DAYS, SPREAD_DAYS))
        roll = rng.random()
        extended = roll < 0.10
        paused = 0.10 <= roll < 0.13
        due_on = applicable - dt.timedelta(days=61) if extended else applicable
        received_at = dt.datetime.combine(due_on - dt.timedelta(days=30), dt.time(9), tzinfo=PARIS)
        batch.append(
            RightsRequest(
                reference=f"DSR-N-{n:07d}",
                right=rng.choice(rights),
                received_at=received_at,
                status=(
                    RequestStatus.EXTENDED
                    if extended
                    else RequestStatus.PAUSED
                    if paused
                    else rng.choice([RequestStatus.RECEIVED, RequestStatus.IN_PROGRESS])
                ),
                due_on=due_on,
                extended_due_on=applicable if extended else None,
                applicable_due_on=None if paused else applicable,
                extension_reason="Demande complexe (bench)" if extended else "",
                extension_notified_at=received_at + dt.timedelta(days=20) if extended else None,
                deadline_explanation=f"Reçue le {received_at:%d/%m/%Y} : un mois, reporté au jour ouvré suivant.",
                handler=rng.choice(handlers) if rng.random() < 0.2 else None,
                entity_id=rng.choice(entities),
            )
        )
        if len(batch) == BATCH:
            RightsRequest.objects.bulk_create(batch)
            batch = []
    RightsRequest.objects.bulk_create(batch)


def _other_rules() -> list[str]:
    """The registered rules this benchmark makes no records for (they are swept, with whatever exists)."""
    from notifications.registry import get_rules

    return [rule.code for rule in get_rules() if not rule.code.startswith("gdpr.rights_request.")]


def baseline_count() -> int:
    """One hand-written SQL query: the open requests with a crossed threshold, for both gdpr rules (the
    deadline rule from 7 days before the applicable deadline; the extension decision from 7 days before
    the first deadline to its day, without extension, not paused)."""
    from django.db import connection

    from gdpr.choices import OPEN_REQUEST_STATUSES

    horizon = TODAY + dt.timedelta(days=7)
    statuses = ", ".join(["%s"] * len(OPEN_REQUEST_STATUSES))
    sql = f"""
        SELECT
          COALESCE(SUM(CASE WHEN applicable_due_on <= %s THEN 1 ELSE 0 END), 0)
          + COALESCE(SUM(CASE WHEN due_on <= %s AND due_on >= %s AND extended_due_on IS NULL
                              AND extension_notified_at IS NULL AND applicable_due_on IS NOT NULL
                         THEN 1 ELSE 0 END), 0)
        FROM gdpr_rightsrequest
        WHERE status IN ({statuses}) AND answered_at IS NULL
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [horizon, horizon, TODAY, *OPEN_REQUEST_STATUSES])
        return int(cursor.fetchone()[0])


def _clear_ledger() -> None:
    from django.db import connection

    from notifications.models import Alert, Delivery

    tables = [
        Delivery.history.model._meta.db_table,
        Delivery._meta.db_table,
        Alert.history.model._meta.db_table,
        Alert._meta.db_table,
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {', '.join(connection.ops.quote_name(t) for t in tables)}")
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")


def _timed_sweep() -> tuple[float, int, Any, list[str]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from notifications.sweep import sweep

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        report = sweep(NOW)
        seconds = time.perf_counter() - started
    return seconds, len(queries.captured_queries), report, [q["sql"][:60] for q in queries.captured_queries]


def _analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def warm_up() -> None:
    """A sweep long before the deadlines (it writes nothing), so that the measured ones do not pay for
    the first query of each content type (Django caches them) or the loading of the URLconf."""
    from notifications.sweep import sweep

    sweep(NOW - dt.timedelta(days=400), dry_run=True)


def measure_resolution(report: Any) -> tuple[float, int, int, int]:
    """(d): the resolver built, then every planned item of `report` resolved one by one (no cache):
    (seconds, queries, items, deliveries it would give)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from notifications.recipients import Resolver

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        resolver = Resolver(NOW)
        found = sum(len(resolver.for_item(one.rule, one.item)) for one in report.planned)
        seconds = time.perf_counter() - started
    return seconds, len(queries.captured_queries), len(report.planned), found


def measure_sweeps(count: int) -> dict:
    baseline_started = time.perf_counter()
    due = baseline_count()
    baseline_ms = (time.perf_counter() - baseline_started) * 1000
    first_s, first_q, first, first_sql = _timed_sweep()
    second_s, second_q, second, _ = _timed_sweep()
    resolve_s, resolve_q, resolve_items, resolve_found = measure_resolution(first)
    return {
        "resolve_s": resolve_s,
        "resolve_q": resolve_q,
        "resolve_items": resolve_items,
        "resolve_found": resolve_found,
        "unaddressed": first.unaddressed,
        "count": count,
        "due": due,
        "baseline_ms": baseline_ms,
        "first_s": first_s,
        "first_q": first_q,
        "created": first.created,
        "created_rights": sum(n for code, n in first.by_rule().items() if code.startswith("gdpr.rights_request.")),
        "deliveries": first.deliveries,
        "second_s": second_s,
        "second_q": second_q,
        "second_created": second.created,
        "first_sql": first_sql,
    }


def measure_digest() -> str:
    """(c): what `notifications.sending` does for one recipient's digest, without sending it: read its
    pending deliveries with their alerts (as `_send_digests` does), build the message
    (`digest_message`: plain text and HTML) and serialise it, for DIGEST_ITEMS pending items."""
    try:
        from notifications import sending
    except ImportError:
        return "  (c) digest: skipped (notifications/sending.py does not exist yet)"
    if not callable(getattr(sending, "digest_message", None)):
        return "  (c) digest: skipped (no digest_message in notifications/sending.py)"

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from notifications.models import AlertStatus, Delivery, Digest

    recipient = DPO
    pending = Delivery.objects.filter(
        recipient=recipient, status=AlertStatus.PENDING, alert__immediate=False, alert__fires_at__lte=NOW
    )
    ids = list(pending.order_by("pk").values_list("pk", flat=True)[DIGEST_ITEMS:])
    if ids:  # keep exactly DIGEST_ITEMS pending for this recipient (the others: already sent)
        Delivery.objects.filter(pk__in=ids).update(status=AlertStatus.SENT, sent_at=NOW)
    digest = Digest(recipient=recipient, day=TODAY, created_at=NOW)  # unsaved: nothing is claimed
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        deliveries = list(pending.select_related("alert").order_by("alert__due_at", "alert__pk"))
        read_s = time.perf_counter() - started
        message = sending.digest_message(digest, [d.alert for d in deliveries], NOW)
        built_s = time.perf_counter() - started
        raw = message.message().as_bytes()
        seconds = time.perf_counter() - started
    return (
        f"  (c) digest of one recipient, {len(deliveries):,} items: {seconds * 1000:,.0f} ms "
        f"(read {read_s * 1000:,.0f} ms, render text+HTML {(built_s - read_s) * 1000:,.0f} ms, "
        f"MIME {(seconds - built_s) * 1000:,.0f} ms), {len(queries.captured_queries)} queries, "
        f"{len(raw) / 1024:,.0f} KiB email"
    )


def run(size: str, context: Context) -> None:
    from django.test.utils import override_settings

    count = SIZES[size]
    small = count // 10
    with override_settings(DPO_EMAILS=[DPO]):
        started = time.perf_counter()
        populate(0, small, seed=5)
        _analyze()
        print(f"  rows: {small:,} open rights requests (generated in {time.perf_counter() - started:.1f}s)")
        warm_up()
        low = measure_sweeps(small)
        _clear_ledger()
        started = time.perf_counter()
        populate(small, count - small, seed=6)
        _analyze()
        print(f"  rows: {count:,} open rights requests (generated in {time.perf_counter() - started:.1f}s)")
        high = measure_sweeps(count)
        others = _other_rules()
        print(
            "  rules swept: gdpr rights requests (deadline, extension decision)"
            + (f" + {', '.join(others)} (no records made for them)" if others else "")
        )
        for row in (low, high):
            print(
                f"  {row['count']:>7,} items: {row['due']:,} due (baseline SQL count in {row['baseline_ms']:.0f} ms), "
                f"first sweep created {row['created']:,} alerts and {row['deliveries']:,} deliveries"
            )
            # (other rules may find records left by the benchmarks that ran before, in the same database)
            assert row["created_rights"] == row["due"], "the sweep and the baseline count disagree"
            assert row["second_created"] == 0, "the second sweep created alerts"
            assert row["unaddressed"] == 0, "some alerts found nobody"
        target = 2.0
        for label, key in (("first sweep (writes)", "first"), ("second sweep (nothing new)", "second")):
            seconds = high[f"{key}_s"]
            print(f"  (a) {label:27} {seconds:7.2f} s   (target < {target:.0f} s)   {verdict(seconds < target)}")
        for label, key in (("first sweep", "first"), ("second sweep", "second")):
            same = low[f"{key}_q"] == high[f"{key}_q"]
            print(
                f"      queries, {label:13} {low[f'{key}_q']:5} at {low['count']:,} items, "
                f"{high[f'{key}_q']:5} at {high['count']:,}   {verdict(same)}"
            )
        same = low["resolve_q"] == high["resolve_q"]
        for row in (low, high):
            print(
                f"  (d) recipients resolved for {row['resolve_items']:>7,} items (one by one, no cache): "
                f"{row['resolve_q']} queries, {row['resolve_s'] * 1000:,.0f} ms, {row['resolve_found']:,} recipients"
            )
        print(
            f"      queries of the resolution flat from {low['count']:,} to {high['count']:,} items   {verdict(same)}"
        )
        print(
            f"  (b) baseline: SQL count of the due items {high['baseline_ms']:8.1f} ms; the first sweep is "
            f"{high['first_s'] * 1000 / max(high['baseline_ms'], 0.001):,.0f}x slower, the second "
            f"{high['second_s'] * 1000 / max(high['baseline_ms'], 0.001):,.0f}x"
        )
        kinds: dict[str, int] = {}
        for sql in high["first_sql"]:
            kind = " ".join(sql.split()[:3])
            kinds[kind] = kinds.get(kind, 0) + 1
        from django.db import connection

        if connection.vendor == "postgresql":
            print(
                "      (not counted above: the COPY of the alerts and of the deliveries, 2 per rule with new "
                "alerts, whatever their number)"
            )
        print("      first sweep's queries by kind: " + "; ".join(f"{n} × {k}" for k, n in sorted(kinds.items())))
        print(measure_digest())
