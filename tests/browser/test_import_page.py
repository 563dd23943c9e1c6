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
