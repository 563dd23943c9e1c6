"""One figure at several levels (commune, territory, département, région, France) as horizontal
bars in HTML and CSS: no plotly.js on the page, readable on a projector, printable."""
from __future__ import annotations

from dash import html

from atlas import fmt
from atlas.catalog import Indicator

from .. import palette


def bars(ind: Indicator, rows: list[tuple[str, str, float | None]]) -> list[dict]:
    """``rows``: (level key, label, value) -> one bar each (width in % of the largest value)."""
    values = [v for _k, _l, v in rows if v is not None]
    top = max((abs(v) for v in values), default=0) or 1
    return [{"level": k, "label": lab, "color": palette.REFERENCES.get(k, "#969696"),
             "text": fmt.value(v, ind), "width": round(100 * abs(v) / top, 1) if v is not None else 0.0}
            for k, lab, v in rows]


def comparison_bars(ind: Indicator, rows: list[tuple[str, str, float | None]], className: str = "") -> html.Div:
    bs = bars(ind, rows)
    return html.Div([
        html.Div([
            html.Div(b["label"], className="cmp-label"),
            html.Div(html.Div(style={"width": f"{b['width']}%", "background": b["color"]}, className="cmp-bar"),
                     className="cmp-track"),
            html.Div(b["text"], className="cmp-value"),
        ], className="cmp-row", **{"data-level": b["level"]})
        for b in bs
    ] + [html.Div(ind.short_unit, className="cmp-unit")], className=f"cmp-chart {className}".strip(),
        role="img", **{"aria-label": "; ".join(f"{b['label']} : {b['text']}" for b in bs)})
