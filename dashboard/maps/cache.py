"""Fast read-through cache over :class:`etl.store.Store` for the interactive pages.

A build never changes once swapped in, so everything read from it can be kept per build directory:
the commune values of an indicator and year (one query, then dictionary lookups), the years of
each indicator, the reference values, the built-in territories. An interaction then costs
milliseconds instead of a dozen DuckDB queries (each ~5-20 ms on a loaded 2-core machine).
User territories are re-read when their files change (they are edited from the browser), and
imported CPAM tables (``Store`` merges them into ``temp.main.all_values``) are part of the key:
a new import invalidates the cached values.

Figures follow the same rules as the store (``etl.aggregate.aggregate``: ratio of sums, secret
threshold applied after aggregation), so a number here equals ``python -m etl summary``'s.
"""
from __future__ import annotations

import threading
from functools import lru_cache

import pandas as pd

from etl.aggregate import aggregate
from etl.store import LEVELS
from atlas.userdata.territories import territories_dir

VALUE_COLUMNS = ["code", "value", "numerator", "denominator", "year", "source_id", "synthetic"]
_lock = threading.Lock()
_stores: dict[str, object] = {}   # build dir -> Store, for the lru-cached functions keyed by build dir


def _key(store) -> str:
    """Build directory + version of the imported tables (the store re-lists its import directory)."""
    refresh = getattr(store, "_refresh_imports", None)
    if refresh is not None:
        refresh()
    sig = getattr(store, "_imports_sig", None)
    k = f"{store.build_dir}|{hash(tuple(sorted(sig))) if sig else 0}"
    _stores[k] = store
    return k


def _values_table(store) -> str:
    return "temp.main.all_values" if hasattr(store, "_refresh_imports") else "commune_values"


@lru_cache(maxsize=16)
def _years_table(build: str) -> dict[str, list[int]]:
    store = _stores[build]
    df = store.query(f"SELECT DISTINCT indicator_id, year FROM {_values_table(store)} "
                     "UNION SELECT DISTINCT indicator_id, year FROM reference_values")
    out: dict[str, list[int]] = {}
    for ind, y in df.itertuples(index=False):
        out.setdefault(ind, []).append(int(y))
    return {k: sorted(v) for k, v in out.items()}


def years(store, indicator_id: str) -> list[int]:
    return _years_table(_key(store)).get(indicator_id, [])


def pick_year(store, indicator_id: str, year: int | None) -> int | None:
    ys = years(store, indicator_id)
    if not ys:
        return None
    return year if year in ys else ys[-1]


@lru_cache(maxsize=96)
def _rows(build: str, indicator_id: str, year: int) -> tuple[pd.DataFrame, dict[str, int]]:
    store = _stores[build]
    df = store.query("SELECT code, value, numerator, denominator, year, source_id, synthetic "
                     f"FROM {_values_table(store)} WHERE indicator_id = ? AND year = ? ORDER BY code",
                     [indicator_id, year])
    return df, {c: i for i, c in enumerate(df["code"].tolist())}


def commune_values(store, indicator_id: str, codes, year: int | None = None) -> pd.DataFrame:
    """Like ``Store.raw_commune_values``: rows as stored (imports included, NOT masked: aggregate them,
    or mask with :func:`dashboard.maps.values.map_values` before display), sorted by code."""
    year = pick_year(store, indicator_id, year)
    if year is None:
        return pd.DataFrame(columns=VALUE_COLUMNS)
    rows, position = _rows(_key(store), indicator_id, year)
    pos = sorted({position[c] for c in codes if c in position})
    return rows.iloc[pos].reset_index(drop=True)


@lru_cache(maxsize=16)
def _references(build: str) -> dict:
    df = _stores[build].query("SELECT indicator_id, level, code, year, value FROM reference_values")
    return {(r.indicator_id, r.level, r.code, int(r.year)): (None if pd.isna(r.value) else float(r.value))
            for r in df.itertuples(index=False)}


def reference(store, indicator_id: str, level: str, code: str | None, year: int | None) -> float | None:
    if code is None or year is None:
        return None
    return _references(_key(store)).get((indicator_id, level, code, int(year)))


@lru_cache(maxsize=16)
def _builtin_territories(build: str) -> tuple:
    return tuple(t for t in _stores[build].territories() if t.kind != "user")


def _user_fingerprint() -> tuple:
    d = territories_dir()
    if not d.is_dir():
        return ()
    return tuple(sorted((p.name, p.stat().st_mtime_ns) for p in d.iterdir() if p.is_file()))


_user_cache: dict = {}


def territories(store) -> list:
    """``Store.territories()`` with the built-in part cached per build; user files re-read when changed."""
    fp = _user_fingerprint()
    key = (_key(store), fp)
    with _lock:
        hit = _user_cache.get(key)
    if hit is not None:
        return list(hit)
    builtin = list(_builtin_territories(_key(store)))
    out = builtin + ([t for t in store.territories() if t.kind == "user"] if fp else [])
    with _lock:
        _user_cache.clear()
        _user_cache[key] = tuple(out)
    return out


def territory(store, territory_id: str):
    for t in territories(store):
        if t.id == territory_id:
            return t
    return store.territory(territory_id)   # raises UnknownTerritory with the store's message


def entry(store, indicator_id: str, codes, departement: str | None, year: int | None) -> dict:
    """The subset of ``Store.indicator_entry`` the pages show: value (or secret), year, references."""
    ind = store.indicator(indicator_id)
    codes = list(codes)
    y = pick_year(store, indicator_id, year)
    rows = commune_values(store, indicator_id, codes, y) if y is not None else pd.DataFrame(columns=VALUE_COLUMNS)
    fig = aggregate(ind, rows["numerator"], rows["denominator"], n_expected=len(codes))
    refs = store.reference_codes(departement)
    source_ids = sorted(set(rows["source_id"].dropna())) if not rows.empty else []
    return {
        "id": ind.id, "label": ind.label, "unit": ind.unit, "year": y, "available": y is not None,
        "value": fig.value, "numerator": fig.numerator, "denominator": fig.denominator, "secret": fig.secret,
        "communes_with_value": fig.n_communes, "communes_without_value": fig.n_missing,
        "synthetic": bool(rows["synthetic"].fillna(False).astype(bool).any()) if not rows.empty else False,
        "source": "; ".join(filter(None, (store.source_label(s) for s in source_ids))) or None,
        "reference": {lvl: reference(store, indicator_id, lvl, refs[lvl], y) for lvl in LEVELS},
        "reference_codes": refs,
    }


def clear() -> None:
    """Forget everything (tests)."""
    for f in (_years_table, _rows, _references, _builtin_territories):
        f.cache_clear()
    _user_cache.clear()
    _stores.clear()


