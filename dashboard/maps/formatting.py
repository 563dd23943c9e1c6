"""French number formatting: ``1 234,5`` (no-break space between thousands, decimal comma)."""
from __future__ import annotations

import math

from atlas.catalog import Indicator

NBSP = "\u00a0"
MISSING = "–"


def fmt_number(x, decimals: int = 1) -> str:
    """``1234.56`` -> ``'1 234,6'`` (decimals=1). None/NaN -> ``'–'``."""
    if x is None:
        return MISSING
    try:
        x = float(x)
    except (TypeError, ValueError):
        return MISSING
    if math.isnan(x) or math.isinf(x):
        return MISSING
    s = f"{x:,.{decimals}f}"
    return s.replace(",", "\u2009").replace(".", ",").replace("\u2009", NBSP)


def decimals_for(ind: Indicator) -> int:
    if ind.aggregation == "sum":
        return 0
    if ind.family == "accessibility":
        return 2
    return 1


def fmt_value(x, ind: Indicator, *, unit: bool = True) -> str:
    """A value with the indicator's precision and, by default, its unit: ``'4,58 consultations/…'``."""
    s = fmt_number(x, decimals_for(ind))
    if s == MISSING or not unit:
        return s
    return f"{s}{NBSP}{ind.unit}" if ind.unit.startswith("%") else f"{s} {ind.unit}"


def short_unit(ind: Indicator) -> str:
    """A compact unit for tight places (table headers, bar chart axis)."""
    if ind.family == "accessibility":
        return "consultations/an/hab. standardisé"
    if ind.family == "density":
        return "pour 10 000 hab."
    return ind.unit


def fmt_int(x) -> str:
    return fmt_number(x, 0)


# What numerator and denominator mean, by indicator family (hover text, commune panel).
_DETAIL = {
    "density": "{num} professionnels / {den} habitants",
    "accessibility": "population standardisée : {den}",
    "access_mt": "{num} patients sans médecin traitant / {den} patients",
    "prevention": "{num} / {den} personnes concernées",
}


def fmt_detail(ind: Indicator, numerator, denominator) -> str:
    """Numerator / denominator in words, or '' when nothing useful can be said."""
    tpl = _DETAIL.get(ind.family)
    if tpl is None:
        return ""
    if denominator is None or (isinstance(denominator, float) and math.isnan(denominator)):
        return ""
    return tpl.format(num=fmt_number(numerator, 0), den=fmt_number(denominator, 0))


# The same, split for the map's hover: a label (in the hover template, sent once) and the numbers
# (in customdata, sent per commune) - fewer bytes per interaction.
_DETAIL_LABEL = {
    "density": ("Professionnels / habitants", "{num} / {den}"),
    "accessibility": ("Population standardisée", "{den}"),
    "access_mt": ("Patients sans médecin traitant / patients", "{num} / {den}"),
    "prevention": ("Personnes concernées", "{num} / {den}"),
}


def detail_label(ind: Indicator) -> str | None:
    d = _DETAIL_LABEL.get(ind.family)
    return d[0] if d else None


def fmt_detail_numbers(ind: Indicator, numerator, denominator) -> str:
    d = _DETAIL_LABEL.get(ind.family)
    if d is None or denominator is None or (isinstance(denominator, float) and math.isnan(denominator)):
        return MISSING
    return d[1].format(num=fmt_number(numerator, 0), den=fmt_number(denominator, 0))
