"""Territory figures as ratios of sums, never averages of commune rates; small numbers protected.

One implementation for every level: the read model aggregates a territory's communes with
:func:`aggregate`, the build computes département / région / France references with
:func:`aggregate_by`; both apply the same rule and the same secrecy.

Rules (DESIGN.md, "Data rules"):
  * ``sum``   value = Σ numerator (population, counts);
  * ``ratio`` value = Σ numerator / Σ denominator × scale (density, shares, APL weighted by the
    standardised population);
  * one commune: its value as published (the DREES publishes an APL for three communes whose
    standardised population is 0: they keep it, and weigh nothing in sums);
  * small numbers: a commune whose denominator is below the indicator's ``secret_threshold`` is
    "secret statistique"; a territory whose *aggregated* denominator is below it is secret too.
  * complementary secrecy (protection against differencing): a territory figure is also hidden
    when the communes hidden inside it hold together fewer than ``secret_threshold`` patients while
    other communes of the territory are shown: otherwise subtracting the shown communes from the
    territory would give back the hidden ones (e.g. a territory of two communes, one shown). Sums
    are exact and independent of the order of the communes (:func:`math.fsum`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .catalog import Indicator

SECRET_SMALL = "small"                 # the aggregated denominator is below the threshold
SECRET_COMPLEMENT = "complement"       # hidden to protect hidden communes from differencing


@dataclass(frozen=True)
class Figure:
    value: float | None
    numerator: float | None
    denominator: float | None
    secret: bool = False
    n_communes: int = 0            # communes with a value
    n_missing: int = 0             # communes of the area without a value
    secret_reason: str | None = None


def _fsum(a: np.ndarray) -> float:
    return math.fsum(a.tolist()) if len(a) else 0.0


def commune_secret(ind: Indicator, denominator: np.ndarray) -> np.ndarray:
    """Boolean mask of communes whose own figure is secret (denominator below the threshold)."""
    den = np.asarray(denominator, dtype="float64")
    if ind.secret_threshold is None:
        return np.zeros(len(den), dtype=bool)
    with np.errstate(invalid="ignore"):
        return ~np.isnan(den) & (den < ind.secret_threshold)


def aggregate(ind: Indicator, numerator, denominator=None, value=None, *,
              n_expected: int | None = None) -> Figure:
    """Figure of an area from its communes' numerators / denominators (and published values, used
    as such when the area is one commune)."""
    num = np.asarray(numerator if numerator is not None else [], dtype="float64")
    den = np.asarray(denominator if denominator is not None else np.full(len(num), np.nan), dtype="float64")
    val = np.asarray(value if value is not None else np.full(len(num), np.nan), dtype="float64")
    ok = ~np.isnan(num) if ind.aggregation == "sum" else (~np.isnan(num) & ~np.isnan(den))
    if len(num) == 1 and not ok[0] and not np.isnan(val[0]):
        ok = np.array([True])
    n = int(ok.sum())
    missing = max((n_expected if n_expected is not None else len(num)) - n, 0)
    if n == 0:
        return Figure(None, None, None, False, 0, missing)
    if ind.aggregation == "sum":
        s = _fsum(num[ok])
        return Figure(s, s, None, False, n, missing)
    s_num, s_den = _fsum(num[ok]), _fsum(den[ok])
    thr = ind.secret_threshold
    if thr is not None:
        if s_den < thr:
            return Figure(None, None, None, True, n, missing, SECRET_SMALL)
        hidden = commune_secret(ind, den[ok])
        hidden_den = _fsum(den[ok][hidden])
        if 0 < hidden_den < thr and not hidden.all():
            return Figure(None, None, None, True, n, missing, SECRET_COMPLEMENT)
    if n == 1 and len(num) == 1 and not np.isnan(val[0]):
        value_out = float(val[0])           # one commune: as published
    else:
        value_out = s_num / s_den * ind.scale if s_den > 0 else None
    return Figure(value_out, s_num, s_den, False, n, missing)


def aggregate_by(ind: Indicator, values: pd.DataFrame, by: str) -> pd.DataFrame:
    """Group commune rows (``numerator``, ``denominator``, column ``by``) into one figure per group,
    with :func:`aggregate`'s rule. Columns: ``by``, value, numerator, denominator. Deterministic:
    groups sorted, sums exact."""
    rows = []
    for key, part in sorted(values.groupby(by, sort=True), key=lambda kv: str(kv[0])):
        f = aggregate(ind, part["numerator"].to_numpy(dtype="float64"),
                      part["denominator"].to_numpy(dtype="float64") if "denominator" in part else None)
        if f.n_communes == 0:
            continue
        rows.append({by: key, "value": f.value, "numerator": f.numerator, "denominator": f.denominator})
    return pd.DataFrame(rows, columns=[by, "value", "numerator", "denominator"])
