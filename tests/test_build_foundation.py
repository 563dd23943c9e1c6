"""The build on a tiny world: tables, ratio-of-sums figures, atomic swap, CLI, source resolution."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import factories as f
from atlas.figures import aggregate
from etl.build import BuildOptions, run_build
from atlas.errors import InputError, SourceUnavailable
from atlas.catalog import CATALOG
from etl.sources import load_sources, resolve
from atlas import paths
from atlas.read import Atlas

ROOT = Path(__file__).resolve().parent.parent


def build(data_dir, mirror, **kw):
    return run_build(BuildOptions(data_dir=data_dir, mirror=mirror, allow_download=False,
                                  cache_dir=data_dir.parent / "cache", **kw))


@pytest.fixture
def tiny_build(tmp_path, tiny_mirror):
    data_dir = tmp_path / "geodata"
    build(data_dir, tiny_mirror)
    return data_dir


def test_tables_and_geoparquet(tiny_build):
    import geopandas as gpd
    import pyarrow.parquet as pq

    s = Atlas(tiny_build)
    assert list(s.communes.table.code) == ["01001", "01002", "01004", "01006", "02001"]
    assert not s.communes.table.loc["01006", "has_geometry"]
    assert "01006" in s.provenance.sources.loc["communes_geometry", "message"]  # reported, not dropped silently
    meta = json.loads(pq.read_metadata(s.build_dir / paths.COMMUNES_WEB_FILE).metadata[b"geo"])
    assert meta["primary_column"] == "geometry" and meta["version"].startswith("1.")
    gdf = gpd.read_parquet(s.build_dir / paths.COMMUNES_WEB_FILE)
    assert gdf.crs.to_epsg() == 4326 and len(gdf) == 4
    assert gdf.set_index("code").loc["01001"].geometry.area == pytest.approx(0.02, rel=1e-3)


def test_apl_values_rekeyed_and_references_as_ratio_of_sums(tiny_build):
    s = Atlas(tiny_build)
    v = s.commune_values("apl_mg", ["01001"], 2022).iloc[0]
    assert v.value == pytest.approx(2.6) and v.denominator == pytest.approx(1000)
    ref = s.references.get("apl_mg", "departement", "01", 2022).value
    expected = (3.0 * 800 + 1.0 * 200 + 2.0 * 500 + 5.0 * 250) / (800 + 200 + 500 + 250)
    assert ref == pytest.approx(expected)
    assert ref != pytest.approx((2.6 + 2.0 + 5.0) / 3)  # not an average of commune rates
    france = s.references.get("apl_mg", "france", "FR", 2022).value
    assert france == pytest.approx((expected * 1750 + 4.0 * 2000) / 3750)
    assert s.references.get("population", "region", "84", 2023).value == 1790


def test_territory_perimeters_and_published_gap(tiny_build):
    s = Atlas(tiny_build)
    aunis = s.territory_summary("aunis-sud", 2022)
    assert aunis["communes"] == 2 and aunis["population"] == 1500
    apl = next(i for i in aunis["indicators"] if i["id"] == "apl_mg")
    assert apl["value"] == pytest.approx((2.6 * 1000 + 2.0 * 500) / 1500)
    assert apl["reference"]["departement"] is not None and apl["synthetic"] is False
    t = s.territory("aunis-sud")
    assert t.confidence == "low"  # mixed medium/low takes the weakest
    row = s.db.query("SELECT communes_diff, population_diff FROM territories WHERE id='aunis-sud'").iloc[0]
    assert (row.communes_diff, row.population_diff) == (-1, 100)
    els = s.territory("entre-loire-et-sucs")
    assert els.codes == ("01006",) and els.candidates == ("02001",)
    anl = s.territory("atlantique-nord-loire")
    assert anl.codes == () and "inconnu" in anl.perimeter_note


def test_failed_build_keeps_previous(tmp_path, tiny_build, tiny_mirror):
    before = (tiny_build / "current").resolve()
    f.write_apl_workbook(tiny_mirror / "drees/apl_generalistes_2022_2023.xlsx",
                         {2023: [("01001", "Alpha", "n/a", 1, 1, 1)]})
    with pytest.raises(InputError):
        build(tiny_build, tiny_mirror)
    assert (tiny_build / "current").resolve() == before
    assert Atlas(tiny_build).commune_values("apl_mg", ["01001"], 2023).iloc[0].value == pytest.approx(3.2)
    assert not list((tiny_build / "builds").glob(".staging-*"))


def test_interrupted_build_keeps_previous(tiny_build, tiny_mirror):
    from etl.steps import STEPS, Step

    before = (tiny_build / "current").resolve()

    def boom(ctx):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        build(tiny_build, tiny_mirror, steps=[*STEPS[:2], Step("boom", boom)]) if False else \
            run_build(BuildOptions(data_dir=tiny_build, mirror=tiny_mirror, allow_download=False),
                      steps=[*STEPS[:2], Step("boom", boom)])
    assert (tiny_build / "current").resolve() == before
    assert not list((tiny_build / "builds").glob(".staging-*"))      # it removed its own staging folder


# -- killed builds (SIGKILL: no cleanup at all) -----------------------------------------------------
KILLED_BUILD = """
import sys, time
from pathlib import Path
from etl.build import BuildOptions, run_build
from etl.steps import STEPS, Step

