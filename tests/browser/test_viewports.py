"""Every page at the three screens of its users: a 1920×1080 planner's monitor, a 1280×720 village-hall
projector and a 390×844 phone. Nothing scrolls sideways; on the map pages the map is drawn, beside
the controls on large screens and first on a phone (above the controls, inside the first screen);
on a phone the navigation folds behind its button and opens on a tap. Screenshots go to the test
artifacts to be looked at."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

VIEWPORTS = {"1920x1080": (1920, 1080), "1280x720": (1280, 720), "phone": (390, 844)}
# path -> (map name or None, selector of the column of controls, selector shown when the page is ready)
PAGES = {
    "/?territoire=aunis-sud&indicateur=density_mg_liberal": ("explorer", ".explorer-controls", "#explorer-title-text"),
    "/editeur?territoire=aunis-sud": ("editor", "#editor-name", "#editor-name"),
    "/simulation?territoire=aunis-sud": ("simulation", "#simulation-profession", "#simulation-profession"),
    "/import": (None, None, "#import-upload"),
    "/methodes": (None, None, "#methods-sources"),
    "/territoires": (None, None, "h1"),
}


def _ready(name: str) -> str:
    return (f"() => {{ const c = document.querySelector('[data-atlas-map={name}]');"
            " return !!c && c.getAttribute('data-state') === 'ready'; }")


def _box(page, selector):
    return page.evaluate("(s) => { const r = document.querySelector(s).getBoundingClientRect();"
                         " return {x: r.left, y: r.top + window.scrollY, w: r.width, h: r.height}; }", selector)


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_pages_fit_each_screen(page_at, live_server, artifacts_dir, size):
    width, height = VIEWPORTS[size]
    page = page_at(width, height)
    problems = []
    for n, (path, (map_name, controls, ready)) in enumerate(PAGES.items()):
        page.goto(f"{live_server}{path}")
        page.wait_for_selector(ready, state="attached")
        if map_name:
            page.wait_for_function(_ready(map_name), polling=100, timeout=60_000)
        page.wait_for_timeout(300)
        scroll_width, inner = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        if scroll_width > inner:
            problems.append(f"{path}: scrolls sideways ({scroll_width} > {inner})")
        if map_name:
            m, c = _box(page, f"[data-atlas-map={map_name}]"), _box(page, controls)
            if m["w"] < 0.9 * width * (1 if size == "phone" else 0.4) or m["h"] < 250:
                problems.append(f"{path}: map too small {m}")
            if size == "phone":
                if not (m["y"] < c["y"] and m["y"] < height):
                    problems.append(f"{path}: map not first on a phone (map {m['y']:.0f}, controls {c['y']:.0f})")
            elif not c["x"] + c["w"] <= m["x"] + 1:
                problems.append(f"{path}: controls not beside the map (controls {c}, map {m})")
        page.screenshot(path=str(artifacts_dir / f"viewport-{size}-{n}.png"), full_page=False)
    assert not problems, "\n".join(problems)


def test_phone_navigation_folds_and_opens(page_at, live_server):
    page = page_at(*VIEWPORTS["phone"])
    page.goto(f"{live_server}/methodes")
    page.wait_for_selector("#methods-sources")
    assert page.locator("#navbar-toggler").is_visible()
    assert not page.locator("#navbar-collapse a", has_text="Portrait").is_visible()
    page.click("#navbar-toggler")
    page.locator("#navbar-collapse a", has_text="Portrait").wait_for(state="visible")
    page.locator("#navbar-collapse a", has_text="Simulation").click()
    page.wait_for_url("**/simulation**")
