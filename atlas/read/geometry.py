"""Commune polygons of a build, for the browser and the exports: one GeoJSON builder, one outline.

Reads ``communes_web.parquet`` (simplified polygons, EPSG:4326) with a row filter, so opening a
territory reads a few dozen rows, never France. Coordinates are rounded to 1e-5° (about 1 m).
Results are cached per reader (one reader per build): nothing is computed twice per build.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import paths
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

    def __len__(self) -> int:
        return len(self.codes)


def round_coords(geom_mapping: dict) -> dict:
    def r(c):
        if isinstance(c, (list, tuple)) and c and isinstance(c[0], (int, float)):
            return [round(float(c[0]), COORD_DECIMALS), round(float(c[1]), COORD_DECIMALS)]
        return [r(x) for x in c]
    return {"type": geom_mapping["type"], "coordinates": r(geom_mapping["coordinates"])}


class Geometry:
    def __init__(self, build_dir: Path):
        self.build_dir = Path(build_dir)
        self.web_path = self.build_dir / paths.COMMUNES_WEB_FILE
        self._areas = LRU(64)
        self._outlines = LRU(64)

    def _read(self, filters):
        import geopandas as gpd
        return gpd.read_parquet(self.web_path, filters=filters, columns=["code", "nom", "departement", "geometry"])

    def frame(self, codes):
        """GeoDataFrame (code, nom, departement, geometry) of ``codes`` with a polygon, sorted by code."""
        wanted = sorted(set(codes))
        if not wanted or not self.web_path.is_file():
            return None
        g = self._read([("code", "in", wanted)])
        return g[g.geometry.notna() & ~g.geometry.is_empty].sort_values("code").reset_index(drop=True)

    def area(self, codes) -> AreaGeometry:
        key = tuple(sorted(set(codes)))
        return self._areas.get(key, lambda: self._area(key))

    def _area(self, wanted: tuple) -> AreaGeometry:
        from shapely.geometry import mapping

        g = self.frame(wanted)
        if g is None or g.empty:
            return AreaGeometry({"type": "FeatureCollection", "features": []}, (), (), None, wanted)
        features = [{"type": "Feature", "id": code, "properties": {"code": code, "nom": nom},
                     "geometry": round_coords(mapping(geom))}
                    for code, nom, geom in zip(g["code"], g["nom"], g.geometry)]
        xmin, ymin, xmax, ymax = (float(v) for v in g.total_bounds)
        codes = tuple(g["code"])
        return AreaGeometry({"type": "FeatureCollection", "features": features}, codes, tuple(g["nom"]),
                            (xmin, ymin, xmax, ymax), tuple(sorted(set(wanted) - set(codes))))

    def geojson_text(self, codes) -> str:
        return json.dumps(self.area(codes).geojson, separators=(",", ":"))

    def outline(self, codes) -> tuple[tuple, tuple]:
        """Outer boundary of a set of communes as line coordinates (lon, lat with None breaks)."""
        key = tuple(sorted(set(codes)))
        return self._outlines.get(key, lambda: self._outline(key))

    def _outline(self, codes: tuple) -> tuple[tuple, tuple]:
        import shapely

        g = self.frame(codes)
        if g is None or g.empty:
            return (), ()
        merged = shapely.union_all(g.geometry.values)
        lons, lats = [], []
        for poly in getattr(merged, "geoms", [merged]):
            if poly.is_empty or poly.geom_type != "Polygon":
                continue
            for ring in [poly.exterior, *poly.interiors]:
                xy = np.asarray(ring.coords)
                if len(xy) < 4:
                    continue
                lons += [round(float(x), COORD_DECIMALS) for x in xy[:, 0]] + [None]
                lats += [round(float(y), COORD_DECIMALS) for y in xy[:, 1]] + [None]
        return tuple(lons), tuple(lats)
