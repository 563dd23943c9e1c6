"""Import page: a good CPAM table (values visible at once, with provenance) and a bad one (report)."""
from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.integration]

GOOD = ("code_commune;indicateur;annee;numerateur;denominateur;valeur;source\n"
        "69259;sans_mt_17;2024;4321;10000;43,21;CPAM du Rhône (test navigateur)\n").encode()
BAD = ("code_commune;indicateur;annee;numerateur;denominateur\n"
       "99999;sans_mt_17;2024;10;100\n"
       "69259;inconnu;2024;10;100\n"
       "69259;sans_mt_17;2024;200;100\n").encode()


def test_upload_bad_then_good(page, live_server, atlas):
    from atlas.userdata.imports import delete_import
    page.goto(f"{live_server}/import")
    page.wait_for_selector("#import-upload")
    page.set_input_files("#import-upload input[type=file]", files=[
        {"name": "mauvais.csv", "mimeType": "text/csv", "buffer": BAD}])
    page.wait_for_selector("#import-problems")
    rows = page.locator("#import-problems tbody tr")
    assert rows.count() >= 3
    text = page.text_content("#import-problems")
    assert "99999" in text and "inconnu" in text and "numérateur supérieur" in text
    assert "rien n'a été importé" in page.text_content("#import-rejected")
    try:
        page.set_input_files("#import-upload input[type=file]", files=[
            {"name": "cpam-test.csv", "mimeType": "text/csv", "buffer": GOOD}])
        page.wait_for_selector("#import-ok")
        assert "CPAM du Rhône (test navigateur)" in page.text_content("#import-ok")
        assert "cpam-test.csv" in page.text_content("#import-list")
        # no restart: the portrait shows the imported value with its provenance
        page.goto(f"{live_server}/portrait?territoire=venissieux")
        page.wait_for_selector("#slide-prevention")
        prev = page.text_content("#slide-prevention")
        assert "43,2" in prev
        e = atlas.entry("sans_mt_17", codes=["69259"], year=2024)
        assert abs(e["value"] - 43.21) < 0.01 and "test navigateur" in (e["source"] or "")
    finally:
        delete_import("cpam-test")


def test_too_big_file_is_refused_in_the_browser_with_a_message(page, live_server):
    page.goto(f"{live_server}/import")
    page.wait_for_selector("#import-upload")
    limit = int(page.get_attribute(".atlas-upload", "data-max-bytes"))
    assert "5" in page.text_content("#import-upload")                       # the limit is stated
    posts = []
    page.on("request", lambda r: posts.append(r) if "_dash-update-component" in r.url and r.method == "POST" else None)
    page.set_input_files("#import-upload input[type=file]", files=[
        {"name": "gros.csv", "mimeType": "text/csv", "buffer": b"x" * (limit + 1)}])
    page.wait_for_selector("#import-too-big:not([hidden])")
    assert "Fichier trop gros" in page.text_content("#import-too-big") and "gros.csv" in page.text_content("#import-too-big")
    page.wait_for_timeout(500)
    assert not posts, "nothing is sent to the server"


def test_an_import_for_one_territory_does_not_blank_the_others(page, live_server, atlas):
    """A 2025 table for Aunis Sud only: Aunis Sud shows 2025, Ouest Rhodanien keeps its own latest year; the
    import is listed with its coverage and removed after a confirmation."""
    from atlas.userdata.imports import delete_import
    aunis = sorted(atlas.territory("aunis-sud").codes)[:3]
    table = "code_commune;indicateur;annee;numerateur;denominateur\n" + "".join(
        f"{c};sans_mt_17;2025;10;200\n" for c in aunis)
    before = atlas.entry("sans_mt_17", atlas.territory("ouest-rhodanien"))
    page.goto(f"{live_server}/import")
    page.wait_for_selector("#import-upload")
    try:
        page.set_input_files("#import-upload input[type=file]", files=[
            {"name": "aunis-2025.csv", "mimeType": "text/csv", "buffer": table.encode()}])
        page.wait_for_selector("#import-ok")
        row = page.locator("#import-list tr[data-slug='aunis-2025']")
        assert "2025" in row.text_content() and "3" in row.text_content()
        after = atlas.entry("sans_mt_17", atlas.territory("ouest-rhodanien"))
        assert after["year"] == before["year"] and after["value"] == before["value"]
        assert atlas.entry("sans_mt_17", codes=aunis)["year"] == 2025
        # remove: asked, then confirmed
        row.locator("button:has-text('Supprimer')").click()
        page.wait_for_selector("#import-list tr[data-slug='aunis-2025'] button:has-text('Confirmer')")
        assert page.locator("#import-list tr[data-slug='aunis-2025']").count() == 1     # nothing removed yet
        page.click("#import-list tr[data-slug='aunis-2025'] button:has-text('Confirmer')")
        page.wait_for_selector("#import-deleted")
        assert page.locator("#import-list tr[data-slug='aunis-2025']").count() == 0
        assert 2025 not in atlas.years("sans_mt_17")
    finally:
        delete_import("aunis-2025")
