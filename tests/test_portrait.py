"""The portrait's parts on the server: SVG maps and charts, French texts about the CPTS, time series,
the one-commune context, the cache. Browser behaviour: tests/browser/test_portrait.py."""
from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from atlas import fmt
from atlas.catalog import CATALOG
from dashboard.components.svg_chart import nice_step, time_series_svg, y_range
from dashboard.components.svg_map import map_svg, projection
from dashboard.published import FIGURES, figure_rows, figure_value, perimeter_explanation

CPTS = ["ouest-rhodanien", "aunis-sud", "entre-loire-et-sucs", "atlantique-nord-loire", "venissieux"]
ENGLISH = re.compile(r"\b(press|release|inhabitants|approximately|members|per year|EUR|CANDIDATE|HYPOTHESIS|"
                     r"proxy|NOT|None)\b")


def _area(features, bounds):
    return SimpleNamespace(geojson={"type": "FeatureCollection", "features": features}, bounds=bounds,
                           codes=tuple(f["id"] for f in features), names=tuple(f["properties"]["nom"] for f in features))


def _square(code, x, y, nom):
    ring = [[x, y], [x + 1, y], [x + 1, y + 1], [x, y + 1], [x, y]]
    return {"type": "Feature", "id": code, "properties": {"code": code, "nom": nom},
            "geometry": {"type": "Polygon", "coordinates": [ring]}}


def test_projection_keeps_the_shape():
    proj = projection((0.0, 44.0, 2.0, 46.0), 400, 400, pad=0)
    x0, y0 = proj.xy(0.0, 46.0)
    x1, y1 = proj.xy(2.0, 44.0)
    assert (x1 - x0) / (y1 - y0) == pytest.approx(0.7071, abs=0.01)     # cos 45°: a degree of longitude is shorter
    assert y1 > y0                                                       # north up


def test_map_svg_draws_each_commune_with_its_colour_and_tip():
    area = _area([_square("01001", 5.0, 45.0, "Alpha"), _square("01002", 6.0, 45.0, "B<&>")], (5.0, 45.0, 7.0, 46.0))
    svg = map_svg(area, {"01001": "#225ea8"}, dashed=["01002"], tips={"01001": "Alpha : 2,5"}, label="Carte",
                  outline=((5.0, 7.0, 7.0, 5.0, 5.0, None), (45.0, 45.0, 46.0, 46.0, 45.0, None)))
    assert svg.count("data-code=") == 2 and 'fill="#225ea8"' in svg
    assert "Alpha : 2,5" in svg and "B&lt;&amp;&gt;" in svg, "names are escaped"
    assert 'class="atlas-map-dashed"' in svg and "stroke-dasharray" in svg
    assert 'class="atlas-map-outline"' in svg
    empty = map_svg(_area([], None), {}, label="Vide")
    assert "<path" not in empty


def test_chart_ticks_follow_the_displayed_precision():
    assert nice_step(0.9, decimals=1) in (0.2, 0.5)          # never 0.25 when values show one decimal
    assert nice_step(0.9, decimals=2) == 0.25
    lo, hi, step = y_range([11.0, 12.0], decimals=1)
    assert lo <= 11.0 and hi >= 12.0 and round(step * 10) == step * 10
    assert y_range([2.0, 4.0])[0] == 0.0                       # near zero: the axis starts at zero


def test_time_series_svg_writes_values_in_french_with_the_threshold():
    ind = CATALOG["apl_mg"]
    series = [{"level": "territoire", "label": "Territoire", "points": [(2022, 4.61), (2023, 4.58)]},
              {"level": "france", "label": "France", "points": [(2022, 3.8), (2023, 3.74)]}]
    svg = time_series_svg(series, ind, label="APL")
    assert "Territoire 4,58" in svg and "France 3,74" in svg and "seuil 2,5" in svg
    assert "2022" in svg and "2023" in svg and "4.58" not in svg
    assert svg.count("<polyline") == 2


