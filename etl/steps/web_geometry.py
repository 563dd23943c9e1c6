"""Web geometry, built once per build: shared-border TopoJSON per area, precompressed, and the
web GeoParquet rewritten from the same simplified topology.

Reads the staging ``communes_full.parquet`` written by the communes step and writes, under
``atlas.paths.GEO_DIR`` of the build::

    geo/france.topo.json          every commune at the "france" level of detail, DROM as insets
    geo/reg-<code>.topo.json      each région at the "region" level
    geo/dep-<code>.topo.json      each département at the "departement" level
    geo/*.topo.json.gz, .br       the same bytes precompressed (served as they are)
    geo/index.json                areas, files, sizes, levels, insets, communes without geometry

plus ``communes_web.parquet`` (same columns as before: code, nom, departement, region, epci,
population, geometry) from the "departement" level, so the exports and the editor that read it get
polygons without gaps or overlaps between neighbours.

Levels of detail, by extent (tolerance of the Douglas–Peucker simplification of each arc, and
grid step of the quantisation). The mirror's polygons are already light (median segment 566 m):

* ``france``: 500 m, grid 100 m — about 1 km per pixel when France fills a screen;
  286k vertices of 640k, 1.6 MB gzipped;
* ``region``: 150 m, grid 30 m — a région (~500 km) on a screen;
* ``departement``: 40 m, grid 8 m — a département or a CPTS (the previous web tolerance,
  0.0005°, was 40–55 m).

Area files are named after the territory ids of DESIGN.md (``dep-69``, ``reg-84``) so a page can
find a territory's file from its id.
"""
from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np

from atlas import paths
from ..geo.encode import encode_arcs, feature_texts, topojson_text, write_precompressed
from ..geo.insets import DROM_NAMES, layout_insets
from ..geo.topology import SimplifyBase, build_topology, simplify, to_shapely

INDEX_FILE = "index.json"
SUFFIX = ".topo.json"
# Steps of --only that change the communes' geometry (the communes step re-reads it for these).
GEOMETRY_INPUTS = ("communes_admin", "communes_geometry", "communes", "web_geometry")


@dataclass(frozen=True)
class Level:
    name: str
    tolerance_m: float
    grid_m: float


LEVELS = {"france": Level("france", 500.0, 100.0),
          "region": Level("region", 150.0, 30.0),
          "departement": Level("departement", 40.0, 8.0)}
WEB_PARQUET_LEVEL = "departement"     # communes_web.parquet is made of this level (no new crossing)


def area_file(area_id: str) -> str:
    """File name of an area (``france``, ``reg-84``, ``dep-69``) in the geo directory."""
    return f"{area_id}{SUFFIX}"


def _arc_bbox(coords: np.ndarray) -> tuple[float, float, float, float]:
    return (float(coords[:, 0].min()), float(coords[:, 1].min()), float(coords[:, 0].max()), float(coords[:, 1].max()))


def inset_coords(topo, groups: np.ndarray, metro: str = "metro"):
    """Arc coordinates with the DROM moved to their insets, and the insets (see ``etl/geo/insets.py``).

    ``groups[f]`` is the group of feature f: ``metro`` or a DROM département code. An arc belongs to
    the group of a feature using it (arcs never cross groups: the DROM are islands or Guyane)."""
    ring_group = groups[topo.ring_features()]
    ref_group = np.repeat(ring_group, np.diff(topo.ring_offsets))
    arc = np.where(topo.ring_arcs < 0, ~topo.ring_arcs, topo.ring_arcs)
    arc_group = np.empty(topo.n_arcs, dtype=object)
    arc_group[arc] = ref_group
    vertex_group = np.repeat(arc_group, np.diff(topo.arc_offsets))
    is_metro = vertex_group == metro
    if not is_metro.any():
        return topo.coords, []
    metro_bbox = _arc_bbox(topo.coords[is_metro])
    drom = sorted(set(vertex_group[~is_metro]))
    insets = layout_insets(metro_bbox, {c: _arc_bbox(topo.coords[vertex_group == c]) for c in drom})
    coords = topo.coords.copy()
    for inset in insets:
        m = vertex_group == inset.code
        lon, lat = inset.apply(coords[m, 0], coords[m, 1])
        coords[m, 0], coords[m, 1] = lon, lat
    return coords, insets


def feature_groups(departements) -> np.ndarray:
    """``metro`` or the DROM département code of each feature."""
    d = np.asarray(departements, dtype=object)
    return np.where(np.isin(d, list(DROM_NAMES)), d, "metro")


def write_area(out_dir: Path, area_id: str, topo, arcs, features, props, level: Level, pool, *,
               meta: dict | None = None):
    """Write one area (plus .gz/.br, compressed in ``pool``). Returns its index entry and the
    future of the written sizes."""
    text = topojson_text(topo, arcs, features, props, meta={"area": area_id, "level": level.name, **(meta or {})})
    entry = {"file": area_file(area_id), "level": level.name, "features": int(len(features))}
    return entry, pool.submit(write_precompressed, out_dir / area_file(area_id), text.encode("utf-8"))


