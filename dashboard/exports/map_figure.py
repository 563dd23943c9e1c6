"""The map as a Plotly figure, for the exports (PNG, PDF) rendered offline by kaleido: the same
layer (classes, colours) and area as the explorer, on a white background (``white-bg``: no tile,
no glyph, no request leaves the machine). Discrete classes: z holds the class codes on a stepped
colour scale; the legend is drawn by :mod:`.map_export`, never Plotly's colour bar."""
from __future__ import annotations

import math

from .. import palette


def stepped_colorscale(colors: list[str]) -> tuple[list, float, float]:
    """A Plotly colour scale of flat steps for z codes 0 … n-1, with its zmin and zmax."""
    n = len(colors)
    scale = []
    for i, c in enumerate(colors):
        scale += [[i / n, c], [(i + 1) / n, c]]
    return scale, -0.5, n - 0.5


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


def map_figure(area, layer, *, outline=None, height: int = 600, width_hint: int = 700) -> dict:
    """The full Plotly figure (polygons included) of a view; ``layer.codes`` follow ``area.codes``."""
    lons, lats = outline or ((), ())
    view = view_for_bounds(area.bounds, width_hint, height)
    scale, zmin, zmax = stepped_colorscale(layer.colors)
    communes = {
        "type": "choroplethmap", "geojson": area.geojson, "locations": list(area.codes), "featureidkey": "id",
        "z": [int(z) for z in layer.z], "zmin": zmin, "zmax": zmax, "colorscale": scale, "showscale": False,
        "text": list(area.names), "hoverinfo": "text",
        "marker": {"line": {"color": palette.BORDER, "width": 0.7}, "opacity": 0.95}, "name": "communes",
    }
    outline_trace = {"type": "scattermap", "mode": "lines", "lon": list(lons), "lat": list(lats), "hoverinfo": "skip",
                     "line": {"color": palette.OUTLINE, "width": 3}, "name": "contour du territoire",
                     "showlegend": False}
    return {
        "data": [communes, outline_trace],
        "layout": {
            "map": {"style": "white-bg", "center": view["center"], "zoom": view["zoom"]},
            "margin": {"l": 0, "r": 0, "t": 0, "b": 0}, "height": height, "showlegend": False,
            "paper_bgcolor": "#ffffff",
            "meta": {"indicator": layer.indicator_id, "year": layer.year, "n_communes": len(area)},
        },
    }
