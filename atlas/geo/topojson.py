"""Read the built TopoJSON files (``geo/`` of a build, written by ``etl/steps/web_geometry.py``):
features of a set of communes as shapely or GeoJSON, and the outline of a set of communes.

Pure and read-only. A file is decoded once per build and kept (:func:`read`, cached on path, size
and modification time): a département file reads and decodes in ~3 ms (a CPTS outline in under
1 ms more), France in ~0.7 s (0.55 s of it ``json.loads``), so a CPTS is computed per request
and France once per worker and build.

The outline of a set of communes is the arcs used by exactly one ring of the set: every border
between two members is used twice and drops out, what is left is the set's boundary, outer rings
and the holes the source really has (an enclave that is not a member), nothing else — no buffer,
no union, no sliver.

Files of the France level store the DROM moved to insets (``etl/geo/insets.py``): read a région or
département file for real coordinates (:func:`smallest_area` picks the file holding a set of
communes).
"""
from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import shapely

from atlas import paths
from .arcs import Topology, to_shapely

SUFFIX = ".topo.json"
INDEX_FILE = "index.json"


def departement_of(code: str) -> str:
    """Département of a current COG commune code (``97xxx`` overseas: three characters)."""
    return code[:3] if code.startswith("97") else code[:2]


@dataclass(frozen=True)
class TopoFile:
    """A decoded TopoJSON file: its arcs as a :class:`~atlas.geo.arcs.Topology` (absolute lon/lat),
    one feature per commune."""
    topology: Topology
    codes: tuple[str, ...]
    names: tuple[str, ...]
    meta: dict = field(default_factory=dict)
    bbox: tuple[float, float, float, float] | None = None
    position: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    def indices(self, codes=None) -> np.ndarray:
        """Feature indices of ``codes`` (all when None; codes not in the file are ignored), sorted."""
        if codes is None:
            return np.arange(len(self.codes))
        pos = self.position
        return np.array(sorted({pos[c] for c in codes if c in pos}), dtype=np.int64)

    def shapes(self, codes=None) -> dict[str, shapely.MultiPolygon]:
        """``{code: MultiPolygon}`` of ``codes`` present in the file."""
        idx = self.indices(codes)
        geoms = to_shapely(self.topology, features=idx)
        return {self.codes[i]: g for i, g in zip(idx.tolist(), geoms) if g is not None}

    def geojson(self, codes=None, decimals: int = 5) -> dict:
        """FeatureCollection (``id`` and ``properties.code`` = commune code, ``properties.nom``)."""
        from shapely.geometry import mapping

        feats = []
        pos = self.position
        for code, geom in self.shapes(codes).items():
            # coordinates rounded, not snapped (set_precision rebuilds topology, and fails on the
            # few polygons a coarse grid made invalid)
            g = mapping(shapely.transform(geom, lambda xy: xy.round(decimals)) if decimals is not None else geom)
            feats.append({"type": "Feature", "id": code, "properties": {"code": code, "nom": self.names[pos[code]]},
                          "geometry": g})
        return {"type": "FeatureCollection", "features": feats}

    def outline_arcs(self, codes) -> np.ndarray:
        """Arcs used by exactly one ring of the members (their boundary)."""
        idx = self.indices(codes)
        if len(idx) == 0:
            return np.zeros(0, np.int64)
        return np.flatnonzero(self.topology.arc_use_counts(idx) == 1)

    def outline(self, codes) -> shapely.MultiLineString:
        """Boundary of a set of communes as lines (merged where they join)."""
        arcs = self.outline_arcs(codes)
        t = self.topology
        if len(arcs) == 0:
            return shapely.MultiLineString()
        lens = np.diff(t.arc_offsets)[arcs]
        idx = np.repeat(t.arc_offsets[arcs], lens) + (np.arange(lens.sum()) - np.repeat(np.r_[0, np.cumsum(lens)[:-1]], lens))
        lines = shapely.linestrings(t.coords[idx], indices=np.repeat(np.arange(len(arcs)), lens))
        merged = shapely.line_merge(shapely.multilinestrings(lines))
        return merged if merged.geom_type == "MultiLineString" else shapely.MultiLineString([merged])

    def outline_lonlat(self, codes, decimals: int = 5) -> tuple[list, list]:
        """The outline as longitude and latitude lists, lines separated by ``None`` (Plotly's form)."""
        lons, lats = [], []
        for line in self.outline(codes).geoms:
            xy = np.round(np.asarray(line.coords), decimals)
            lons += xy[:, 0].tolist() + [None]
            lats += xy[:, 1].tolist() + [None]
        return lons, lats


