"""Creating records with their history rows, fast on PostgreSQL.

Two ways in, one way to write:

- `create_with_history(objs, model, ...)`: new, unsaved instances; returns them with their ids set. The
  import engine calls it for the new records of a batch;
- `create_rows_with_history(model, rows, ...)`: plain rows, column values by attname (tuples in the
  order of `columns`, or dicts); returns the new ids, in the order of the rows. For a caller that writes
  many records and has no use for instances (the alert sweep, notifications/sweep.py): at 100,000 alerts
  and deliveries, building the Django instances (`Model.__init__` walks every field, fills every default,
  goes through the related descriptors) cost more than writing them. A field a row does not give gets
  the model's default, as `Model.__init__` would give it: a constant default is worked out once, a
  callable one (`timezone.now`) is called for each row.

On PostgreSQL, for models whose columns are plain values (text, numbers, dates, booleans, foreign keys),
both write the records the way PostgreSQL loads data fastest (`_copy_with_history`):

1. the primary keys are drawn from the table's own sequence (`nextval`), so the records have their ids
   before they are written (the engine's `after_write` and the sweep's deliveries need them);
2. the records go in with one `COPY ... FROM STDIN` (psycopg 3), instead of an INSERT whose parameters
   Django prepares value by value. The rows are prepared as they are copied, so PostgreSQL reads the
   first ones while Python prepares the next;
3. their history rows (django-simple-history's historical table: the same columns plus `history_date`,
   `history_type` "+", `history_user_id`, `history_change_reason`) are written by one
   `INSERT ... SELECT` from the rows just copied, so the history is exactly what was stored.

Constraints apply as for any insert (a unique violation raises `IntegrityError` and the engine retries
the batch row by row; foreign keys are checked at commit, deferred as Django declares them). Everywhere
else (SQLite, a model with another kind of column, a value worked out on save or by the database, or a
customised history model) it is simple-history's `bulk_create_with_history` with instances (rows are
turned into instances for it), with the same result.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple, cast

from django.db import connection, models
from simple_history.utils import bulk_create_with_history

#: Column types whose Python values psycopg writes in COPY as Django would store them.
_PLAIN_FIELDS = (
    models.AutoField,
    models.BigAutoField,
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.BigIntegerField,
    models.SmallIntegerField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
    models.PositiveBigIntegerField,
    models.BooleanField,
    models.DateField,
    models.DecimalField,
    models.ForeignKey,
)
#: The `pre_save` of these fields returns the attribute as it is (unless auto_now/auto_now_add, refused):
#: the instances' values can be read directly. A field class with its own `pre_save` works its value out
#: on save, and its model takes the fallback.
_PLAIN_PRE_SAVE = (models.Field.pre_save, models.DateField.pre_save, models.DateTimeField.pre_save)
_HISTORY_COLUMNS = {"history_date", "history_type", "history_user_id", "history_change_reason"}
_TEXT_FIELDS = (models.CharField, models.TextField)


class _Plan(NamedTuple):
    #: The model's concrete fields but the primary key (written from `nextval`).
    fields: list[models.Field]
    #: The history table, its columns, and the matching SELECT expressions on the copied rows.
    history_table: str
    history_columns: list[str]
    selects: list[str]


def _column(field: models.Field) -> str:
    """A concrete field's column: Django calls a field concrete because it has one (the stubs type every
    field's `column` as optional)."""
    assert field.column is not None
    return field.column


def _plan(model: type[models.Model]) -> _Plan | None:
    """How the fast path writes this model, or None when it does not apply to it."""
    pk = model._meta.pk
    if not isinstance(pk, (models.AutoField, models.BigAutoField)) or pk.attname != "id":
        return None
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    for field in fields:
        if not isinstance(field, _PLAIN_FIELDS) or type(field).pre_save not in _PLAIN_PRE_SAVE:
            return None
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            return None
        if field.has_db_default():  # the database works the value out: not something COPY is given
            return None
    history = getattr(model, "history", None)
    if history is None:
        return None
    historical = history.model
    source_columns = {field.attname: _column(field) for field in model._meta.concrete_fields}
    columns, selects = [], []
    for field in historical._meta.concrete_fields:
        if field.primary_key:  # history_id: the historical table's own identity
            continue
        if field.attname in _HISTORY_COLUMNS:
            columns.append(connection.ops.quote_name(_column(field)))
            selects.append(f"%({field.attname})s")
        elif field.attname in source_columns:
            columns.append(connection.ops.quote_name(_column(field)))
            selects.append(f"t.{connection.ops.quote_name(source_columns[field.attname])}")
        else:
            return None  # a history model with fields of its own
    return _Plan(fields, historical._meta.db_table, columns, selects)


