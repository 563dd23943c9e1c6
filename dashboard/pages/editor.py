"""Territory editor: start from any territory (a CPTS, an EPCI, a département, a saved one) or from
nothing; click communes on the map — or find them by name, keyboard first — to add or remove them;
add a CPTS's candidate communes in one click; import a list of codes; name, save (asked before
replacing a saved territory; the built-in territories' names are reserved), rename, delete, export.

Saved territories are YAML files in the user data directory (:mod:`atlas.userdata.territories`:
validated, atomic write under a file lock), read back by the read model on the next request.
The map is the canvas engine of the other pages: the communes of the chosen départements are sent
once; a click or an import sends only the colours (class 2 not selected, 3 selected, 4 candidate).
"""
from __future__ import annotations

import csv
import io
from pathlib import PurePath

import dash
import dash_bootstrap_components as dbc
import yaml
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from atlas import fmt
from atlas.errors import InputError
from atlas.read import current
from atlas.userdata.limits import MAX_TERRITORY_NAME_CHARS
from atlas.userdata.territories import (ID_PATTERN, TerritoryExists, UserTerritory, delete_user_territory,
                                        rename_user_territory, save_user_territory, slugify)
from dashboard import palette
from dashboard.components import commune_map as cmap
from dashboard.components.commune_search import commune_search, search_id
from dashboard.components.dropdown import dropdown
from dashboard.components.territory_picker import picker_id, territory_picker
from dashboard.components.write_access import write_access
from dashboard.exports.csv_export import neutralise
from dashboard.exports.territory_file import parse_uploaded_territory
from dashboard.security import write_refusal
from dashboard.uploads import UploadRefused, decode_upload, limit_text, max_upload_bytes
from dashboard.validation import MAX_PATTERN_ITEMS, any_clicks, clicks, query_text, strings, territory_or_none, text

dash.register_page(__name__, path="/editeur", name="Éditeur", order=2, title="Éditeur de territoire")

P = "editor"
MAP = cmap.map_ids(P)
UPLOAD_SUFFIXES = (".csv", ".txt", ".yaml", ".yml")
OTHER, SELECTED, CANDIDATE = 2, 3, 4           # class codes of the map (0/1: no data / secret, unused)
COLORS = [palette.NO_DATA, palette.SECRET, "#e8ecf2", palette.TERRITORY, "#f0a500"]
LABELS = ["hors du territoire", "dans le territoire", "commune candidate (non comptée)"]


def _departements_of(atlas, codes) -> list[str]:
    tbl = atlas.communes.table
    return sorted({str(tbl.at[c, "departement"]) for c in codes if c in atlas.communes})


def _dep_options(atlas):
    return [{"label": f"{r.code} - {r.nom}", "value": r.code} for r in atlas.communes.departements.itertuples(index=False)]


def _reserved(atlas) -> set[str]:
    return {t.id for t in atlas.territories() if t.kind != "user"}


def _saved_list(atlas, confirm: str | None = None, renaming: str | None = None):
    ts = atlas.territories("user")
    if not ts:
        return html.P("Aucun territoire enregistré.", className="small text-muted", id="editor-saved-none")
    rows = []
    for t in ts:
        if confirm == t.id:
            actions = [html.Span("Supprimer ? ", className="small fw-semibold"),
                       dbc.Button("Confirmer", id={"type": "editor-delete-yes", "id": t.id}, color="danger", size="sm",
                                  n_clicks=0, className="me-1"),
                       dbc.Button("Annuler", id={"type": "editor-delete-no", "id": t.id}, color="secondary",
                                  outline=True, size="sm", n_clicks=0)]
        elif renaming == t.id:
            actions = [dbc.Input(id={"type": "editor-rename-name", "id": t.id}, value=t.name, size="sm", maxLength=120,
                                 className="d-inline-block w-auto me-1"),
                       dbc.Button("Renommer", id={"type": "editor-rename-yes", "id": t.id}, size="sm", n_clicks=0)]
        else:
            actions = [dbc.Button("Ouvrir", id={"type": "editor-open", "id": t.id}, size="sm", color="secondary",
                                  outline=True, n_clicks=0, className="me-1"),
                       dbc.Button("Renommer", id={"type": "editor-rename", "id": t.id}, size="sm", color="secondary",
                                  outline=True, n_clicks=0, className="me-1"),
                       dbc.Button("Supprimer", id={"type": "editor-delete", "id": t.id}, size="sm", color="secondary",
                                  outline=True, n_clicks=0)]
        rows.append(html.Li([html.Span(f"{t.name} ({fmt.plural(len(t.codes), 'commune')}) ", className="me-2"),
                             *actions], className="mb-1", **{"data-id": t.id}))
    return html.Ul(rows, className="list-unstyled small", id="editor-saved-list")


