"""Simulation (path "/simulation"): what happens to access if professionals leave or arrive.

Pick a territory and a supply (GPs, nurses…), click a commune on the map (or find it by name), add
or remove professionals — or open a maison de santé with its team —, and see the computed
accessibility before, after and the change, the territory's figure before and after, and the
population living in communes below the DREES threshold (GPs: 2.5). The scenario lives in the URL
(``dashboard/state.py:ScenarioState``): a link reopens it, the back button undoes a step. Each change
costs a sparse product on the server (:mod:`atlas.access.model`), a few milliseconds.
"""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, clientside_callback, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from atlas import fmt
from atlas.catalog import PROFESSION_TITLES, access_id, indicator
from atlas.errors import AtlasError
from atlas.read import current
from dashboard.components import commune_map as cmap
from dashboard.components.commune_search import commune_search, search_id
from dashboard.components.export_buttons import export_buttons, export_context_id
from dashboard.components.legend import legend
from dashboard.components.not_found import unknown_territory
from dashboard.components.territory_picker import picker_id, territory_picker
from dashboard.maps.scenario import changes_of, scenario_view
from dashboard.maps.view import default_territory, view_area
from dashboard.state import EXTENTS, SCENARIO_VIEWS, ScenarioState, parse_scenario

dash.register_page(__name__, path="/simulation", name="Simulation", order=3,
                   title="Simulation de l'offre – Atlas de l'accès aux soins")

P = "simulation"
MAP = cmap.map_ids(P)
# An MSP opening with its team: how many professionals of the supply it brings (project's choice,
# the usual size of a maison de santé pluriprofessionnelle's core team; editable by the +1 / -1 buttons).
MSP_TEAM = {"mg": 3, "inf": 4, "mk": 2, "sf": 1, "dent": 2, "pharmacy": 1}
TEAM_WORDS = {"mg": "médecins", "inf": "infirmiers", "mk": "kinésithérapeutes", "sf": "sage-femme",
              "dent": "dentistes", "pharmacy": "pharmacie"}


def _profession_options(atlas) -> list[dict]:
    have = atlas.access.available
    return [{"label": PROFESSION_TITLES[p], "value": p} for p in have] or \
        [{"label": "Accessibilité indisponible dans cette base", "value": "mg", "disabled": True}]


def layout(**query):
    atlas = current()
    state = parse_scenario(query, default_territory(atlas))
    try:
        atlas.territory(state.territory)
    except AtlasError:
        return unknown_territory(state.territory)
    available = bool(atlas.access.available)
    return html.Div([
        dcc.Store(id=f"{P}-state", data=state.as_dict()),
        dcc.Store(id=f"{P}-url", data=state.url()),
        dcc.Store(id=f"{P}-popstate"),
        dcc.Store(id=f"{P}-url-applied"),
        html.H1("Simulation : que devient l'accès aux soins si l'offre change ?", className="h4"),
        html.P("Cliquez sur une commune (ou cherchez-la), puis ajoutez ou retirez des professionnels : l'accessibilité "
               "calculée (méthode de l'APL de la DREES, sur l'offre réelle de la BPE) est recalculée pour chaque "
               "commune à portée.", className="small text-muted"),
        None if available else dbc.Alert("L'accessibilité calculée n'est pas dans cette base (offre BPE ou temps de "
                                         "trajet indisponibles) : la simulation est impossible.", color="warning"),
        dbc.Row([
            dbc.Col([
                territory_picker(atlas, state.territory, P),
                html.Div([dbc.Label("Profession", html_for=f"{P}-profession", className="fw-semibold mb-1"),
                          dbc.Select(id=f"{P}-profession", options=_profession_options(atlas), value=state.profession,
                                     size="sm")], className="mb-2"),
                html.Div([dbc.Label("Étendue de la carte", className="fw-semibold mb-1"),
                          dbc.RadioItems(id=f"{P}-extent", value=state.extent,
                                         options=[{"label": v, "value": k} for k, v in EXTENTS.items()
                                                  if k != "france"])], className="mb-2"),
                commune_search(P, label="Choisir une commune"),
                html.Div(id=f"{P}-selected", className="mb-2", **{"aria-live": "polite"}),
                html.Div([dbc.Button("− 1", id=f"{P}-minus", color="secondary", size="sm", n_clicks=0,
                                     className="me-1", title="Un professionnel de moins dans cette commune"),
                          dbc.Button("+ 1", id=f"{P}-plus", color="primary", size="sm", n_clicks=0, className="me-1",
                                     title="Un professionnel de plus dans cette commune"),
                          dbc.Button("Ouvrir une MSP", id=f"{P}-msp", color="primary", outline=True, size="sm",
                                     n_clicks=0)], className="mb-2"),
                html.H2("Changements", className="h6 mt-3"),
                html.Div(id=f"{P}-changes"),
                dbc.Button("Tout effacer", id=f"{P}-clear", color="secondary", outline=True, size="sm", n_clicks=0,
                           className="mt-1"),
            ], lg=3, className="order-2 order-lg-1"),
            dbc.Col([
                dbc.RadioItems(id=f"{P}-view", value=state.view, inline=True, className="mb-1",
                               options=[{"label": v, "value": k} for k, v in SCENARIO_VIEWS.items()]),
                html.Div(id=f"{P}-title", className="mb-1"),
                html.Div(cmap.commune_map(P, height=560, label="Carte de la simulation : cliquez une commune"),
                         className="border rounded"),
                html.Div([html.Span("Exporter : ", className="small text-muted me-1"),
                          export_buttons(P, formats=("pdf", "png", "csv"), context={"scenario": state.search()})],
                         className="mt-2"),
            ], lg=6, className="order-1 order-lg-2"),
            dbc.Col([
                html.Div(id=f"{P}-results", **{"aria-live": "polite"}),
                html.Div(id=f"{P}-legend", className="mt-3"),
            ], lg=3, className="order-3"),
        ], className="g-3"),
    ], className="simulation-page")


