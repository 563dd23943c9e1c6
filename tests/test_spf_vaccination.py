"""Santé publique France (Odissé) vaccination coverage, JSON exports: parser and build."""
from __future__ import annotations

import json

import duckdb
import pytest

import factories as f
from atlas.errors import InputError
from etl.build import BuildOptions, run_build
from etl.parsers.spf_vaccination import read_spf_vaccination


def rec(year, value, **codes):
    base = {"an_mesure": str(year), "hpv1_f": 28.0, "grip_moins65": None, "grip_65plus": value,
            "grip_6574": None, "grip_75plus": None, "covid_65plus": None}
    return {**base, **codes}


def write(path, records):
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    return path


def rows(df):
    return sorted((r.level, r.code, r.year, r.value) for r in df.itertuples(index=False))


def test_departements_padding_strings_nulls(tmp_path):
    records = [rec(2018, 48.5, dep="1", libgeo="Ain", reg="84"),          # written "1" by the portal
               rec(2019, "49.6", dep="01", libgeo="Ain", reg="84"),       # numeric string
               rec(2020, "57,9", dep="01", libgeo="Ain", reg="84"),       # decimal comma
               rec(2011, None, dep="01", libgeo="Ain", reg="84"),         # not measured: no row
               rec(2022, 60.1, dep="2a", libgeo="Corse-du-Sud", reg="94"),
               rec(2022, 41.0, dep="971", libgeo="Guadeloupe", reg="1")]
    df = read_spf_vaccination(write(tmp_path / "dep.json", records))
    assert rows(df) == [("departement", "01", 2018, 48.5), ("departement", "01", 2019, 49.6),
                        ("departement", "01", 2020, 57.9), ("departement", "2A", 2022, 60.1),
                        ("departement", "971", 2022, 41.0)]
    assert set(df["indicator_id"]) == {"vaccin_grippe_65"}
    assert df["numerator"].isna().all() and df["denominator"].isna().all()


def test_region_and_france_files(tmp_path):
    reg = read_spf_vaccination(write(tmp_path / "reg.json", [rec(2022, 55.5, reg="84", reglib="ARA"),
                                                             rec(2022, 40.2, reg="2", reglib="Martinique")]))
    assert rows(reg) == [("region", "02", 2022, 40.2), ("region", "84", 2022, 55.5)]
    fr = read_spf_vaccination(write(tmp_path / "fr.json", [rec(2022, 56.2), rec(2012, None)]))
    assert rows(fr) == [("france", "FR", 2022, 56.2)]


@pytest.mark.parametrize("records, number, field, message", [
    ([rec(2022, 50.0, dep="01"), rec(2022, "n/a", dep="02")], 2, "grip_65plus", "valeur non numérique"),
    ([rec(2022, 150.0, dep="01")], 1, "grip_65plus", "hors de 0 à 100"),
    ([rec(2022, -1, dep="01")], 1, "grip_65plus", "hors de 0 à 100"),
    ([rec(2022, True, dep="01")], 1, "grip_65plus", "valeur non numérique"),
    ([rec("22", 50.0, dep="01")], 1, "an_mesure", "année invalide"),
    ([rec(2022, 50.0, dep="ZZ")], 1, "dep", "code département invalide"),
    ([rec(2022, 50.0, dep="1"), rec(2022, 51.0, dep="01")], 2, None, "en double"),
    ([{"dep": "01", "grip_65plus": 50.0}], 1, "an_mesure", "absent"),
    ([{"an_mesure": "2022", "dep": "01"}], 1, "grip_65plus", "absent"),
    (["01;2022;50"], 1, None, "objet attendu"),
])
def test_bad_records_name_file_record_and_field(tmp_path, records, number, field, message):
    with pytest.raises(InputError) as e:
        read_spf_vaccination(write(tmp_path / "x.json", records))
    err = e.value
    assert err.file == "x.json" and message in err.problem and f"enregistrement n° {number}" in err.problem
    assert err.column == field


def test_not_a_list_and_broken_json(tmp_path):
    with pytest.raises(InputError, match="liste d'enregistrements"):
        read_spf_vaccination(write(tmp_path / "a.json", {"results": []}))
    (tmp_path / "b.json").write_text('[{"an_mesure": "2022", "dep": "01",\n "grip_65plus": }]', encoding="utf-8")
    with pytest.raises(InputError) as e:
        read_spf_vaccination(tmp_path / "b.json")
    assert "JSON invalide" in e.value.problem and e.value.line == 2


def test_build_loads_the_three_levels_as_real_references(tmp_path):
    f.write_tiny_sources(tmp_path / "mirror")
    files = {"spf_vaccination_departement": write(tmp_path / "d.json", [rec(2022, 57.0, dep="1", reg="84"),
                                                                        rec(2022, 61.0, dep="2", reg="32")]),
             "spf_vaccination_region": write(tmp_path / "r.json", [rec(2022, 55.5, reg="84")]),
             "spf_vaccination_france": write(tmp_path / "f.json", [rec(2022, 56.2)])}
    opts = dict(data_dir=tmp_path / "geodata", mirror=tmp_path / "mirror", allow_download=False,
                cache_dir=tmp_path / "cache", demo=True)
    run_build(BuildOptions(files=files, **opts))
    con = duckdb.connect(str(tmp_path / "geodata/current/atlas.duckdb"), read_only=True)
    try:
        refs = con.execute("SELECT level, code, year, value, source_id, synthetic FROM reference_values "
                           "WHERE indicator_id = 'vaccin_grippe_65' ORDER BY 1, 2").fetchall()
        cv = con.execute("SELECT bool_and(synthetic), count(*) FROM commune_values "
                         "WHERE indicator_id = 'vaccin_grippe_65'").fetchall()[0]
    finally:
        con.close()
    # SpF references are real and kept by the references step (not recomputed from the demo communes)
    assert refs == [("departement", "01", 2022, 57.0, "spf_vaccination_departement", False),
                    ("departement", "02", 2022, 61.0, "spf_vaccination_departement", False),
                    ("france", "FR", 2022, 56.2, "spf_vaccination_france", False),
                    ("region", "84", 2022, 55.5, "spf_vaccination_region", False)]
    assert cv[0] is True and cv[1] > 0            # commune values: still the (fictitious) CPAM demo table
