"""Territory editor: start from a CPTS, an EPCI or nothing; click communes to add/remove them; import a
list of codes; see the running count and population; name, save, export and re-import.

Saved territories are YAML files in the user data directory (``etl.user_territories``: validated,
atomic write under a file lock), so they survive restarts and appear in every territory selector.
A file with unknown or duplicated codes is refused whole, each problem reported by code and line.
"""
from __future__ import annotations

from pathlib import PurePath

import dash
import dash_bootstrap_components as dbc
import dash_leaflet as dl
import yaml
from dash import Input, Output, State, callback, ctx, dcc, html, no_update

from atlas import fmt
from atlas.errors import AtlasError, InputError
from atlas.read import current
from atlas.userdata.territories import ID_PATTERN, UserTerritory, save_user_territory, slugify
from dashboard.components.dropdown import dropdown
from dashboard.components.commune_map import clicked_code, leaflet_bounds
from dashboard.components.territory_picker import base_options
from dashboard.exports.territory_file import parse_uploaded_territory
from dashboard.uploads import UploadRefused, decode_upload, limit_text, max_upload_bytes

dash.register_page(__name__, path="/editeur", name="Éditeur", order=2, title="Éditeur de territoire")

# The map is Leaflet like the explorer's (dashboard/maps/leaflet_map.py): the communes of the chosen
# départements are sent once; a click or an import sends only the selection (``hideout``), coloured
# in the browser by assets/editor_map.js.


_EMPTY = {"type": "FeatureCollection", "features": []}
UPLOAD_SUFFIXES = (".csv", ".txt", ".yaml", ".yml")


def _dep_options(atlas):
    d = atlas.communes.departements
    return [{"label": f"{r.code} - {r.nom}", "value": r.code} for r in d.itertuples(index=False)]


def _epci_options(atlas):
    return [{"label": f"{t.name} ({t.id.removeprefix('epci-')})", "value": t.id.removeprefix("epci-")}
            for t in sorted(atlas.territories("epci"), key=lambda t: t.name)]


def _territory_options(atlas):
    return base_options(atlas)


def _departements_of(atlas, codes) -> list[str]:
    tbl = atlas.communes.table
    return sorted({str(tbl.at[c, "departement"]) for c in codes if c in atlas.communes})


def layout(territoire: str | None = None, departement: str | None = None, **_query):
    atlas = current()
    codes, area, name = [], [], ""
    if territoire:
        try:
            t = atlas.territory(territoire)
            codes = list(t.codes)
            name = t.name if t.kind == "user" else f"{t.name} (corrigé)"
        except AtlasError:
            codes = []
    if departement:
        area = [d for d in departement.split(",") if d in atlas.communes.departements.index]
    area = sorted(set(area) | set(_departements_of(atlas, codes)))
    return html.Div([
        html.H1("Éditeur de territoire", className="h3"),
        html.P("Partez d'une CPTS, d'un EPCI ou d'un territoire vide ; cliquez sur les communes de la carte pour "
               "les ajouter ou les retirer ; importez une liste de codes ; nommez et enregistrez.",
               className="text-muted small"),
        dbc.Row([
            dbc.Col([
                dbc.Label("Partir d'un territoire (CPTS ou enregistré)", html_for="editor-start-territory"),
                dbc.InputGroup([dbc.Select(id="editor-start-territory", options=_territory_options(atlas), size="sm"),
                                dbc.Button("Charger", id="editor-load-territory", size="sm", n_clicks=0)],
                               size="sm", className="mb-2"),
                dbc.Label("… ou d'un EPCI", html_for="editor-start-epci"),
                dbc.InputGroup([dropdown(id="editor-start-epci", options=_epci_options(atlas),
                                             placeholder="Rechercher un EPCI…", style={"flex": "1 1 auto",
                                                                                        "minWidth": "12rem"}),
                                dbc.Button("Charger", id="editor-load-epci", size="sm", n_clicks=0)],
                               size="sm", className="mb-2 flex-nowrap"),
                html.Div(dbc.Button("Territoire vide", id="editor-empty", color="secondary", outline=True,
                                    size="sm", n_clicks=0), className="mb-3"),
                dbc.Label("Départements affichés sur la carte", html_for="editor-departements"),
                dropdown(id="editor-departements", options=_dep_options(atlas), value=area, multi=True,
                             placeholder="Choisir un ou plusieurs départements", className="mb-3"),
                html.Div(id="editor-count", className="fs-5 fw-bold mb-2", **{"aria-live": "polite"}),
                html.Hr(),
                dbc.Label("Importer une liste de codes (CSV : un code par ligne ou colonne « code ») "
                          "ou un fichier de territoire (YAML)"),
                html.Div(dcc.Upload(id="editor-upload", children=html.Div([
                    "Glisser un fichier ici ou ", html.A("choisir un fichier"),
                    html.Span(f" (taille maximale : {limit_text()})", className="text-muted")]),
                    className="atlas-upload-zone", multiple=False, accept=".csv,.txt,.yaml,.yml,text/csv,text/plain"),
                    className="atlas-upload mb-2",
                    **{"data-max-bytes": str(max_upload_bytes()), "data-max-label": limit_text()}),
                html.Div(className="alert alert-danger atlas-upload-error small", hidden=True, role="alert"),
                html.Div(id="editor-upload-report"),
                html.Hr(),
                dbc.Label("Nom du territoire", html_for="editor-name"),
                dbc.Input(id="editor-name", value=name, placeholder="ex. CPTS du Val (version corrigée)",
                          maxLength=120, size="sm", className="mb-2"),
                dbc.Button("Enregistrer", id="editor-save", color="primary", size="sm", n_clicks=0, className="me-2"),
                dbc.Button("Exporter (YAML)", id="editor-export-yaml", color="secondary", outline=True, size="sm",
                           n_clicks=0, className="me-1"),
                dbc.Button("Exporter (CSV)", id="editor-export-csv", color="secondary", outline=True, size="sm",
                           n_clicks=0),
                dcc.Download(id="editor-download"),
                html.Div(id="editor-save-result", className="mt-2"),
            ], md=4),
            dbc.Col([
                html.Div(id="editor-map-hint", className="text-muted small mb-1"),
                dl.Map(id="editor-map", bounds=leaflet_bounds(None), zoomSnap=0.25, zoomDelta=0.5,
                       attributionControl=False, trackViewport=False, className="atlas-leaflet-map",
                       style={"height": "72vh", "width": "100%", "background": "#ffffff"},
                       children=[dl.Pane(dl.GeoJSON(id="editor-communes", data=_EMPTY, hideout={"sel": {}},
                                                    style={"variable": "atlasEditor.style"},
                                                    hoverStyle={"variable": "atlasEditor.hoverStyle"},
                                                    onEachFeature={"variable": "atlasEditor.bindTooltip"}),
                                         name="atlas-editor", style={"zIndex": 400})]),
                html.Details([html.Summary("Communes sélectionnées"),
                              html.Div(id="editor-list", className="small atlas-editor-list")]),
            ], md=8),
        ]),
        dcc.Store(id="editor-codes", data=codes),
        dcc.Store(id="editor-shown-area", data=None),
    ], id="editor-page")


