"""The pages' commune map: one component, fed by two payloads.

* ``geometry``: the communes drawn, the territory outline, the practice locations — sent when the
  area changes (territory or extent), never on a recolour;
* ``paint``: what colours the communes (class code and value per commune, class colours, how to
  write a value) and the selected commune — the only thing a change of indicator, year or view sends.

Pages use only this module (``commune_map``, ``geometry_outputs``, ``paint_output``,
``geometry_payload``, ``paint_payload``, ``click_input``, ``clicked_code``): the engine behind it
can change without touching them.
"""
from __future__ import annotations

import dash_leaflet as dl
from dash import Input, Output, html

from atlas import fmt

from .. import palette

PANES = {"communes": 400, "outline": 450, "points": 460}     # Leaflet's overlayPane is 400
JS = "atlasMap"                                               # namespace of assets/explorer_map.js


def _fn(name: str) -> dict:
    return {"variable": f"{JS}.{name}"}


def ids(prefix: str) -> dict[str, str]:
    return {"map": f"{prefix}-map", "communes": f"{prefix}-communes", "outline": f"{prefix}-outline",
            "points": f"{prefix}-points"}


def leaflet_bounds(bounds) -> list[list[float]]:
    if bounds is None:
        return [[41.3, -5.2], [51.1, 9.6]]      # metropolitan France
    xmin, ymin, xmax, ymax = bounds
    return [[ymin, xmin], [ymax, xmax]]


def commune_map(prefix: str, height: int = 620) -> html.Div:
    i = ids(prefix)

    def pane(name, child):
        return dl.Pane(child, name=f"atlas-{name}", style={"zIndex": PANES[name]})

    empty = {"type": "FeatureCollection", "features": []}
    return html.Div(dl.Map(
        id=i["map"], bounds=leaflet_bounds(None), zoomSnap=0.25, zoomDelta=0.5, scrollWheelZoom=True,
        attributionControl=False, className="atlas-leaflet-map", trackViewport=False,
        style={"height": f"{height}px", "width": "100%", "background": "#ffffff"},
        children=[
            pane("communes", dl.GeoJSON(id=i["communes"], data=empty, hideout={}, style=_fn("style"),
                                        hoverStyle=_fn("hoverStyle"), onEachFeature=_fn("bindTooltip"))),
            pane("outline", dl.GeoJSON(id=i["outline"], data=empty, interactive=False,
                                       style={"color": palette.OUTLINE, "weight": 3, "fill": False,
                                              "interactive": False})),
            pane("points", dl.GeoJSON(id=i["points"], data=empty, pointToLayer=_fn("point"))),
        ]), id=f"{prefix}-map-container", className="atlas-map-container")


def geometry_outputs(prefix: str) -> list[Output]:
    i = ids(prefix)
    return [Output(i["communes"], "data"), Output(i["outline"], "data"), Output(i["points"], "data"),
            Output(i["map"], "viewport")]


def paint_output(prefix: str) -> Output:
    return Output(ids(prefix)["communes"], "hideout")


def click_input(prefix: str) -> Input:
    return Input(ids(prefix)["communes"], "n_clicks")


def click_state(prefix: str):
    from dash import State
    return State(ids(prefix)["communes"], "clickData")


def clicked_code(click: dict | None) -> str | None:
    if not click:
        return None
    props = click.get("properties") or {}
    code = click.get("id") or props.get("code")
    return str(code) if code else None


def _outline_geojson(outline) -> dict:
    lons, lats = outline or ((), ())
    lines, current = [], []
    for lon, lat in zip(lons, lats):
        if lon is None:
            if len(current) > 1:
                lines.append(current)
            current = []
        else:
            current.append([lon, lat])
    if len(current) > 1:
        lines.append(current)
    feats = [{"type": "Feature", "properties": {}, "geometry": {"type": "MultiLineString", "coordinates": lines}}]
    return {"type": "FeatureCollection", "features": feats if lines else []}


def _points_geojson(points) -> dict:
    if points is None or len(points) == 0:
        return {"type": "FeatureCollection", "features": []}
    from atlas.catalog import STRUCTURES
    feats = []
    for lon, lat, prof, label in zip(points["lon"], points["lat"], points["profession"], points["label"].fillna("")):
        kind = "structure" if prof in STRUCTURES else "professional"
        feats.append({"type": "Feature", "properties": {"label": str(label), "color": palette.POINTS[kind]},
                      "geometry": {"type": "Point", "coordinates": [round(float(lon), 5), round(float(lat), 5)]}})
    return {"type": "FeatureCollection", "features": feats}


def geometry_payload(area, outline=None, points=None) -> tuple:
    """Values of :func:`geometry_outputs` for an area (``atlas.read.geometry.AreaGeometry``)."""
    return (area.geojson, _outline_geojson(outline), _points_geojson(points),
            {"bounds": leaflet_bounds(area.bounds), "transition": "fitBounds", "options": {"animate": False}})


def points_payload(points) -> dict:
    return _points_geojson(points)


def paint_payload(layer, names: dict | None = None, selected: str | None = None) -> dict:
    """Value of :func:`paint_output`: per commune its class code and value text, the class colours."""
    from atlas.catalog import indicator
    ind = indicator(layer.indicator_id)
    signed = layer.mode == "evolution"
    v = {}
    for code, z, x, st in zip(layer.codes, layer.z, layer.values, layer.status):
        if st == "secret":
            text = fmt.SECRET
        elif st != "ok":
            text = fmt.UNAVAILABLE
        else:
            text = fmt.signed(x, ind.decimals) if signed else fmt.value(x, ind, unit=True)
        v[code] = [int(z), text, ""]
    title = layer.legend.get("title", ind.label)
    return {"v": v, "colors": layer.colors, "selected": selected,
            "tpl": f"<b>%{{text}}</b> (%{{location}})<br>{title} ({layer.legend.get('period', '')}) : "
                   "<b>%{customdata[0]}</b>", "indicator": layer.indicator_id, "year": layer.year}
