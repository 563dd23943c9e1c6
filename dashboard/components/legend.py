"""HTML legend of a map layer (``dashboard.maps.layer.Layer.legend``): title, unit and year (or
period), one swatch per class with its number of communes, secret and no-data greys, the
classification method, named thresholds, which way is favourable, the source."""
from __future__ import annotations

from dash import html

from atlas import fmt


def _swatch(color: str, kind: str) -> html.Span:
    cls = "legend-swatch" + (" legend-swatch-secret" if kind == "secret" else "")
    return html.Span(style={"background": color}, className=cls)


def legend(spec: dict, id: str | None = None) -> html.Div:
    period = f" – {spec['period']}" if spec.get("period") else ""
    unit = spec["unit"] if spec["unit"].startswith(("%", "pour", "écart")) else f"en {spec['unit']}"
    children = [html.Div([html.Strong(spec["title"]), html.Br(), html.Span(unit, className="legend-unit"), period],
                         className="legend-title mb-1")]
    if not spec.get("available"):
        children.append(html.Div(f"{fmt.UNAVAILABLE}" + (f" : {spec['reason']}" if spec.get("reason") else ""),
                                 className="alert alert-secondary py-1 px-2 small mb-1 legend-unavailable"))
    rows = [html.Li([_swatch(e["color"], e["kind"]), html.Span(e["label"], className="legend-label"),
                     html.Span(f" ({fmt.integer(e['count'])})", className="text-muted small")],
                    className=f"legend-entry legend-{e['kind']} d-flex align-items-center",
                    **{"data-count": str(e["count"])})
            for e in spec["entries"]]
    children.append(html.Ul(rows, className="list-unstyled mb-1 small"))
    for t in spec.get("thresholds") or []:
        children.append(html.Div(t[0].upper() + t[1:], className="small legend-threshold"))
    notes = [n for n in (spec.get("method_note"), spec.get("direction_note")) if n]
    if notes:
        children.append(html.Div(" ".join(n if n.endswith(".") else n + "." for n in notes),
                                 className="text-muted small legend-method"))
    if spec.get("source"):
        children.append(html.Div(f"Source : {spec['source']}" + (" (données fictives)" if spec.get("synthetic") else ""),
                                 className="text-muted small legend-source", title=spec.get("source_full") or ""))
    return html.Div(children, className="map-legend", id=id or "map-legend-body")
