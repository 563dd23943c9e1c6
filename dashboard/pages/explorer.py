"""Map explorer (path "/"): a territory's communes coloured by an indicator, with references.

State lives in the URL (see ``dashboard.maps.state``). The map is Leaflet (dash-leaflet, chosen by
measurement: ``dashboard.maps.leaflet_map``). Speed: the first view comes with the page layout (one
request); afterwards the polygons are sent once per territory and extent, and changing indicator,
profession, mode or year sends only the communes layer's ``hideout`` (class codes, hover texts,
colours), coloured in the browser (``assets/explorer_map.js``). The URL is updated in the browser
(history.pushState, no server round trip); the back button restores the controls
(``assets/explorer_history.js``).
"""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, clientside_callback, dcc, html, no_update
from dash.exceptions import PreventUpdate

from dashboard.components.atlas_export_buttons import export_buttons, export_context_id
from dashboard.components.commune_panel import commune_panel, commune_panel_placeholder
from dashboard.components.indicator_selector import indicator_selector, profession_options, year_options
from dashboard.components.map_legend import map_legend
from dashboard.components.territory_panel import territory_panel
from dashboard.components.territory_selector import default_territory, territory_selector
from dashboard.data import get_store
from dashboard.maps.choropleth import map_layer
from dashboard.maps.formatting import fmt_int
from dashboard.maps.geometry import AreaGeometry
from dashboard.maps.locations import locations_available
from dashboard.maps.geometry import territory_outline
from dashboard.maps.leaflet_map import (clicked_code, commune_map, communes_geojson, hideout, ids, outline_geojson,
                                        points_geojson, viewport)
from dashboard.maps.view import area_for, points_for, view
from dashboard.maps.state import DENSITY, EXTENTS, MODES, ExplorerState, parse_state, professions_for
from atlas.errors import AtlasError
from dashboard.maps import cache

dash.register_page(__name__, path="/", name="Carte", title="Carte des communes – Atlas de l'accès aux soins",
                   order=0)

P = "explorer"
MAP = ids(P)                 # explorer-map, explorer-communes, explorer-outline, explorer-points
MAP_HEIGHT = 620


# -- page pieces -------------------------------------------------------------------------------------
def _view_key(state: ExplorerState) -> dict:
    return {"territory": state.territory, "extent": state.extent, "indicator": state.indicator_id,
            "choice": state.choice, "mode": state.mode, "locations": state.locations,
            "profession": state.profession, "year": state.year}


def _dep_name(store, code):
    return store.departements.loc[code, "nom"] if code in store.departements.index else code


def _title(store, territory, layer, extent: str, geom: AreaGeometry) -> list:
    ind = store.indicator(layer.indicator_id)
    year = f" ({layer.year})" if layer.year else ""
    if extent == "departement" and territory.departement:
        where = (f"{fmt_int(len(geom))} communes du département {_dep_name(store, territory.departement)} "
                 f"({territory.departement})" + (", le territoire entouré d'un trait noir" if territory.codes else ""))
    else:
        where = f"{fmt_int(len(geom))} commune{'s' if len(geom) > 1 else ''} du territoire"
    return [html.H1([ind.label, year, " – ", territory.name], className="h5 mb-0", id=f"{P}-title-text"),
            html.Div(f"{ind.unit} · {where}", className="small text-muted", id=f"{P}-subtitle")]


def _status(store, territory, extent: str, geom: AreaGeometry) -> list:
    msgs = []
    if not territory.codes:
        msgs.append(html.Div([
            html.Strong("Périmètre inconnu : "),
            f"aucune commune n'est connue pour « {territory.name} ». ",
            "Affichez tout son département ou ",
            dcc.Link("définissez le périmètre dans l'éditeur", href="/editeur"), "."],
            className="alert alert-warning py-2 mb-2", id=f"{P}-empty-perimeter", role="alert"))
    if geom.missing:
        msgs.append(html.Div(f"{len(geom.missing)} commune(s) sans contour ne sont pas dessinées : "
                             + ", ".join(geom.missing[:10]), className="small text-muted"))
    return msgs


