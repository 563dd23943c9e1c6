"""Commune polygons for the browser: GeoJSON per area, built once per build and area, then cached.

Reads ``communes_web.parquet`` (simplified polygons, EPSG:4326) with a row filter, so opening a
territory reads a few dozen rows, never France. Coordinates are rounded to 1e-4° (≈ 10 m, below
the web simplification tolerance) to keep the payload small. Nothing is read at import time.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

COORD_DECIMALS = 4


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


def _round_coords(geom_mapping: dict) -> dict:
    def r(c):
        if isinstance(c, (list, tuple)) and c and isinstance(c[0], (int, float)):
            return [round(float(c[0]), COORD_DECIMALS), round(float(c[1]), COORD_DECIMALS)]
        return [r(x) for x in c]
    return {"type": geom_mapping["type"], "coordinates": r(geom_mapping["coordinates"])}


def _read(path: Path, filters):
    import geopandas as gpd
    return gpd.read_parquet(path, filters=filters, columns=["code", "nom", "departement", "geometry"])


@lru_cache(maxsize=64)
def _area(path: str, mtime: float, key: tuple) -> AreaGeometry:
    from shapely.geometry import mapping

    kind, arg = key
    if kind == "departement":
        gdf = _read(Path(path), [("departement", "=", arg)])
        wanted = None
    else:
        wanted = tuple(sorted(set(arg)))
        gdf = _read(Path(path), [("code", "in", list(wanted))]) if wanted else None
    if gdf is None or gdf.empty:
        return AreaGeometry({"type": "FeatureCollection", "features": []}, (), (), None, wanted or ())
    gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty].sort_values("code")
    features = [{"type": "Feature", "id": code, "properties": {},
                 "geometry": _round_coords(mapping(geom))}
                for code, geom in zip(gdf["code"], gdf.geometry)]
    xmin, ymin, xmax, ymax = (float(v) for v in gdf.total_bounds)
    codes = tuple(gdf["code"])
    missing = tuple(sorted(set(wanted) - set(codes))) if wanted else ()
    return AreaGeometry({"type": "FeatureCollection", "features": features}, codes, tuple(gdf["nom"]),
                        (xmin, ymin, xmax, ymax), missing)


def _key_path(store) -> tuple[str, float]:
    p = Path(store.web_geometry_path)
    return str(p), (p.stat().st_mtime if p.exists() else 0.0)


def area_geometry(store, *, codes=None, departement: str | None = None) -> AreaGeometry:
    """Polygons of the given communes, or of a whole département (``departement='17'``)."""
    path, mtime = _key_path(store)
    if departement is not None:
        return _area(path, mtime, ("departement", str(departement)))
    return _area(path, mtime, ("codes", tuple(sorted(set(codes or ())))))


@lru_cache(maxsize=64)
def _outline(path: str, mtime: float, codes: tuple[str, ...]) -> tuple[tuple, tuple]:
    import shapely

    if not codes:
        return (), ()
    gdf = _read(Path(path), [("code", "in", list(codes))])
    if gdf.empty:
        return (), ()
    # A tiny buffer closes the slivers left between simplified neighbours before the union.
    merged = shapely.buffer(shapely.union_all(shapely.buffer(gdf.geometry.values, 0.0004)), -0.0004)
    lons, lats = [], []
    polys = getattr(merged, "geoms", [merged])
    for poly in polys:
        if poly.is_empty or poly.geom_type != "Polygon":
            continue
        for ring in [poly.exterior, *poly.interiors]:
            xy = np.asarray(ring.coords)
            if len(ring.coords) < 4 or abs(shapely.Polygon(ring).area) < 1e-6:
                continue
            lons += [round(float(x), COORD_DECIMALS) for x in xy[:, 0]] + [None]
            lats += [round(float(y), COORD_DECIMALS) for y in xy[:, 1]] + [None]
    return tuple(lons), tuple(lats)


def territory_outline(store, codes) -> tuple[list, list]:
    """Outer boundary of a set of communes as line coordinates (lon, lat lists with None breaks)."""
    path, mtime = _key_path(store)
    lons, lats = _outline(path, mtime, tuple(sorted(set(codes))))
    return list(lons), list(lats)


def view_for_bounds(bounds, width_px: int = 700, height_px: int = 600, padding: float = 0.06) -> dict:
    """Map centre and zoom that fit ``bounds`` (xmin, ymin, xmax, ymax) in a viewport (Web Mercator)."""
    if bounds is None:
        return {"center": {"lon": 2.5, "lat": 46.6}, "zoom": 4.5}
    xmin, ymin, xmax, ymax = bounds

    def merc(lat):
        lat = max(min(lat, 85.0), -85.0)
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    dx = max(xmax - xmin, 1e-3) / 360.0
    dy = max(merc(ymax) - merc(ymin), 1e-5) / (2 * math.pi)
    usable_w, usable_h = width_px * (1 - 2 * padding), height_px * (1 - 2 * padding)
    zoom = min(math.log2(usable_w / 512 / dx), math.log2(usable_h / 512 / dy))
    cy = math.degrees(2 * math.atan(math.exp((merc(ymin) + merc(ymax)) / 2)) - math.pi / 2)
    return {"center": {"lon": round((xmin + xmax) / 2, 5), "lat": round(cy, 5)}, "zoom": round(max(min(zoom, 14), 3), 2)}
