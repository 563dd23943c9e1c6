"""Pages in French for what cannot be shown: an unknown territory, an unknown page."""
from __future__ import annotations

from dash import dcc, html


def unknown_territory(territory_id: str) -> html.Div:
    shown = (territory_id or "")[:80]
    return html.Div([
        html.H1("Territoire inconnu", className="h3"),
        html.P([f"Aucun territoire ne porte l'identifiant « {shown} » dans les données chargées." if shown else
                "Aucun territoire n'est indiqué."]),
        html.P(["Voir la ", dcc.Link("liste des territoires", href="/territoires"),
                " (CPTS, EPCI, départements, régions et vos territoires), ou ",
                dcc.Link("revenir à la carte", href="/"), "."]),
    ], className="alert alert-warning", id="unknown-territory", role="alert")


def page_not_found() -> html.Div:
    return html.Div([
        html.H1("Page introuvable", className="h3"),
        html.P(["Cette adresse ne correspond à aucune page de l'atlas. ", dcc.Link("Revenir à la carte", href="/"),
                " ou voir la ", dcc.Link("liste des territoires", href="/territoires"), "."]),
    ], className="alert alert-warning", id="page-not-found", role="alert")