def write_web_geometry(full: gpd.GeoDataFrame, build_dir: Path, missing: list[dict] | None = None,
                       log=None) -> dict:
    """Everything this step writes, from the full-resolution communes (pure of the build context:
    the tests and the benchmark call it on their own data). Returns the index."""
    log = log or (lambda _msg: None)
    # Features sorted by commune code in every file: the browser's paint payload is positional
    # (one class and one value per drawn commune, in code order), see dashboard/components/atlas_map.py.
    full = full[full.geometry.notna() & ~full.geometry.is_empty].sort_values("code").reset_index(drop=True)
    out_dir = build_dir / paths.GEO_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    props = feature_texts(full["code"], full["nom"])
    topo = build_topology(full.geometry.to_numpy())
    base = SimplifyBase.of(topo)
    levels = {name: simplify(topo, lv.tolerance_m, base=base, crossings=name == WEB_PARQUET_LEVEL,
                             keep_unshared=name == WEB_PARQUET_LEVEL)
              for name, lv in LEVELS.items()}
    log(f"  topologie : {topo.n_arcs} arcs partagés, {len(topo.coords)} sommets ; "
        + ", ".join(f"{n} {len(t.coords)}" for n, t in levels.items()))

    index = {"format": "topojson", "object": "communes", "suffix": SUFFIX,
             "levels": {n: {"tolerance_m": lv.tolerance_m, "grid_m": lv.grid_m} for n, lv in LEVELS.items()},
             "areas": {}, "missing": missing or [], "mismatched_arcs": topo.mismatched_arcs,
             "arcs": topo.n_arcs,
             "codes": full["code"].tolist(),
             "region_of": {str(d): str(r) for d, r in full.groupby("departement")["region"].first().items()}}
    jobs = []
    with ThreadPoolExecutor(max_workers=max(1, min(2, os.cpu_count() or 1))) as pool:
        fr = levels["france"]
        coords, insets = inset_coords(fr, feature_groups(full["departement"]))
        arcs = encode_arcs(fr, LEVELS["france"].grid_m, coords)
        index["levels"]["france"]["transform"] = arcs.transform
        meta = {"insets": [i.to_dict() for i in insets]}
        entry, job = write_area(out_dir, "france", fr, arcs, np.arange(len(full)), props, LEVELS["france"],
                                pool, meta=meta)
        index["areas"]["france"] = {**entry, **meta}
        jobs.append(("france", job))
        for kind, column, prefix in (("region", "region", "reg"), ("departement", "departement", "dep")):
            arcs = encode_arcs(levels[kind], LEVELS[kind].grid_m)
            index["levels"][kind]["transform"] = arcs.transform
            for code, rows in full.groupby(column, sort=True).indices.items():
                area_id = f"{prefix}-{code}"
                entry, job = write_area(out_dir, area_id, levels[kind], arcs, np.asarray(rows), props,
                                        LEVELS[kind], pool)
                index["areas"][area_id] = entry
                jobs.append((area_id, job))
        for area_id, job in jobs:
            index["areas"][area_id]["bytes"] = job.result()
    (out_dir / INDEX_FILE).write_text(json.dumps(index, ensure_ascii=False, indent=1), encoding="utf-8")

    web = full[["code", "nom", "departement", "region", "epci", "population"]].copy()
    dep = levels[WEB_PARQUET_LEVEL]
    # the source's own coordinates (a subset of them): neighbours share them exactly. Not rounded:
    # rounding to 1e-6° made two communes invalid (a 0.02 m² hole collapsed, a ring touching itself)
    web["geometry"] = to_shapely(dep)
    web = gpd.GeoDataFrame(web, geometry="geometry", crs=full.crs or 4326)
    web = web.sort_values(["departement", "code"]).reset_index(drop=True)   # a département's rows together
    web["population"] = web["population"].astype("float64")
    web.to_parquet(build_dir / paths.COMMUNES_WEB_FILE, index=False, write_covering_bbox=True, row_group_size=2000)
    return index


def run(ctx) -> None:
    if ctx.options.only and ctx.options.only not in GEOMETRY_INPUTS:
        return          # geometry unchanged: the copied build keeps its geo/ and communes_web.parquet
    from ..build import log

    full = gpd.read_parquet(ctx.staging / paths.COMMUNES_FULL_FILE)
    missing = []
    if ctx.communes is not None and "has_geometry" in ctx.communes:
        without = ctx.communes[~ctx.communes["has_geometry"].astype(bool)]
        missing = [{"code": r.code, "nom": r.nom, "departement": r.departement, "region": r.region}
                   for r in without.sort_values("code").itertuples()]
    index = write_web_geometry(full, ctx.staging, missing, log=log)
    if index["mismatched_arcs"]:
        ctx.warnings.append(f"Géométrie web : {index['mismatched_arcs']} arc(s) partagé(s) de longueurs différentes")
