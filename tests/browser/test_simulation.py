"""Simulation page: click a commune, add GPs, see the territory and the communes before / after, the
change map, the scenario in the URL (shared and undone with the back button), and its exports."""
from __future__ import annotations

import pytest

from .text import norm

pytestmark = [pytest.mark.browser, pytest.mark.integration]

MAP = "[data-atlas-map='simulation']"


def ready(page) -> None:
    page.wait_for_selector(f"{MAP}[data-state='ready']", state="attached", timeout=40_000)
    page.wait_for_function(f"() => document.querySelector(\"{MAP}\").getAttribute('data-paint') === location.search",
                           timeout=20_000)


def test_add_gps_in_a_commune_and_see_access_change(page, live_server, atlas, artifacts_dir):
    if "mg" not in atlas.access.available:
        pytest.skip("no computed accessibility in this build")
    t = atlas.territory("aunis-sud")
    page.goto(f"{live_server}/simulation?territoire=aunis-sud&profession=mg")
    ready(page)
    assert int(page.get_attribute(MAP, "data-features")) == len(t.codes)
    assert "Aujourd'hui" in page.inner_text("#simulation-territory-figure")
    point = page.evaluate("() => window.atlasMap.screenPoint('simulation', '17028')")        # Aytré
    page.mouse.click(point["x"], point["y"])
    page.wait_for_selector("#simulation-selected-commune")
    assert "Aytré" in page.inner_text("#simulation-selected-commune")
    page.click("#simulation-msp")                                                            # +3 GPs
    page.wait_for_function("() => location.search.includes('changements=17028%3A3')")
    ready(page)
    figure = norm(page.inner_text("#simulation-territory-figure"))
    assert figure.startswith("Avant") and "après" in figure and "+" in figure
    rows = page.locator("#simulation-communes tbody tr")
    assert rows.count() > 1
    assert "Aytré" in page.inner_text("#simulation-communes")
    page.screenshot(path=str(artifacts_dir / "simulation-after.png"))
    # the change map
    page.locator("#simulation-view input[value='ecart']").check(force=True)
    page.wait_for_function("() => location.search.includes('vue=ecart')")
    ready(page)
    assert "Écart" in page.inner_text("#simulation-title-text")
    page.screenshot(path=str(artifacts_dir / "simulation-ecart.png"))
    # the CSV of the scenario: the communes before / after
    with page.expect_download(timeout=60_000) as dl:
        page.click("[id*='atlas-export-btn'][id*='simulation'][id*='\"format\":\"csv\"']")
    text = open(dl.value.path(), encoding="utf-8-sig").read()
    assert "simulation de l'offre" in text and "Aytré (17028) +3" in text
    assert "17028;Aytré;" in text
    # a shared link reopens it; back undoes the last step
    shared = page.url
    page.go_back()
    page.wait_for_function("() => !location.search.includes('vue=ecart')")
    other = page.context.new_page()
    other.goto(shared)
    ready(other)
    assert "Écart" in other.inner_text("#simulation-title-text")
    other.close()
    # removing the change brings the territory back to today
    page.click("#simulation-change-list li[data-code='17028'] button")
    page.wait_for_selector("#simulation-no-change")
    assert "Aujourd'hui" in page.inner_text("#simulation-territory-figure")