def _problem_list(exc: InputError) -> html.Div:
    lines = str(exc).splitlines()
    return dbc.Alert([html.Strong(lines[0]), html.Ul([html.Li(ln.strip()) for ln in lines[1:] if ln.strip()])],
                     color="danger", className="small", id="editor-upload-error")


@callback(Output("editor-codes", "data"), Output("editor-upload-report", "children"),
          Output("editor-departements", "value"), Output("editor-name", "value"),
          Input("editor-load-territory", "n_clicks"), Input("editor-load-epci", "n_clicks"),
          Input("editor-empty", "n_clicks"), Input("editor-communes", "n_clicks"), Input("editor-upload", "contents"),
          State("editor-communes", "clickData"), State("editor-start-territory", "value"),
          State("editor-start-epci", "value"), State("editor-upload", "filename"), State("editor-codes", "data"),
          State("editor-departements", "value"),
          prevent_initial_call=True)
def _edit(_t, _e, _empty, _clicks, contents, click, start_tid, start_epci, filename, codes, area):
    # the map's n_clicks is the trigger: clicking the same commune twice (add, then remove) leaves
    # clickData unchanged
    atlas = current()
    trig = ctx.triggered_id
    codes = [c for c in (codes or []) if isinstance(c, str)]
    area = [d for d in (area or []) if isinstance(d, str)]
    name = no_update
    report = no_update

    def deps(cs):
        return sorted(set(area) | set(_departements_of(atlas, cs)))

    if trig in ("editor-load-territory", "editor-load-epci"):
        tid = start_tid if trig == "editor-load-territory" else (f"epci-{start_epci}" if start_epci else None)
        try:
            t = atlas.territory(str(tid or ""))
        except AtlasError:
            return no_update, dbc.Alert("Territoire inconnu : choisissez-en un dans la liste.", color="warning",
                                        className="small py-1"), no_update, no_update
        codes = list(t.codes)
        name = t.name if t.kind in ("user", "epci") else f"{t.name} (corrigé)"
        area = _departements_of(atlas, codes) or area
        report = dbc.Alert(f"Départ : {t.name} ({fmt.plural(len(codes), 'commune')}).", color="info",
                           className="small py-1")
    elif trig == "editor-empty":
        codes = []
        report = None
    elif trig == "editor-communes" and click:
        code = clicked_code(click)
        if code in atlas.communes:
            codes = [c for c in codes if c != code] if code in codes else sorted(codes + [code])
    elif trig == "editor-upload" and contents:
        try:
            data, filename = decode_upload(contents, filename, UPLOAD_SUFFIXES)
        except UploadRefused as exc:
            return no_update, dbc.Alert(str(exc), color="danger", className="small", id="editor-upload-error"), \
                no_update, no_update
        try:
            new, new_name = parse_uploaded_territory(filename, data, set(atlas.communes.position))
        except InputError as exc:
            return no_update, _problem_list(exc), no_update, no_update
        added = [c for c in new if c not in codes]
        codes = sorted(set(codes) | set(new))
        area = deps(codes)
        if new_name:
            name = new_name
        report = dbc.Alert(f"{PurePath(filename or '').name} : {len(new)} codes lus, {len(added)} commune(s) "
                           f"ajoutée(s).", color="success", className="small py-1", id="editor-upload-ok")
    else:
        return no_update, no_update, no_update, no_update
    return codes, report, area, name


