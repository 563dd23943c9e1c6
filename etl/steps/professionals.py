"""Professionals (RPPS): headcounts -> all-modes densities per commune and per area; BPE practice
locations -> locations.parquet.

Densities of this step: ``density_<prof>`` (all modes, every profession) and the libéral density of
the professions the BPE does not count by commune (``density_pharma_liberal``: pharmaciens titulaires);
the libéral densities of the BPE professions come from INSEE BPE (etl/steps/bpe.py). Commune values
are stored as numerator = distinct professionals, denominator = population municipale. Communes of a
département the RPPS file covers get a value (0 when no professional practises there); départements
absent from the file (a demo file covers five) get none.

References (département, région, France) of these densities are written here, not by the references
step: a professional is counted **once per area** (distinct persons over the area's practice sites),
which adding commune counts would not do (a GP with two cabinets in two communes of the Rhône is one
GP of the Rhône). The person-level table ``professional_sites`` lets the read model count any set of
communes the same way.
"""
from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from atlas import fmt, paths
from .. import schema
from atlas.catalog import BPE_PROFESSIONS, CATALOG, PROFESSIONS, density_id
from ..parsers.rpps import distinct_counts_sql
from ..sources import extract_member
from .communes import POPULATION_YEAR
from .levels import LEVEL_COLUMNS, covered_areas, with_levels

# indicator id -> (profession, mode of professionals_by_commune): what this step writes.
RPPS_DENSITIES = {**{density_id(p): (p, "all") for p in PROFESSIONS},
                  **{density_id(p, "liberal"): (p, "liberal") for p in PROFESSIONS if p not in BPE_PROFESSIONS}}
# Their references come from this step (distinct persons per area); the references step leaves them.
PERSON_REFERENCE_INDICATORS = frozenset(RPPS_DENSITIES)
RPPS_SOURCE = "rpps_personne_activite"

PROFESSIONALS_DDL = schema.DDL[schema.DDL.index("CREATE TABLE professionals_by_commune"):
                               schema.DDL.index("CREATE TABLE published_figures")]
LOCATION_COLUMNS = [("id", pa.string()), ("profession", pa.string()), ("type_code", pa.string()),
                    ("label", pa.string()), ("code", pa.string()), ("lon", pa.float64()), ("lat", pa.float64()),
                    ("year", pa.int32()), ("source_id", pa.string()), ("synthetic", pa.bool_())]
LOCATIONS_SCHEMA = pa.schema(LOCATION_COLUMNS)


def _unzip(ctx, resolved, pattern):
    if resolved.path.suffix.lower() == ".zip":
        return extract_member(resolved.path, pattern, ctx.cache_dir / resolved.source.id / "extracted")
    return resolved.path


def run(ctx) -> None:
    con = ctx.con
    con.execute(PROFESSIONALS_DDL.replace("CREATE TABLE", "CREATE TABLE IF NOT EXISTS"))
    only = ctx.options.only
    if only != "insee_bpe":                 # --only insee_bpe keeps the copied RPPS tables
        run_rpps(ctx)
    if only != "rpps_personne_activite":    # --only rpps_personne_activite keeps the copied locations
        run_bpe(ctx)


def run_rpps(ctx) -> None:
    con = ctx.con
    ids = list(RPPS_DENSITIES)
    for table in ("professionals_by_commune", "professional_sites"):
        con.execute(f"DELETE FROM {table}")
    con.execute("DELETE FROM commune_values WHERE list_contains(?, indicator_id)", [ids])
    con.execute("DELETE FROM reference_values WHERE source_id = ?", [RPPS_SOURCE])
    src = ctx.resolve_or_demo(RPPS_SOURCE)
    if src is None:
        return
    synthetic = src.resolved_from == "demo" or src.source.synthetic
    path = _unzip(ctx, src, "*personne_activite*.txt")
    communes = ctx.communes
    population = dict(zip(communes["code"], communes["population"].astype("float64")))
    res = src.read(path, rekey=ctx.rekey, postal=ctx.postal, population=population)
    counts = res.counts
    tag = {"year": res.year, "source_id": src.source.id, "synthetic": synthetic}
    _insert(con, "professionals_by_commune",
            counts.assign(**tag)[["code", "profession", "mode", "year", "count", "source_id", "synthetic"]])
    _insert(con, "professional_sites",
            res.sites.assign(**tag)[["person", "profession", "mode", "code", "year", "source_id", "synthetic"]])

    dep_of = dict(zip(communes["code"], communes["departement"]))
    covered = {dep_of[c] for c in counts["code"] if c in dep_of}
    base = communes[communes["departement"].isin(covered) & communes["population"].notna()][["code", "population"]]
    base = base.assign(population=base["population"].astype("float64"))
    frames = []
    for iid, (prof, mode) in RPPS_DENSITIES.items():
        c = counts[(counts["profession"] == prof) & (counts["mode"] == mode)][["code", "count"]]
        df = base.merge(c, on="code", how="left")
        df["count"] = df["count"].fillna(0).astype("float64")
        value = (df["count"] / df["population"] * CATALOG[iid].scale).where(df["population"] > 0)
        frames.append(pd.DataFrame({
            "indicator_id": iid, "code": df["code"], "year": res.year, "value": value,
            "numerator": df["count"], "denominator": df["population"], "source_id": src.source.id,
            "synthetic": synthetic}))
    ctx.replace_commune_values(ids, pd.concat(frames, ignore_index=True))
    refs = person_references(con, communes, covered, year=res.year, source_id=src.source.id, synthetic=synthetic)
    _insert(con, "reference_values", refs)
    st = res.stats
    n = {k: fmt.integer(v) for k, v in st.items() if isinstance(v, int) and not isinstance(v, bool)}
    msg = (f"{n['rows']} lignes lues, {n['professionals']} professionnels retenus (6 professions) ; "
           f"population {POPULATION_YEAR} ; {n['postal_fallback']} ligne(s) localisée(s) par le code postal"
           f" (dont {n['postal_ambiguous']} code(s) postal(aux) partagé(s) : commune la plus peuplée) ; "
           f"{n['no_location']} sans localisation ; {n['unknown_commune']} à code commune inconnu"
           f"{' (' + ', '.join(st['unknown_commune_codes'][:10]) + ')' if st['unknown_commune_codes'] else ''} ; "
           f"{n['duplicate_rows']} ligne(s) répétant un professionnel déjà compté dans la même commune (plusieurs sites) ; "
           f"références départementales, régionales et nationales : professionnels distincts par territoire ; "
           f"départements couverts : {', '.join(sorted(covered))}")
    if not st["has_pharmacy_section"]:
        msg += " ; colonne « Code section tableau pharmaciens » absente : tous les pharmaciens comptés"
        ctx.warnings.append("RPPS : section du tableau des pharmaciens absente, pharma = tous les pharmaciens")
    ctx.record_source(src, synthetic=synthetic, message=msg)


