"""What the domain apps put on the reporting dashboard, declared in `<app>/indicators.py` beside their
INDICATORS (docs/architecture.md: reporting/ serves the domains and imports none of them):

    DESK = Desk(
        title=_("Personal data"), order=10,
        items=(DeskItem("rights_requests", _("Rights requests past their deadline"), "gdpr.rightsrequest",
                        records=lambda moment: RightsRequest.objects.overdue(moment.day),
                        url=changelist("admin:gdpr_rightsrequest_changelist", "due=overdue")),),
        panels=(Panel("gdpr.rightsrequest", "admin/gdpr/dashboard_requests.html", context=requests_panel),),
    )

- a `DeskItem` is a count of records to act on (overdue, or due soon) linked to the admin list that shows
  exactly them: the domain's filter and its queryset must select the same rows (tests check each pair);
- `DeskItems` are items known only when the page is drawn (one per renewable training module);
- a `Panel` is a section of charts the domain draws in its own template fragment.

Each names the kind of record ("app_label.model") it counts: a count is shown only to who holds the view
permission on that model (who may open the list it links to), a panel only to who may view its records
(core.roles.can_view), and what a user may not see is not even computed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse

from core.discovery import app_modules


def view_permission(model: str) -> str:
    """The permission to view the records of `model` ("app_label.model"): who holds it may open their list."""
    app_label, _dot, model_name = model.partition(".")
    return f"{app_label}.view_{model_name}"


@dataclass(frozen=True)
class Moment:
    """When the dashboard is drawn: `day` in Paris for the date deadlines, `now` for the clocks in hours."""

    day: dt.date
    now: dt.datetime


@dataclass(frozen=True)
class DeskItem:
    key: str
    label: Any
    #: The kind of record counted ("app_label.model"): the count is shown to who may view it.
    model: str
    records: Callable[[Moment], QuerySet[Any]]
    url: Callable[[Moment], str]

    @property
    def permission(self) -> str:
        return view_permission(self.model)


@dataclass(frozen=True)
class DeskItems:
    """Items worked out when the page is drawn (`items(moment)`), all of one kind of record."""

    model: str
    items: Callable[[Moment], Iterable[DeskItem]]

    @property
    def permission(self) -> str:
        return view_permission(self.model)


@dataclass(frozen=True)
class Panel:
    #: The kind of record the charts count ("app_label.model"), for core.roles.can_view.
    model: str
    #: The domain's template fragment, rendered with `context(day, months)`.
    template: str
    context: Callable[[dt.date, int], dict[str, Any]]


@dataclass(frozen=True)
class Desk:
    """A domain's section of the dashboard."""

    title: Any
    #: Where the section stands among the others (smallest first).
    order: int
    items: tuple[DeskItem | DeskItems, ...] = ()
    panels: tuple[Panel, ...] = ()


def changelist(url_name: str, query: str) -> Callable[[Moment], str]:
    """The admin list `url_name` filtered by `query` (an admin filter that selects the counted records)."""
    return lambda moment: f"{reverse(url_name)}?{query}"


def desks() -> list[tuple[str, Desk]]:
    """(app label, its DESK) of every installed app that declares one, in their `order`."""
    found = [(config.label, module.DESK) for config, module in app_modules("indicators") if hasattr(module, "DESK")]
    return sorted(found, key=lambda pair: pair[1].order)
