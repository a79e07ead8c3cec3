"""Risk scoring on configurable scales (compliance.scoring): pure functions, no database."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.test import override_settings
from hypothesis import given, strategies as st

from compliance.scoring import AMBER, GREEN, RED, OutOfScale, Scales, band, grid, ranked, scales_from_settings, score

DEFAULT = Scales()


def levels(maximum: int = 4) -> st.SearchStrategy[int]:
    return st.integers(min_value=1, max_value=maximum)


def test_the_default_scales_go_from_1_to_4():
    assert scales_from_settings() == Scales(4, 4)
    assert DEFAULT.max_score == 16


@override_settings(VIGIE_RISK_LIKELIHOOD_MAX=5, VIGIE_RISK_IMPACT_MAX=3)
def test_the_scales_come_from_the_settings():
    assert scales_from_settings() == Scales(5, 3)
    assert score(5, 3, scales=scales_from_settings()) == 15


def test_score_is_likelihood_times_impact():
    assert score(3, 4, scales=DEFAULT) == 12


@pytest.mark.parametrize("likelihood", [0, 5, -1, None, "2", True])
def test_a_likelihood_outside_the_scale_is_an_error_naming_the_scale(english_messages, likelihood):
    with pytest.raises(OutOfScale) as error:
        score(likelihood, 2, scales=DEFAULT)
    assert error.value.axis == "likelihood"
    assert "outside the likelihood scale (1 to 4)" in str(error.value)


def test_an_impact_outside_the_scale_is_an_error_naming_the_scale(english_messages):
    with pytest.raises(OutOfScale, match=r"impact scale \(1 to 3\)"):
        score(1, 4, scales=Scales(4, 3))


@given(levels(), levels(), levels(), levels())
def test_score_is_monotone_in_each_level(l1, i1, l2, i2):
    if l1 <= l2 and i1 <= i2:
        assert score(l1, i1, scales=DEFAULT) <= score(l2, i2, scales=DEFAULT)


def test_bands_on_the_default_scale():
    assert [band(s, scales=DEFAULT) for s in (1, 4, 6, 8, 9, 16)] == [GREEN, GREEN, AMBER, AMBER, RED, RED]


@given(st.integers(1, 16), st.integers(1, 16))
def test_a_higher_score_is_never_a_milder_band(a, b):
    order = {GREEN: 0, AMBER: 1, RED: 2}
    if a <= b:
        assert order[band(a, scales=DEFAULT)] <= order[band(b, scales=DEFAULT)]


@given(st.integers(1, 6), st.integers(1, 6), st.data())
def test_grid_counts_add_up_to_the_number_of_risks(likelihood_max, impact_max, data):
    scales = Scales(likelihood_max, impact_max)
    pairs = data.draw(st.lists(st.tuples(levels(likelihood_max), levels(impact_max)), max_size=60))
    heat = grid(pairs, scales=scales)
    assert heat.total == len(pairs)
    assert sum(cell.count for row in heat.rows for cell in row) == len(pairs)
    assert len(heat.rows) == likelihood_max and all(len(row) == impact_max for row in heat.rows)


def test_grid_rows_start_with_the_highest_likelihood_and_count_each_cell():
    heat = grid([(4, 1), (4, 1), (1, 4)], scales=DEFAULT)
    assert heat.rows[0][0].likelihood == 4 and heat.rows[0][0].impact == 1 and heat.rows[0][0].count == 2
    assert heat.rows[-1][-1].likelihood == 1 and heat.rows[-1][-1].impact == 4 and heat.rows[-1][-1].count == 1
    assert heat.impacts == [1, 2, 3, 4]


def test_a_grid_refuses_a_pair_outside_the_scales():
    with pytest.raises(OutOfScale):
        grid([(5, 1)], scales=DEFAULT)


def test_ranking_puts_the_highest_net_score_first_then_gross_then_code():
    risks = [
        SimpleNamespace(code=c, net_score=n, gross_score=g)
        for c, n, g in [("B", 4, 9), ("A", 4, 9), ("C", 12, 12), ("D", 4, 16)]
    ]
    assert [r.code for r in ranked(risks)] == ["C", "D", "A", "B"]


@given(st.lists(st.tuples(st.integers(1, 16), st.integers(1, 16)), max_size=30))
def test_ranking_is_ordered_by_net_score(scores):
    risks = [SimpleNamespace(code=str(i), net_score=n, gross_score=g) for i, (n, g) in enumerate(scores)]
    nets = [r.net_score for r in ranked(risks)]
    assert nets == sorted(nets, reverse=True)


def test_a_scale_below_1_is_refused():
    with pytest.raises(ValueError):
        Scales(0, 4)
