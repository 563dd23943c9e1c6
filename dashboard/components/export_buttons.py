"""Export buttons (PDF portrait, PNG map, CSV for French spreadsheets, plain CSV) for any page, one
implementation with the command line (``python -m dashboard.export``).

Reuse on a page::

    export_buttons("explorer", context={"territory": …, "indicator": …, "year": …, "extent": …})
    # keep the context up to date: Output(export_context_id("explorer"), "data")
"""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import ALL, MATCH, Input, Output, State, callback, ctx, dcc, html

from atlas.catalog import CATALOG
from atlas.errors import AtlasError
from atlas.read import current
from dashboard.exports import export_bytes, export_filename
from dashboard.state import EXTENTS
from dashboard.validation import any_clicks, mapping, territory_or_none

LABELS = {"pdf": "Portrait PDF", "png": "Carte PNG", "csv": "CSV (Excel FR)", "csv-intl": "CSV (point décimal)"}
MIME = {"pdf": "application/pdf", "png": "image/png", "csv": "text/csv", "csv-intl": "text/csv"}


def export_context_id(page: str) -> dict:
    return {"type": "atlas-export-context", "page": page}


def _button_id(page: str, fmt: str) -> dict:
    return {"type": "atlas-export-btn", "page": page, "format": fmt}


def export_buttons(page: str, formats=("pdf", "png", "csv", "csv-intl"), context: dict | None = None) -> html.Div:
    return html.Div([
        dbc.ButtonGroup([
            dbc.Button(LABELS[f], id=_button_id(page, f), color="secondary", outline=True, size="sm", n_clicks=0,
                       className="atlas-export-btn", title=f"Télécharger : {LABELS[f]}")
            for f in formats], className="me-2"),
        dcc.Store(id=export_context_id(page), data=context or {}),
        dcc.Download(id={"type": "atlas-export-download", "page": page}),
        html.Span(id={"type": "atlas-export-status", "page": page}, className="small ms-1 atlas-export-status",
                  role="status", **{"aria-live": "polite"}),
    ], className="atlas-export d-inline-flex align-items-center flex-wrap d-print-none")


@callback(Output({"type": "atlas-export-download", "page": MATCH}, "data"),
          Output({"type": "atlas-export-status", "page": MATCH}, "children"),
          Input({"type": "atlas-export-btn", "page": MATCH, "format": ALL}, "n_clicks"),
          State(export_context_id(MATCH), "data"),
          running=[(Output({"type": "atlas-export-btn", "page": MATCH, "format": ALL}, "disabled"), True, False),
                   (Output({"type": "atlas-export-status", "page": MATCH}, "children"),
                    "Export en cours…", "")],
          prevent_initial_call=True)
def _export(clicks, context):
    """The file of the button clicked, for the view in the context store. The context may hold
    anything a request carried: an unknown territory or indicator is said, never echoed at length."""
    trig = ctx.triggered_id
    if not isinstance(trig, dict) or not any_clicks(clicks):
        return None, ""
    fmt = trig.get("format") if trig.get("format") in LABELS else "csv"
    context = mapping(context)
    atlas = current()
    if isinstance(context.get("scenario"), str):          # the Simulation page exports its scenario
        from dashboard.exports.scenario_export import scenario_bytes
        try:
            data, stem = scenario_bytes(atlas, context["scenario"][:4000], fmt)
        except (AtlasError, RuntimeError) as exc:
            return None, f"Export impossible : {exc}"
        name = f"atlas-{export_filename(stem, fmt.replace('-intl', ''))[len('atlas-'):]}"
        return dcc.send_bytes(data, name, type=MIME[fmt]), f"{name} prêt."
    territory = territory_or_none(atlas, context.get("territory"))
    if territory is None:
        return None, "Choisissez d'abord un territoire."
    asked = context.get("indicator")
    indicator = asked if isinstance(asked, str) and asked in CATALOG else None
    if asked is not None and indicator is None:
        return None, "Export impossible : indicateur inconnu."
    year = context.get("year")
    year = year if isinstance(year, int) and not isinstance(year, bool) and 1900 <= year <= 2100 else None
    extent = context.get("extent") if isinstance(context.get("extent"), str) and context["extent"] in EXTENTS \
        else "territoire"
    one = not fmt.startswith("csv") or context.get("csv_indicator_only") is True
    tid = territory.id
    try:
        data = export_bytes(atlas, tid, fmt, indicator if one else None, year if one else None, extent)
    except AtlasError as exc:
        return None, f"Export impossible : {exc}"
    except RuntimeError as exc:       # image rendering (Chromium) failed
        return None, f"Export impossible : {exc}"
    name = export_filename(tid, fmt.replace("-intl", ""), indicator if fmt == "png" else None)
    return dcc.send_bytes(data, name, type=MIME[fmt]), f"{name} prêt."
