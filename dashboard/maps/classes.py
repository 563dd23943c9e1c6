"""Classes and colours of a choropleth: fixed thresholds (APL 2.5 / 4) or quantiles, colour-blind safe.

Palette: ColorBrewer YlGnBu (sequential, colour-blind safe, prints in grey). The darkest class is
the most favourable one: ascending for indicators where higher is better (densities, APL,
screening), reversed where lower is better (patients without médecin traitant). Indicators without
a direction (population) ascend. No data and "secret statistique" get two greys outside the palette.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from atlas.catalog import Indicator

from .formatting import decimals_for, fmt_number

YLGNBU_9 = ["#ffffd9", "#edf8b1", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#253494", "#081d58"]
NO_DATA_COLOR = "#d9d9d9"
SECRET_COLOR = "#8c8c8c"
NO_DATA_LABEL = "pas de donnée"
SECRET_LABEL = "secret statistique (moins de {n} patients)"
N_QUANTILES = 5
# z codes sent to the browser: 0 no data, 1 secret, 2 + k class k.
Z_NO_DATA, Z_SECRET, Z_FIRST_CLASS = 0, 1, 2


def palette(n: int) -> list[str]:
    """``n`` colours from light to dark, spread over YlGnBu (its palest tint is skipped: too close to white)."""
    if n <= 1:
        return [YLGNBU_9[5]]
    idx = np.round(np.linspace(1, len(YLGNBU_9) - 1, n)).astype(int)
    return [YLGNBU_9[i] for i in idx]


@dataclass(frozen=True)
class Classification:
    method: str                    # 'thresholds' | 'quantiles' | 'single' | 'empty'
    breaks: tuple[float, ...]      # inner breaks b1 < b2 < …: class k is [b_k, b_k+1)
    labels: tuple[str, ...]        # one per class, in ascending value order
    colors: tuple[str, ...]        # one per class, in ascending value order
    direction: str                 # 'higher' | 'lower' | 'neutral': which way is favourable

    @property
    def n(self) -> int:
        return len(self.labels)

    def to_dict(self) -> dict:
        return asdict(self)


def _labels(breaks, decimals, vmin=None, vmax=None) -> list[str]:
    f = lambda x: fmt_number(x, decimals)  # noqa: E731
    if not breaks:
        if vmin is None:
            return []
        return [f(vmin) if vmin == vmax else f"de {f(vmin)} à {f(vmax)}"]
    out = [f"moins de {f(breaks[0])}"]
    out += [f"de {f(a)} à moins de {f(b)}" for a, b in zip(breaks, breaks[1:])]
    out.append(f"{f(breaks[-1])} ou plus")
    return out


def classify(ind: Indicator, values) -> Classification:
    """Classes for ``values`` (the communes shown): the indicator's fixed thresholds when it has any,
    else quantiles (rounded to the displayed precision, duplicates merged)."""
    v = pd.to_numeric(pd.Series(values, dtype="float64"), errors="coerce").dropna()
    direction = "neutral" if ind.higher_is_better is None else ("higher" if ind.higher_is_better else "lower")
    decimals = decimals_for(ind)
    if ind.class_breaks:
        breaks = tuple(float(b) for b in ind.class_breaks)
        method = "thresholds"
    elif v.empty:
        return Classification("empty", (), (), (), direction)
    else:
        qs = np.quantile(v.values, np.linspace(0, 1, N_QUANTILES + 1)[1:-1])
        rounded = sorted({round(float(q), decimals) for q in qs})
        breaks = tuple(b for b in rounded if v.min() < b <= v.max())
        method = "quantiles" if breaks else "single"
    labels = _labels(list(breaks), decimals, float(v.min()) if not v.empty else None,
                     float(v.max()) if not v.empty else None)
    colors = palette(len(labels))
    if direction == "lower":
        colors = colors[::-1]
    return Classification(method, breaks, tuple(labels), tuple(colors), direction)


def class_codes(values, statuses, cls: Classification) -> list[int]:
    """z code per commune: 0 no data, 1 secret, 2 + class index."""
    v = np.asarray(pd.to_numeric(pd.Series(values, dtype="float64"), errors="coerce"))
    k = np.searchsorted(np.asarray(cls.breaks, dtype="float64"), v, side="right") if cls.breaks else np.zeros(len(v), int)
    out = []
    for x, s, kk in zip(v, statuses, k):
        if s == "secret":
            out.append(Z_SECRET)
        elif np.isnan(x) or cls.n == 0:
            out.append(Z_NO_DATA)
        else:
            out.append(Z_FIRST_CLASS + int(kk))
    return out


def stepped_colorscale(cls: Classification) -> tuple[list, float, float]:
    """A Plotly colorscale of flat steps for z codes 0 … n+1, with its zmin and zmax."""
    colors = [NO_DATA_COLOR, SECRET_COLOR, *cls.colors]
    n = len(colors)
    scale = []
    for i, c in enumerate(colors):
        scale += [[i / n, c], [(i + 1) / n, c]]
    return scale, -0.5, n - 0.5
