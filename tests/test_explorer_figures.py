"""Map explorer, figure builders: one feature per commune, the right values and classes, the legend,
a recolour (the Leaflet layer's hideout) that leaves the polygons in the browser, and the page's HTML
components."""
from __future__ import annotations

import json

import plotly
from dash import html

from dashboard.components.commune_panel import commune_panel
from dashboard.components.map_legend import map_legend
from dashboard.components.perimeter_note import perimeter_note
from dashboard.components.territory_panel import territory_panel
from dashboard.components.territory_selector import territory_options
from dashboard.maps import cache
from dashboard.maps.choropleth import TRACE_COMMUNES, TRACE_OUTLINE, map_figure, map_layer
from dashboard.maps.comparison import comparison_bars, comparison_chart
from dashboard.maps.geometry import area_geometry
from dashboard.maps.state import ExplorerState
from dashboard.maps.view import full_view
from atlas.catalog import CATALOG


def text_of(component) -> str:
    """All the text a person would read in a Dash component tree."""
    if component is None:
        return ""
    if isinstance(component, (str, int, float)):
        return str(component)
    if isinstance(component, (list, tuple)):
        return " ".join(text_of(c) for c in component)
    children = getattr(component, "children", None)
    return text_of(children)


def test_figure_has_one_feature_per_commune_with_the_right_classes(tiny_store):
    geom = area_geometry(tiny_store, departement="01")
    layer = map_layer(tiny_store, "apl_mg", geom.codes, 2023)
    fig = map_figure(geom, layer)
    tr = fig["data"][TRACE_COMMUNES]
    assert tr["type"] == "choroplethmap" and fig["layout"]["map"]["style"] == "white-bg"
    assert len(tr["geojson"]["features"]) == len(tr["locations"]) == len(tr["z"]) == 3
    assert tr["locations"] == ["01001", "01002", "01004"]
    # APL 2023: Alpha 3.2 (2.5-4), Beta 2.2 (< 2.5), Delta 4.8 (>= 4) -> codes 2 + class
    assert tr["z"] == [3, 2, 4]
    assert [c[0] for c in tr["customdata"]] == ["3,20", "2,20", "4,80"]
    assert tr["text"] == ["Alpha", "Beta", "Delta"]
    assert "%{customdata[0]}" in tr["hovertemplate"] and CATALOG["apl_mg"].unit in tr["hovertemplate"]
    assert "Année 2023" in tr["hovertemplate"] and "DREES" in tr["hovertemplate"]
    assert tr["showscale"] is False
    json.dumps(fig, cls=plotly.utils.PlotlyJSONEncoder)   # serialisable as is


def test_legend_spec_and_component(tiny_store):
    geom = area_geometry(tiny_store, departement="01")
    layer = map_layer(tiny_store, "apl_mg", geom.codes, 2022)
    lg = layer.legend
    assert lg["title"] == CATALOG["apl_mg"].label and lg["unit"] == CATALOG["apl_mg"].unit and lg["year"] == 2022
    classes = [e for e in lg["entries"] if e["kind"] == "class"]
    assert [e["label"] for e in classes] == ["moins de 2,50", "de 2,50 à moins de 4,00", "4,00 ou plus"]
    assert sum(e["count"] for e in lg["entries"]) == 3
    assert [e["kind"] for e in lg["entries"]][-1] == "no_data"
    txt = text_of(map_legend(lg))
    assert CATALOG["apl_mg"].unit in txt and "2022" in txt and "pas de donnée" in txt and "seuils fixes" in txt
    secret = map_layer(tiny_store, "sans_mt_17", geom.codes, None).legend
    assert any(e["kind"] == "secret" and "moins de 11 patients" in e["label"] for e in secret["entries"])
    assert not secret["available"] and "indisponible" in text_of(map_legend(secret))


