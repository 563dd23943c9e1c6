"""Territory portrait (path ``/portrait``): key figures, comparisons, maps, time series; presentation
mode (key P, the button, or ``presentation=1`` in the URL) and print.

State in the URL, with the pages' one encoder and decoder (:mod:`dashboard.state`)::

    /portrait?territoire=aunis-sud&indicateur=apl_mg&annee=2022&presentation=1

``indicateur`` and ``annee`` choose the map of the "carte" slide (the year selector lists the years
this territory has data for, ``atlas.years_for``); every other figure is shown at its own latest year,
and the time series show every year. An unknown territory says so ("Territoire inconnu"), it is
never replaced by another one.

No plotly.js: maps and charts are SVG made on the server (:mod:`dashboard.components.svg_map`,
:mod:`dashboard.components.svg_chart`), comparisons HTML. The deck is cached in the process per
(territory, indicator, year, ``atlas.version``): the version changes with the build and with the
user's files, so a cached deck is never stale (measured in ``bench/bench_portrait.py``).
"""
from __future__ import annotations

from urllib.parse import parse_qs

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, clientside_callback, dcc, html
from dash.exceptions import PreventUpdate

from atlas.catalog import CATALOG, PREVENTION_IDS
from atlas.errors import AtlasError
from atlas.read import current
from dashboard.components.export_buttons import export_buttons, export_context_id
from dashboard.components.indicator_picker import year_options
from dashboard.components.not_found import unknown_territory
from dashboard.components.portrait_deck import cached_deck
from dashboard.components.territory_picker import picker_id, territory_picker
from dashboard.exports.portrait_data import density_ids
from dashboard.maps.view import default_territory
from dashboard.state import ViewState, parse_state
from dashboard.validation import territory_or_none

dash.register_page(__name__, path="/portrait", name="Portrait", order=1, title="Portrait du territoire")

P = "portrait"
MAP_CHOICES = [*density_ids("liberal"), "apl_mg", "apl_mg_65", *density_ids("all"), "sans_mt_17", *PREVENTION_IDS]


def _settle(atlas, state: ViewState, territory) -> ViewState:
    """A state whose year exists for this territory and indicator (else the latest one)."""
    years = atlas.years_for(state.indicator_id, territory.codes)
    return state.with_(territory=territory.id, year=state.year if state.year in years else
                       (years[-1] if years else None))


def deck(atlas, state: ViewState) -> list:
    """The slides of a view, cached per (territory, indicator, year, build and user-data version)."""
    return cached_deck(atlas, state.territory, state.indicator_id, state.year)


def _url(state: ViewState) -> dict:
    """What the browser applies (``assets/atlas_history.js``), and the two queries of the presentation
    toggle (``assets/presentation.js``): every query string is written here, by :mod:`dashboard.state`."""
    return {**state.url(), "present": state.with_(presentation=True).search(),
            "normal": state.with_(presentation=False).search()}


def _indicator_options(atlas, current_id: str) -> list[dict]:
    ids = MAP_CHOICES + ([current_id] if current_id not in MAP_CHOICES else [])
    return [{"label": CATALOG[i].label + ("" if atlas.available(i) else " (indisponible)"), "value": i} for i in ids]


def _year_control(years: list[int], year: int | None):
    return year_options(years), (str(year) if year else None), len(years) <= 1


def layout(**query):
    atlas = current()
    state = parse_state(query, default_territory(atlas))
    try:
        territory = atlas.territory(state.territory)
    except AtlasError:
        return unknown_territory(state.territory)
    state = _settle(atlas, state, territory)
    years = atlas.years_for(state.indicator_id, territory.codes)
    y_opts, y_value, y_disabled = _year_control(years, state.year)
    return html.Div([
        dcc.Store(id=f"{P}-url", data=_url(state)),
        dcc.Store(id=f"{P}-url-applied"),
        dcc.Store(id=f"{P}-popstate"),
        html.Div([
            html.Div(territory_picker(atlas, state.territory, P), className="portrait-ctl portrait-ctl-wide"),
            html.Div([dbc.Label("Indicateur de la carte", html_for=f"{P}-indicator", className="fw-semibold mb-1"),
                      dbc.Select(id=f"{P}-indicator", value=state.indicator_id, size="sm",
                                 options=_indicator_options(atlas, state.indicator_id))], className="portrait-ctl"),
            html.Div([dbc.Label("Année", html_for=f"{P}-year", className="fw-semibold mb-1"),
                      dbc.Select(id=f"{P}-year", options=y_opts, value=y_value, size="sm", disabled=y_disabled)],
                     className="portrait-ctl portrait-ctl-year"),
            html.Div([
                dbc.Button("Mode présentation (touche P)", id=f"{P}-present", color="primary", size="sm",
                           title="Plein écran, une idée par écran : flèches pour avancer, Échap pour sortir"),
                export_buttons(P, context={"territory": state.territory, "indicator": state.indicator_id,
                                           "year": state.year}),
            ], className="portrait-ctl portrait-actions"),
        ], className="portrait-toolbar d-print-none"),
        html.P("Présentation : touche P (ou le bouton), flèches ← → pour changer d'écran, Échap pour sortir.",
               className="small text-muted d-print-none mb-2 portrait-help"),
        html.Div(deck(atlas, state), id=f"{P}-deck", className="atlas-deck",
                 **{"data-presentation": "1" if state.presentation else "0", "aria-live": "polite"}),
    ], id="portrait-page")


@callback(Output(f"{P}-deck", "children"), Output(f"{P}-url", "data"),
          Output(f"{P}-year", "options"), Output(f"{P}-year", "value"), Output(f"{P}-year", "disabled"),
          Output(f"{P}-indicator", "options"), Output(export_context_id(P), "data"),
          Input(picker_id(P), "value"), Input(f"{P}-indicator", "value"), Input(f"{P}-year", "value"),
          prevent_initial_call=True)
def _update(territory_id, indicator_id, year):
    """Controls -> the state (and the URL), the year selector of that indicator, the deck (cached)."""
    atlas = current()
    territory = territory_or_none(atlas, territory_id)
    if territory is None:
        raise PreventUpdate
    state = _settle(atlas, parse_state({"territoire": territory.id, "indicateur": indicator_id or "",
                                        "annee": year or ""}), territory)
    years = atlas.years_for(state.indicator_id, territory.codes)
    return (deck(atlas, state), _url(state), *_year_control(years, state.year),
            _indicator_options(atlas, state.indicator_id),
            {"territory": state.territory, "indicator": state.indicator_id, "year": state.year})


@callback(Output(picker_id(P), "value"), Output(f"{P}-indicator", "value"), Output(f"{P}-year", "value",
                                                                                    allow_duplicate=True),
          Input(f"{P}-popstate", "data"), prevent_initial_call=True)
def _restore(search):
    """Back / forward: the URL the browser went back to, parsed by the server, sets the controls."""
    if not isinstance(search, str) or len(search) > 8_000:
        raise PreventUpdate
    s = parse_state(parse_qs(search.lstrip("?")), default_territory(current()))
    return s.territory, s.indicator_id, str(s.year) if s.year else None


# The browser applies the URL the server wrote (one history entry per change) and hands it back on "back".
clientside_callback(
    "function(url) { if (window.atlasPresentation) { window.atlasPresentation.urls(url); }"
    " return window.atlasHistory.apply(url, 'portrait-popstate'); }",
    Output(f"{P}-url-applied", "data"), Input(f"{P}-url", "data"), prevent_initial_call=False)
