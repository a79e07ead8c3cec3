"""The rows of a model's records as the pack writes them: the columns its app declares
(reporting/records.py), read as values (no model instance) in one query, then written a column at a time
(cells.py). A row without its line end is a "head": the extra columns of a computation come after it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import connections, models
from django.utils import timezone

from core.spreadsheets import FRENCH, CsvDialect, csv_field

from ..records import COLUMNS, Accessor, Derived, paths_of
from . import database
from .cells import cells_of, field_cell, write_column
from .database import LocalTime, UtcOffset, local_times


class UnknownRecordModel(LookupError):
    """A computation returned records of a model no app declares columns for (a programming error)."""


def record_model(label: str) -> type[models.Model]:
    if label not in COLUMNS:
        raise UnknownRecordModel(
            f"{label}: no columns in RECORD_COLUMNS of its app's indicators.py; declare the "
            "fields an auditor needs to trace its records (reporting/records.py)"
        )
    return apps.get_model(label)


def _through(relation: models.Field[Any, Any] | models.ForeignObjectRel) -> type[models.Model]:
    """The model a relation of a column path leads to: every part of a path but the last is a relation
    (records.check_records refuses other paths)."""
    assert relation.related_model is not None, relation
    return relation.related_model


def _to_many(model: type[models.Model], path: str) -> bool:
    """Whether the field path crosses a to-many relation (one record, several values)."""
    current = model
    for part in path.split("__")[:-1]:
        relation = current._meta.get_field(part)
        if relation.many_to_many or relation.one_to_many:
            return True
        current = _through(relation)
    return False


def _final_field(model: type[models.Model], path: str) -> Any:
    *through, last = path.split("__")
    current = model
    for part in through:
        current = _through(current._meta.get_field(part))
    return current._meta.get_field(last)


def column_models(label: str) -> set[str]:
    """The models a record set of `label` is written from: its own and those its column paths go through."""
    model = record_model(label)
    found = {label}
    for path in paths_of(COLUMNS[label]):
        current = model
        for part in path.split("__")[:-1]:
            current = _through(current._meta.get_field(part))
            found.add(current._meta.label_lower)
    return found


@dataclass(frozen=True)
class Plan:
    """How to read one model's columns: the single-valued paths in one query (the datetimes as local text on
    PostgreSQL), each to-many path in its own; how each column is written."""

    label: str
    model: type[models.Model]
    vendor: str
    columns: tuple[tuple[str, Accessor], ...]
    single: tuple[str, ...]
    many: tuple[str, ...]
    #: single paths read as `LocalTime` and `UtcOffset` (PostgreSQL's datetimes)
    local: tuple[str, ...]
    #: how each column is written: (function, by value)
    cells: tuple[tuple[Callable[[Any], str], bool], ...]
    dialect: CsvDialect = FRENCH

    @classmethod
    def of(cls, label: str, dialect: CsvDialect = FRENCH) -> Plan:
        model = record_model(label)
        columns = COLUMNS[label]
        vendor = connections[model._default_manager.db].vendor
        paths = list(dict.fromkeys(paths_of(columns)))
        many = tuple(p for p in paths if _to_many(model, p))
        single = tuple(p for p in paths if p not in many)
        local = tuple(
            p
            for p in single
            if vendor == "postgresql" and _final_field(model, p).get_internal_type() == "DateTimeField"
        )
        csv_cell = cells_of(dialect).csv_cell
        cells = tuple(
            (csv_cell, False)
            if isinstance(accessor, str) and accessor in many
            else (csv_cell, accessor.by_value)
            if isinstance(accessor, Derived)
            else field_cell(_final_field(model, accessor), dialect)
            for _header, accessor in columns
        )
        return cls(label, model, vendor, columns, single, many, local, cells, dialect)

    def _values(self, ids: Sequence[int]) -> models.QuerySet:
        """The query of `rows`: "pk", the paths read as they are, then each `local` path's two columns (the
        order of the SELECT too: its plain columns, then its annotations in their order)."""
        queryset = database.among(self.model, self.vendor, ids)
        plain = [path for path in self.single if path not in self.local]
        if not self.local:
            return queryset.order_by("pk").values_list("pk", *plain)
        zone = models.Value(str(timezone.get_default_timezone()))
        names: dict[str, models.Func] = {}
        for i, path in enumerate(self.local):
            names[f"local_{i}"] = LocalTime(path, zone)
            names[f"offset_{i}"] = UtcOffset(path, zone)
        return queryset.annotate(**names).order_by("pk").values_list("pk", *plain, *names)

    def rows(self, ids: Sequence[int]) -> Iterator[list[tuple]]:
        """The rows of `_values` of the records among the sorted `ids`, ordered by pk, CHUNK_SIZE at a time:
        one query (CHUNK_SIZE ids per query on databases other than PostgreSQL and SQLite)."""
        if not ids:
            return
        if self.vendor not in ("postgresql", "sqlite"):
            size = database.CHUNK_SIZE
            for start in range(0, len(ids), size):
                yield list(self._values(ids[start : start + size]))
            return
        yield from database.fetch(self._values(ids))

    def many_values(self, ids: Sequence[int]) -> dict[str, dict[int, list]]:
        """{to-many path: {pk: its non-null values}} of the records among `ids` (one query a path)."""
        result: dict[str, dict[int, list]] = {}
        for path in self.many:
            values: dict[int, list] = {}
            for pk, value in database.among(self.model, self.vendor, ids).order_by().values_list("pk", path):
                if value is not None:
                    values.setdefault(pk, []).append(value)
            result[path] = values
        return result

    def cell_columns(self, batch: list[tuple], many: dict[str, dict[int, list]]) -> tuple[list[int], list[list[str]]]:
        """(pks, the CSV fields of each column) of a batch of `rows`, a column at a time; `many`: the to-many
        values (`many_values`)."""
        columns = iter(list(zip(*batch, strict=True)))
        pks = list(next(columns))
        values: dict[str, Any] = {path: next(columns) for path in self.single if path not in self.local}
        written = {path: local_times(next(columns), next(columns)) for path in self.local}
        for path, by_pk in many.items():
            values[path] = [by_pk.get(pk, []) for pk in pks]
        for path in {p for _h, a in self.columns if isinstance(a, Derived) for p in a.paths} & set(written):
            values[path] = [dt.datetime.fromisoformat(text) if text else None for text in written[path]]
        cells = []
        for (_header, accessor), (write, by_value) in zip(self.columns, self.cells, strict=True):
            if isinstance(accessor, str) and accessor in written:
                column_text = written[accessor]
                if not self.dialect.iso_dates:
                    column_text = list(map(self.dialect.iso_datetime, column_text))
                cells.append(column_text)
                continue
            column = (
                values[accessor]
                if isinstance(accessor, str)
                else map(accessor.function, *(values[p] for p in accessor.paths))
            )
            cells.append(write_column(write, column, by_value))
        return pks, cells

    def heads(self, base_headers: tuple[str, ...], ids: Sequence[int]) -> Iterator[tuple[list[int], list[str | None]]]:
        """(pks, heads) of the sorted `ids`, a batch at a time: a head is a CSV line without the extra columns
        and the line break: the model, the id, the columns at the places of `base_headers`; None for a
        record since deleted."""
        source = {header: i + 1 for i, (header, _accessor) in enumerate(self.columns)}
        sep = self.dialect.delimiter
        template = (
            f"{csv_field(self.label, self.dialect)}{sep}{{0}}"
            + "".join(f"{sep}{{{source[h]}}}" if h in source else sep for h in base_headers[2:])
        ).format
        position = 0
        many = self.many_values(ids) if self.many else {}
        for batch in self.rows(ids):
            pks, cells = self.cell_columns(batch, many)
            heads: list[str | None] = list(map(template, pks, *cells))
            end = position + len(pks)
            if ids[end - 1] != pks[-1]:  # else the pks, a sorted part of the ids, are all of ids[position:end]
                heads, pks = with_missing(ids, position, pks, heads)
                end = position + len(pks)
            position = end
            yield pks, heads
        if position < len(ids):
            rest = list(ids[position:])
            yield rest, [None] * len(rest)


def with_missing(ids: Sequence[int], position: int, pks: list[int], heads: list) -> tuple[list, list[int]]:
    """`heads` and `pks` with the ids from `position` missing among the pks (None heads)."""
    all_heads: list = []
    all_pks: list[int] = []
    for pk, head in zip(pks, heads, strict=True):
        while ids[position] != pk:
            all_pks.append(ids[position])
            all_heads.append(None)
            position += 1
        all_pks.append(pk)
        all_heads.append(head)
        position += 1
    return all_heads, all_pks
