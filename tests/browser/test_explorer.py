"""Map explorer in headless Chromium, on the mirror build (with demo data): what a person sees.

For each of the five CPTS: open the page by URL, switch indicator, profession and mode with the
controls, check the title, the legend and the URL change, count the communes the map drew
(``data-features`` of the map), hover and click a commune. Plus: URL state and the back button,
the whole département, the région and France (DROM as insets), the commune search, the change
map, the practice locations, and that a recolour sends values, not polygons. The ``page`` fixture
fails a test on any request leaving localhost and on any console error.
"""
from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from atlas.catalog import PROFESSIONS

from .text import norm

pytestmark = [pytest.mark.browser, pytest.mark.integration]

TERRITORIES = ["ouest-rhodanien", "aunis-sud", "entre-loire-et-sucs", "atlantique-nord-loire", "venissieux"]
MAP = "[data-atlas-map='explorer']"


def features(page) -> int:
    return int(page.get_attribute(MAP, "data-features") or 0)


def wait_features(page, expected: int) -> None:
    js = f"() => {{ const m = document.querySelector(\"{MAP}\"); return m && m.getAttribute('data-state') === 'ready' " \
         f"&& Number(m.getAttribute('data-features')) === {expected}; }}"
    try:
        page.wait_for_function(js, polling=100, timeout=40_000)
    except Exception:  # noqa: BLE001 - say what the map shows
        pytest.fail(f"the map shows {features(page)} communes, {expected} expected "
                    f"(state {page.get_attribute(MAP, 'data-state')})")


def wait_painted(page) -> None:
    """The last paint the server sent has been applied (its key is the view's query string)."""
    page.wait_for_function(f"() => document.querySelector(\"{MAP}\").getAttribute('data-paint') === location.search",
                           timeout=20_000)


def open_explorer(page, base: str, **query) -> None:
    page.goto(f"{base}/?{urlencode(query)}")
    page.wait_for_selector(f"{MAP}[data-state='ready']", state="attached", timeout=40_000)


def title(page) -> str:
    return norm(page.inner_text("#explorer-title-text"))


def legend(page) -> str:
    return norm(page.inner_text("#explorer-legend"))


def change(page, control: str, value: str) -> None:
    """Change a control as a person would and wait until the title or legend has been redrawn."""
    before = title(page) + legend(page)
    if control in ("explorer-mode", "explorer-extent", "explorer-view"):
        page.locator(f"#{control} input[value='{value}']").check(force=True)
    else:
        page.select_option(f"#{control}", value)
    page.wait_for_function("(b) => (document.querySelector('#explorer-title-text').innerText + "
                           "document.querySelector('#explorer-legend').innerText).replace(/\\s/g, ' ') "
                           "!== b.replace(/\\s/g, ' ')", arg=before, timeout=20_000)


def wait_query(page, **expected) -> None:
    js = ("(e) => { const q = new URLSearchParams(location.search); "
          "return Object.entries(e).every(([k, v]) => v === null ? !q.has(k) : q.get(k) === v); }")
    try:
        page.wait_for_function(js, arg=expected, timeout=10_000)
    except Exception:  # noqa: BLE001
        pytest.fail(f"URL {page.url} does not say {expected}")


def click_commune(page, code: str) -> None:
    point = page.evaluate(f"() => window.atlasMap.screenPoint('explorer', '{code}')")
    assert point is not None, f"{code} is not drawn"
    page.mouse.move(point["x"], point["y"])
    page.mouse.click(point["x"], point["y"])


def biggest_commune(atlas, codes):
    c = atlas.communes.table.loc[list(codes)]
    return c.sort_values("population", ascending=False).iloc[0]


