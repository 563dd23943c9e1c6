"""Several indicators of a territory against its references, as an HTML table with a bar under each
number: one row per indicator, one column per level (territory, [EPCI], département, région,
France). No plotly.js; readable on a projector (the presentation style enlarges it), printable.

Reuse: ``reference_grid(rows, levels)`` with ``rows`` from :func:`grid_row` and ``levels`` a list of
(level key, column header).
"""
from __future__ import annotations

from dash import html

from atlas import fmt
from atlas.catalog import indicator

from .. import palette

LEVEL_COLORS = {**palette.REFERENCES, "territoire": palette.TERRITORY, "epci": "#d95f02"}


def grid_row(e: dict, values: dict[str, float | None]) -> dict:
    """A row of the grid from an entry (the territory's figure) and the values of the other levels."""
    return {"id": e["id"], "label": e["label"], "entry": e, "values": values, "year": e.get("year"),
            "synthetic": bool(e.get("synthetic"))}


def _cell(level: str, text: str, width: float, strong: bool) -> html.Td:
    return html.Td([html.Span(text, className="rg-value" + (" fw-bold" if strong else "")),
                    html.Span(html.Span(className="rg-bar", style={"width": f"{width:.0f}%",
                                                                    "background": LEVEL_COLORS.get(level, "#777")}),
                              className="rg-track", **{"aria-hidden": "true"})],
                   className=f"rg-cell rg-{level}", **{"data-level": level})


def reference_grid(rows: list[dict], levels: list[tuple[str, str]], *, id: str | None = None,
                   className: str = "") -> html.Div:
    head = html.Tr([html.Th("Indicateur", scope="col"), *[html.Th(name, scope="col", className=f"rg-{k}")
                                                          for k, name in levels]])
    body = []
    for r in rows:
        ind = indicator(r["id"])
        vals = [r["values"].get(k) for k, _ in levels]
        top = max((abs(v) for v in vals if v is not None), default=0) or 1
        cells = []
        for (k, _name), v in zip(levels, vals):
            text = fmt.entry(r["entry"], ind) if k == "territoire" else fmt.value(v, ind)
            cells.append(_cell(k, text, 100 * abs(v) / top if v is not None else 0, k == "territoire"))
        label = [html.Span(r["label"], className="rg-label"),
                 html.Span(f" {ind.short_unit}, {r['year'] or fmt.UNAVAILABLE}", className="rg-unit")]
        if r["synthetic"]:
            label.append(html.Span(" (fictif)", className="rg-synthetic"))
        body.append(html.Tr([html.Th(label, scope="row"), *cells], **{"data-indicator": r["id"]}))
    table = html.Table([html.Thead(head), html.Tbody(body)], className="atlas-rgrid")
    return html.Div(table, className=f"atlas-table-wrap {className}".strip(), id=id)
