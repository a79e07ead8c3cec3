"""The shape of a computed figure: its value, the rate's parts, and the records behind it.

Domain selectors return a Figure so that reporting/ can store the value with its numerator,
denominator and record ids without knowing the domain's models (docs/architecture.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal


def percent(numerator: int, denominator: int) -> Decimal | None:
    """numerator ÷ denominator in percent, rounded half-up to one decimal (docs/interfaces.md); None on 0/0."""
    if not denominator:
        return None
    return (Decimal(100) * numerator / denominator).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def one_decimal(value: Decimal | float | int) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Figure:
    value: Decimal | int | None
    numerator: int | None = None
    denominator: int | None = None
    #: "app_label.model" of the records behind the figure, and their primary keys.
    model: str = ""
    record_ids: tuple[int, ...] = field(default=(), repr=False)
    #: Other records behind it, of other models: (("training.attendance", (ids...)), ...) — training
    #: hours add completions and attendances.
    more: tuple[tuple[str, tuple[int, ...]], ...] = field(default=(), repr=False)

    def record_sets(self) -> list[tuple[str, tuple[int, ...]]]:
        """Every (model, ids) behind the figure: the main one first."""
        sets = [(self.model, tuple(self.record_ids))] if self.model else []
        return sets + [(model, tuple(ids)) for model, ids in self.more]

    @classmethod
    def count(cls, queryset) -> Figure:
        ids = tuple(queryset.order_by().values_list("pk", flat=True))
        return cls(value=len(ids), model=queryset.model._meta.label_lower, record_ids=ids)

    @classmethod
    def rate(cls, numerator: int, denominator: int, queryset=None, *, model: str = "", ids=None) -> Figure:
        """A percentage; the records behind it are the denominator's (a queryset, or `model` + `ids`)."""
        if queryset is not None:
            ids = queryset.order_by().values_list("pk", flat=True)
            model = queryset.model._meta.label_lower
        return cls(
            value=percent(numerator, denominator),
            numerator=numerator,
            denominator=denominator,
            model=model,
            record_ids=tuple(ids or ()),
        )
