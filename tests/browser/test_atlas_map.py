"""The map engine (dashboard/assets/atlas_map.js + dashboard/components/atlas_map.py) in headless
Chromium, on the session's build, through the map explorer (the app the tests serve).

France and région views draw the right number of communes (``data-features``), a recolour
repaints, a click reaches the Dash store, keyboard and wheel move the map, and the browser writes
numbers exactly as ``atlas.fmt`` does. ``page`` fails a test on any request leaving localhost
and on any console error.
"""
from __future__ import annotations

import pytest

from atlas import fmt

pytestmark = pytest.mark.browser

MAP = "[data-atlas-map=explorer]"
VIEWS = {"france": "territoire=aunis-sud&etendue=france&indicateur=apl_mg",
         "region": "territoire=reg-84&indicateur=apl_mg",
         "cpts": "territoire=epci-200040566&indicateur=apl_mg"}
READY = f"""() => {{ const c = document.querySelector('{MAP}');
  return !!c && c.getAttribute('data-state') === 'ready' && c.getAttribute('data-paint') !== null; }}"""


def attr(page, name):
    return page.get_attribute(MAP, name)


def open_view(page, base, view):
    page.responses = []
    page.on("response", lambda r: page.responses.append(r))
    page.goto(f"{base}/?{VIEWS[view]}")
    page.wait_for_function(READY, polling=100, timeout=60_000)
    assert attr(page, "data-paint-error") is None


@pytest.fixture(scope="module")
def index(built_data_dir):
    from atlas import paths
    from atlas.geo.topojson import read_index
    return read_index(paths.current_build(built_data_dir).resolve())


def test_france_draws_every_commune_with_geometry_and_recolours(page, live_server, index, artifacts_dir):
    open_view(page, live_server, "france")
    assert int(attr(page, "data-features")) == len(index.codes) == 34_871
    geo = [r for r in page.responses if "/atlas-geo/" in r.url]
    assert len(geo) == 1 and geo[0].headers.get("content-encoding") in ("br", "gzip")
    assert "immutable" in geo[0].headers.get("cache-control", "")
    labels = page.locator(".atlas-map-label").all_inner_texts()
    assert labels == ["Guadeloupe", "Martinique", "Guyane", "La Réunion", "Mayotte"]
    page.screenshot(path=str(artifacts_dir / "atlas_map_france.png"))
    before = attr(page, "data-paint")
    page.select_option("#explorer-indicator", "density")
    page.wait_for_function(f"() => document.querySelector('{MAP}').getAttribute('data-paint') !== {before!r}")
    assert "indicateur=density" in attr(page, "data-paint") and attr(page, "data-paint-error") is None
    stats = page.evaluate("() => window.atlasMap.stats('explorer')")
    assert stats["paints"] >= 1 and stats["features"] == 34_871
    # the recolour sent no geometry and no code: classes and values only
    update = [r for r in page.responses if "_dash-update-component" in r.url]
    assert update and all(b"Topology" not in r.body() and b'"01001"' not in r.body() for r in update)


def test_region_draws_its_communes(page, live_server, index):
    open_view(page, live_server, "region")
    assert int(attr(page, "data-features")) == len(index.area_codes("reg-84")) == 4_021


def test_click_on_a_commune_reaches_the_store_and_comes_back_selected(page, live_server):
    open_view(page, live_server, "cpts")
    assert int(attr(page, "data-features")) == 31
    point = page.evaluate("() => window.atlasMap.screenPoint('explorer', '69243')")    # Tarare
    assert point is not None
    page.mouse.move(point["x"], point["y"])
    tip = page.locator(".atlas-map-tooltip")
    tip.wait_for(state="visible")
    assert "Tarare (69243)" in tip.inner_text()
    page.mouse.click(point["x"], point["y"])
    # the click store feeds the explorer's state, which sends the selection back
    page.wait_for_function(f"() => document.querySelector('{MAP}').getAttribute('data-selected') === '69243'")
    assert attr(page, "data-clicked") == "69243"


