"""The commune colouring of a view (:class:`MapLayer`: classes, hover texts, legend), shared by the
explorer's Leaflet map (:mod:`dashboard.maps.leaflet_map`) and the exported maps, and the Plotly
``choroplethmap`` figure of the exports (PNG/PDF through kaleido, portrait page).

* No tile server, no glyphs, no sprites: style ``white-bg``, no text layers, circle markers only,
  so the map is readable offline and no request leaves the app's server.
* Discrete classes: z holds class codes (0 no data, 1 secret, 2 + k class k) on a stepped
  colorscale; the legend is built from :attr:`MapLayer.legend` (HTML on the page, drawn into the
  figure for exports), never the Plotly colorbar.
* Fixed trace order: ``data[0]`` communes, ``data[1]`` practice locations, ``data[2]`` territory outline.

Figures are plain dicts (no ``go.Figure`` validation of the GeoJSON: it costs more than it checks).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pandas as pd

from .classes import (NO_DATA_COLOR, NO_DATA_LABEL, SECRET_COLOR, SECRET_LABEL, Z_FIRST_CLASS, Z_NO_DATA,
                      Z_SECRET, Classification, class_codes, classify, stepped_colorscale)
from .formatting import MISSING as MISSING_TEXT
from .formatting import detail_label, fmt_detail_numbers, fmt_value
from .geometry import AreaGeometry, view_for_bounds
from .locations import POINT_COLORS, STRUCTURES
from .values import OK, SECRET, map_values
from . import cache

TRACE_COMMUNES, TRACE_POINTS, TRACE_OUTLINE = 0, 1, 2
UID_COMMUNES, UID_POINTS, UID_OUTLINE = "atlas-communes", "atlas-points", "atlas-outline"
OUTLINE_COLOR = "#1b1b1b"
DEFAULT_HEIGHT = 600


@dataclass
class MapLayer:
    """What colours the communes for one indicator and year: everything a recolour sends."""
    indicator_id: str
    year: int | None
    codes: list[str]
    z: list[int]
    customdata: list[list[str]]
    hovertemplate: str
    colorscale: list
    zmin: float
    zmax: float
    classification: Classification
    legend: dict
    values: pd.DataFrame = field(repr=False, default=None)


def _source_text(store, df: pd.DataFrame) -> tuple[str, str, bool]:
    """(full label for the legend, short label for the hover, synthetic) of the values' main source."""
    ok = df[df["source_id"].notna()]
    if ok.empty:
        return "", "", False
    sid = ok["source_id"].mode().iloc[0]
    label = store.source_label(sid) or sid
    short = sid
    if sid in store.sources.index:
        s = store.sources.loc[sid]
        short = str(s.publisher or sid)
        if len(short) > 40 and " (" in short:    # "Assurance Maladie (data.ameli.fr - …)" -> "Assurance Maladie"
            short = short[:short.index(" (")]
        short = short.split(" - ")[0]
        if s.vintage and len(str(s.vintage)) <= 20:
            short += f", {s.vintage}"
    synthetic = bool(ok["synthetic"].fillna(False).astype(bool).any())
    return label, short, synthetic


