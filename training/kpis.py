"""Training indicators, computed by the database (docs/rules.md, "Training"; the E1/E2/E5/E8/E9/E10 rows of
dpef-indicators.csv). The one place where "trained" is defined.

Completion rate of module M at day D over a scope =
    employees present at D, in scope and in M's audience, trained in M at D
  ÷ employees present at D, in scope and in M's audience,
where "trained in M at D" is: a counted completion (not flagged) or a qualifying attendance (more than
M's minimum minutes, any attendance when M has none: `Module.attendance_floor`, `querysets.qualifying_q`)
dated between M's deployment day and D, both included, and, when M must be renewed every R months, after
D − R months (a completion exactly R months before D has expired).

Every function here runs aggregate queries (a count with an EXISTS per employee); none loops over
employees in Python. Dates are Paris calendar days: `Completion.completed_on` is the Paris day of
`completed_at`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypedDict, cast

from dateutil.relativedelta import relativedelta
from django.db.models import (
    Count,
    DateField,
    Exists,
    F,
    FilteredRelation,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Greatest, Least
from django.utils.translation import gettext as _

from core.charts import RatePoint
from core.dates import format_date
from core.figures import Figure, percent
from organization.models import Department, Employee
from organization.querysets import present_on_q

from .choices import Audience, ModuleKind
from .models import Attendance, Completion, Module, PhishingCampaign, Session
from .querysets import qualifying_q

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

#: A first-training day for "never trained" (compares after every real day).
NEVER = dt.date(9999, 12, 31)
#: The horizon of the "renewals due" lists (days after the reference day): the module's page and the
#: reporting dashboard's count (training/indicators.py) must name the same people.
RENEWAL_HORIZON_DAYS = 60
BREAKDOWNS = ("entity", "department", "manager", "gender")


@dataclass(frozen=True)
class Scope:
    """Which employees a figure is about: some entities (codes) and/or departments (ids); empty = all."""

    entities: tuple[str, ...] = ()
    departments: tuple[int, ...] = ()

    @classmethod
    def of(cls, entities: Iterable[Any] = (), departments: Iterable[Any] = ()) -> Scope:
        return cls(
            entities=tuple(sorted({getattr(e, "code", e) for e in entities})),
            departments=tuple(sorted({getattr(d, "pk", d) for d in departments})),
        )

    def q(self, prefix: str = "") -> Q:
        condition = Q()
        if self.entities:
            condition &= Q(**{f"{prefix}entity__code__in": self.entities})
        if self.departments:
            condition &= Q(**{f"{prefix}department__in": self.departments})
        return condition

    def describe(self) -> str:
        parts = []
        if self.entities:
            parts.append(", ".join(self.entities))
        if self.departments:
            names = Department.objects.filter(pk__in=self.departments).order_by("name").values_list("name", flat=True)
            parts.append(", ".join(names))
        return " / ".join(parts) or _("all entities")


ALL = Scope()


@dataclass(frozen=True)
class Rate:
    """A completion rate: numerator, denominator and the rounded percentage (None on 0/0)."""

    module: str
    day: dt.date
    numerator: int
    denominator: int
    scope: Scope = field(default=ALL)

    @property
    def value(self) -> Decimal | None:
        return percent(self.numerator, self.denominator)

    @property
    def not_trained(self) -> int:
        return self.denominator - self.numerator

    @property
    def point(self) -> RatePoint:
        """This rate as a dot of the trend chart."""
        return RatePoint(self.day, self.numerator, self.denominator)


# -- the definition ----------------------------------------------------------------------------------
def renewal_cutoff(module: Module, day: dt.date) -> dt.date | None:
    """A renewable module's completion counts at `day` only when dated strictly after this day."""
    if not module.renewal_months:
        return None
    return day - relativedelta(months=module.renewal_months)


def valid_until(module: Module, completed_on: dt.date) -> dt.date | None:
    """The last day a completion of `module` dated `completed_on` still counts (None: it never expires).

    The inverse of `renewal_cutoff`: the last day D with D − R months < completed_on (month ends are
    clamped by dateutil, so it is searched around completed_on + R months rather than assumed).
    """
    if not module.renewal_months:
        return None
    months = relativedelta(months=module.renewal_months)
    day = completed_on + months
    while day - months >= completed_on:
        day -= dt.timedelta(days=1)
    while (day + dt.timedelta(days=1)) - months < completed_on:
        day += dt.timedelta(days=1)
    return day


