"""Who may read an indicator's value: the one rule of every channel that shows one (the admin's dashboard,
value list, value pages and their history, a year's page and its differences, the downloads and the
auditor pack, `GET /api/reporting/indicators/`).

A value is shown to a user when it is published, or when the user may view every kind of record it is
computed from:
- published: the value of a frozen year's snapshot, the figures verified for the DPEF, which everyone
  with the reporting view permission may read. A value computed now (a year never stored, a code missing
  from the snapshot, what a recomputation would give) is never published;
- the kinds of record: the `models` its computation declares (reporting/registry.py), those that tell "no
  data" from a figure included, so that a year never computed is judged the same way. A code no
  computation declares stands on every model any computation declares. A manual value is entered by a
  person from no record of Vigie: always shown.
Otherwise the value is withheld: its figure, numerator and denominator, status, note, record count,
history and differences give way to one neutral mark, the same whatever the value is (zero and "no data"
included): for a year not frozen, the number of conflict-of-interest cases so far would tell the DPO that
a case was just recorded. Without a user (the command line: operators read the database anyway) every
value is shown; superusers, auditors and compliance officers may view every kind of record.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from django.db.models import BooleanField as BooleanOutput, Case, Expression, F, Q, Value, When
from django.utils.translation import gettext_lazy as _

from core.roles import can_view

from . import catalogue, registry

#: The status of a withheld value, in the exports and the admin (beside ok, no_data, error, missing).
WITHHELD = "withheld"
#: Its note, the same for every withheld value.
WITHHELD_NOTE = _(
    "Not published yet: shown once the year is frozen, or to a role that may view every kind of "
    "record it is computed from."
)


def declared_models() -> frozenset[str]:
    """Every model a computation declares."""
    return frozenset(label for computation in registry.computations().values() for label in computation.models)


def models_of(code: str) -> frozenset[str]:
    """The kinds of record the value of `code` is computed from (none for a manual indicator)."""
    computation = registry.computation(code)
    if computation is not None:
        return frozenset(computation.models)
    definition = catalogue.BY_CODE.get(code)
    if definition is not None and not definition.computed:
        return frozenset()
    return declared_models()  # unknown: judged as standing on everything


@dataclass(frozen=True)
class Reader:
    """What one user may read of the indicators: `codes`, the indicators they may read whatever their year's
    state (they may view every kind of record behind them); None for every indicator."""

    codes: frozenset[str] | None

    @classmethod
    def of(cls, user: Any) -> Reader:
        if user is None:
            return cls(None)
        everything = declared_models()
        viewable = frozenset(label for label in everything if can_view(user, label))
        if viewable == everything:
            return cls(None)
        return cls(frozenset(code for code in _all_codes() if models_of(code) <= viewable))

    @property
    def everything(self) -> bool:
        return self.codes is None

    def reads(self, code: str) -> bool:
        """Whether the reader may view every kind of record behind `code`: its value in any year, its record
        count, its history, what a recomputation would change."""
        return self.codes is None or code in self.codes

    def shows(self, code: str, *, published: bool) -> bool:
        """Whether a value of `code` is shown: `published`, the value of a frozen year's snapshot."""
        return published or self.reads(code)

    def shown_q(self, *, code: str = "code", frozen_at: str = "reporting_year__frozen_at") -> Q | None:
        """The stored values the reader is shown, as a filter (paths to the value's code and its year's
        `frozen_at`); None: every value."""
        if self.codes is None:
            return None
        return Q(**{f"{frozen_at}__isnull": False}) | Q(**{f"{code}__in": sorted(self.codes)})

    def shown_expression(self) -> Expression:
        """True for a stored value the reader is shown (an IndicatorValue annotation)."""
        condition = self.shown_q()
        if condition is None:
            return Value(True)
        return Case(When(condition, then=Value(True)), default=Value(False), output_field=BooleanOutput())

    def masked(self, field: str, *, withheld: Any = None) -> Expression | F:
        """`field` of a stored value, or `withheld` for a value the reader is not shown (for ordering and
        filtering lists without telling the hidden values apart)."""
        condition = self.shown_q()
        if condition is None:
            return F(field)
        return Case(When(condition, then=F(field)), default=Value(withheld))


@functools.cache
def _catalogue_codes() -> tuple[str, ...]:
    return tuple(definition.code for definition in catalogue.DEFINITIONS)


def _all_codes() -> tuple[str, ...]:
    return (*_catalogue_codes(), *(code for code in registry.computations() if code not in catalogue.BY_CODE))
