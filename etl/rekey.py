"""Re-key older-vintage inputs to current COG commune codes (DESIGN.md, "Data rules").

Counts and populations are summed, rates are averaged weighted by their own denominator,
polygons are dissolved. Pure functions on DataFrames; the map comes from
:func:`etl.parsers.decoupage.build_rekey_map`.
"""
from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely


def apply_rekey(codes: pd.Series, rekey: dict[str, str]) -> tuple[pd.Series, list[str]]:
    """Return current codes and the sorted list of input codes that map to nothing."""
    mapped = codes.map(rekey)
    unknown = sorted(set(codes[mapped.isna()]))
    return mapped, unknown


def rekey_sum_and_weighted(df: pd.DataFrame, rekey: dict[str, str], *, code: str = "code",
                           sums: list[str], weighted: dict[str, str] | None = None,
                           first: list[str] | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Group rows by current code: ``sums`` are summed, each ``weighted`` column is averaged with
    the column it names as weight (e.g. APL weighted by standardised population), ``first`` keeps
    the first value. Rows whose code is unknown are dropped and reported."""
    weighted = weighted or {}
    first = first or []
    out = df.copy()
    out[code], unknown = apply_rekey(out[code], rekey)
    out = out[out[code].notna()]
    for col, weight in weighted.items():
        out[f"__w_{col}"] = out[col] * out[weight]
        # A missing rate must not count its weight in the denominator.
        out[f"__wd_{col}"] = out[weight].where(out[col].notna())
    agg = {c: "sum" for c in sums}
    agg.update({f"__w_{c}": "sum" for c in weighted})
    agg.update({f"__wd_{c}": "sum" for c in weighted})
    agg.update({c: "first" for c in first})
    grouped = out.groupby(code, as_index=False, sort=True).agg(agg)
    for col in weighted:
        den = grouped.pop(f"__wd_{col}")
        num = grouped.pop(f"__w_{col}")
        grouped[col] = (num / den).where(den > 0)
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
