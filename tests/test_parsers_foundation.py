"""Parsers of the foundation sources, on tiny files in the official layouts written by the tests."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely

from atlas.errors import InputError
from etl.parsers.apl import read_apl_workbook
from etl.parsers.decoupage import read_decoupage_tarball
from etl.parsers.geometry import read_commune_geometry
from etl.parsers.territories import read_published_figures, read_seed_perimeters
from etl.rekey import rekey_geometries, rekey_sum_and_weighted

import factories as f


# -- Etalab découpage administratif ---------------------------------------------------------------
def test_decoupage_reads_current_communes_epci_and_rekey_map(tmp_path):
    d = read_decoupage_tarball(f.write_decoupage_tarball(tmp_path / "d.tgz"))
    assert list(d.communes.code) == ["01001", "01002", "01004", "01006", "02001"]  # COM 98411 out of scope
    assert d.communes.set_index("code").loc["01001", "epci"] == "200000001"
    assert d.communes.set_index("code").loc["01001", "population"] == 1000
    assert d.rekey["01003"] == "01001"          # anciensCodes
    assert d.rekey["01005"] == "01002"          # commune déléguée -> chef-lieu
    assert d.rekey["01004"] == "01004"
    assert "99999" not in d.rekey


def test_decoupage_missing_member_names_it(tmp_path):
    path = f.write_decoupage_tarball(tmp_path / "d.tgz", omit=("epci.json",))
    with pytest.raises(InputError, match="epci.json"):
        read_decoupage_tarball(path)


def test_decoupage_invalid_json_gives_line_and_column(tmp_path):
    path = f.write_decoupage_tarball(tmp_path / "d.tgz", raw_members={"communes.json": b'[\n{"code": "01001",\n oops}]'})
    with pytest.raises(InputError) as exc:
        read_decoupage_tarball(path)
    assert exc.value.line == 3 and exc.value.column is not None
    assert "communes.json" in str(exc.value)


def test_decoupage_non_utf8(tmp_path):
    path = f.write_decoupage_tarball(tmp_path / "d.tgz", raw_members={"regions.json": '[{"nom": "Île"}]'.encode("latin-1")})
    with pytest.raises(InputError, match="UTF-8"):
        read_decoupage_tarball(path)


def test_decoupage_not_an_archive(tmp_path):
    p = tmp_path / "d.tgz"
    p.write_text("not a tarball")
    with pytest.raises(InputError, match="archive illisible"):
        read_decoupage_tarball(p)


# -- geometry and re-keying -----------------------------------------------------------------------
def test_rekey_dissolves_polygons_of_merged_communes(tmp_path):
    geom = read_commune_geometry(f.write_geometry_parquet(tmp_path / "g.parquet"))
    d = read_decoupage_tarball(f.write_decoupage_tarball(tmp_path / "d.tgz"))
    out, unknown = rekey_geometries(geom, d.rekey)
    assert unknown == []
    assert sorted(out.code) == ["01001", "01002", "01004", "02001"]
    alpha = out.set_index("code").loc["01001", "geometry"]
    # two 0.1° squares stacked -> one polygon of twice the area
    assert alpha.area == pytest.approx(0.02)
    assert shapely.get_num_geometries(alpha) == 1
    assert "fusion" in out.set_index("code").loc["01001", "geom_source"]


def test_rekey_reports_unknown_codes(tmp_path):
    import geopandas as gpd
    gdf = gpd.GeoDataFrame({"code": ["01001", "77777"]}, geometry=[f.square(0, 0), f.square(1, 1)], crs=4326)
    out, unknown = rekey_geometries(gdf, {"01001": "01001"})
    assert unknown == ["77777"] and list(out.code) == ["01001"]


def test_geometry_without_code_column(tmp_path):
    import geopandas as gpd
    p = tmp_path / "g.parquet"
    gpd.GeoDataFrame({"name": ["x"]}, geometry=[f.square(0, 0)], crs=4326).to_parquet(p)
    with pytest.raises(InputError, match="code commune"):
        read_commune_geometry(p)


def test_geometry_reprojected_to_4326(tmp_path):
    import geopandas as gpd
    p = tmp_path / "g.parquet"
    gpd.GeoDataFrame({"INSEE_COM": ["01001"]}, geometry=[f.square(5, 46)], crs=4326).to_crs(2154).to_parquet(p)
    g = read_commune_geometry(p)
    assert g.crs.to_epsg() == 4326
    assert g.geometry.iloc[0].bounds[0] == pytest.approx(5.0, abs=1e-6)


# -- DREES APL workbook -----------------------------------------------------------------------------
def test_apl_workbook_parsed_by_header(tmp_path):
    df = read_apl_workbook(f.write_apl_workbook(tmp_path / "apl.xlsx"))
    assert df.attrs["years"] == [2022, 2023]
    row = df[(df.year == 2022) & (df.code == "01004")].iloc[0]
    assert (row.apl_mg, row.apl_mg_65, row.pop_std, row.pop_total) == (5.0, 4.0, 250.0, 250.0)
    assert "habitant standardisé" in df.attrs["units"]["apl_mg"]


def test_apl_header_found_after_extra_notes_and_reordered_columns(tmp_path):
    header = [f.APL_HEADER[i] for i in (1, 0, 5, 4, 3, 2)]
    rows = {2023: [tuple(r[i] for i in (1, 0, 5, 4, 3, 2)) for r in f.APL_ROWS[2023]]}
    df = read_apl_workbook(f.write_apl_workbook(tmp_path / "apl.xlsx", rows, notes=12, header=header))
    alpha = df[df.code == "01001"].iloc[0]
    assert (alpha.apl_mg, alpha.pop_std) == (3.2, 1000.0)


def test_apl_missing_column(tmp_path):
    header = f.APL_HEADER[:3] + f.APL_HEADER[4:]  # no "de moins de 65 ans"
    rows = {2023: [r[:3] + r[4:] for r in f.APL_ROWS[2023]]}
    with pytest.raises(InputError, match="apl_mg_65") as exc:
        read_apl_workbook(f.write_apl_workbook(tmp_path / "apl.xlsx", rows, header=header))
    assert "APL 2023" in str(exc.value)


def test_apl_wrong_header_row(tmp_path):
    header = ["Commune INSEE"] + f.APL_HEADER[1:]
    with pytest.raises(InputError, match="en-tête"):
        read_apl_workbook(f.write_apl_workbook(tmp_path / "apl.xlsx", header=header))


def test_apl_non_numeric_value_names_line_and_column(tmp_path):
    rows = {2023: [("01001", "Alpha", "beaucoup", 2.6, 1000.0, 1000)]}
    with pytest.raises(InputError) as exc:
        read_apl_workbook(f.write_apl_workbook(tmp_path / "apl.xlsx", rows))
    # title + 7 notes + header + units = 10 rows, so the first commune is on line 11, column C
    assert exc.value.line == 11 and exc.value.column == "C"


def test_apl_no_year_sheet(tmp_path):
    import openpyxl
    p = tmp_path / "apl.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Feuil1"
    wb.save(p)
    with pytest.raises(InputError, match="APL <année>"):
        read_apl_workbook(p)


def test_apl_empty_file(tmp_path):
    p = tmp_path / "apl.xlsx"
    p.write_bytes(b"")
    with pytest.raises(InputError, match="illisible"):
        read_apl_workbook(p)


def test_apl_rekey_weighted_by_standardised_population(tmp_path):
    df = read_apl_workbook(f.write_apl_workbook(tmp_path / "apl.xlsx"))
    d = read_decoupage_tarball(f.write_decoupage_tarball(tmp_path / "d.tgz"))
    out, unknown = rekey_sum_and_weighted(df[df.year == 2022], d.rekey, sums=["pop_std", "pop_total"],
                                          weighted={"apl_mg": "pop_std"})
    alpha = out.set_index("code").loc["01001"]
    assert alpha.pop_std == 1000.0 and alpha.pop_total == 1000
    assert alpha.apl_mg == pytest.approx((3.0 * 800 + 1.0 * 200) / 1000)   # 2.6, not the mean 2.0
    assert unknown == []


def test_rekey_keeps_a_published_rate_whose_weight_is_zero():
    """The DREES publishes an APL for communes of standardised population 0 (60694, 85165, 85212 in
    2023): the commune keeps it (plain mean of its rows), and it weighs 0 in any aggregate."""
    df = pd.DataFrame({"code": ["A", "B1", "B2", "C"], "apl": [1.453, 3.0, 2.0, np.nan],
                       "pop": [0.0, 0.0, 0.0, 0.0]})
    out, _ = rekey_sum_and_weighted(df, {"A": "A", "B1": "B", "B2": "B", "C": "C"}, sums=["pop"], weighted={"apl": "pop"})
    got = out.set_index("code")
    assert got.at["A", "apl"] == pytest.approx(1.453) and got.at["B", "apl"] == pytest.approx(2.5)
    assert np.isnan(got.at["C", "apl"])                       # no value published: none invented
    assert (got["pop"] == 0).all()


# -- territory CSVs ---------------------------------------------------------------------------------
def test_seed_perimeters_roles_and_ids(tmp_path):
    df = read_seed_perimeters(f.write_perimeters(tmp_path / "p.csv"))
    assert set(df.territory_id) == {"aunis-sud", "venissieux", "entre-loire-et-sucs"}
    cand = df[df.code == "02001"].iloc[0]
    assert (cand.territory_id, cand.role) == ("entre-loire-et-sucs", "candidate")


def test_seed_perimeters_truncated_line(tmp_path):
    p = f.write_perimeters(tmp_path / "p.csv", ["CPTS_AUNIS_SUD,CPTS Aunis Sud,01001"])
    with pytest.raises(InputError) as exc:
        read_seed_perimeters(p)
    assert exc.value.line == 2 and "champs" in exc.value.problem


def test_seed_perimeters_missing_column(tmp_path):
    p = tmp_path / "p.csv"
    p.write_text("cpts_id,code_insee\nCPTS_X,01001\n", encoding="utf-8")
    with pytest.raises(InputError, match="confidence"):
        read_seed_perimeters(p)


def test_seed_perimeters_latin1_rejected_with_position(tmp_path):
    p = tmp_path / "p.csv"
    p.write_bytes((f.PERIMETERS_HEADER + "CPTS_VENISSIEUX,CPTS de Vénissieux,01004,Delta,01,2,CC,250,high,n\n").encode("latin-1"))
    with pytest.raises(InputError, match="UTF-8") as exc:
        read_seed_perimeters(p)
    assert exc.value.line == 2 and exc.value.column == 26


def test_seed_perimeters_empty_file(tmp_path):
    p = tmp_path / "p.csv"
    p.write_text("")
    with pytest.raises(InputError, match="vide"):
        read_seed_perimeters(p)


def test_seed_perimeters_bom_accepted(tmp_path):
    p = f.write_perimeters(tmp_path / "p.csv")
    p.write_bytes(b"\xef\xbb\xbf" + p.read_bytes())
    assert len(read_seed_perimeters(p)) == 5


def test_published_figures_non_numeric(tmp_path):
    p = tmp_path / "f.csv"
    p.write_text("territory_id,figure,value,unit,as_of,scope,source\naunis-sud,communes,quarante,c,d,s,src\n",
                 encoding="utf-8")
    with pytest.raises(InputError) as exc:
        read_published_figures(p)
    assert (exc.value.line, exc.value.column) == (2, "value")
