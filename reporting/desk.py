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
- a `Panel` is a section of charts the domain draws in its own template fragment;
- `DeskRecords` lists the most urgent records of a kind one by one (each with its badge and its own page):
  the breaches whose 72-hour clock runs, first on the home page.

Each item has a `kind`, the section of the home page ("Mon bureau", reporting/home.py) it goes in: running
clocks, overdue, due in the next 7 days, assigned to me, unassigned; the dashboard shows the overdue and
due-soon ones. "Assigned to me" reads `moment.user`, the signed-in user.

Each names the kind of record ("app_label.model") it counts: a count is shown only to who holds the view
permission on that model (who may open the list it links to), a panel only to who may view its records
(core.roles.can_view), and what a user may not see is not even computed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.db.models import Model, QuerySet
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
    #: Who the page is drawn for (None: nobody in particular; "assigned to me" then selects nothing).
    user: Any = None

    @property
    def user_id(self) -> int:
        """The signed-in user's id, 0 (no user has it) when there is none."""
        return int(getattr(self.user, "pk", None) or 0)


# The sections of the home page, in their order (reporting/home.py), and the kinds the dashboard shows.
RUNNING_CLOCK = "running_clock"
OVERDUE = "overdue"
DUE_THIS_WEEK = "due_this_week"
DUE_SOON = "due_soon"
ASSIGNED_TO_ME = "assigned_to_me"
UNASSIGNED = "unassigned"
FAILED_IMPORTS = "failed_imports"
UNDELIVERED_ALERTS = "undelivered_alerts"
#: A permission no role, group or user is granted (it names no Permission row): Django gives it to active
#: superusers only (`User.has_perm`), so an item asking for it is counted for administrators only.
SUPERUSERS_ONLY = "reporting.superusers_only"
#: How many days "due this week" looks ahead (today included: today .. today + 7).
WEEK_DAYS = 7


@dataclass(frozen=True)
class DeskItem:
    key: str
    label: Any
    #: The kind of record counted ("app_label.model"): the count is shown to who may view it.
    model: str
    records: Callable[[Moment], QuerySet[Any]]
    url: Callable[[Moment], str]
    #: The section it goes in (OVERDUE, DUE_THIS_WEEK, ...).
    kind: str = OVERDUE
    #: Shown to administrators (superusers) only, whatever the roles may view: what only an administrator
    #: can act on (an alert with no recipient: naming a contact, granting a role).
    superusers_only: bool = False

    @property
    def permission(self) -> str:
        return SUPERUSERS_ONLY if self.superusers_only else view_permission(self.model)


@dataclass(frozen=True)
class DeskRecords:
    """The most urgent records of one kind, listed one by one on the home page (at most `limit`, the rest
    behind `more_url`, the admin list of all of them): `records(moment)` in the order of urgency, each with
    `badge(record, moment)` (e.g. "41 h left") and a link to its own page."""

    key: str
    label: Any
    model: str
    records: Callable[[Moment], QuerySet[Any]]
    badge: Callable[[Any, Moment], Any]
    more_url: Callable[[Moment], str]
    #: What names a record in the list (its reference by default).
    describe: Callable[[Any], Any] = str
    kind: str = RUNNING_CLOCK
    limit: int = 10

    @property
    def permission(self) -> str:
        return view_permission(self.model)

    def record_url(self, record: Model) -> str:
        app_label, _dot, model_name = self.model.partition(".")
        return reverse(f"admin:{app_label}_{model_name}_change", args=[record.pk])


@dataclass(frozen=True)
class DeskItems:
    """Items worked out when the page is drawn (`items(moment)`), all of one kind of record."""

    model: str
    items: Callable[[Moment], Iterable[DeskItem]]
    #: The kinds of the items it makes (the page asks for them only when it shows that kind).
    kinds: tuple[str, ...] = (DUE_SOON,)

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
    items: tuple[DeskItem | DeskItems | DeskRecords, ...] = ()
    panels: tuple[Panel, ...] = ()


def changelist(url_name: str, query: str) -> Callable[[Moment], str]:
    """The admin list `url_name` filtered by `query` (an admin filter that selects the counted records)."""
    return lambda moment: f"{reverse(url_name)}?{query}"


def list_url(url_name: str, **params: Any) -> str:
    """The admin list `url_name` filtered by `params` (list filters, or lookups on the model's own fields and
    foreign keys, which the admin accepts: `status__in` takes values separated by commas)."""
    query = {
        key: ",".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
        for key, value in params.items()
    }
    return f"{reverse(url_name)}?{urlencode(query)}"


def desks() -> list[tuple[str, Desk]]:
    """(app label, its DESK) of every installed app that declares one, in their `order`."""
    found = [(config.label, module.DESK) for config, module in app_modules("indicators") if hasattr(module, "DESK")]
    return sorted(found, key=lambda pair: pair[1].order)


def this_week(moment: Moment) -> tuple[dt.date, dt.date]:
    """Today and the last day of "due this week" (WEEK_DAYS), both included, in Paris."""
    return moment.day, moment.day + dt.timedelta(days=WEEK_DAYS)


def due_this_week(
    key: str,
    label: Any,
    model: str,
    records: Callable[[], QuerySet[Any]],
    url_name: str,
    date_field: str,
    **query: Any,
) -> DeskItem:
    """The records of `records()` whose `date_field` falls this week (`this_week`), linked to the admin list
    `url_name` filtered by `query` and by the same dates."""

    def url(moment: Moment) -> str:
        first, last = this_week(moment)
        return list_url(url_name, **query, **{f"{date_field}__gte": first, f"{date_field}__lte": last})

    return DeskItem(
        key,
        label,
        model,
        records=lambda moment: records().filter(**{f"{date_field}__range": this_week(moment)}),
        url=url,
        kind=DUE_THIS_WEEK,
    )


def assignments(
    key: str,
    model: str,
    records: Callable[[], QuerySet[Any]],
    url_name: str,
    *,
    mine: Any,
    unassigned: Any,
    field: str = "handler",
    nobody: dict[str, Any] | None = None,
    **query: Any,
) -> tuple[DeskItem, DeskItem]:
    """Two items of the open records `records()`: those whose `field` is the signed-in user (`<key>_mine`) and
    those with nobody in charge (`<key>_unassigned`: `field` empty, and `nobody` when the model has more to
    say, e.g. no free-text owner either), linked to the admin list `url_name` filtered by `query` and its
    "assigned" filter (core.admin_utils.assigned_filter: "me" / "nobody")."""
    empty = nobody if nobody is not None else {f"{field}__isnull": True}
    return (
        DeskItem(
            f"{key}_mine",
            mine,
            model,
            records=lambda moment: records().filter(**{f"{field}_id": moment.user_id}),
            url=lambda moment: list_url(url_name, **query, assigned="me"),
            kind=ASSIGNED_TO_ME,
        ),
        DeskItem(
            f"{key}_unassigned",
            unassigned,
            model,
            records=lambda moment: records().filter(**empty),
            url=lambda moment: list_url(url_name, **query, assigned="nobody"),
            kind=UNASSIGNED,
        ),
    )
