"""The records behind each computed indicator, and who may have them in a pack."""

from __future__ import annotations

import array
import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from core.roles import can_view

from .. import catalogue, registry, services, visibility
from ..models import IndicatorValue, ReportingYear
from ..records import COLUMNS, RecordsExtra
from .lines import sorted_ids
from .rows import column_models


@dataclass
class Source:
    code: str
    records: list[dict]
    origin: str  # "snapshot" or "evaluated"
    status: str
    records_sha256: str
    computed_at: dt.datetime | None = None


def source_models(source: Source, extra: RecordsExtra | None) -> set[str]:
    """Every model the records files of `source` are written from (its records', their columns', and its
    computation's extra columns), and those its computation declares (reporting/registry.py): whether
    its files are in a pack does not depend on which records it has."""
    found: set[str] = set()
    for record_set in source.records:
        found |= column_models(record_set["model"])
    for label in visibility.models_of(source.code):
        found |= column_models(label) if label in COLUMNS else {label}
    if extra is not None and extra.model in found:
        found.update(extra.models)
    return found


def viewable(source: Source, extra: RecordsExtra | None, user: Any) -> bool:
    """Whether `user` may have the records of `source`: they may view every model its files are written from
    (None: no user to ask, the command line, whose operator reads the database anyway)."""
    return user is None or all(can_view(user, label) for label in source_models(source, extra))


def computed_codes() -> list[str]:
    """The computed indicators, in catalogue order."""
    declared = registry.computations()
    return [d.code for d in catalogue.DEFINITIONS if d.code in declared]


def stored_codes(year: int) -> set[str]:
    """The codes of `year`'s frozen snapshot, the one the pack reads (none when the year is not frozen)."""
    return set(
        IndicatorValue.objects.filter(reporting_year__year=year, reporting_year__frozen_at__isnull=False).values_list(
            "code", flat=True
        )
    )


def record_sources(year: int, codes: Iterable[str] | None = None) -> Iterator[Source]:
    """Each computed indicator's records (or those of `codes`), one at a time (records of big indicators are
    long lists): from the frozen snapshot when the year is frozen, else computed now from the records (a
    snapshot of a year not frozen may be older than them: the pack's figures are exact)."""
    stored = stored_codes(year)
    reporting_year = ReportingYear.objects.filter(year=year).first() if stored else None
    wanted = set(computed_codes() if codes is None else codes)
    for code in (code for code in computed_codes() if code in wanted):
        if code in stored:
            value = (
                IndicatorValue.objects.filter(reporting_year=reporting_year, code=code)
                .only("records", "status", "records_sha256", "computed_at")
                .get()
            )
            yield Source(code, value.records or [], "snapshot", value.status, value.records_sha256, value.computed_at)
        else:
            evaluated = services.year_evaluate(year, codes=[code])[code]
            yield Source(code, evaluated.records, "evaluated", evaluated.status, evaluated.records_sha256)


def compact(source: Source) -> Source:
    """The source with each record set's ids sorted, each once, in an array (8 bytes an id: the records of
    every indicator are kept until the pack is written, to read once those that several share)."""
    records = [{"model": r["model"], "ids": array.array("q", sorted_ids(r["ids"]))} for r in source.records]
    return Source(source.code, records, source.origin, source.status, source.records_sha256, source.computed_at)
