"""Import of a CPAM commune indicator table (the ETL's import format), validated like the command line,
and the list of imports with what each covers, each removable (after a confirmation).

The upload limit applies to the file (stated on the page, checked in the browser before sending,
checked again here after decoding: ``dashboard/uploads.py``). The upload is written to a temporary
file the server names (private directory, deleted right after), validated and stored by
:func:`atlas.userdata.imports.import_indicator_table` into the user data directory. The file name
given by the user is only a label. The read model sees a new import at the next request; each
territory then shows the latest year *it* has data for.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path, PurePath

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from atlas import fmt
from atlas.read import current
from atlas.userdata.imports import COLUMNS, delete_import, import_indicator_table, importable_indicators
from dashboard.components.write_access import write_access
from dashboard.security import write_refusal
from dashboard.uploads import UploadRefused, decode_upload, limit_text, max_upload_bytes
from dashboard.validation import any_clicks, text

dash.register_page(__name__, path="/import", name="Import", order=4, title="Import d'indicateurs CPAM")

ALLOWED_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx")


def _coverage(atlas, meta: dict) -> str:
    """Which CPTS the import's communes cover (names), or its number of communes."""
    n = int(meta.get("communes") or 0)
    return fmt.plural(n, "commune")


def _imports_table(confirm_slug: str | None = None):
    atlas = current()
    items = atlas.imports()
    if not items:
        return html.P("Aucun tableau importé pour l'instant.", className="text-muted small", id="import-none")
    rows = []
    for m in items:
        slug = m.get("slug")
        if slug == confirm_slug:
            action = html.Div([
                html.Span("Supprimer ce tableau ? ", className="small fw-semibold"),
                dbc.Button("Confirmer", id={"type": "import-delete-confirm", "slug": slug}, color="danger",
                           size="sm", className="me-1", n_clicks=0),
                dbc.Button("Annuler", id={"type": "import-delete-cancel", "slug": slug}, color="secondary",
                           outline=True, size="sm", n_clicks=0)])
        else:
            action = dbc.Button("Supprimer", id={"type": "import-delete", "slug": slug}, color="secondary",
                                outline=True, size="sm", n_clicks=0)
        rows.append(html.Tr([
            html.Td(m.get("original_name") or m.get("file")), html.Td(m.get("source_label") or fmt.UNAVAILABLE),
            html.Td(", ".join(m.get("indicators", []))), html.Td(", ".join(map(str, m.get("years", [])))),
            html.Td(_coverage(atlas, m)), html.Td(fmt.date(str(m.get("imported_at", ""))[:10])),
            html.Td("oui" if m.get("synthetic") else "non"), html.Td(action)], **{"data-slug": slug}))
    head = ("Fichier", "Source", "Indicateurs", "Années", "Couverture", "Importé le", "Fictif", "")
    return html.Div(html.Table([html.Thead(html.Tr([html.Th(h) for h in head])), html.Tbody(rows)],
                               className="table table-sm table-striped small", id="import-list"),
                    className="table-responsive")


def layout(**_query):
    limit = max_upload_bytes()
    fmt_rows = [html.Tr([html.Td(html.Code(aliases[0])), html.Td(", ".join(aliases[1:]))])
                for aliases in COLUMNS.values()]
    return html.Div([
        html.H1("Importer un tableau d'indicateurs CPAM", className="h3"),
        html.P("Les parts de patients sans médecin traitant, les taux de dépistage et de vaccination par commune ne "
               "sont pas des données ouvertes : la CPAM les remet à chaque CPTS. Importez ici le tableau reçu ; il "
               "est vérifié ligne par ligne (mêmes règles que « python -m etl import-indicators ») et, s'il est "
               "accepté, ses valeurs apparaissent aussitôt sur les cartes et les portraits des territoires qu'il "
               "couvre, avec leur provenance. Chaque territoire affiche la dernière année pour laquelle il a des "
               "données.", className="small"),
        html.Details([html.Summary("Format attendu"),
                      html.P(f"CSV (« ; », « , » ou tabulation, UTF-8) ou XLSX ; une ligne par commune × indicateur "
                             f"× année. Indicateurs importables : {', '.join(importable_indicators())}.",
                             className="small"),
                      html.Table([html.Thead(html.Tr([html.Th("Colonne"), html.Th("Noms acceptés aussi")])),
                                  html.Tbody(fmt_rows)], className="table table-sm small w-auto")]),
        write_access("import"),
        html.Div(dcc.Upload(id="import-upload", multiple=False, accept=",".join(ALLOWED_SUFFIXES),
                            className="atlas-upload-zone",
                            children=html.Div(["Glisser le tableau ici ou ", html.A("choisir un fichier"),
                                               html.Span(f" (taille maximale : {limit_text(limit)})",
                                                         className="text-muted")])),
                 className="atlas-upload my-3", **{"data-max-bytes": str(limit), "data-max-label": limit_text(limit)}),
        html.Div(className="alert alert-danger atlas-upload-error small", hidden=True, role="alert",
                 id="import-too-big"),
        dcc.Loading(html.Div(id="import-report")),
        html.H2("Tableaux importés", className="h5 mt-4"),
        dcc.Store(id="import-confirm"),
        html.Div(_imports_table(), id="import-list-container"),
    ], id="import-page")


