"""Integration on the real-data mirror: INSEE BPE 2018/2019 (all of France), SpF vaccination
references, RPPS professionals counted once per area. Uses the session's full build (conftest)."""
from __future__ import annotations

import dataclasses

import csv
import io
import zipfile
from collections import Counter

import pytest

from etl.parsers.bpe_ensemble import PRE_2021

pytestmark = pytest.mark.integration

# INSEE, BPE 2019, France (sanity figures of the mirror's README).
FRANCE_2019 = {"D201": 61_429, "D232": 100_816, "D233": 75_319, "D231": 7_066, "D221": 38_487, "D301": 24_474}


@pytest.fixture(scope="module")
def raw_2019(mirror_dir) -> Counter:
    """Σ NB_EQUIP per (DEPCOM, TYPEQU) of the official file, read with the csv module (not the parser)."""
    totals: Counter = Counter()
    with zipfile.ZipFile(mirror_dir / "insee/bpe19_ensemble_csv.zip") as z, \
            z.open("bpe19_ensemble.csv") as fh:
        reader = csv.DictReader(io.TextIOWrapper(fh, encoding="utf-8"), delimiter=";")
        for r in reader:
            if r["TYPEQU"] in PRE_2021.codes:
                totals[(r["DEPCOM"], r["TYPEQU"])] += int(r["NB_EQUIP"])
    return totals


def reference(atlas, indicator_id, level, code, year):
    """A stored reference as a dict (value, numerator, denominator, source_id, synthetic), or None."""
    r = atlas.references.get(indicator_id, level, code, year)
    return None if r is None else dataclasses.asdict(r)


def bpe_count(atlas, indicator_id, code, year=2019):
    rows = atlas.db.query("SELECT numerator FROM commune_values WHERE indicator_id = ? AND code = ? AND year = ?",
                       [indicator_id, code, year])
    assert len(rows) == 1, (indicator_id, code)
    return rows.iat[0, 0]


def raw(raw_2019, codes, typequ):
    return sum(raw_2019[(c, typequ)] for c in codes)


def test_national_totals_after_rekeying_equal_the_file(atlas, raw_2019):
    totals = atlas.db.query("""SELECT indicator_id, sum(numerator) AS n FROM commune_values
                            WHERE year = 2019 AND source_id = 'insee_bpe_ensemble_2019' GROUP BY 1""")
    got = dict(zip(totals["indicator_id"], totals["n"]))
    ids = {"D201": "density_mg_liberal", "D232": "density_inf_liberal", "D233": "density_mk_liberal",
           "D231": "density_sf_liberal", "D221": "density_dent_liberal", "D301": "density_pharmacy"}
    for typequ, n in FRANCE_2019.items():
        assert got[ids[typequ]] == n == sum(v for (_, t), v in raw_2019.items() if t == typequ), typequ
    assert got["count_msp"] == sum(v for (_, t), v in raw_2019.items() if t == "D113")
    msg = atlas.provenance.sources.loc["insee_bpe_ensemble_2019", "message"]
    assert "BPE 2019 ; population municipale 2023" in msg and "ignorés" not in msg   # no unknown code
    # the compact citation of tooltips and legends names the vintage, not the whole declaration
    assert atlas.provenance.short("insee_bpe_ensemble_2019") == "INSEE, BPE 2019"
    assert atlas.provenance.short("insee_bpe_ensemble_2018") == "INSEE, BPE 2018"


def test_merged_commune_is_the_sum_of_its_former_communes(atlas, raw_2019):
    # Hesdin-la-Forêt (62447) absorbed Huby-Saint-Leu, Marconnelle and Sainte-Austreberthe since 2019.
    former = ["62447", "62461", "62549", "62743"]
    for typequ, iid in (("D201", "density_mg_liberal"), ("D232", "density_inf_liberal")):
        assert sum(1 for c in former if raw_2019[(c, typequ)]) >= 2
        assert bpe_count(atlas, iid, "62447") == raw(raw_2019, former, typequ)
    pop = atlas.communes.table.loc["62447", "population"]
    value = atlas.db.query("SELECT value, denominator FROM commune_values WHERE indicator_id = 'density_mg_liberal' "
                        "AND code = '62447' AND year = 2019").iloc[0]
    assert value.denominator == pop and value.value == pytest.approx(raw(raw_2019, former, "D201") / pop * 10_000)


def test_rekey_map_folds_the_arrondissements(mirror_dir):
    from etl.parsers.decoupage import read_decoupage_tarball
    rekey = read_decoupage_tarball(mirror_dir / "etalab/etalab-decoupage-administratif-6.0.0.tgz").rekey
    for codes, commune in (([f"751{i:02d}" for i in range(1, 21)], "75056"),
                           ([f"6938{i}" for i in range(1, 10)], "69123"),
                           ([f"132{i:02d}" for i in range(1, 17)], "13055")):
        assert {rekey[c] for c in codes} == {commune}


