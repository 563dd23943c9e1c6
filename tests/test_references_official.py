"""Official département / région / France references (Assurance Maladie, Santé publique France)."""
from __future__ import annotations

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
GRIPPE = ["annee;niveau;code;libelle;grip_65plus", "2024;département;1;Ain;52,3", "2024;France;;France;54,0",
          "2024;département;02;Aisne;NC"]
DENSITES = ["annee;niveau;code;libelle;profession_sante;effectif;population;densite",
            "2024;département;01;Ain;Médecins généralistes;520;660000;78,8",
            "2024;département;01;Ain;Orthophonistes;300;660000;45,5"]


def write(path, lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_parse_official_exports(tmp_path):
    df = read_official_references(write(tmp_path / "a.csv", SANS_MT), "ameli_sans_mt")
    assert list(df["level"]) == ["departement", "region", "france"] and list(df["code"]) == ["01", "84", "FR"]
    assert df.iloc[0]["value"] == 11.0 and df.iloc[0]["numerator"] == 55000 and df.iloc[0]["denominator"] == 500000
    g = read_official_references(write(tmp_path / "g.csv", GRIPPE), "spf_vaccination_grippe")
    assert list(g["code"]) == ["01", "FR"] and g["value"].tolist() == [52.3, 54.0]   # 'NC' = not communicated
    d = read_official_references(write(tmp_path / "d.csv", DENSITES), "ameli_densites_liberaux")
    assert list(d["indicator_id"]) == ["density_mg_liberal"]                     # orthophonists left out
    assert d.iloc[0]["value"] == pytest.approx(7.88)                            # per 100,000 -> per 10,000


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
    g = write(tmp_path / "grippe.csv", GRIPPE)
    opts = dict(data_dir=tmp_path / "geodata", mirror=tmp_path / "mirror", allow_download=False,
                cache_dir=tmp_path / "cache")
    run_build(BuildOptions(files={"ameli_sans_mt": a, "spf_vaccination_grippe": g}, **opts))

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
    assert ("vaccin_grippe_65", "france", "FR", 2024, 54.0, "spf_vaccination_grippe", False) in first
    # a corrected export, re-run alone: old rows replaced, nothing stale, other sources kept
    write(a, [SANS_MT[0], "2024;département;01;Ain;500000;60000;12,0"])
    run_build(BuildOptions(files={"ameli_sans_mt": a}, only="ameli_sans_mt", **opts))
    second = refs()
    sans = [r for r in second if r[0] == "sans_mt_17"]
    assert sans == [("sans_mt_17", "departement", "01", 2024, 12.0, "ameli_sans_mt", False)]
    assert [r for r in second if r[0] == "vaccin_grippe_65"] == [r for r in first if r[0] == "vaccin_grippe_65"]
