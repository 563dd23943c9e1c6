"""Territory and reference figures as ratios of sums, never averages of commune rates.

Small numbers: when an indicator has a ``secret_threshold`` and the *aggregated* denominator is
below it, the figure is 'secret' (value None, ``secret=True``): never 0, never the raw value.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from atlas.catalog import Indicator


@dataclass(frozen=True)
class Figure:
    value: float | None
    numerator: float | None
    denominator: float | None
    secret: bool = False
    n_communes: int = 0           # communes with a value
    n_missing: int = 0            # communes of the area without a value


def _clean(x) -> float | None:
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else x


def aggregate(indicator: Indicator, numerators, denominators=None, *, n_expected: int | None = None) -> Figure:
    """Aggregate commune numerators/denominators with the indicator's rule."""
    num = pd.to_numeric(pd.Series(list(numerators), dtype="float64"), errors="coerce")
    den = pd.to_numeric(pd.Series(list(denominators) if denominators is not None else [None] * len(num),
                                  dtype="float64"), errors="coerce")
    if indicator.aggregation == "sum":
        ok = num.notna()
    else:
        ok = num.notna() & den.notna()
    n = int(ok.sum())
    missing = (n_expected - n) if n_expected is not None else int((~ok).sum())
    if n == 0:
        return Figure(None, None, None, False, 0, max(missing, 0))
    s_num = float(num[ok].sum())
    if indicator.aggregation == "sum":
        return Figure(s_num, s_num, None, False, n, max(missing, 0))
    s_den = float(den[ok].sum())
    if indicator.secret_threshold is not None and s_den < indicator.secret_threshold:
        return Figure(None, None, None, True, n, max(missing, 0))
    value = s_num / s_den * indicator.scale if s_den > 0 else None
    return Figure(value, s_num, s_den, False, n, max(missing, 0))


def aggregate_by(indicator: Indicator, values: pd.DataFrame, by: str) -> pd.DataFrame:
    """Group commune rows (``numerator``, ``denominator``, column ``by``) -> value per group, same rule."""
    df = values.copy()
    if indicator.aggregation == "sum":
        df = df[df["numerator"].notna()]
        g = df.groupby(by, as_index=False).agg(numerator=("numerator", "sum"))
        g["denominator"] = None
        g["value"] = g["numerator"]
        return g
    df = df[df["numerator"].notna() & df["denominator"].notna()]
    g = df.groupby(by, as_index=False).agg(numerator=("numerator", "sum"), denominator=("denominator", "sum"))
    g["value"] = (g["numerator"] / g["denominator"] * indicator.scale).where(g["denominator"] > 0)
    if indicator.secret_threshold is not None:
        secret = g["denominator"] < indicator.secret_threshold
        g.loc[secret, ["value", "numerator", "denominator"]] = None
    return g
