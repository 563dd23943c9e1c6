"""Map explorer in headless Chromium, on the mirror data (with demo data): what a person sees.

For each of the five CPTS: open the page by URL, switch indicator, profession and mode with the
controls, check the title and the legend change, count the communes Leaflet actually drew (SVG
paths), hover and click a commune. Plus: URL state and the back button, the whole département 17, the practice
locations layer, and that a recolour sends values, not polygons. The ``page`` fixture fails a
test on any request leaving localhost and on any console error. Screenshots go to artifacts_dir.
"""
from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from dashboard.maps.geometry import area_geometry
from atlas.catalog import PROFESSIONS

pytestmark = [pytest.mark.browser, pytest.mark.integration]

TERRITORIES = ["ouest-rhodanien", "aunis-sud", "entre-loire-et-sucs", "atlantique-nord-loire", "venissieux"]
APL_UNIT_WORDS = "consultations/visites accessibles"

# Communes Leaflet has drawn: SVG paths with a shape in the communes pane (dashboard/maps/leaflet_map.py).
DRAWN_JS = """() => Array.from(document.querySelectorAll('#explorer-map .leaflet-atlas-communes-pane path'))
  .filter(p => (p.getAttribute('d') || '').length > 4).length"""
POINTS_JS = "() => document.querySelectorAll('#explorer-map .leaflet-atlas-points-pane path').length"


def drawn(page) -> int:
    return page.evaluate(DRAWN_JS)


def wait_drawn(page, expected: int) -> None:
    try:
        page.wait_for_function(f"() => ({DRAWN_JS})() === {expected}", polling=150, timeout=30_000)
    except Exception:  # noqa: BLE001 - say what the map shows
        pytest.fail(f"the map shows {drawn(page)} communes, {expected} expected")


def open_explorer(page, base: str, **query) -> None:
    page.goto(f"{base}/?{urlencode(query)}")
    page.wait_for_selector("#explorer-map .leaflet-atlas-communes-pane", state="attached")   # a pane has no size


def title(page) -> str:
    return page.inner_text("#explorer-title-text")


def legend(page) -> str:
    return page.inner_text("#explorer-legend")


def change(page, control: str, value: str) -> None:
    """Change a control as a person would and wait until the title has been redrawn."""
    before = title(page) + legend(page)
    if control == "explorer-mode":
        page.locator(f"#{control} input[value='{value}']").check(force=True)
    else:
        page.select_option(f"#{control}", value)
    page.wait_for_function("(b) => document.querySelector('#explorer-title-text').innerText + "
                           "document.querySelector('#explorer-legend').innerText !== b", arg=before, timeout=20_000)


def wait_query(page, **expected) -> None:
    """The URL is updated in the browser right after the controls: wait for it."""
    js = "(e) => { const q = new URLSearchParams(location.search); return Object.entries(e).every(([k, v]) => q.get(k) === v); }"
    try:
        page.wait_for_function(js, arg=expected, timeout=10_000)
    except Exception:  # noqa: BLE001
        pytest.fail(f"URL {page.url} does not say {expected}")


def biggest_commune(store, codes):
    c = store.communes.loc[list(codes)]
    return c.sort_values("population", ascending=False).iloc[0]


def commune_path(code: str) -> str:
    return f"#explorer-map path.commune-{code}"


