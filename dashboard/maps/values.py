"""Commune values of one indicator for the map, with a status per commune.

Status: ``ok`` (a value), ``secret`` (a patient-based share whose denominator is below the
indicator's ``secret_threshold``: never shown, never 0), ``missing`` (no row, or no value).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from . import cache

OK, SECRET, MISSING = "ok", "secret", "missing"
COLUMNS = ["code", "value", "numerator", "denominator", "year", "source_id", "synthetic", "status"]


def map_values(store, indicator_id: str, codes, year: int | None = None) -> pd.DataFrame:
    """One row per code (in the order given), columns :data:`COLUMNS`; secret values blanked."""
    ind = store.indicator(indicator_id)
    codes = list(codes)
    rows = cache.commune_values(store, indicator_id, codes, year) if codes else pd.DataFrame(columns=COLUMNS[:-1])
    rows = rows.astype({"code": object})
    df = pd.DataFrame({"code": pd.Series(codes, dtype=object)}).merge(rows, on="code", how="left")
    for col in ("value", "numerator", "denominator"):
        df[col] = pd.to_numeric(df[col], errors="coerce").astype("float64")
    status = np.where(df["value"].notna(), OK, MISSING).astype(object)
    if ind.secret_threshold is not None:
        secret = df["denominator"].notna() & (df["denominator"] < ind.secret_threshold)
        # A row present with nothing in it but flagged by the import as secret (value and numerator blank,
        # denominator blank too): the import format leaves secret cells empty; we cannot tell, so: missing.
        status = np.where(secret, SECRET, status)
        df.loc[secret, ["value", "numerator", "denominator"]] = np.nan
    df["status"] = status
    return df[COLUMNS]
