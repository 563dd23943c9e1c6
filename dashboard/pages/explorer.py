"""Map explorer (path "/"): the communes of a territory — or of its département, its région, France —
coloured by an indicator, with the territory's figure beside its references, a commune panel, a
change map between two years, and exports of what is shown.

Data flow: the controls (and a click on the map, a commune search) make one normalised
:class:`~dashboard.state.ViewState` (callback ``_state``), stored in ``explorer-state`` and written
into the URL by the server (``ViewState.search``; the browser only applies it). From the state:
the map (geometry when the area changes, colours otherwise), the legend, the title, the territory
panel and the commune panel, all in one callback (``_draw``; the page's first render has them in
its layout). The back button hands the URL back to the server, which parses it with the same
module (``_restore``).

One callback for everything the state shows, not one per panel: each callback is a request, and
requests answered at once by threads of one process wait for each other's Python; with the panels
apart an interaction cost four requests (state, map, two panels) where the previous explorer made
two, and its summed server time was higher for a CPTS although the map callback was twice faster
(``bench/compare_explorer.py``).
"""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, clientside_callback, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from atlas import fmt
from atlas.catalog import PROFESSION_TITLES, STRUCTURES, indicator
from atlas.errors import AtlasError
from atlas.read import current
from dashboard import palette
from dashboard.components import commune_map as cmap
from dashboard.components.commune_panel import commune_panel, commune_panel_placeholder
from dashboard.components.commune_search import commune_search, search_id
from dashboard.components.export_buttons import export_buttons, export_context_id
from dashboard.components.indicator_picker import (VIEWS, indicator_picker, mode_options, profession_options,
                                                   year_options)
from dashboard.components.legend import legend
from dashboard.components.not_found import unknown_territory
from dashboard.components.territory_panel import territory_panel
from dashboard.components.territory_picker import picker_id, territory_picker
from dashboard.maps.layer import CHANGE, build_layer
from dashboard.maps.view import default_territory
from dashboard.state import EXTENTS, ViewState, parse_state
from dashboard.validation import territory_or_none, text

dash.register_page(__name__, path="/", name="Carte", title="Carte des communes – Atlas de l'accès aux soins",
                   order=0)

P = "explorer"
MAP = cmap.map_ids(P)
MAP_HEIGHT = 620


def _years(atlas, state: ViewState, territory) -> list[int]:
    return atlas.years_for(state.indicator_id, territory.codes)


def _settle_year(atlas, state: ViewState, territory) -> ViewState:
    """A state whose year (and first year of a change) exist for this territory and indicator."""
    years = _years(atlas, state, territory)
    year = state.year if state.year in years else (years[-1] if years else None)
    since = state.since
    if state.view == CHANGE:
        earlier = [y for y in years if year is None or y < year]
        since = since if since in earlier else (earlier[0] if earlier else None)
    return state.with_(year=year, since=since)


def _title(atlas, territory, layer, extent: str, n: int) -> list:
    ind = indicator(layer.indicator_id)
    period = f" ({layer.legend['period']})" if layer.legend.get("period") else ""
    where = {"territoire": "du territoire", "departement": f"du département ({territory.departement})",
             "region": "de la région", "france": "de France"}[extent]
    outlined = ", le territoire entouré d'un trait noir" if extent != "territoire" and territory.codes else ""
    return [html.H1([layer.legend["title"], period, " – ", territory.name], className="h5 mb-0", id=f"{P}-title-text"),
            html.Div(f"{ind.unit} · {fmt.plural(n, 'commune')} {where}{outlined}", className="small text-muted",
                     id=f"{P}-subtitle")]


def _status(territory, missing) -> list:
    msgs = []
    if not territory.codes:
        msgs.append(html.Div([
            html.Strong("Périmètre inconnu : "), f"aucune commune n'est connue pour « {territory.name} ». ",
            "Affichez son département (étendue) ou ",
            dcc.Link("définissez le périmètre dans l'éditeur", href=f"/editeur?territoire={territory.id}"), "."],
            className="alert alert-warning py-2 mb-2", id=f"{P}-empty-perimeter", role="alert"))
    if missing:
        msgs.append(html.Div(f"{fmt.plural(len(missing), 'commune')} sans contour (non dessinées) : "
                             + ", ".join(missing[:10]), className="small text-muted"))
    return msgs


def _points_legend(state: ViewState):
    if not state.locations:
        return None
    dot = lambda c: html.Span(className="points-dot", style={"background": c})  # noqa: E731
    prof = PROFESSION_TITLES.get(state.profession or "mg", "").lower()
    return html.Ul([html.Li([dot(palette.POINTS["professional"]), f"lieux d'exercice : {prof}"]),
                    html.Li([dot(palette.POINTS["structure"]), ", ".join(STRUCTURES.values())])],
                   className="list-unstyled small mb-3 points-legend")


def _export_context(state: ViewState) -> dict:
    return {"territory": state.territory, "indicator": state.indicator_id, "year": state.year,
            "extent": state.extent}


