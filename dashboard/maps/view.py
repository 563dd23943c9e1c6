"""One explorer view as data: the area drawn, the map layer and the full figure for an
:class:`~dashboard.maps.state.ExplorerState`. Shared by the explorer page, its callbacks, the
benchmark and other pages (portrait, exports) that want the same map.

Reuse::

    from dashboard.maps.state import ExplorerState
    from dashboard.maps.view import full_view
    v = view(store, ExplorerState(territory="aunis-sud", choice="apl_mg"))   # the explorer (Leaflet)
    v = full_view(store, ...)    # + v.figure, the Plotly figure of the exports
    # v.layer.legend -> components.map_legend.map_legend
"""
from __future__ import annotations

from dataclasses import dataclass

from .choropleth import DEFAULT_HEIGHT, MapLayer, map_figure, map_layer
from .geometry import AreaGeometry, area_geometry, territory_outline
from .locations import locations
from .state import ExplorerState
from . import cache


@dataclass
class View:
    territory: object          # etl.store.Territory
    geom: AreaGeometry
    layer: MapLayer
    outline: tuple[list, list] | None = None
    points: object = None      # pandas.DataFrame of practice locations, or None
    figure: dict | None = None  # the Plotly figure (exports), built by full_view only


def area_for(store, territory, extent: str = "territoire") -> AreaGeometry:
    """Communes drawn: the territory's, or its whole département (``extent='departement'``). A territory
    without communes gets an empty area framed on its département."""
    if extent == "departement" and territory.departement:
        return area_geometry(store, departement=territory.departement)
    geom = area_geometry(store, codes=territory.codes)
    if geom.bounds is None and territory.departement:
        dep = store.communes[store.communes.departement == territory.departement]
        if not dep.empty:
            geom = AreaGeometry(geom.geojson, (), (), (float(dep.xmin.min()), float(dep.ymin.min()),
                                                        float(dep.xmax.max()), float(dep.ymax.max())))
    return geom


def points_for(store, state: ExplorerState, geom: AreaGeometry):
    """Practice locations to draw (None when the layer is off or the build has none)."""
    if not state.locations:
        return None
    return locations(store, geom.codes, state.profession)


def view(store, state: ExplorerState) -> View:
    """The data of a view: area, colouring layer, territory outline and points (no figure)."""
    territory = cache.territory(store, state.territory)
    geom = area_for(store, territory, state.extent)
    layer = map_layer(store, state.indicator_id, geom.codes, state.year)
    outline = territory_outline(store, territory.codes) if territory.codes else None
    return View(territory, geom, layer, outline, points_for(store, state, geom))


def full_view(store, state: ExplorerState, height: int = DEFAULT_HEIGHT) -> View:
    """:func:`view` plus the Plotly figure of the map (used by the PNG/PDF exports)."""
    v = view(store, state)
    v.figure = map_figure(v.geom, v.layer, outline=v.outline, points=v.points, show_points=state.locations,
                          uirevision=f"{v.territory.id}|{state.extent}", height=height)
    return v
