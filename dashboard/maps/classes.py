"""Classes of a choropleth, chosen so that the map informs, with the method stated in the legend.

* An indicator with fixed class breaks (APL: 1,5 / 2,5 / 3,5 / 4,5, the DREES under-supply
  threshold among them) uses them: maps of two territories can then be compared.
* Otherwise quantiles of the communes shown (5 classes, breaks rounded to the displayed precision).
* Quantiles that collapse (many equal values: most communes of a département have no GP, or two
  values only) are replaced by natural breaks (Fisher-Jenks on the distinct values), and the legend
  says so.
* Zero is its own class for counts and densities ("aucun"): a commune without any professional is
  not merged with one that has a few.
* Change maps ("évolution") use a diverging palette centred on 0, symmetric breaks.
* "No data" and "secret statistique" are two greys outside the palette.

Class codes sent to the browser: 0 no data, 1 secret, 2 + k class k (ascending values).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from atlas import fmt
from atlas.catalog import Indicator

from .. import palette

N_CLASSES = 5
Z_NO_DATA, Z_SECRET, Z_FIRST_CLASS = 0, 1, 2
METHOD_NOTES = {
    "thresholds": "Classes à seuils fixes de l'indicateur",
    "quantiles": "Classes par quantiles des communes affichées (effectifs comparables)",
    "jenks": "Classes par seuils naturels (Jenks) : les quantiles se confondaient (beaucoup de valeurs égales)",
    "distinct": "Une classe par valeur",
    "single": "Une seule valeur",
    "empty": "",
    "change": "Évolution : classes symétriques autour de zéro",
}


@dataclass(frozen=True)
class Classification:
    method: str                    # thresholds | quantiles | jenks | distinct | single | empty | change
    breaks: tuple[float, ...]      # inner breaks b1 < b2 < …: class k is [b_k, b_k+1); with a zero class, class 0 is "= 0"
    labels: tuple[str, ...]        # one per class, ascending
    colors: tuple[str, ...]        # one per class, ascending
    direction: str                 # higher | lower | neutral: which way is favourable
    zero_class: bool = False       # class 0 holds exactly the zeros
    note: str = ""                 # the method, in words (legend)

    @property
    def n(self) -> int:
        return len(self.labels)

    def to_dict(self) -> dict:
        return asdict(self)


def _direction(ind: Indicator) -> str:
    return "neutral" if ind.higher_is_better is None else ("higher" if ind.higher_is_better else "lower")


def _labels(breaks: list[float], decimals: int, vmin=None, vmax=None) -> list[str]:
    f = lambda x: fmt.number(x, decimals)  # noqa: E731
    if not breaks:
        if vmin is None:
            return []
        return [f(vmin) if vmin == vmax else f"de {f(vmin)} à {f(vmax)}"]
    out = [f"moins de {f(breaks[0])}"]
    out += [f"de {f(a)} à moins de {f(b)}" for a, b in zip(breaks, breaks[1:])]
    out.append(f"{f(breaks[-1])} ou plus")
    return out


def jenks_breaks(values: np.ndarray, k: int) -> list[float]:
    """Fisher-Jenks optimal breaks (minimal within-class variance) on the distinct values, weighted by
    their counts; at most a few hundred distinct values are used (quantiles of them beyond)."""
    vals, counts = np.unique(values, return_counts=True)
    if len(vals) > 400:
        qs = np.quantile(values, np.linspace(0, 1, 401))
        vals, counts = np.unique(qs, return_counts=True)
    n = len(vals)
    k = min(k, n)
    if k < 2:
        return []
    w = counts.astype(float)
    cw = np.concatenate([[0], np.cumsum(w)])
    cwx = np.concatenate([[0], np.cumsum(w * vals)])
    cwx2 = np.concatenate([[0], np.cumsum(w * vals * vals)])

    def ssd(i, j):  # sum of squared deviations of vals[i:j]
        ww = cw[j] - cw[i]
        if ww <= 0:
            return 0.0
        s = cwx[j] - cwx[i]
        return (cwx2[j] - cwx2[i]) - s * s / ww

    inf = float("inf")
    cost = np.full((k + 1, n + 1), inf)
    back = np.zeros((k + 1, n + 1), dtype=int)
    cost[0, 0] = 0.0
    for c in range(1, k + 1):
        for j in range(c, n + 1):
            best, arg = inf, c - 1
            for i in range(c - 1, j):
                v = cost[c - 1, i] + ssd(i, j)
                if v < best:
                    best, arg = v, i
            cost[c, j], back[c, j] = best, arg
    cuts, j = [], n
    for c in range(k, 0, -1):
        i = back[c, j]
        cuts.append(i)
        j = i
    return sorted(float(vals[i]) for i in cuts if 0 < i < n)


def classify(ind: Indicator, values, *, n: int = N_CLASSES) -> Classification:
    """Classes for the communes shown (``values``: their values, without NaN)."""
    v = np.asarray([x for x in values if x is not None and x == x], dtype="float64")
    direction = _direction(ind)
    d = ind.decimals

    def done(method, breaks, labels, zero=False):
        colors = palette.sequential(len(labels))
        if zero:
            colors = [palette.ZERO] + palette.sequential(len(labels) - 1)
        if direction == "lower":
            colors = colors[::-1]
        return Classification(method, tuple(breaks), tuple(labels), tuple(colors), direction, zero,
                              METHOD_NOTES[method] + (" ; une classe pour zéro" if zero else ""))

    if ind.class_breaks:
        breaks = [float(b) for b in ind.class_breaks]
        return done("thresholds", breaks, _labels(breaks, d))
    if not len(v):
        return Classification("empty", (), (), (), direction)
    zero = ind.family in ("density", "count") and bool((v == 0).any()) and bool((v > 0).any())
    pos = v[v > 0] if zero else v
    k = n - 1 if zero else n
    distinct = np.unique(np.round(pos, d))
    if len(distinct) == 1:
        method, breaks = "single", []
        labels = _labels([], d, float(pos.min()), float(pos.max()))
    elif len(distinct) <= k:
        method = "distinct"
        breaks = [float(x) for x in distinct[1:]]
        labels = [fmt.number(x, d) for x in distinct]
    else:
        qs = np.quantile(pos, np.linspace(0, 1, k + 1)[1:-1])
        breaks = sorted({round(float(q), d) for q in qs if pos.min() < round(float(q), d) <= pos.max()})
        method = "quantiles"
        if len(breaks) < k - 1:
            breaks = sorted({round(b, d) for b in jenks_breaks(np.round(pos, d), k) if b > pos.min()})
            method = "jenks"
        labels = _labels(breaks, d)
    if zero:
        # class 0 holds the zeros; the positive classes start at the smallest positive value
        labels = ["aucun (0)"] + (labels if breaks else _labels([], d, float(pos.min()), float(pos.max())))
        breaks = [float(np.nextafter(0.0, 1.0))] + list(breaks)
    return done(method, breaks, labels, zero)


def classify_change(ind: Indicator, deltas) -> Classification:
    """Diverging classes centred on 0 for changes between two years (b - a)."""
    v = np.asarray([x for x in deltas if x is not None and x == x], dtype="float64")
    direction = _direction(ind)
    if not len(v):
        return Classification("empty", (), (), (), direction)
    d = ind.decimals
    m = float(np.quantile(np.abs(v), 0.95)) or float(np.abs(v).max()) or 1.0
    step = round(m / 3, d) or 10 ** -d
    half = 0.5 * 10 ** -d          # below half a displayed unit, a change is shown as "stable"
    step = max(step, 2 * half)
    breaks = [-2 * step, -step, -half, half, step, 2 * step]
    f = lambda x: fmt.signed(x, d)  # noqa: E731
    labels = [f"moins de {f(-2 * step)}", f"de {f(-2 * step)} à {f(-step)}", f"de {f(-step)} à 0",
              "stable (0)", f"de 0 à {f(step)}", f"de {f(step)} à {f(2 * step)}", f"plus de {f(2 * step)}"]
    colors = palette.diverging(3, 3)
    colors = colors[:3] + ["#f7f7f7"] + colors[3:]
    if direction == "lower":
        colors = colors[::-1]
    return Classification("change", tuple(breaks), tuple(labels), tuple(colors), direction, False,
                          METHOD_NOTES["change"] + (" (violet : hausse, orange : baisse)" if direction != "lower"
                                                    else " (violet : baisse, orange : hausse)"))


def class_codes(values, statuses, cls: Classification) -> np.ndarray:
    """uint8 code per commune: 0 no data, 1 secret, 2 + class index."""
    v = np.asarray(values, dtype="float64")
    st = np.asarray(statuses, dtype=object)
    out = np.full(len(v), Z_NO_DATA, dtype=np.uint8)
    if cls.n == 0:
        out[st == "secret"] = Z_SECRET
        return out
    k = np.searchsorted(np.asarray(cls.breaks, dtype="float64"), v, side="right") if cls.breaks else np.zeros(len(v), int)
    ok = ~np.isnan(v) & (st == "ok")
    out[ok] = (Z_FIRST_CLASS + np.minimum(k[ok], cls.n - 1)).astype(np.uint8)
    out[st == "secret"] = Z_SECRET
    return out


def colors_of(cls: Classification) -> list[str]:
    """Colour of each class code (0 no data, 1 secret, 2 + k class k)."""
    return [palette.NO_DATA, palette.SECRET, *cls.colors]