def _fast_plan(model: type[models.Model], count: int) -> _Plan | None:
    return _plan(model) if connection.vendor == "postgresql" and count else None


def _as_text(row: Sequence[Any], text: Sequence[int]) -> Sequence[Any]:
    """`row` with the values at `text` (text columns) as `str`: a lazy translation or another object
    that is not a str is not text for psycopg. The row itself when there is nothing to convert."""
    for index in text:
        value = row[index]
        if value is not None and type(value) is not str:
            row = list(row)
            for other in text:
                if row[other] is not None and type(row[other]) is not str:
                    row[other] = str(row[other])
            return row
    return row


def _copy_with_history(
    model: type[models.Model],
    plan: _Plan,
    fields: Sequence[models.Field],
    rows: Iterable[Sequence[Any]],
    count: int,
    *,
    user: Any,
    reason: str,
    date: Any,
) -> list[int]:
    """The fast path: `count` records whose `rows` hold the values of `fields` (every field of the plan,
    in any order, ready for psycopg), with one history row each; returns their ids, in order.

    `rows` may be a generator: it is consumed while the COPY is under way."""
    quote = connection.ops.quote_name
    table, pk = quote(model._meta.db_table), _column(model._meta.pk)
    with connection.cursor() as cursor:
        # The sequence is looked up once (a materialised CTE): `nextval(pg_get_serial_sequence(...))`
        # looks it up in the catalog for every row (0.4 s at 130,000 ids, against 0.05 s).
        cursor.execute(
            "WITH seq AS MATERIALIZED (SELECT pg_get_serial_sequence(%s, %s)::regclass AS oid) "
            "SELECT nextval(seq.oid) FROM seq, generate_series(1, %s)",
            [model._meta.db_table, pk, count],
        )
        ids = [row[0] for row in cursor.fetchall()]
        column_list = ", ".join([quote(pk), *(quote(_column(field)) for field in fields)])
        # The raw psycopg cursor; its errors become Django's (IntegrityError...) as for any query.
        with connection.wrap_database_errors, cursor.cursor.copy(f"COPY {table} ({column_list}) FROM STDIN") as copy:
            write_row = copy.write_row
            for new_id, row in zip(ids, rows, strict=True):
                write_row((new_id, *row))
        low, high = min(ids), max(ids)
        if high - low == count - 1:
            # One unbroken run of the sequence (no other session drew from it meanwhile): every id
            # between the first and the last is one of ours, so a row that holds one is one we copied
            # (any other would have failed the COPY on the primary key). A range, not 100,000 ids sent
            # as an array and joined.
            ours, params = f"WHERE t.{quote(pk)} BETWEEN %(low)s AND %(high)s", {"low": low, "high": high}
        else:
            # A join with the ids, not `t.id = ANY(%(ids)s)`: unless PostgreSQL sees the array as a
            # constant, it checks it row by row (quadratic: minutes at 130,000 rows); a join is hashed.
            ours, params = f"JOIN unnest(%(ids)s::bigint[]) AS new(id) ON t.{quote(pk)} = new.id", {"ids": ids}
        cursor.execute(
            f"INSERT INTO {quote(plan.history_table)} ({', '.join(plan.history_columns)}) "
            f"SELECT {', '.join(plan.selects)} FROM {table} t {ours}",
            {
                **params,
                "history_date": date,
                "history_type": "+",
                "history_user_id": getattr(user, "pk", None),
                "history_change_reason": reason,
            },
        )
    return ids