def layout(territoire: str | None = None, departement: str | None = None, **_query):
    atlas = current()
    codes, candidates, area, name, start = [], [], [], "", None
    t = territory_or_none(atlas, query_text(territoire))
    if t is not None:
        codes, candidates, start = list(t.codes), list(t.candidates), t.id
        name = t.name if t.kind == "user" else f"{t.name} (corrigé)"
    departement = query_text(departement, 2_000)
    if departement:
        area = [d for d in departement.split(",") if d in atlas.communes.departements.index]
    area = sorted(set(area) | set(_departements_of(atlas, codes + candidates)))
    upload_zone = html.Div(dcc.Upload(id="editor-upload", children=html.Div([
        "Glisser un fichier ici ou ", html.A("choisir un fichier"),
        html.Span(f" (taille maximale : {limit_text()})", className="text-muted")]),
        className="atlas-upload-zone", multiple=False, accept=".csv,.txt,.yaml,.yml,text/csv,text/plain"),
        className="atlas-upload mb-2", **{"data-max-bytes": str(max_upload_bytes()), "data-max-label": limit_text()})
    return html.Div([
        html.H1("Éditeur de territoire", className="h3"),
        html.P("Partez d'une CPTS, d'un EPCI, d'un département ou d'un territoire vide ; cliquez sur les communes "
               "de la carte (ou cherchez-les par leur nom) pour les ajouter ou les retirer ; importez une liste de "
               "codes ; nommez et enregistrez.", className="text-muted small"),
        dbc.Row([
            dbc.Col([
                html.Div(cmap.commune_map(P, height="70vh", label="Carte de l'éditeur : cliquez pour ajouter ou "
                                                                  "retirer une commune"),
                         className="border rounded"),
                html.Div(id="editor-map-hint", className="text-muted small mt-1"),
                html.Details([html.Summary("Communes sélectionnées"),
                              html.Div(id="editor-list", className="small atlas-editor-list")]),
            ], lg=8, className="order-1 order-lg-2"),
            dbc.Col([
                territory_picker(atlas, start, P, label="Partir d'un territoire"),
                html.Div([dbc.Button("Charger", id="editor-load", size="sm", n_clicks=0, className="me-2"),
                          dbc.Button("Territoire vide", id="editor-empty", color="secondary", outline=True, size="sm",
                                     n_clicks=0)], className="mb-3"),
                commune_search(P, label="Ajouter ou retirer une commune"),
                html.Label("Départements affichés sur la carte", className="form-label fw-semibold mb-1"),
                dropdown(id="editor-departements", options=_dep_options(atlas), value=area, multi=True,
                         placeholder="Choisir un ou plusieurs départements", className="mb-3"),
                html.Div(id="editor-count", className="fs-5 fw-bold mb-2", **{"aria-live": "polite"}),
                html.Div([html.Div(id="editor-candidates"),
                          dbc.Button("Ajouter toutes les candidates", id="editor-add-all", size="sm", color="secondary",
                                     outline=True, n_clicks=0)],
                         id="editor-candidate-box", className="alert alert-warning py-2 px-2", hidden=True),
                html.Hr(),
                html.Label("Importer une liste de codes (CSV : un code par ligne ou colonne « code ») ou un fichier "
                           "de territoire (YAML)", className="form-label small"),
                upload_zone,
                html.Div(className="alert alert-danger atlas-upload-error small", hidden=True, role="alert"),
                html.Div(id="editor-upload-report"),
                html.Hr(),
                dbc.Label("Nom du territoire", html_for="editor-name"),
                dbc.Input(id="editor-name", value=name, placeholder="ex. CPTS du Val (version corrigée)",
                          maxLength=120, size="sm", className="mb-2"),
                write_access("editor"),
                dbc.Button("Enregistrer", id="editor-save", color="primary", size="sm", n_clicks=0, className="me-2"),
                dbc.Button("Exporter (YAML)", id="editor-export-yaml", color="secondary", outline=True, size="sm",
                           n_clicks=0, className="me-1"),
                dbc.Button("Exporter (CSV)", id="editor-export-csv", color="secondary", outline=True, size="sm",
                           n_clicks=0),
                dcc.Download(id="editor-download"),
                html.Div(id="editor-save-result", className="mt-2", **{"aria-live": "polite"}),
                html.Div([html.Span(id="editor-confirm-text"),
                          dbc.Button("Le remplacer", id="editor-overwrite", color="danger", size="sm", n_clicks=0,
                                     className="ms-1")],
                         id="editor-confirm-overwrite", className="alert alert-warning small", hidden=True),
                html.H2("Vos territoires enregistrés", className="h6 mt-3"),
                html.Div(_saved_list(atlas), id="editor-saved"),
            ], lg=4, className="order-2 order-lg-1"),
        ]),
        dcc.Store(id="editor-codes", data=codes),
        dcc.Store(id="editor-candidate-codes", data=candidates),
    ], id="editor-page")


