"""Generic map code: URL state (one encoder, one decoder), classes that inform, layers and legends,
panels — on the tiny world of tests/factories.py (01001 Alpha, 01002 Beta, 01004 Delta with
polygons, 01006 Epsilon without; CPTS Aunis Sud = {01001, 01002})."""
from __future__ import annotations

import numpy as np
import pytest
from dash import html

from atlas.catalog import CATALOG
from dashboard import palette
from dashboard.components.comparison_bars import bars, comparison_bars
from dashboard.components.commune_panel import commune_panel
from dashboard.components.legend import legend
from dashboard.components.perimeter_note import perimeter_note
from dashboard.components.territory_panel import territory_panel
from dashboard.exports.map_figure import map_figure, stepped_colorscale
from dashboard.maps.classes import Z_NO_DATA, Z_SECRET, class_codes, classify, classify_change, colors_of, jenks_breaks
from dashboard.maps.layer import build_layer
from dashboard.maps.view import view_codes
from dashboard.state import parse_state
from dash_text import text_of


# -- URL state --------------------------------------------------------------------------------------------
def test_state_round_trip_through_the_url():
    st = parse_state({"territoire": "aunis-sud", "indicateur": "apl_mg", "annee": "2022"})
    assert (st.territory, st.choice, st.indicator_id, st.year, st.extent) == ("aunis-sud", "apl_mg", "apl_mg", 2022,
                                                                                "territoire")
    assert parse_state(st.to_query()) == st
    d = parse_state({"territoire": "dep-17", "indicateur": "density", "profession": "inf", "mode": "liberal",
                     "etendue": "region", "lieux": "1", "vue": "evolution", "depuis": "2018", "annee": "2019",
                     "commune": "17300"})
    assert d.indicator_id == "density_inf_liberal" and d.extent == "region" and d.locations and d.since == 2018
    assert parse_state(d.to_query()) == d
    assert "etendue=region" in d.search() and "commune=17300" in d.search()


def test_state_keeps_only_what_the_indicator_has():
    # the GP-less share has no profession and no mode: the URL does not carry them
    st = parse_state({"territoire": "x", "indicateur": "sans_mt_17", "profession": "dent", "mode": "liberal"})
    assert st.profession is None and st.mode is None
    assert "profession" not in st.to_query() and "mode" not in st.to_query()
    # an indicator id gives choice, profession and mode; bad values fall back
    mk = parse_state({"indicateur": "density_mk_liberal", "annee": "abc", "etendue": "lune"}, "venissieux")
    assert (mk.territory, mk.choice, mk.profession, mk.mode, mk.year, mk.extent) == \
        ("venissieux", "density", "mk", "liberal", None, "territoire")
    assert parse_state({"indicateur": "bogus"}).indicator_id == "density_mg_liberal"
    assert parse_state({"indicateur": "apl_mg", "profession": "inf"}).profession is None
    assert parse_state({"indicateur": "access", "profession": "sf"}).indicator_id == "access_sf"
    assert parse_state({"indicateur": "density", "profession": "pharmacy"}).indicator_id == "density_pharmacy"


def test_links_carry_the_territory_to_the_other_pages():
    st = parse_state({"territoire": "aunis-sud", "indicateur": "apl_mg", "annee": "2023"})
    links = st.links()
    assert links["/portrait"] == "?territoire=aunis-sud&indicateur=apl_mg&annee=2023"
    assert links["/editeur"] == "?territoire=aunis-sud"


# -- classes ------------------------------------------------------------------------------------------------
def test_fixed_thresholds_include_the_drees_threshold():
    cls = classify(CATALOG["apl_mg"], [1.0, 3.0, 5.0])
    assert cls.method == "thresholds" and 2.5 in cls.breaks
    codes = class_codes([1.0, 2.5, 4.6, np.nan, 2.0], ["ok", "ok", "ok", "missing", "secret"], cls)
    assert list(codes) == [2, 4, 6, Z_NO_DATA, Z_SECRET]
    assert cls.colors[-1] == palette.sequential(cls.n)[-1]          # higher is better: darkest = highest


def test_lower_is_better_reverses_the_palette():
    lower = classify(CATALOG["sans_mt_17"], [5.0, 10.0, 15.0, 20.0, 25.0, 30.0])
    assert lower.method == "quantiles" and lower.direction == "lower"
    assert lower.colors == tuple(palette.sequential(lower.n)[::-1])


def test_edge_cases_all_zeros_two_values_one_commune():
    dens = CATALOG["density_mg_liberal"]
    zeros = classify(dens, [0.0, 0.0, 0.0])
    assert zeros.method == "single" and not zeros.zero_class and zeros.labels == ("0,0",)
    two = classify(dens, [2.0, 2.0, 5.0, 5.0, 5.0])
    assert two.method == "distinct" and two.labels == ("2,0", "5,0")
    assert list(class_codes([2.0, 5.0], ["ok", "ok"], two)) == [2, 3]
    one = classify(dens, [3.0])
    assert one.method == "single" and one.labels == ("3,0",)
    empty = classify(dens, [])
    assert empty.method == "empty" and empty.n == 0
    assert list(class_codes([np.nan], ["missing"], empty)) == [Z_NO_DATA]


