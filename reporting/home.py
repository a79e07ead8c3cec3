"""The home page after login, "Mon bureau" (templates/admin/index.html): for the signed-in user, across
every domain they may see, what to act on, in this order: the breaches whose 72-hour clock runs (each with
the hours left), what is overdue, what falls due in the next 7 days, what is assigned to them, what has
nobody in charge, the imports that failed or were interrupted lately, the alerts that reached nobody.

Everything comes from the declarations of the apps (`DESK` in `<app>/indicators.py`, reporting/desk.py):
reporting imports no domain. A count, a list and a link are shown only to who may view the records they are
about (the view permission on the model); what a user may not see is not even computed. The page asks a
fixed number of queries whatever the number of records: one count per declared item, and for a listed kind
a count and at most `limit` rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.roles import sealed_out

from . import desk
from .dashboard import declared_items

#: The sections of the page, in their order: (kind, title, what it holds).
SECTIONS: tuple[tuple[str, Any, Any], ...] = (
    (
        desk.RUNNING_CLOCK,
        _("72-hour clocks running"),
        _("Breaches neither notified to the CNIL nor decided, the most urgent first."),
    ),
    (desk.OVERDUE, _("Overdue"), _("Past their deadline, per domain.")),
    (
        desk.DUE_THIS_WEEK,
        _("Due in the next 7 days"),
        _("Deadlines from today to the same day next week included (Paris time); overdue items are above."),
    ),
    (desk.DUE_SOON, _("To plan"), _("What falls due further ahead.")),
    (desk.ASSIGNED_TO_ME, _("Assigned to me"), _("Open records whose handler or owner you are.")),
    (desk.UNASSIGNED, _("Nobody in charge"), _("Open records with no handler or owner yet.")),
    (desk.FAILED_IMPORTS, _("Imports that failed or were interrupted"), _("Started in the last 30 days.")),
    (desk.UNDELIVERED_ALERTS, _("Alerts that reached nobody"), _("Vigie keeps retrying the undelivered emails.")),
)
#: The sections that make the page say "Nothing late" when they are all empty.
DUE_KINDS = (desk.RUNNING_CLOCK, desk.OVERDUE, desk.DUE_THIS_WEEK)


@dataclass(frozen=True)
class Listed:
    """One record of a listed kind: what names it, its badge, its own page."""

    label: Any
    badge: Any
    url: str


@dataclass(frozen=True)
class Entry:
    """A line of the page: a count (or a list of records) and the admin list of exactly those records."""

    domain: str
    key: str
    label: Any
    count: int
    url: str
    records: tuple[Listed, ...] = ()

    @property
    def more(self) -> int:
        """How many records the list leaves out (behind `url`)."""
        return self.count - len(self.records) if self.records else 0


@dataclass(frozen=True)
class Group:
    """A domain's entries in a section, with their total."""

    domain: str
    title: Any
    entries: list[Entry] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(entry.count for entry in self.entries)


@dataclass(frozen=True)
class Section:
    kind: str
    title: Any
    help: Any
    groups: list[Group]

    @property
    def count(self) -> int:
        return sum(group.count for group in self.groups)


@dataclass(frozen=True)
class Home:
    sections: list[Section]
    #: Nothing running, overdue or due within 7 days among what the user may see.
    nothing_due: bool
    #: The last day of "due in the next 7 days".
    week_end: dt.date

    @property
    def kinds(self) -> set[str]:
        """The kinds of the sections shown."""
        return {section.kind for section in self.sections}


def _listed(declared: desk.DeskRecords, domain: str, moment: desk.Moment) -> Entry | None:
    """The `limit` most urgent records of a listed kind and their count (two queries; one when there are none)."""
    records = declared.records(moment)
    count = records.count()
    if not count:
        return None
    return Entry(
        domain,
        declared.key,
        declared.label,
        count,
        declared.more_url(moment),
        tuple(
            Listed(declared.describe(row), declared.badge(row, moment), declared.record_url(row))
            for row in records[: declared.limit]
        ),
    )


def home(user: Any, *, now: dt.datetime | None = None) -> Home:
    """What `user` has to act on, section by section (only the sections with something in them), each
    split by domain; only what they may view is counted."""
    now = now or timezone.now()
    moment = desk.Moment(timezone.localdate(now), now, user)
    kinds = [kind for kind, _title, _help in SECTIONS]
    found: dict[str, dict[str, Group]] = {kind: {} for kind in kinds}
    for domain, declared in desk.desks():
        for group in declared.items:
            if sealed_out(user, group.permission) or not user.has_perm(group.permission):
                continue
            entries: list[tuple[str, Entry]] = []
            if isinstance(group, desk.DeskRecords):
                entry = _listed(group, domain, moment)
                if entry is not None:
                    entries.append((group.kind, entry))
            else:
                for item in declared_items(group, moment, kinds):
                    count = item.records(moment).count()
                    if count:
                        entries.append((item.kind, Entry(domain, item.key, item.label, count, item.url(moment))))
            for kind, entry in entries:
                found[kind].setdefault(domain, Group(domain, declared.title)).entries.append(entry)
    sections = [
        Section(kind, title, help_text, list(found[kind].values()))
        for kind, title, help_text in SECTIONS
        if found[kind]
    ]
    return Home(
        sections=sections,
        nothing_due=not any(section.kind in DUE_KINDS for section in sections),
        week_end=moment.day + dt.timedelta(days=desk.WEEK_DAYS),
    )