def _area_geojson(atlas, area) -> tuple[dict, tuple | None]:
    """Communes of the départements ``area`` (code, name and population as properties), and their bounds."""
    codes = [c for d in area for c in atlas.territory(f"dep-{d}").codes]
    g = atlas.geometry.area(codes)
    tbl = atlas.communes.table
    data = {"type": "FeatureCollection", "features": [
        {**f, "properties": {**f["properties"], "pop": fmt.integer(tbl.at[f["id"], "population"])}}
        for f in g.geojson["features"]]}
    return (data if g.codes else _EMPTY), g.bounds


@callback(Output("editor-communes", "data"), Output("editor-communes", "hideout"), Output("editor-map", "viewport"),
          Output("editor-map-hint", "children"), Output("editor-shown-area", "data"), Output("editor-count", "children"),
          Output("editor-list", "children"),
          Input("editor-departements", "value"), Input("editor-codes", "data"), State("editor-shown-area", "data"))
def _render(area, codes, shown):
    atlas = current()
    area = sorted(d for d in (area or []) if isinstance(d, str) and d in atlas.communes.departements.index)
    codes = [c for c in (codes or []) if isinstance(c, str) and c in atlas.communes]
    pop = atlas.communes.population_of(codes)
    count = f"{fmt.plural(len(codes), 'commune')} · {fmt.plural(pop, 'habitant')}"
    listing = ", ".join(f"{atlas.communes.name(k)} ({k})" for k in codes) or "aucune"
    selection = {"sel": {k: 1 for k in codes}}
    if shown == area:
        # same communes already in the browser: only the selection goes
        return no_update, selection, no_update, no_update, no_update, count, listing
    data, bounds = _area_geojson(atlas, area)
    hint = ("Cliquez sur une commune pour l'ajouter au territoire ou l'en retirer." if area else
            "Choisissez un département, une CPTS ou un EPCI pour afficher les communes.")
    viewport = {"bounds": leaflet_bounds(bounds), "transition": "fitBounds", "options": {"animate": False}}
    return data, selection, viewport, hint, area, count, listing


@callback(Output("editor-save-result", "children"), Output("editor-start-territory", "options"),
          Input("editor-save", "n_clicks"), State("editor-name", "value"), State("editor-codes", "data"),
          prevent_initial_call=True)
def _save(_n, name, codes):
    atlas = current()
    name = " ".join((name or "").split())
    if not name:
        return dbc.Alert("Donnez un nom au territoire.", color="warning", className="small"), no_update
    if not codes:
        return dbc.Alert("Le territoire n'a aucune commune.", color="warning", className="small"), no_update
    tid = slugify(name)
    reserved = {t.id for t in atlas.territories() if t.kind != "user"}
    if tid in reserved:
        tid = f"{tid}-perso"[:63]
    if not ID_PATTERN.match(tid):
        return dbc.Alert(f"Nom inutilisable comme identifiant : {tid}", color="danger", className="small"), no_update
    try:
        save_user_territory(UserTerritory(tid, name, list(codes)), set(atlas.communes.position), reserved_ids=reserved)
    except InputError as exc:
        return _problem_list(exc), no_update
    except TimeoutError:
        return dbc.Alert("Enregistrement occupé, réessayez.", color="warning", className="small"), no_update
    return (dbc.Alert([f"Enregistré : « {name} » (identifiant {tid}, {len(codes)} communes). ",
                       html.A("Voir le portrait", href=f"/portrait?territoire={tid}"), " · ",
                       html.A("Voir la carte", href=f"/?territoire={tid}")],
                      color="success", className="small", id="editor-saved"),
            _territory_options(atlas))


@callback(Output("editor-download", "data"), Input("editor-export-yaml", "n_clicks"),
          Input("editor-export-csv", "n_clicks"), State("editor-name", "value"), State("editor-codes", "data"),
          prevent_initial_call=True)
def _export(_y, _c, name, codes):
    if not codes:
        return no_update
    name = " ".join((name or "").split()) or "territoire"
    tid = slugify(name)
    if ctx.triggered_id == "editor-export-yaml":
        text = yaml.safe_dump({"id": tid, "name": name, "note": "", "communes": list(codes)}, allow_unicode=True,
                              sort_keys=False)
        return dcc.send_bytes(text.encode("utf-8"), f"{tid}.yaml", type="application/x-yaml")
    atlas = current()
    lines = ["code,nom"] + [f"{c},\"{atlas.communes.name(c)}\"" for c in codes]
    return dcc.send_bytes(("\n".join(lines) + "\n").encode("utf-8"), f"{tid}.csv", type="text/csv")
