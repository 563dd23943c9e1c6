"""The pages' commune map: the canvas engine of :mod:`dashboard.components.atlas_map` fed from the
read model and a map layer (:mod:`dashboard.maps.layer`).

* :func:`geometry_spec` — which built file (département, région or France) and which of its
  communes a view draws, and the territory to outline: sent when the area changes;
* :func:`paint` — the colours and values of a layer for the communes drawn: the only thing a change
  of indicator, year or view sends (one character and one integer per commune);
* :func:`points` — practice locations.

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


def commune_map(name: str, height: int | str = 620, label: str = "Carte des communes") -> object:
    return am.atlas_map(name, height=height, label=label)


def geometry_spec(atlas, area_id: str, codes=None, outline=None) -> dict:
    url = atlas_server.geo_url(atlas.data_dir, f"{area_id}.topo.json", build_id=atlas.build_dir.name)
    return am.geometry_spec(atlas.geometry.index(), area_id, url=url, codes=codes, outline=outline)


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


__all__ = ["commune_map", "map_ids", "view_area", "geometry_spec", "drawn_codes", "paint", "points", "clicked_code",
           "fmt"]
