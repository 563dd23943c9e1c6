"""Commune polygons of a build, for the browser and the exports: the shared-border topology the
build wrote once (``geo/`` of the build, :mod:`etl.steps.web_geometry`), read with
:mod:`atlas.geo.topojson`.

* :meth:`Geometry.area_file` — which file holds a set of communes (its département, its région or
  France: the smallest, at the level of detail of that extent);
* :meth:`Geometry.area` — the communes' polygons as GeoJSON (exports), from that file;
* :meth:`Geometry.outline` — the boundary of a set of communes: the arcs used by one member only,
  so the outline has the source's holes and no others (no union, no buffer, no sliver).

Files are decoded once per build and kept; results are cached per reader (one reader per build).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import BuildChanged
from ..geo import topojson
from .values import LRU

COORD_DECIMALS = 5


@dataclass(frozen=True)
class AreaGeometry:
    """Polygons of an area: ``geojson`` features have ``id`` = commune code, in ``codes`` order."""
    geojson: dict
    codes: tuple[str, ...]           # communes drawn (those with a polygon), sorted
    names: tuple[str, ...]
    bounds: tuple[float, float, float, float] | None   # xmin, ymin, xmax, ymax (None when empty)
    missing: tuple[str, ...] = ()    # requested communes without a polygon
    area_id: str = ""                # the file it comes from (dep-17, reg-84, france)

    def __len__(self) -> int:
        return len(self.codes)


class Geometry:
    def __init__(self, build_dir: Path):
        self.build_dir = Path(build_dir)
        self._areas = LRU(32)
        self._outlines = LRU(64)

    def index(self) -> topojson.GeoIndex:
        return self._read(topojson.read_index, self.build_dir)

    def _read(self, reader, *args):
        """A file of the build, or :class:`BuildChanged` when the build was pruned under the request (a
        newer build swapped in and the one before it removed): the message the database gives."""
        try:
            return reader(*args)
        except FileNotFoundError as exc:
            if not self.build_dir.exists():
                raise BuildChanged() from exc
            raise

    def area_file(self, codes) -> str:
        """Id of the smallest file holding ``codes`` (``dep-17``, ``reg-75``, ``france``)."""
        codes = [c for c in codes]
        return self.index().smallest_area(codes) if codes else "france"

    def area_codes(self, area_id: str) -> tuple[str, ...]:
        """Communes drawn by a file (with a polygon), sorted."""
        return self.index().area_codes(area_id)

    def drawable(self, codes) -> tuple[str, ...]:
        """The communes of ``codes`` that have a polygon, sorted."""
        have = self.index().code_set
        return tuple(sorted(c for c in set(codes) if c in have))

    def area(self, codes, area_id: str | None = None) -> AreaGeometry:
        """GeoJSON of ``codes`` from ``area_id`` (default: the smallest file holding them)."""
        key = (tuple(sorted(set(codes))), area_id)
        return self._areas.get(key, lambda: self._area(key[0], area_id))

    def _area(self, wanted: tuple, area_id: str | None) -> AreaGeometry:
        drawable = self.drawable(wanted)
        drawn = set(drawable)
        missing = tuple(c for c in wanted if c not in drawn)
        if not drawable:
            return AreaGeometry({"type": "FeatureCollection", "features": []}, (), (), None, missing)
        area_id = area_id or self.area_file(drawable)
        topo = self._read(topojson.read_area, self.build_dir, area_id)
        gj = topo.geojson(drawable, decimals=COORD_DECIMALS)
        feats = sorted(gj["features"], key=lambda f: f["id"])
        import shapely
        bounds = shapely.total_bounds(shapely.from_geojson([_json(f["geometry"]) for f in feats])) if feats else None
        return AreaGeometry({"type": "FeatureCollection", "features": feats}, tuple(f["id"] for f in feats),
                            tuple(f["properties"]["nom"] for f in feats),
                            tuple(float(b) for b in bounds) if bounds is not None else None, missing, area_id)

    def outline(self, codes, area_id: str | None = None) -> tuple[tuple, tuple]:
        """Boundary of a set of communes as line coordinates (lon, lat with None breaks)."""
        key = (tuple(sorted(set(codes))), area_id)
        return self._outlines.get(key, lambda: self._outline(key[0], area_id))

    def _outline(self, codes: tuple, area_id: str | None) -> tuple[tuple, tuple]:
        drawable = self.drawable(codes)
        if not drawable:
            return (), ()
        topo = self._read(topojson.read_area, self.build_dir, area_id or self.area_file(drawable))
        lons, lats = topo.outline_lonlat(drawable, decimals=COORD_DECIMALS)
        return tuple(lons), tuple(lats)


def _json(geometry: dict) -> str:
    import json
    return json.dumps(geometry)