def _problem_list(exc: InputError) -> html.Div:
    lines = str(exc).splitlines()
    return dbc.Alert([html.Strong(lines[0]), html.Ul([html.Li(ln.strip()) for ln in lines[1:] if ln.strip()])],
                     color="danger", className="small", id="editor-upload-error")


def _codes(atlas, values) -> list[str]:
    """The commune codes of a store (anything a request carried: not a list, or not codes, gives [])."""
    return [c for c in strings(values, max_chars=5) if c in atlas.communes]


def _area(atlas, values) -> list[str]:
    """The département codes of the dropdown (unknown ones dropped)."""
    return [d for d in strings(values, max_items=200, max_chars=3) if d in atlas.communes.departements.index]


@callback(Output("editor-codes", "data"), Output("editor-candidate-codes", "data"),
          Output("editor-upload-report", "children"), Output("editor-departements", "value"),
          Output("editor-name", "value"),
          Input("editor-load", "n_clicks"), Input("editor-empty", "n_clicks"), Input(MAP["click"], "data"),
          Input(search_id(P), "value"), Input("editor-upload", "contents"),
          Input({"type": "editor-add-candidate", "code": ALL}, "n_clicks"), Input("editor-add-all", "n_clicks"),
          Input({"type": "editor-open", "id": ALL}, "n_clicks"),
          State(picker_id(P), "value"), State("editor-upload", "filename"), State("editor-codes", "data"),
          State("editor-candidate-codes", "data"), State("editor-departements", "value"),
          prevent_initial_call=True)
