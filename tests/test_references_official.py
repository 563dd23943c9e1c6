"""Official département / région / France references (Assurance Maladie, Santé publique France)."""
from __future__ import annotations

import json

import duckdb
import pytest

import factories as f
from etl.build import BuildOptions, run_build
from atlas.errors import InputError
from etl.parsers.official_refs import read_official_references

SANS_MT = ["annee;niveau;code;libelle;patients_17_plus;patients_sans_mt;part_patients_sans_mt",
           "2024;département;01;Ain;500000;55000;11,0",
           "2024;région;84;Auvergne-Rhône-Alpes;6000000;630000;10,5",
           "2024;France;FR;France;53000000;5830000;11,0"]
GRIPPE = [{"an_mesure": "2024", "dep": "1", "libgeo": "Ain", "reg": "84", "grip_65plus": 52.3},
          {"an_mesure": "2024", "dep": "02", "libgeo": "Aisne", "reg": "32", "grip_65plus": None}]


def write(path, lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_parse_official_exports(tmp_path):
    df = read_official_references(write(tmp_path / "a.csv", SANS_MT), "ameli_sans_mt")
    assert list(df["level"]) == ["departement", "region", "france"] and list(df["code"]) == ["01", "84", "FR"]
    assert df.iloc[0]["value"] == 11.0 and df.iloc[0]["numerator"] == 55000 and df.iloc[0]["denominator"] == 500000
    nc = read_official_references(write(tmp_path / "nc.csv", [SANS_MT[0], "2024;département;02;Aisne;;;NC"]),
                                  "ameli_sans_mt")
    assert nc.empty                                                              # 'NC' = not communicated


@pytest.mark.parametrize("lines, expected", [
    (["annee;code;part_patients_sans_mt", "2024;01;11"], "colonne niveau introuvable"),
    (["annee;niveau;code;autre", "2024;département;01;11"], "valeur de sans_mt_17 introuvable"),
    ([SANS_MT[0], "2024;canton;01;x;1;1;1"], "niveau géographique inconnu"),
    ([SANS_MT[0], "2024;département;01;Ain;100;200;50"], "numérateur supérieur"),
    ([SANS_MT[0], SANS_MT[1], SANS_MT[1]], "ligne en double"),
    ([SANS_MT[0], "2024;département;01;Ain;100;20;abc"], "valeur non numérique"),
])
def test_bad_official_exports(tmp_path, lines, expected):
    with pytest.raises(InputError, match=expected):
        read_official_references(write(tmp_path / "x.csv", lines), "ameli_sans_mt")


def test_build_loads_official_references_and_rebuild_replaces_them(tmp_path):
    f.write_tiny_sources(tmp_path / "mirror")
    a = write(tmp_path / "ameli.csv", SANS_MT)
    g = tmp_path / "grippe.json"
    g.write_text(json.dumps(GRIPPE), encoding="utf-8")
    opts = dict(data_dir=tmp_path / "geodata", mirror=tmp_path / "mirror", allow_download=False,
                cache_dir=tmp_path / "cache")
    run_build(BuildOptions(files={"ameli_sans_mt": a, "spf_vaccination_departement": g}, **opts))

    def refs():
        con = duckdb.connect(str(tmp_path / "geodata/current/atlas.duckdb"), read_only=True)
        try:
            return con.execute("SELECT indicator_id, level, code, year, value, source_id, synthetic "
                               "FROM reference_values WHERE source_id LIKE 'ameli%' OR source_id LIKE 'spf%' "
                               "ORDER BY 1, 2, 3").fetchall()
        finally:
            con.close()

    first = refs()
    assert ("sans_mt_17", "departement", "01", 2024, 11.0, "ameli_sans_mt", False) in first
    assert ("vaccin_grippe_65", "departement", "01", 2024, 52.3, "spf_vaccination_departement", False) in first
    # a corrected export, re-run alone: old rows replaced, nothing stale, other sources kept
    write(a, [SANS_MT[0], "2024;département;01;Ain;500000;60000;12,0"])
    run_build(BuildOptions(files={"ameli_sans_mt": a}, only="ameli_sans_mt", **opts))
    second = refs()
    sans = [r for r in second if r[0] == "sans_mt_17"]
    assert sans == [("sans_mt_17", "departement", "01", 2024, 12.0, "ameli_sans_mt", False)]
    assert [r for r in second if r[0] == "vaccin_grippe_65"] == [r for r in first if r[0] == "vaccin_grippe_65"]