def test_keyboard_wheel_and_buttons_move_the_map(page, live_server):
    open_view(page, live_server, "cpts")
    box = page.locator(MAP)
    box.focus()
    assert page.evaluate(f"() => document.activeElement === document.querySelector('{MAP}')")
    view = "() => JSON.stringify(window.atlasMap.engine('explorer').view)"
    v0 = page.evaluate(view)
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("+")
    page.wait_for_function(f"() => ({view})() !== {v0!r}")
    assert attr(page, "data-view") == "moved"
    page.keyboard.press("0")
    assert attr(page, "data-view") == "fit"
    b = box.bounding_box()
    page.mouse.move(b["x"] + b["width"] / 2, b["y"] + b["height"] / 2)
    page.mouse.wheel(0, -300)
    page.wait_for_function(f"() => document.querySelector('{MAP}').getAttribute('data-view') === 'moved'")
    page.get_by_role("button", name="Recadrer la carte").click()
    assert attr(page, "data-view") == "fit"


def test_paint_for_another_set_of_communes_is_refused(page, live_server):
    open_view(page, live_server, "cpts")
    err = page.evaluate("""() => { const e = window.atlasMap.engine('explorer');
        e.setPaint(Object.assign({}, e.paint, {n: 5, key: 'wrong'}));
        return document.querySelector('[data-atlas-map=explorer]').getAttribute('data-paint-error'); }""")
    assert err and "31" in err


VALUES = [0, -0.0, 0.5, 1.5, 2.5, 0.125, 0.375, 2.675, 1.005, 0.045, -0.04, -0.06, 1234.5, -1234.56, 999.96,
          12345.675, 1e6 + 0.05, 123456789.123, 99999.95, 1 / 3, 2 / 3, 4.58113, 1e-7, 7.25, -7.25, 1e15 + 0.3,
          None, float("nan"), float("inf")]


def test_browser_writes_numbers_exactly_as_atlas_fmt(page, live_server):
    open_view(page, live_server, "cpts")
    spec = fmt.js_spec()
    cases = [(x, d) for x in VALUES for d in (0, 1, 2, 3)]
    got = page.evaluate("([cases, spec]) => cases.map(([x, d]) => window.atlasMap.format.number(x, d, spec))",
                            [[list(c) for c in cases], spec])     # Playwright carries NaN, ±Infinity and -0
    want = [fmt.number(x, d) for x, d in cases]
    assert got == want


def test_browser_writes_values_with_units_as_atlas_fmt(page, live_server):
    from atlas.catalog import CATALOG
    from dashboard.components.atlas_map import indicator_format

    open_view(page, live_server, "cpts")
    for iid in ("apl_mg", "density_mg_liberal", "sans_mt_17", "population", "count_cds", "count_msp"):
        ind = CATALOG[iid]
        spec = indicator_format(ind)
        for x in (0, 1, 3.14159, 12.5, 1234.5678, 45.25):
            got = page.evaluate("([x, f]) => window.atlasMap.format.value(x, f)", [x, spec])
            assert got == fmt.value(x, ind, unit=True), (iid, x)


def test_points_are_drawn_and_moved_into_the_drom_insets(page, live_server, built_data_dir):
    from atlas import paths
    from atlas.geo.topojson import read_area

    open_view(page, live_server, "france")
    n = page.evaluate("""() => { window.atlasMap.setPoints('explorer', {lon: [4.43, 55.45], lat: [45.9, -20.88],
        color: ['#d95f02', '#1b9e77'], label: ['Cabinet à Tarare', 'Cabinet à Saint-Denis']});
        return document.querySelector('[data-atlas-map=explorer]').getAttribute('data-points'); }""")
    assert n == "2"
    # Saint-Denis de La Réunion lands in the Réunion box, as the commune polygons do
    reunion = next(i for i in read_area(paths.current_build(built_data_dir).resolve(), "france").meta["insets"]
                   if i["code"] == "974")
    inside = page.evaluate("""([lon, lat, box]) => { const p = window.atlasMap.project('explorer', lon, lat);
        const a = window.atlasMap.project('explorer', box[0], box[3]), b = window.atlasMap.project('explorer', box[2], box[1]);
        return p[0] > a[0] && p[0] < b[0] && p[1] > a[1] && p[1] < b[1]; }""", [55.45, -20.88, reunion["box"]])
    assert inside


def test_browser_writes_changes_with_their_sign_as_atlas_fmt(page, live_server):
    """Change maps (two years, a scenario) label the values like fmt.signed: +1,2 / −0,5 / 0,0."""
    open_view(page, live_server, "cpts")
    spec = {**fmt.js_spec(), "decimals": 1, "signed": True, "unit": ""}
    for x in (0, -0.0, 0.04, -0.04, 1.25, -0.5, 12.0, -1234.56, None):
        got = page.evaluate("([x, f]) => window.atlasMap.format.value(x, f)", [x, spec])
        assert got == fmt.signed(x, 1), x
