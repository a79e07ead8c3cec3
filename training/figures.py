"""The stored figures of the module pages (training.models.ModuleFigures): what a module's page, the module
list and the reporting dashboard's trends read instead of recomputing a rate, four breakdowns and 24 monthly
rates on every request.

`compute` computes one selection (module, day, scope) from the records with training.kpis and stores it;
`compute_all` does it for every module, whole company, today (the nightly task, training/tasks.py, and the
"Recompute now" button of a module's page for its selection). The pages show `computed_at` beside every
figure they read from here. The exports and the auditor pack do not read these: they compute from records.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from core.charts import RatePoint
from core.figures import percent
from organization.models import Department, LegalEntity

from . import kpis
from .models import Module, ModuleFigures

#: How many months the module page's trend shows (the dashboard shows the last 12 of them).
TREND_MONTHS = 24
#: Snapshots of a chosen selection (an entity, a department) are deleted this many days after they were
#: computed; the whole-company ones are kept (one per module and day: a few thousand rows a year).
KEEP_SELECTIONS_DAYS = 7
WHOLE_COMPANY = ""


def scope_key(entity: LegalEntity | None = None, department: Department | None = None) -> str:
    parts = []
    if entity is not None:
        parts.append(f"entity={entity.code}")
    if department is not None:
        parts.append(f"department={department.pk}")
    return "&".join(parts)


@dataclass(frozen=True)
class Stored:
    """A snapshot read back: the figures of `module` at `day` over the scope, computed at `computed_at`."""

    snapshot: ModuleFigures

    @property
    def day(self) -> dt.date:
        return self.snapshot.day

    @property
    def computed_at(self) -> dt.datetime:
        return self.snapshot.computed_at

    @property
    def rate(self) -> kpis.Rate:
        figures = self.snapshot.figures
        return kpis.Rate(self.snapshot.module.code, self.day, figures["numerator"], figures["denominator"])

    @property
    def value(self) -> Decimal | None:
        return percent(self.snapshot.figures["numerator"], self.snapshot.figures["denominator"])

    def breakdown(self, by: str) -> list[kpis.BreakdownRow]:
        rows = [
            kpis.BreakdownRow(key, _breakdown_label(by, key, label), numerator, denominator)
            for key, label, numerator, denominator in self.snapshot.figures["breakdowns"].get(by, [])
        ]
        rows.sort(key=lambda r: str(r.label))
        return rows

    def trend(self, months: int = TREND_MONTHS) -> list[RatePoint]:
        """The last `months` dots (the trend is stored over TREND_MONTHS: the end of each month from the
        module's deployment on, then the reference day)."""
        points = [RatePoint(dt.date.fromisoformat(day), n, d) for day, n, d in self.snapshot.figures["trend"]]
        return points[-months:] if months else []


def _breakdown_label(by: str, key: Any, label: str) -> str:
    """The row's label in the reader's language (kpis.breakdown's labels, rebuilt from the stored key)."""
    from organization.choices import Gender

    if by == "department":
        return key or _("(no department)")
    if by == "manager":
        return _("Managers") if key else _("Non-managers")
    if by == "gender":
        return str(Gender(key).label) if key else _("(not given)")
    return label


def figures_of(module: Module, day: dt.date, scope: kpis.Scope) -> dict[str, Any]:
    """The figures of the selection, from the records (kpis): one rate, four GROUP BYs, the monthly trend."""
    rate = kpis.completion_rate(module, day, scope)
    return {
        "numerator": rate.numerator,
        "denominator": rate.denominator,
        "breakdowns": {
            by: [[row.key, row.label, row.numerator, row.denominator] for row in kpis.breakdown(module, day, by, scope)]
            for by in kpis.BREAKDOWNS
        },
        "trend": [
            [point.day.isoformat(), point.numerator, point.denominator]
            for point in kpis.monthly_trend(module, day, TREND_MONTHS, scope)
        ],
    }


def compute(
    module: Module,
    day: dt.date | None = None,
    entity: LegalEntity | None = None,
    department: Department | None = None,
) -> ModuleFigures:
    """Compute the figures of `module` at `day` (default today, Paris) over the entity and/or department
    (default the whole company) and store them, replacing the previous snapshot of that selection."""
    day = day or timezone.localdate()
    scope = kpis.Scope.of(entities=[entity] if entity else [], departments=[department] if department else [])
    # The labels stored for the entity rows are the codes and names; the others are rebuilt when read.
    figures = figures_of(module, day, scope)
    with transaction.atomic():
        snapshot, _created = ModuleFigures.objects.update_or_create(
            module=module,
            scope=scope_key(entity, department),
            day=day,
            defaults={
                "entity": entity,
                "department": department,
                "computed_at": timezone.now(),
                "figures": figures,
            },
        )
    return snapshot


def compute_all(day: dt.date | None = None) -> int:
    """Every module's whole-company figures at `day` (default today): the nightly computation."""
    day = day or timezone.localdate()
    modules = Module.objects.prefetch_related("audience_entities", "audience_departments").order_by("code")
    count = 0
    for module in modules:
        compute(module, day)
        count += 1
    return count


def prune(now: dt.datetime | None = None) -> int:
    """Delete the snapshots of chosen selections (an entity, a department) computed more than
    KEEP_SELECTIONS_DAYS ago; the whole-company ones stay."""
    limit = (now or timezone.now()) - dt.timedelta(days=KEEP_SELECTIONS_DAYS)
    deleted, _detail = ModuleFigures.objects.exclude(scope=WHOLE_COMPANY).filter(computed_at__lt=limit).delete()
    return deleted


def stored(
    module: Module,
    day: dt.date,
    entity: LegalEntity | None = None,
    department: Department | None = None,
    *,
    latest: bool = False,
) -> Stored | None:
    """The stored figures of this selection; with `latest`, when that day was not computed, the most recent
    day computed for the same scope (the default selection of a page: today, else the last night's)."""
    snapshots = ModuleFigures.objects.filter(module=module, scope=scope_key(entity, department)).select_related(
        "module"
    )
    found = snapshots.filter(day=day).first()
    if found is None and latest:
        found = snapshots.filter(day__lte=day).order_by("-day").first()
    return Stored(found) if found is not None else None


def latest_whole_company(modules: Iterable[Module], day: dt.date | None = None) -> dict[int, Stored]:
    """{module id: its whole-company figures of `day` (default today), else its latest before}: one query."""
    day = day or timezone.localdate()
    ids = [module.pk for module in modules]
    latest = (
        ModuleFigures.objects.filter(module=OuterRef("module"), scope=WHOLE_COMPANY, day__lte=day)
        .order_by("-day")
        .values("pk")[:1]
    )
    snapshots = (
        ModuleFigures.objects.filter(module__in=ids, scope=WHOLE_COMPANY)
        .filter(pk=Subquery(latest))
        .select_related("module")
    )
    return {snapshot.module_id: Stored(snapshot) for snapshot in snapshots}
