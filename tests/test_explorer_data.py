"""Map explorer, data-access layer: URL state, French formatting, classes, cached values, geometry.

Runs on a tiny geodata/ the tests build (tests/factories.py: communes 01001 Alpha, 01002 Beta,
01004 Delta with polygons, 01006 Epsilon without; CPTS Aunis Sud = {01001, 01002})."""
from __future__ import annotations

import pandas as pd
import pytest

from dashboard.maps import cache
from dashboard.maps.classes import NO_DATA_COLOR, SECRET_COLOR, class_codes, classify, palette, stepped_colorscale
from dashboard.maps.formatting import fmt_number, fmt_value
from dashboard.maps.geometry import area_geometry, territory_outline, view_for_bounds
from dashboard.maps.state import ExplorerState, parse_state, resolve_indicator
from dashboard.maps.values import map_values
from atlas.catalog import CATALOG

IDS = ["aunis-sud", "venissieux", "entre-loire-et-sucs"]


# -- URL state ---------------------------------------------------------------------------------------
def test_state_from_query_and_back():
    st = parse_state({"territoire": "aunis-sud", "indicateur": "apl_mg", "annee": "2022"}, IDS)
    assert (st.territory, st.choice, st.indicator_id, st.year, st.extent) == ("aunis-sud", "apl_mg", "apl_mg", 2022,
                                                                                "territoire")
    assert parse_state(st.to_query(), IDS) == st
    d = parse_state({"territoire": "venissieux", "indicateur": "density", "profession": "inf", "mode": "liberal",
                     "etendue": "departement", "lieux": "1"}, IDS)
    assert d.indicator_id == "density_inf_liberal" and d.extent == "departement" and d.locations
    assert parse_state(d.to_query(), IDS) == d
    assert "mode=liberal" in d.search() and "etendue=departement" in d.search()


def test_state_accepts_indicator_ids_and_falls_back_on_bad_values():
    st = parse_state({"territoire": "nowhere", "indicateur": "density_mk_liberal", "annee": "abc"}, IDS, "venissieux")
    assert (st.territory, st.choice, st.profession, st.mode, st.year) == ("venissieux", "density", "mk", "liberal", None)
    assert parse_state({"indicateur": "bogus"}, IDS).indicator_id == "apl_mg"
    # APL only exists for GPs: a profession in the URL cannot contradict the indicator
    assert parse_state({"indicateur": "apl_mg", "profession": "inf"}, IDS).profession == "mg"
    assert resolve_indicator("density", "dent", "all") == "density_dent"
    assert ExplorerState("x", "sans_mt_17").indicator_id == "sans_mt_17"


# -- formatting --------------------------------------------------------------------------------------
def test_french_number_format():
    assert fmt_number(1234.5) == "1\u00a0234,5"
    assert fmt_number(1234567, 0) == "1\u00a0234\u00a0567"
    assert fmt_number(None) == fmt_number(float("nan")) == "–"
    assert fmt_value(4.576, CATALOG["apl_mg"]) == "4,58 " + CATALOG["apl_mg"].unit
    assert fmt_value(14.04, CATALOG["sans_mt_17"]) == "14,0\u00a0% des patients de 17 ans et plus"
    assert fmt_value(12.0, CATALOG["density_mg"]).endswith("pour 10 000 habitants")


# -- classes -----------------------------------------------------------------------------------------
def test_apl_fixed_thresholds_and_direction():
    cls = classify(CATALOG["apl_mg"], [1.0, 3.0, 5.0])
    assert cls.method == "thresholds" and cls.breaks == (2.5, 4.0)
    assert cls.labels == ("moins de 2,50", "de 2,50 à moins de 4,00", "4,00 ou plus")
    assert class_codes([1.0, 2.5, 3.9, 4.0, None, 2.0], ["ok", "ok", "ok", "ok", "missing", "secret"], cls) == \
        [2, 3, 3, 4, 0, 1]
    # higher is better: the darkest colour is the highest class
    assert cls.colors == tuple(palette(3))
    lower = classify(CATALOG["sans_mt_17"], [5.0, 10.0, 15.0, 20.0, 25.0, 30.0])
    assert lower.method == "quantiles" and lower.direction == "lower"
    assert lower.colors == tuple(palette(lower.n)[::-1])


