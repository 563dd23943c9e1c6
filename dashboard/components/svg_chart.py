"""Charts drawn on the server as SVG (time series), for the portrait page, its presentation mode and
its PDF: no plotly.js in the browser, the same drawing on paper (fpdf2 renders the SVG).

Readability from the back of a hall: few ticks, numbers written by :mod:`atlas.fmt`, each line
named at its end in dark text (no colour legend to decode; lines also differ by width and dash
pattern, so the chart reads in grey print and for colour-blind readers). Text sizes are in SVG
units: the page shows the chart at about its viewBox width or more (CSS), so 17 units stay above
14 px on a 1280 × 720 projector (checked by tests/browser/test_portrait.py).
"""
from __future__ import annotations

import math
from html import escape

from atlas import fmt
from atlas.catalog import Indicator

from .svg_map import FONT_FAMILY

FONT = 17
TEXT = "#1b1b1b"
MUTED = "#444444"
THRESHOLD = "#b00020"
# How each level is drawn: colour, width, dash pattern (the territory stands out).
STYLES = {
    "territoire": ("#0b3d91", 4.5, ""),
    "epci": ("#d95f02", 3, "10 4"),
    "departement": ("#5f6b6d", 2.6, "8 5"),
    "region": ("#7d8a8c", 2.6, "2 5"),
    "france": ("#2f3b48", 2.2, ""),
}


def nice_step(span: float, target: int = 4, decimals: int = 2) -> float:
    """A round tick step (1, 2, 2.5 or 5 × 10^k) giving about ``target`` intervals, never finer than
    the indicator's displayed precision (a tick labelled 11,8 must be 11,8, not 11,75)."""
    raw = max(span / max(target, 1), 10 ** -decimals)
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        step = m * mag
        if raw <= step and abs(step * 10 ** decimals - round(step * 10 ** decimals)) < 1e-9:
            return step
    return 10 * mag


def y_range(values: list[float], extra: list[float] = (), decimals: int = 2) -> tuple[float, float, float]:
    """(low, high, step) of the y axis: round ticks around the values (and thresholds), from zero
    when the values are not far from it (a change is not exaggerated by a cut axis)."""
    vals = [v for v in [*values, *extra] if v is not None and math.isfinite(v)]
    lo, hi = (min(vals), max(vals)) if vals else (0.0, 1.0)
    if lo >= 0 and lo <= 0.5 * hi:
        lo = 0.0
    if hi == lo:
        hi = lo + (abs(lo) or 1.0)
    step = nice_step(hi - lo, decimals=decimals)
    return math.floor(lo / step) * step, math.ceil(hi / step) * step, step


def _spread(ys: list[float], gap: float, top: float, bottom: float) -> list[float]:
    """Label positions near ``ys`` at least ``gap`` apart, within [top, bottom] (order kept)."""
    order = sorted(range(len(ys)), key=lambda i: ys[i])
    pos = [0.0] * len(ys)
    last = top - gap
    for i in order:
        pos[i] = max(ys[i], last + gap)
        last = pos[i]
    overflow = last - bottom
    if overflow > 0:                       # push back up from the bottom
        nxt = bottom + gap
        for i in reversed(order):
            pos[i] = min(pos[i], nxt - gap)
            nxt = pos[i]
    return pos


