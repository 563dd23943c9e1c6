"""The "Code d'écriture" field of the pages that write user data (import, editor), shown only when the
server has a write token (``ATLAS_WRITE_TOKEN``: see :mod:`dashboard.security`).

The user types the code once: the server compares it with the token (constant time) and, when it
matches, sets an ``HttpOnly``, ``SameSite=Strict`` session cookie holding an HMAC of the token. The
write callbacks then check the cookie (:func:`dashboard.security.write_refusal`); the token itself
never travels again and never reaches the page's scripts.

Reuse on a page::

    write_access("import")      # an empty Div when writes are open
"""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import MATCH, Input, Output, State, callback, ctx, html
from dash.exceptions import PreventUpdate
from flask import request

from dashboard import security
from dashboard.validation import clicks, text

def _ids(page: str) -> dict:
    return {k: {"type": f"write-token-{k}", "page": page} for k in ("field", "submit", "status")}


def write_access(page: str) -> html.Div:
    """The code field, or an empty Div when no token is configured."""
    if security.write_token() is None:
        return html.Div(className="atlas-write-access d-none")
    ids = _ids(page)
    granted = security.write_allowed()
    return html.Div([
        html.Div([
            html.Label([                 # the label wraps the field: pattern ids have no string id to point to
                html.Span("Code d'écriture", className="small fw-semibold me-2"),
                dbc.Input(id=ids["field"], type="password", size="sm", autocomplete="off", maxLength=200,
                          placeholder="donné par l'administrateur du serveur", style={"maxWidth": "18rem"}),
            ], className="d-flex align-items-center mb-0 me-2"),
            dbc.Button("Valider", id=ids["submit"], size="sm", color="secondary", n_clicks=0),
        ], className="d-flex align-items-center flex-wrap"),
        html.Div("Modifications autorisées pour cette session du navigateur." if granted else
                 "Ce serveur est partagé : importer, enregistrer, renommer ou supprimer demande ce code.",
                 id=ids["status"], className="small text-muted mt-1", role="status", **{"aria-live": "polite"}),
    ], className="atlas-write-access alert alert-secondary py-2 px-3 my-2")


@callback(Output({"type": "write-token-status", "page": MATCH}, "children"),
          Output({"type": "write-token-field", "page": MATCH}, "value"),
          Input({"type": "write-token-submit", "page": MATCH}, "n_clicks"),
          Input({"type": "write-token-field", "page": MATCH}, "n_submit"),
          State({"type": "write-token-field", "page": MATCH}, "value"), prevent_initial_call=True)
def _grant(n_clicks, n_submit, typed):
    """Check the typed code; when it is the token, give this browser the write cookie."""
    if not clicks(n_clicks) and not clicks(n_submit):
        raise PreventUpdate
    if security.write_token() is None:
        return "Ce serveur n'exige pas de code : les modifications sont ouvertes.", ""
    typed = text(typed)
    if typed is None or not security.token_matches(typed):
        return "Code incorrect : les modifications restent refusées.", ""
    ctx.response.set_cookie(security.WRITE_COOKIE, security.grant(security.write_token()), httponly=True,
                            samesite="Strict", secure=request.is_secure, path="/")
    return "Code accepté : modifications autorisées pour cette session du navigateur.", ""
