"""The pages' commune map: the canvas engine of :mod:`dashboard.components.atlas_map` fed from the
read model and a map layer (:mod:`dashboard.maps.layer`).

* :func:`geometry_spec` — which built file (département, région or France) and which of its
  communes a view draws, and the territory to outline: sent when the area changes;
* :func:`paint` — the colours and values of a layer for the communes drawn: the only thing a change
  of indicator, year or view sends (one character and one integer per commune);
* :func:`points` — practice locations;
* :func:`preload_for` / :func:`preload_url` — the geometry file a page draws first, named in the
  page's ``<head>`` so that the browser loads it while Dash boots.

Pages use only this module and ``atlas_map.map_ids`` for their callbacks' ids.
"""
from __future__ import annotations

from atlas import fmt
from atlas.catalog import STRUCTURES, indicator

from .. import palette
from .. import server as atlas_server
from ..maps.view import view_area
from . import atlas_map as am

map_ids = am.map_ids


def commune_map(name: str, height: int | str = 620, label: str = "Carte des communes", *, geometry: dict | None = None,
                paint: dict | None = None, selected: str | None = None, points: dict | None = None) -> object:
    """The map container and its stores, optionally with what to draw first (:func:`geometry_spec`,
    :func:`paint`, …): the engine then draws as soon as the page is mounted."""
    return am.atlas_map(name, height=height, label=label, geometry=geometry, paint=paint, selected=selected,
                        points=points)


def geometry_url(atlas, area_id: str) -> str:
    """URL of the built geometry file of an area (``france``, ``reg-84``, ``dep-69``)."""
    return atlas_server.geo_url(atlas.data_dir, f"{area_id}.topo.json", build_id=atlas.build_dir.name)


def geometry_spec(atlas, area_id: str, codes=None, outline=None) -> dict:
    return am.geometry_spec(atlas.geometry.index(), area_id, url=geometry_url(atlas, area_id), codes=codes,
                            outline=outline)


# ---------- geometry preloading (atlas_map.enable_preload) ----------

_PRELOADS: dict = {}


def preload_for(path: str, url_of) -> None:
    """Declare the geometry file a page draws first: ``url_of(query)`` (the page's query parameters,
    one string each) returns its URL, or None. :func:`preload_url` hands it to the page's
    ``<head>`` (``<link rel=preload>``), so that the browser fetches and decodes it while Dash
    boots instead of after the page's map callback answered (bench/bench_national_map.py)."""
    _PRELOADS[path] = url_of


def preload_url() -> str | None:
    """The geometry URL of the page being served (called by ``atlas_map.enable_preload`` inside the
    request for a page's HTML), or None when the page declared none."""
    from flask import request

    url_of = _PRELOADS.get(request.path)
    if url_of is None:
        return None
    try:
        return url_of(request.args.to_dict())
    except Exception:  # noqa: BLE001 - a preload is a hint: the page itself reports a bad query, never fail it here
        return None


def drawn_codes(atlas, spec: dict) -> tuple[str, ...]:
    return am.drawn_codes(atlas.geometry.index(), spec)


def paint(atlas, spec: dict, layer, key: str = "") -> dict:
    """The paint payload of ``layer`` (built over :func:`drawn_codes`) for ``spec``."""
    ind = indicator(layer.indicator_id)
    value_format = am.indicator_format(ind)
    if layer.mode == "evolution":
        value_format = {**value_format, "signed": True, "unit": ind.short_unit, "percent": False}
    title = layer.legend.get("title", ind.label)
    if layer.legend.get("period"):
        title += f" ({layer.legend['period']})"
    return am.paint_payload(drawn_codes(atlas, spec), layer.codes, layer.values, layer.z, layer.colors,
                            value_format=value_format, labels=list(layer.classification.labels), title=title,
                            key=key)


def points(df) -> dict | None:
    """Practice locations (professionals in one colour, health structures in another)."""
    if df is None or len(df) == 0:
        return None
    colors = [palette.POINTS["structure"] if p in STRUCTURES else palette.POINTS["professional"]
              for p in df["profession"]]
    return am.points_payload(df["lon"], df["lat"], colors, df["label"].fillna("").tolist())


def clicked_code(click) -> str | None:
    """Commune code of the map's click store ``{"code", "nom", "t"}``."""
    code = (click or {}).get("code") if isinstance(click, dict) else None
    return str(code) if isinstance(code, str) and len(code) == 5 and code.isalnum() else None


__all__ = ["commune_map", "map_ids", "view_area", "geometry_url", "geometry_spec", "preload_for", "preload_url", "drawn_codes", "paint", "points", "clicked_code",
           "fmt"]
