"""Top navigation: one link per registered page (in each page's ``order``). The links carry the
current territory (and indicator, year) from page to page: pages send them with their URL state
(``ViewState.url()``) and ``assets/atlas_history.js`` applies them. On a small screen the links
fold into a menu button."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, html
from dash.exceptions import PreventUpdate

from ..validation import clicks


def navbar() -> dbc.Navbar:
    links = [dbc.NavItem(html.A(p["name"], href=p["relative_path"], className="nav-link text-white atlas-nav-link",
                                **{"data-path": p["path"]}))
             for p in dash.page_registry.values() if not p.get("hide_nav") and p["path"] != "/404"]
    return dbc.Navbar(dbc.Container([
        html.A("Atlas de l'accès aux soins – CPTS", href="/", className="navbar-brand text-white fw-bold"),
        dbc.NavbarToggler(id="navbar-toggler", n_clicks=0),
        dbc.Collapse(dbc.Nav(links, className="ms-auto", navbar=True), id="navbar-collapse", navbar=True),
    ], fluid=True), color="primary", dark=True, className="px-2 d-print-none", id="navbar", expand="lg")


@callback(Output("navbar-collapse", "is_open"), Input("navbar-toggler", "n_clicks"),
          State("navbar-collapse", "is_open"), prevent_initial_call=True)
def _toggle(n, is_open):
    if not clicks(n):
        raise PreventUpdate
    return is_open is not True
