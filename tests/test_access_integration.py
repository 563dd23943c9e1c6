"""Computed accessibility in the session build from the mirror (travel times, inputs, values, scenarios)."""
from __future__ import annotations

import time

import duckdb
import numpy as np
import pandas as pd
import pytest

from atlas import paths
from atlas.access.io import load_model, read_travel_times
from atlas.access.model import Change
from atlas.access.weights import TIME_ERROR_SIGMA, table_cutoff
from atlas.catalog import ACCESS_SUPPLIES, access_id

pytestmark = pytest.mark.integration

LA_ROCHELLE, RIVEDOUX, ILE_D_YEU, LYON, VILLEURBANNE, PARIS, MARSEILLE = (
    "17300", "17297", "85113", "69123", "69266", "75056", "13055")


@pytest.fixture(scope="module")
def build(built_data_dir):
    return (built_data_dir / paths.CURRENT_LINK).resolve()


@pytest.fixture(scope="module")
def con(build):
    c = duckdb.connect(str(build / paths.DATABASE_FILE), read_only=True)
    yield c
    c.close()


@pytest.fixture(scope="module")
def pairs(build):
    return pd.read_parquet(build / paths.TRAVEL_TIMES_FILE)


def test_travel_times_table(pairs):
    # ~2 M ordered pairs < 27.7 min (approximate times: smoothed catchment, see atlas/access/weights.py)
    assert 1_200_000 < len(pairs) < 3_500_000
    assert pairs["minutes"].between(0, table_cutoff(TIME_ERROR_SIGMA), inclusive="left").all()
    assert (pairs["code_origine"] != pairs["code_destination"]).all()
    reverse = pairs.merge(pairs, left_on=["code_origine", "code_destination"],
                          right_on=["code_destination", "code_origine"], suffixes=("", "_back"))
    assert len(reverse) == len(pairs)                                  # symmetric
    assert np.allclose(reverse["minutes"], reverse["minutes_back"])


def test_sanity_times(pairs):
    t = pairs.set_index(["code_origine", "code_destination"])["minutes"]
    assert t[(RIVEDOUX, LA_ROCHELLE)] < 15                             # by the Ré bridge
    assert t[(LYON, VILLEURBANNE)] < 10
    assert (PARIS, MARSEILLE) not in t.index
    assert not (pairs["code_origine"] == ILE_D_YEU).any()              # the ferry takes 35 min


def test_access_values_for_every_commune_with_population(con):
    with_pop = {r[0] for r in con.execute("SELECT code FROM communes WHERE population > 0").fetchall()}
    for prof in ACCESS_SUPPLIES:
        rows = con.execute("SELECT code, value, numerator, denominator, synthetic, year FROM commune_values "
                           "WHERE indicator_id = ?", [access_id(prof)]).df()
        assert with_pop <= set(rows["code"]), prof
        assert not rows["synthetic"].any() and rows["year"].nunique() == 1
        assert np.allclose(rows["numerator"], rows["value"] * rows["denominator"])
    france = con.execute("SELECT value FROM reference_values WHERE indicator_id = 'access_mg' AND level = 'france'"
                         ).fetchone()[0]
    assert 3.0 < france < 4.5                                           # DREES APL 2022: 3.79
    params = con.execute("SELECT profession, cutoff, threshold FROM access_parameters ORDER BY profession").df()
    assert sorted(params["profession"]) == sorted(ACCESS_SUPPLIES)
    assert params.set_index("profession").loc["mg", "threshold"] == 2.5


def test_scenario_on_the_build(con, build):
    model = load_model(con, build / paths.TRAVEL_TIMES_FILE, "mg")
    assert model.aggregate()["value"] == pytest.approx(
        con.execute("SELECT value FROM reference_values WHERE indicator_id = 'access_mg' AND level = 'france'"
                    ).fetchone()[0])
    assert model.time_error == TIME_ERROR_SIGMA                         # approximate times: smoothed steps

    def reach(code):  # communes whose weight towards ``code`` is > 0
        j = model.indices([code])[0]
        return set(model.codes[model.W[:, j].nonzero()[0]])

    origin, destination, minutes = read_travel_times(build / paths.TRAVEL_TIMES_FILE)
    assert reach(LA_ROCHELLE) <= set(origin[destination == LA_ROCHELLE]) | {LA_ROCHELLE}
    dep17 = [r[0] for r in con.execute("SELECT code FROM communes WHERE departement = '17'").fetchall()]
    model.scenario([Change(LA_ROCHELLE, -2)], territory=dep17)         # warm-up
    t0 = time.perf_counter()
    res = model.scenario([Change(LA_ROCHELLE, -2), Change(RIVEDOUX, +3)], territory=dep17)
    elapsed = time.perf_counter() - t0
    assert set(res.codes) == reach(LA_ROCHELLE) | reach(RIVEDOUX)
    assert float(np.dot(res.demand, res.after - res.before)) == pytest.approx(res.supply_change, rel=1e-9)
    assert res.territory["after"] != res.territory["before"]
    assert elapsed < 0.5                                                # milliseconds in practice (bench/bench_access.py)


def test_build_measures_access_mg_against_each_apl_year(con):
    rows = con.execute("SELECT apl_year, communes, rho_communes, rho_departments, same_side, mean_computed, mean_apl "
                       "FROM access_validation ORDER BY apl_year").fetchall()
    assert [r[0] for r in rows] == [2022, 2023]
    for _year, n, rho, rho_dep, same, mean_c, mean_apl in rows:
        assert n > 30_000
        # figures of the approximate travel times (README, validation): far from random, below the targets
        assert 0.4 < rho < 1 and 0.75 < rho_dep <= 1 and 0.7 < same <= 1
        assert mean_c == pytest.approx(mean_apl, rel=0.05)     # activity calibrated on the national APL total
