"""Small horizontal bar chart: one figure at several levels (commune, territory, département, région,
France). Plain dict figure, static (no mode bar), for side panels and the portrait."""
from __future__ import annotations

from etl.indicators import Indicator

from .formatting import fmt_value, short_unit

LEVEL_COLORS = {"commune": "#225ea8", "territoire": "#41b6c4", "departement": "#969696", "region": "#969696",
                "france": "#636363"}


def comparison_figure(ind: Indicator, rows: list[tuple[str, str, float | None]], height: int = 190) -> dict:
    """``rows``: (level key, label, value). Levels without a value are listed with 'pas de donnée'."""
    rows = list(rows)[::-1]      # first row on top
    labels = [lab for _k, lab, _v in rows]
    values = [v if v is not None else 0 for _k, _l, v in rows]
    texts = [fmt_value(v, ind, unit=False) if v is not None else "pas de donnée" for _k, _l, v in rows]
    colors = [LEVEL_COLORS.get(k, "#969696") for k, _l, _v in rows]
    return {
        "data": [{"type": "bar", "orientation": "h", "x": values, "y": labels, "text": texts,
                  "textposition": "auto", "marker": {"color": colors}, "hoverinfo": "skip",
                  "cliponaxis": False}],
        "layout": {"height": height, "margin": {"l": 8, "r": 16, "t": 4, "b": 28},
                   "xaxis": {"title": {"text": short_unit(ind), "font": {"size": 11}}, "separatethousands": True,
                             "rangemode": "tozero", "fixedrange": True, "tickfont": {"size": 10}},
                   "yaxis": {"automargin": True, "fixedrange": True, "tickfont": {"size": 11}},
                   "separators": ", ", "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)",
                   "showlegend": False},
    }