def _geometry_url(query: dict) -> str | None:
    """The geometry file the map of this URL draws first (preloaded while Dash boots: the France
    map's 1.8 MB file is then fetched and decoded before the map callback answers)."""
    atlas = current()
    state = parse_state(query, default_territory(atlas))
    area_id, _ = cmap.view_area(atlas, atlas.territory(state.territory), state.extent)
    return cmap.geometry_url(atlas, area_id)


cmap.preload_for("/", _geometry_url)


# -- layout --------------------------------------------------------------------------------------------
def layout(**query):
    atlas = current()
    state = parse_state(query, default_territory(atlas))
    try:
        territory = atlas.territory(state.territory)
    except AtlasError:
        return unknown_territory(state.territory)
    state = _settle_year(atlas, state, territory)
    has_locations = atlas.supply.has_locations()
    (geometry, paint, selected, points, legend_, title, status, points_legend, export, territory_panel_,
     commune_panel_) = _view(atlas, state, territory)
    points = None if points is no_update else points        # no points: nothing shown yet either
    return html.Div([
        dcc.Store(id=f"{P}-state", data=state.as_dict()),
        dcc.Store(id=f"{P}-url", data=state.url()),
        dcc.Store(id=f"{P}-popstate"),
        dcc.Store(id=f"{P}-url-applied"),
        dbc.Row([
            dbc.Col([
                territory_picker(atlas, state.territory, P),
                commune_search(P),
                indicator_picker(atlas, state, P, _years(atlas, state, territory)),
                html.Div([
                    dbc.Label("Étendue de la carte", className="fw-semibold mb-1"),
                    dbc.RadioItems(id=f"{P}-extent", options=[{"label": v, "value": k} for k, v in EXTENTS.items()],
                                   value=state.extent),
                ], className="mb-2"),
                dbc.Switch(id=f"{P}-locations", value=state.locations and has_locations, disabled=not has_locations,
                           label="Lieux d'exercice (points)" + ("" if has_locations else " – indisponibles"),
                           className="mb-2"),
                html.Hr(className="my-2"),
                html.Div(territory_panel_, id=f"{P}-territory-panel"),
            ], lg=3, className="explorer-controls order-2 order-lg-1"),
            dbc.Col([
                html.Div(title, id=f"{P}-title", className="mb-1"),
                html.Div(status, id=f"{P}-status"),
                html.Div(cmap.commune_map(P, height=MAP_HEIGHT, geometry=geometry, paint=paint, selected=selected,
                                          points=points), className="explorer-map border rounded", id=f"{P}-map-frame"),
                html.Div([html.Span("Exporter : ", className="small text-muted me-1"),
                          export_buttons(P, context=export)], className="mt-2", id=f"{P}-exports"),
            ], lg=6, className="order-1 order-lg-2"),
            dbc.Col([
                html.Div(legend_, id=f"{P}-legend", className="mb-3"),
                html.Div(points_legend, id=f"{P}-points-legend"),
                html.H2("Commune", className="h6 text-uppercase text-muted mb-1"),
                html.Div(commune_panel_, id=f"{P}-commune-panel", **{"aria-live": "polite"}),
            ], lg=3, className="order-3"),
        ], className="g-3"),
    ], className="explorer-page")


# -- callbacks -----------------------------------------------------------------------------------------
CONTROLS = ["indicator", "profession", "mode", "year", "view", "since", "extent", "locations"]


@callback(
    Output(f"{P}-state", "data"), Output(f"{P}-url", "data"),
    Output(f"{P}-profession", "options"), Output(f"{P}-profession", "value"), Output(f"{P}-profession", "disabled"),
    Output(f"{P}-mode", "options"), Output(f"{P}-mode", "value"),
    Output(f"{P}-year", "options"), Output(f"{P}-year", "value"), Output(f"{P}-year", "disabled"),
    Output(f"{P}-view", "options"), Output(f"{P}-since", "options"), Output(f"{P}-since", "value"),
    Output(f"{P}-since-wrapper", "style"),
    Input(picker_id(P), "value"), *[Input(f"{P}-{c}", "value") for c in CONTROLS],
    Input(MAP["click"], "data"), Input(search_id(P), "value"), State(f"{P}-state", "data"),
    prevent_initial_call=True,
)
def _state(territory_id, choice, profession, mode, year, view, since, extent, locations, click, searched, previous):
    """Controls -> one normalised state (and the URL); dependent controls follow. Any value may be
    malformed (a request is not always the page's): the state normalises them, an unknown territory
    changes nothing."""
    atlas = current()
    prev = ViewState.from_dict(previous)
    commune = prev.commune
    trig = ctx.triggered_id
    if trig == MAP["click"]:
        commune = cmap.clicked_code(click) or commune
    elif trig == search_id(P) and text(searched, 5):
        commune = text(searched, 5)
    territory = territory_or_none(atlas, territory_id)
    if territory is None:
        raise PreventUpdate
    if commune and commune not in atlas.communes:
        commune = None
    state = ViewState(territory=territory.id, choice=choice, profession=profession or None, mode=mode or None,
                      year=year, view=view, since=since, extent=extent, locations=bool(locations), commune=commune)
    state = _settle_year(atlas, state.with_(), territory)
    years = _years(atlas, state, territory)
    profs = profession_options(atlas, state.choice, state.mode)
    ys = year_options(years)
    since_opts = [o for o in ys if state.year is None or int(o["value"]) < state.year]
    return (state.as_dict(), state.url(),
            profs or [{"label": "Sans objet", "value": ""}], state.profession or "", not profs,
            mode_options(state.choice, state.profession), state.mode or "",
            ys, str(state.year) if state.year else None, len(ys) <= 1,
            [{"label": v, "value": k, "disabled": k == CHANGE and len(ys) < 2} for k, v in VIEWS.items()],
            since_opts, str(state.since) if state.since else None,
            {} if state.view == CHANGE else {"display": "none"})


