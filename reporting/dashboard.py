"""The figures of the reporting dashboard (the admin page is reporting/admin/dashboard.py): the year's
indicators beside the year before, what each domain has overdue or due soon, and the domains' charts.
What the domains put there they declare in `<app>/indicators.py` (reporting/desk.py): reporting imports
none of them (docs/architecture.md).

Every count asks a fixed number of queries, whatever the number of records, and so must the domains'
declarations: counts and grouped aggregates, never a loop over rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from core.roles import can_view, sealed_out

from . import catalogue, desk, exports
from .models import IndicatorValue

#: How many months the charts cover (the current month last).
TREND_MONTHS = 12


def today() -> dt.date:
    """Today in Paris (TIME_ZONE)."""
    return timezone.localdate()


# --- the indicators of a year beside the year before --------------------------------------------------------


@dataclass(frozen=True)
class IndicatorLine:
    row: exports.Row
    #: The stored IndicatorValue behind a computed figure (None: manual, or not computed yet).
    value_id: int | None

    @property
    def definition(self) -> catalogue.Definition:
        return self.row.definition


def indicator_lines(year: int, user: Any = None) -> tuple[Any, list[IndicatorLine]]:
    """Every indicator of `year` (DPEF then ESRS) as the export shows it to `user`, but from the stored
    snapshots of `year` and N-1 (frozen or not; the page shows when they were computed): nothing is computed
    in the request, a figure the snapshot lacks is "not computed" (exports.table with `stored`; the exports
    compute from the records). The values they may not read are withheld; each line has the id of the stored
    value behind it."""
    reporting_year, rows = exports.rows(year, framework=None, user=user, stored=True)
    ids = dict(IndicatorValue.objects.filter(reporting_year__year=year).values_list("code", "pk"))
    return reporting_year, [IndicatorLine(row, ids.get(row.definition.code)) for row in rows]


# --- what is overdue or due soon, and the domains' charts ------------------------------------------------


@dataclass(frozen=True)
class Overdue:
    """A count of records of one kind to act on and the admin list that shows exactly them."""

    domain: str
    key: str
    label: Any
    count: int
    url: str
    #: The permission needed to see them (the dashboard shows a count only to who may open its list).
    permission: str


@dataclass(frozen=True)
class Section:
    """A domain's counts on the dashboard (reporting/desk.py: what it declares in `<app>/indicators.py`)."""

    domain: str
    title: Any
    items: list[Overdue]


#: The kinds of items the dashboard shows (the home page shows them all: reporting/home.py).
DASHBOARD_KINDS = (desk.OVERDUE, desk.DUE_SOON)


def declared_items(
    declared: desk.DeskItem | desk.DeskItems | desk.DeskRecords, moment: desk.Moment, kinds: Iterable[str]
) -> Iterable[desk.DeskItem]:
    """The counted items of a declaration that are of one of `kinds` (DeskRecords are listed, not counted)."""
    kinds = tuple(kinds)
    if isinstance(declared, desk.DeskRecords):
        return ()
    if isinstance(declared, desk.DeskItems):
        if not set(declared.kinds) & set(kinds):
            return ()
        return (item for item in declared.items(moment) if item.kind in kinds)
    return (declared,) if declared.kind in kinds else ()


def desk_sections(user: Any = None, *, day: dt.date | None = None, now: dt.datetime | None = None) -> list[Section]:
    """Each domain's counts, each with its filtered admin list; with `user`, only those they may see (the
    others are not even counted), and only the domains left with a count."""
    now = now or timezone.now()
    moment = desk.Moment(day or timezone.localdate(now), now, user)
    sections = []
    for domain, declared in desk.desks():
        items = [
            Overdue(domain, item.key, item.label, item.records(moment).count(), item.url(moment), item.permission)
            for group in declared.items
            if not sealed_out(user, group.permission) and (user is None or user.has_perm(group.permission))
            for item in declared_items(group, moment, DASHBOARD_KINDS)
        ]
        if items:
            sections.append(Section(domain, declared.title, items))
    return sections


def panels(user: Any = None) -> list[desk.Panel]:
    """The domains' chart panels `user` may see: who may view the records they count (monthly figures are
    not published ones)."""
    return [
        panel
        for _domain, declared in desk.desks()
        for panel in declared.panels
        if user is None or can_view(user, panel.model)
    ]