def _report_view(report) -> html.Div:
    if report.ok:
        return dbc.Alert([html.Strong("Fichier accepté. "), report.text(), html.Br(),
                          "Provenance : ", html.Em(report.source_label or fmt.UNAVAILABLE),
                          f" (source {report.source_id}, empreinte {report.sha256[:12]}). ",
                          html.A("Voir sur la carte", href=f"/?indicateur={report.indicators[0]}")
                          if report.indicators else None],
                         color="success", id="import-ok")
    rows = [html.Tr([html.Td(p.line if p.line is not None else "–"), html.Td(p.column or "–"),
                     html.Td("" if p.value is None else str(p.value)[:200]), html.Td(p.problem)])
            for p in report.problems]
    return html.Div([
        dbc.Alert([html.Strong("Fichier refusé : rien n'a été importé. "),
                   f"{fmt.plural(report.problem_count, 'problème')} dans « {report.file} » ; corrigez-les puis "
                   "importez à nouveau."], color="danger", id="import-rejected"),
        html.Table([html.Thead(html.Tr([html.Th("Ligne"), html.Th("Colonne"), html.Th("Valeur"), html.Th("Problème")])),
                    html.Tbody(rows)], className="table table-sm table-bordered small", id="import-problems"),
    ])


def run_upload(contents: str, filename: str | None):
    """Decode, check size, validate and store an upload. Returns an ImportReport or an error message."""
    try:
        data, name = decode_upload(contents, filename, ALLOWED_SUFFIXES)
    except UploadRefused as exc:
        return str(exc)
    suffix = PurePath(name).suffix.lower()
    atlas = current()
    with tempfile.TemporaryDirectory(prefix="atlas-upload-") as tmp:
        os.chmod(tmp, 0o700)
        path = Path(tmp) / f"upload{suffix}"  # name chosen by the server
        path.write_bytes(data)
        return import_indicator_table(path, atlas.valid_codes, original_name=name)


@callback(Output("import-report", "children"), Output("import-list-container", "children"),
          Input("import-upload", "contents"), State("import-upload", "filename"), prevent_initial_call=True)
def _upload(contents, filename):
    if not contents:
        return no_update, no_update
    refused = write_refusal()           # a shared server without the write code: nothing decoded or stored
    if refused:
        return dbc.Alert(refused, color="danger", id="import-refused"), no_update
    result = run_upload(contents, filename)
    if isinstance(result, str):
        return dbc.Alert(result, color="danger", id="import-rejected"), no_update
    return _report_view(result), _imports_table()


@callback(Output("import-list-container", "children", allow_duplicate=True), Output("import-report", "children",
                                                                                     allow_duplicate=True),
          Input({"type": "import-delete", "slug": ALL}, "n_clicks"),
          Input({"type": "import-delete-confirm", "slug": ALL}, "n_clicks"),
          Input({"type": "import-delete-cancel", "slug": ALL}, "n_clicks"), prevent_initial_call=True)
def _delete(ask, confirm, cancel):
    """Remove an import in two steps: "Supprimer" asks, "Confirmer" removes (nothing before)."""
    trig = ctx.triggered_id
    if not isinstance(trig, dict) or not any(any_clicks(group) for group in (ask, confirm, cancel)):
        raise PreventUpdate
    slug = text(trig.get("slug")) or ""
    known = {m.get("slug") for m in current().imports()}
    if slug not in known:
        return _imports_table(), dbc.Alert("Ce tableau n'existe plus.", color="warning")
    if trig["type"] == "import-delete":
        return _imports_table(confirm_slug=slug), no_update
    if trig["type"] == "import-delete-cancel":
        return _imports_table(), no_update
    refused = write_refusal()
    if refused:
        return _imports_table(), dbc.Alert(refused, color="danger", id="import-refused")
    delete_import(slug)
    return _imports_table(), dbc.Alert(f"Tableau « {slug} » supprimé : ses valeurs ne sont plus affichées.",
                                       color="info", id="import-deleted")
