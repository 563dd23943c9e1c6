"""The explorer's commune map: dash-leaflet (Leaflet, SVG), styled in the browser.

Chosen by measurement (``bench/bench_map_components.py``, headless Chromium on a 2-core machine):
the 462 communes of département 17 are drawn in ~0.8 s with Leaflet against ~2.6 s with a Plotly
``choroplethmap`` (MapLibre, WebGL), most of the difference being plotly.js itself (4.8 MB to
evaluate). Plotly stays for the exported PNG/PDF maps (kaleido) and the portrait's charts.

* No tile layer: the map is the communes on white, readable offline; no request leaves the server.
* Geometry goes to the browser once per territory and extent (``data`` of the communes layer).
  Changing indicator, profession, mode or year sends only ``hideout``: per commune its class code
  and its two hover texts, the class colours and the tooltip template. ``assets/explorer_map.js``
  colours the polygons and fills the tooltips from it.
* Three panes keep the stacking fixed whatever is redrawn: communes, territory outline, practice
  locations (class ``leaflet-atlas-<name>-pane``, which the browser tests rely on).

Reuse::

    from dashboard.maps.leaflet_map import commune_map
    commune_map("explorer", geom, layer, outline=..., points=None)
"""
from __future__ import annotations

import dash_leaflet as dl
import pandas as pd

from .choropleth import OUTLINE_COLOR, MapLayer
from .classes import NO_DATA_COLOR, SECRET_COLOR
from .geometry import AreaGeometry
from .locations import POINT_COLORS, STRUCTURES

PANES = {"communes": 400, "outline": 450, "points": 460}     # Leaflet's overlayPane is 400
JS = "atlasMap"                                               # namespace of assets/explorer_map.js


def _fn(name: str) -> dict:
    """A browser function for dash-leaflet (resolved on ``window`` by its dotted path)."""
    return {"variable": f"{JS}.{name}"}


def ids(prefix: str) -> dict[str, str]:
    return {"map": f"{prefix}-map", "communes": f"{prefix}-communes", "outline": f"{prefix}-outline",
            "points": f"{prefix}-points"}


def class_colors(layer: MapLayer) -> list[str]:
    """Colour of each class code: 0 no data, 1 secret, 2 + k class k (``dashboard.maps.classes``)."""
    return [NO_DATA_COLOR, SECRET_COLOR, *layer.classification.colors]


def hideout(layer: MapLayer) -> dict:
    """Everything a recolour sends: no geometry. ``v[code] = [class code, value text, detail text]``."""
    return {
        "v": {code: [int(z), cd[0], cd[1]] for code, z, cd in zip(layer.codes, layer.z, layer.customdata)},
        "colors": class_colors(layer),
        "tpl": layer.hovertemplate.replace("<extra></extra>", ""),
        "indicator": layer.indicator_id, "year": layer.year,
    }


def communes_geojson(geom: AreaGeometry, extra: dict[str, dict] | None = None) -> dict:
    """The area's polygons with the commune's code and name as properties (sent once per area), plus
    ``extra[code]`` properties when given (the editor adds the population)."""
    extra = extra or {}
    return {"type": "FeatureCollection", "features": [
        {**f, "properties": {"code": code, "nom": name, **extra.get(code, {})}}
        for f, code, name in zip(geom.geojson["features"], geom.codes, geom.names)]}


def clicked_code(click: dict | None) -> str | None:
    """Commune code of dash-leaflet's ``clickData`` (the clicked GeoJSON feature)."""
    if not click:
        return None
    return click.get("id") or (click.get("properties") or {}).get("code")


def outline_geojson(outline: tuple[list, list] | None) -> dict:
    """Territory boundary (lon/lat lists with ``None`` between rings) as one MultiLineString."""
    lines, current = [], []
    for lon, lat in zip(*(outline or ([], []))):
        if lon is None or lat is None:
            if len(current) > 1:
                lines.append(current)
            current = []
        else:
            current.append([lon, lat])
    if len(current) > 1:
        lines.append(current)
    features = [{"type": "Feature", "properties": {}, "geometry": {"type": "MultiLineString", "coordinates": lines}}]
    return {"type": "FeatureCollection", "features": features if lines else []}


def points_geojson(points: pd.DataFrame | None, visible: bool) -> dict:
    """Practice locations (professionals, and MSP / centres de santé in another colour)."""
    if not visible or points is None or points.empty:
        return {"type": "FeatureCollection", "features": []}
    labels = points["label"].fillna("") if "label" in points else pd.Series("", index=points.index)
    features = []
    for lon, lat, prof, label in zip(points["lon"], points["lat"], points["profession"], labels):
        kind = "structure" if prof in STRUCTURES else "professional"
        features.append({"type": "Feature", "properties": {"label": str(label), "color": POINT_COLORS[kind]},
                         "geometry": {"type": "Point", "coordinates": [round(float(lon), 5), round(float(lat), 5)]}})
    return {"type": "FeatureCollection", "features": features}


def leaflet_bounds(bounds) -> list[list[float]]:
    """(xmin, ymin, xmax, ymax) -> Leaflet's [[south, west], [north, east]]."""
    if bounds is None:
        return [[41.3, -5.2], [51.1, 9.6]]      # metropolitan France
    xmin, ymin, xmax, ymax = bounds
    return [[ymin, xmin], [ymax, xmax]]


def viewport(bounds) -> dict:
    """Map ``viewport`` prop that frames a new area (no animation: the area has just been drawn)."""
    return {"bounds": leaflet_bounds(bounds), "transition": "fitBounds", "options": {"animate": False}}


def commune_map(prefix: str, geom: AreaGeometry, layer: MapLayer, *, outline: tuple[list, list] | None = None,
                points: pd.DataFrame | None = None, show_points: bool = False, height: int = 620) -> dl.Map:
    i = ids(prefix)

    def pane(name, child):
        return dl.Pane(child, name=f"atlas-{name}", style={"zIndex": PANES[name]})

    return dl.Map(
        id=i["map"], bounds=leaflet_bounds(geom.bounds), zoomSnap=0.25, zoomDelta=0.5, scrollWheelZoom=True,
        attributionControl=False, className="atlas-leaflet-map", trackViewport=False,
        style={"height": f"{height}px", "width": "100%", "background": "#ffffff"},
        children=[
            pane("communes", dl.GeoJSON(id=i["communes"], data=communes_geojson(geom), hideout=hideout(layer),
                                        style=_fn("style"), hoverStyle=_fn("hoverStyle"),
                                        onEachFeature=_fn("bindTooltip"))),
            pane("outline", dl.GeoJSON(id=i["outline"], data=outline_geojson(outline), interactive=False,
                                       style={"color": OUTLINE_COLOR, "weight": 3, "fill": False,
                                              "interactive": False})),
            pane("points", dl.GeoJSON(id=i["points"], data=points_geojson(points, show_points),
                                      pointToLayer=_fn("point"))),
        ])
