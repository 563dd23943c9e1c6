"""The one palette of the dashboard and its exports: class colours, the greys of "no data" and
"secret statistique", outlines and highlights. Colour-blind safe (ColorBrewer), printable in grey."""
from __future__ import annotations

import numpy as np

# ColorBrewer YlGnBu (sequential): light = less, dark = more.
SEQUENTIAL = ["#ffffd9", "#edf8b1", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#253494", "#081d58"]
# ColorBrewer PuOr (diverging, colour-blind safe): orange = decrease, purple = increase, centre near white.
DIVERGING = ["#b35806", "#e08214", "#fdb863", "#fee0b6", "#f7f7f7", "#d8daeb", "#b2abd2", "#8073ac", "#542788"]
NO_DATA = "#d9d9d9"            # light grey: no value
SECRET = "#8c8c8c"             # mid grey, hatched in legends: secret statistique
ZERO = "#fff7ec"               # "none": the palest, outside the sequential ramp
OUTLINE = "#1b1b1b"            # territory outline
BORDER = "#ffffff"             # commune borders
SELECTED = "#d95f02"           # selected commune (Dark2 orange)
TERRITORY = "#0b3d91"          # the territory in charts
REFERENCES = {"departement": "#7f8c8d", "region": "#a6acaf", "france": "#5d6d7e", "commune": "#225ea8",
              "territoire": "#0b3d91"}
POINTS = {"professional": "#d95f02", "structure": "#7570b3"}   # Dark2: colour-blind safe pair


def sequential(n: int) -> list[str]:
    """``n`` colours from light to dark over YlGnBu (its palest tint skipped: too close to white)."""
    if n <= 1:
        return [SEQUENTIAL[5]]
    idx = np.round(np.linspace(1, len(SEQUENTIAL) - 1, n)).astype(int)
    return [SEQUENTIAL[i] for i in idx]


def diverging(n_neg: int, n_pos: int) -> list[str]:
    """``n_neg`` decreasing colours then ``n_pos`` increasing ones, the centre left out."""
    def pick(lo, hi, n):
        if n <= 0:
            return []
        if n == 1:
            return [DIVERGING[(lo + hi) // 2]]
        return [DIVERGING[int(i)] for i in np.round(np.linspace(lo, hi, n))]
    return pick(0, 3, n_neg) + pick(5, 8, n_pos)
