"""Risk scoring of the Sapin II maps (AFA method): likelihood × impact on configurable scales.

Pure functions, no ORM: the scales come in as an argument (`scales_from_settings()` reads the settings
VIGIE_RISK_LIKELIHOOD_MAX and VIGIE_RISK_IMPACT_MAX), so they are tested without a database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from django.utils.translation import gettext as _

__all__ = [
    "Cell",
    "Grid",
    "OutOfScale",
    "Scales",
    "band",
    "grid",
    "ranked",
    "scales_from_settings",
    "score",
]

GREEN, AMBER, RED = "green", "amber", "red"


@dataclass(frozen=True)
class Scales:
    """Both scales start at 1; the maxima are settings (default 4: a 4 × 4 grid)."""

    likelihood_max: int = 4
    impact_max: int = 4

    def __post_init__(self) -> None:
        if self.likelihood_max < 1 or self.impact_max < 1:
            raise ValueError("A risk scale goes from 1 to at least 1.")

    @property
    def max_score(self) -> int:
        return self.likelihood_max * self.impact_max


def scales_from_settings() -> Scales:
    from django.conf import settings

    return Scales(settings.VIGIE_RISK_LIKELIHOOD_MAX, settings.VIGIE_RISK_IMPACT_MAX)


class OutOfScale(ValueError):
    """A likelihood or an impact outside its scale; `axis` is "likelihood" or "impact"."""

    def __init__(self, axis: str, value: object, maximum: int) -> None:
        self.axis, self.value, self.maximum = axis, value, maximum
        # Two whole sentences, not one with the axis spliced in: translations differ ("un impact", "une probabilité").
        message = (
            _("A likelihood of %(value)s is outside the likelihood scale (1 to %(maximum)d).")
            if axis == "likelihood"
            else _("An impact of %(value)s is outside the impact scale (1 to %(maximum)d).")
        )
        super().__init__(message % {"value": value, "maximum": maximum})


def _check(axis: str, value: object, maximum: int) -> int:
    # bool is an int for Python; a True likelihood is a bug of the caller, not a 1.
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= maximum:
        raise OutOfScale(axis, value, maximum)
    return value


def score(likelihood: int, impact: int, *, scales: Scales) -> int:
    """likelihood × impact, each checked against its scale (OutOfScale names the scale)."""
    return _check("likelihood", likelihood, scales.likelihood_max) * _check("impact", impact, scales.impact_max)


def band(value: int, *, scales: Scales) -> str:
    """The colour of a score: green up to a quarter of the highest score, amber up to half, red above
    (on the default 4 × 4 scale: 1-4 green, 5-8 amber, 9-16 red)."""
    if value * 4 <= scales.max_score:
        return GREEN
    if value * 2 <= scales.max_score:
        return AMBER
    return RED


@dataclass(frozen=True)
class Cell:
    likelihood: int
    impact: int
    count: int
    score: int
    band: str


@dataclass(frozen=True)
class Grid:
    """Counts per likelihood × impact cell; rows from the highest likelihood down, as a heat map reads."""

    rows: list[list[Cell]]
    impacts: list[int]
    total: int


def grid(pairs: Iterable[tuple[int, int]], *, scales: Scales) -> Grid:
    """The heat map of (likelihood, impact) pairs; a pair outside the scales is an OutOfScale error, so
    the counts always add up to the number of risks."""
    counts: dict[tuple[int, int], int] = {}
    total = 0
    for likelihood, impact in pairs:
        score(likelihood, impact, scales=scales)
        counts[(likelihood, impact)] = counts.get((likelihood, impact), 0) + 1
        total += 1
    impacts = list(range(1, scales.impact_max + 1))
    rows = [
        [Cell(lk, i, counts.get((lk, i), 0), lk * i, band(lk * i, scales=scales)) for i in impacts]
        for lk in range(scales.likelihood_max, 0, -1)
    ]
    return Grid(rows=rows, impacts=impacts, total=total)


class Scored(Protocol):
    net_score: int
    gross_score: int
    code: str


ScoredT = TypeVar("ScoredT", bound=Scored)


def ranked(risks: Iterable[ScoredT]) -> list[ScoredT]:
    """Highest net score first; ties by gross score (the bigger exposure without controls), then code."""
    return sorted(risks, key=lambda risk: (-risk.net_score, -risk.gross_score, risk.code))