def create_with_history(
    objs: Sequence[models.Model], model: type[models.Model], *, user: Any, reason: str, date: Any
) -> list[models.Model]:
    """Insert `objs` (new, unsaved) with one history row each; returns them with their ids set (an id
    already set is replaced by one from the sequence on the fast path)."""
    plan = _fast_plan(model, len(objs))
    if plan is None:
        return bulk_create_with_history(
            list(objs), model, default_user=user, default_change_reason=reason, default_date=date
        )
    fields = plan.fields
    getter = operator.attrgetter(*(field.attname for field in fields))
    values: Callable[[models.Model], Sequence[Any]] = getter if len(fields) > 1 else lambda obj: (getter(obj),)
    text = [i for i, field in enumerate(fields) if isinstance(field, _TEXT_FIELDS)]
    ids = _copy_with_history(
        model,
        plan,
        fields,
        (_as_text(values(obj), text) for obj in objs),
        len(objs),
        user=user,
        reason=reason,
        date=date,
    )
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias
    return list(objs)


def create_rows_with_history(
    model: type[models.Model],
    rows: Sequence[Sequence[Any]] | Sequence[Mapping[str, Any]],
    *,
    columns: Sequence[str] | None = None,
    user: Any,
    reason: str,
    date: Any,
) -> list[int]:
    """Insert new records given as plain rows, with one history row each; returns their ids, in the
    order of `rows`.

    A row holds column values by attname (`content_type_id`, not `content_type`): a tuple of the values
    of `columns`, or, without `columns`, a dict (a key missing from a dict: that field's default, for that
    row). The primary key is never given: it comes from the table's sequence. Values go in as given, as
    an instance's attributes would (no conversion, no validation), except that text becomes `str`."""
    pk = model._meta.pk
    if not isinstance(pk, (models.AutoField, models.BigAutoField)):
        raise ValueError(f"{model.__name__}: rows are for models whose primary key comes from a sequence")
    by_name = {field.attname: field for field in model._meta.concrete_fields if not field.primary_key}
    if columns is None:
        dicts = cast(Sequence[Mapping[str, Any]], rows)  # without `columns`, rows are dicts (docstring)
        names = list(dict.fromkeys(name for row in dicts for name in row))
        _check_names(model, names, by_name)
        tuples: Sequence[Sequence[Any]] = [
            tuple(row[name] if name in row else by_name[name].get_default() for name in names) for row in dicts
        ]
    else:
        names = list(columns)
        _check_names(model, names, by_name)
        tuples = cast(Sequence[Sequence[Any]], rows)  # with `columns`, rows are tuples (docstring)
        for row in tuples:
            if len(row) != len(names):
                raise ValueError(f"{model.__name__}: a row of {len(row)} values for {len(names)} columns: {row!r}")
    plan = _fast_plan(model, len(tuples))
    if plan is None:
        objs = [model(**dict(zip(names, row, strict=True))) for row in tuples]
        created = (
            bulk_create_with_history(objs, model, default_user=user, default_change_reason=reason, default_date=date)
            if objs
            else []
        )
        return [obj.pk for obj in created]
    given = [by_name[name] for name in names]
    named = set(names)
    missing = [field for field in plan.fields if field.attname not in named]
    per_row = [field for field in missing if field.has_default() and callable(field.default)]
    constant = [field for field in missing if field not in per_row]
    constants = tuple(_as_text([field.get_default() for field in constant], range(len(constant))))
    fields = [*given, *per_row, *constant]  # the COPY takes the columns in this order
    text = [i for i, field in enumerate(fields[: len(given) + len(per_row)]) if isinstance(field, _TEXT_FIELDS)]

    def prepared() -> Iterable[Sequence[Any]]:
        for row in tuples:
            if per_row:
                row = (*row, *(field.get_default() for field in per_row))
            yield (*_as_text(row, text), *constants) if constants else _as_text(row, text)

    return _copy_with_history(model, plan, fields, prepared(), len(tuples), user=user, reason=reason, date=date)


def _check_names(model: type[models.Model], names: Sequence[str], by_name: Mapping[str, models.Field]) -> None:
    """Refuse a column that is not one of the model's (a field name instead of an attname, the primary
    key, a typo): COPY would otherwise report it far from the caller, or a default would stand in."""
    unknown = [name for name in names if name not in by_name]
    if unknown:
        raise ValueError(
            f"{model.__name__}: not a column of the model by attname (the primary key is never "
            f"given): {', '.join(unknown)}"
        )
    if len(set(names)) != len(names):
        raise ValueError(f"{model.__name__}: a column is given twice: {', '.join(names)}")