def _edit(_load, _empty, click, searched, contents, _cand, _all, _open, start_tid, filename, codes, candidates, area):
    atlas = current()
    trig = ctx.triggered_id
    codes, candidates = _codes(atlas, codes), _codes(atlas, candidates)
    area = _area(atlas, area)
    name, report = no_update, no_update
    if trig in ("editor-load",) or (isinstance(trig, dict) and trig.get("type") == "editor-open"):
        tid = trig.get("id") if isinstance(trig, dict) else start_tid
        if isinstance(trig, dict) and not any_clicks(_open):
            raise PreventUpdate
        t = territory_or_none(atlas, tid)
        if t is None:
            return no_update, no_update, dbc.Alert("Territoire inconnu : choisissez-en un dans la liste.",
                                                   color="warning", className="small py-1"), no_update, no_update
        codes, candidates = list(t.codes), list(t.candidates)
        name = t.name if t.kind in ("user", "epci", "departement", "region") else f"{t.name} (corrigé)"
        area = _departements_of(atlas, codes + candidates) or area
        extra = f" ; {fmt.plural(len(candidates), 'commune candidate', 'communes candidates')} en orange" \
            if candidates else ""
        report = dbc.Alert(f"Départ : {t.name} ({fmt.plural(len(codes), 'commune')}){extra}.", color="info",
                           className="small py-1")
    elif trig == "editor-empty":
        codes, candidates, report = [], [], None
    elif trig in (MAP["click"], search_id(P)):
        code = cmap.clicked_code(click) if trig == MAP["click"] else text(searched, 5)
        if code is None or code not in atlas.communes:
            raise PreventUpdate
        codes = [c for c in codes if c != code] if code in codes else sorted(codes + [code])
        area = sorted(set(area) | set(_departements_of(atlas, [code])))
    elif isinstance(trig, dict) and trig.get("type") == "editor-add-candidate":
        if trig.get("code") in candidates and not trig.get("code") in codes:
            codes = sorted(codes + [trig["code"]])
    elif trig == "editor-add-all":
        codes = sorted(set(codes) | set(candidates))
    elif trig == "editor-upload" and contents:
        try:
            data, filename = decode_upload(contents, filename, UPLOAD_SUFFIXES)
            new, new_name = parse_uploaded_territory(filename, data, atlas.valid_codes)
        except UploadRefused as exc:
            return no_update, no_update, dbc.Alert(str(exc), color="danger", className="small",
                                                   id="editor-upload-error"), no_update, no_update
        except InputError as exc:
            return no_update, no_update, _problem_list(exc), no_update, no_update
        added = [c for c in new if c not in codes]
        codes = sorted(set(codes) | set(new))
        area = sorted(set(area) | set(_departements_of(atlas, codes)))
        if new_name:
            name = new_name
        report = dbc.Alert(f"{PurePath(filename or '').name} : {fmt.plural(len(new), 'code')} lu(s), "
                           f"{fmt.plural(len(added), 'commune ajoutée', 'communes ajoutées')}.", color="success",
                           className="small py-1", id="editor-upload-ok")
    else:
        raise PreventUpdate
    return codes, candidates, report, area, name


@callback(Output(MAP["geometry"], "data"), Output(MAP["paint"], "data"), Output("editor-map-hint", "children"),
          Output("editor-count", "children"), Output("editor-list", "children"), Output("editor-candidates", "children"),
          Output("editor-candidate-box", "hidden"),
          Input("editor-departements", "value"), Input("editor-codes", "data"), Input("editor-candidate-codes", "data"),
          State(MAP["geometry"], "data"))
def _render(area, codes, candidates, shown):
    atlas = current()
    area = sorted(set(_area(atlas, area)))
    codes = _codes(atlas, codes)
    candidates = [c for c in _codes(atlas, candidates) if c not in set(codes)]
    pop = atlas.communes.population_of(codes)
    count = f"{fmt.plural(len(codes), 'commune')} · {fmt.plural(pop, 'habitant')}"
    listing = ", ".join(f"{atlas.communes.name(k)} ({k})" for k in codes) or "aucune"
    cand_box = [
        html.Div(f"{fmt.plural(len(candidates), 'commune candidate', 'communes candidates')} (en orange sur la "
                 "carte) : comptées seulement si vous les ajoutez.", className="small fw-semibold"),
        html.Ul([html.Li([f"{atlas.communes.name(c)} ({c}) ",
                          dbc.Button("Ajouter", id={"type": "editor-add-candidate", "code": c}, size="sm",
                                     color="link", className="p-0", n_clicks=0)]) for c in candidates],
                className="small mb-1")] if candidates else None
    if not area:
        return (None, None, "Choisissez un département, une CPTS ou un EPCI pour afficher les communes.", count,
                listing, cand_box, not candidates)
    drawn_all = [c for d in area for c in atlas.territory(f"dep-{d}").codes]
    spec = cmap.geometry_spec(atlas, atlas.geometry.area_file(atlas.geometry.drawable(drawn_all)), drawn_all,
                              outline=codes or None)
    drawn = cmap.drawn_codes(atlas, spec)
    sel, cand = set(codes), set(candidates)
    classes = [SELECTED if c in sel else CANDIDATE if c in cand else OTHER for c in drawn]
    pops = atlas.communes.population[atlas.communes.positions(drawn)]
    from atlas.catalog import indicator
    from dashboard.components import atlas_map as am
    paint = am.paint_payload(drawn, drawn, pops, classes, COLORS, value_format=am.indicator_format(indicator("population")),
                             labels=LABELS, title="Population", key=f"{len(codes)}-{hash(tuple(codes))}")
    same = isinstance(shown, dict) and shown.get("key") == spec["key"] and shown.get("outline") == spec["outline"]
    hint = "Cliquez sur une commune pour l'ajouter au territoire ou l'en retirer (clavier : champ de recherche)."
    return (no_update if same else spec), paint, hint, count, listing, cand_box, not candidates


