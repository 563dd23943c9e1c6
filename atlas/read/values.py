"""Commune values of one indicator and year as arrays aligned on the commune order.

The build's ``commune_values`` rows, with the user's imported rows merged over them (an imported
row wins for the same commune), become five arrays of the length of France (value, numerator,
denominator, has-a-value, synthetic) plus a source per commune. A territory's figure is then a
gather and a sum; a national map a few vector operations. Arrays are read-only once built.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .communes import CommuneIndex


@dataclass(frozen=True)
class ValueArrays:
    indicator_id: str
    year: int
    value: np.ndarray          # float64, NaN where no value
    numerator: np.ndarray
    denominator: np.ndarray
    has: np.ndarray            # bool: a row exists with a value (or numerator)
    synthetic: np.ndarray      # bool
    source: np.ndarray         # int16 index into ``sources`` (-1: none)
    sources: tuple[str, ...]

    def source_ids(self, pos: np.ndarray) -> list[str]:
        idx = sorted({int(i) for i in np.unique(self.source[pos]) if i >= 0})
        return [self.sources[i] for i in idx]


def _column(frame, name: str, fill) -> np.ndarray:
    """A column of a DataFrame or of DuckDB's ``fetchnumpy`` dict as a plain array (NULL -> ``fill``)."""
    x = frame[name]
    if isinstance(x, np.ma.MaskedArray):
        return x.filled(fill)
    if isinstance(x, pd.Series):
        if fill is False:
            return x.fillna(False).astype(bool).to_numpy()
        if isinstance(fill, float):
            return pd.to_numeric(x, errors="coerce").to_numpy(dtype="float64")
        return x.astype(str).to_numpy(dtype=object)
    return np.asarray(x)


def build_arrays(indicator_id: str, year: int, built, imported: pd.DataFrame, communes: CommuneIndex) -> ValueArrays:
    """``built`` / ``imported``: rows (code, value, numerator, denominator, source_id, synthetic) of
    this indicator and year — a DataFrame or DuckDB's ``fetchnumpy`` columns —; imported rows override
    built rows of the same commune."""
    n = len(communes)
    value = np.full(n, np.nan)
    num = np.full(n, np.nan)
    den = np.full(n, np.nan)
    has = np.zeros(n, dtype=bool)
    syn = np.zeros(n, dtype=bool)
    src = np.full(n, -1, dtype=np.int16)
    sources: list[str] = []
    # Column operations only (positions by binary search, :meth:`CommuneIndex.locate`; sources by factorize):
    # a Python step per row made the first read of an (indicator, year) ~70 ms, paid by the explorer's
    # callbacks for every (indicator, year) not shown yet (bench/bench_national_map.py, recolours of a
    # CPTS: target 40 ms p95). Numpy columns from DuckDB and a binary search over the sorted codes
    # took it from ~23 to ~15 ms (pandas' get_indexer on object codes alone was ~12 ms).
    for frame in (built, imported):
        if frame is None or not (len(frame) if isinstance(frame, pd.DataFrame) else len(frame["code"])):
            continue
        pos = communes.locate(frame["code"])
        keep = pos >= 0
        if not keep.any():
            continue
        p = pos[keep]
        value[p] = _column(frame, "value", np.nan)[keep]
        num[p] = _column(frame, "numerator", np.nan)[keep]
        den[p] = _column(frame, "denominator", np.nan)[keep]
        has[p] = ~np.isnan(value[p]) | ~np.isnan(num[p])
        syn[p] = _column(frame, "synthetic", False)[keep]
        found, uniques = pd.factorize(pd.Series(_column(frame, "source_id", "")[keep], dtype=object).astype(str),
                                      use_na_sentinel=False)                     # first-seen order
        for s_ in uniques:
            if s_ not in sources:
                sources.append(s_)
        src[p] = np.asarray([sources.index(s_) for s_ in uniques], dtype=np.int16)[found]
    for a in (value, num, den, has, syn, src):
        a.setflags(write=False)
    return ValueArrays(indicator_id, int(year), value, num, den, has, syn, src, tuple(sources))


class LRU:
    """A small bounded mapping, least recently used out first. Values are immutable: two threads
    missing the same key at once only compute it twice."""

    def __init__(self, size: int):
        self.size = size
        self._d: dict = {}
        self._lock = threading.Lock()

    def get(self, key, make):
        with self._lock:
            if key in self._d:
                v = self._d.pop(key)
                self._d[key] = v
                return v
        v = make()
        with self._lock:
            self._d[key] = v
            while len(self._d) > self.size:
                self._d.pop(next(iter(self._d)))
        return v

    def clear(self) -> None:
        with self._lock:
            self._d.clear()


