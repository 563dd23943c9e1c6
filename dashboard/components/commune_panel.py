"""One commune's figure next to the territory, its département, région and France, as numbers and
bars. Reuse: ``commune_panel(atlas, code, indicator_id, year, territory)``."""
from __future__ import annotations

from dash import dcc, html

from atlas import fmt
from atlas.catalog import indicator

from .comparison_bars import comparison_bars
from .territory_panel import level_names

PLACEHOLDER = "Cliquez sur une commune de la carte, ou cherchez-la par son nom, pour voir ses chiffres."


def commune_panel_placeholder() -> html.Div:
    return html.Div(PLACEHOLDER, className="text-muted small commune-panel-empty")


def commune_panel(atlas, code: str, indicator_id: str, year: int | None, territory=None) -> html.Div:
    ind = indicator(indicator_id)
    if code not in atlas.communes:
        return commune_panel_placeholder()
    c = atlas.communes.table.loc[code]
    e = atlas.entry(indicator_id, codes=[code], year=year)
    names = level_names(atlas, c["departement"], c["region"])
    rows = [("commune", c["nom"], e["value"])]
    if territory is not None and territory.codes and territory.codes != (code,):
        t = atlas.entry(indicator_id, territory, year=e["year"])
        rows.append(("territoire", "Territoire", t["value"]))
    rows += [(lvl, names[lvl], e["reference"][lvl]) for lvl in ("departement", "region", "france")]
    in_territory = territory is None or code in territory.codes
    head = [
        html.H3([c["nom"], html.Small(f" ({code})", className="text-muted")], className="h6 mb-0 commune-name"),
        html.Div(fmt.plural(c["population"], "habitant") + ("" if in_territory else " · hors du territoire"),
                 className="small text-muted mb-1"),
        html.Div("Contour indisponible : la commune n'est pas dessinée sur la carte.",
                 className="small text-warning commune-no-geometry") if not bool(c["has_geometry"]) else None,
        html.Div([html.Strong(ind.label), f" ({e['year']})" if e.get("year") else ""], className="small"),
    ]
    links = html.Div([dcc.Link("Son EPCI", href=f"/?territoire=epci-{c['epci']}", className="me-2")
                      if isinstance(c["epci"], str) and c["epci"] else None,
                      dcc.Link("Son département", href=f"/?territoire=dep-{c['departement']}")],
                     className="small commune-links")
    if e["value"] is None and not e["secret"]:
        return html.Div(head + [html.Div(f"{fmt.UNAVAILABLE} : {e['reason']}." if e.get("reason") else fmt.UNAVAILABLE,
                                         className="small text-muted commune-value"), links],
                        className="commune-panel")
    detail = "" if e["secret"] else fmt.detail(ind, e["numerator"], e["denominator"])
    trs = [html.Tr([html.Td(label), html.Td(fmt.entry(e, ind) if k == "commune" else fmt.value(v, ind),
                                            className="text-end")],
                   className="fw-semibold" if k == "commune" else None, **{"data-level": k})
           for k, label, v in rows]
    return html.Div(head + [
        html.Div(fmt.entry(e, ind, unit=True), className="fs-6 fw-bold commune-value"),
        html.Div(detail, className="small text-muted") if detail else None,
        html.Table(html.Tbody(trs), className="table table-sm small mb-1 commune-figures"),
        comparison_bars(ind, rows, className="commune-chart"),
        html.Div(f"Source : {e['source']}" if e.get("source") else "", className="small text-muted"),
        links,
    ], className="commune-panel")
