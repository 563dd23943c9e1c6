"""Benchmark of the foundation build over France from the mirror (run on demand).

    .venv/bin/python bench/bench_build.py [--mirror DIR] [--demo]

Prints wall time, peak memory (max RSS of the build process) and the size of the web-simplified
GeoParquet for the départements of the five CPTS (17, 42, 43, 44, 69), as GeoParquet and as the
GeoJSON the browser receives.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEPS = ["17", "42", "43", "44", "69"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mirror", default=os.environ.get("ATLAS_MIRROR") or str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--demo", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "ATLAS_DATA_DIR": tmp, "ATLAS_CACHE": str(Path(tmp) / "cache")}
        cmd = [sys.executable, "-m", "etl", "build", "--mirror", args.mirror, "--no-download"]
        if args.demo:
            cmd.append("--demo")
        t0 = time.perf_counter()
        subprocess.run(cmd, cwd=ROOT, env=env, check=True)
        wall = time.perf_counter() - t0
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

        import geopandas as gpd
        web = Path(tmp) / "current" / "communes_web.parquet"
        full = Path(tmp) / "current" / "communes_full.parquet"
        sub = gpd.read_parquet(web, filters=[("departement", "in", DEPS)])
        sub_full = gpd.read_parquet(full, filters=[("departement", "in", DEPS)])
        out = Path(tmp) / "five.parquet"
        sub.to_parquet(out, index=False)
        out_full = Path(tmp) / "five_full.parquet"
        sub_full.to_parquet(out_full, index=False)
        geojson = sub[["code", "geometry"]].to_json()
        print(json.dumps({
            "machine": f"{os.cpu_count()} cores",
            "build_wall_s": round(wall, 1), "peak_rss_mb": round(peak_mb),
            "communes_five_deps": len(sub),
            "web_geoparquet_five_deps_kb": round(out.stat().st_size / 1024),
            "full_geoparquet_five_deps_kb": round(out_full.stat().st_size / 1024),
            "geojson_five_deps_kb": round(len(geojson) / 1024),
            "web_geoparquet_france_mb": round(web.stat().st_size / 2**20, 1),
        }, indent=2))


if __name__ == "__main__":
    main()
