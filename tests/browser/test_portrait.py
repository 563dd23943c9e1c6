"""Portrait of every CPTS, and presentation mode entered and left with the keyboard."""
from __future__ import annotations

import pytest

from atlas import fmt

from .text import norm

pytestmark = [pytest.mark.browser, pytest.mark.integration]

CPTS = ["ouest-rhodanien", "aunis-sud", "entre-loire-et-sucs", "atlantique-nord-loire", "venissieux"]


def test_portrait_of_each_cpts(page, live_server, atlas, artifacts_dir):
    for tid in CPTS:
        t = atlas.territory(tid)
        page.goto(f"{live_server}/portrait?territoire={tid}")
        page.wait_for_selector("#slide-territoire .atlas-slide-title")
        assert page.text_content("#slide-territoire .atlas-slide-title") == t.name
        if t.codes:
            page.wait_for_selector("#slide-apl")
            assert fmt.plural(len(t.codes), "commune").replace("\u00a0", " ") in norm(page.text_content("#slide-territoire"))
            assert page.locator("#portrait-deck .atlas-slide").count() >= 7
            assert "Unité" in page.text_content("#portrait-deck")
        else:
            assert "Périmètre inconnu" in page.text_content("#slide-territoire")
        if atlas.any_synthetic:
            assert page.locator("#synthetic-banner").is_visible()
    page.goto(f"{live_server}/portrait?territoire=aunis-sud")
    page.wait_for_selector("#portrait-sm-graph .maplibregl-canvas")
    page.screenshot(path=str(artifacts_dir / "portrait-aunis-sud.png"), full_page=True)


def test_presentation_mode_keyboard(page, live_server, artifacts_dir):
    page.goto(f"{live_server}/portrait?territoire=ouest-rhodanien")
    page.wait_for_selector("#slide-sources")
    page.locator("body").click(position={"x": 5, "y": 400})
    page.keyboard.press("p")
    page.wait_for_selector("body.atlas-presenting")
    active = page.locator(".atlas-slide.atlas-active")
    assert active.count() == 1 and active.get_attribute("id") == "slide-territoire"
    assert not page.locator("#navbar").is_visible()
    page.keyboard.press("ArrowRight")
    assert page.locator(".atlas-slide.atlas-active").get_attribute("id") == "slide-professionnels"
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowLeft")
    assert page.locator(".atlas-slide.atlas-active").get_attribute("id") == "slide-professionnels"
    assert "2 / " in page.text_content("#atlas-slide-counter")
    page.screenshot(path=str(artifacts_dir / "portrait-presentation.png"))
    page.keyboard.press("Escape")
    page.wait_for_function("() => !document.body.classList.contains('atlas-presenting')")
    assert page.locator("#navbar").is_visible()
    assert page.locator(".atlas-slide.atlas-active").count() == 0
