"""Commune search: name or code, accents optional ("st etienne" finds Saint-Étienne), keyboard first
(type, arrows, Enter). Reuse: ``commune_search(page)`` -> value = commune code."""
from __future__ import annotations

from dash import MATCH, Input, Output, callback, html
from dash.exceptions import PreventUpdate

from atlas.read import current

from .dropdown import dropdown

SEARCH_LIMIT = 20


def search_id(page: str) -> dict:
    return {"type": "commune-search", "page": page}


def commune_search(page: str, label: str = "Chercher une commune") -> html.Div:
    return html.Div([
        html.Label(label, className="form-label fw-semibold mb-1"),
        dropdown(id=search_id(page), options=[], value=None, searchable=True, clearable=True,
                     placeholder="Nom ou code INSEE", className="commune-search"),
    ], className="mb-2")


@callback(Output(search_id(MATCH), "options"), Input(search_id(MATCH), "search_value"), prevent_initial_call=True)
def _search(query):
    if not query or not isinstance(query, str) or len(query.strip()) < 2:
        raise PreventUpdate
    found = current().search_communes(query[:80], SEARCH_LIMIT)
    return [{"label": f"{c['nom']} ({c['code']}, dép. {c['departement']})", "value": c["code"]} for c in found]