@callback(Output(f"{P}-state", "data"), Output(f"{P}-url", "data"),
          Output(picker_id(P), "value"), Output(f"{P}-profession", "value"), Output(f"{P}-extent", "value"),
          Output(f"{P}-view", "value"),
          Input(picker_id(P), "value"), Input(f"{P}-profession", "value"), Input(f"{P}-extent", "value"),
          Input(f"{P}-view", "value"), Input(MAP["click"], "data"), Input(search_id(P), "value"),
          Input(f"{P}-minus", "n_clicks"), Input(f"{P}-plus", "n_clicks"), Input(f"{P}-msp", "n_clicks"),
          Input(f"{P}-clear", "n_clicks"), Input({"type": f"{P}-remove", "code": ALL}, "n_clicks"),
          Input(f"{P}-popstate", "data"), State(f"{P}-state", "data"), prevent_initial_call=True)
def _state(territory_id, profession, extent, view, click, searched, _m, _p, _msp, _clear, removes, popped, previous):
    """Controls, clicks and buttons -> one normalised scenario state (and the URL)."""
    atlas = current()
    s = ScenarioState.from_dict(previous)
    trig = ctx.triggered_id
    if trig == f"{P}-popstate":
        from urllib.parse import parse_qs
        if not isinstance(popped, str):
            raise PreventUpdate
        s = parse_scenario(parse_qs(popped.lstrip("?")), s.territory)
        return s.as_dict(), s.url(), s.territory, s.profession, s.extent, s.view
    try:
        territory = atlas.territory(str(territory_id or ""))
    except AtlasError:
        raise PreventUpdate
    s = s.with_(territory=territory.id, profession=profession, extent=extent, view=view)
    if trig == MAP["click"]:
        code = cmap.clicked_code(click)
        s = s.with_(commune=code) if code else s
    elif trig == search_id(P) and isinstance(searched, str) and searched in atlas.communes:
        s = s.with_(commune=searched)
    elif trig in (f"{P}-minus", f"{P}-plus", f"{P}-msp") and s.commune:
        delta = {f"{P}-minus": -1, f"{P}-plus": 1, f"{P}-msp": MSP_TEAM.get(s.profession, 1)}[trig]
        s = s.with_(changes=s.changes + ((s.commune, delta, None),))
    elif trig == f"{P}-clear":
        s = s.with_(changes=())
    elif isinstance(trig, dict) and trig.get("type") == f"{P}-remove" and any(removes or []):
        s = s.with_(changes=tuple(c for c in s.changes if c[0] != trig.get("code")))
    return s.as_dict(), s.url(), no_update, s.profession, s.extent, s.view


def _change_list(atlas, state: ScenarioState, report: dict | None) -> html.Div:
    if not state.changes:
        return html.P("Aucun changement : choisissez une commune puis + 1, − 1 ou « Ouvrir une MSP ».",
                      className="small text-muted", id=f"{P}-no-change")
    acts = {c["commune"]: c["activity"] for c in (report or {}).get("changes", [])}
    rows = []
    for code, delta, _activity in state.changes:
        sign = "+" if delta > 0 else ""
        act = acts.get(code)
        rows.append(html.Li([
            html.Span(f"{atlas.communes.name(code)} ({code}) : {sign}{fmt.number(delta, 0)} "),
            html.Span(f"({fmt.number(act, 0)} consultations par an chacun)" if act and state.profession == "mg" else "",
                      className="text-muted"),
            dbc.Button("×", id={"type": f"{P}-remove", "code": code}, color="link", size="sm", n_clicks=0,
                       className="py-0", title="Retirer ce changement")], **{"data-code": code}))
    return html.Ul(rows, className="list-unstyled small mb-1", id=f"{P}-change-list")


