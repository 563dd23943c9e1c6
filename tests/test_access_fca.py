"""Known results of the 2SFCA and of the scenario model on synthetic grids (as pysal/access tests do)."""
from __future__ import annotations

import numpy as np
import pytest

from atlas.access.fca import accessibility, demand_in_reach, supply_ratio, two_step, weight_matrix
from atlas.access.model import AccessModel, Change
from atlas.access.parameters import GP_NEW_ACTIVITY, GP_STANDARD_ACTIVITY, PARAMETERS
from atlas.access.weights import (DECAYS, DREES_STEPS, TIME_ERROR_SIGMA, WEIGHT_FLOOR, Decay, catchment_end,
                                  expected_step_weights, step_weights, table_cutoff)
from atlas.errors import AtlasError, UnknownCommune


def grid_pairs(side: int, minutes_per_step: float):
    """All ordered pairs of a side × side grid of communes, time = Manhattan distance × minutes_per_step."""
    n = side * side
    xy = np.array([(k // side, k % side) for k in range(n)])
    o, d = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    o, d = o.ravel(), d.ravel()
    keep = o != d
    o, d = o[keep], d[keep]
    t = np.abs(xy[o] - xy[d]).sum(axis=1) * minutes_per_step
    return n, o, d, t.astype(float)


def test_decay_steps_at_their_boundaries():
    t = [0, 9.999, 10, 14.999, 15, 19.999, 20, 35]
    assert step_weights(t, DREES_STEPS).tolist() == pytest.approx([1, 1, 2 / 3, 2 / 3, 1 / 3, 1 / 3, 0, 0])
    assert DECAYS["mg"].cutoff == 20
    assert DECAYS["mg"].weights([10]).tolist() == pytest.approx([2 / 3])


def test_expected_weights_over_time_errors():
    t = np.linspace(0, 40, 401)
    w = expected_step_weights(t, DREES_STEPS, TIME_ERROR_SIGMA)
    assert (np.diff(w) <= 1e-12).all()                                   # never increases with time
    assert w[0] == 1 and w[t == 5][0] == pytest.approx(1, abs=1e-4)       # far below 10 min: weight 1
    assert w[t == 12.5][0] == pytest.approx(2 / 3, abs=0.05)              # mid-step: about the step
    end = catchment_end(DREES_STEPS, TIME_ERROR_SIGMA)
    assert end == pytest.approx(27.69, abs=0.01) and table_cutoff(TIME_ERROR_SIGMA) == pytest.approx(end)
    assert w[t >= end].max() == 0 and w[(t < end) & (t > 20)].min() >= WEIGHT_FLOOR
    # a tiny sigma gives the steps back (away from the bounds)
    assert expected_step_weights([9, 11, 16, 21], DREES_STEPS, 1e-4) == pytest.approx([1, 2 / 3, 1 / 3, 0])
    assert table_cutoff(0) == 20


def test_conservation_holds_with_expected_weights():
    rng = np.random.default_rng(8)
    n, o, d, t = grid_pairs(7, 6.0)
    S = rng.integers(0, 4, n) * 4100.0
    P = rng.integers(50, 3000, n).astype(float)
    _, _, A = two_step(weight_matrix(o, d, t, n, DREES_STEPS, sigma=TIME_ERROR_SIGMA), S, P)
    assert float(np.dot(P, A)) == pytest.approx(S.sum())


def test_decay_refuses_unordered_steps():
    with pytest.raises(ValueError):
        Decay(((15, 1.0), (10, 0.5)), "x")


def test_infinite_catchment_gives_total_supply_over_total_demand():
    rng = np.random.default_rng(3)
    n, o, d, t = grid_pairs(6, 1.0)            # every pair < 10 min: weight 1 everywhere
    S = rng.integers(0, 5, n) * 1000.0
    P = rng.integers(100, 5000, n).astype(float)
    W = weight_matrix(o, d, t, n, ((1e9, 1.0),))
    _, _, A = two_step(W, S, P)
    assert A == pytest.approx(np.full(n, S.sum() / P.sum()))


def test_conservation_when_every_supply_point_has_demand_in_reach():
    rng = np.random.default_rng(4)
    n, o, d, t = grid_pairs(7, 6.0)            # 6 min a step: catchments of 0 to 3 steps, partial weights
    S = rng.integers(0, 4, n) * 4100.0
    P = rng.integers(50, 3000, n).astype(float)
    W = weight_matrix(o, d, t, n, DREES_STEPS)
    D, R, A = two_step(W, S, P)
    assert (D > 0).all()
    assert float(np.dot(P, A)) == pytest.approx(S.sum())
    assert A.min() >= 0


def test_supply_without_demand_in_reach_serves_nobody():
    W = weight_matrix(np.array([0]), np.array([1]), np.array([30.0]), 2, DREES_STEPS)  # too far: only the diagonal
    D = demand_in_reach(W, np.array([100.0, 0.0]))
    R = supply_ratio(np.array([0.0, 5000.0]), D)
    assert R.tolist() == [0.0, 0.0]
    assert accessibility(W, R).tolist() == [0.0, 0.0]


def test_weight_matrix_sets_the_diagonal_and_ignores_self_pairs():
    W = weight_matrix(np.array([0, 0, 1]), np.array([0, 1, 0]), np.array([25.0, 12.0, 12.0]), 2, DREES_STEPS)
    assert W.toarray() == pytest.approx(np.array([[1, 2 / 3], [2 / 3, 1]]))


# -- the scenario model ----------------------------------------------------------------------------------
def grid_model(side=8, step=6.0, seed=5):
    rng = np.random.default_rng(seed)
    n, o, d, t = grid_pairs(side, step)
    codes = [f"{k:05d}" for k in range(n)]
    counts = rng.integers(0, 3, n).astype(float)
    P = rng.integers(50, 3000, n).astype(float)
    pop = P * 0.97
    p = PARAMETERS["mg"]
    model = AccessModel.from_pairs(codes, np.array(codes)[o], np.array(codes)[d], t, supply=counts * p.activity,
                                   demand=P, population=pop, params=p, year=2019, professionals=counts)
    return model, codes, counts, P, pop, o, d, t


def recomputed(model, codes, counts_after, P, pop, o, d, t):
    p = model.params
    return AccessModel.from_pairs(codes, np.array(codes)[o], np.array(codes)[d], t, supply=counts_after, demand=P,
                                  population=pop, params=p, year=2019)


def test_scenario_changes_only_the_catchment_and_conserves_supply():
    model, codes, counts, P, pop, o, d, t = grid_model()
    target = "00027"                                 # (3, 3) of the 8 × 8 grid
    res = model.scenario([Change(target, +3)])
    j = codes.index(target)
    reach = {codes[k] for k, tk in zip(o[d == j], t[d == j]) if tk < 20} | {target}
    assert set(res.codes) == reach                   # exactly the communes within 20 min of the changed one
    assert res.supply_change == pytest.approx(3 * GP_NEW_ACTIVITY)
    assert float(np.dot(res.demand, res.after - res.before)) == pytest.approx(res.supply_change)
    # Same figures as a full recomputation with the new supply.
    supply_after = counts * GP_STANDARD_ACTIVITY
    supply_after[j] += 3 * GP_NEW_ACTIVITY
    full = recomputed(model, codes, supply_after, P, pop, o, d, t)
    idx = model.indices(res.codes)
    assert res.after == pytest.approx(full.values[idx])
    unchanged = np.setdiff1d(np.arange(len(codes)), idx)
    assert full.values[unchanged] == pytest.approx(model.values[unchanged])


def test_scenario_aggregates_are_ratios_of_sums_and_count_people_below_threshold():
    model, codes, counts, P, pop, o, d, t = grid_model(seed=11)
    territory = codes[:20]
    j = [codes.index(c) for c in ("00002", "00010")]
    removable = [c for c in ("00002", "00010") if counts[codes.index(c)] > 0]
    changes = [Change("00002", +2), *[Change(c, -1) for c in removable]]
    res = model.scenario(changes, territory=territory)
    supply_after = counts * GP_STANDARD_ACTIVITY
    supply_after[j[0]] += 2 * GP_NEW_ACTIVITY
    for c in removable:
        supply_after[codes.index(c)] -= GP_STANDARD_ACTIVITY
    full = recomputed(model, codes, supply_after, P, pop, o, d, t)
    tidx = model.indices(territory)
    expect_before = np.dot(model.values[tidx], P[tidx]) / P[tidx].sum()
    expect_after = np.dot(full.values[tidx], P[tidx]) / P[tidx].sum()
    assert res.territory["before"] == pytest.approx(expect_before)
    assert res.territory["after"] == pytest.approx(expect_after)
    assert res.territory["population_below_before"] == pytest.approx(pop[tidx][model.values[tidx] < 2.5].sum())
    assert res.territory["population_below_after"] == pytest.approx(pop[tidx][full.values[tidx] < 2.5].sum())
    assert res.france["after"] == pytest.approx(np.dot(full.values, P) / P.sum())
    assert res.france["population_below_after"] == pytest.approx(pop[full.values < 2.5].sum())


def test_scenario_refuses_removing_more_than_present_and_unknown_communes():
    model, codes, counts, *_ = grid_model()
    empty = codes[int(np.flatnonzero(counts == 0)[0])]
    with pytest.raises(AtlasError, match="impossible d'en retirer"):
        model.scenario([Change(empty, -1)])
    with pytest.raises(UnknownCommune):
        model.scenario([("99999", 1)])


def test_scenario_activity_can_be_given_and_changes_of_one_commune_add_up():
    model, codes, counts, *_ = grid_model()
    res = model.scenario([("00005", 1, 3000.0), ("00005", 2)])
    assert res.supply_change == pytest.approx(3000.0 + 2 * GP_NEW_ACTIVITY)
    assert model.scenario([]).codes.size == 0


def test_headcount_supplies_are_per_100000_inhabitants():
    n, o, d, t = grid_pairs(3, 1.0)
    codes = [str(k) for k in range(n)]
    p = PARAMETERS["inf"]
    P = np.full(n, 1000.0)
    m = AccessModel.from_pairs(codes, np.array(codes)[o], np.array(codes)[d], t, supply=np.full(n, 1.0), demand=P,
                               params=p)
    assert m.values == pytest.approx(np.full(n, 100.0))       # 9 nurses for 9,000 inhabitants
    assert m.aggregate()["population_below"] is None