def hang(ctx):
    Path(sys.argv[3]).write_text(str(ctx.staging))
    time.sleep(600)

run_build(BuildOptions(data_dir=Path(sys.argv[1]), mirror=Path(sys.argv[2]), allow_download=False,
                       cache_dir=Path(sys.argv[1]).parent / "cache"), steps=[*STEPS[:2], Step("hang", hang)])
"""


def test_killed_build_keeps_previous_and_its_leftovers_are_cleaned_next_time(tiny_build, tiny_mirror, tmp_path):
    before = (tiny_build / "current").resolve()
    ready = tmp_path / "ready"
    proc = subprocess.Popen([sys.executable, "-c", KILLED_BUILD, str(tiny_build), str(tiny_mirror), str(ready)],
                            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    deadline = time.time() + 120
    while not ready.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.1)
    assert ready.exists(), "the build never reached its hanging step"
    proc.kill()                                           # SIGKILL: no cleanup at all
    proc.wait(timeout=30)
    staging = Path(ready.read_text())
    assert staging.is_dir()                               # left behind by the killed build
    assert (tiny_build / "current").resolve() == before   # readers still see the previous build
    assert len(Atlas(tiny_build).communes) == 5
    # a kill during the swap leaves a temporary link behind
    os.symlink("builds/nowhere", tiny_build / ".current-4242")
    build(tiny_build, tiny_mirror)
    assert not staging.exists() and not list((tiny_build / "builds").glob(".staging-*"))
    assert not (tiny_build / ".current-4242").is_symlink()


def test_essential_source_missing_stops_with_clear_message(tmp_path, tiny_mirror):
    (tiny_mirror / "etalab/etalab-decoupage-administratif-6.0.0.tgz").unlink()
    with pytest.raises(SourceUnavailable) as exc:
        build(tmp_path / "g", tiny_mirror)
    msg = str(exc.value)
    assert "Découpage administratif" in msg and "registry.npmjs.org" in msg and "--mirror" in msg
    assert not (tmp_path / "g" / "current").exists()


def test_optional_source_missing_build_goes_on(tmp_path, tiny_mirror):
    (tiny_mirror / "drees/apl_generalistes_2022_2023.xlsx").unlink()
    data_dir = tmp_path / "g"
    build(data_dir, tiny_mirror)
    s = Atlas(data_dir)
    assert s.provenance.sources.loc["drees_apl_mg", "status"] == "unavailable"
    entry = s.territory_summary("aunis-sud")["indicators"]
    assert next(i for i in entry if i["id"] == "apl_mg")["available"] is False


def test_only_rebuilds_one_dataset_on_a_copy(tiny_build, tiny_mirror):
    f.write_apl_workbook(tiny_mirror / "drees/apl_generalistes_2022_2023.xlsx",
                         {2023: [("01001", "Alpha", 9.0, 8.0, 1000.0, 1000)]})
    before = (tiny_build / "current").resolve()
    build(tiny_build, tiny_mirror, only="drees_apl_mg")
    s = Atlas(tiny_build)
    assert (tiny_build / "current").resolve() != before
    assert s.commune_values("apl_mg", ["01001"], 2023).iloc[0].value == 9.0
    assert s.years("apl_mg") == [2023]
    assert len(s.communes) == 5 and s.territory("aunis-sud").codes == ("01001", "01002")


def test_cli_build_summary_commune_and_errors(tmp_path, tiny_mirror):
    env = {**os.environ, "ATLAS_DATA_DIR": str(tmp_path / "g"), "ATLAS_CACHE": str(tmp_path / "cache")}
    run = lambda *a: subprocess.run([sys.executable, "-m", "etl", *a], cwd=ROOT, env=env,  # noqa: E731
                                    capture_output=True, text=True, timeout=120)
    r = run("build", "--mirror", str(tiny_mirror), "--no-download")
    assert r.returncode == 0, r.stderr
    r = run("summary", "--territory", "aunis-sud", "--year", "2022", "--format", "json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert {"territory_id", "name", "communes", "population", "indicators"} <= set(d)
    apl = next(i for i in d["indicators"] if i["id"] == "apl_mg")
    assert {"id", "label", "value", "unit", "year", "source", "synthetic", "reference"} <= set(apl)
    assert set(apl["reference"]) == {"departement", "region", "france"} and apl["year"] == 2022
    r = run("commune", "01001", "--format", "json")
    assert json.loads(r.stdout)["indicators"][0]["value"] == 1000
    r = run("commune", "99999", "--format", "json")
    assert r.returncode != 0 and "commune inconnue" in r.stderr
    r = run("summary", "--territory", "nope", "--format", "json")
    assert r.returncode != 0 and "territoire inconnu" in r.stderr
    r = run("territories", "--format", "json")
    assert {t["id"] for t in json.loads(r.stdout)["territories"]} >= {"aunis-sud", "atlantique-nord-loire"}
    # a malformed input: non-zero exit, file + line + column named, previous build intact
    bad = tiny_mirror / "drees/apl_generalistes_2022_2023.xlsx"
    f.write_apl_workbook(bad, {2023: [("01001", "Alpha", "beaucoup", 2.6, 1000.0, 1000)]})
    r = run("build", "--mirror", str(tiny_mirror), "--no-download")
    assert r.returncode == 2
    assert "apl_generalistes_2022_2023.xlsx" in r.stderr and "ligne 11" in r.stderr and "colonne C" in r.stderr
    assert run("summary", "--territory", "aunis-sud").returncode == 0


# -- sources ----------------------------------------------------------------------------------------
def test_resolution_order_explicit_mirror_download(tmp_path, tiny_mirror):
    src = load_sources()["drees_apl_mg"]
    explicit = tmp_path / "x.xlsx"
    explicit.write_bytes(b"x")
    assert resolve(src, explicit=explicit, mirror=tiny_mirror).resolved_from == "file"
    assert resolve(src, mirror=tiny_mirror).resolved_from == "mirror"
    # the official URL, here a local file:// URL: downloaded once into the cache with a record
    remote = tmp_path / "remote.xlsx"
    remote.write_bytes(b"payload")
    from dataclasses import replace
    online = replace(src, url=remote.as_uri())
    r1 = resolve(online, mirror=tmp_path / "empty", cache_dir=tmp_path / "cache")
    assert r1.resolved_from == "download" and r1.path.read_bytes() == b"payload"
    record = json.loads((r1.path.parent / "download.json").read_text())
    assert record["size"] == 7 and len(record["sha256"]) == 64
    remote.unlink()  # cached: no second download needed
    assert resolve(online, cache_dir=tmp_path / "cache").path == r1.path
    with pytest.raises(SourceUnavailable, match="URL officielle"):
        resolve(replace(src, url=(tmp_path / "missing").as_uri()), cache_dir=tmp_path / "c2")


# -- aggregation --------------------------------------------------------------------------------------
def test_aggregate_ratio_of_sums_and_secret():
    density = CATALOG["density_mg"]
    fig = aggregate(density, [1, 0, 9], [1000, 500, 8500])
    assert fig.value == pytest.approx(10 / 10000 * 10000)
    share = CATALOG["sans_mt_17"]
    assert aggregate(share, [1], [5]).secret and aggregate(share, [1], [5]).value is None
    assert aggregate(share, [1, 2], [5, 6]).value == pytest.approx(3 / 11 * 100)  # aggregate first
    assert aggregate(CATALOG["population"], [10, 20]).value == 30
    empty = aggregate(density, [None], [None])
    assert empty.value is None and not empty.secret
