"""Editor: click communes on the map, add one by keyboard, add a candidate, import a list, save (asked
before replacing; built-in names reserved), rename, delete; the territory then exists everywhere."""
from __future__ import annotations

import pytest

from .text import norm

pytestmark = [pytest.mark.browser, pytest.mark.integration]

MAP = "[data-atlas-map='editor']"


def count(page) -> str:
    return norm(page.text_content("#editor-count"))


def wait_count(page, prefix: str) -> None:
    page.wait_for_function("(p) => document.querySelector('#editor-count').textContent.replace(/\\s/g, ' ')"
                           ".startsWith(p)", arg=prefix, timeout=20_000)


def click_commune(page, code: str) -> None:
    before = count(page)
    point = page.evaluate(f"() => window.atlasMap.screenPoint('editor', '{code}')")
    assert point is not None, f"{code} is not drawn"
    page.mouse.click(point["x"], point["y"])
    page.wait_for_function("(b) => document.querySelector('#editor-count').textContent.replace(/\\s/g, ' ') !== b",
                           arg=before, timeout=20_000)


def test_build_save_reload(page, live_server, atlas, artifacts_dir, user_dir):
    page.goto(f"{live_server}/editeur?departement=69")
    n_rhone = len(atlas.geometry.area_codes("dep-69"))
    page.wait_for_function(f"() => Number(document.querySelector(\"{MAP}\")?.getAttribute('data-features')) === {n_rhone}",
                           timeout=40_000)
    clicked = ["69264", "69116", "69260"]
    for code in clicked:
        click_commune(page, code)
    assert count(page).startswith("3 communes")
    # clicking a selected commune again removes it; a third time adds it back
    click_commune(page, "69116")
    assert count(page).startswith("2 communes")
    click_commune(page, "69116")
    assert count(page).startswith("3 communes")
    # by keyboard: the commune search adds a commune
    page.click(".commune-search")
    page.fill(".dash-dropdown-search", "Tarare")
    page.wait_for_selector("[role=option]:has-text('Tarare')")
    page.keyboard.press("Enter")
    wait_count(page, "4 communes")
    # a bad list: reported by code and line, nothing changes
    page.set_input_files("#editor-upload input[type=file]", files=[
        {"name": "mauvaise.csv", "mimeType": "text/csv", "buffer": b"code\n69259\n99999\n69259\n"}])
    page.wait_for_selector("#editor-upload-error")
    err = page.text_content("#editor-upload-error")
    assert "ligne 3" in err and "99999" in err and "ligne 4" in err
    assert count(page).startswith("4 communes")
    # a good list
    page.set_input_files("#editor-upload input[type=file]", files=[
        {"name": "liste.csv", "mimeType": "text/csv", "buffer": b"69259\n69290\n"}])
    page.wait_for_selector("#editor-upload-ok")
    wait_count(page, "6 communes")
    members = clicked + ["69243", "69259", "69290"]
    assert f"{atlas.communes.population_of(members):,}".replace(",", " ") in count(page)
    # a built-in territory's name is reserved
    page.fill("#editor-name", "CPTS de Vénissieux")
    page.click("#editor-save")
    page.wait_for_selector("#editor-reserved")
    page.fill("#editor-name", "Test navigateur Rhône")
    page.click("#editor-save")
    page.wait_for_selector("#editor-saved-ok")
    page.screenshot(path=str(artifacts_dir / "editor.png"))
    # saving again under the same name asks before replacing
    click_commune(page, "69264")
    page.click("#editor-save")
    page.wait_for_selector("#editor-confirm-overwrite:not([hidden])")
    assert len(atlas.territory("test-navigateur-rhone").codes) == 6            # nothing replaced yet
    page.click("#editor-overwrite")
    page.wait_for_selector("#editor-saved-ok")
    assert len(atlas.territory("test-navigateur-rhone").codes) == 5
    # export of the territory file
    with page.expect_download() as dl:
        page.click("#editor-export-yaml")
    assert b"69259" in open(dl.value.path(), "rb").read()
    # the territory is found in the selectors and has its portrait
    page.goto(f"{live_server}/portrait?territoire=test-navigateur-rhone")
    page.wait_for_selector("#slide-territoire")
    assert "5 communes" in norm(page.text_content("#slide-territoire"))
    # rename, then delete (asked, then confirmed)
    page.goto(f"{live_server}/editeur")
    row = "#editor-saved-list li[data-id='test-navigateur-rhone']"
    page.click(f"{row} button:has-text('Renommer')")
    page.fill(f"{row} input", "Test renommé")
    page.click(f"{row} button:has-text('Renommer')")
    page.wait_for_selector("#editor-renamed")
    assert atlas.territory("test-renomme").codes and "test-navigateur-rhone" not in {t.id for t in atlas.territories("user")}
    row = "#editor-saved-list li[data-id='test-renomme']"
    page.click(f"{row} button:has-text('Supprimer')")
    page.click(f"{row} button:has-text('Confirmer')")
    page.wait_for_selector("#editor-deleted")
    assert "test-renomme" not in {t.id for t in atlas.territories("user")}


def test_candidates_are_shown_and_added_in_one_click(page, live_server, atlas):
    t = atlas.territory("entre-loire-et-sucs")
    page.goto(f"{live_server}/editeur?territoire=entre-loire-et-sucs")
    page.wait_for_selector("#editor-candidate-box")
    assert f"{len(t.candidates)} communes candidates" in norm(page.text_content("#editor-candidate-box"))
    assert count(page).startswith(f"{len(t.codes)} communes")
    page.click("#editor-candidate-box button:has-text('Ajouter') >> nth=0")
    wait_count(page, f"{len(t.codes) + 1} communes")
    page.click("#editor-add-all")
    wait_count(page, f"{len(t.codes) + len(t.candidates)} communes")
