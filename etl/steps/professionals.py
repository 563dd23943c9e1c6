"""Professionals: RPPS headcounts -> densities per commune; BPE practice locations -> locations.parquet.

Densities (``density_<prof>`` all modes, ``density_<prof>_liberal``) are stored per commune as
numerator = distinct professionals, denominator = population municipale, so that territories and
references are ratios of sums. Communes of a département the RPPS file covers get a value (0 when no
professional practises there); départements absent from the file (a demo file covers five) get none.
"""
from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from atlas import paths
from .. import schema
from atlas.catalog import PROFESSIONS
from ..parsers.bpe import read_bpe_health
from ..parsers.rpps import read_personne_activite
from ..sources import extract_member
from .communes import POPULATION_YEAR

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
    ids = [f"density_{p}{s}" for p in PROFESSIONS for s in ("", "_liberal")]
    con.execute("DELETE FROM professionals_by_commune")
    con.execute("DELETE FROM commune_values WHERE list_contains(?, indicator_id)", [ids])
    src = ctx.resolve_or_demo("rpps_personne_activite")
    if src is None:
        return
    synthetic = src.resolved_from == "demo" or src.source.synthetic
    path = _unzip(ctx, src, "*personne_activite*.txt")
    communes = ctx.communes
    population = dict(zip(communes["code"], communes["population"].astype("float64")))
    res = read_personne_activite(path, rekey=ctx.rekey, postal=ctx.postal, population=population)
    counts = res.counts
    pbc = counts.assign(year=res.year, source_id=src.source.id, synthetic=synthetic)
    con.register("__p", pbc[["code", "profession", "mode", "year", "count", "source_id", "synthetic"]])
    con.execute("INSERT INTO professionals_by_commune SELECT * FROM __p")
    con.unregister("__p")

    dep_of = dict(zip(communes["code"], communes["departement"]))
    covered = {dep_of[c] for c in counts["code"] if c in dep_of}
    base = communes[communes["departement"].isin(covered) & communes["population"].notna()][["code", "population"]]
    base = base.assign(population=base["population"].astype("float64"))
    frames = []
    for prof in PROFESSIONS:
        for mode, suffix in (("all", ""), ("liberal", "_liberal")):
            c = counts[(counts["profession"] == prof) & (counts["mode"] == mode)][["code", "count"]]
            df = base.merge(c, on="code", how="left")
            df["count"] = df["count"].fillna(0).astype("float64")
            value = (df["count"] / df["population"] * 10_000).where(df["population"] > 0)
            frames.append(pd.DataFrame({
                "indicator_id": f"density_{prof}{suffix}", "code": df["code"], "year": res.year, "value": value,
                "numerator": df["count"], "denominator": df["population"], "source_id": src.source.id,
                "synthetic": synthetic}))
    ctx.replace_commune_values(ids, pd.concat(frames, ignore_index=True))
    st = res.stats
    msg = (f"{st['rows']} lignes lues, {st['professionals']} professionnels retenus (6 professions) ; "
           f"population {POPULATION_YEAR} ; {st['postal_fallback']} ligne(s) localisée(s) par le code postal"
           f" (dont {st['postal_ambiguous']} code(s) postal(aux) partagé(s) : commune la plus peuplée) ; "
           f"{st['no_location']} sans localisation ; {st['unknown_commune']} à code commune inconnu"
           f"{' (' + ', '.join(st['unknown_commune_codes'][:10]) + ')' if st['unknown_commune_codes'] else ''} ; "
           f"{st['duplicate_rows']} ligne(s) répétant un professionnel déjà compté dans la même commune (plusieurs sites) ; départements couverts : {', '.join(sorted(covered))}")
    if not st["has_pharmacy_section"]:
        msg += " ; colonne « Code section tableau pharmaciens » absente : tous les pharmaciens comptés"
        ctx.warnings.append("RPPS : section du tableau des pharmaciens absente, pharma = tous les pharmaciens")
    ctx.record_source(src, synthetic=synthetic, message=msg)


def run_bpe(ctx) -> None:
    target = ctx.staging / paths.LOCATIONS_FILE
    src = ctx.resolve_or_demo("insee_bpe")
    if src is None:
        pq.write_table(LOCATIONS_SCHEMA.empty_table(), target)
        return
    synthetic = src.resolved_from == "demo" or src.source.synthetic
    path = _unzip(ctx, src, "*.csv")
    locs, stats = read_bpe_health(path, rekey=ctx.rekey)
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