def test_published_figures_in_french(atlas):
    for tid in CPTS:
        rows = atlas.published_figures(tid)
        for r in rows:
            assert r["figure"] in FIGURES, f"no French label for {r['figure']}"
        for label, value, date in figure_rows(tid, rows):
            assert not ENGLISH.search(f"{label} {value} {date}"), (tid, label, value)
        assert perimeter_explanation(atlas.territory(tid)) and not ENGLISH.search(perimeter_explanation(atlas.territory(tid)))
    funding = next(r for r in atlas.published_figures("entre-loire-et-sucs")
                   if r["figure"] == "annual_funding_assurance_maladie")
    assert figure_value(funding) == fmt.with_unit(fmt.integer(382500), "€ par an")
    pop = next(r for r in atlas.published_figures("aunis-sud") if r["figure"] == "population")
    assert figure_value(pop).endswith("(INSEE 2019)")


def test_perimeter_summary_says_what_is_approximate(atlas):
    from dashboard.components.perimeter_note import perimeter_summary
    aunis = perimeter_summary(atlas, atlas.territory("aunis-sud"), cite=False)
    t = atlas.territory("aunis-sud")
    assert fmt.plural(atlas.communes.population_of(t.codes), "habitant") in aunis
    assert fmt.plural(74413, "habitant") + " (INSEE 2019)" in aunis
    els = perimeter_summary(atlas, atlas.territory("entre-loire-et-sucs"))
    assert "30\u00a0communes" in els and "43\u00a0communes" in els and "14\u00a0communes candidates" in els
    assert not ENGLISH.search(els)
    assert perimeter_summary(atlas, atlas.territory("venissieux")) == ""


def test_one_commune_territory_is_set_in_its_epci(atlas):
    from dashboard.exports.portrait_data import cached_portrait, comparison_levels, context_territory
    t = atlas.territory("venissieux")
    ctx = context_territory(atlas, t)
    assert ctx is not None and ctx.kind == "epci" and t.codes[0] in ctx.codes and len(ctx.codes) > 1
    assert context_territory(atlas, atlas.territory("aunis-sud")) is None
    p = cached_portrait(atlas, "venissieux")
    assert cached_portrait(atlas, "venissieux") is p, "computed once per territory and version"
    levels = [k for k, _n, _v in comparison_levels(p, "apl_mg")]
    assert levels == ["territoire", "epci", "departement", "region", "france"]
    epci_apl = atlas.entry("apl_mg", ctx)["value"]
    assert dict((k, v) for k, _n, v in comparison_levels(p, "apl_mg"))["epci"] == epci_apl


def test_time_series_use_the_figure_of_each_year(atlas):
    from dashboard.exports.portrait_data import cached_portrait
    t = atlas.territory("aunis-sud")
    p = cached_portrait(atlas, "aunis-sud")
    ev = next(e for e in p["evolution"] if e["id"] == "apl_mg")
    assert ev["years"] == atlas.years_for("apl_mg", t.codes)
    terr = dict(ev["series"][0]["points"])
    for y in ev["years"]:
        e = atlas.entry("apl_mg", t, year=y)
        assert terr[y] == e["value"]
        france = dict(next(s for s in ev["series"] if s["level"] == "france")["points"])
        assert france[y] == e["reference"]["france"]
    assert cached_portrait(atlas, "atlantique-nord-loire")["evolution"] == []


def test_deck_is_cached_per_view(atlas):
    from dashboard.components.portrait_deck import cached_deck
    first = cached_deck(atlas, "ouest-rhodanien", "apl_mg", 2022)
    assert cached_deck(atlas, "ouest-rhodanien", "apl_mg", 2022) is first
    assert cached_deck(atlas, "ouest-rhodanien", "apl_mg", 2023) is not first
    ids = [s.id for s in first]
    assert ids[0] == "slide-territoire" and ids[-1] == "slide-sources" and "slide-carte" in ids
