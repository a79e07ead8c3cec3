"""The computations behind the indicators, declared by the domain apps (docs/architecture.md: small explicit
registries, no signals; reporting/ never imports a domain's models).

A domain app lists its computations in `<app>/indicators.py`:

    INDICATORS = (
        Computation("E1_COI_SUSPICIONS", selectors.coi_suspicions),
        Computation("E1_AML_ELEARNING_RATE", aml_rate, note=aml_note),
    )

Computations that read the same data (all the completion rates at 31/12, the hours by kind) share one
read through `shared(key, compute)` during an evaluation (`sharing()`).

`compute(year)` returns a core.figures.Figure (value, numerator, denominator, the records behind it).
`models` names every kind of record ("app_label.model") the value and its status are computed from, those
`has_data` reads included: reporting/visibility.py shows the value of a year not frozen only to who may
view them all, even for a year never stored, and a computation whose records are of a model it did not
declare fails (reporting.services.indicator_evaluate).
`records_extra`, optional, adds columns to its records in the auditor pack (reporting/records.py).
`note(year)`, optional, adds to the method text what the year's computation needs said (the audience a
module leaves out). `has_data(year)`, optional, tells a real zero from a year without records: when it
says False the indicator is reported "no data", not 0.

Per legal entity (`entity=` of the API and the export, issue 19): `by_entity(year, entity)` computes the
same figure on the records of that entity only (an EntityScope: the exact entity, its subsidiaries not
included; records that name no entity belong to the parent company). A computation whose records carry no
entity has none and says why in `whole_company_only`: for an entity it is reported "not_by_entity", never
with the company's figure under the entity's name. `has_data` stays the company's: in a year the domain
holds records, an entity without any has a real zero.

ReportingConfig.ready() imports these modules; a system check (reporting.E001/E002) fails when a code
is unknown to the catalogue, declared twice, or when a catalogue indicator marked computed has no
computation (and the reverse).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.core import checks
from django.db.models import Q
from django.utils.functional import Promise

from core.discovery import app_modules
from core.figures import Figure

from . import catalogue

if TYPE_CHECKING:
    from .records import RecordsExtra


@dataclass(frozen=True)
class EntityScope:
    """One legal entity whose records only are counted (reporting.services.entity_check makes it)."""

    pk: int
    code: str
    name: str
    #: The parent company (LegalEntity.objects.parent_company()): records naming no entity are its records.
    parent_company: bool = False

    def q(self, field: str = "entity") -> Q:
        """The records of this entity, `field` being the path to their legal entity."""
        condition = Q(**{field: self.pk})
        if self.parent_company:
            condition |= Q(**{f"{field}__isnull": True})
        return condition


def per_entity(compute: Callable[..., Figure]) -> Callable[[int, EntityScope], Figure]:
    """`by_entity` of a computation whose function takes `entity=` (None: the whole company)."""

    def by_entity(year: int, entity: EntityScope) -> Figure:
        return compute(year, entity=entity)

    return by_entity


@dataclass(frozen=True)
class Computation:
    code: str
    compute: Callable[[int], Figure]
    note: Callable[[int], str] | None = None
    has_data: Callable[[int], bool] | None = None
    #: Columns the auditor pack adds to the rows of one model of its records (reporting/records.py): a
    #: training rate says, for each employee behind the figure, whether and by which training they count.
    records_extra: RecordsExtra | None = None
    #: Every kind of record ("app_label.model") the value and its status come from (see above).
    models: tuple[str, ...] = ()
    #: The figure on one legal entity's records only; None when its records carry no entity (see above).
    by_entity: Callable[[int, EntityScope], Figure] | None = None
    #: Why it is not computed per entity, when `by_entity` is None (the note of a "not_by_entity" value).
    whole_company_only: str | Promise = ""

    @property
    def definition(self) -> catalogue.Definition:
        return catalogue.get(self.code)

    def method(self, year: int) -> str:
        text = str(self.definition.method)
        extra = self.note(year) if self.note else ""
        return f"{text} {extra}".strip()


#: Results that several computations of one evaluation share (reporting.services.year_evaluate): the
#: training hours by kind, the completion rates of all the modules at one day...
_SHARED: ContextVar[dict[Any, Any] | None] = ContextVar("reporting_shared", default=None)


@contextmanager
def sharing() -> Iterator[None]:
    """Within this block, `shared(key, compute)` computes each key once."""
    token = _SHARED.set({})
    try:
        yield
    finally:
        _SHARED.reset(token)


def shared(key: Any, compute: Callable[[], Any]) -> Any:
    """`compute()`, once per `key` within a `sharing()` block (each time outside one)."""
    cache = _SHARED.get()
    if cache is None:
        return compute()
    if key not in cache:
        cache[key] = compute()
    return cache[key]


_COMPUTATIONS: dict[str, Computation] = {}
_PROBLEMS: list[str] = []


def register(computation: Computation, *, origin: str = "") -> None:
    if computation.code not in catalogue.BY_CODE:
        _PROBLEMS.append(f"{origin}: {computation.code} is not an indicator of reporting/catalogue.py")
        return
    if computation.code in _COMPUTATIONS and _COMPUTATIONS[computation.code] is not computation:
        _PROBLEMS.append(f"{origin}: {computation.code} is declared twice")
        return
    _COMPUTATIONS[computation.code] = computation


def computation(code: str) -> Computation | None:
    return _COMPUTATIONS.get(code)


def computations() -> dict[str, Computation]:
    return dict(_COMPUTATIONS)


def autodiscover() -> None:
    """Import `<app>.indicators` of every installed app that has one and register its INDICATORS."""
    for config, module in app_modules("indicators"):
        for item in getattr(module, "INDICATORS", ()):
            register(item, origin=f"{config.name}.indicators")


def check_registry(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = [checks.Error(problem, id="reporting.E001") for problem in _PROBLEMS]
    for computation in _COMPUTATIONS.values():
        if not computation.models:
            errors.append(
                checks.Error(
                    f"{computation.code} declares no model: who may read its value cannot be "
                    "judged (reporting/registry.py, `models`)",
                    id="reporting.E003",
                )
            )
        for label in computation.models:
            try:
                apps.get_model(label)
            except (LookupError, ValueError):
                errors.append(
                    checks.Error(f"{computation.code} declares {label!r}, which is not a model", id="reporting.E003")
                )
    for definition in catalogue.DEFINITIONS:
        declared = definition.code in _COMPUTATIONS
        if definition.computed and not declared:
            errors.append(
                checks.Error(
                    f"{definition.code} is computed (reporting/catalogue.py) but no app declares its computation",
                    id="reporting.E002",
                )
            )
        elif declared and not definition.computed:
            errors.append(
                checks.Error(
                    f"{definition.code} is manual (reporting/catalogue.py) but an app declares a computation for it",
                    id="reporting.E002",
                )
            )
    return errors