def decode(data: dict, object_name: str = "communes") -> TopoFile:
    """Decode a TopoJSON dict (quantised and delta-encoded, or not) of polygons."""
    arcs = data.get("arcs") or []
    lens = np.fromiter((len(a) for a in arcs), dtype=np.int64, count=len(arcs))
    flat = np.array(list(itertools.chain.from_iterable(arcs)), dtype=np.float64).reshape(-1, 2)
    offsets = np.r_[0, np.cumsum(lens)]
    tr = data.get("transform")
    if tr:
        # delta-decoding: a running sum restarted at each arc's first point
        c = np.cumsum(flat, axis=0)
        starts = offsets[:-1]
        before = np.where(starts[:, None] > 0, c[np.maximum(starts - 1, 0)], 0.0)
        flat = c - np.repeat(before, lens, axis=0)
        flat = flat * np.asarray(tr["scale"], float) + np.asarray(tr["translate"], float)
    ring_arcs, ring_counts, ring_polygon, polygon_feature = [], [], [], []
    codes, names = [], []
    n_poly = 0
    for f, g in enumerate(data["objects"][object_name]["geometries"]):
        codes.append(str(g.get("id")))
        names.append(str((g.get("properties") or {}).get("nom", "")))
        polys = [g["arcs"]] if g["type"] == "Polygon" else g["arcs"] if g["type"] == "MultiPolygon" else []
        for rings in polys:
            for ring in rings:
                ring_arcs.extend(ring)
                ring_counts.append(len(ring))
                ring_polygon.append(n_poly)
            polygon_feature.append(f)
            n_poly += 1
    topo = Topology(coords=flat, arc_offsets=offsets, ring_arcs=np.asarray(ring_arcs, np.int64),
                    ring_offsets=np.r_[0, np.cumsum(np.asarray(ring_counts, np.int64))].astype(np.int64),
                    ring_polygon=np.asarray(ring_polygon, np.int64),
                    polygon_feature=np.asarray(polygon_feature, np.int64), n_features=len(codes))
    bbox = tuple(data["bbox"]) if data.get("bbox") else None
    return TopoFile(topo, tuple(codes), tuple(names), dict(data.get("atlas") or {}), bbox,
                    {c: i for i, c in enumerate(codes)})


@lru_cache(maxsize=16)
def _read(path: str, mtime_ns: int, size: int) -> TopoFile:
    with open(path, "rb") as fh:
        return decode(json.loads(fh.read()))


def read(path: Path | str) -> TopoFile:
    """The decoded file, cached per (path, size, modification time): builds never rewrite a file
    in place, so a new build is a new path and an old entry simply ages out."""
    st = Path(path).stat()
    return _read(str(path), st.st_mtime_ns, st.st_size)


def geo_dir(build_dir: Path | str) -> Path:
    return Path(build_dir) / paths.GEO_DIR


def area_path(build_dir: Path | str, area_id: str) -> Path:
    """``france``, ``reg-<code>`` or ``dep-<code>`` -> its TopoJSON file in a build."""
    return geo_dir(build_dir) / f"{area_id}{SUFFIX}"


def read_area(build_dir: Path | str, area_id: str) -> TopoFile:
    return read(area_path(build_dir, area_id))


class GeoIndex:
    """``geo/index.json`` of a build: the areas written, the communes drawn (sorted codes), the
    communes without geometry, the levels of detail."""

    def __init__(self, data: dict):
        self.data = data
        self.codes: tuple[str, ...] = tuple(data.get("codes") or ())
        # built once per index (one index per build, cached by read_index): a set of France's 35,000
        # codes made per call cost ~4 ms of every map callback, a quarter of a CPTS recolour
        # (bench/bench_draw.py)
        self.code_set: frozenset[str] = frozenset(self.codes)
        self.areas: dict = data.get("areas") or {}
        self.region_of: dict = data.get("region_of") or {}
        self.missing: list = data.get("missing") or []
        self._area_codes: dict[str, tuple[str, ...]] = {}

    def area_codes(self, area_id: str) -> tuple[str, ...]:
        """Communes of an area's file, in file order (sorted codes)."""
        got = self._area_codes.get(area_id)
        if got is None:
            if area_id == "france":
                got = self.codes
            elif area_id.startswith("dep-"):
                dep = area_id[4:]
                got = tuple(c for c in self.codes if departement_of(c) == dep)
            elif area_id.startswith("reg-"):
                deps = {d for d, r in self.region_of.items() if r == area_id[4:]}
                got = tuple(c for c in self.codes if departement_of(c) in deps)
            else:
                raise KeyError(area_id)
            self._area_codes[area_id] = got
        return got

    def smallest_area(self, codes) -> str:
        """The smallest area file holding every commune of ``codes``: their département, else their
        région, else France."""
        deps = {departement_of(c) for c in codes}
        if len(deps) == 1 and f"dep-{next(iter(deps))}" in self.areas:
            return f"dep-{next(iter(deps))}"
        regions = {self.region_of.get(d) for d in deps}
        if len(regions) == 1 and None not in regions and f"reg-{next(iter(regions))}" in self.areas:
            return f"reg-{next(iter(regions))}"
        return "france"


def read_index(build_dir: Path | str) -> GeoIndex:
    p = geo_dir(build_dir) / INDEX_FILE
    st = p.stat()
    return _read_index(str(p), st.st_mtime_ns, st.st_size)


@lru_cache(maxsize=4)
def _read_index(path: str, mtime_ns: int, size: int) -> GeoIndex:
    return GeoIndex(json.loads(Path(path).read_text(encoding="utf-8")))
