"""A territory's figure for one indicator next to its département, région and France, with its
population, number of communes and perimeter note.

Reuse: ``territory_panel(atlas, territory, indicator_id, year)``; ``level_names(atlas, dep, reg)``.
"""
from __future__ import annotations

from dash import html

from atlas import fmt
from atlas.catalog import indicator

from .perimeter_note import perimeter_note


def level_names(atlas, departement: str | None, region: str | None) -> dict[str, str]:
    dep = atlas.communes.departement_name(departement)
    reg = atlas.communes.region_name(region)
    return {"departement": f"Département ({dep})" if dep else "Département",
            "region": f"Région ({reg})" if reg else "Région", "france": "France"}


def figure_rows(atlas, territory, e: dict) -> list[tuple[str, str, float | None]]:
    names = level_names(atlas, territory.departement, territory.region)
    rows = [("territoire", "Territoire", e["value"])]
    rows += [(lvl, names[lvl], e["reference"][lvl]) for lvl in ("departement", "region", "france")]
    return rows


def territory_panel(atlas, territory, indicator_id: str, year: int | None) -> html.Div:
    ind = indicator(indicator_id)
    e = atlas.entry(indicator_id, territory, year=year)
    n = len(territory.codes)
    body = [
        html.H2(territory.name, className="h5 mb-1"),
        html.Div(f"{fmt.plural(n, 'commune')} · {fmt.plural(atlas.communes.population_of(territory.codes), 'habitant')}",
                 className="small text-muted mb-2 territory-counts"),
        perimeter_note(atlas, territory),
        html.Div([html.Strong(ind.label), html.Span(f" ({e['year']})" if e.get("year") else "")], className="small"),
        html.Div(ind.unit, className="small text-muted"),
    ]
    trs = []
    for key, label, value in figure_rows(atlas, territory, e):
        text = fmt.entry(e, ind) if key == "territoire" else fmt.value(value, ind)
        trs.append(html.Tr([html.Td(label), html.Td(text, className="text-end")],
                           className="fw-semibold" if key == "territoire" else None, **{"data-level": key}))
    body.append(html.Table(html.Tbody(trs), className="table table-sm small mb-1 territory-figures"))
    if e.get("reason") and not e["secret"]:
        body.append(html.Div(e["reason"][0].upper() + e["reason"][1:] + ".", className="small text-muted territory-reason"))
    if n and e["available"] and e["communes_without_value"]:
        body.append(html.Div(f"Calculé sur {e['communes_with_value']} des {fmt.plural(n, 'commune')} "
                             "(les autres n'ont pas de valeur).", className="small text-muted"))
    if ind.reference_note:
        body.append(html.Div(ind.reference_note, className="small text-muted"))
    body.append(html.Div(f"Règle : {ind.formula}.", className="small text-muted"))
    return html.Div(body, className="territory-panel")
