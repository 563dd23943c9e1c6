"""The list of territories (path "/territoires"): the project's CPTS with how sure their perimeters
are, the user's saved territories, and a search over every EPCI, département and région."""
from __future__ import annotations

import dash
from dash import dcc, html

from atlas import fmt
from atlas.read import current
from dashboard.components.perimeter_note import CONFIDENCE_LABELS
from dashboard.components.territory_picker import territory_picker
from dashboard.validation import territory_or_none

dash.register_page(__name__, path="/territoires", name="Territoires", order=6, title="Territoires – Atlas")


def _row(atlas, t):
    return html.Tr([html.Td(dcc.Link(t.name, href=f"/?territoire={t.id}")), html.Td(html.Code(t.id)),
                    html.Td(fmt.integer(len(t.codes))), html.Td(fmt.integer(atlas.communes.population_of(t.codes))),
                    html.Td(CONFIDENCE_LABELS.get(t.confidence, t.confidence)),
                    html.Td([dcc.Link("portrait", href=f"/portrait?territoire={t.id}"), " · ",
                             dcc.Link("modifier", href=f"/editeur?territoire={t.id}")])])


def _table(atlas, ts, tid):
    head = html.Thead(html.Tr([html.Th(h) for h in ("Territoire", "Identifiant", "Communes", "Habitants",
                                                    "Périmètre", "")]))
    return html.Div(html.Table([head, html.Tbody([_row(atlas, t) for t in ts])],
                               className="table table-sm table-striped small", id=tid), className="table-responsive")


def layout(**_query):
    atlas = current()
    counts = {k: len(atlas.territories(k)) for k in ("epci", "departement", "region")}
    user = atlas.territories("user")
    return html.Div([
        html.H1("Territoires", className="h3"),
        html.P(f"Les CPTS du projet, vos territoires enregistrés, et tous les territoires administratifs : "
               f"{fmt.plural(counts['epci'], 'EPCI')}, {fmt.plural(counts['departement'], 'département')}, "
               f"{fmt.plural(counts['region'], 'région')}.", className="small"),
        html.Div(territory_picker(atlas, None, "territories", label="Chercher un territoire"), className="col-md-6"),
        html.H2("CPTS", className="h5 mt-3"), _table(atlas, atlas.territories("cpts"), "territories-cpts"),
        html.H2("Vos territoires", className="h5 mt-3"),
        _table(atlas, user, "territories-user") if user else
        html.P(["Aucun pour l'instant : ", dcc.Link("créez-en un dans l'éditeur", href="/editeur"), "."],
               className="small text-muted"),
    ], id="territories-page")


@dash.callback(dash.Output("url", "href", allow_duplicate=True),
               dash.Input({"type": "territory-picker", "page": "territories"}, "value"), prevent_initial_call=True)
def _go(territory_id):
    from urllib.parse import urlencode
    territory = territory_or_none(current(), territory_id)
    if territory is None:
        raise dash.exceptions.PreventUpdate
    return "/?" + urlencode({"territoire": territory.id})