@pytest.mark.parametrize("tid", TERRITORIES)
def test_territory_view(page, live_server, atlas, artifacts_dir, tid):
    t = atlas.territory(tid)
    open_explorer(page, live_server, territoire=tid)
    assert t.name in title(page)
    assert "Densité de médecins généralistes libéraux" in title(page)   # a real indicator by default
    assert "pour 10 000 habitants" in legend(page) and "INSEE" in legend(page)
    wait_query(page, territoire=tid)

    if not t.codes:
        # Perimeter unknown: said plainly, with the way to the editor; its département is drawn instead.
        msg = page.locator("#explorer-empty-perimeter")
        assert msg.is_visible() and "Périmètre inconnu" in msg.inner_text()
        assert page.locator("#explorer-empty-perimeter a[href^='/editeur']").count() == 1
        wait_features(page, len(atlas.geometry.area_codes(f"dep-{t.departement}")))
        page.screenshot(path=str(artifacts_dir / f"explorer-{tid}-empty.png"), full_page=True)
        return

    expected = len(atlas.geometry.drawable(t.codes))
    assert expected == len(t.codes)                     # every commune of the mirror's CPTS has a polygon
    wait_features(page, expected)
    assert f"{expected} commune" in norm(page.inner_text("#explorer-subtitle"))

    change(page, "explorer-indicator", "apl_mg")
    assert "Accessibilité potentielle localisée" in title(page) and "APL < 2,5" in legend(page)
    change(page, "explorer-indicator", "density")
    change(page, "explorer-profession", "inf")
    assert PROFESSIONS["inf"] in title(page).lower()
    change(page, "explorer-mode", "all")
    assert "libéraux" not in title(page)
    wait_query(page, indicateur="density", profession="inf", mode="tous")
    wait_features(page, expected)                       # recoloured: still one feature per commune
    wait_painted(page)

    # hover and click the most populous commune: tooltip, then the commune panel beside the references
    c = biggest_commune(atlas, t.codes)
    click_commune(page, c.name)
    tip = page.locator(".atlas-map-tooltip")
    tip.wait_for(state="visible")
    assert c.nom in tip.inner_text()
    page.wait_for_selector("#explorer-commune-panel .commune-panel")
    panel = norm(page.inner_text("#explorer-commune-panel"))
    assert c.nom in panel and "France" in panel and "Département" in panel
    assert page.locator("#explorer-commune-panel .commune-chart").count() == 1
    wait_query(page, commune=c.name)
    page.wait_for_function(f"() => document.querySelector(\"{MAP}\").getAttribute('data-selected') === '{c.name}'")
    page.screenshot(path=str(artifacts_dir / f"explorer-{tid}.png"), full_page=True)


def test_url_state_and_back_button(page, live_server, atlas):
    open_explorer(page, live_server, territoire="aunis-sud", indicateur="apl_mg", annee="2022")
    wait_features(page, len(atlas.territory("aunis-sud").codes))
    assert page.input_value("#explorer-indicator") == "apl_mg" and page.input_value("#explorer-year") == "2022"
    assert "(2022)" in title(page)
    change(page, "explorer-indicator", "apl_mg_65")
    assert "moins de 65 ans" in title(page) and "(2022)" in title(page)     # the year kept where it exists
    wait_query(page, indicateur="apl_mg_65", annee="2022")
    change(page, "explorer-year", "2023")
    wait_query(page, annee="2023")
    page.go_back()
    page.wait_for_function("() => document.querySelector('#explorer-title-text').innerText.includes('(2022)')")
    assert page.input_value("#explorer-year") == "2022"
    page.go_back()
    page.wait_for_function("() => !document.querySelector('#explorer-title-text').innerText.includes('moins de 65')")
    assert page.input_value("#explorer-indicator") == "apl_mg"
    wait_query(page, indicateur="apl_mg")
    # the profession of a density does not stick to the URL of an indicator without professions
    change(page, "explorer-indicator", "sans_mt_17")
    wait_query(page, indicateur="sans_mt_17", profession=None, mode=None)
    assert page.locator("#explorer-mode input[type=radio]:not([disabled])").count() == 0
    # a shared link reopens the same view
    shared = page.url
    other = page.context.new_page()
    other.goto(shared)
    other.wait_for_selector(f"{MAP}[data-state='ready']", state="attached", timeout=40_000)
    other.wait_for_function("(t) => document.querySelector('#explorer-title-text').innerText.replace(/\\s/g, ' ')"
                            " === t", arg=title(page))
    other.close()


def test_departement_region_and_france(page, live_server, atlas, artifacts_dir):
    open_explorer(page, live_server, territoire="aunis-sud", etendue="departement")
    wait_features(page, len(atlas.geometry.area_codes("dep-17")))
    assert "462 communes" in norm(page.inner_text("#explorer-subtitle"))
    change(page, "explorer-extent", "region")
    wait_features(page, len(atlas.geometry.area_codes("reg-75")))
    wait_query(page, etendue="region")
    page.screenshot(path=str(artifacts_dir / "explorer-region-75.png"))
    change(page, "explorer-extent", "france")
    wait_features(page, len(atlas.geometry.area_codes("france")))
    assert features(page) > 34_800
    wait_painted(page)
    page.screenshot(path=str(artifacts_dir / "explorer-france.png"))
    # recolour France: the legend counts every commune
    change(page, "explorer-indicator", "apl_mg")
    wait_painted(page)
    counts = page.locator("#explorer-legend .legend-entry").evaluate_all(
        "els => els.map(e => Number(e.getAttribute('data-count')))")
    assert sum(counts) == features(page)
    # a click on a commune of Réunion (drawn in its inset) opens its panel
    click_commune(page, "97411")
    page.wait_for_selector("#explorer-commune-panel .commune-name")
    assert "Saint-Denis" in page.inner_text("#explorer-commune-panel")