def person_references(con, communes: pd.DataFrame, covered: set[str], *, year: int, source_id: str,
                      synthetic: bool) -> pd.DataFrame:
    """Reference rows of RPPS_DENSITIES: distinct professionals of each covered area (from
    ``professional_sites``, :func:`~etl.parsers.rpps.distinct_counts_sql`) over its population."""
    areas = covered_areas(communes, covered)
    levels = with_levels(communes[communes["departement"].isin(covered)])
    levels = levels[["code", "departement", "region", "france", "population"]]
    con.register("__levels", levels)
    frames = []
    try:
        for level, column in LEVEL_COLUMNS.items():
            if not areas[level]:
                continue
            # professional_sites holds this extraction only (emptied at the start of the step)
            sites = f"""(SELECT s.person, s.profession, s.mode, l.{column} AS area_code
                         FROM professional_sites s JOIN __levels l USING (code))"""
            n = con.execute(distinct_counts_sql(sites, "area_code")).df()
            pop = levels.groupby(column, as_index=False)["population"].sum().rename(columns={column: "area"})
            for iid, (prof, mode) in RPPS_DENSITIES.items():
                g = pop[pop["area"].isin(areas[level])].merge(
                    n[(n["profession"] == prof) & (n["mode"] == mode)][["area", "count"]], on="area", how="left")
                num = g["count"].fillna(0).astype("float64")
                den = g["population"].astype("float64")
                frames.append(pd.DataFrame({
                    "indicator_id": iid, "level": level, "code": g["area"], "year": int(year),
                    "value": (num / den * CATALOG[iid].scale).where(den > 0), "numerator": num, "denominator": den,
                    "source_id": source_id, "synthetic": synthetic}))
    finally:
        con.unregister("__levels")
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _insert(con, table: str, frame: pd.DataFrame) -> None:
    if frame.empty:
        return
    con.register("__rows", frame)
    con.execute(f"INSERT INTO {table} SELECT * FROM __rows")
    con.unregister("__rows")


def run_bpe(ctx) -> None:
    target = ctx.staging / paths.LOCATIONS_FILE
    src = ctx.resolve_or_demo("insee_bpe")
    if src is None:
        pq.write_table(LOCATIONS_SCHEMA.empty_table(), target)
        return
    synthetic = src.resolved_from == "demo" or src.source.synthetic
    path = _unzip(ctx, src, "*.csv")
    locs, stats = src.read(path, rekey=ctx.rekey)
    out = pd.DataFrame({"id": locs["id"], "profession": locs["profession"], "type_code": locs["typequ"],
                        "label": locs["label"], "code": locs["code"], "lon": locs["lon"], "lat": locs["lat"],
                        "year": locs["year"].astype("int32"), "source_id": src.source.id, "synthetic": synthetic})
    out = out[out["lon"].notna() & out["lat"].notna()].sort_values(["code", "profession", "id"]).reset_index(drop=True)
    table = pa.Table.from_pandas(out, schema=LOCATIONS_SCHEMA, preserve_index=False)
    pq.write_table(table, target, row_group_size=20_000)
    msg = (f"BPE {stats['year']} : {stats['rows']} équipements de santé ({', '.join(f'{k} {v}' for k, v in stats['by_type'].items())})"
           f" ; {stats['without_coordinates']} sans coordonnées (absents de la carte)")
    if stats["unknown_communes"]:
        msg += f" ; codes commune inconnus ignorés : {', '.join(stats['unknown_communes'][:10])}"
    ctx.record_source(src, synthetic=synthetic, message=msg)
