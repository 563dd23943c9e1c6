"""Import of a CPAM commune indicator table (the ETL's import format), validated like the command line.

The upload is decoded in memory, checked against the size limit, written to a temporary file that
the server names (in a private temporary directory, deleted right after), validated and stored by
:func:`etl.imports.import_indicator_table` into the user data directory. The file name given by the
user is only used, slugified, as a label: no path from the request is ever used. The Store sees
new imports at the next request: the maps show the new values without a restart.
"""
from __future__ import annotations

import base64
import binascii
import os
import tempfile
from pathlib import Path, PurePath

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update
from flask import current_app

from atlas.read import current
from atlas.userdata.imports import COLUMNS, import_indicator_table, importable_indicators

dash.register_page(__name__, path="/import", name="Import", order=3, title="Import d'indicateurs CPAM")

ALLOWED_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx")


def _max_upload() -> int:
    settings = current_app.config.get("ATLAS_SETTINGS")
    return getattr(settings, "max_upload_bytes", 5 * 1024 * 1024)


def _imports_table():
    items = current().imports()
    if not items:
        return html.P("Aucun tableau importé pour l'instant.", className="text-muted small")
    rows = [html.Tr([html.Td(m.get("original_name") or m.get("file")), html.Td(m.get("source_label") or "—"),
                     html.Td(", ".join(m.get("indicators", []))), html.Td(", ".join(map(str, m.get("years", [])))),
                     html.Td(m.get("communes", "—")), html.Td(str(m.get("imported_at", ""))[:19].replace("T", " ")),
                     html.Td("oui" if m.get("synthetic") else "non"), html.Td((m.get("sha256") or "")[:12])])
            for m in items]
    return html.Table([html.Thead(html.Tr([html.Th(h) for h in ("Fichier", "Source", "Indicateurs", "Années",
                                                                  "Communes", "Importé le (UTC)", "Fictif",
                                                                  "SHA-256")])),
                       html.Tbody(rows)], className="table table-sm table-striped small", id="import-list")


def layout(**_query):
    limit = _max_upload()
    fmt_rows = [html.Tr([html.Td(html.Code(aliases[0])), html.Td(", ".join(aliases[1:]))])
                for aliases in COLUMNS.values()]
    return html.Div([
        html.H1("Importer un tableau d'indicateurs CPAM", className="h3"),
        html.P("Les parts de patients sans médecin traitant, les taux de dépistage et de vaccination par commune ne "
               "sont pas des données ouvertes : la CPAM les remet à chaque CPTS. Importez ici le tableau reçu ; il "
               "est vérifié ligne par ligne (mêmes règles que « python -m etl import-indicators ») et, s'il est "
               "accepté, ses valeurs apparaissent aussitôt sur les cartes et les portraits, avec leur provenance.",
               className="small"),
        html.Details([html.Summary("Format attendu"),
                      html.P(f"CSV (« ; », « , » ou tabulation, UTF-8) ou XLSX ; une ligne par commune × indicateur "
                             f"× année. Indicateurs importables : {', '.join(importable_indicators())}.",
                             className="small"),
                      html.Table([html.Thead(html.Tr([html.Th("Colonne"), html.Th("Noms acceptés aussi")])),
                                  html.Tbody(fmt_rows)], className="table table-sm small w-auto")]),
        dcc.Upload(id="import-upload", multiple=False, className="atlas-upload my-3",
                   accept=",".join(ALLOWED_SUFFIXES),
                   children=html.Div(["Glisser le tableau ici ou ", html.A("choisir un fichier"),
                                      html.Span(f" (taille maximale : {limit // (1024 * 1024)} Mo)",
                                                className="text-muted")])),
        dcc.Loading(html.Div(id="import-report")),
        html.H2("Tableaux importés", className="h5 mt-4"),
        html.Div(_imports_table(), id="import-list-container"),
    ], id="import-page")


def _report_view(report) -> html.Div:
    if report.ok:
        return dbc.Alert([html.Strong("Fichier accepté. "), report.text(), html.Br(),
                          "Provenance : ", html.Em(report.source_label or "—"),
                          f" (source {report.source_id}, empreinte {report.sha256[:12]}). ",
                          html.A("Voir sur la carte", href=f"/?indicateur={report.indicators[0]}")
                          if report.indicators else None],
                         color="success", id="import-ok")
    rows = [html.Tr([html.Td(p.line if p.line is not None else "—"), html.Td(p.column or "—"),
                     html.Td("" if p.value is None else str(p.value)), html.Td(p.problem)]) for p in report.problems]
    return html.Div([
        dbc.Alert([html.Strong("Fichier refusé : rien n'a été importé. "),
                   f"{len(report.problems)} problème(s) dans « {report.file} » ; corrigez-les puis importez à nouveau."],
                  color="danger", id="import-rejected"),
        html.Table([html.Thead(html.Tr([html.Th("Ligne"), html.Th("Colonne"), html.Th("Valeur"), html.Th("Problème")])),
                    html.Tbody(rows)], className="table table-sm table-bordered small", id="import-problems"),
    ])


def run_upload(contents: str, filename: str | None):
    """Decode, check size, validate and store an upload. Returns an ImportReport or an error message."""
    name = PurePath(filename or "tableau.csv").name  # a label only, never a path
    suffix = PurePath(name).suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        return f"Type de fichier non accepté ({suffix or 'sans extension'}) : CSV ou XLSX attendu."
    try:
        b64 = contents.split(",", 1)[1]
        if len(b64) * 3 // 4 > _max_upload() + 4:
            raise OverflowError
        data = base64.b64decode(b64)
    except OverflowError:
        return f"Fichier trop gros : la limite est de {_max_upload() // (1024 * 1024)} Mo ; rien n'a été importé."
    except (IndexError, ValueError, binascii.Error):
        return "Contenu du fichier illisible ; rien n'a été importé."
    if len(data) > _max_upload():
        return f"Fichier trop gros : la limite est de {_max_upload() // (1024 * 1024)} Mo ; rien n'a été importé."
    atlas = current()
    with tempfile.TemporaryDirectory(prefix="atlas-upload-") as tmp:
        os.chmod(tmp, 0o700)
        path = Path(tmp) / f"upload{suffix}"  # name chosen by the server
        path.write_bytes(data)
        return import_indicator_table(path, set(atlas.communes.position), original_name=name)


@callback(Output("import-report", "children"), Output("import-list-container", "children"),
          Input("import-upload", "contents"), State("import-upload", "filename"), prevent_initial_call=True)
def _upload(contents, filename):
    if not contents:
        return no_update, no_update
    result = run_upload(contents, filename)
    if isinstance(result, str):
        return dbc.Alert(result, color="danger", id="import-rejected"), no_update
    return _report_view(result), _imports_table()
