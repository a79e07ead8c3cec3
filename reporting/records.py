"""What an auditor sees of the records behind the indicators, declared by the apps that own them
(docs/architecture.md, "Records for the auditor pack"; reporting/ never imports a domain app).

An app lists, in `<app>/indicators.py`, the columns of each of its models whose records a computation can
put behind a value:

    RECORD_COLUMNS = {
        "gdpr.breach": (("reference", "reference"), ("aware_at", "aware_at"), ...),
    }

Each column is (header, accessor): the header is a stable identifier (not translated); the accessor a field
path (`__` follows relations; a to-many relation gives its values joined with "|") or a `Derived` value of
field paths. They are the fields an auditor needs to trace a record, and no more personal data than that.

A computation may add columns to the rows of one model of its records (a training rate: whether each
employee of its denominator counts in its numerator, and by which training): `Computation.records_extra`,
a `RecordsExtra`.

ReportingConfig.ready() collects the declarations; a system check (reporting.E004) fails when a model is
declared twice, by an app other than its own, or when a column's path is not a field path of its model.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core import checks
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model
from django.utils import timezone

from core.discovery import app_modules


@dataclass(frozen=True)
class Derived:
    """A column computed from field paths' values: `function(*values of paths)`."""

    function: Callable[..., Any]
    paths: tuple[str, ...]
    #: Whether its values can be written once per distinct value: values equal only when written alike (dates,
    #: texts, ints; not floats mixed with ints, nor Decimals of several exponents).
    by_value: bool = False


def _to_paris_day(value: dt.datetime | None) -> dt.date | None:
    return timezone.localtime(value, timezone.get_default_timezone()).date() if value else None


def paris_day(path: str) -> Derived:
    """The Paris calendar day of a datetime field (the day the indicators count)."""
    return Derived(_to_paris_day, (path,), by_value=True)


Accessor = str | Derived
Columns = tuple[tuple[str, Accessor], ...]

#: (ids of records) → {id: the extra values, in the order of the headers}
ExtraRows = Callable[[list[int]], dict[int, tuple[Any, ...]]]


@dataclass(frozen=True)
class RecordsExtra:
    """Columns a computation adds after the own columns of its records of `model`."""

    headers: tuple[str, ...]
    #: (year) → the rows of the extra columns
    prepare: Callable[[int], ExtraRows]
    #: The model ("app_label.model") of the records whose rows get the columns.
    model: str
    #: The models the columns are read from: who may not view one of them does not get the records.
    models: tuple[str, ...]
    #: Optional: extras with the same `batch` are prepared together for a whole pack, when the first of
    #: them is written: `batch(keys, year)` → {key: () → rows} (one read for all of them, not one each).
    key: Hashable = ""
    batch: Callable[[set, int], dict[Any, Callable[[], ExtraRows]]] | None = None


#: "app_label.model" → its columns, as the apps declare them.
COLUMNS: dict[str, Columns] = {}
_PROBLEMS: list[str] = []


def register(app_label: str, declared: dict[str, Columns], *, origin: str = "") -> None:
    for label, columns in declared.items():
        if label.split(".")[0] != app_label:
            _PROBLEMS.append(f"{origin}: {label} is not a model of {app_label}; its own app declares its columns")
        elif label in COLUMNS and COLUMNS[label] is not columns:
            _PROBLEMS.append(f"{origin}: the columns of {label} are declared twice")
        else:
            COLUMNS[label] = columns


def autodiscover() -> None:
    """Collect RECORD_COLUMNS of every installed app's `indicators` module."""
    for config, module in app_modules("indicators"):
        register(config.label, getattr(module, "RECORD_COLUMNS", {}), origin=f"{config.name}.indicators")


def _path_problem(label: str, path: str) -> str:
    """Why `path` is not a field path of the model `label` ("" when it is)."""
    current: type[Model] | None = apps.get_model(label)
    for part in path.split("__"):
        if current is None:
            return f"{label}: {path!r} goes past a field that is not a relation"
        try:
            field = current._meta.get_field(part)
        except FieldDoesNotExist:
            return f"{label}: {path!r} is not a field path ({part!r} is not a field of {current._meta.label_lower})"
        current = field.related_model if field.is_relation else None
    return ""


def paths_of(columns: Iterable[tuple[str, Accessor]]) -> Iterable[str]:
    """The field paths columns read, in their order (a path may come twice)."""
    for _header, accessor in columns:
        yield from (accessor,) if isinstance(accessor, str) else accessor.paths


def check_records(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    problems = list(_PROBLEMS)
    for label, columns in COLUMNS.items():
        try:
            apps.get_model(label)
        except (LookupError, ValueError):
            problems.append(f"{label} has columns but is not a model")
            continue
        headers = [header for header, _accessor in columns]
        if len(set(headers)) < len(headers) or {"model", "id"} & set(headers):
            problems.append(f"{label}: its headers must differ from each other and from 'model' and 'id'")
        problems.extend(filter(None, (_path_problem(label, path) for path in paths_of(columns))))
    problems.extend(_extra_problems())
    return [checks.Error(problem, id="reporting.E004") for problem in problems]


def _extra_problems() -> Iterable[str]:
    from . import registry

    for computation in registry.computations().values():
        extra = computation.records_extra
        if extra is None:
            continue
        if extra.model not in COLUMNS:
            yield f"{computation.code}: its records_extra extends {extra.model}, which has no declared columns"
        for label in extra.models:
            try:
                apps.get_model(label)
            except (LookupError, ValueError):
                yield f"{computation.code}: its records_extra reads {label!r}, which is not a model"
