"""Every page loads under the security headers (``dashboard/security.py``) with no Content Security
Policy violation, and its maps draw.

``securitypolicyviolation`` events are recorded from the first script of each page (an init script),
on top of the ``page`` fixture's rule that any console error fails the test (Chromium also writes a
console error for each violation).
"""
from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.integration]

RECORD = """window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => window.__cspViolations.push(
  e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + (e.sourceFile || '') + ':' + e.lineNumber));"""

# path -> what shows that the page is drawn (maps: the canvas engine is "ready"; the portrait: an SVG map)
PAGES = {
    "/?territoire=aunis-sud": "[data-atlas-map='explorer'][data-state='ready'][data-paint]",
    "/?territoire=aunis-sud&etendue=france&indicateur=apl_mg": "[data-atlas-map='explorer'][data-state='ready'][data-paint]",
    "/portrait?territoire=aunis-sud": "#slide-carte .atlas-map-svg path[data-code]",
    "/editeur?territoire=aunis-sud": "[data-atlas-map='editor'][data-state='ready'][data-paint]",
    "/import": "#import-upload",
    "/methodes": "#methods-sources",
    "/territoires": "#territories-cpts",
}


def _pages():
    import dash

    paths = {p["path"] for p in dash.page_registry.values()}
    out = dict(PAGES)
    if "/simulation" in paths:                      # a page added beside this test
        out["/simulation?territoire=aunis-sud"] = "#_pages_content > *"
    return out


def test_headers_on_every_kind_of_response(live_server):
    import requests

    for path in ("/", "/portrait", "/assets/atlas_map.js", "/_dash-layout", "/_dash-dependencies",
                 "/vendor/bootstrap5/css/bootstrap.min.css", "/nope"):
        r = requests.get(live_server + path, timeout=30)
        assert r.status_code < 500, path
        csp = r.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, path
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, path
        assert "img-src 'self' data: blob:" in csp
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["X-Frame-Options"] == "DENY"
        assert r.headers["Referrer-Policy"] == "same-origin"
    html = requests.get(live_server + "/", timeout=30)
    assert "'sha256-" in html.headers["Content-Security-Policy"]          # Dash's inline scripts, by hash


def test_every_page_loads_under_the_policy_and_draws(page, live_server, artifacts_dir):
    page.add_init_script(RECORD)
    for path, drawn in _pages().items():
        page.goto(live_server + path)
        page.wait_for_selector(drawn, state="attached", timeout=60_000)
        page.wait_for_load_state("networkidle")
        violations = page.evaluate("() => window.__cspViolations")
        assert violations == [], f"{path}: {violations}"
        assert page.locator("#_pages_content").inner_text().strip(), path
    page.screenshot(path=str(artifacts_dir / "security_headers_territoires.png"))


def test_a_page_cannot_be_framed(page, live_server):
    """``frame-ancestors 'none'``: another document cannot show the atlas in a frame."""
    page.set_content(f"<iframe id='f' src='{live_server}/import'></iframe>", wait_until="commit")
    page.wait_for_timeout(2000)
    frame = page.frame_locator("#f")
    assert frame.locator("#import-upload").count() == 0
    page.console_errors.clear()         # Chromium reports the refused frame as a console error: expected here