def counted_completions(module: Module, day: dt.date) -> QuerySet[Completion]:
    """The completions of `module` that count at `day` (all employees)."""
    completions = Completion.objects.filter(
        module=module, anomaly="", completed_on__gte=module.deployed_on, completed_on__lte=day
    )
    if (cutoff := renewal_cutoff(module, day)) is not None:
        completions = completions.filter(completed_on__gt=cutoff)
    return completions


def qualifying_attendances(module: Module, day: dt.date) -> QuerySet[Attendance]:
    """The attendances at sessions of `module` that count at `day` (all employees)."""
    attendances = Attendance.objects.filter(
        qualifying_q(module),
        session__module=module,
        session__held_on__gte=module.deployed_on,
        session__held_on__lte=day,
    )
    if (cutoff := renewal_cutoff(module, day)) is not None:
        attendances = attendances.filter(session__held_on__gt=cutoff)
    return attendances


def trained_q(module: Module, day: dt.date) -> Q:
    """On Employee: trained in `module` at `day` (an EXISTS per source of training)."""
    condition = Q(Exists(counted_completions(module, day).filter(employee=OuterRef("pk"))))
    if module.has_sessions:
        condition |= Q(Exists(qualifying_attendances(module, day).filter(employee=OuterRef("pk"))))
    return condition


def _audience_limit_q(field: str, limits: Any) -> Q:
    """On Employee: `field` among the module's chosen `limits` (a many-to-many manager), or no limit chosen.

    Subqueries rather than the list of ids, so that a rate stays one query whether or not the module's
    limits were prefetched."""
    rows = limits.through.objects.filter(**{limits.source_field_name: limits.instance.pk})
    return Q(~Exists(rows)) | Q(**{f"{field}__in": rows.values(limits.target_field_name)})


def audience_q(module: Module) -> Q:
    """On Employee: in the module's audience (managers or everyone, limited to its entities and to its
    departments: an employee must pass both limits when both are chosen). Runs no query itself."""
    condition = Q()
    if module.audience == Audience.MANAGERS:
        condition &= Q(is_manager=True)
    condition &= _audience_limit_q("entity", module.audience_entities)
    condition &= _audience_limit_q("department", module.audience_departments)
    return condition


def population(module: Module, day: dt.date, scope: Scope = ALL) -> QuerySet[Employee]:
    """The denominator: employees present at `day`, in `scope` and in the module's audience."""
    return Employee.objects.filter(present_on_q(day) & audience_q(module) & scope.q())


def describe_audience(module: Module) -> str:
    """Who must follow the module, in words; a limit to some entities names the entities left out."""
    from organization.models import LegalEntity

    who = _("managers") if module.audience == Audience.MANAGERS else _("all staff")
    entities = sorted(e.code for e in module.audience_entities.all())
    limits = [", ".join(entities), ", ".join(sorted(d.name for d in module.audience_departments.all()))]
    limits = [limit for limit in limits if limit]
    if not limits:
        return who
    text = f"{who} ({_('limited to')} {' / '.join(limits)}"
    if entities:
        left_out = LegalEntity.objects.exclude(code__in=entities).order_by("code").values_list("code", flat=True)
        if left_out:
            text += "; " + _("not in the audience: %s") % ", ".join(left_out)
    return text + ")"


def method_text(module: Module, day: dt.date | None = None) -> str:
    """The definition of the module's completion rate, in words, for the indicator's method text."""
    text = _(
        "Employees present on the reference day (hired on or before it, contract not ended before it), "
        "in the audience of %(code)s (%(audience)s), who completed it between its deployment on %(deployed)s "
        "and the reference day, both included"
    ) % {"code": module.code, "audience": describe_audience(module), "deployed": format_date(module.deployed_on)}
    if module.renewal_months:
        text += _(", and less than %(months)d months before the reference day") % {"months": module.renewal_months}
    if module.has_sessions and module.attendance_floor:
        text += _(" (a session counts when attended for more than %(minutes)d minutes)") % {
            "minutes": module.attendance_floor
        }
    elif module.has_sessions:
        text += _(" (any attendance of a session counts)")
    text += _(", divided by the employees present on the reference day in that audience.")
    if day is not None:
        text += " " + _("Reference day: %s.") % format_date(day)
    return text


