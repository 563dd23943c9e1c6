"""Reference levels (département, région, France) as the build stored them: computed from the
communes with the territories' own rule, or taken from the official publications where the commune
level is not open data (``source_id`` says which). Loaded once per build into a dictionary."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .db import BuildDB

LEVELS = ("departement", "region", "france")
FRANCE = "FR"


@dataclass(frozen=True)
class Reference:
    value: float | None
    numerator: float | None
    denominator: float | None
    source_id: str
    synthetic: bool


def _f(x):
    return None if x is None or pd.isna(x) else float(x)


class ReferenceStore:
    def __init__(self, db: BuildDB):
        df = db.query("SELECT indicator_id, level, code, year, value, numerator, denominator, source_id, synthetic "
                      "FROM reference_values")
        self._d: dict[tuple, Reference] = {}
        years: dict[str, set[int]] = {}
        for r in df.itertuples(index=False):
            self._d[(r.indicator_id, r.level, r.code, int(r.year))] = Reference(
                _f(r.value), _f(r.numerator), _f(r.denominator), r.source_id, bool(r.synthetic))
            years.setdefault(r.indicator_id, set()).add(int(r.year))
        self._years = {k: sorted(v) for k, v in years.items()}

    def years(self, indicator_id: str) -> list[int]:
        return list(self._years.get(indicator_id, []))

    def get(self, indicator_id: str, level: str, code: str | None, year: int | None) -> Reference | None:
        if code is None or year is None:
            return None
        return self._d.get((indicator_id, level, code, int(year)))

    def series(self, indicator_id: str, level: str, code: str | None) -> list[tuple[int, float | None]]:
        """(year, value) of one reference over every year it exists."""
        out = []
        for y in self.years(indicator_id):
            r = self.get(indicator_id, level, code, y)
            if r is not None:
                out.append((y, r.value))
        return out
