"""Every export button of the portrait downloads a valid file."""
from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def test_export_buttons(page, live_server, atlas):
    from PIL import Image
    from pypdf import PdfReader
    page.goto(f"{live_server}/portrait?territoire=venissieux")
    page.wait_for_selector("#slide-sources")
    btn = "[id*='atlas-export-btn'][id*='\"format\":\"{}\"']"
    with page.expect_download(timeout=30_000) as dl:
        page.click(btn.format("csv"))
    path = dl.value.path()
    text = open(path, encoding="utf-8-sig").read()
    assert dl.value.suggested_filename.endswith(".csv") and text.startswith("# Atlas")
    assert "69259" in text
    with page.expect_download(timeout=90_000) as dl:
        page.click(btn.format("png"))
    with Image.open(dl.value.path()) as im:
        assert im.size == (1920, 1080)
    with page.expect_download(timeout=120_000) as dl:
        page.click(btn.format("pdf"))
    reader = PdfReader(dl.value.path())
    assert len(reader.pages) >= 4 and "Vénissieux" in reader.pages[0].extract_text()