def test_paris_lyon_marseille_are_the_sums_of_their_arrondissements(atlas, raw_2019):
    arrondissements = [f"751{i:02d}" for i in range(1, 21)]
    assert all(raw_2019[(c, "D201")] for c in arrondissements)
    assert bpe_count(atlas, "density_mg_liberal", "75056") == raw(raw_2019, arrondissements, "D201")
    lyon = [f"6938{i}" for i in range(1, 10)]
    assert bpe_count(atlas, "density_pharmacy", "69123") == raw(raw_2019, lyon, "D301")
    marseille = [f"132{i:02d}" for i in range(1, 17)]
    assert bpe_count(atlas, "density_inf_liberal", "13055") == raw(raw_2019, marseille, "D232")


@pytest.mark.parametrize("code, typequ, iid", [
    ("2A004", "D201", "density_mg_liberal"),       # Ajaccio
    ("2B033", "D232", "density_inf_liberal"),      # Bastia
    ("97411", "D201", "density_mg_liberal"),       # Saint-Denis (La Réunion)
    ("97611", "D232", "density_inf_liberal"),      # Mamoudzou (Mayotte)
])
def test_corsica_and_drom(atlas, raw_2019, code, typequ, iid):
    assert raw_2019[(code, typequ)] > 0
    assert bpe_count(atlas, iid, code) == raw_2019[(code, typequ)]


def test_every_commune_with_a_population_has_a_value(atlas):
    n = atlas.db.query("""SELECT count(*) AS n, count(*) FILTER (WHERE numerator = 0) AS zeros FROM commune_values
                       WHERE indicator_id = 'density_mg_liberal' AND year = 2019""").iloc[0]
    with_pop = int((atlas.communes.table["population"].fillna(0) > 0).sum())
    assert n.n == with_pop and n.zeros > 10_000          # most villages have no liberal GP practice


@pytest.mark.parametrize("dep", ["01", "2A", "69", "974"])
def test_departement_reference_is_sum_of_counts_over_sum_of_population(atlas, dep):
    codes = atlas.communes.table.index[atlas.communes.table["departement"] == dep].tolist()
    rows = atlas.db.query("SELECT numerator, denominator FROM commune_values WHERE indicator_id = 'density_mg_liberal' "
                       "AND year = 2019 AND list_contains(?, code)", [codes])
    ref = reference(atlas, "density_mg_liberal", "departement", dep, 2019)
    assert ref["numerator"] == rows["numerator"].sum() and ref["denominator"] == rows["denominator"].sum()
    assert ref["value"] == pytest.approx(rows["numerator"].sum() / rows["denominator"].sum() * 10_000)
    assert not ref["synthetic"]
    fr = reference(atlas, "density_mg_liberal", "france", "FR", 2019)
    assert fr["numerator"] == FRANCE_2019["D201"]


def test_spf_vaccination_references(atlas):
    fr = reference(atlas, "vaccin_grippe_65", "france", "FR", 2022)
    assert fr["value"] == 56.2 and fr["source_id"] == "spf_vaccination_france" and not fr["synthetic"]
    # Ain is written "1" (not zero-padded) for the 2018 campaign in the département file
    ain = reference(atlas, "vaccin_grippe_65", "departement", "01", 2018)
    assert ain["value"] == 48.5 and ain["source_id"] == "spf_vaccination_departement"
    assert reference(atlas, "vaccin_grippe_65", "region", "84", 2022)["value"] == 55.5
    years = atlas.db.query("SELECT DISTINCT year FROM reference_values WHERE indicator_id = 'vaccin_grippe_65' "
                        "AND level = 'france' ORDER BY 1")["year"].tolist()
    assert years == list(range(2016, 2025))          # grip_65plus is null in the exports before 2016


def test_rpps_reference_counts_each_professional_once_per_departement(atlas):
    """Rhône GPs (demo RPPS): the département reference counts distinct persons, fewer than the sum of
    the commune counts when some GPs practise in two communes (demo: 2,797 persons, 2,819 commune counts)."""
    ref = reference(atlas, "density_mg", "departement", "69", atlas.years("density_mg")[-1])
    communes = atlas.db.query("""SELECT sum(v.numerator) AS n FROM commune_values v JOIN communes c USING (code)
                              WHERE v.indicator_id = 'density_mg' AND c.departement = '69'""").iat[0, 0]
    persons = atlas.db.query("""SELECT count(DISTINCT person) FROM professional_sites s JOIN communes c USING (code)
                             WHERE s.profession = 'mg' AND c.departement = '69'""").iat[0, 0]
    assert ref["numerator"] == persons < communes
    assert ref["source_id"] == "rpps_personne_activite" and ref["synthetic"]
    # libéral pharmacists: distinct persons with a libéral site in the département
    lib = atlas.db.query("""SELECT count(DISTINCT person) FROM professional_sites s JOIN communes c USING (code)
                         WHERE s.profession = 'pharma' AND s.mode = 'liberal' AND c.departement = '69'""").iat[0, 0]
    assert reference(atlas, "density_pharma_liberal", "departement", "69",
                           atlas.years("density_pharma_liberal")[-1])["numerator"] == lib
    # five demo départements: no région / France reference computed from partial coverage
    assert reference(atlas, "density_mg", "france", "FR", atlas.years("density_mg")[-1]) is None