def time_series_svg(series: list[dict], ind: Indicator, *, label: str, width: int = 640, height: int = 340,
                    font: int = FONT) -> str:
    """Lines of ``series`` ({"level", "label", "points": [(year, value)], "synthetic"}) over the years.

    Every value is written with the indicator's precision; the indicator's thresholds (APL < 2,5) are
    drawn as a red dashed line with their name."""
    pts = [(y, v) for s in series for y, v in s["points"] if v is not None]
    years = sorted({y for y, _ in pts})
    thresholds = [t.value for t in ind.thresholds]
    lo, hi, step = y_range([v for _, v in pts], thresholds, ind.decimals)
    label_w = max((len(s["label"]) + 8 for s in series), default=12) * font * 0.55
    left = max(len(fmt.value(hi, ind)), len(fmt.value(lo, ind))) * font * 0.62 + 14
    right = min(label_w + 16, width * 0.42)
    top, bottom = font * 1.2, font * 2.4
    pw, ph = width - left - right, height - top - bottom

    def x(year):
        if len(years) < 2:
            return left + pw / 2
        return left + (year - years[0]) / (years[-1] - years[0]) * pw

    def y(v):
        return top + (hi - v) / (hi - lo) * ph

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
           f'height="{height}" role="img" aria-label="{escape(label)}" class="atlas-chart-svg" '
           f'font-family="{FONT_FAMILY}" font-size="{font}">',
           f"<title>{escape(label)}</title>"]
    # horizontal grid and y labels
    n_ticks = int(round((hi - lo) / step))
    for k in range(n_ticks + 1):
        v = lo + k * step
        yy = y(v)
        out.append(f'<line x1="{left:.1f}" y1="{yy:.1f}" x2="{left + pw:.1f}" y2="{yy:.1f}" stroke="#d0d0d0" '
                   'stroke-width="1"/>')
        out.append(f'<text x="{left - 8:.1f}" y="{yy + font * 0.35:.1f}" text-anchor="end" fill="{MUTED}">'
                   f"{escape(fmt.value(v, ind))}</text>")
    # x labels: every year when they fit, else every k-th (first and last always)
    every = max(1, math.ceil(len(years) * font * 2.6 / max(pw, 1)))
    for i, yr in enumerate(years):
        if i % every and i != len(years) - 1:
            continue
        out.append(f'<text x="{x(yr):.1f}" y="{top + ph + font * 1.5:.1f}" text-anchor="middle" fill="{MUTED}">'
                   f"{yr}</text>")
    for t in ind.thresholds:
        if lo <= t.value <= hi:
            yy = y(t.value)
            out.append(f'<line x1="{left:.1f}" y1="{yy:.1f}" x2="{left + pw:.1f}" y2="{yy:.1f}" stroke="{THRESHOLD}" '
                       'stroke-width="2" stroke-dasharray="7 4"/>')
            out.append(f'<text x="{left + 6:.1f}" y="{yy - 6:.1f}" fill="{THRESHOLD}">'
                       f"{escape('seuil ' + fmt.threshold_value(t))}</text>")
    # lines, drawn from the references up to the territory
    ends = []
    for s in sorted(series, key=lambda s: s["level"] == "territoire"):
        color, w, dash = STYLES.get(s["level"], ("#555555", 2, ""))
        p = [(yr, v) for yr, v in s["points"] if v is not None]
        if not p:
            continue
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        if len(p) > 1:
            coords = " ".join(f"{x(yr):.1f},{y(v):.1f}" for yr, v in p)
            out.append(f'<polyline points="{coords}" fill="none" stroke="{color}" stroke-width="{w}"{dash_attr} '
                       f'stroke-linejoin="round" data-level="{escape(s["level"])}"/>')
        for yr, v in p:
            out.append(f'<circle cx="{x(yr):.1f}" cy="{y(v):.1f}" r="{w + 1.5:.1f}" fill="{color}">'
                       f"<title>{escape(s['label'])}, {yr} : {escape(fmt.value(v, ind, unit=True))}</title></circle>")
        ends.append((s, p[-1], color, w, dash_attr))
    ys = _spread([y(v) for _, (_, v), *_ in ends], font * 1.15, top + font * 0.4, top + ph)
    for (s, (yr, v), color, w, dash_attr), ly in zip(ends, ys):
        lx = left + pw + 10
        weight = ' font-weight="bold"' if s["level"] == "territoire" else ""
        out.append(f'<line x1="{lx:.1f}" y1="{ly:.1f}" x2="{lx + 18:.1f}" y2="{ly:.1f}" stroke="{color}" '
                   f'stroke-width="{w}"{dash_attr}/>')
        out.append(f'<text x="{lx + 24:.1f}" y="{ly + font * 0.35:.1f}" fill="{TEXT}"{weight}>'
                   f"{escape(s['label'])} {escape(fmt.value(v, ind))}</text>")
    out.append("</svg>")
    return "".join(out)