@pytest.mark.parametrize("tid", TERRITORIES)
def test_territory_view(page, live_server, store, artifacts_dir, tid):
    t = store.territory(tid)
    open_explorer(page, live_server, territoire=tid)
    assert t.name in title(page)
    assert "Accessibilité potentielle localisée" in title(page) and APL_UNIT_WORDS in legend(page)
    assert page.input_value("#explorer-territory") == tid
    wait_query(page, territoire=tid)                    # the URL says what is shown

    if not t.codes:
        # Perimeter unknown: said plainly, with the way to the editor; the département still shows.
        wait_drawn(page, 0)
        msg = page.locator("#explorer-empty-perimeter")
        assert msg.is_visible() and "Périmètre inconnu" in msg.inner_text()
        assert page.locator("#explorer-empty-perimeter a[href='/editeur']").count() == 1
        page.screenshot(path=str(artifacts_dir / f"explorer-{tid}-empty.png"), full_page=True)
        page.locator("#explorer-extent input[value='departement']").check(force=True)
        dep = area_geometry(store, departement=t.departement)
        assert len(dep) > 100
        wait_drawn(page, len(dep))
        assert "Loire-Atlantique" in page.inner_text("#explorer-subtitle")
        wait_query(page, etendue="departement")
        page.screenshot(path=str(artifacts_dir / f"explorer-{tid}-departement.png"), full_page=True)
        return

    expected = len(area_geometry(store, codes=t.codes))
    assert expected == len(t.codes)                     # every commune of the mirror has a polygon
    wait_drawn(page, expected)
    assert f"{expected} commune" in page.inner_text("#explorer-subtitle")
    legend_apl = legend(page)
    assert "moins de 2,50" in legend_apl and "4,00 ou plus" in legend_apl

    # indicator -> density of GPs, then profession -> nurses, then mode -> libéraux
    change(page, "explorer-indicator", "density")
    assert "Densité" in title(page) and "pour 10 000 habitants" in legend(page)
    change(page, "explorer-profession", "inf")
    assert PROFESSIONS["inf"] in title(page).lower() and PROFESSIONS["inf"] in legend(page).lower()
    change(page, "explorer-mode", "liberal")
    assert "libéraux" in title(page)
    wait_query(page, indicateur="density", profession="inf", mode="liberal")
    wait_drawn(page, expected)                          # recoloured: still one feature per commune

    # click the most populous commune: the commune panel, next to the territory and the references
    c = biggest_commune(store, t.codes)
    page.dispatch_event(commune_path(c.name), "mouseover")
    page.wait_for_selector(".leaflet-tooltip.atlas-tooltip", timeout=10_000)
    hover = page.inner_text(".leaflet-tooltip.atlas-tooltip")
    assert c.nom in hover and "pour 10 000 habitants" in hover and "libéraux" in hover.lower()
    page.dispatch_event(commune_path(c.name), "click")
    page.wait_for_selector("#explorer-commune-panel .commune-panel")
    panel = page.inner_text("#explorer-commune-panel")
    assert c.nom in panel and "France" in panel and "Département" in panel
    assert (len(t.codes) == 1) or "Territoire" in panel
    assert page.locator("#explorer-commune-panel .commune-chart").count() == 1
    page.screenshot(path=str(artifacts_dir / f"explorer-{tid}.png"), full_page=True)


def test_url_state_and_back_button(page, live_server, store, artifacts_dir):
    open_explorer(page, live_server, territoire="aunis-sud", indicateur="apl_mg", annee="2022")
    wait_drawn(page, len(store.territory("aunis-sud").codes))
    assert page.input_value("#explorer-territory") == "aunis-sud"
    assert page.input_value("#explorer-indicator") == "apl_mg"
    assert page.input_value("#explorer-year") == "2022"
    assert "(2022)" in title(page)
    change(page, "explorer-indicator", "apl_mg_65")
    assert "moins de 65 ans" in title(page) and "(2022)" in title(page)     # year kept where it exists
    wait_query(page, indicateur="apl_mg_65", annee="2022")
    change(page, "explorer-year", "2023")
    wait_query(page, annee="2023")
    page.go_back()
    page.wait_for_function("() => document.querySelector('#explorer-title-text').innerText.includes('(2022)')")
    assert page.input_value("#explorer-year") == "2022"
    wait_query(page, annee="2022")
    page.go_back()
    page.wait_for_function("() => !document.querySelector('#explorer-title-text').innerText.includes('moins de 65')")
    assert page.input_value("#explorer-indicator") == "apl_mg"
    wait_query(page, indicateur="apl_mg")
    # a shared link reopens the same view
    shared = page.url
    other = page.context.new_page()
    other.goto(shared)
    other.wait_for_selector("#explorer-map .leaflet-atlas-communes-pane", state="attached")
    assert other.inner_text("#explorer-title-text") == title(page)
    other.close()