def _view(atlas, state: ViewState, territory, shown=None, shown_points=None) -> tuple:
    """What the page shows for a state: (geometry spec, paint, selected commune, points, legend,
    title, status, points legend, export context, territory panel, commune panel). The geometry is ``no_update`` when ``shown`` is
    already that area (only the colours change: one character and one integer per commune), the
    points when they are ``shown_points``. One function for the page's first render (:func:`layout`)
    and for every change (:func:`_draw`)."""
    area_id, codes = cmap.view_area(atlas, territory, state.extent)
    spec = cmap.geometry_spec(atlas, area_id, codes, outline=list(territory.codes) or None)
    drawn = cmap.drawn_codes(atlas, spec)
    layer = build_layer(atlas, state.indicator_id, drawn, state.year, mode=state.view, since=state.since,
                        focus=territory.codes)
    same_area = isinstance(shown, dict) and shown.get("key") == spec["key"] and shown.get("outline") == spec["outline"]
    points = cmap.points(atlas.locations(drawn, [state.profession or "mg", *STRUCTURES])) if state.locations else None
    drawn_set = set(drawn)          # once: a set per commune made a région's map ~0.3 s (4,000² steps)
    missing = [c for c in codes if c not in drawn_set] if codes else []
    return (no_update if same_area else spec, cmap.paint(atlas, spec, layer, key=state.search()),
            state.commune, no_update if points == shown_points else points,
            legend(layer.legend), _title(atlas, territory, layer, state.extent, len(drawn)),
            _status(territory, missing), _points_legend(state), _export_context(state),
            territory_panel(atlas, territory, state.indicator_id, state.year), _commune_panel(atlas, state, territory))


def _commune_panel(atlas, state: ViewState, territory):
    if not state.commune:
        return commune_panel_placeholder()
    return commune_panel(atlas, state.commune, state.indicator_id, state.year, territory)


# Not called for the first render: the layout carries the map (geometry spec and paint in the map's
# stores, legend, title), so the engine starts drawing as soon as the page is mounted instead of
# after one more round trip and React pass (measured by bench/bench_national_map.py, first map).
@callback(
    Output(MAP["geometry"], "data"), Output(MAP["paint"], "data"), Output(MAP["selected"], "data"),
    Output(MAP["points"], "data"), Output(f"{P}-legend", "children"), Output(f"{P}-title", "children"),
    Output(f"{P}-status", "children"), Output(f"{P}-points-legend", "children"), Output(export_context_id(P), "data"),
    Output(f"{P}-territory-panel", "children"), Output(f"{P}-commune-panel", "children"),
    Input(f"{P}-state", "data"), State(MAP["geometry"], "data"), State(MAP["points"], "data"),
    prevent_initial_call=True,
)
def _draw(state_dict, shown, shown_points):
    """State -> the map: the area's geometry only when the area (territory, extent) changes; the
    colours (one character and one integer per commune) always."""
    atlas = current()
    state = ViewState.from_dict(state_dict)
    territory = territory_or_none(atlas, state.territory)
    if territory is None:
        raise PreventUpdate
    return _view(atlas, state, territory, shown, shown_points)


@callback(Output(picker_id(P), "value"), *[Output(f"{P}-{c}", "value", allow_duplicate=True) for c in CONTROLS],
          Input(f"{P}-popstate", "data"), prevent_initial_call=True)
def _restore(search):
    """Back / forward: the URL the browser went back to, parsed by the server, sets the controls."""
    if not isinstance(search, str) or len(search) > 8_000:
        raise PreventUpdate
    from urllib.parse import parse_qs
    atlas = current()
    s = parse_state({k: v for k, v in parse_qs(search.lstrip("?")).items()}, default_territory(atlas))
    return (s.territory, s.choice, s.profession or "", s.mode or "", str(s.year) if s.year else None, s.view,
            str(s.since) if s.since else None, s.extent, s.locations)


# The browser applies the URL the server wrote (one history entry per change) and hands it back on "back".
clientside_callback(
    "function(search) { return window.atlasHistory.apply(search, 'explorer-popstate'); }",
    Output(f"{P}-url-applied", "data"), Input(f"{P}-url", "data"), prevent_initial_call=False)