def test_quantiles_are_rounded_deduplicated_and_cover_single_values():
    cls = classify(CATALOG["density_mg"], [1.0, 1.0, 1.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0])
    assert list(cls.breaks) == sorted(set(cls.breaks)) and len(cls.labels) == len(cls.breaks) + 1
    one = classify(CATALOG["density_mg"], [3.0])
    assert one.method == "single" and one.labels == ("3,0",)
    empty = classify(CATALOG["density_mg"], [])
    assert empty.method == "empty" and empty.n == 0


def test_stepped_colorscale_puts_each_code_on_its_colour():
    cls = classify(CATALOG["apl_mg"], [1.0, 3.0, 5.0])
    scale, zmin, zmax = stepped_colorscale(cls)
    colors = [NO_DATA_COLOR, SECRET_COLOR, *cls.colors]
    for code, color in enumerate(colors):
        pos = (code - zmin) / (zmax - zmin)
        seg = [c for (a, c), (b, _) in zip(scale[::2], scale[1::2]) if a <= pos <= b]
        assert seg == [color]


# -- cached data access (same numbers as the store) -----------------------------------------------------
def test_cache_matches_store(tiny_store):
    s = tiny_store
    assert cache.years(s, "apl_mg") == s.years("apl_mg") == [2022, 2023]
    assert cache.years(s, "density_mg") == s.years("density_mg")
    codes = ["01001", "01002", "01004", "01006"]
    raw = getattr(s, "raw_commune_values", s.commune_values)
    pd.testing.assert_frame_equal(cache.commune_values(s, "apl_mg", codes, 2023).reset_index(drop=True),
                                  raw("apl_mg", codes, 2023).reset_index(drop=True), check_dtype=False)
    t = cache.territory(s, "aunis-sud")
    assert t.codes == s.territory("aunis-sud").codes == ("01001", "01002")
    e, ref = cache.entry(s, "apl_mg", t.codes, "01", 2023), s.indicator_entry("apl_mg", t.codes, "01", 2023)
    assert e["value"] == pytest.approx(ref["value"]) and e["reference"] == pytest.approx(ref["reference"])
    assert [x.id for x in cache.territories(s)] == [x.id for x in s.territories()]


def test_map_values_one_row_per_code_with_status(tiny_store):
    df = map_values(tiny_store, "apl_mg", ["01002", "01001", "01006"], 2023)
    assert list(df["code"]) == ["01002", "01001", "01006"]
    assert list(df["status"]) == ["ok", "ok", "missing"]
    assert df.loc[0, "value"] == pytest.approx(2.2)
    unavailable = map_values(tiny_store, "density_inf", ["01001"], None)
    assert list(unavailable["status"]) == ["missing"]


def test_secret_values_are_blanked(monkeypatch, tiny_store):
    rows = pd.DataFrame({"code": ["01001", "01002"], "value": [50.0, 40.0], "numerator": [50.0, 4.0],
                         "denominator": [100.0, 10.0], "year": [2024, 2024], "source_id": ["x", "x"],
                         "synthetic": [True, True]})
    monkeypatch.setattr(cache, "commune_values", lambda *a, **k: rows)
    df = map_values(tiny_store, "sans_mt_17", ["01001", "01002"], 2024)
    assert list(df["status"]) == ["ok", "secret"]
    assert df.loc[1, ["value", "numerator", "denominator"]].isna().all()   # never the raw value, never 0


# -- geometry ----------------------------------------------------------------------------------------
def test_area_geometry_for_territory_and_departement(tiny_store):
    g = area_geometry(tiny_store, codes=["01002", "01001"])
    assert g.codes == ("01001", "01002") and [ft["id"] for ft in g.geojson["features"]] == ["01001", "01002"]
    assert g.names == ("Alpha", "Beta")
    dep = area_geometry(tiny_store, departement="01")
    assert dep.codes == ("01001", "01002", "01004")       # 01006 has no polygon
    none = area_geometry(tiny_store, codes=["01006"])
    assert len(none) == 0 and none.missing == ("01006",) and none.bounds is None
    assert area_geometry(tiny_store, codes=["01001", "01002"]) is g       # cached per build and area
    lons, lats = territory_outline(tiny_store, ["01001", "01002"])
    assert len(lons) == len(lats) > 4 and None in lons
    v = view_for_bounds(g.bounds, 700, 600)
    assert 4.9 < v["center"]["lon"] < 5.4 and 7 < v["zoom"] < 12