@callback(Output("editor-save-result", "children"), Output("editor-saved", "children"),
          Output("editor-confirm-overwrite", "hidden"), Output("editor-confirm-text", "children"),
          Input("editor-save", "n_clicks"), Input("editor-overwrite", "n_clicks"),
          State("editor-name", "value"), State("editor-codes", "data"), prevent_initial_call=True)
def _save(_n, _overwrite, name, codes):
    overwrite = ctx.triggered_id == "editor-overwrite"
    if not clicks(_overwrite if overwrite else _n):
        raise PreventUpdate
    result, saved, ask = _save_result(name, codes, overwrite=overwrite)
    if ask:
        return None, no_update, False, ask
    return result, saved, True, None


def _save_result(name, codes, *, overwrite: bool):
    """(message, saved list, question to ask before replacing or None)."""
    atlas = current()
    name = " ".join(name.split()) if isinstance(name, str) else ""
    if not name:
        return dbc.Alert("Donnez un nom au territoire.", color="warning", className="small"), no_update, None
    refused = write_refusal()           # a shared server without the write code: nothing written
    if refused:
        return dbc.Alert(refused, color="danger", className="small", id="editor-refused"), no_update, None
    if len(name) > MAX_TERRITORY_NAME_CHARS:        # the field says so too (maxLength): never cut silently
        return dbc.Alert(f"Nom trop long ({fmt.integer(len(name))} caractères, limite "
                         f"{MAX_TERRITORY_NAME_CHARS}) : rien n'a été enregistré.", color="warning",
                         className="small"), no_update, None
    codes = _codes(atlas, codes)
    if not codes:
        return dbc.Alert("Le territoire n'a aucune commune.", color="warning", className="small"), no_update, None
    tid = slugify(name)
    reserved = _reserved(atlas)
    if tid in reserved or slugify(name) in {slugify(t.name) for t in atlas.territories() if t.kind != "user"}:
        return dbc.Alert(f"« {name} » est le nom d'un territoire de l'atlas ({tid}) : choisissez un autre nom, par "
                         "exemple en ajoutant « (corrigé) ».", color="warning", className="small",
                         id="editor-reserved"), no_update, None
    if not ID_PATTERN.match(tid):
        return dbc.Alert(f"Nom inutilisable comme identifiant : {tid}", color="danger", className="small"), no_update, None
    try:
        save_user_territory(UserTerritory(tid, name, codes), atlas.valid_codes, reserved_ids=reserved,
                            overwrite=overwrite)
    except TerritoryExists:
        return None, no_update, f"Un territoire enregistré s'appelle déjà « {name} » : le remplacer ?"
    except InputError as exc:
        return _problem_list(exc), no_update, None
    except TimeoutError:
        return dbc.Alert("Enregistrement occupé, réessayez.", color="warning", className="small"), no_update, None
    return (dbc.Alert([f"Enregistré : « {name} » (identifiant {tid}, {fmt.plural(len(codes), 'commune')}). ",
                       html.A("Voir le portrait", href=f"/portrait?territoire={tid}"), " · ",
                       html.A("Voir la carte", href=f"/?territoire={tid}")],
                      color="success", className="small", id="editor-saved-ok"),
            _saved_list(current()), None)