def test_explorer_map_one_feature_per_commune_and_recolour_without_polygons(tiny_store):
    """The Leaflet map: one polygon per commune with its code and name; a recolour (hideout) carries
    per commune its class and hover texts, the class colours, and no geometry."""
    from dashboard.maps.classes import NO_DATA_COLOR, SECRET_COLOR
    from dashboard.maps.leaflet_map import commune_map, communes_geojson, hideout
    geom = area_geometry(tiny_store, codes=["01001", "01002"])
    layer = map_layer(tiny_store, "apl_mg_65", geom.codes, 2023)
    data = communes_geojson(geom)
    assert [f["id"] for f in data["features"]] == ["01001", "01002"]
    assert [f["properties"]["nom"] for f in data["features"]] == ["Alpha", "Beta"]
    h = hideout(layer)
    assert {c: v[0] for c, v in h["v"].items()} == {"01001": 3, "01002": 2}   # APL < 65 2023: 2.6, 1.6
    assert h["v"]["01001"][1] == "2,60"
    assert h["colors"][:2] == [NO_DATA_COLOR, SECRET_COLOR] and len(h["colors"]) == 2 + layer.classification.n
    assert "%{customdata[0]}" in h["tpl"] and "<extra>" not in h["tpl"]
    assert "coordinates" not in json.dumps(h) and "geometry" not in json.dumps(h)
    m = commune_map("t", geom, layer).to_plotly_json()
    panes = [c.to_plotly_json()["props"] for c in m["props"]["children"]]
    assert [p["name"] for p in panes] == ["atlas-communes", "atlas-outline", "atlas-points"]
    assert m["props"]["bounds"] == [[geom.bounds[1], geom.bounds[0]], [geom.bounds[3], geom.bounds[2]]]


def test_outline_and_points_geojson(tiny_store):
    import pandas as pd
    from dashboard.maps.geometry import territory_outline
    from dashboard.maps.leaflet_map import outline_geojson, points_geojson
    out = outline_geojson(territory_outline(tiny_store, ["01001", "01002"]))
    lines = out["features"][0]["geometry"]["coordinates"]
    assert lines and all(len(line) > 3 and line[0] == line[-1] for line in lines)   # closed rings
    assert outline_geojson(None)["features"] == []
    pts = pd.DataFrame({"lon": [4.1, 4.2], "lat": [45.1, 45.2], "profession": ["mg", "msp"], "label": ["a", "b"]})
    feats = points_geojson(pts, True)["features"]
    assert len(feats) == 2 and feats[0]["properties"]["color"] != feats[1]["properties"]["color"]
    assert points_geojson(pts, False)["features"] == []


def test_full_view_outlines_the_territory_in_its_departement(tiny_store):
    v = full_view(tiny_store, ExplorerState(territory="aunis-sud", choice="apl_mg", extent="departement"))
    assert len(v.figure["data"][TRACE_COMMUNES]["locations"]) == 3
    assert v.figure["data"][TRACE_OUTLINE]["lon"]            # the territory's outline is drawn
    t = full_view(tiny_store, ExplorerState(territory="aunis-sud", choice="apl_mg"))
    assert t.figure["data"][TRACE_COMMUNES]["locations"] == ["01001", "01002"]


def test_unavailable_indicator_renders_grey_not_error(tiny_store):
    v = full_view(tiny_store, ExplorerState(territory="aunis-sud", choice="density", profession="inf"))
    assert v.figure["data"][TRACE_COMMUNES]["z"] == [0, 0]
    assert v.layer.legend["available"] is False


def test_panels_and_selector(tiny_store):
    t = cache.territory(tiny_store, "aunis-sud")
    txt = text_of(territory_panel(tiny_store, t, "apl_mg", 2023))
    assert "Territoire" in txt and "France" in txt and "Ain" in txt
    note = text_of(perimeter_note(tiny_store, t))
    assert "approximatif" in note and "3 communes" in note and "1\u00a0400 habitants" in note   # published figures
    empty = cache.territory(tiny_store, "entre-loire-et-sucs")
    assert "Périmètre exact" not in text_of(perimeter_note(tiny_store, empty))
    panel = commune_panel(tiny_store, "01002", "apl_mg", 2023, t)
    ptxt = text_of(panel)
    assert "Beta" in ptxt and "2,20" in ptxt and "Territoire" in ptxt and "Département (Ain)" in ptxt
    labels = {o["value"]: o["label"] for o in territory_options(tiny_store)}
    assert "aunis-sud" in labels and "2 communes" in labels["aunis-sud"]
    assert isinstance(panel, html.Div)


def test_comparison_chart_numbers_in_french():
    rows = [("commune", "Beta", 2.2), ("territoire", "Territoire", 4.4), ("france", "France", None)]
    bars = comparison_bars(CATALOG["apl_mg"], rows)
    assert [b["text"] for b in bars] == ["2,20", "4,40", "pas de donnée"]
    assert [b["width"] for b in bars] == [50.0, 100.0, 0.0]           # from zero, the largest is full width
    chart = comparison_chart(CATALOG["apl_mg"], rows)
    assert "Beta : 2,20" in chart.to_plotly_json()["props"]["aria-label"]
    assert "pas de donnée" in text_of(chart)
