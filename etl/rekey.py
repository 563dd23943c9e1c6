"""Re-key older-vintage inputs to current COG commune codes (DESIGN.md, "Data rules").

Counts and populations are summed, rates are averaged weighted by their own denominator,
polygons are dissolved. Pure functions on DataFrames; the map comes from
:func:`etl.parsers.decoupage.build_rekey_map`.

Deterministic to the last bit: float sums over the rows of a current commune are exact
(:func:`math.fsum`, correctly rounded, hence independent of the order of the rows), so the same
inputs always give the same values, whatever order a parser or DuckDB returned the rows in.
"""
from __future__ import annotations

import math

import geopandas as gpd
import pandas as pd
import shapely


def apply_rekey(codes: pd.Series, rekey: dict[str, str]) -> tuple[pd.Series, list[str]]:
    """Return current codes and the sorted list of input codes that map to nothing."""
    mapped = codes.map(rekey)
    unknown = sorted(set(codes[mapped.isna()]))
    return mapped, unknown


def group_sums(df: pd.DataFrame, by: str, columns: list[str]) -> pd.DataFrame:
    """Σ of ``columns`` per value of ``by`` (one row per group, sorted by ``by``), as ``groupby.sum``
    (missing values skipped; a group of missing values sums to 0) but exact for floats: groups of
    several rows are summed with :func:`math.fsum`, so the result does not depend on row order.
    Integer columns are summed by pandas (integer sums are exact)."""
    floats = [c for c in columns if pd.api.types.is_float_dtype(df[c])]
    out = df.groupby(by, as_index=False, sort=True)[columns].sum()
    several = df[by].duplicated(keep=False)
    if floats and several.any():
        exact = (df.loc[several, [by, *floats]].groupby(by, sort=True)
                 .agg(lambda s: math.fsum(s.dropna())))
        out = out.set_index(by)
        out.loc[exact.index, floats] = exact[floats]
        out = out.reset_index()
    return out


def rekey_sum_and_weighted(df: pd.DataFrame, rekey: dict[str, str], *, code: str = "code",
                           sums: list[str], weighted: dict[str, str] | None = None,
                           first: list[str] | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Group rows by current code: ``sums`` are summed, each ``weighted`` column is averaged with
    the column it names as weight (e.g. APL weighted by standardised population), ``first`` keeps
    the first value (in input order: the one order-dependent option). Sums are exact
    (:func:`group_sums`). Rows whose code is unknown are dropped and reported.

    A group whose weights are all 0 keeps the plain mean of its values: the DREES publishes an APL
    for communes with a standardised population of 0 (60694, 85165, 85212 in 2023); that APL is
    kept for the commune, and weighs nothing in the aggregates."""
    weighted = weighted or {}
    first = first or []
    out = df.copy()
    out[code], unknown = apply_rekey(out[code], rekey)
    out = out[out[code].notna()]
    for col, weight in weighted.items():
        out[f"__w_{col}"] = out[col] * out[weight]
        # A missing rate must not count its weight in the denominator.
        out[f"__wd_{col}"] = out[weight].where(out[col].notna())
        out[f"__s_{col}"] = out[col]
        out[f"__n_{col}"] = out[col].notna().astype("int64")
    summed = [*sums, *(f"__{k}_{c}" for k in ("w", "wd", "s", "n") for c in weighted)]
    grouped = group_sums(out, code, summed)
    if first:
        firsts = out.groupby(code, as_index=False, sort=True)[first].first()
        grouped = grouped.merge(firsts, on=code, how="left")
    for col in weighted:
        den = grouped.pop(f"__wd_{col}")
        num = grouped.pop(f"__w_{col}")
        plain, count = grouped.pop(f"__s_{col}"), grouped.pop(f"__n_{col}")
        grouped[col] = (num / den).where(den > 0, (plain / count).where(count > 0))
    return grouped, unknown


def rekey_geometries(gdf: gpd.GeoDataFrame, rekey: dict[str, str], *, code: str = "code") -> tuple[gpd.GeoDataFrame, list[str]]:
    """Dissolve polygons of communes merged since the geometry's vintage into their current commune."""
    gdf = gdf.copy()
    gdf[code], unknown = apply_rekey(gdf[code], rekey)
    gdf = gdf[gdf[code].notna()]
    dup = gdf[code].duplicated(keep=False)
    if not dup.any():
        return gdf.reset_index(drop=True), unknown
    single = gdf[~dup]
    merged_rows = []
    for c, group in gdf[dup].groupby(code, sort=True):
        geoms = [g for g in group.geometry if g is not None and not g.is_empty]
        union = shapely.union_all(geoms) if geoms else None
        if union is not None and union.geom_type == "Polygon":
            union = shapely.MultiPolygon([union])
        sources = sorted({str(s) for s in group.get("geom_source", pd.Series(dtype=str)).dropna()})
        merged_rows.append({code: c, "geometry": union,
                            "geom_source": " + ".join(sources) + " (fusion)" if sources else "fusion"})
    merged = gpd.GeoDataFrame(merged_rows, geometry="geometry", crs=gdf.crs)
    out = pd.concat([single, merged], ignore_index=True)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=gdf.crs), unknown