# -- rates --------------------------------------------------------------------------------------------
def completion_rate(module: Module, day: dt.date, scope: Scope = ALL) -> Rate:
    """One query: the module's completion rate at `day` over `scope`."""
    counts = population(module, day, scope).aggregate(
        denominator=Count("pk"), numerator=Count("pk", filter=trained_q(module, day))
    )
    return Rate(module.code, day, counts["numerator"], counts["denominator"], scope)


def completion_figures(modules: Iterable[Module], day: dt.date, scope: Scope = ALL) -> dict[str, tuple[Figure, Figure]]:
    """For reporting, each module's rate at `day` with the records behind it (the employees of its
    denominator) and its numerator as a count (the trained employees). Two id queries per module: the
    population, and the population filtered on `trained_q` (a semi-join); the counts are their lengths.
    (One query with a "trained" flag per module in a CASE measured slower: PostgreSQL then runs each
    EXISTS row by row.)"""
    result = {}
    for module in modules:
        audience = list(population(module, day, scope).order_by().values_list("pk", flat=True))
        trained_ids = list(trained(module, day, scope).order_by().values_list("pk", flat=True))
        result[module.code] = (
            Figure.rate(len(trained_ids), len(audience), model="organization.employee", ids=audience),
            Figure(value=len(trained_ids), model="organization.employee", record_ids=tuple(trained_ids)),
        )
    return result


def completion_figure(module: Module, day: dt.date, scope: Scope = ALL) -> Figure:
    """The rate with the records behind it (the employees of the denominator), for reporting."""
    return completion_figures([module], day, scope)[module.code][0]


def completion_trained_figure(module: Module, day: dt.date, scope: Scope = ALL) -> Figure:
    """The numerator of the rate as a count, with the trained employees behind it."""
    return completion_figures([module], day, scope)[module.code][1]


def trained(module: Module, day: dt.date, scope: Scope = ALL) -> QuerySet[Employee]:
    return population(module, day, scope).filter(trained_q(module, day))


class Person(TypedDict):
    """What the lists of people (`not_trained`, `renewals_due`) add to their employees."""

    last_completed_on: dt.date | None


class Renewal(TypedDict):
    """What `renewals_due` adds to its employees (their last training, under both names)."""

    last_trained_on: dt.date
    last_completed_on: dt.date
    last_completion_on: dt.date | None


def not_trained(module: Module, day: dt.date, scope: Scope = ALL) -> QuerySet[WithAnnotations[Employee, Person]]:
    """The people to remind: in the population at `day` and not trained then, with the day of their last
    completion of the module (an expired one, or one before deployment), for the reminder campaign.

    In the roster's order (last name, first name, employee ID: `employee_name_order_idx`), so that a page of
    them is read by walking that index and probing each employee's training (an index-only NOT EXISTS),
    never by sorting everyone; the last completion is a probe per employee listed, not a GROUP BY."""
    last_completion = Subquery(
        Completion.objects.filter(module=module, anomaly="", completed_on__lte=day, employee=OuterRef("pk"))
        .order_by("-completed_on")
        .values("completed_on")[:1]
    )
    # Not trained: a NOT EXISTS per source of training (the negation of `trained_q`, an OR of EXISTS, which
    # PostgreSQL could only run by hashing every training of the module before reading the first row).
    untrained = Q(~Exists(counted_completions(module, day).filter(employee=OuterRef("pk"))))
    if module.has_sessions:
        untrained &= Q(~Exists(qualifying_attendances(module, day).filter(employee=OuterRef("pk"))))
    return (
        population(module, day, scope)
        .filter(untrained)
        .select_related("entity", "department")
        .annotate(last_completed_on=last_completion)
        .order_by("last_name", "first_name", "employee_id")
    )


def _group_expression(by: str) -> tuple[Any, ...]:
    if by == "entity":
        return ("entity__code", "entity__name")
    if by == "department":
        return ("department__name",)
    if by == "manager":
        return ("is_manager",)
    if by == "gender":
        return ("gender",)
    raise ValueError(f"unknown breakdown {by!r}; one of {', '.join(BREAKDOWNS)}")