# -- layout ------------------------------------------------------------------------------------------
def layout(**query):
    store = get_store()
    territory_ids = [t.id for t in cache.territories(store)]
    if not territory_ids:
        return html.Div("Aucun territoire dans les données chargées.", className="alert alert-warning")
    state = parse_state(query, territory_ids, default_territory(store))
    v = view(store, state)
    state = state.with_(year=v.layer.year)
    has_locations = locations_available(store)
    return html.Div([
        dcc.Store(id=f"{P}-view", data=_view_key(state)),
        dcc.Store(id=f"{P}-url"),
        dbc.Row([
            dbc.Col([
                territory_selector(store, state.territory, id=f"{P}-territory"),
                indicator_selector(store, state, prefix=P),
                html.Div([
                    dbc.Label("Étendue de la carte", className="fw-semibold mb-1"),
                    dbc.RadioItems(id=f"{P}-extent", options=[{"label": v_, "value": k} for k, v_ in EXTENTS.items()],
                                   value=state.extent),
                ], className="mb-2"),
                dbc.Switch(id=f"{P}-locations", value=state.locations and has_locations, disabled=not has_locations,
                           label="Lieux d'exercice (points)" + ("" if has_locations else " – indisponible"),
                           className="mb-2"),
                html.Hr(className="my-2"),
                html.Div(territory_panel(store, v.territory, v.layer.indicator_id, v.layer.year),
                         id=f"{P}-territory-panel"),
            ], lg=3, className="explorer-controls"),
            dbc.Col([
                html.Div(_title(store, v.territory, v.layer, state.extent, v.geom), id=f"{P}-title",
                         className="mb-1"),
                html.Div(_status(store, v.territory, state.extent, v.geom), id=f"{P}-status"),
                html.Div(commune_map(P, v.geom, v.layer, outline=v.outline, points=v.points,
                                     show_points=state.locations, height=MAP_HEIGHT),
                         className="explorer-map border rounded", id=f"{P}-map-frame"),
                html.Div([html.Span("Exporter : ", className="small text-muted me-1"),
                          export_buttons(P, context=_export_context(_view_key(state)))],
                         className="mt-2", id=f"{P}-exports"),
            ], lg=6),
            dbc.Col([
                html.Div(map_legend(v.layer.legend), id=f"{P}-legend", className="mb-3"),
                html.Div(_points_legend(state, has_locations), id=f"{P}-points-legend"),
                html.H2("Commune", className="h6 text-uppercase text-muted mb-1"),
                html.Div(commune_panel_placeholder(), id=f"{P}-commune-panel"),
            ], lg=3),
        ], className="g-3"),
    ], className="explorer-page")


def _export_context(shown: dict) -> dict:
    """What the export buttons export: the view shown (PNG: same indicator, year and extent)."""
    return {"territory": shown["territory"], "indicator": shown["indicator"], "year": shown.get("year"),
            "extent": shown.get("extent") or "territoire"}


def _points_legend(state: ExplorerState, has_locations: bool):
    if not state.locations or not has_locations:
        return None
    from dashboard.maps.locations import POINT_COLORS
    from atlas.catalog import PROFESSIONS
    dot = lambda c: html.Span(style={"display": "inline-block", "width": ".8em", "height": ".8em",  # noqa: E731
                                     "borderRadius": "50%", "background": c, "marginRight": ".4em"})
    return html.Ul([
        html.Li([dot(POINT_COLORS["professional"]), f"lieux d'exercice : {PROFESSIONS.get(state.profession, '')}"]),
        html.Li([dot(POINT_COLORS["structure"]), "maisons et centres de santé"]),
    ], className="list-unstyled small mb-3 points-legend")


# -- callbacks ---------------------------------------------------------------------------------------
# The view's controls, in this order, for the server callback and the URL (browser) callback.
CONTROL_INPUTS = [Input(f"{P}-{name}", "value")
                  for name in ("territory", "indicator", "profession", "mode", "year", "extent", "locations")]


