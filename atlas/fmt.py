"""The one French formatter: every number, value, unit and count shown by the pages, the exports and
the CLI goes through here.

Conventions (Imprimerie nationale / INSEE usage):
  * thousands separated by a narrow no-break space (U+202F), decimal comma: ``12 345,6``;
  * a value is written with its indicator's precision (``Indicator.decimals``) and, where asked,
    its unit after a no-break space: ``4,58 consult./hab. std/an``; percentages ``12,3 %``;
  * a hidden small number is written ``secret statistique``, a missing one ``donnée indisponible``
    (never 0, never a dash that a reader could take for zero);
  * plurals follow French rules: 0 and 1 take the singular (``0 commune``, ``1 commune``,
    ``2 communes``);
  * signed changes use the minus sign U+2212: ``+1,2`` / ``−0,5``.

The browser formats map tooltips itself (``dashboard/assets/atlas_map.js``) with the same rules
from :func:`js_spec`; a browser test checks that both write the same text.
"""
from __future__ import annotations

import math

from .catalog import Indicator

NNBSP = "\u202f"         # narrow no-break space: thousands separator, before % and units
NBSP = "\u00a0"
MINUS = "\u2212"
UNAVAILABLE = "donnée indisponible"
SECRET = "secret statistique"
SYNTHETIC = "DONNÉES FICTIVES (démonstration)"


def _finite(x) -> float | None:
    if x is None or isinstance(x, bool):
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) or math.isinf(v) else v


def number(x, decimals: int = 0, *, missing: str = UNAVAILABLE) -> str:
    """``1234.56`` -> ``'1 234,6'`` (decimals=1); None/NaN -> ``missing``."""
    v = _finite(x)
    if v is None:
        return missing
    s = f"{abs(v):,.{decimals}f}".replace(",", NNBSP).replace(".", ",")
    negative = v < 0 and s.strip("0,\u202f") != ""
    return (MINUS if negative else "") + s


def integer(x, *, missing: str = UNAVAILABLE) -> str:
    return number(x, 0, missing=missing)


def signed(x, decimals: int = 1, *, missing: str = UNAVAILABLE) -> str:
    """A change: ``+1,2`` / ``−0,5`` / ``0,0``."""
    v = _finite(x)
    if v is None:
        return missing
    s = number(v, decimals)
    return s if s.startswith(MINUS) or s.strip("0,") == "" else "+" + s


def percent(x, decimals: int = 1, *, missing: str = UNAVAILABLE) -> str:
    v = _finite(x)
    return missing if v is None else f"{number(v, decimals)}{NNBSP}%"


def with_unit(text: str, unit: str) -> str:
    if not unit:
        return text
    return f"{text}{NNBSP}%" if unit == "%" else f"{text}{NBSP}{unit}"


def value(x, ind: Indicator, *, unit: str | bool = False, secret: bool = False) -> str:
    """A value of ``ind`` at its precision. ``unit``: False (none), True/'short' (short unit),
    'long' (the full unit)."""
    if secret:
        return SECRET
    v = _finite(x)
    if v is None:
        return UNAVAILABLE
    s = number(v, ind.decimals)
    if not unit:
        return s
    u = ind.unit if unit == "long" else ind.short_unit
    if u.startswith("%"):
        return f"{s}{NNBSP}%"
    if abs(v) < 2:                                 # "1 maison de santé", "0 centre de santé"
        u = unit_singular(ind, u)
    return with_unit(s, u)


def unit_singular(ind: Indicator, u: str) -> str:
    """The unit of a count for 0 and 1 (French singular): "centres de santé" -> "centre de santé";
    acronyms ("MSP") and units of rates ("pour 10 000 habitants") are left as they are."""
    if ind.family != "count":
        return u
    first, sep, rest = u.partition(" ")
    if first.endswith("s") and not first.isupper():
        first = first[:-1]
    return first + sep + rest


def entry(e: dict | None, ind: Indicator, *, unit: str | bool = False) -> str:
    """The value of a figure (an ``entry`` of the read model): secret, unavailable or the number."""
    if e is None:
        return UNAVAILABLE
    return value(e.get("value"), ind, unit=unit, secret=bool(e.get("secret")))


def reference(e: dict | None, level: str, ind: Indicator, *, unit: str | bool = False) -> str:
    if e is None:
        return UNAVAILABLE
    return value((e.get("reference") or {}).get(level), ind, unit=unit)


def change(a, b, ind: Indicator) -> str:
    """Change between two values of ``ind`` (b - a), signed, at the indicator's precision."""
    va, vb = _finite(a), _finite(b)
    if va is None or vb is None:
        return UNAVAILABLE
    return signed(vb - va, ind.decimals)


def detail(ind: Indicator, numerator, denominator) -> str:
    """Numerator / denominator in words (``12 / 3 400``), or '' when the indicator has none."""
    if ind.detail is None or _finite(denominator) is None:
        return ""
    return ind.detail[1].format(num=integer(numerator), den=integer(denominator))


def plural(n, singular: str, plural_form: str | None = None, *, decimals: int = 0) -> str:
    """``plural(2, 'commune')`` -> ``'2 communes'``; 0 and 1 take the singular, as in French."""
    v = _finite(n)
    word = singular if v is None or abs(v) < 2 else (plural_form or _plural_of(singular))
    return f"{number(n, decimals)}{NBSP}{word}"


def _plural_of(word: str) -> str:
    parts = word.split(" ")
    head = parts[0]
    if head.endswith(("s", "x", "z")):
        pass
    elif head.endswith("al"):
        head = head[:-2] + "aux"
    else:
        head += "s"
    return " ".join([head, *parts[1:]])


def threshold_text(ind: Indicator, t=None) -> str:
    """``seuil de sous-densité médicale (DREES) : APL < 2,5`` for the indicator's (first) threshold."""
    t = t or (ind.thresholds[0] if ind.thresholds else None)
    if t is None:
        return ""
    short = "APL" if ind.family == "accessibility" else "accessibilité"
    return f"{t.label} : {short} < {number(t.value, max(1, _decimals_needed(t.value)))}"


def threshold_value(t) -> str:
    return number(t.value, max(1, _decimals_needed(t.value)))


def _decimals_needed(x: float) -> int:
    s = f"{x:.6f}".rstrip("0")
    return len(s.split(".")[1]) if "." in s else 0


def date(iso: str | None) -> str:
    """``2024-07-17`` -> ``17/07/2024`` (anything else is returned as given)."""
    if not iso:
        return UNAVAILABLE
    s = str(iso)[:10]
    if len(s) == 10 and s[4] == "-" and s[7] == "-":
        return f"{s[8:10]}/{s[5:7]}/{s[0:4]}"
    return str(iso)


def csv_number(x, decimals: int = 6) -> str:
    """A number for a French spreadsheet cell: decimal comma, no thousands separator, no rounding
    beyond ``decimals``; '' when missing."""
    v = _finite(x)
    if v is None:
        return ""
    if float(v).is_integer():
        return str(int(v))
    s = f"{round(v, decimals):.{decimals}f}".rstrip("0").rstrip(".")
    return s.replace(".", ",")


def js_spec() -> dict:
    """What the browser needs to format like :func:`number` and :func:`value` (map tooltips)."""
    return {"group": NNBSP, "decimal": ",", "minus": MINUS, "unavailable": UNAVAILABLE, "secret": SECRET,
            "nbsp": NBSP}


def unit_for_js(ind: Indicator) -> dict:
    return {"decimals": ind.decimals, "unit": ind.short_unit, "unit_one": unit_singular(ind, ind.short_unit),
            "percent": ind.short_unit.startswith("%")}