@dataclass(frozen=True)
class BreakdownRow:
    key: Any
    label: str
    numerator: int
    denominator: int

    @property
    def value(self) -> Decimal | None:
        return percent(self.numerator, self.denominator)


def breakdown(module: Module, day: dt.date, by: str, scope: Scope = ALL) -> list[BreakdownRow]:
    """The rate per entity, department, manager/non-manager or gender: one GROUP BY query."""
    from organization.choices import Gender

    fields = _group_expression(by)
    rows = (
        population(module, day, scope)
        .order_by()
        .values(*fields)
        .annotate(denominator=Count("pk"), numerator=Count("pk", filter=trained_q(module, day)))
    )
    result = []
    for row in rows:
        if by == "entity":
            key, label = row["entity__code"], f"{row['entity__code']} – {row['entity__name']}"
        elif by == "department":
            key = row["department__name"]
            label = key or _("(no department)")
        elif by == "manager":
            key = row["is_manager"]
            label = _("Managers") if key else _("Non-managers")
        else:
            key = row["gender"]
            label = str(Gender(key).label) if key else _("(not given)")
        result.append(BreakdownRow(key, label, row["numerator"], row["denominator"]))
    result.sort(key=lambda r: str(r.label))
    return result


def month_ends(until: dt.date, months: int) -> list[dt.date]:
    """The last day of each of the `months` months ending with `until`'s month (`until` itself last)."""
    days = []
    for back in range(months - 1, 0, -1):
        first = until.replace(day=1) - relativedelta(months=back - 1)
        days.append(first - dt.timedelta(days=1))
    days.append(until)
    return days


def monthly_trend(module: Module, until: dt.date, months: int = 24, scope: Scope = ALL) -> list[Rate]:
    """The rate at the end of each month (and at `until` for the current one), from the module's
    deployment month on: what the trend chart draws.

    A module that is never renewed is trained at D exactly when its first counted training is on or
    before D, so one query gives every month: each candidate employee's first training day (a join on the
    module's counted completions, plus its first qualifying session for workshops), then one pair of
    counts per month. A renewable module takes one rate query per month.
    """
    days = [d for d in month_ends(until, months) if d >= module.deployed_on - dt.timedelta(days=31)]
    if module.renewal_months or not days:
        return [completion_rate(module, day, scope) for day in days]
    counted = FilteredRelation(
        "training_completions",
        condition=Q(
            training_completions__module=module,
            training_completions__anomaly="",
            training_completions__completed_on__gte=module.deployed_on,
            training_completions__completed_on__lte=until,
        ),
    )
    first: Any = Coalesce(Min("counted__completed_on"), Value(NEVER))
    if module.has_sessions:
        session = (
            qualifying_attendances(module, until)
            .filter(employee=OuterRef("pk"))
            .order_by()
            .values("employee")
            .annotate(first=Min("session__held_on"))
            .values("first")
        )
        first = Least(first, Coalesce(Subquery(session, output_field=DateField()), Value(NEVER)))
    candidates = (
        Employee.objects.filter(audience_q(module) & scope.q())
        .filter(Q(hired_on__lte=until) & (Q(left_on__isnull=True) | Q(left_on__gte=days[0])))
        .annotate(counted=counted)
        .annotate(first_trained_on=first)
    )
    counts = candidates.aggregate(
        **{
            name: aggregate
            for i, day in enumerate(days)
            for name, aggregate in (
                (f"d{i}", Count("pk", filter=present_on_q(day))),
                (f"n{i}", Count("pk", filter=present_on_q(day) & Q(first_trained_on__lte=day))),
            )
        }
    )
    return [Rate(module.code, day, counts[f"n{i}"], counts[f"d{i}"], scope) for i, day in enumerate(days)]


