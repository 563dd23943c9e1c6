"""Comparison of the computed accessibility with the DREES APL (atlas/access/validation.py)."""
from __future__ import annotations

import numpy as np
import pytest

from atlas.access.validation import TARGETS, compare, meets_targets


def test_identical_values_give_perfect_scores():
    apl = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    v = compare(apl, apl, [10, 20, 30, 40, 50, 60], [10, 20, 30, 40, 50, 60], list("aabbcc"), threshold=2.5,
                apl_year=2023)
    assert v.rho_communes == pytest.approx(1.0) and v.rho_departments == pytest.approx(1.0)
    assert v.mae == 0.0 and v.same_side == 1.0 and v.communes == 6
    assert all(meets_targets(v).values())


def test_weighted_error_same_side_and_left_out_communes():
    computed = np.array([2.0, 3.0, 4.0, 9.0, 1.0])
    apl = np.array([3.0, 3.0, 4.0, np.nan, 1.0])       # 4th: no APL published -> left out
    weight = np.array([1.0, 1.0, 2.0, 5.0, 0.0])       # 5th: standardised population 0 -> left out
    population = np.array([100.0, 300.0, 600.0, 50.0, 10.0])
    v = compare(computed, apl, weight, population, ["a", "a", "b", "b", "c"], threshold=2.5, apl_year=2022)
    assert v.communes == 3
    assert v.mae == pytest.approx((1.0 * 1) / 4)                       # |2−3|·1 / (1+1+2)
    assert v.same_side == pytest.approx((300 + 600) / 1000)            # commune 1 is below 2.5 on one side only
    assert v.mean_computed == pytest.approx((2 + 3 + 8) / 4) and v.mean_apl == pytest.approx((3 + 3 + 8) / 4)


def test_rank_reversal_is_measured_and_fails_the_targets():
    x = np.arange(1.0, 11.0)
    v = compare(x, x[::-1], np.ones(10), np.full(10, 6000.0), [str(i) for i in range(10)], threshold=2.5,
                apl_year=2023)
    assert v.rho_communes == pytest.approx(-1.0) and v.rho_big_communes == pytest.approx(-1.0)
    assert not meets_targets(v)["rho_communes"] and v.rho_communes < TARGETS["rho_communes"]


def test_too_few_communes_is_refused():
    with pytest.raises(ValueError, match="trois communes"):
        compare([1.0], [1.0], [1.0], [1.0], ["a"], threshold=2.5, apl_year=2023)
