"""Commune panel: one commune's figure next to the territory, its département, région and France,
as numbers and a small bar chart.

Reuse: ``commune_panel(store, code, indicator_id, year, territory)``; ``commune_panel_placeholder()``.
"""
from __future__ import annotations

from dash import html

from dashboard.maps.comparison import comparison_chart
from dashboard.maps.formatting import fmt_detail, fmt_int, fmt_value

from .territory_panel import SECRET_TEXT, level_names
from dashboard.maps import cache

PLACEHOLDER = "Cliquez sur une commune de la carte pour voir ses chiffres."


def commune_panel_placeholder() -> html.Div:
    return html.Div(PLACEHOLDER, className="text-muted small commune-panel-empty")


def commune_panel(store, code: str, indicator_id: str, year: int | None, territory=None) -> html.Div:
    ind = store.indicator(indicator_id)
    if code not in store.valid_codes:
        return commune_panel_placeholder()
    c = store.communes.loc[code]
    e = cache.entry(store, indicator_id, [code], c.departement, year)
    names = level_names(store, c.departement)
    value = None if e["secret"] else e["value"]
    rows = [("commune", c.nom, value)]
    if territory is not None and territory.codes:
        t = cache.entry(store, indicator_id, list(territory.codes), territory.departement, e["year"])
        rows.append(("territoire", "Territoire", None if t["secret"] else t["value"]))
    rows += [(lvl, names[lvl], e["reference"][lvl]) for lvl in ("departement", "region", "france")]
    in_territory = territory is not None and code in territory.codes
    head = [
        html.H3([c.nom, html.Small(f" ({code})", className="text-muted")], className="h6 mb-0 commune-name"),
        html.Div(f"{fmt_int(c.population)} habitants" + ("" if in_territory or territory is None
                                                         else " · hors du territoire"),
                 className="small text-muted mb-1"),
        html.Div([html.Strong(ind.label), f" ({e['year']})" if e.get("year") else ""], className="small"),
    ]
    if not e["available"]:
        return html.Div(head + [html.Div("Indicateur indisponible dans les données chargées.",
                                         className="small text-muted")], className="commune-panel")
    val = SECRET_TEXT + f" (moins de {ind.secret_threshold} patients)" if e["secret"] else fmt_value(value, ind)
    detail = "" if e["secret"] else fmt_detail(ind, e["numerator"], e["denominator"])
    trs = [html.Tr([html.Td(label), html.Td(SECRET_TEXT if (k == "commune" and e["secret"]) else fmt_value(v, ind, unit=False),
                                            className="text-end")],
                   className="fw-semibold" if k == "commune" else None, **{"data-level": k})
           for k, label, v in rows]
    return html.Div(head + [
        html.Div(val, className="fs-6 fw-bold commune-value"),
        html.Div(detail, className="small text-muted") if detail else None,
        html.Table(html.Tbody(trs), className="table table-sm small mb-1 commune-figures"),
        comparison_chart(ind, [(k, lab, v) for k, lab, v in rows], className="commune-chart"),
        html.Div(f"Source : {e['source']}" if e.get("source") else "", className="small text-muted"),
    ], className="commune-panel")