@callback(
    Output(MAP["communes"], "data"),
    Output(MAP["communes"], "hideout"),
    Output(MAP["outline"], "data"),
    Output(MAP["points"], "data"),
    Output(MAP["map"], "viewport"),
    Output(f"{P}-view", "data"),
    Output(MAP["communes"], "clickData"),
    Output(f"{P}-title", "children"),
    Output(f"{P}-status", "children"),
    Output(f"{P}-legend", "children"),
    Output(f"{P}-points-legend", "children"),
    Output(f"{P}-territory-panel", "children"),
    Output(f"{P}-profession", "options"),
    Output(f"{P}-profession", "value"),
    Output(f"{P}-profession-help", "children"),
    Output(f"{P}-mode", "options"),
    Output(f"{P}-year", "options"),
    Output(f"{P}-year", "value"),
    Output(f"{P}-year", "disabled"),
    *CONTROL_INPUTS,
    State(f"{P}-view", "data"),
    prevent_initial_call=True,
)
def update_view(territory_id, choice, profession, mode, year, extent, show_locations, shown):
    store = get_store()
    shown = shown or {}
    try:
        cache.territory(store, territory_id)
    except AtlasError:
        raise PreventUpdate
    allowed = professions_for(choice)
    if allowed and profession not in allowed:
        profession = allowed[0]
    mode = mode if (choice == DENSITY and mode in MODES) else "all"
    state = ExplorerState(territory=territory_id, choice=choice, profession=profession or "mg", mode=mode,
                          year=int(year) if year else None, extent=extent or "territoire",
                          locations=bool(show_locations))
    ind_id = state.indicator_id
    if ind_id != shown.get("indicator"):
        state = state.with_(year=cache.pick_year(store, ind_id, state.year))
    territory = cache.territory(store, territory_id)
    geometry_changed = (shown.get("territory"), shown.get("extent")) != (state.territory, state.extent)
    geom = area_for(store, territory, state.extent)
    points_changed = (state.locations, state.profession) != (shown.get("locations"), shown.get("profession")) \
        and (state.locations or shown.get("locations"))
    layer = map_layer(store, ind_id, geom.codes, state.year)
    points = (points_geojson(points_for(store, state, geom), state.locations)
              if geometry_changed or points_changed else no_update)
    if geometry_changed:
        outline = territory_outline(store, territory.codes) if territory.codes else None
        geometry = (communes_geojson(geom), outline_geojson(outline), points, viewport(geom.bounds), None)
    else:
        # polygons stay in the browser: only the new colours and hover texts (hideout) go
        geometry = (no_update, no_update, points, no_update, no_update)
    communes_data, outline_data, points_data, map_viewport, click = geometry
    state = state.with_(year=layer.year)
    choice_changed = (choice, mode) != (shown.get("choice"), shown.get("mode"))
    indicator_changed = ind_id != shown.get("indicator")
    has_loc = locations_available(store)
    return (
        communes_data, hideout(layer), outline_data, points_data, map_viewport, _view_key(state), click,
        _title(store, territory, layer, state.extent, geom),
        _status(store, territory, state.extent, geom) if geometry_changed else no_update,
        map_legend(layer.legend),
        _points_legend(state, has_loc) if state.locations != shown.get("locations") or state.locations else no_update,
        territory_panel(store, territory, ind_id, layer.year),
        profession_options(store, choice, mode) if choice_changed else no_update,
        state.profession,
        ("" if allowed else "Sans objet pour cet indicateur : filtre les lieux d'exercice.") if choice_changed else no_update,
        [{"label": v_, "value": k, "disabled": choice != DENSITY} for k, v_ in MODES.items()] if choice_changed else no_update,
        year_options(store, ind_id) if indicator_changed else no_update,
        str(layer.year) if layer.year else None,
        len(cache.years(store, ind_id)) <= 1 if indicator_changed else no_update,
    )


@callback(
    Output(f"{P}-commune-panel", "children"),
    Input(MAP["communes"], "clickData"),
    Input(f"{P}-view", "data"),
    prevent_initial_call=True,
)
def show_commune(click, shown):
    trig = dash.ctx.triggered_id
    if not click:
        if trig == MAP["communes"]:
            return commune_panel_placeholder()
        raise PreventUpdate
    code = clicked_code(click)
    if not code or not shown:
        raise PreventUpdate
    store = get_store()
    territory = cache.territory(store, shown["territory"])
    ind_id = shown["indicator"]
    # the year shown is the one the view settled on (first option of the year select = latest)
    year = shown.get("year")
    return commune_panel(store, code, ind_id, year, territory)


@callback(Output(export_context_id(P), "data"), Input(f"{P}-view", "data"), prevent_initial_call=True)
def _follow_view(shown):
    if not shown:
        raise PreventUpdate
    return _export_context(shown)


# URL <- controls, in the browser: no server round trip, one history entry per change.
clientside_callback(
    """
    function(territory, choice, profession, mode, year, extent, locs) {
        const p = new URLSearchParams();
        if (!territory) { return window.dash_clientside.no_update; }
        p.set('territoire', territory);
        p.set('indicateur', choice);
        if (profession) { p.set('profession', profession); }
        if (choice === 'density') { p.set('mode', mode === 'liberal' ? 'liberal' : 'tous'); }
        if (year) { p.set('annee', year); }
        if (extent && extent !== 'territoire') { p.set('etendue', extent); }
        if (locs) { p.set('lieux', '1'); }
        const search = '?' + p.toString();
        if (window.location.pathname !== '/' && !window.location.pathname.endsWith('/')) {
            return window.dash_clientside.no_update;
        }
        if (search === window.location.search) { return search; }
        const ctx = window.dash_clientside.callback_context;
        const initial = !ctx.triggered || ctx.triggered.length === 0 || ctx.triggered[0].prop_id === '.';
        const url = window.location.pathname + search + window.location.hash;
        if (initial || window.__atlasRestoring) {
            window.history.replaceState(window.history.state, '', url);
        } else {
            window.history.pushState(window.history.state, '', url);
        }
        return search;
    }
    """,
    Output(f"{P}-url", "data"),
    *CONTROL_INPUTS,
)