class ValueStore:
    """Per (indicator, year) arrays of the build's commune values with the imports merged over them,
    cached per imports signature; the years each indicator has commune values for."""

    ARRAYS_CACHED = 64      # ~35k communes × 6 arrays ≈ 1.3 MB each: ≤ ~85 MB per worker

    def __init__(self, db, communes: CommuneIndex, userdata):
        self._db = db
        self._communes = communes
        self._userdata = userdata
        self._cache = LRU(self.ARRAYS_CACHED)
        self._presence = LRU(self.ARRAYS_CACHED)
        self._built_years: dict[str, list[int]] = {}
        for ind, y in db.rows("SELECT DISTINCT indicator_id, year FROM commune_values ORDER BY 1, 2"):
            self._built_years.setdefault(ind, []).append(int(y))

    def years(self, indicator_id: str) -> list[int]:
        """Years with commune values (build or imports), ascending."""
        ys = set(self._built_years.get(indicator_id, []))
        imp = self._userdata.imported_rows()
        if not imp.empty:
            ys |= {int(y) for y in imp.loc[imp["indicator_id"] == indicator_id, "year"].unique()}
        return sorted(ys)

    def arrays(self, indicator_id: str, year: int) -> ValueArrays:
        sig = self._userdata.imports_signature()
        return self._cache.get((indicator_id, int(year), sig), lambda: self._load(indicator_id, int(year)))

    def presence(self, indicator_id: str) -> tuple[tuple[int, ...], np.ndarray]:
        """(years, has): ``has[k, i]`` tells whether commune ``i`` (commune order) has a value in
        ``years[k]`` — the ``has`` of :meth:`arrays` for every year at once, by the same rule (a value
        or a numerator; an imported row replaces the built row of its commune and year).

        One query for all the years of an indicator, codes and years only: ~20 ms once, where asking
        :meth:`arrays` of every year to know which years a territory has (``Atlas.years_for``, run by
        the explorer's ``_state`` at every change of indicator) read them all, ~23 ms a year, before
        the map needed one (bench/compare_explorer.py: a CPTS's p95 of 200 ms per interaction, mostly
        this)."""
        sig = self._userdata.imports_signature()
        return self._presence.get((indicator_id, sig), lambda: self._load_presence(indicator_id))

    def _load_presence(self, indicator_id: str) -> tuple[tuple[int, ...], np.ndarray]:
        years = np.asarray(self.years(indicator_id), dtype=np.int64)
        has = np.zeros((len(years), len(self._communes)), dtype=bool)
        # numpy columns straight from DuckDB and codes placed by a binary search over the sorted codes:
        # a DataFrame and pandas' get_indexer took ~25 of the ~40 ms (70,000 rows for two years)
        sql = ("SELECT year, code FROM commune_values WHERE indicator_id = ? AND ((value IS NOT NULL AND NOT "
               "isnan(value)) OR (numerator IS NOT NULL AND NOT isnan(numerator)))")
        built = self._db.with_connection(lambda con: con.execute(sql, [indicator_id]).fetchnumpy())

        def put(frame, flag: bool) -> None:
            pos = self._communes.locate(frame["code"])
            row = np.searchsorted(years, np.asarray(frame["year"], dtype=np.int64))
            keep = pos >= 0
            has[row[keep], pos[keep]] = flag

        put(built, True)
        imp = self._userdata.imported_rows()
        if not imp.empty:
            imp = imp[imp["indicator_id"] == indicator_id]
            if not imp.empty:
                put(imp, False)              # the imported row replaces the built one, with or without a value
                value = pd.to_numeric(imp["value"], errors="coerce")
                num = pd.to_numeric(imp["numerator"], errors="coerce")
                put(imp[(value.notna() | num.notna()).to_numpy()], True)
        has.setflags(write=False)
        return tuple(int(y) for y in years), has

    def _load(self, indicator_id: str, year: int) -> ValueArrays:
        sql = ("SELECT code, value, numerator, denominator, source_id, synthetic FROM commune_values "
               "WHERE indicator_id = ? AND year = ?")
        built = self._db.with_connection(lambda con: con.execute(sql, [indicator_id, year]).fetchnumpy())
        imp = self._userdata.imported_rows()
        if not imp.empty:
            imp = imp[(imp["indicator_id"] == indicator_id) & (imp["year"] == year)]
        return build_arrays(indicator_id, year, built, imp, self._communes)
