"""Small horizontal bar chart in HTML: one figure at several levels (commune, territory, département,
région, France), for the explorer's side panel.

Plain HTML and CSS rather than a Plotly graph: the explorer page then never loads plotly.js (4.8 MB,
~1.2 s to evaluate on a slow machine) just to draw five bars, and the bars print and scale with the
page's type on a projector.
"""
from __future__ import annotations

from dash import html

from atlas.catalog import Indicator

from .formatting import fmt_value, short_unit

LEVEL_COLORS = {"commune": "#225ea8", "territoire": "#41b6c4", "departement": "#969696", "region": "#969696",
                "france": "#636363"}


def comparison_bars(ind: Indicator, rows: list[tuple[str, str, float | None]]) -> list[dict]:
    """``rows``: (level key, label, value) -> one bar each: label, text, width in % of the largest value
    (bars start at zero), colour. Levels without a value are listed with 'pas de donnée'."""
    values = [v for _k, _l, v in rows if v is not None]
    top = max((abs(v) for v in values), default=0) or 1
    return [{"level": k, "label": lab, "color": LEVEL_COLORS.get(k, "#969696"),
             "text": fmt_value(v, ind, unit=False) if v is not None else "pas de donnée",
             "width": round(100 * abs(v) / top, 1) if v is not None else 0.0}
            for k, lab, v in rows]


def comparison_chart(ind: Indicator, rows: list[tuple[str, str, float | None]], className: str = "") -> html.Div:
    bars = comparison_bars(ind, rows)
    return html.Div([
        html.Div([
            html.Div(b["label"], className="cmp-label"),
            html.Div(html.Div(style={"width": f"{b['width']}%", "background": b["color"]}, className="cmp-bar"),
                     className="cmp-track"),
            html.Div(b["text"], className="cmp-value"),
        ], className="cmp-row", **{"data-level": b["level"]})
        for b in bars
    ] + [html.Div(short_unit(ind), className="cmp-unit")], className=f"cmp-chart {className}".strip(),
        role="img", **{"aria-label": "; ".join(f"{b['label']} : {b['text']}" for b in bars)})
