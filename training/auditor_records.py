"""The training columns the auditor pack adds to the employee rows of the training indicators
(reporting/records.py, `RecordsExtra`).

The records of a training rate are the employees of its denominator; these columns say which of them are
in the numerator, and by which training, so that the auditor can trace both parts. Each is read in a few
queries over all employees (not per chunk of ids): a rate's denominator is most of the roster.
"""

from __future__ import annotations

import array
import datetime as dt
import functools
import itertools
import operator
from collections.abc import Callable, Iterable

from django.db import models
from django.db.models import F, Q, Window
from django.db.models.functions import RowNumber

from organization.models import Employee
from reporting.auditor_pack.cells import BOOLEANS, ExtraColumns, csv_cell, date_cell, number_cell
from reporting.auditor_pack.database import fetch
from reporting.records import ExtraRows, RecordsExtra

from . import kpis
from .models import Module

EMPLOYEE = "organization.employee"
#: The models the columns are read from: who may not view one of them does not get the employee rows.
MODELS = ("training.module", "training.completion", "training.attendance")


#: Each employee's latest training of a module, compact: (employee ids, pks, days as ordinals).
_Latest = tuple[array.array, array.array, array.array]


def _latest_by_employee(querysets: dict[int, models.QuerySet], module_path: str, day_path: str) -> dict[int, _Latest]:
    """{module pk: each employee's latest row (by `day_path`, then pk) of its queryset}: one query for all the
    modules (their querysets OR-ed: the table read once), the database keeping one row per module and employee
    (ROW_NUMBER() over their rows)."""
    result: dict[int, _Latest] = {}
    if not querysets:
        return result
    ranked = (
        functools.reduce(operator.or_, querysets.values())
        .annotate(
            latest_rank=Window(
                RowNumber(),
                partition_by=[F(module_path), F("employee_id")],
                order_by=[F(day_path).desc(), F("pk").desc()],
            )
        )
        .filter(latest_rank=1)
        .order_by()
        .values_list(module_path, "employee_id", "pk", day_path)
    )
    for batch in fetch(ranked):
        modules, employees, pks, days = zip(*batch, strict=True)
        for module in set(modules):
            kept = list(map(module.__eq__, modules))
            latest = result.setdefault(module, (array.array("q"), array.array("q"), array.array("q")))
            latest[0].extend(itertools.compress(employees, kept))
            latest[1].extend(itertools.compress(pks, kept))
            latest[2].extend(map(dt.date.toordinal, itertools.compress(days, kept)))
    return result


def _latest_trainings(codes: Iterable[str], year: int) -> dict[str, tuple[_Latest, _Latest]]:
    """{module code: (each employee's latest counted completion, latest qualifying attendance) at 31/12}, the
    trainings that count that day (training.kpis): two queries whatever the number of modules."""
    codes = set(codes)
    modules = list(Module.objects.filter(code__in=codes))
    if len(modules) < len(codes):
        raise Module.DoesNotExist(f"no module {sorted(codes - {m.code for m in modules})}")
    day = dt.date(year, 12, 31)
    completions = _latest_by_employee(
        {m.pk: kpis.counted_completions(m, day) for m in modules}, "module_id", "completed_on"
    )
    attendances = _latest_by_employee(
        {m.pk: kpis.qualifying_attendances(m, day) for m in modules if m.has_sessions},
        "session__module_id",
        "session__held_on",
    )
    nothing = (array.array("q"), array.array("q"), array.array("q"))
    return {m.code: (completions.get(m.pk, nothing), attendances.get(m.pk, nothing)) for m in modules}


def _module_rows(completions: _Latest, attendances: _Latest) -> ExtraRows:
    """The training columns of a module's rate from its latest trainings (`_latest_trainings`)."""

    def columns(latest: _Latest) -> tuple[tuple[Callable, Callable, bool], ...]:
        employees, pks, days = latest
        pk_of = dict(zip(employees, pks, strict=True))
        day_of = dict(zip(employees, map(dt.date.fromordinal, days), strict=True))
        return (
            (lambda ids: list(map(pk_of.get, ids)), number_cell, False),
            (lambda ids: list(map(day_of.get, ids)), date_cell, True),
        )

    # kpis.trained_q: a counted completion or (a module with sessions) a qualifying attendance
    trained = set(completions[0]) | set(attendances[0])
    return ExtraColumns(
        (lambda ids: list(map(trained.__contains__, ids)), BOOLEANS.__getitem__, False),
        *columns(completions),
        *columns(attendances),
    )


def _trained_ids(condition: Q) -> set[int]:
    """The employees (all of them, one query) matching a training condition of training.kpis."""
    trained: set[int] = set()
    for batch in fetch(Employee.objects.filter(condition).order_by().values_list("pk")):
        trained.update(pk for (pk,) in batch)
    return trained


def _modules_rows(codes: set[str], year: int) -> dict[str, Callable[[], ExtraRows]]:
    """The training columns of several modules' rates, read together (`_latest_trainings`), each made when
    its indicator is written."""
    return {code: functools.partial(_module_rows, *latest) for code, latest in _latest_trainings(codes, year).items()}


def module_trained(module_code: str) -> RecordsExtra:
    """Trained in the module at 31/12 (training.kpis's definition), with the latest counted completion
    and qualifying attendance (the trainings that count at that day)."""

    def prepare(year: int) -> ExtraRows:
        return _module_rows(*_latest_trainings([module_code], year)[module_code])

    return RecordsExtra(
        (
            "trained_on_31_12",
            "counted_completion_id",
            "counted_completion_on",
            "qualifying_attendance_id",
            "qualifying_attendance_on",
        ),
        prepare,
        EMPLOYEE,
        MODELS,
        key=module_code,
        batch=_modules_rows,
    )


def trained_in_year() -> RecordsExtra:
    def prepare(year: int) -> ExtraRows:
        trained = _trained_ids(kpis.trained_in_year_q(year))
        return ExtraColumns((lambda ids: list(map(trained.__contains__, ids)), BOOLEANS.__getitem__, False))

    return RecordsExtra(("trained_in_year",), prepare, EMPLOYEE, MODELS)


def anti_corruption_trained() -> RecordsExtra:
    """ESRS G1-3: covered at 31/12 by at least one anti-corruption module (training.kpis.at_risk_coverage)."""

    def prepare(year: int) -> ExtraRows:
        day = dt.date(year, 12, 31)
        modules = list(Module.objects.filter(anti_corruption=True, deployed_on__lte=day).order_by("code"))
        trained = [(module.code, _trained_ids(kpis.trained_q(module, day))) for module in modules]

        def codes(ids: list[int]) -> list[list[str]]:
            return [[code for code, pks in trained if i in pks] for i in ids]

        return ExtraColumns(
            (lambda ids: list(map(bool, codes(ids))), BOOLEANS.__getitem__, False), (codes, csv_cell, False)
        )

    return RecordsExtra(("anti_corruption_trained_on_31_12", "anti_corruption_modules"), prepare, EMPLOYEE, MODELS)
