"""The monthly trend of a rate as an inline SVG, drawn on the server (no JavaScript, no CDN).

A line over a light area, one dot per month carrying its value as a tooltip (<title>), the rate axis in
percent and the month labels. The SVG is an image with a title and a description for screen readers;
the page puts the same figures in a table beside it.

The chart draws `RatePoint`s: a domain turns its own figures into points (training's completion rates,
reporting's on-time rate of rights requests), so the chart knows no domain.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.dateformat import format as date_format
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from .dates import format_date
from .figures import percent

WIDTH, HEIGHT = 760, 280
LEFT, RIGHT, TOP, BOTTOM = 52, 28, 16, 44
LINE = "#417690"
#: The thresholds of the rate badges (green from 90 %, amber from 75 %), as faint guides.
GUIDES = ((Decimal(90), "#1e6b34"), (Decimal(75), "#8a5300"))


@dataclass(frozen=True)
class RatePoint:
    """One dot of the chart: the rate on `day` (numerator out of denominator)."""

    day: dt.date
    numerator: int
    denominator: int

    @property
    def value(self) -> Decimal | None:
        """The rate in percent, rounded as the published figures are; None when nobody is counted."""
        return percent(self.numerator, self.denominator)


def percent_text(value: Decimal | None) -> str:
    """85.0 → "85.0 %" ("85,0 %" in French); None (nobody in the population) → "–"."""
    if value is None:
        return "–"
    return f"{number_format(value, 1)}\u00a0%"


def point_text(point: RatePoint) -> str:
    """What a dot's tooltip and the table say about one month."""
    return _("%(day)s: %(rate)s (%(numerator)d of %(denominator)d)") % {
        "day": format_date(point.day),
        "rate": percent_text(point.value),
        "numerator": point.numerator,
        "denominator": point.denominator,
    }


def month_label(day: dt.date) -> str:
    return date_format(day, "N y")


def _coord(number: float) -> str:
    """A coordinate of the drawing, to a tenth of a pixel (shorter SVG, same picture)."""
    return f"{number:.1f}"


def trend_svg(points: Sequence[RatePoint], *, title: str, element_id: str = "trend-chart") -> SafeString:
    """The chart of `points` (oldest first): x = months, equally spaced; y = the rate from 0 to 100 %.
    Months without anyone in the population have no dot and break the line."""
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    count = len(points)
    bottom = TOP + plot_height

    def x(index: int) -> float:
        return LEFT + (plot_width / 2 if count == 1 else index * plot_width / (count - 1))

    def y(value: Decimal) -> float:
        return TOP + float(100 - value) * plot_height / 100

    parts: list[str] = []
    # The rate axis: grey grid lines at 0, 25, 50 and 100 %, the badge thresholds dashed in their colour.
    guides = dict(GUIDES)
    for tick in (0, 25, 50, 75, 90, 100):
        colour = guides.get(Decimal(tick))
        line_style = (
            format_html('stroke="{}" stroke-opacity="0.45" stroke-dasharray="4 4"', colour)
            if colour
            else mark_safe('stroke="#ddd"')
        )
        parts.append(
            format_html(
                '<line x1="{}" y1="{}" x2="{}" y2="{}" {} stroke-width="1"/>'
                '<text x="{}" y="{}" text-anchor="end" dominant-baseline="middle" class="vigie-axis"{}>{}</text>',
                LEFT,
                _coord(y(Decimal(tick))),
                WIDTH - RIGHT,
                _coord(y(Decimal(tick))),
                line_style,
                LEFT - 6,
                _coord(y(Decimal(tick))),
                format_html(' style="fill:{}"', colour) if colour else "",
                f"{tick}\u00a0%",
            )
        )
    parts.append(
        format_html('<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#888"/>', LEFT, bottom, WIDTH - RIGHT, bottom)
    )

    # The line and the area under it, one piece per run of months that have a value.
    runs: list[list[tuple[float, float]]] = [[]]
    for index, point in enumerate(points):
        if point.value is None:
            if runs[-1]:
                runs.append([])
            continue
        runs[-1].append((x(index), y(point.value)))
    for run in (r for r in runs if r):
        line = " ".join(f"{'M' if i == 0 else 'L'}{_coord(px)},{_coord(py)}" for i, (px, py) in enumerate(run))
        area = f"{line} L{_coord(run[-1][0])},{bottom} L{_coord(run[0][0])},{bottom} Z"
        parts.append(format_html('<path d="{}" fill="{}" fill-opacity="0.12" stroke="none"/>', area, LINE))
        parts.append(
            format_html('<path d="{}" fill="none" stroke="{}" stroke-width="2.5" stroke-linejoin="round"/>', line, LINE)
        )

    # One labelled month in three, counted back from the last (the reference day is always labelled).
    for index, point in enumerate(points):
        if (count - 1 - index) % 3 == 0:
            parts.append(
                format_html(
                    '<line x1="{0}" y1="{1}" x2="{0}" y2="{2}" stroke="#888"/>'
                    '<text x="{0}" y="{3}" text-anchor="middle" class="vigie-axis">{4}</text>',
                    _coord(x(index)),
                    bottom,
                    bottom + 5,
                    bottom + 20,
                    month_label(point.day),
                )
            )
    # The dots last, above the line, each with its value as a tooltip.
    parts.append(
        format_html_join(
            "",
            '<circle cx="{}" cy="{}" r="4" class="vigie-trend-point" data-day="{}" data-value="{}"><title>{}</title></circle>',
            (
                (_coord(x(index)), _coord(y(point.value)), point.day.isoformat(), point.value, point_text(point))
                for index, point in enumerate(points)
                if point.value is not None
            ),
        )
    )

    valued = [point for point in points if point.value is not None]
    if valued:
        description = _("From %(first)s on %(first_day)s to %(last)s on %(last_day)s.") % {
            "first": percent_text(valued[0].value),
            "first_day": format_date(valued[0].day),
            "last": percent_text(valued[-1].value),
            "last_day": format_date(valued[-1].day),
        }
    else:
        description = _("Nobody in the population over these months.")
    return format_html(
        '<svg id="{}" class="vigie-trend" role="img" aria-labelledby="{}-title {}-desc" viewBox="0 0 {} {}" '
        'width="100%" style="max-width:{}px" xmlns="http://www.w3.org/2000/svg">'
        '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>{}</svg>',
        element_id,
        element_id,
        element_id,
        WIDTH,
        HEIGHT,
        WIDTH,
        element_id,
        title,
        element_id,
        description,
        mark_safe("".join(parts)),
    )
