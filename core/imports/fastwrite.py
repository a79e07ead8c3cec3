"""Creating records with their history rows, fast on PostgreSQL.

`create_with_history` is what the import engine calls for the new records of a batch, and the alert
sweep (notifications/sweep.py) for new alerts and deliveries. On PostgreSQL,
for models whose columns are plain values (text, numbers, dates, booleans, foreign keys), it writes
them the way PostgreSQL loads data fastest:

1. the primary keys are drawn from the table's own sequence (`nextval`), so the records have their ids
   before they are written (the engine's `after_write` needs them);
2. the records go in with one `COPY ... FROM STDIN` (psycopg 3), instead of an INSERT whose parameters
   Django prepares value by value;
3. their history rows (django-simple-history's historical table: the same columns plus `history_date`,
   `history_type` "+", `history_user_id`, `history_change_reason`) are written by one
   `INSERT ... SELECT` from the rows just copied, so the history is exactly what was stored.

Constraints apply as for any insert (a unique violation raises `IntegrityError` and the engine retries
the batch row by row; foreign keys are checked at commit, deferred as Django declares them). Everywhere
else (SQLite, a model with another kind of column or a customised history model) it is
simple-history's `bulk_create_with_history`, with the same result.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection, models
from simple_history.utils import bulk_create_with_history

#: Column types whose Python values psycopg writes in COPY as Django would store them.
_PLAIN_FIELDS = (
    models.AutoField, models.BigAutoField, models.CharField, models.TextField, models.IntegerField,
    models.BigIntegerField, models.SmallIntegerField, models.PositiveIntegerField, models.PositiveSmallIntegerField,
    models.PositiveBigIntegerField, models.BooleanField, models.DateField, models.DecimalField, models.ForeignKey,
)
_HISTORY_COLUMNS = {"history_date", "history_type", "history_user_id", "history_change_reason"}


def _plan(model: type[models.Model]) -> tuple[list[models.Field], list[str], list[str]] | None:
    """(the model's fields to copy, the history table's columns, the matching SELECT expressions), or
    None when the fast path does not apply to this model."""
    fields = list(model._meta.concrete_fields)
    pk = model._meta.pk
    if not isinstance(pk, (models.AutoField, models.BigAutoField)) or pk.attname != "id":
        return None
    for field in fields:
        if not isinstance(field, _PLAIN_FIELDS):
            return None
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            return None
    history = getattr(model, "history", None)
    if history is None:
        return None
    historical = history.model
    source_columns = {field.attname: field.column for field in fields}
    columns, selects = [], []
    for field in historical._meta.concrete_fields:
        if field.primary_key:  # history_id: the historical table's own identity
            continue
        if field.attname in _HISTORY_COLUMNS:
            columns.append(connection.ops.quote_name(field.column))
            selects.append(f"%({field.attname})s")
        elif field.attname in source_columns:
            columns.append(connection.ops.quote_name(field.column))
            selects.append(f"t.{connection.ops.quote_name(source_columns[field.attname])}")
        else:
            return None  # a history model with fields of its own
    return fields, columns, selects


def create_with_history(objs: Sequence[models.Model], model: type[models.Model], *, user: Any, reason: str,
                        date: Any) -> list[models.Model]:
    """Insert `objs` (new, unsaved) with one history row each; returns them with their ids set."""
    plan = _plan(model) if connection.vendor == "postgresql" and objs else None
    if plan is None:
        return bulk_create_with_history(list(objs), model, default_user=user, default_change_reason=reason,
                                        default_date=date)
    fields, history_columns, selects = plan
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                       [model._meta.db_table, len(objs)])
        ids = [row[0] for row in cursor.fetchall()]
        text = [i for i, field in enumerate(fields) if isinstance(field, (models.CharField, models.TextField))]
        rows = []
        for obj, pk in zip(objs, ids, strict=True):
            obj.pk = pk
            row = [field.pre_save(obj, True) for field in fields]
            for index in text:  # a lazy translation is not a str for psycopg
                if row[index] is not None and type(row[index]) is not str:
                    row[index] = str(row[index])
            rows.append(row)
        column_list = ", ".join(quote(field.column) for field in fields)
        # The raw psycopg cursor; its errors become Django's (IntegrityError...) as for any query.
        with connection.wrap_database_errors, cursor.cursor.copy(f"COPY {table} ({column_list}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(
            f"INSERT INTO {quote(model.history.model._meta.db_table)} ({', '.join(history_columns)}) "
            # A join with the ids, not `t.id = ANY(%(ids)s)`: unless PostgreSQL sees the array as a
            # constant, it checks it row by row (quadratic: minutes at 130,000 rows); a join is hashed.
            f"SELECT {', '.join(selects)} FROM {table} t JOIN unnest(%(ids)s::bigint[]) AS new(id) ON t.id = new.id",
            {"ids": ids, "history_date": date, "history_type": "+",
             "history_user_id": getattr(user, "pk", None), "history_change_reason": reason},
        )
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
    return list(objs)
