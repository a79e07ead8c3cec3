"""The trend chart (core/charts.py): the SVG drawn for given points, with nothing to draw, and escaped text."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from django.utils import translation

from core.charts import RatePoint, percent_text, point_text, trend_svg

SVG = "{http://www.w3.org/2000/svg}"
POINTS = [
    RatePoint(dt.date(2025, 1, 31), 1, 4),
    RatePoint(dt.date(2025, 2, 28), 0, 0),  # nobody in the population: no dot, the line breaks
    RatePoint(dt.date(2025, 3, 31), 3, 4),
    RatePoint(dt.date(2025, 4, 15), 2, 3),
]


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def parse(svg: str) -> ET.Element:
    """The SVG as XML: parsing it proves it is well formed."""
    return ET.fromstring(svg)


def test_a_point_is_a_rate_rounded_as_published_figures_are():
    assert RatePoint(dt.date(2025, 1, 31), 2, 3).value == Decimal("66.7")
    assert RatePoint(dt.date(2025, 1, 31), 0, 0).value is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        POINTS[0].numerator = 2


def test_each_point_with_a_value_is_a_dot_carrying_its_day_value_and_tooltip():
    root = parse(trend_svg(POINTS, title="Completion rate", element_id="trend"))
    dots = root.findall(f"{SVG}circle")
    assert [(dot.get("data-day"), dot.get("data-value")) for dot in dots] == [
        ("2025-01-31", "25.0"),
        ("2025-03-31", "75.0"),
        ("2025-04-15", "66.7"),
    ]
    assert [dot.find(f"{SVG}title").text for dot in dots] == [
        "31/01/2025: 25.0\u00a0% (1 of 4)",
        "31/03/2025: 75.0\u00a0% (3 of 4)",
        "15/04/2025: 66.7\u00a0% (2 of 3)",
    ]
    # The empty month breaks the line: two runs, each a line and the area beneath it.
    lines = [path for path in root.findall(f"{SVG}path") if path.get("fill") == "none"]
    assert len(lines) == 2 and lines[0].get("d").count("L") == 0 and lines[1].get("d").count("L") == 1


def test_the_chart_is_an_image_with_a_title_and_a_description_of_its_first_and_last_values():
    root = parse(trend_svg(POINTS, title="Completion rate", element_id="trend"))
    assert (root.get("id"), root.get("role"), root.get("aria-labelledby")) == ("trend", "img", "trend-title trend-desc")
    assert root.find(f"{SVG}title").text == "Completion rate"
    assert root.find(f"{SVG}desc").text == "From 25.0\u00a0% on 31/01/2025 to 66.7\u00a0% on 15/04/2025."


def test_month_labels_are_one_in_three_counted_back_from_the_last_point():
    root = parse(trend_svg(POINTS, title="t"))
    labels = [text.text for text in root.findall(f"{SVG}text") if "%" not in text.text]
    assert labels == ["Jan. 25", "April 25"]  # Django's "N y": AP-style month abbreviations


@pytest.mark.parametrize("points", [[], [RatePoint(dt.date(2025, 1, 31), 0, 0)]], ids=["no point", "nobody counted"])
def test_with_nothing_to_draw_the_chart_keeps_its_axes_and_says_so(points):
    root = parse(trend_svg(points, title="Empty", element_id="empty"))
    assert root.findall(f"{SVG}circle") == [] and root.findall(f"{SVG}path") == []
    assert [text.text for text in root.findall(f"{SVG}text") if "%" in text.text] == [
        f"{tick}\u00a0%" for tick in (0, 25, 50, 75, 90, 100)
    ]
    assert root.find(f"{SVG}desc").text == "Nobody in the population over these months."


def test_the_title_and_the_id_are_escaped():
    svg = trend_svg(POINTS, title='<script>alert("x")</script> & co', element_id='a" onload="x')
    assert "<script>" not in svg and 'onload="x"' not in svg
    root = parse(svg)
    assert root.find(f"{SVG}title").text == '<script>alert("x")</script> & co'
    assert root.get("id") == 'a" onload="x'
    assert re.search(r"<title[^>]*>&lt;script&gt;alert\(&quot;x&quot;\)&lt;/script&gt; &amp; co</title>", svg)


def test_the_texts_of_a_rate():
    assert percent_text(None) == "–"
    assert percent_text(Decimal("85")) == "85.0\u00a0%"
    assert point_text(RatePoint(dt.date(2025, 12, 31), 0, 2)) == "31/12/2025: 0.0\u00a0% (0 of 2)"
    with translation.override("fr"):
        assert percent_text(Decimal("85")) == "85,0\u00a0%"
