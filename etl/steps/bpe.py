"""INSEE BPE counts by commune -> the libéral supply of every commune of France, one source per vintage.

Indicators (commune values, year = the BPE vintage, ``synthetic = false``, ``source_id`` = the vintage's
source): ``density_<p>_liberal`` for p in :data:`atlas.catalog.BPE_PROFESSIONS` and
``density_pharmacy`` (numerator = BPE count, denominator = the build's population municipale,
value per 10,000), ``count_msp`` and ``count_cds`` (aggregation ``sum``: numerator = value = count).
Every commune with a population gets a value, 0 where the BPE counts none (the BPE covers all of
France: metropolitan communes and the five DROM); a commune without population gets none.
References of all levels follow from these values in the references step (national coverage).

Two vintages, two dates: the counts are those of the BPE year (1 January), the population that of the
build (populations légales): the source message names both. A BPE count is a number of libéral
practice locations, a professional practising in two communes counting in each (see
:mod:`etl.parsers.bpe_ensemble`).

Known limit: a commune re-created after the BPE vintage (the four Cantal communes 15031, 15035, 15047,
15171, re-created in 2025 out of Neussargues en Pinatelle, 15141, now Neussargues-Moissac; they have
no polygon either) shows 0 for the vintages before: its equipments were counted in the commune it
belonged to, which the re-keying map (old code -> current code) cannot split.

``python -m etl build --only <source>`` re-reads that vintage alone and keeps the others' rows.
"""
from __future__ import annotations

import pandas as pd

from atlas import fmt
from atlas.catalog import BPE_PROFESSIONS, CATALOG, STRUCTURES, density_id
from .communes import POPULATION_YEAR

BPE_SOURCES = ("insee_bpe_ensemble_2018", "insee_bpe_ensemble_2019", "insee_bpe_denombrement")
SUPPLIES = (*BPE_PROFESSIONS, "pharmacy", *STRUCTURES)


def indicator_of(supply: str) -> str:
    """Indicator id of a BPE supply: 'mg' -> density_mg_liberal, 'pharmacy' -> density_pharmacy,
    'msp' -> count_msp."""
    return f"count_{supply}" if supply in STRUCTURES else density_id(supply, "liberal")


BPE_INDICATORS = [indicator_of(s) for s in SUPPLIES]
VALUE_COLUMNS = ["indicator_id", "code", "year", "value", "numerator", "denominator", "source_id", "synthetic"]


def commune_values(counts: pd.DataFrame, communes: pd.DataFrame, *, source_id: str) -> pd.DataFrame:
    """Rows of ``commune_values`` for every (year of ``counts``, supply, commune with a population)."""
    base = communes[pd.to_numeric(communes["population"], errors="coerce") > 0][["code", "population"]]
    base = base.assign(population=base["population"].astype("float64"))
    frames = []
    for year in sorted(counts["year"].unique()):
        for supply in SUPPLIES:
            c = counts[(counts["year"] == year) & (counts["supply"] == supply)][["code", "count"]]
            df = base.merge(c, on="code", how="left")
            n = df["count"].fillna(0).astype("float64")
            ind = CATALOG[indicator_of(supply)]
            ratio = ind.aggregation == "ratio"
            frames.append(pd.DataFrame({
                "indicator_id": ind.id, "code": df["code"], "year": int(year),
                "value": n / df["population"] * ind.scale if ratio else n, "numerator": n,
                "denominator": df["population"] if ratio else float("nan"),
                "source_id": source_id, "synthetic": False}))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=VALUE_COLUMNS)


def source_message(stats: dict) -> str:
    """What was read, in French: both vintages, totals per code before / after re-keying, unknown codes."""
    years = ", ".join(str(y) for y in stats["years"])
    parts = [f"BPE {years} ; population municipale {POPULATION_YEAR}",
             f"{fmt.integer(stats['rows'])} lignes lues ({stats['layout']}), "
             f"{fmt.integer(stats['health_rows'])} lignes d'équipements de santé"]
    for year, totals in stats["totals_read"].items():
        after = stats["totals_rekeyed"].get(year, {})
        parts.append(f"total France {year} : " + ", ".join(
            f"{code} {fmt.integer(n)}" + (f" (dont {fmt.integer(n - after.get(code, 0))} ignorés)"
                                          if after.get(code, 0) != n else "")
            for code, n in totals.items()))
    unknown = stats["unknown_communes"]
    if unknown:
        listed = ", ".join(f"{c} ({fmt.integer(n)})" for c, n in list(unknown.items())[:20])
        parts.append(f"{fmt.plural(len(unknown), 'code commune inconnu', 'codes commune inconnus')} du COG courant, ignoré(s) : {listed}"
                     f"{' …' if len(unknown) > 20 else ''}")
    return " ; ".join(parts)


def run(ctx) -> None:
    con = ctx.con
    only = ctx.options.only
    selected = [only] if only in BPE_SOURCES else list(BPE_SOURCES)
    # Rows are replaced per source (a vintage re-read alone with --only keeps the others' rows): deleting
    # by source rather than by indicator also keeps DuckDB's primary-key index work to the rows replaced.
    con.execute("DELETE FROM commune_values WHERE list_contains(?, source_id)", [selected])
    year_source = dict(con.execute("SELECT DISTINCT year, source_id FROM commune_values "
                                   "WHERE list_contains(?, indicator_id)", [BPE_INDICATORS]).fetchall())
    frames = []
    for sid in selected:
        src = ctx.resolve(sid)
        if src is None:
            continue
        res = src.read(rekey=ctx.rekey, extract_dir=ctx.cache_dir / sid / "extracted")
        counts = res.counts
        twice = sorted(y for y in set(counts["year"]) if y in year_source)
        message = source_message(res.stats)
        if twice:
            # Two sources of the same vintage (e.g. the same file given twice): the first one read wins.
            note = (f"millésime(s) {', '.join(map(str, twice))} déjà lu(s) dans "
                    f"{', '.join(sorted({year_source[y] for y in twice}))} : ignoré(s) ici")
            ctx.warnings.append(f"{sid} : {note}")
            message += f" ; {note}"
            counts = counts[~counts["year"].isin(twice)]
        year_source.update({int(y): sid for y in counts["year"].unique()})
        frames.append(commune_values(counts, ctx.communes, source_id=sid))
        ctx.record_source(src, message=message)
    if not frames:
        return
    values = pd.concat(frames, ignore_index=True)[VALUE_COLUMNS]
    for c in ("value", "numerator", "denominator"):
        values[c] = pd.to_numeric(values[c], errors="coerce").astype("float64")
    con.register("__bpe", values)
    con.execute("INSERT INTO commune_values SELECT * FROM __bpe")
    con.unregister("__bpe")
