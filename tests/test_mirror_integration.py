"""Integration on the real-data mirror: a full build over France (shared by the session)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from etl.territories import CPTS_CATALOG

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.integration


def test_france_is_built(atlas):
    assert len(atlas.communes) == 34875
    assert int(atlas.communes.table["has_geometry"].sum()) == 34871
    msg = atlas.provenance.sources.loc["communes_geometry", "message"]
    for code in ("15031", "15035", "15047", "15171"):
        assert code in msg
    fr = atlas.references.get("population", "france", "FR", 2023).value
    assert fr == pytest.approx(atlas.communes.table["population"].sum())


def test_the_five_territories_resolve(atlas):
    ids = {t.id for t in atlas.territories()}
    assert set(CPTS_CATALOG) <= ids
    counts = {t.id: len(t.codes) for t in atlas.territories() if t.kind == "cpts"}
    assert counts == {"ouest-rhodanien": 31, "aunis-sud": 40, "entre-loire-et-sucs": 30,
                      "atlantique-nord-loire": 0, "venissieux": 1}
    els = atlas.territory("entre-loire-et-sucs")
    assert len(els.candidates) == 14 and not set(els.candidates) & set(els.codes)


def test_every_territory_commune_has_geometry_and_population(atlas):
    for t in atlas.territories("cpts"):
        c = atlas.communes.table.reindex(list(t.codes))
        assert c["has_geometry"].all(), t.id
        assert c["population"].notna().all() and (c["population"] > 0).all(), t.id


def test_published_gap_is_recorded(atlas):
    row = atlas.db.query("SELECT * FROM territories WHERE id = 'ouest-rhodanien'").iloc[0]
    assert row.published_communes == 27 and row.communes_diff == 4
    assert row.published_population == 47758 and row.population_diff == row.population - 47758
    assert row.confidence == "superset"


def _workbook_value(mirror_dir, sheet, code):
    wb = openpyxl.load_workbook(mirror_dir / "drees/apl_generalistes_2022_2023.xlsx", read_only=True)
    try:
        for row in wb[sheet].iter_rows(min_row=10, values_only=True):
            if row[0] == code:
                return row
    finally:
        wb.close()
    raise AssertionError(code)


# 60694, 85165, 85212: published in 2023 with a standardised population of 0; they keep their APL
@pytest.mark.parametrize("code,year", [("69259", 2023), ("17300", 2022), ("43157", 2023),
                                       ("60694", 2023), ("85165", 2023), ("85212", 2023)])
def test_cli_commune_apl_equals_workbook(built_data_dir, mirror_dir, code, year):
    row = _workbook_value(mirror_dir, f"APL {year}", code)
    env = {**os.environ, "ATLAS_DATA_DIR": str(built_data_dir)}
    r = subprocess.run([sys.executable, "-m", "etl", "commune", code, "--year", str(year), "--format", "json"],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    ind = {i["id"]: i for i in json.loads(r.stdout)["indicators"]}
    assert ind["apl_mg"]["value"] == pytest.approx(row[2])
    assert ind["apl_mg_65"]["value"] == pytest.approx(row[3])
    assert ind["apl_mg"]["year"] == year and ind["apl_mg"]["synthetic"] is False


def test_paris_arrondissements_rekeyed_weighted(atlas, mirror_dir):
    wb = openpyxl.load_workbook(mirror_dir / "drees/apl_generalistes_2022_2023.xlsx", read_only=True)
    rows = [r for r in wb["APL 2023"].iter_rows(min_row=10, values_only=True) if r[0] and str(r[0]).startswith("751")]
    wb.close()
    assert len(rows) == 20
    expected = sum(r[2] * r[4] for r in rows) / sum(r[4] for r in rows)
    assert atlas.commune_values("apl_mg", ["75056"], 2023).iloc[0].value == pytest.approx(expected)


def test_territory_apl_is_ratio_of_sums(atlas):
    t = atlas.territory("aunis-sud")
    rows = atlas.commune_values("apl_mg", t.codes, 2023)
    fig = atlas.entry("apl_mg", t, year=2023)
    assert fig["value"] == pytest.approx((rows.value * rows.denominator).sum() / rows.denominator.sum())


def _commune(built_data_dir, *args):
    env = {**os.environ, "ATLAS_DATA_DIR": str(built_data_dir)}
    r = subprocess.run([sys.executable, "-m", "etl", "commune", *args], cwd=ROOT, env=env, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_a_year_without_apl_is_said_unavailable_never_replaced(built_data_dir):
    ind = {i["id"]: i for i in json.loads(_commune(built_data_dir, "17300", "--year", "2019", "--format",
                                                   "json"))["indicators"]}
    apl = ind["apl_mg"]
    assert apl["year"] == 2019 and apl["value"] is None and apl["available"] is False
    assert "2019" in apl["reason"] and apl["years"] == [2022, 2023]
    assert all(v is None for v in apl["reference"].values())          # no 2023 reference passed off as 2019
    assert ind["density_mg_liberal"]["year"] == 2019 and ind["density_mg_liberal"]["value"] is not None
    text = _commune(built_data_dir, "17300", "--year", "2019")
    line = next(x for x in text.splitlines() if x.strip().startswith("Accessibilité potentielle localisée"))
    assert "(2019) : donnée indisponible (pas de donnée en 2019" in line


def test_the_weightless_communes_weigh_nothing_in_their_departement(atlas):
    """85165 and 85212 keep their published APL but do not move the Vendée reference."""
    rows = atlas.commune_values("apl_mg", None, 2023)
    vendee = rows[rows.code.str.startswith("85")]
    assert vendee.set_index("code").loc[["85165", "85212"], "denominator"].eq(0).all()
    ref = atlas.entry("apl_mg", atlas.territory("dep-85"), year=2023)["value"]
    assert ref == pytest.approx((vendee.value * vendee.denominator).sum() / vendee.denominator.sum())


def test_mayotte_says_why_it_has_no_apl(built_data_dir):
    line = next(x for x in _commune(built_data_dir, "97611").splitlines()
                if x.strip().startswith("Accessibilité potentielle localisée"))
    assert "Mayotte est hors du champ de l'APL" in line