def map_layer(store, indicator_id: str, codes, year: int | None = None) -> MapLayer:
    """Class codes, hover data and legend of ``indicator_id`` for the communes ``codes`` (map order)."""
    ind = store.indicator(indicator_id)
    year = cache.pick_year(store, indicator_id, year)
    df = map_values(store, indicator_id, codes, year)
    cls = classify(ind, df.loc[df["status"] == OK, "value"])
    z = class_codes(df["value"], df["status"], cls)
    secret_label = SECRET_LABEL.format(n=ind.secret_threshold or 11)
    custom = []
    for r in df.itertuples(index=False):
        if r.status == OK:
            custom.append([fmt_value(r.value, ind, unit=False), fmt_detail_numbers(ind, r.numerator, r.denominator)])
        elif r.status == SECRET:
            custom.append([secret_label, MISSING_TEXT])
        else:
            custom.append([NO_DATA_LABEL, MISSING_TEXT])
    source, short_source, synthetic = _source_text(store, df)
    foot = []
    if year is not None:
        foot.append(f"Année {year}")
    if short_source:
        foot.append(f"source : {short_source}")
    foot_txt = " · ".join(foot) + ("<br>données de démonstration, fictives" if synthetic else "")
    dlabel = detail_label(ind)
    hovertemplate = (
        "<b>%{text}</b> (%{location})<br>" + ind.label + " : <b>%{customdata[0]}</b><br>"
        + f"<span style='font-size:11px'>({ind.unit})</span>"
        + (f"<br>{dlabel} : %{{customdata[1]}}" if dlabel else "")
        + (f"<br><i>{foot_txt}</i>" if foot_txt else "") + "<extra></extra>")
    colorscale, zmin, zmax = stepped_colorscale(cls)
    counts = Counter(z)
    entries = [{"kind": "class", "label": lab, "color": col, "count": counts.get(Z_FIRST_CLASS + k, 0)}
               for k, (lab, col) in enumerate(zip(cls.labels, cls.colors))]
    entries.append({"kind": "secret", "label": secret_label, "color": SECRET_COLOR, "count": counts.get(Z_SECRET, 0)}
                   if ind.secret_threshold is not None else None)
    entries.append({"kind": "no_data", "label": NO_DATA_LABEL, "color": NO_DATA_COLOR,
                    "count": counts.get(Z_NO_DATA, 0)})
    entries = [e for e in entries if e is not None]
    available = year is not None
    method_note = {
        "thresholds": "Classes à seuils fixes" + (" (sous-densité médicale DREES : APL < 2,5)"
                                                  if ind.family == "accessibility" else ""),
        "quantiles": "Classes par quantiles des communes affichées",
        "single": "Une seule valeur",
        "empty": "",
    }[cls.method]
    direction_note = {"higher": "Plus foncé : plus favorable (valeur plus élevée).",
                      "lower": "Plus foncé : plus favorable (valeur plus faible).",
                      "neutral": ""}[cls.direction]
    legend = {
        "indicator_id": ind.id, "title": ind.label, "unit": ind.unit, "year": year,
        "available": available, "entries": entries, "method": cls.method, "method_note": method_note,
        "direction_note": direction_note, "source": source, "synthetic": synthetic,
        "n_communes": len(df), "n_with_value": int((df["status"] == OK).sum()),
    }
    return MapLayer(ind.id, year, list(df["code"]), z, custom, hovertemplate, colorscale, zmin, zmax, cls,
                    legend, df)


def _points_trace(points: pd.DataFrame | None, visible: bool) -> dict:
    # Always visible (empty when off): a trace made visible later gets its MapLibre layers inserted
    # under the communes; an empty one keeps its place above them.
    trace = {"type": "scattermap", "mode": "markers", "lon": [], "lat": [], "text": [], "visible": True,
             "uid": UID_POINTS,
             "marker": {"size": 8, "color": [], "opacity": 0.9},
             "hovertemplate": "%{text}<extra></extra>", "name": "lieux d'exercice", "showlegend": False}
    if visible and points is not None and not points.empty:
        is_struct = points["profession"].isin(list(STRUCTURES))
        trace["lon"] = [round(float(x), 5) for x in points["lon"]]
        trace["lat"] = [round(float(y), 5) for y in points["lat"]]
        trace["text"] = [str(t) for t in points["label"].fillna("")] if "label" in points else []
        trace["marker"]["color"] = [POINT_COLORS["structure"] if s else POINT_COLORS["professional"] for s in is_struct]
    return trace


def map_figure(geometry: AreaGeometry, layer: MapLayer, *, outline: tuple[list, list] | None = None,
               points: pd.DataFrame | None = None, show_points: bool = False, uirevision: str | None = None,
               height: int = DEFAULT_HEIGHT, width_hint: int = 700) -> dict:
    """The full Plotly figure (polygons included) of a view.

    ``layer.codes`` must follow ``geometry.codes`` (build the layer with ``geometry.codes``)."""
    lons, lats = outline or ([], [])
    view = view_for_bounds(geometry.bounds, width_hint, height)
    communes = {
        "type": "choroplethmap", "geojson": geometry.geojson, "locations": list(geometry.codes),
        "featureidkey": "id", "uid": UID_COMMUNES, "z": layer.z, "zmin": layer.zmin, "zmax": layer.zmax, "colorscale": layer.colorscale,
        "showscale": False, "text": list(geometry.names), "customdata": layer.customdata,
        "hovertemplate": layer.hovertemplate, "marker": {"line": {"color": "#ffffff", "width": 0.7}, "opacity": 0.95},
        "name": "communes",
    }
    outline_trace = {"type": "scattermap", "mode": "lines", "lon": lons, "lat": lats, "hoverinfo": "skip", "uid": UID_OUTLINE,
                     "line": {"color": OUTLINE_COLOR, "width": 3}, "name": "contour du territoire",
                     "showlegend": False}
    return {
        "data": [communes, _points_trace(points, show_points), outline_trace],
        "layout": {
            "map": {"style": "white-bg", "center": view["center"], "zoom": view["zoom"]},
            "margin": {"l": 0, "r": 0, "t": 0, "b": 0}, "height": height, "showlegend": False,
            "paper_bgcolor": "#ffffff", "uirevision": uirevision or "map", "clickmode": "event",
            "hoverlabel": {"bgcolor": "#ffffff", "font": {"size": 13}, "align": "left"},
            "meta": {"indicator": layer.indicator_id, "year": layer.year, "n_communes": len(geometry)},
        },
    }
