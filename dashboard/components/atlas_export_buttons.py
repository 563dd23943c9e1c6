"""Export buttons (PDF portrait, PNG map, CSV commune values) for any page, one implementation with the CLI.

Reuse on a page::

    from dashboard.components.atlas_export_buttons import export_buttons, export_context_id
    export_buttons("explorer")                     # buttons + dcc.Download + context store
    # keep the context up to date from the page's selectors:
    @callback(Output(export_context_id("explorer"), "data"), Input(...territory...), Input(...indicator...))
    def _ctx(t, i): return {"territory": t, "indicator": i}   # optional: "year", "extent" (PNG framing)
"""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import ALL, MATCH, Input, Output, State, callback, ctx, dcc, html

from dashboard.data import get_store
from dashboard.exports import export_bytes, export_filename

LABELS = {"pdf": "Portrait PDF", "png": "Carte PNG", "csv": "Valeurs CSV"}
MIME = {"pdf": "application/pdf", "png": "image/png", "csv": "text/csv"}


def export_context_id(page: str) -> dict:
    return {"type": "atlas-export-context", "page": page}


def export_buttons(page: str, formats=("pdf", "png", "csv"), context: dict | None = None) -> html.Div:
    return html.Div([
        dbc.ButtonGroup([
            dbc.Button(LABELS[f], id={"type": "atlas-export-btn", "page": page, "format": f}, color="secondary",
                       outline=True, size="sm", n_clicks=0, className="atlas-export-btn",
                       title=f"Télécharger : {LABELS[f]}")
            for f in formats], className="me-2"),
        dcc.Store(id=export_context_id(page), data=context or {}),
        dcc.Loading(html.Div([
            dcc.Download(id={"type": "atlas-export-download", "page": page}),
            html.Span(id={"type": "atlas-export-status", "page": page}, className="small ms-1"),
        ]), type="dot", delay_show=200, parent_style={"display": "inline-block"}),
    ], className="atlas-export d-inline-flex align-items-center d-print-none")


@callback(Output({"type": "atlas-export-download", "page": MATCH}, "data"),
          Output({"type": "atlas-export-status", "page": MATCH}, "children"),
          Input({"type": "atlas-export-btn", "page": MATCH, "format": ALL}, "n_clicks"),
          State({"type": "atlas-export-context", "page": MATCH}, "data"),
          prevent_initial_call=True)
def _export(_clicks, context):
    trig = ctx.triggered_id
    if not trig or not any(_clicks or []):
        return None, ""
    fmt = trig["format"]
    context = context or {}
    tid = context.get("territory")
    if not tid:
        return None, "Choisissez d'abord un territoire."
    store = get_store()
    indicator = context.get("indicator")
    try:
        # the CSV carries every indicator (each at all its years) unless the page asks for the shown one
        one = fmt != "csv" or bool(context.get("csv_indicator_only"))
        data = export_bytes(store, tid, fmt, indicator if one else None, context.get("year") if one else None,
                            context.get("extent") or "territoire")
    except Exception as exc:  # noqa: BLE001 - shown to the user, the page stays usable
        return None, f"Export impossible : {exc}"
    name = export_filename(tid, fmt, indicator if fmt == "png" else None)
    return dcc.send_bytes(data, name, type=MIME[fmt]), f"{name} prêt."
