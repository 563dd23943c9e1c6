"""Top navigation: one link per registered page (in the order given by each page's ``order``)."""
from __future__ import annotations

import dash
from dash import html


def navbar() -> html.Nav:
    links = [html.Li(html.A(p["name"], href=p["relative_path"], className="nav-link text-white"), className="nav-item")
             for p in dash.page_registry.values() if not p.get("hide_nav")]
    return html.Nav(
        html.Div([html.A("Atlas de l'accès aux soins – CPTS", href="/", className="navbar-brand text-white fw-bold"),
                  html.Ul(links, className="navbar-nav flex-row gap-3")],
                 className="container-fluid"),
        className="navbar navbar-dark bg-primary px-2 d-print-none", id="navbar")
