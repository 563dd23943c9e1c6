"""The one parser of numbers written by people and French software, used by every reader of files.

Accepted: ``1234``, ``1234.5``, ``1234,5``, ``1 234,5`` (space, no-break space U+00A0, narrow
no-break space U+202F or thin space U+2009 between thousands), ``1.234,5`` and ``1,234.5`` (the
last separator is the decimal one), ``-3,2`` / ``−3,2`` (U+2212 minus), ``+4``. Refused (ValueError):
anything else, ``nan``/``inf``, two decimal separators of the same kind with digits after the
last group other than three (``1,23,4``).
"""
from __future__ import annotations

import math
import re

_SPACES = re.compile(r"[ \u00a0\u202f\u2009\u2007]")
_PLAIN = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}([.,]\d{3})+([.,]\d*)?$")


def parse_number(text, *, empty=None) -> float | None:
    """``text`` -> float. Empty text (or None) -> ``empty``. Raises ValueError on anything else."""
    if text is None:
        return empty
    if isinstance(text, bool):
        raise ValueError(f"nombre attendu : {text!r}")
    if isinstance(text, (int, float)):
        v = float(text)
        if math.isnan(v) or math.isinf(v):
            raise ValueError(f"nombre attendu : {text!r}")
        return v
    s = _SPACES.sub("", str(text).strip()).replace("\u2212", "-")
    if s == "":
        return empty
    if _PLAIN.match(s):
        return float(s.replace(",", "."))
    if _GROUPED.match(s):
        body = s.lstrip("+-")
        seps = [c for c in body if c in ".,"]
        last = seps[-1]
        groups_sep = seps[0]
        if len(seps) > 1 and last != groups_sep:
            # "1.234,5" or "1,234.5": the last separator is the decimal one
            whole, _, frac = s.rpartition(last)
            return float(whole.replace(groups_sep, "") + "." + frac)
        # one kind only: "1.234.567" (groups) or "1,234" (ambiguous: French decimal comma wins)
        if len(seps) == 1:
            return float(s.replace(",", "."))
        return float(s.replace(groups_sep, ""))
    raise ValueError(f"nombre attendu : {text!r}")