def _expiring_employees_q(module: Module, today: dt.date, last: dt.date) -> Q:
    """On Employee: whose last training of `module` counted `today` is dated on or before `last` (and so,
    being counted, after today's renewal cutoff).

    Read from the trainings dated in that window (a range of one module's completions, served by
    `completion_expiry_idx`) that no later counted training follows (NOT EXISTS, an index probe each):
    only the few people whose training expires soon are looked at, never every employee."""
    completions = counted_completions(module, today)
    window = completions.filter(completed_on__lte=last).filter(
        ~Exists(completions.filter(employee=OuterRef("employee"), completed_on__gt=OuterRef("completed_on")))
    )
    if not module.has_sessions:
        return Q(pk__in=window.values("employee_id"))
    attendances = qualifying_attendances(module, today)
    window = window.filter(
        ~Exists(attendances.filter(employee=OuterRef("employee"), session__held_on__gt=OuterRef("completed_on")))
    )
    sessions = attendances.filter(session__held_on__lte=last).filter(
        ~Exists(completions.filter(employee=OuterRef("employee"), completed_on__gt=OuterRef("session__held_on"))),
        ~Exists(attendances.filter(employee=OuterRef("employee"), session__held_on__gt=OuterRef("session__held_on"))),
    )
    return Q(pk__in=window.values("employee_id")) | Q(pk__in=sessions.values("employee_id"))


def renewals_due(
    module: Module, within_days: int, today: dt.date, scope: Scope = ALL
) -> QuerySet[WithAnnotations[Employee, Renewal]]:
    """Employees present today, in the audience and trained today, whose training stops counting within
    `within_days` days: without a new one, they are no longer trained on today + `within_days` (the last
    day their training counts, `valid_until`, is before it). To re-enrol.

    Annotated with `last_trained_on`: the day of their last counted completion or qualifying attendance
    (the training that expires; `valid_until(module, last_trained_on)` is its last day), also under the
    name `last_completed_on` for the callers of the lists of people; `last_completion_on` is their last
    counted completion alone (None when only a session trained them). The people are found from the
    trainings that expire (`_expiring_employees_q`); the annotations are read for them alone."""
    if not module.renewal_months:
        # Nobody: no annotation to add.
        return cast("QuerySet[WithAnnotations[Employee, Renewal]]", Employee.objects.none())
    last = renewal_cutoff(module, today + dt.timedelta(days=within_days))
    assert last is not None  # a renewable module has a cutoff
    last_completion = Subquery(
        counted_completions(module, today)
        .filter(employee=OuterRef("pk"))
        .order_by("-completed_on")
        .values("completed_on")[:1]
    )
    people = (
        population(module, today, scope)
        .filter(_expiring_employees_q(module, today, last))
        .annotate(last_completion_on=last_completion)
    )
    if module.has_sessions:
        last_attendance = Subquery(
            qualifying_attendances(module, today)
            .filter(employee=OuterRef("pk"))
            .order_by("-session__held_on")
            .values("session__held_on")[:1]
        )
        never = Value(dt.date(1, 1, 1), output_field=DateField())
        people = people.annotate(last_attendance_on=last_attendance).annotate(
            last_trained_on=Greatest(Coalesce("last_completion_on", never), Coalesce("last_attendance_on", never))
        )
    else:
        people = people.annotate(last_trained_on=F("last_completion_on"))
    people = people.annotate(last_completed_on=F("last_trained_on"))
    return people.select_related("entity", "department").order_by("last_trained_on", "employee_id")


