"""Plain rows in core/history_bulk.py (`create_rows_with_history`): the records and their history are
what instances would have given (defaults included), on PostgreSQL's COPY path and on the fallback."""

import datetime as dt
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy

from core.history_bulk import _plan, create_rows_with_history, create_with_history
from notifications.models import Alert, AlertStatus, Delivery, Urgency
from organization.models import Employee
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")
DUE = dt.datetime(2025, 3, 30, 0, 0, tzinfo=PARIS)  # the spring clock change
COLUMNS = (
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
)
#: Compared between the two paths (not the ids, not `created_at` when it is left to its default).
COMPARED = (
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
    "status",
    "acknowledged_at",
    "acknowledged_by",
)


def _rows(count, content_type_id, *, start=0, rule="test.rule"):
    return [
        (
            rule,
            "d-7",
            content_type_id,
            start + n,
            f"REF-{n}\ttab",
            DUE,
            DUE - dt.timedelta(days=7),
            Urgency.SOON,
            bool(n % 2),
            gettext_lazy("Due soon"),
            "line 1\nline 2" if n % 3 else "",
            "",
            DUE - dt.timedelta(days=8),
        )
        for n in range(count)
    ]


@pytest.fixture
def content_type_id():
    return ContentType.objects.get_for_model(Employee).pk


def test_rows_give_the_records_and_history_that_instances_give(content_type_id):
    """On PostgreSQL the rows take the COPY path and the instances' twin goes through it as well; on
    SQLite both are simple-history's bulk_create_with_history: either way, the same stored values."""
    user, date = UserFactory(), timezone.now()
    ids = create_rows_with_history(
        Alert, _rows(6, content_type_id), columns=COLUMNS, user=user, reason="rows", date=date
    )
    twins = create_with_history(
        [Alert(**dict(zip(COLUMNS, row, strict=True))) for row in _rows(6, content_type_id, rule="test.twin")],
        Alert,
        user=user,
        reason="rows",
        date=date,
    )
    assert len(ids) == 6 and len(set(ids)) == 6
    stored = list(Alert.objects.filter(pk__in=ids).order_by("object_id").values(*COMPARED, "id"))
    assert [row.pop("id") for row in stored] == ids  # the ids come back in the order of the rows
    twin = list(Alert.objects.filter(pk__in=[t.pk for t in twins]).order_by("object_id").values(*COMPARED))
    assert stored == [{**row, "rule": "test.rule"} for row in twin]
    assert stored[0]["status"] == AlertStatus.PENDING and stored[0]["acknowledged_at"] is None
    assert stored[1]["title"] == str(gettext_lazy("Due soon")) and stored[1]["object_label"] == "REF-1\ttab"
    history = Alert.history.filter(id__in=ids)
    assert history.count() == 6
    assert set(history.values_list("history_type", "history_user_id", "history_change_reason", "history_date")) == {
        ("+", user.pk, "rows", date)
    }
    assert list(history.order_by("id").values(*COMPARED)) == stored


def test_dict_rows_fill_the_defaults_of_the_fields_they_leave_out(content_type_id):
    alert_id = create_rows_with_history(
        Alert, _rows(1, content_type_id), columns=COLUMNS, user=None, reason="r", date=timezone.now()
    )[0]
    ids = create_rows_with_history(
        Delivery,
        [
            {"alert_id": alert_id, "recipient": "a@example.org"},
            {"alert_id": alert_id, "recipient": "b@example.org", "attempts": 2},
        ],
        user=None,
        reason="r",
        date=timezone.now(),
    )
    stored = list(
        Delivery.objects.filter(pk__in=ids)
        .order_by("recipient")
        .values_list("recipient", "status", "attempts", "last_error", "sent_at", "digest_id")
    )
    assert stored == [("a@example.org", "pending", 0, "", None, None), ("b@example.org", "pending", 2, "", None, None)]
    assert Delivery.history.filter(id__in=ids).count() == 2


