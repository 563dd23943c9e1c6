"""Shared-border topology at build time: the project's numpy arc extraction against the PyPI
``topojson`` package, simplification, and the size of the encodings (a script, run on demand).

Each method runs in its own process (its peak RSS is its own), on the communes of a build's
``communes_full.parquet`` (France by default, ``--region 84`` for one région):

* ``numpy``: ``etl.geo.topology.build_topology`` (exact shared vertices -> arcs), then the three
  levels of ``etl/steps/web_geometry.py`` (Douglas–Peucker on all arcs at once, with its guards);
* ``topojson``: ``topojson.Topology(gdf, prequantize=False)`` (the package's own arc extraction),
  then one ``toposimplify`` (only with ``--package``: ~20 s and ~900 MB for France);
* sizes of France at the "france" level: GeoJSON (5 decimals) against the quantised TopoJSON the
  build writes, raw, gzip 6 and brotli 6.

Medians of ``--runs`` runs for the numpy path. Usage::

    .venv/bin/python bench/bench_topology.py [--data-dir geodata] [--region 84] [--package] [--runs 3]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _load(data_dir: str, region: str | None):
    import geopandas as gpd

    from atlas import paths
    full = gpd.read_parquet(paths.current_build(Path(data_dir)).resolve() / paths.COMMUNES_FULL_FILE)
    if region:
        full = full[full["region"] == region]
    return full.sort_values("code").reset_index(drop=True)


def child(method: str, data_dir: str, region: str | None) -> dict:
    """One measurement in this (child) process."""
    import resource

    full = _load(data_dir, region)
    out = {"method": method, "communes": len(full)}
    t0 = time.perf_counter()
    if method == "numpy":
        from etl.geo.topology import SimplifyBase, build_topology, simplify
        from etl.steps.web_geometry import LEVELS, WEB_PARQUET_LEVEL

        topo = build_topology(full.geometry.to_numpy())
        out["topology_s"] = time.perf_counter() - t0
        out["arcs"], out["vertices"] = topo.n_arcs, len(topo.coords)
        base = SimplifyBase.of(topo)
        for name, lv in LEVELS.items():
            t1 = time.perf_counter()
            s = simplify(topo, lv.tolerance_m, base=base, crossings=name == WEB_PARQUET_LEVEL,
                         keep_unshared=name == WEB_PARQUET_LEVEL)
            out[f"simplify_{name}_s"] = time.perf_counter() - t1
            out[f"vertices_{name}"] = len(s.coords)
    else:
        import topojson

        topo = topojson.Topology(full[["code", "geometry"]], prequantize=False, topology=True)
        out["topology_s"] = time.perf_counter() - t0
        out["arcs"] = len(topo.output["arcs"])
        t1 = time.perf_counter()
        topo.toposimplify(0.005)
        out["simplify_one_level_s"] = time.perf_counter() - t1
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def sizes(data_dir: str) -> dict:
    """France at the 'france' level: GeoJSON against the TopoJSON of the build."""
    import gzip

    import brotli
    import shapely
    from shapely.geometry import mapping

    from atlas import paths
    from atlas.geo.topojson import area_path, read_area
    build = paths.current_build(Path(data_dir)).resolve()
    topo_bytes = area_path(build, "france").read_bytes()
    f = read_area(build, "france")
    feats = [{"type": "Feature", "id": c, "properties": {"nom": n},
              "geometry": mapping(shapely.transform(g, lambda xy: xy.round(5)))}
             for (c, g), n in zip(f.shapes().items(), f.names)]
    gj = json.dumps({"type": "FeatureCollection", "features": feats}, separators=(",", ":"), ensure_ascii=False).encode()

    def three(b: bytes) -> dict:
        return {"raw": len(b), "gzip6": len(gzip.compress(b, 6)), "brotli6": len(brotli.compress(b, quality=6, lgwin=22))}

    return {"geojson_france_level": three(gj), "topojson_france_level": three(topo_bytes)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--region", default=None, help="one région code instead of France")
    ap.add_argument("--package", action="store_true", help="also run the PyPI topojson package (slow)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    from atlas import paths
    data_dir = args.data_dir or str(paths.data_dir())
    if args.child:
        print(json.dumps(child(args.child, data_dir, args.region)))
        return 0

    def run(method: str) -> dict:
        cmd = [sys.executable, __file__, "--child", method, "--data-dir", data_dir]
        if args.region:
            cmd += ["--region", args.region]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        return json.loads(out.strip().splitlines()[-1])

    report = {"machine": {"cores": os.cpu_count(), "load_average": os.getloadavg()}, "region": args.region}
    runs = [run("numpy") for _ in range(args.runs)]
    report["numpy"] = {k: (statistics.median(r[k] for r in runs) if isinstance(runs[0][k], float) else runs[0][k])
                       for k in runs[0]}
    if args.package:
        report["topojson_package"] = run("topojson")
    if not args.region:
        report["sizes"] = sizes(data_dir)
    report["machine"]["load_average_after"] = os.getloadavg()
    print(json.dumps(report, indent=1))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
