"""Benchmark of the build over France from the mirror (run on demand, not part of the test suite).

    .venv/bin/python bench/bench_build.py [--mirror DIR] [--runs 3] [--baseline 389953f] [--parse-runs 5]

Reports, as JSON, with the machine it ran on:

* build wall time, CPU time (user + system) and peak memory (max RSS) of the build process (from
  ``wait4``: that child's own figures), with and without ``--demo``, median / min / max of ``--runs``
  cold builds (fresh data directory and fresh cache each: zip extraction and demo-file generation
  included), for this tree and for a baseline revision in the same run (``git archive`` of the
  revision into a temporary directory, never a git worktree; same interpreter and packages), side by
  side; ``--baseline ''`` skips it. Runs alternate between the trees so that a change of load on a
  shared machine weighs on both; CPU time is the steadier figure there (the load averages before and
  after are reported);
* the INSEE BPE count-file parse throughput (etl/parsers/bpe_ensemble.py on the mirror's
  ``bpe19_ensemble_csv.zip``): rows per second, median of ``--parse-runs`` in-process runs on the
  already extracted CSV, plus the extraction time of the zip member (there is no such parser in the
  baseline);
* the size of the web-simplified GeoParquet for the départements of the five CPTS (17, 42, 43, 44,
  69), as GeoParquet and as the GeoJSON the browser receives (from the last build of this tree).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchlib import export_tree, machine_line

ROOT = Path(__file__).resolve().parent.parent
DEPS = ["17", "42", "43", "44", "69"]


def timed_build(tree: Path, mirror: str, demo: bool, work: Path) -> tuple[float, float, float, Path]:
    """One cold build of ``tree`` in a subprocess: (wall seconds, CPU seconds, peak RSS MiB, data dir)."""
    data = Path(tempfile.mkdtemp(prefix="data-", dir=work))
    env = {**os.environ, "ATLAS_DATA_DIR": str(data), "ATLAS_CACHE": str(data / "cache"),
           "ATLAS_USER_DIR": str(data / "user"), "PYTHONPATH": str(tree)}
    cmd = [sys.executable, "-m", "etl", "build", "--mirror", mirror, "--no-download"] + (["--demo"] if demo else [])
    log = data / "build.log"
    with open(log, "wb") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=tree, env=env, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)       # this child's own peak RSS, not the session's
        wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"build failed in {tree} (demo={demo}):\n{log.read_text(errors='replace')[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, data


def summary(values: list[float], digits: int = 1) -> dict:
    return {"median": round(statistics.median(values), digits), "min": round(min(values), digits),
            "max": round(max(values), digits), "runs": len(values)}


def bench_builds(trees: dict[str, Path], mirror: str, runs: int, work: Path) -> tuple[dict, Path]:
    out: dict = {}
    last = None
    for demo in (False, True):
        key = "with --demo" if demo else "without --demo"
        figures = {name: {"wall": [], "cpu": [], "peak": []} for name in trees}
        for _ in range(runs):
            for name, tree in trees.items():          # alternate: baseline, this tree, baseline, …
                wall, cpu, peak, data = timed_build(tree, mirror, demo, work)
                for k, v in (("wall", wall), ("cpu", cpu), ("peak", peak)):
                    figures[name][k].append(v)
                if name == "this tree":
                    last = data
        out[key] = {name: {"wall_s": summary(f["wall"]), "cpu_s": summary(f["cpu"]),
                           "peak_rss_mib": summary(f["peak"], 0)} for name, f in figures.items()}
    return out, last


def bench_parse(mirror: str, runs: int, work: Path) -> dict:
    sys.path.insert(0, str(ROOT))
    from etl.parsers.bpe_ensemble import read_bpe_ensemble
    from etl.sources import extract_member

    archive = Path(mirror) / "insee/bpe19_ensemble_csv.zip"
    t0 = time.perf_counter()
    csv_path = extract_member(archive, "*.csv", work / "bpe-extract")
    extract_s = time.perf_counter() - t0
    times, rows = [], 0
    for _ in range(runs):
        t0 = time.perf_counter()
        res = read_bpe_ensemble(csv_path)
        times.append(time.perf_counter() - t0)
        rows = res.stats["rows"]
    med = statistics.median(times)
    return {"file": "insee/bpe19_ensemble_csv.zip (bpe19_ensemble.csv)", "rows": rows,
            "parse_s": summary(times, 3), "rows_per_s_median": round(rows / med),
            "zip_extraction_s": round(extract_s, 2)}


def geometry_sizes(data: Path, work: Path) -> dict:
    import geopandas as gpd
    web = data / "current" / "communes_web.parquet"
    full = data / "current" / "communes_full.parquet"
    sub = gpd.read_parquet(web, filters=[("departement", "in", DEPS)])
    sub_full = gpd.read_parquet(full, filters=[("departement", "in", DEPS)])
    out, out_full = work / "five.parquet", work / "five_full.parquet"
    sub.to_parquet(out, index=False)
    sub_full.to_parquet(out_full, index=False)
    return {"communes_five_deps": len(sub),
            "web_geoparquet_five_deps_kb": round(out.stat().st_size / 1024),
            "full_geoparquet_five_deps_kb": round(out_full.stat().st_size / 1024),
            "geojson_five_deps_kb": round(len(sub[["code", "geometry"]].to_json()) / 1024),
            "web_geoparquet_france_mb": round(web.stat().st_size / 2**20, 1)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mirror", default=os.environ.get("ATLAS_MIRROR") or str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--parse-runs", type=int, default=5)
    ap.add_argument("--baseline", default="389953f", help="git revision built side by side ('' to skip)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="atlas-bench-") as tmp:
        work = Path(tmp)
        trees = {"this tree": ROOT}
        if args.baseline:
            base = export_tree(args.baseline, work / "baseline")
            trees = {f"baseline {args.baseline}": base, "this tree": ROOT}
        load_before = os.getloadavg()
        builds, last = bench_builds(trees, args.mirror, args.runs, work)
        result = {"machine": machine_line(),
                  "load_average_1_5_15_before_after": [[round(x, 2) for x in load_before],
                                                       [round(x, 2) for x in os.getloadavg()]],
                  "builds (cold: fresh data dir and cache)": builds,
                  "bpe_parse": bench_parse(args.mirror, args.parse_runs, work),
                  "geometry": geometry_sizes(last, work)}
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