def test_a_callable_default_is_called_for_each_row(content_type_id):
    field = Alert._meta.get_field("created_at")
    moments = iter(DUE + dt.timedelta(seconds=n) for n in range(100))
    field.__dict__.pop("_get_default", None)  # Django caches how a field gets its default
    try:
        with mock.patch.object(field, "default", lambda: next(moments)):
            ids = create_rows_with_history(
                Alert,
                [row[:-1] for row in _rows(3, content_type_id)],
                columns=COLUMNS[:-1],
                user=None,
                reason="r",
                date=timezone.now(),
            )
    finally:
        field.__dict__.pop("_get_default", None)
    created = [Alert.objects.get(pk=pk).created_at for pk in ids]
    assert created == [DUE, DUE + dt.timedelta(seconds=1), DUE + dt.timedelta(seconds=2)]
    assert Alert.objects.get(pk=ids[0]).created_at == Alert.history.get(id=ids[0]).created_at


def test_a_column_that_is_not_an_attname_or_a_row_of_the_wrong_width_is_refused(content_type_id):
    alert_id = create_rows_with_history(
        Alert, _rows(1, content_type_id), columns=COLUMNS, user=None, reason="r", date=timezone.now()
    )[0]
    for columns in (("alert", "recipient"), ("id", "alert_id", "recipient"), ("alert_id", "recipient", "alert_id")):
        with pytest.raises(ValueError, match="Delivery"):
            create_rows_with_history(
                Delivery,
                [(alert_id, "a@example.org", alert_id)[: len(columns)]],
                columns=columns,
                user=None,
                reason="r",
                date=timezone.now(),
            )
    with pytest.raises(ValueError, match="values for 2 columns|2 values"):
        create_rows_with_history(
            Delivery,
            [(alert_id, "a@example.org", 3)],
            columns=("alert_id", "recipient"),
            user=None,
            reason="r",
            date=timezone.now(),
        )
    assert not Delivery.objects.exists()
    assert (
        create_rows_with_history(
            Delivery, [], columns=("alert_id", "recipient"), user=None, reason="r", date=timezone.now()
        )
        == []
    )


@pytest.mark.postgres
def test_ids_that_are_not_one_run_of_the_sequence_still_get_exactly_their_history(postgres, content_type_id):
    """Another session drawing from the sequence meanwhile leaves gaps between the ids: the history rows
    are then found by the ids themselves, not by their range (here: a sequence that counts by 3, and a
    record whose id falls in a gap)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence('notifications_alert', 'id')")
        sequence = cursor.fetchone()[0]
        cursor.execute(f"ALTER SEQUENCE {sequence} INCREMENT BY 3")  # rolled back with the test
    ids = create_rows_with_history(
        Alert, _rows(5, content_type_id), columns=COLUMNS, user=None, reason="gaps", date=timezone.now()
    )
    assert [b - a for a, b in zip(ids, ids[1:], strict=False)] == [3, 3, 3, 3]
    # A record without history in the gap of the next two ids: within their range, not one of them.
    Alert.objects.bulk_create(
        [Alert(**dict(zip(COLUMNS, _rows(1, content_type_id, start=99)[0], strict=True)), id=ids[-1] + 4)]
    )
    more = create_rows_with_history(
        Alert, _rows(2, content_type_id, start=50), columns=COLUMNS, user=None, reason="gaps", date=timezone.now()
    )
    assert more == [ids[-1] + 3, ids[-1] + 6]
    assert sorted(Alert.history.values_list("id", flat=True)) == sorted(ids + more)


def test_a_field_that_works_its_value_out_on_save_sends_its_model_to_the_fallback(content_type_id):
    """The fast path reads the instances' attributes as they are: a field with its own `pre_save` (here
    the recipient's, lower-casing it) is left to bulk_create_with_history, which calls it."""
    alert_id = create_rows_with_history(
        Alert, _rows(1, content_type_id), columns=COLUMNS, user=None, reason="r", date=timezone.now()
    )[0]
    field = Delivery._meta.get_field("recipient")
    with mock.patch.object(type(field), "pre_save", lambda self, obj, add: getattr(obj, self.attname).lower()):
        assert _plan(Delivery) is None
        delivery = create_with_history(
            [Delivery(alert_id=alert_id, recipient="DPO@Example.org")],
            Delivery,
            user=None,
            reason="r",
            date=timezone.now(),
        )[0]
    assert _plan(Delivery) is not None
    assert Delivery.objects.get(pk=delivery.pk).recipient == "dpo@example.org"
    assert Delivery.history.get(id=delivery.pk).recipient == "dpo@example.org"
