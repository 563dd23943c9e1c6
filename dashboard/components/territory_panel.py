"""Territory panel: the territory's figure for one indicator next to its département, région and
France, plus population, number of communes and the perimeter note.

Reuse: ``territory_panel(store, territory, indicator_id, year)``.
"""
from __future__ import annotations

from dash import html

from dashboard.maps.formatting import fmt_int, fmt_value

from .perimeter_note import perimeter_note, territory_population
from dashboard.maps import cache

SECRET_TEXT = "secret statistique"


def level_names(store, departement: str | None) -> dict[str, str]:
    refs = store.reference_codes(departement)
    dep = store.departements.loc[departement, "nom"] if departement in store.departements.index else None
    reg = store.regions.loc[refs["region"], "nom"] if refs["region"] in store.regions.index else None
    return {"departement": f"Département ({dep})" if dep else "Département",
            "region": f"Région ({reg})" if reg else "Région", "france": "France"}


def entry_text(entry: dict, ind) -> str:
    if entry.get("secret"):
        return SECRET_TEXT
    return fmt_value(entry.get("value"), ind)


def comparison_rows(store, territory, indicator_id: str, year: int | None) -> tuple[dict, list]:
    """(territory entry, [(level, label, value)]) for the territory and its references."""
    e = cache.entry(store, indicator_id, list(territory.codes), territory.departement, year)
    names = level_names(store, territory.departement)
    rows = [("territoire", "Territoire", None if e["secret"] else e["value"])]
    rows += [(lvl, names[lvl], e["reference"][lvl]) for lvl in ("departement", "region", "france")]
    return e, rows


def territory_panel(store, territory, indicator_id: str, year: int | None) -> html.Div:
    ind = store.indicator(indicator_id)
    e, rows = comparison_rows(store, territory, indicator_id, year)
    n = len(territory.codes)
    body = [
        html.H2(territory.name, className="h5 mb-1"),
        html.Div(f"{fmt_int(n)} commune{'s' if n > 1 else ''} · {fmt_int(territory_population(store, territory))} habitants",
                 className="small text-muted mb-2 territory-counts"),
        perimeter_note(store, territory),
        html.Div([html.Strong(ind.label), html.Span(f" ({e['year']})" if e.get("year") else "")], className="small"),
        html.Div(ind.unit, className="small text-muted"),
    ]
    if not e["available"]:
        body.append(html.Div("Indicateur indisponible dans les données chargées.", className="small text-muted"))
    else:
        trs = []
        for key, label, value in rows:
            txt = (SECRET_TEXT if (key == "territoire" and e["secret"]) else fmt_value(value, ind, unit=False))
            trs.append(html.Tr([html.Td(label), html.Td(txt, className="text-end")],
                               className="fw-semibold" if key == "territoire" else None, **{"data-level": key}))
        body.append(html.Table(html.Tbody(trs), className="table table-sm small mb-1 territory-figures"))
        if n and e.get("communes_without_value"):
            body.append(html.Div(f"Calculé sur {fmt_int(e['communes_with_value'])} des {fmt_int(n)} communes "
                                 "(les autres n'ont pas de valeur).", className="small text-muted"))
        body.append(html.Div(f"Règle : {ind.formula}." if ind.formula else "", className="small text-muted"))
    return html.Div(body, className="territory-panel")
