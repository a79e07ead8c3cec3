"""Reading the records from the database: by batches, with their ids sent as one parameter, and
PostgreSQL's datetimes written as text by the server (the pack reads whole tables: what Django does per
row or per id adds up).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import json
import operator
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import EmptyResultSet
from django.db import connections, models
from django.db.backends.utils import CursorDebugWrapper
from django.db.models.expressions import RawSQL

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models.sql.compiler import SQLCompiler

#: Rows fetched (and written) at a time, so that memory does not grow with the records of an indicator. Each
#: read in one query (their ids as one array on PostgreSQL, one JSON list on SQLite); elsewhere CHUNK_SIZE
#: ids per `pk__in`.
CHUNK_SIZE = 5000


def offset_text(seconds: int) -> str:
    """A UTC offset as datetime.isoformat writes it ("+01:00")."""
    return dt.datetime(2000, 1, 1, tzinfo=dt.timezone(dt.timedelta(seconds=seconds))).isoformat()[19:]


#: An SQL fragment and its parameters, as Django's compiler gives them.
Sql = tuple[str, tuple[str | int, ...]]


class _InZone(models.Func):
    """PostgreSQL: a text worked out from a datetime (the first expression) in a time zone (the second)."""

    output_field = models.TextField()

    def as_sql(
        self,
        compiler: SQLCompiler,
        connection: BaseDatabaseWrapper,
        function: str | None = None,
        template: str | None = None,
        arg_joiner: str | None = None,
        **extra_context: Any,
    ) -> Sql:
        return self.in_zone(compiler.compile(self.source_expressions[0]), compiler.compile(self.source_expressions[1]))

    def in_zone(self, value: Sql, zone: Sql) -> Sql:
        raise NotImplementedError  # pragma: no cover - abstract


class LocalTime(_InZone):
    """PostgreSQL: a datetime's local time in a time zone, as text without offset (YYYY-MM-DDTHH:MM:SS).
    Django's loader of timestamps applies the time zone in Python, value by value: the database writes
    them instead."""

    def in_zone(self, value: Sql, zone: Sql) -> Sql:
        (value_sql, value_params), (zone_sql, zone_params) = value, zone
        return (
            f"to_char(({value_sql}) AT TIME ZONE {zone_sql}, 'YYYY-MM-DD\"T\"HH24:MI:SS')",
            (*value_params, *zone_params),
        )


class UtcOffset(_InZone):
    """PostgreSQL: the UTC offset, in seconds, of a datetime's time zone at that moment, as text (an integer
    would cost a Django converter call on every row)."""

    def in_zone(self, value: Sql, zone: Sql) -> Sql:
        (value_sql, value_params), (zone_sql, zone_params) = value, zone
        return (
            f"EXTRACT(EPOCH FROM (({value_sql}) AT TIME ZONE {zone_sql}) - (({value_sql}) AT TIME ZONE 'UTC'))"
            "::integer::text",
            (*value_params, *zone_params, *value_params),
        )


def local_times(local: Sequence[str | None], offsets: Sequence[str | None]) -> list[str]:
    """The fields of `LocalTime` and `UtcOffset` columns: "YYYY-MM-DDTHH:MM:SS+01:00", "" for none."""
    written = {offset: "" if offset is None else offset_text(int(offset)) for offset in set(offsets)}
    if None in local:
        return ["" if time is None else time + written[offset] for time, offset in zip(local, offsets, strict=True)]
    return list(map(operator.add, local, map(written.__getitem__, offsets)))


def among(model: type[models.Model], vendor: str, ids: Sequence[int]) -> models.QuerySet:
    """The records of `model` among `ids`, with one parameter whatever their number: an array on PostgreSQL
    (`pk__in` sends one parameter per id), a JSON list on SQLite."""
    queryset = model._default_manager.all()
    quote = connections[queryset.db].ops.quote_name
    pk_column = model._meta.pk.column
    assert pk_column is not None  # a primary key is a concrete column
    column = f"{quote(model._meta.db_table)}.{quote(pk_column)}"
    if vendor == "postgresql":  # the array as text: psycopg adapts a list value by value
        condition = RawSQL(
            f"{column} = ANY(%s::bigint[])", ("{" + ",".join(map(str, ids)) + "}",), output_field=models.BooleanField()
        )
    elif vendor == "sqlite":
        condition = RawSQL(
            f"{column} IN (SELECT value FROM json_each(%s))",
            (json.dumps(list(ids)),),
            output_field=models.BooleanField(),
        )
    else:
        return queryset.filter(pk__in=ids)
    return queryset.filter(condition)


def batches(rows: Iterator[tuple], size: int) -> Iterator[list[tuple]]:
    while batch := list(itertools.islice(rows, size)):
        yield batch


def fetch(queryset: models.QuerySet) -> Iterator[list[tuple]]:
    """The rows of a query, CHUNK_SIZE at a time (`stream` on PostgreSQL)."""
    if connections[queryset.db].vendor == "postgresql":
        return stream(queryset)
    return batches(queryset.iterator(chunk_size=CHUNK_SIZE), CHUNK_SIZE)


def stream(queryset: models.QuerySet) -> Iterator[list[tuple]]:
    """PostgreSQL: the rows of a query CHUNK_SIZE at a time, as the server sends them (psycopg's stream). The
    query runs once, in parallel when the planner wants (a server-side cursor, Django's iterator(), runs it
    serially and first copies its whole result). No other query can run on the connection meanwhile. Logged as Django logs its queries."""
    connection = connections[queryset.db]
    try:
        sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
    except EmptyResultSet:  # e.g. filter(pk__in=[])
        return
    with connection.cursor() as cursor:
        logged = cursor.debug_sql(sql, params) if isinstance(cursor, CursorDebugWrapper) else contextlib.nullcontext()
        with logged, connection.wrap_database_errors:
            yield from batches(cursor.cursor.stream(sql, params, size=CHUNK_SIZE), CHUNK_SIZE)