def test_departement_17_with_the_territory_outlined(page, live_server, store, artifacts_dir):
    open_explorer(page, live_server, territoire="aunis-sud", etendue="departement")
    wait_drawn(page, 462)
    assert "462 communes du département Charente-Maritime" in page.inner_text("#explorer-subtitle")
    outline = page.get_attribute("#explorer-map .leaflet-atlas-outline-pane path", "d")
    assert outline and len(outline) > 100               # the territory's boundary, drawn above the communes
    page.screenshot(path=str(artifacts_dir / "explorer-departement-17.png"), full_page=True)


def test_recolour_sends_values_not_polygons(page, live_server, store):
    open_explorer(page, live_server, territoire="ouest-rhodanien")
    wait_drawn(page, len(store.territory("ouest-rhodanien").codes))
    responses = []
    page.on("response", lambda r: responses.append(r) if "_dash-update-component" in r.url else None)
    change(page, "explorer-indicator", "sans_mt_17")
    page.wait_for_load_state("networkidle")
    bodies = [r.body() for r in responses if r.status == 200]
    assert bodies and all(b"coordinates" not in b for b in bodies)
    assert sum(len(b) for b in bodies) < 20_000
    main = next(json.loads(b) for b in bodies if b"explorer-communes" in b)
    sent = main["response"]["explorer-communes"]
    assert set(sent) == {"hideout"} and len(sent["hideout"]["v"]) == len(store.territory("ouest-rhodanien").codes)


def test_locations_layer_toggles_without_leaving_localhost(page, live_server, store, artifacts_dir):
    open_explorer(page, live_server, territoire="venissieux", indicateur="density", profession="inf")
    wait_drawn(page, 1)
    switch = page.locator("#explorer-locations")
    if switch.is_disabled():
        pytest.skip("no locations.parquet in this build")
    assert page.evaluate(POINTS_JS) == 0
    switch.check(force=True)
    page.wait_for_function(f"() => ({POINTS_JS})() > 0")
    assert "lieux d'exercice : infirmiers" in page.inner_text("#explorer-points-legend")
    page.wait_for_function("() => location.search.includes('lieux=1')")
    page.screenshot(path=str(artifacts_dir / "explorer-locations.png"), full_page=True)
    switch.uncheck(force=True)
    page.wait_for_function(f"() => ({POINTS_JS})() === 0")


def test_exports_follow_the_view_shown(page, live_server, store, artifacts_dir):
    """The explorer's export buttons export what is on screen: the PNG is the map shown (indicator,
    year, whole département), the CSV holds the territory's communes."""
    from PIL import Image
    open_explorer(page, live_server, territoire="aunis-sud", etendue="departement")
    wait_drawn(page, 462)
    change(page, "explorer-indicator", "density")
    change(page, "explorer-profession", "inf")
    btn = "#explorer-exports [id*='atlas-export-btn'][id*='\"format\":\"{}\"']"
    with page.expect_download(timeout=90_000) as dl:
        page.click(btn.format("png"))
    assert dl.value.suggested_filename.endswith(".png") and "density_inf" in dl.value.suggested_filename
    png = artifacts_dir / "explorer-export-departement-17.png"
    dl.value.save_as(str(png))
    with Image.open(png) as im:
        assert im.size == (1920, 1080)
        colours = im.convert("RGB").resize((192, 108)).getcolors(maxcolors=100_000)
        assert len(colours) > 20, "the exported map is blank"
    with page.expect_download(timeout=30_000) as dl:
        page.click(btn.format("csv"))
    text = open(dl.value.path(), encoding="utf-8-sig").read()
    assert text.startswith("# Atlas") and "density_inf" in text and "apl_mg" in text
    codes = {ln.split(",")[0] for ln in text.splitlines() if ln and not ln.startswith(("#", "code_commune"))}
    assert codes == set(store.territory("aunis-sud").codes)