# -- yearly figures -------------------------------------------------------------------------------------
def year_bounds(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def _counted_in_year(year: int) -> QuerySet[Completion]:
    start, end = year_bounds(year)
    return Completion.objects.filter(
        anomaly="", completed_on__range=(start, end), completed_on__gte=F("module__deployed_on")
    )


def _qualifying_in_year(year: int) -> QuerySet[Attendance]:
    start, end = year_bounds(year)
    return Attendance.objects.filter(
        qualifying_q(),
        session__held_on__range=(start, end),
        session__held_on__gte=F("session__module__deployed_on"),
    )


def trained_in_year_q(year: int) -> Q:
    """On Employee: at least one counted completion or qualifying attendance in `year`, any module.

    Uncorrelated `IN (SELECT employee_id ...)` rather than EXISTS: under an OR, PostgreSQL hashes each
    subquery once instead of probing it row by row (1.4 s → well under a second at 100,000 employees)."""
    return Q(pk__in=_counted_in_year(year).values("employee_id")) | Q(
        pk__in=_qualifying_in_year(year).values("employee_id")
    )


def year_trainees(year: int, scope: Scope = ALL) -> tuple[Figure, Figure]:
    """E8_TRAINED_AT_LEAST_ONCE_RATE and E10_WOMEN_SHARE_OF_TRAINEES from two reads: the employees of
    `scope` present at Y-12-31, and those trained in Y with their gender."""
    _start, end = year_bounds(year)
    present = list(Employee.objects.filter(present_on_q(end) & scope.q()).order_by().values_list("pk", flat=True))
    people = list(trainees(year, scope).order_by().values_list("pk", "gender"))
    trained_ids = {pk for pk, _gender in people}
    women = sum(1 for _pk, gender in people if gender == "F")
    return (
        Figure.rate(
            sum(1 for pk in present if pk in trained_ids), len(present), model="organization.employee", ids=present
        ),
        Figure.rate(women, len(people), model="organization.employee", ids=[pk for pk, _gender in people]),
    )


def trained_at_least_once(year: int, scope: Scope = ALL) -> Figure:
    """E8_TRAINED_AT_LEAST_ONCE_RATE: present at Y-12-31 and trained in Y ÷ present at Y-12-31."""
    return year_trainees(year, scope)[0]


def trainees(year: int, scope: Scope = ALL) -> QuerySet[Employee]:
    """Distinct employees trained in `year` (whether or not still present at year end)."""
    return Employee.objects.filter(scope.q()).filter(trained_in_year_q(year))


def women_share_of_trainees(year: int, scope: Scope = ALL) -> Figure:
    """E10_WOMEN_SHARE_OF_TRAINEES: women ÷ distinct employees trained in Y (unknown gender counted
    in the denominator only)."""
    return year_trainees(year, scope)[1]


@dataclass(frozen=True)
class Hours:
    """Training minutes of a year by module kind; `hours()` converts, rounded half-up to the unit; with
    ids, the completions and attendances behind them, by module kind."""

    minutes: dict[str, int]
    completion_ids_by_kind: dict[str, tuple[int, ...]] = field(default_factory=dict)
    attendance_ids_by_kind: dict[str, tuple[int, ...]] = field(default_factory=dict)

    def total_minutes(self) -> int:
        return sum(self.minutes.values())

    @staticmethod
    def to_hours(minutes: int) -> Decimal:
        return (Decimal(minutes) / 60).quantize(Decimal("1"), rounding="ROUND_HALF_UP")

    def hours(self, kind: str | None = None) -> Decimal:
        return self.to_hours(self.total_minutes() if kind is None else self.minutes.get(kind, 0))

    @staticmethod
    def _ids(by_kind: dict[str, tuple[int, ...]], kind: str | None) -> tuple[int, ...]:
        if kind is not None:
            return by_kind.get(kind, ())
        return tuple(pk for ids in by_kind.values() for pk in ids)

    def completion_ids(self, kind: str | None = None) -> tuple[int, ...]:
        return self._ids(self.completion_ids_by_kind, kind)

    def attendance_ids(self, kind: str | None = None) -> tuple[int, ...]:
        return self._ids(self.attendance_ids_by_kind, kind)


def completion_minutes() -> Any:
    """A completion's training time: its duration, else the module's expected duration, else 0."""
    return Coalesce(F("duration_minutes"), F("module__expected_minutes"), Value(0))


def training_hours(year: int, scope: Scope = ALL, *, with_ids: bool = False) -> Hours:
    """E8_TRAINING_HOURS (and by kind): counted completions' durations and every attended minute of
    sessions held in Y, by module kind. Two GROUP BY queries (two more for the ids)."""
    minutes = dict.fromkeys(ModuleKind.values, 0)
    completions = _counted_in_year(year).filter(scope.q("employee__"))
    for row in completions.order_by().values("module__kind").annotate(total=Sum(completion_minutes())):
        minutes[row["module__kind"]] += row["total"] or 0
    start, end = year_bounds(year)
    attendances = Attendance.objects.filter(session__held_on__range=(start, end)).filter(scope.q("employee__"))
    for line in attendances.order_by().values("session__module__kind").annotate(total=Sum("minutes_attended")):
        minutes[line["session__module__kind"]] += line["total"] or 0
    if not with_ids:
        return Hours(minutes)
    # One flat id list per kind (flat lists of ints read much faster than (id, kind) pairs).
    return Hours(
        minutes,
        {
            kind: tuple(completions.filter(module__kind=kind).order_by().values_list("pk", flat=True))
            for kind in ModuleKind.values
        },
        {
            kind: tuple(attendances.filter(session__module__kind=kind).order_by().values_list("pk", flat=True))
            for kind in ModuleKind.values
        },
    )


def workshop_trained(module: Module, year: int, scope: Scope = ALL) -> Figure:
    """E1_ETHICS_WORKSHOP_TRAINED, E1_FRAUD_WORKSHOP_TRAINED, E9_MANAGERS_TRAINED_DISABILITY: distinct
    employees who attended a session of the workshop in Y for more than its minimum duration (any
    attendance when it has none; sessions before the module's deployment day do not count, as in the rate
    and `trained_at_least_once`)."""
    start, end = year_bounds(year)
    attended = Attendance.objects.filter(
        qualifying_q(module),
        session__module=module,
        session__held_on__range=(start, end),
        session__held_on__gte=module.deployed_on,
    )
    return Figure.count(Employee.objects.filter(scope.q()).filter(Exists(attended.filter(employee=OuterRef("pk")))))


def sessions_held(module: Module, year: int) -> Figure:
    start, end = year_bounds(year)
    return Figure.count(Session.objects.filter(module=module, held_on__range=(start, end)))


def phishing_campaigns(year: int) -> Figure:
    """E2_PHISHING_TESTS: phishing campaigns sent in Y."""
    start, end = year_bounds(year)
    return Figure.count(PhishingCampaign.objects.filter(sent_on__range=(start, end)))


def at_risk_q(prefix: str = "") -> Q:
    """On Employee: holds a function at risk of corruption (their department's flag, or their own)."""
    return Q(**{f"{prefix}function_at_risk": True}) | Q(**{f"{prefix}department__function_at_risk": True})


def at_risk_coverage(year: int, scope: Scope = ALL) -> Figure:
    """ESRS G1-3 §21(b): employees present at Y-12-31 in a function at risk and trained at that date in at
    least one anti-corruption module (the module's own rule: deployment, renewal, minimum attendance) ÷
    employees present at Y-12-31 in a function at risk. Counted by headcount; one query."""
    _start, end = year_bounds(year)
    at_risk = Employee.objects.filter(present_on_q(end) & at_risk_q() & scope.q())
    covered = Q(pk__in=[])
    for module in Module.objects.filter(anti_corruption=True, deployed_on__lte=end):
        covered |= trained_q(module, end)
    counts = at_risk.aggregate(denominator=Count("pk"), numerator=Count("pk", filter=covered))
    return Figure.rate(
        counts["numerator"],
        counts["denominator"],
        model="organization.employee",
        ids=at_risk.order_by().values_list("pk", flat=True),
    )


def module_rates(day: dt.date, scope: Scope = ALL, *, mandatory_only: bool = False) -> list[tuple[Module, Rate]]:
    """Every module's rate at `day` (the overview the admin and the API list)."""
    modules = Module.objects.prefetch_related("audience_entities", "audience_departments").order_by("code")
    if mandatory_only:
        modules = modules.filter(mandatory=True)
    return [(module, completion_rate(module, day, scope)) for module in modules]


__all__ = [
    "ALL",
    "BREAKDOWNS",
    "at_risk_coverage",
    "at_risk_q",
    "BreakdownRow",
    "Hours",
    "Rate",
    "Scope",
    "audience_q",
    "breakdown",
    "completion_figure",
    "completion_figures",
    "year_trainees",
    "completion_minutes",
    "completion_rate",
    "completion_trained_figure",
    "counted_completions",
    "method_text",
    "module_rates",
    "monthly_trend",
    "not_trained",
    "phishing_campaigns",
    "population",
    "qualifying_attendances",
    "renewal_cutoff",
    "renewals_due",
    "sessions_held",
    "trained",
    "trained_at_least_once",
    "trained_in_year_q",
    "trained_q",
    "trainees",
    "training_hours",
    "valid_until",
    "women_share_of_trainees",
    "workshop_trained",
]
