"""Demo data: official formats, deterministic, calibrated, flagged synthetic everywhere; offline builds."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from etl import demo
from etl.build import BuildOptions, run_build
from etl.parsers.decoupage import read_decoupage_tarball
from etl.sources import download
from etl.steps.professionals import RPPS_DENSITIES

ROOT = Path(__file__).resolve().parent.parent
DEMO_SOURCES = ("rpps_personne_activite", "insee_bpe", "ameli_sans_mt", "spf_depistage_cancers",
                "cpam_commune_indicators")
# Real sources the mirror holds for all of France: never synthetic, even in a --demo build.
REAL_SOURCES = ("communes_admin", "drees_apl_mg", "insee_bpe_ensemble_2018", "insee_bpe_ensemble_2019",
                "spf_vaccination_departement", "spf_vaccination_region", "spf_vaccination_france")


def _digest(directory: Path) -> dict:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir()) if p.is_file()}


def test_unreachable_download_fails_fast(tmp_path):
    t0 = time.perf_counter()
    with pytest.raises(OSError):
        download("https://cpts-atlas.invalid/data.csv", tmp_path)   # .invalid never resolves
    assert time.perf_counter() - t0 < 5


@pytest.mark.integration
def test_demo_files_deterministic_and_in_official_formats(built_data_dir, mirror_dir, tmp_path):
    con = duckdb.connect(str(built_data_dir / "current" / "atlas.duckdb"), read_only=True)
    postal = read_decoupage_tarball(mirror_dir / "etalab/etalab-decoupage-administratif-6.0.0.tgz").postal
    a = demo.generate_demo_files(con, tmp_path / "a", postal)
    b = demo.generate_demo_files(con, tmp_path / "b", postal)
    con.close()
    assert _digest(a.directory) == _digest(b.directory)
    rpps = a.path("rpps_personne_activite").read_bytes()
    assert rpps.startswith(b"\xef\xbb\xbfType d'identifiant PP|Identifiant PP|")
    assert all(line.endswith(b"|") for line in rpps.splitlines()[:50])
    assert a.path("insee_bpe").read_text(encoding="utf-8").splitlines()[0].startswith("AN;NOMRS;DEPCOM;")
    cpam = a.path("cpam_commune_indicators").read_text(encoding="utf-8").splitlines()
    assert cpam[0] == "code_commune;indicateur;annee;numerateur;denominateur;valeur;source;donnees_fictives"
    assert all(line.endswith(";oui") for line in cpam[1:])
    assert not str(a.directory).startswith(str(ROOT)) and not str(a.directory).startswith(str(mirror_dir))


@pytest.mark.integration
def test_demo_build_is_flagged_synthetic_everywhere(atlas):
    s = atlas.provenance.sources
    for sid in DEMO_SOURCES:
        assert s.loc[sid, "resolved_from"] == "demo" and bool(s.loc[sid, "synthetic"]), sid
    for sid in REAL_SOURCES:
        assert s.loc[sid, "status"] == "loaded" and not bool(s.loc[sid, "synthetic"]), sid
    assert atlas.any_synthetic
    # RPPS densities (7) and the CPAM table (5 indicators) are demo data; BPE densities are real.
    q = atlas.db.query("""SELECT indicator_id, bool_and(synthetic) AS s FROM commune_values
                       WHERE list_contains(?, indicator_id) OR source_id = 'cpam_commune_indicators' GROUP BY 1""",
                    [sorted(RPPS_DENSITIES)])
    assert len(q) == 12 and q["s"].all()
    real = atlas.db.query("SELECT bool_or(synthetic) FROM commune_values WHERE list_contains(?, source_id)",
                       [list(REAL_SOURCES)]).iat[0, 0]
    assert real is not None and not real
    r = atlas.db.query("SELECT bool_and(synthetic) FROM reference_values WHERE NOT list_contains(?, source_id) "
                       "AND indicator_id NOT LIKE 'access_%'", [list(REAL_SOURCES)]).iat[0, 0]
    assert r
    # The computed accessibility uses real supply only (INSEE BPE), never the demo files.
    assert not atlas.db.query("SELECT bool_or(synthetic) FROM reference_values WHERE indicator_id LIKE 'access_%'"
                              ).iat[0, 0]
    assert atlas.db.query("SELECT bool_and(synthetic) FROM professionals_by_commune").iat[0, 0]


@pytest.mark.integration
def test_demo_calibration_and_plausibility(atlas):
    aunis = atlas.supply.rpps_counts(atlas.territory("aunis-sud").codes)
    lib = aunis[aunis["mode"] == "liberal"]
    assert lib["count"].sum() == 390                              # published: 390 liberal professionals
    ven = atlas.supply.rpps_counts(atlas.territory("venissieux").codes).set_index(["profession", "mode"])["count"]
    assert ven[("inf", "liberal")] == 52                          # published: 52 nurses
    assert ven.xs("liberal", level="mode").sum() == 154           # published: 154 liberal professionals
    mg = atlas.db.query("""SELECT c.code, c.population, coalesce(v.numerator, 0) AS n FROM communes c
                        JOIN commune_values v ON v.code = c.code AND v.indicator_id = 'density_mg'
                        WHERE c.departement = '17'""")
    assert (mg["n"] == 0).sum() > 50                              # many villages without a GP
    big = mg.sort_values("population").tail(5)
    assert big["n"].sum() / big["population"].sum() > mg["n"].sum() / mg["population"].sum()  # towns concentrate
    cv = atlas.db.query("SELECT count(*) FROM commune_values WHERE indicator_id = 'density_mg' AND code LIKE '75%'")
    assert cv.iat[0, 0] == 0                                      # no fake zeros outside the demo départements


@pytest.mark.integration
def test_cli_summary_json_has_new_indicators_with_references(built_data_dir):
    r = subprocess.run([sys.executable, "-m", "etl", "--data-dir", str(built_data_dir), "summary", "--territory",
                        "aunis-sud", "--format", "json"], cwd=ROOT, capture_output=True, text=True, timeout=120,
                       env={**os.environ})
    assert r.returncode == 0, r.stderr
    d = {i["id"]: i for i in json.loads(r.stdout)["indicators"]}
    # (commune values synthetic, references synthetic): RPPS and CPAM demo data; real BPE; real SpF
    # references beside demo commune values for the influenza vaccination.
    expected = {"density_mg": (True, True), "density_inf": (True, True), "density_pharma": (True, True),
                "sans_mt_17": (True, True), "depistage_sein": (True, True), "depistage_colorectal": (True, True),
                "depistage_col_uterus": (True, True), "vaccin_grippe_65": (True, False),
                "density_mg_liberal": (False, False), "density_pharmacy": (False, False)}
    for iid, (synthetic, ref_synthetic) in expected.items():
        e = d[iid]
        assert e["synthetic"] is synthetic and e["value"] is not None and e["numerator"] and e["denominator"], iid
        assert e["reference"]["departement"] is not None and e["source"] and e["year"], iid
        assert e["reference_synthetic"]["departement"] is ref_synthetic, iid
    assert d["sans_mt_17"]["reference"]["france"] is not None
    for level in ("region", "france"):                                 # BPE covers France: every level
        assert d["density_mg_liberal"]["reference"][level] is not None
    assert d["density_mg"]["reference"]["france"] is None              # demo RPPS: five départements only
    assert d["apl_mg"]["synthetic"] is False


def test_offline_build_without_demo_succeeds_and_records_unavailable(tmp_path):
    import factories as f
    f.write_tiny_sources(tmp_path / "mirror")
    run_build(BuildOptions(data_dir=tmp_path / "geodata", mirror=tmp_path / "mirror", allow_download=False,
                           cache_dir=tmp_path / "cache"))
    con = duckdb.connect(str(tmp_path / "geodata/current/atlas.duckdb"), read_only=True)
    st = dict(con.execute("SELECT id, status FROM sources").fetchall())
    assert all(st[s] == "unavailable" for s in DEMO_SOURCES)
    assert con.execute("SELECT count(*) FROM commune_values WHERE indicator_id LIKE 'density%'").fetchall()[0][0] == 0
    con.close()
    assert (tmp_path / "geodata/current/locations.parquet").is_file()   # empty layer, same schema


def test_demo_build_on_a_tiny_world(tmp_path):
    """--demo on a world without the five départements uses its communes (and the same parsers)."""
    import factories as f
    f.write_tiny_sources(tmp_path / "mirror")
    run_build(BuildOptions(data_dir=tmp_path / "geodata", mirror=tmp_path / "mirror", allow_download=False,
                           cache_dir=tmp_path / "cache", demo=True))
    con = duckdb.connect(str(tmp_path / "geodata/current/atlas.duckdb"), read_only=True)
    st = dict(con.execute("SELECT id, resolved_from FROM sources").fetchall())
    assert all(st[s] == "demo" for s in DEMO_SOURCES)
    con.close()
    assert not any(p.name.startswith("PS_LibreAcces") for p in ROOT.rglob("PS_LibreAcces*") if ".venv" not in str(p))
