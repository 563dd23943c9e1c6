"""The territory portrait in Chromium: the five CPTS, three viewports (1920×1080, 1280×720, a 390×844
phone), presentation mode that fits projector screens with readable text and visible perimeter
warnings, URL state (territory, indicator, year, presentation), year selector, unknown id, empty and
one-commune territories, and no plotly.js. Screenshots go to the artifacts directory."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest

from atlas import fmt

from .text import norm

pytestmark = [pytest.mark.browser, pytest.mark.integration]

CPTS = ["ouest-rhodanien", "aunis-sud", "entre-loire-et-sucs", "atlantique-nord-loire", "venissieux"]
VIEWPORTS = {"1920x1080": (1920, 1080), "1280x720": (1280, 720), "phone": (390, 844)}
MIN_PX = 14

# Every visible text of the active slide: its rendered size in CSS pixels (SVG text: font size times
# the SVG's scale on screen), and the slide's overflow, measured in the page.
SLIDE_METRICS_JS = """() => {
  const s = document.querySelector('#portrait-deck .atlas-slide.atlas-active');
  const box = s.getBoundingClientRect();
  const small = [];
  const walker = document.createTreeWalker(s, NodeFilter.SHOW_TEXT);
  let n, texts = 0;
  while ((n = walker.nextNode())) {
    const t = n.textContent.trim();
    const el = n.parentElement;
    if (!t || !el) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    const st = getComputedStyle(el);
    if (st.visibility === 'hidden' || st.display === 'none') continue;
    if (el.closest('title')) continue;                   // SVG tooltips are not drawn
    let px = parseFloat(st.fontSize);
    if (el instanceof SVGElement) {
      const m = el.getScreenCTM();
      px = px * Math.hypot(m.a, m.b);
    }
    texts += 1;
    if (px < %MIN% - 0.05) small.push([t.slice(0, 40), Math.round(px * 10) / 10]);
  }
  const out = [];
  s.querySelectorAll('*').forEach(el => {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || el.closest('svg title')) return;
    if (r.bottom > box.bottom + 1 || r.right > box.right + 1) out.push([el.tagName, el.className && el.className.baseVal === undefined ? el.className : '', Math.round(r.bottom), Math.round(r.right)]);
  });
  return {id: s.id, scrollHeight: s.scrollHeight, clientHeight: s.clientHeight, innerHeight: window.innerHeight,
          scrollWidth: s.scrollWidth, clientWidth: s.clientWidth, small: small, texts: texts, outside: out.slice(0, 5),
          territory: (s.querySelector('.atlas-slide-territory') || {}).textContent || '',
          title: (s.querySelector('.atlas-slide-title') || {}).textContent || '',
          band: s.querySelector('.atlas-perimeter-band') ? s.querySelector('.atlas-perimeter-band').textContent : null};
}""".replace("%MIN%", str(MIN_PX))

# Contrast ratio (WCAG) of the perimeter band's text on its background.
BAND_CONTRAST_JS = """() => {
  const el = document.querySelector('#portrait-deck .atlas-slide.atlas-active .atlas-perimeter-band');
  const rgb = c => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = c => { const v = rgb(c).map(x => { x /= 255; return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4); });
                     return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]; };
  const st = getComputedStyle(el);
  const a = lum(st.color), b = lum(st.backgroundColor);
  return {ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05), px: parseFloat(st.fontSize)};
}"""


def _open(page, url):
    page.goto(url)
    page.wait_for_selector("#portrait-deck .atlas-slide, #unknown-territory")


def _query(page) -> dict:
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}


def test_portrait_of_each_cpts(page, live_server, atlas):
    for tid in CPTS:
        t = atlas.territory(tid)
        _open(page, f"{live_server}/portrait?territoire={tid}")
        assert norm(page.text_content("#slide-territoire .atlas-slide-title")) == norm(t.name)
        text = norm(page.text_content("#portrait-deck"))
        for raw in ("None", "population_coverage", "EUR per year", "CANDIDATE", "press release", "are NOT",
                    "EPCI proxy", "inhabitants"):
            assert raw not in text, (tid, raw)
        if t.codes:
            assert norm(fmt.plural(len(t.codes), "commune")) in norm(page.text_content("#slide-territoire"))
            assert page.locator("#portrait-deck .atlas-slide").count() >= 7
            assert page.locator("#slide-carte .atlas-map-svg path[data-code]").count() >= 1
        else:
            assert "Périmètre inconnu" in page.text_content("#slide-territoire")
        if not t.exact:
            bands = page.locator("#portrait-deck .atlas-perimeter-band")
            assert bands.count() == page.locator("#portrait-deck .atlas-slide").count(), "a warning on every slide"
        if atlas.any_synthetic:
            assert page.locator("#synthetic-banner").is_visible()
        assert not any("plotly" in u for u in page.requested), "the portrait never loads plotly.js"


@pytest.mark.parametrize("name", list(VIEWPORTS))
def test_portrait_at_three_viewports(page_at, live_server, artifacts_dir, name):
    width, height = VIEWPORTS[name]
    page = page_at(width, height)
    for tid in ("aunis-sud", "venissieux"):
        _open(page, f"{live_server}/portrait?territoire={tid}")
        page.wait_for_selector("#slide-sources")
        widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1], f"{tid} overflows sideways at {name}: {widths}"
        page.screenshot(path=str(artifacts_dir / f"portrait-{tid}-{name}.png"), full_page=True)
    assert not any("plotly" in u for u in page.requested)


@pytest.mark.parametrize("size", ["1280x720", "1920x1080"])
def test_presentation_fits_and_is_readable(page_at, live_server, artifacts_dir, atlas, size):
    width, height = VIEWPORTS[size]
    page = page_at(width, height)
    problems = []                     # every slide is checked; all problems reported at once
    for tid in ("aunis-sud", "entre-loire-et-sucs", "venissieux", "atlantique-nord-loire"):
        t = atlas.territory(tid)
        _open(page, f"{live_server}/portrait?territoire={tid}&presentation=1")
        page.wait_for_selector("body.atlas-presenting .atlas-slide.atlas-active")
        n = page.locator("#portrait-deck .atlas-slide").count()
        for k in range(n):
            page.evaluate(f"() => window.atlasPresentation.show({k})")
            m = page.evaluate(SLIDE_METRICS_JS)
            where = f"{tid} {m['id']}"
            if not (m["scrollHeight"] <= m["innerHeight"] and m["clientHeight"] <= m["innerHeight"]):
                problems.append(f"{where}: scrolls ({m['scrollHeight']} > {m['innerHeight']})")
            if m["scrollWidth"] > m["clientWidth"]:
                problems.append(f"{where}: scrolls sideways")
            if m["outside"]:
                problems.append(f"{where}: content outside the screen {m['outside']}")
            if size == "1280x720" and m["small"]:
                problems.append(f"{where}: text under {MIN_PX} px {m['small'][:6]}")
            if m["texts"] <= 3:
                problems.append(f"{where}: nearly empty")
            if norm(t.name) not in norm(m["territory"] + " " + m["title"]):
                problems.append(f"{where}: does not name the territory")
            if not t.exact:
                if not m["band"]:
                    problems.append(f"{where}: no perimeter warning")
                else:
                    if t.published_communes is not None and \
                            norm(fmt.plural(t.published_communes, "commune")) not in norm(m["band"]):
                        problems.append(f"{where}: the warning does not give the published communes")
                    if t.published_scope and t.published_scope not in m["band"]:
                        problems.append(f"{where}: the warning does not give the published population's year")
                    contrast = page.evaluate(BAND_CONTRAST_JS)
                    if contrast["ratio"] < 7 or contrast["px"] < 16:
                        problems.append(f"{where}: warning not readable {contrast}")
            if tid in ("aunis-sud", "venissieux") or m["id"] == "slide-candidats":
                page.screenshot(path=str(artifacts_dir / f"presentation-{size}-{tid}-{k:02d}.png"))
    assert not problems, "\n".join(problems)
    assert atlas.territory("aunis-sud").published_scope == "INSEE 2019"


def test_presentation_from_the_url_and_keyboard(page, live_server):
    _open(page, f"{live_server}/portrait?territoire=ouest-rhodanien&presentation=1")
    page.wait_for_selector("body.atlas-presenting")
    assert page.locator(".atlas-slide.atlas-active").get_attribute("id") == "slide-territoire"
    assert _query(page).get("presentation") == "1"
    assert not page.locator("#navbar").is_visible()
    page.keyboard.press("ArrowRight")
    assert page.locator(".atlas-slide.atlas-active").get_attribute("id") == "slide-carte"
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowLeft")
    assert page.locator(".atlas-slide.atlas-active").get_attribute("id") == "slide-carte"
    assert "2 / " in page.text_content("#atlas-slide-counter")
    page.keyboard.press("Escape")
    page.wait_for_function("() => !document.body.classList.contains('atlas-presenting')")
    assert "presentation" not in _query(page) and _query(page)["territoire"] == "ouest-rhodanien"
    assert page.locator("#navbar").is_visible() and page.locator(".atlas-slide.atlas-active").count() == 0
    page.locator("body").click(position={"x": 5, "y": 300})
    page.keyboard.press("p")
    page.wait_for_selector("body.atlas-presenting")
    assert _query(page).get("presentation") == "1"


def test_year_selector_and_url_state(page, live_server, atlas):
    t = atlas.territory("aunis-sud")
    years = atlas.years_for("apl_mg", t.codes)
    assert len(years) >= 2
    _open(page, f"{live_server}/portrait?territoire=aunis-sud&indicateur=apl_mg")
    options = page.eval_on_selector_all("#portrait-year option", "els => els.map(e => e.value)")
    assert sorted(int(o) for o in options if o) == years
    assert str(years[-1]) in page.text_content("#slide-carte .atlas-slide-title")
    page.select_option("#portrait-year", str(years[0]))
    page.wait_for_function("(y) => document.querySelector('#slide-carte .atlas-slide-title').textContent.includes(y)",
                           arg=str(years[0]))
    page.wait_for_function("(y) => location.search.includes('annee=' + y)", arg=str(years[0]))
    assert _query(page)["territoire"] == "aunis-sud" and _query(page)["indicateur"] == "apl_mg"
    # the navigation links carry the view
    page.wait_for_function("() => document.querySelector('a.atlas-nav-link[data-path=\"/\"]').href.includes('aunis-sud')")
    # back: the previous year, parsed by the server
    page.go_back()
    page.wait_for_function("(y) => document.querySelector('#slide-carte .atlas-slide-title').textContent.includes(y)",
                           arg=str(years[-1]))
    assert page.input_value("#portrait-year") == str(years[-1])
    # a shared link opens the same view
    _open(page, f"{live_server}/portrait?territoire=aunis-sud&indicateur=apl_mg&annee={years[0]}")
    assert str(years[0]) in page.text_content("#slide-carte .atlas-slide-title")
    assert page.input_value("#portrait-indicator") == "apl_mg"


def test_unknown_territory_is_reported(page, live_server):
    _open(page, f"{live_server}/portrait?territoire=nulle-part")
    assert "Territoire inconnu" in page.text_content("#unknown-territory")
    assert "nulle-part" in page.text_content("#unknown-territory")
    assert page.locator("#portrait-deck").count() == 0


def test_empty_territory_offers_a_way_forward(page, live_server, atlas):
    t = atlas.territory("atlantique-nord-loire")
    assert not t.codes
    _open(page, f"{live_server}/portrait?territoire=atlantique-nord-loire")
    text = norm(page.text_content("#slide-territoire"))
    assert "0 commune" not in text and "0 habitant" not in text
    assert "Périmètre inconnu" in text and "163" in text                  # published members
    assert page.get_attribute("#portrait-empty-editor", "href").startswith("/editeur?territoire=atlantique-nord-loire")
    assert page.locator("#portrait-empty-epci a").count() >= 5            # the EPCI of Loire-Atlantique
    page.click("#portrait-empty-dep")
    page.wait_for_function("() => location.search.includes('dep-44')")
    page.wait_for_selector("#slide-carte")
    assert "Loire-Atlantique" in page.text_content("#slide-territoire .atlas-slide-title")


def test_one_commune_territory_against_its_epci(page, live_server, atlas):
    t = atlas.territory("venissieux")
    epci = atlas.territory(f"epci-{atlas.communes.get(t.codes[0])['epci']}")
    _open(page, f"{live_server}/portrait?territoire=venissieux")
    assert page.locator("#slide-cartes").count() == 0, "no six one-polygon maps"
    drawn = page.locator("#slide-carte .atlas-map-svg path[data-code]").count()
    assert drawn == len(atlas.geometry.area(epci.codes)) > 1, "its commune among the communes of its EPCI"
    assert page.locator("#slide-carte .atlas-map-outline").count() == 1
    headers = page.eval_on_selector_all("#portrait-density-grid thead th", "els => els.map(e => e.textContent)")
    assert headers[:3] == ["Indicateur", "Commune", "EPCI"] and headers[-1] == "France"
    assert epci.name in page.text_content("#slide-densites")


def test_candidate_communes_are_drawn_apart(page, live_server, atlas):
    t = atlas.territory("entre-loire-et-sucs")
    assert len(t.candidates) == 14
    _open(page, f"{live_server}/portrait?territoire=entre-loire-et-sucs")
    assert page.locator("#portrait-candidates-map path.atlas-map-dashed").count() == len(t.candidates)
    assert "14 communes candidates" in norm(page.text_content("#slide-candidats"))
    band = norm(page.text_content("#slide-candidats .atlas-perimeter-band"))
    assert "30 communes" in band and "43 communes" in band


def test_numbers_in_french(page, live_server):
    _open(page, f"{live_server}/portrait?territoire=aunis-sud")
    text = page.text_content("#slide-territoire")
    assert "74\u202f413" in text and re.search(r"\d\.\d", norm(page.text_content("#portrait-density-grid"))) is None