def _results(atlas, state: ScenarioState, territory, sv) -> html.Div:
    ind = indicator(access_id(state.profession))
    r = sv.report
    e = atlas.entry(ind.id, territory)
    before = e["value"]
    rows = [html.H2(territory.name, className="h5 mb-1"),
            html.Div(ind.label, className="small fw-semibold"), html.Div(ind.unit, className="small text-muted")]
    if r is None:
        rows.append(html.Div(f"Aujourd'hui : {fmt.value(before, ind, unit=True)}", className="fs-6 fw-bold",
                             id=f"{P}-territory-figure"))
    else:
        t = r["territory"]
        rows.append(html.Div([f"Avant : {fmt.value(t['before'], ind)} → après : {fmt.value(t['after'], ind)} ",
                              html.Span(f"({fmt.change(t['before'], t['after'], ind)})", className="text-muted")],
                             className="fs-6 fw-bold", id=f"{P}-territory-figure"))
        below = r["population_below_threshold"]
        if below["threshold"] is not None:
            rows.append(html.Div(
                f"Habitants des communes sous {fmt.threshold_value(ind.thresholds[0])} ({ind.thresholds[0].label}) : "
                f"{fmt.integer(below['before'])} → {fmt.integer(below['after'])}", className="small", id=f"{P}-below"))
        if r["lost_supply"]:
            rows.append(html.Div("Une partie de l'offre ajoutée ne sert personne : aucune population à portée.",
                                 className="small text-warning"))
        top = r["communes"][:12]
        rows.append(html.Table([html.Thead(html.Tr([html.Th("Commune"), html.Th("Avant"), html.Th("Après")])),
                                html.Tbody([html.Tr([html.Td(c["nom"]), html.Td(fmt.value(c["before"], ind)),
                                                     html.Td(fmt.value(c["after"], ind))]) for c in top])],
                               className="table table-sm small mt-2", id=f"{P}-communes"))
        rest = len(r["communes"]) - len(top)
        rows.append(html.Div(f"{fmt.plural(len(r['communes']), 'commune')} dont l'accessibilité change"
                             + (f" (les {len(top)} plus touchées ci-dessus)" if rest > 0 else "") + ".",
                             className="small text-muted"))
    rows.append(html.Div(f"Méthode : {ind.description}", className="small text-muted mt-2"))
    return html.Div(rows, className="simulation-results")


def _selected(atlas, state: ScenarioState, sv) -> html.Div | None:
    if not state.commune or state.commune not in atlas.communes:
        return html.Div("Aucune commune choisie : cliquez sur la carte.", className="small text-muted")
    ind = indicator(access_id(state.profession))
    i = sv.before.codes.index(state.commune) if state.commune in sv.before.codes else None
    now = f" · aujourd'hui {fmt.value(sv.before.values[i], ind, unit=True)}" if i is not None else ""
    after = ""
    if i is not None and sv.report and sv.after.values[i] != sv.before.values[i]:
        after = f", après : {fmt.value(sv.after.values[i], ind)}"
    return html.Div([html.Strong(f"{atlas.communes.name(state.commune)} ({state.commune})"),
                     html.Span(now + after, className="small")], className="small", id=f"{P}-selected-commune")


@callback(Output(MAP["geometry"], "data"), Output(MAP["paint"], "data"), Output(MAP["selected"], "data"),
          Output(f"{P}-legend", "children"), Output(f"{P}-title", "children"), Output(f"{P}-results", "children"),
          Output(f"{P}-changes", "children"), Output(f"{P}-selected", "children"),
          Output(export_context_id(P), "data"),
          Input(f"{P}-state", "data"), State(MAP["geometry"], "data"))
def _draw(state_dict, shown):
    atlas = current()
    state = ScenarioState.from_dict(state_dict)
    try:
        territory = atlas.territory(state.territory)
    except AtlasError:
        raise PreventUpdate
    if state.profession not in atlas.access.available:
        msg = html.Div("Accessibilité indisponible pour cette profession dans cette base.",
                       className="alert alert-secondary small")
        return no_update, no_update, None, None, None, msg, None, None, {}
    area_id, codes = view_area(atlas, territory, state.extent)
    spec = cmap.geometry_spec(atlas, area_id, codes, outline=list(territory.codes) or None)
    drawn = cmap.drawn_codes(atlas, spec)
    try:
        sv = scenario_view(atlas, territory, drawn, state.profession, changes_of(state))
    except AtlasError as exc:      # e.g. more professionals removed than the commune has
        state = state.with_(changes=state.changes[:-1])
        sv = scenario_view(atlas, territory, drawn, state.profession, changes_of(state))
        warning = dbc.Alert(str(exc), color="warning", className="small py-1")
    else:
        warning = None
    layer = sv.layer(state.view)
    same = isinstance(shown, dict) and shown.get("key") == spec["key"] and shown.get("outline") == spec["outline"]
    title = [html.H2([layer.legend["title"], " – ", territory.name], className="h5 mb-0", id=f"{P}-title-text"),
             html.Div(f"{fmt.plural(len(drawn), 'commune')} · {SCENARIO_VIEWS[state.view].lower()}",
                      className="small text-muted")]
    return (no_update if same else spec, cmap.paint(atlas, spec, layer, key=state.search()), state.commune,
            legend(layer.legend), title, _results(atlas, state, territory, sv),
            [warning, _change_list(atlas, state, sv.report)], _selected(atlas, state, sv),
            {"territory": territory.id, "scenario": state.search()})


clientside_callback(
    "function(url) { return window.atlasHistory.apply(url, 'simulation-popstate'); }",
    Output(f"{P}-url-applied", "data"), Input(f"{P}-url", "data"), prevent_initial_call=False)
