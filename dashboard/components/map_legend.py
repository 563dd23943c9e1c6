"""HTML legend of the choropleth, built from ``MapLayer.legend`` (``dashboard.maps.choropleth``).

Title with the unit and year, one swatch per class (with its number of communes), then
"secret statistique" and "pas de donnée", the classing method and which way is favourable.
Reuse: ``map_legend(layer.legend)``.
"""
from __future__ import annotations

from dash import html

from dashboard.maps.formatting import fmt_int


def _swatch(color: str, kind: str) -> html.Span:
    style = {"display": "inline-block", "width": "1.4em", "height": "1em", "background": color,
             "border": "1px solid #999", "verticalAlign": "middle", "marginRight": ".5em", "flex": "none"}
    if kind == "secret":
        style["backgroundImage"] = "repeating-linear-gradient(45deg, transparent 0 3px, rgba(255,255,255,.6) 3px 5px)"
    return html.Span(style=style, className="legend-swatch")


def map_legend(legend: dict, id: str | None = None) -> html.Div:
    year = f" – {legend['year']}" if legend.get("year") else ""
    children = [html.Div([html.Strong(legend["title"]), html.Br(),
                          html.Span(f"en {legend['unit']}" if not legend["unit"].startswith(("%", "pour"))
                                    else legend["unit"], className="legend-unit"), year],
                         className="legend-title mb-1")]
    if not legend.get("available"):
        children.append(html.Div("Indicateur indisponible dans les données chargées : aucune valeur à cartographier.",
                                 className="alert alert-secondary py-1 px-2 small mb-1 legend-unavailable"))
    rows = []
    for e in legend["entries"]:
        rows.append(html.Li([_swatch(e["color"], e["kind"]), html.Span(e["label"], className="legend-label"),
                             html.Span(f" ({fmt_int(e['count'])})", className="text-muted small")],
                            className=f"legend-entry legend-{e['kind']} d-flex align-items-center",
                            **{"data-count": str(e["count"])}))
    children.append(html.Ul(rows, className="list-unstyled mb-1 small"))
    notes = [n for n in (legend.get("method_note"), legend.get("direction_note")) if n]
    if notes:
        children.append(html.Div(" ".join(n if n.endswith(".") else n + "." for n in notes),
                                 className="text-muted small"))
    if legend.get("source"):
        children.append(html.Div(f"Source : {legend['source']}" + (" (données fictives)" if legend.get("synthetic") else ""),
                                 className="text-muted small legend-source"))
    return html.Div(children, className="map-legend", id=id or "map-legend-body")