@callback(Output("editor-saved", "children", allow_duplicate=True),
          Output("editor-save-result", "children", allow_duplicate=True),
          Input({"type": "editor-delete", "id": ALL}, "n_clicks"), Input({"type": "editor-delete-yes", "id": ALL}, "n_clicks"),
          Input({"type": "editor-delete-no", "id": ALL}, "n_clicks"), Input({"type": "editor-rename", "id": ALL}, "n_clicks"),
          Input({"type": "editor-rename-yes", "id": ALL}, "n_clicks"),
          State({"type": "editor-rename-name", "id": ALL}, "value"), prevent_initial_call=True)
def _manage(d, dy, dn, r, ry, new_names):
    """Delete (asked, then confirmed) and rename the saved territories."""
    trig = ctx.triggered_id
    if not isinstance(trig, dict) or not any(any_clicks(group) for group in (d, dy, dn, r, ry)):
        raise PreventUpdate
    atlas = current()
    tid = text(trig.get("id")) or ""
    if tid not in {t.id for t in atlas.territories("user")}:
        return _saved_list(atlas), dbc.Alert("Ce territoire n'existe plus.", color="warning", className="small")
    kind = trig["type"]
    if kind == "editor-delete":
        return _saved_list(atlas, confirm=tid), no_update
    if kind == "editor-delete-no":
        return _saved_list(atlas), no_update
    if kind == "editor-rename":
        return _saved_list(atlas, renaming=tid), no_update
    refused = write_refusal()           # confirmed delete or rename on a shared server without the write code
    if refused:
        return _saved_list(atlas), dbc.Alert(refused, color="danger", className="small", id="editor-refused")
    if kind == "editor-delete-yes":
        delete_user_territory(tid)
        return _saved_list(current()), dbc.Alert(f"Territoire « {tid} » supprimé.", color="info", className="small",
                                                 id="editor-deleted")
    new_name = next((v for v in strings(new_names, max_items=MAX_PATTERN_ITEMS, max_chars=10 * MAX_TERRITORY_NAME_CHARS)
                     if v.strip()), "")
    if slugify(new_name) in _reserved(atlas):
        return _saved_list(atlas, renaming=tid), dbc.Alert("Nom réservé à un territoire de l'atlas.", color="warning",
                                                           className="small")
    try:
        new = rename_user_territory(tid, new_name, atlas.valid_codes, reserved_ids=_reserved(atlas))
    except InputError as exc:
        return _saved_list(atlas, renaming=tid), dbc.Alert(str(exc), color="warning", className="small")
    return _saved_list(current()), dbc.Alert(f"Renommé : « {new.name} » ({new.id}).", color="success",
                                             className="small", id="editor-renamed")


@callback(Output("editor-download", "data"), Input("editor-export-yaml", "n_clicks"),
          Input("editor-export-csv", "n_clicks"), State("editor-name", "value"), State("editor-codes", "data"),
          prevent_initial_call=True)
def _export(_y, _c, name, codes):
    atlas = current()
    codes = _codes(atlas, codes)
    if not codes:
        return no_update
    name = " ".join(name.split())[:MAX_TERRITORY_NAME_CHARS] if isinstance(name, str) else ""
    name = name or "territoire"
    tid = slugify(name) or "territoire"
    if ctx.triggered_id == "editor-export-yaml":
        text = yaml.safe_dump({"id": tid, "name": name, "note": "", "communes": list(codes)}, allow_unicode=True,
                              sort_keys=False)
        return dcc.send_bytes(text.encode("utf-8"), f"{tid}.yaml", type="application/x-yaml")
    out = io.StringIO()
    w = csv.writer(out, delimiter=";", lineterminator="\n")
    w.writerow(["code", "nom"])
    w.writerows([neutralise(c), neutralise(atlas.communes.name(c))] for c in codes)
    return dcc.send_bytes(out.getvalue().encode("utf-8-sig"), f"{tid}.csv", type="text/csv")
