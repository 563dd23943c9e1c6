"""Communes: administrative data (Etalab) + polygons (IGN), re-keyed to current codes, to DuckDB and GeoParquet."""
from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely

from atlas import paths
from atlas.errors import AtlasError
from ..rekey import rekey_geometries

# Etalab découpage administratif 6.0.0 carries the populations légales 2023 (in force on 1 January 2026).
POPULATION_YEAR = 2023


def run(ctx) -> None:
    admin_src = ctx.resolve("communes_admin")
    admin = admin_src.read()
    ctx.rekey = admin.rekey
    ctx.postal = admin.postal
    communes = admin.communes.copy()

    if ctx.options.only and ctx.options.only not in ("communes_admin", "communes_geometry", "communes"):
        # Partial rebuild: commune tables are already in the copied database; only the
        # re-keying map and the commune list are needed by the other steps.
        ctx.communes = communes
        return

    geo_src = ctx.resolve("communes_geometry")
    geom = geo_src.read()
    geom, unknown = rekey_geometries(geom, admin.rekey)
    if unknown:
        ctx.warnings.append(f"Géométries : {len(unknown)} code(s) absents du COG courant ignorés : "
                            f"{', '.join(unknown[:20])}{' …' if len(unknown) > 20 else ''}")
    communes = communes.merge(geom[["code", "geom_source", "geometry"]], on="code", how="left")
    communes["has_geometry"] = communes["geometry"].notna()
    without = sorted(communes.loc[~communes["has_geometry"], "code"])
    geo_message = None
    if without:
        geo_message = f"{len(without)} commune(s) sans géométrie : {', '.join(without)}"
        ctx.warnings.append(geo_message + " (présentes dans les tables, absentes des cartes)")
    gdf = gpd.GeoDataFrame(communes, geometry="geometry", crs=4326)
    if gdf.empty or gdf["has_geometry"].sum() == 0:
        raise AtlasError(f"{geo_src.path.name} : aucune géométrie de commune exploitable")

    has = gdf["has_geometry"].to_numpy()
    pts = shapely.point_on_surface(gdf.geometry.to_numpy()[has])
    bounds = shapely.bounds(gdf.geometry.to_numpy())
    gdf["lon"], gdf["lat"] = None, None
    gdf.loc[has, "lon"] = shapely.get_x(pts)
    gdf.loc[has, "lat"] = shapely.get_y(pts)
    for i, c in enumerate(("xmin", "ymin", "xmax", "ymax")):
        gdf[c] = bounds[:, i]

    con = ctx.con
    for table in ("regions", "departements", "epci", "communes"):
        con.execute(f"DELETE FROM {table}")
    for table, frame in (("regions", admin.regions), ("departements", admin.departements), ("epci", admin.epci)):
        con.register("__t", frame)
        con.execute(f"INSERT INTO {table} SELECT * FROM __t")
        con.unregister("__t")
    table = pd.DataFrame(gdf.drop(columns="geometry"))
    table["lon"] = table["lon"].astype("float64")
    table["lat"] = table["lat"].astype("float64")
    con.register("__c", table)
    con.execute("""INSERT INTO communes SELECT code, nom, departement, region, epci, population, has_geometry,
                   geom_source, lon, lat, xmin, ymin, xmax, ymax FROM __c""")
    con.unregister("__c")

    ctx.record_source(admin_src)
    ctx.record_source(geo_src, message=geo_message)
    pop = communes[communes["population"].notna()]
    ctx.replace_commune_values(["population"], pd.DataFrame({
        "indicator_id": "population", "code": pop["code"], "year": POPULATION_YEAR,
        "value": pop["population"].astype("float64"), "numerator": pop["population"].astype("float64"),
        "denominator": None, "source_id": admin_src.source.id, "synthetic": False}))

    write_geoparquet(gdf[gdf["has_geometry"]], ctx.staging)
    ctx.communes = communes.drop(columns="geometry")


def write_geoparquet(gdf: gpd.GeoDataFrame, staging) -> None:
    """Full-resolution GeoParquet, sorted by département so a département's communes sit together
    (cheap filtered reads). The web geometry (TopoJSON and ``communes_web.parquet``) is derived from
    it by the next step, ``etl/steps/web_geometry.py``."""
    cols = ["code", "nom", "departement", "region", "epci", "population", "geometry"]
    out = gdf[cols].sort_values(["departement", "code"]).reset_index(drop=True)
    out["population"] = out["population"].astype("float64")
    out.to_parquet(staging / paths.COMMUNES_FULL_FILE, index=False, write_covering_bbox=True,
                   row_group_size=2000)
