"""The sample of each indicator's records drawn for tests of detail (the third party tests 20-40% of the data
behind the figures): its rate and seed, and a draw anyone can reproduce from the README's recipe.
"""

from __future__ import annotations

import array
import bisect
import itertools
import math
import random
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

#: The sampling rate an auditor asks for (20-40% of the data), when the setting gives none.
DEFAULT_SAMPLE_RATE = 0.3
#: The bounds of the rate configured in the settings; a rate passed explicitly may be any of ]0, 1].
SETTINGS_RATE_BOUNDS = (0.2, 0.4)


def _as_rate(value: Any, where: str) -> float:
    try:
        rate = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(
            _("%(where)s must be a number such as 0.3, not %(value)r.") % {"where": where, "value": value}
        ) from exc
    if not rate.is_finite():
        raise ValueError(_("%(where)s must be a number such as 0.3, not %(value)r.") % {"where": where, "value": value})
    return float(rate)


def resolve_sample_rate(rate: Any = None) -> float:
    """The sampling rate: `rate` when given (0 < rate <= 1), else VIGIE_AUDIT_SAMPLE_RATE (0.2 to 0.4, the
    share of the data an independent third party tests); ValueError saying which, otherwise."""
    if rate is not None:
        value = _as_rate(rate, _("The sample rate"))
        if not 0 < value <= 1:
            raise ValueError(
                _("The sample rate must be more than 0 and at most 1 (e.g. 0.3 for 30%%), not %(value)s.")
                % {"value": rate}
            )
        return value
    configured = getattr(settings, "VIGIE_AUDIT_SAMPLE_RATE", DEFAULT_SAMPLE_RATE)
    value = _as_rate(configured, "VIGIE_AUDIT_SAMPLE_RATE")
    low, high = SETTINGS_RATE_BOUNDS
    if not low <= value <= high:
        raise ValueError(
            _(
                "VIGIE_AUDIT_SAMPLE_RATE must be between %(low)s and %(high)s (the 20-40%% of the "
                "data an independent third party tests), not %(value)s; pass a rate explicitly to "
                "draw another."
            )
            % {"low": low, "high": high, "value": configured}
        )
    return value


def resolve_seed(year: int, seed: Any = None) -> int | str:
    """The seed: `seed` when given, else VIGIE_AUDIT_SAMPLE_SEED, else the year."""
    if seed is None or seed == "":
        seed = getattr(settings, "VIGIE_AUDIT_SAMPLE_SEED", None)
    if seed is None or seed == "":
        return year
    return seed if isinstance(seed, (int, str)) and not isinstance(seed, bool) else str(seed)


def sample_size(rate: float, count: int) -> int:
    """ceil(rate × count), at least 1 when there is a record; in decimal (in floats, 0.55 × 100 is 55.000…01)."""
    if count <= 0:
        return 0
    return min(count, max(1, math.ceil(Decimal(str(rate)) * count)))


def _population(records: list[dict]) -> list[tuple[str, Sequence[int]]]:
    """The records sorted by model then id, as (model, its sorted ids) pairs (without building every pair)."""
    by_model: dict[str, list] = {}
    for record_set in records:
        by_model.setdefault(record_set["model"], []).append(record_set["ids"])
    return [
        (
            label,
            id_sets[0]
            if len(id_sets) == 1 and isinstance(id_sets[0], array.array)
            else sorted({int(i) for ids in id_sets for i in ids}),
        )
        for label, id_sets in sorted(by_model.items())
    ]


def drawn_ids(records: list[dict], code: str, rate: float, seed: int | str) -> dict[str, set[int]]:
    """`draw_sample` as {model: sampled ids}. random.Random.sample draws positions in the population (its
    draws depend only on the population's size and the sample's): the positions are drawn in
    range(size), then read in the sorted records, which gives the very same sample as sampling the list
    of (model, id) pairs."""
    population = _population(records)
    starts = list(itertools.accumulate((len(ids) for _label, ids in population), initial=0))
    total = starts[-1]
    positions = random.Random(f"{seed}:{code}").sample(range(total), sample_size(rate, total))
    if len(population) == 1:
        label, ids = population[0]
        return {label: set(map(ids.__getitem__, positions))}
    drawn: dict[str, set[int]] = {label: set() for label, _ids in population}
    for position in positions:
        index = bisect.bisect_right(starts, position) - 1
        label, ids = population[index]
        drawn[label].add(ids[position - starts[index]])
    return drawn


def draw_sample(records: list[dict], code: str, rate: float, seed: int | str) -> set[tuple[str, int]]:
    """The sampled (model, id) pairs: random.Random(f"{seed}:{code}").sample over the records sorted by
    model then id (the same seed and records always give the same sample)."""
    return {(label, pk) for label, ids in drawn_ids(records, code, rate, seed).items() for pk in ids}
