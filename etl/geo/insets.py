"""Insets for the France map: the overseas départements (DROM) moved beside metropolitan France.

Official French maps (INSEE, IGN) show the DROM in boxes beside the metropole, each at its own
scale, rather than the whole globe. Here the boxes form one column west of the metropole, in
the order of the département codes (Guadeloupe, Martinique, Guyane, La Réunion, Mayotte), each box
of the same size and each DROM scaled to fill its box.

The move is a similarity in Web Mercator (scale + translation of the normalised coordinates
``X = (lon + 180) / 360``, ``Y = (1 - ln(tan(π/4 + φ/2)) / π) / 2``, y downwards), so a DROM keeps
its shape in the browser, which projects with Web Mercator. The France file stores the moved
coordinates back as longitude/latitude (inverse Mercator), so every file of the build is
longitude/latitude and the browser projects all of them the same way; the file's ``insets``
metadata (``atlas/geo/topojson.py``, ``dashboard/assets/atlas_map.js``) carries each box and its
transform so that points (practice locations) can be moved the same way and the frames drawn.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

DROM_NAMES = {"971": "Guadeloupe", "972": "Martinique", "973": "Guyane", "974": "La Réunion", "976": "Mayotte"}
MAX_LAT = 85.05112878


def mercator(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Longitude/latitude (degrees) -> normalised Web Mercator (0..1, y downwards)."""
    lon = np.asarray(lon, float)
    lat = np.clip(np.asarray(lat, float), -MAX_LAT, MAX_LAT)
    x = (lon + 180.0) / 360.0
    y = (1.0 - np.log(np.tan(np.pi / 4 + np.radians(lat) / 2)) / np.pi) / 2.0
    return x, y


def inverse_mercator(x, y) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    lon = x * 360.0 - 180.0
    lat = np.degrees(2 * np.arctan(np.exp(np.pi * (1 - 2 * y))) - np.pi / 2)
    return lon, lat


@dataclass(frozen=True)
class Inset:
    code: str                       # département code
    name: str
    source_bbox: tuple[float, float, float, float]   # lon/lat box of the DROM (padded)
    scale: float                    # X' = X * scale + dx, Y' = Y * scale + dy (normalised Mercator)
    dx: float
    dy: float
    box: tuple[float, float, float, float]           # the frame, as lon/lat (west, south, east, north)

    def to_dict(self) -> dict:
        return asdict(self)

    def apply(self, lon, lat) -> tuple[np.ndarray, np.ndarray]:
        x, y = mercator(lon, lat)
        return inverse_mercator(x * self.scale + self.dx, y * self.scale + self.dy)


def layout_insets(metro_bbox, drom_bboxes: dict[str, tuple[float, float, float, float]], *,
                  gap: float = 0.06, width_ratio: float = 1.3, margin: float = 0.08) -> list[Inset]:
    """One column of equal boxes west of ``metro_bbox`` (lon/lat), one per DROM present, each DROM
    scaled (uniformly, in Mercator) to fit its box with ``margin`` around it.

    ``gap`` (between boxes and between the column and the metropole) is a fraction of a box height.
    """
    codes = sorted(drom_bboxes)
    if not codes:
        return []
    mx0, my0 = mercator(metro_bbox[0], metro_bbox[3])       # west, north (y down)
    mx1, my1 = mercator(metro_bbox[2], metro_bbox[1])       # east, south
    n = len(codes)
    h = (my1 - my0) / (n + (n - 1) * gap)
    w = h * width_ratio
    right = mx0 - gap * h
    insets = []
    for k, code in enumerate(codes):
        b = drom_bboxes[code]
        sx0, sy0 = mercator(b[0], b[3])
        sx1, sy1 = mercator(b[2], b[1])
        top = my0 + k * h * (1 + gap)
        scale = min(w * (1 - 2 * margin) / max(sx1 - sx0, 1e-12), h * (1 - 2 * margin) / max(sy1 - sy0, 1e-12))
        # centre the DROM in its box
        cx, cy = (sx0 + sx1) / 2, (sy0 + sy1) / 2
        bx0, by0 = right - w, top
        dx = bx0 + w / 2 - cx * scale
        dy = by0 + h / 2 - cy * scale
        west, north = inverse_mercator(bx0, by0)
        east, south = inverse_mercator(bx0 + w, by0 + h)
        pad = 0.02 * max(b[2] - b[0], b[3] - b[1])
        insets.append(Inset(code=code, name=DROM_NAMES.get(code, code),
                            source_bbox=(b[0] - pad, b[1] - pad, b[2] + pad, b[3] + pad),
                            scale=float(scale), dx=float(dx), dy=float(dy),
                            box=(float(west), float(south), float(east), float(north))))
    return insets