def test_commune_search_by_keyboard(page, live_server, atlas):
    open_explorer(page, live_server, territoire="ouest-rhodanien")
    wait_features(page, len(atlas.territory("ouest-rhodanien").codes))
    page.click(".commune-search")
    page.fill(".dash-dropdown-search", "tarare")
    page.wait_for_selector("[role=option]:has-text('Tarare')")
    page.keyboard.press("Enter")
    page.wait_for_selector("#explorer-commune-panel .commune-name")
    assert "Tarare" in page.inner_text("#explorer-commune-panel")
    wait_query(page, commune="69243")


def test_change_map_between_two_years(page, live_server, atlas, artifacts_dir):
    open_explorer(page, live_server, territoire="aunis-sud", indicateur="density_mg_liberal")
    wait_features(page, len(atlas.territory("aunis-sud").codes))
    change(page, "explorer-view", "evolution")
    assert "Évolution" in title(page) and "2018 → 2019" in title(page)
    assert "stable (0)" in legend(page) and "symétriques autour de zéro" in legend(page)
    wait_query(page, vue="evolution", depuis="2018", annee="2019")
    page.screenshot(path=str(artifacts_dir / "explorer-evolution.png"))


def test_recolour_sends_values_not_polygons(page, live_server, atlas):
    open_explorer(page, live_server, territoire="ouest-rhodanien")
    wait_features(page, len(atlas.territory("ouest-rhodanien").codes))
    responses = []
    page.on("response", lambda r: responses.append(r) if "_dash-update-component" in r.url else None)
    change(page, "explorer-indicator", "sans_mt_17")
    page.wait_for_load_state("networkidle")
    bodies = [r.body() for r in responses if r.status == 200]
    assert bodies and all(b"coordinates" not in b and b'"arcs"' not in b for b in bodies)
    assert sum(len(b) for b in bodies) < 20_000
    paint = next(json.loads(b)["response"] for b in bodies if b"atlas-map-paint" in b)
    sent = next(v for k, v in paint.items() if "atlas-map-paint" in k)["data"]
    assert sent["n"] == len(atlas.territory("ouest-rhodanien").codes) == len(sent["classes"])


def test_locations_layer_toggles(page, live_server, atlas):
    open_explorer(page, live_server, territoire="venissieux", indicateur="density", profession="inf")
    wait_features(page, 1)
    switch = page.locator("#explorer-locations")
    if switch.is_disabled():
        pytest.skip("no locations.parquet in this build")
    switch.check(force=True)
    page.wait_for_function(f"() => Number(document.querySelector(\"{MAP}\").getAttribute('data-points') || 0) > 0",
                           timeout=20_000)
    assert "lieux d'exercice : infirmiers" in page.inner_text("#explorer-points-legend")
    wait_query(page, lieux="1")


def test_exports_follow_the_view_shown(page, live_server, atlas, artifacts_dir):
    """The explorer's export buttons export what is on screen: the PNG is the map shown (indicator,
    year, whole département), the CSV holds the territory's communes."""
    from PIL import Image
    open_explorer(page, live_server, territoire="aunis-sud", etendue="departement", indicateur="apl_mg")
    wait_features(page, 462)
    change(page, "explorer-indicator", "density")
    change(page, "explorer-profession", "inf")
    btn = "#explorer-exports [id*='atlas-export-btn'][id*='\"format\":\"{}\"']"
    with page.expect_download(timeout=120_000) as dl:
        page.click(btn.format("png"))
    assert dl.value.suggested_filename.endswith(".png") and "density_inf" in dl.value.suggested_filename
    png = artifacts_dir / "explorer-export-departement-17.png"
    dl.value.save_as(str(png))
    with Image.open(png) as im:
        assert im.size == (1920, 1080)
        assert len(im.convert("RGB").resize((192, 108)).getcolors(maxcolors=100_000)) > 20
    with page.expect_download(timeout=60_000) as dl:
        page.click(btn.format("csv"))
    text = open(dl.value.path(), encoding="utf-8-sig").read()
    assert text.startswith("# Atlas") and "density_inf" in text and "apl_mg" in text
    codes = {ln.split(";")[0] for ln in text.splitlines() if ln and not ln.startswith(("#", "code_commune"))}
    assert codes == set(atlas.territory("aunis-sud").codes)