def test_zero_is_its_own_class_and_collapsing_quantiles_switch_to_natural_breaks():
    dens = CATALOG["density_mg_liberal"]
    values = [0.0] * 300 + [7.5] * 40 + [8.0, 9.0, 10.0, 30.0, 40.0, 41.0, 41.5]
    cls = classify(dens, values)
    assert cls.zero_class and cls.labels[0] == "aucun (0)" and cls.colors[0] == palette.ZERO
    assert cls.method == "jenks" and "seuils naturels" in cls.note
    codes = class_codes(values, ["ok"] * len(values), cls)
    assert set(codes[:300]) == {2} and 2 not in set(codes[300:])   # zeros alone in their class
    assert len(set(codes)) >= 4                                    # the map still tells communes apart


def test_jenks_finds_obvious_groups():
    assert jenks_breaks(np.array([1, 1, 2, 2, 10, 10, 11, 30, 31, 32], dtype=float), 3) == [10.0, 30.0]


def test_change_classes_are_diverging_and_centred():
    cls = classify_change(CATALOG["apl_mg"], [-0.6, -0.2, 0.0, 0.3, 0.9])
    assert cls.method == "change" and cls.n == 7 and "stable (0)" in cls.labels
    codes = class_codes([-0.6, 0.0, 0.9], ["ok"] * 3, cls)
    assert codes[0] < codes[1] < codes[2] and cls.colors[3] == "#f7f7f7"


def test_stepped_colorscale_puts_each_code_on_its_colour():
    cls = classify(CATALOG["apl_mg"], [1.0, 3.0, 5.0])
    colors = colors_of(cls)
    scale, zmin, zmax = stepped_colorscale(colors)
    for code, color in enumerate(colors):
        pos = (code - zmin) / (zmax - zmin)
        seg = [c for (a, c), (b, _) in zip(scale[::2], scale[1::2]) if a <= pos <= b]
        assert seg == [color]


# -- layers, legends, areas ---------------------------------------------------------------------------------
def test_layer_and_legend(tiny_atlas):
    t = tiny_atlas.territory("aunis-sud")
    area = tiny_atlas.geometry.area(view_codes(tiny_atlas, t, "departement")[1])
    assert area.codes == ("01001", "01002", "01004")
    assert tiny_atlas.geometry.area(["01001", "01006"]).missing == ("01006",)     # no polygon: reported
    layer = build_layer(tiny_atlas, "apl_mg", area.codes, 2023, focus=t.codes)
    assert list(layer.values) == pytest.approx([3.2, 2.2, 4.8])
    spec = layer.legend
    assert spec["available"] and spec["period"] == "2023" and spec["n_with_value"] == 3
    assert any("APL < 2,5" in x for x in spec["thresholds"])
    assert sum(e["count"] for e in spec["entries"]) == 3
    text = text_of(legend(spec))
    assert "DREES" in text and "Source" in text
    fig = map_figure(area, layer, outline=tiny_atlas.geometry.outline(t.codes))
    assert fig["data"][0]["locations"] == ["01001", "01002", "01004"] and fig["data"][1]["lon"]


def test_change_layer_between_two_years(tiny_atlas):
    layer = build_layer(tiny_atlas, "apl_mg", ["01001", "01002", "01004"], 2023, mode="evolution", since=2022)
    # 01001 absorbed 01003 (APL 1.0 on 200 std. inhabitants): 2022 = (3*800 + 1*200) / 1000 = 2.6
    assert list(layer.values) == pytest.approx([3.2 - 2.6, 2.2 - 2.0, 4.8 - 5.0])
    assert layer.legend["period"] == "2022 → 2023" and layer.classification.method == "change"


def test_unavailable_indicator_is_grey_with_a_reason(tiny_atlas):
    layer = build_layer(tiny_atlas, "density_inf", ["01001", "01002"])
    assert list(layer.z) == [Z_NO_DATA, Z_NO_DATA] and layer.legend["available"] is False


def test_panels(tiny_atlas):
    t = tiny_atlas.territory("aunis-sud")
    txt = text_of(territory_panel(tiny_atlas, t, "apl_mg", 2023))
    assert "Territoire" in txt and "France" in txt and "Ain" in txt
    note = text_of(perimeter_note(tiny_atlas, t))
    assert "approximatif" in note and "3\u00a0communes" in note and "1\u202f400\u00a0habitants" in note
    empty = tiny_atlas.territory("atlantique-nord-loire")
    assert "Périmètre inconnu" in text_of(perimeter_note(tiny_atlas, empty))
    ptxt = text_of(commune_panel(tiny_atlas, "01002", "apl_mg", 2023, t))
    assert "Beta" in ptxt and "2,20" in ptxt and "Territoire" in ptxt and "Département (Ain)" in ptxt
    nogeo = text_of(commune_panel(tiny_atlas, "01006", "population", None, None))
    assert "Contour indisponible" in nogeo
    assert isinstance(commune_panel(tiny_atlas, "99999", "apl_mg", 2023, t), html.Div)


def test_comparison_bars_in_french():
    rows = [("commune", "Beta", 2.2), ("territoire", "Territoire", 4.4), ("france", "France", None)]
    bs = bars(CATALOG["apl_mg"], rows)
    assert [b["text"] for b in bs] == ["2,20", "4,40", "donnée indisponible"]
    assert [b["width"] for b in bs] == [50.0, 100.0, 0.0]
    chart = comparison_bars(CATALOG["apl_mg"], rows)
    assert "Beta : 2,20" in chart.to_plotly_json()["props"]["aria-label"]
