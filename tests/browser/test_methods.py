"""Methods page: datasets, indicators, perimeter evidence."""
from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def test_methods_page(page, live_server, atlas):
    from atlas.catalog import CATALOG
    page.goto(f"{live_server}/methodes")
    page.wait_for_selector("#methods-sources")
    assert page.locator("#methods-sources tbody tr").count() >= len(atlas.sources())
    src = page.text_content("#methods-sources")
    assert "DREES" in src and "Licence Ouverte" in src
    assert page.locator("#methods-indicators tbody tr").count() == len(CATALOG)
    ind = page.text_content("#methods-indicators")
    assert "secret statistique" in ind and "Σ professionnels / Σ population × 10 000" in ind
    per = page.text_content("#methods-perimeters")
    for name in ("CPTS Aunis Sud", "CPTS de Vénissieux", "CPTS Atlantique Nord Loire"):
        assert name in per
    # computed accessibility: one row of parameters per supply, the comparison with each APL year
    assert page.locator("#methods-access-parameters tbody tr").count() == len(atlas.access.parameters()) == 6
    validation = page.text_content("#methods-access-validation")
    for row in atlas.access.validation():
        assert str(row["apl_year"]) in validation
    assert "Objectifs visés" in page.text_content("#methods-page")
    with page.expect_download() as dl:
        page.click("#methods-export-sources")
    assert "drees_apl_mg" in open(dl.value.path(), encoding="utf-8").read()
