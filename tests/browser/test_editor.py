"""Editor: click three communes, import a list, save, reload, find the territory in the selectors."""
from __future__ import annotations

import pytest

from .text import norm

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def _click_commune(page, code):
    """Click the commune's polygon (a Leaflet SVG path) and wait for the running count to change."""
    before = page.text_content("#editor-count")
    page.dispatch_event(f"#editor-map path.editor-commune-{code}", "click")
    page.wait_for_function("(b) => document.querySelector('#editor-count').textContent !== b", arg=before)


def _selected(page) -> set[str]:
    """Codes of the communes drawn as selected (their fill colour), as a person sees them."""
    return set(page.evaluate("""() => Array.from(document.querySelectorAll('#editor-map path.editor-commune'))
        .filter(p => p.getAttribute('fill') === '#0b3d91')
        .map(p => Array.from(p.classList).find(c => /^editor-commune-/.test(c)).slice('editor-commune-'.length))"""))


def test_build_save_reload(page, live_server, atlas, artifacts_dir):
    page.goto(f"{live_server}/editeur?departement=69")
    n_rhone = int((atlas.communes.table["departement"] == "69").sum())
    page.wait_for_function(f"() => document.querySelectorAll('#editor-map path.editor-commune').length === {n_rhone}")
    clicked = ["69264", "69116", "69260"]
    for code in clicked:
        _click_commune(page, code)
    assert norm(page.text_content("#editor-count")).startswith("3 communes")
    page.wait_for_function("() => document.querySelectorAll('#editor-map path[fill=\"#0b3d91\"]').length === 3")
    assert _selected(page) == set(clicked)
    # clicking a selected commune again removes it; a third time adds it back
    _click_commune(page, "69116")
    assert norm(page.text_content("#editor-count")).startswith("2 communes")
    _click_commune(page, "69116")
    assert norm(page.text_content("#editor-count")).startswith("3 communes")
    # a bad list: reported by code and line, nothing changes
    page.set_input_files("#editor-upload input[type=file]", files=[
        {"name": "mauvaise.csv", "mimeType": "text/csv", "buffer": b"code\n69259\n99999\n69259\n"}])
    page.wait_for_selector("#editor-upload-error")
    err = page.text_content("#editor-upload-error")
    assert "ligne 3" in err and "99999" in err and "ligne 4" in err
    assert norm(page.text_content("#editor-count")).startswith("3 communes")
    # a good list
    page.set_input_files("#editor-upload input[type=file]", files=[
        {"name": "liste.csv", "mimeType": "text/csv", "buffer": b"69259\n69290\n"}])
    page.wait_for_selector("#editor-upload-ok")
    page.wait_for_function("() => document.querySelector('#editor-count').textContent.replace(/\\s/g, ' ')"
                           ".startsWith('5 communes')")
    expected_pop = int(atlas.communes.table.reindex(clicked + ["69259", "69290"])["population"].sum())
    assert f"{expected_pop:,}".replace(",", "\u202f") in page.text_content("#editor-count")
    page.fill("#editor-name", "Test navigateur Rhône")
    page.click("#editor-save")
    page.wait_for_selector("#editor-saved")
    page.screenshot(path=str(artifacts_dir / "editor.png"))
    # export of the territory file
    with page.expect_download() as dl:
        page.click("#editor-export-yaml")
    assert b"69264" in open(dl.value.path(), "rb").read()
    # reload the app: the territory is in the selectors (found by typing its name) and has its portrait
    page.goto(f"{live_server}/portrait")
    page.click(".territory-picker")
    page.fill(".dash-dropdown-search", "Test navigateur")
    page.wait_for_selector("[role=option]:has-text('Test navigateur Rhône')")
    page.goto(f"{live_server}/portrait?territoire=test-navigateur-rhone")
    page.wait_for_selector("#slide-territoire")
    assert "5 communes" in norm(page.text_content("#slide-territoire"))
    t = atlas.territory("test-navigateur-rhone")
    assert sorted(t.codes) == sorted(clicked + ["69259", "69290"])
