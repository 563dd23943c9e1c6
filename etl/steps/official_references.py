"""Official département / région / France references (Assurance Maladie, Santé publique France).

They go to ``reference_values`` with the publisher's ``source_id``; the references step keeps rows of
these sources and computes the other references from commune values without overwriting them. Each
run deletes the rows of its sources first, so a rebuild (or a source that became unavailable)
replaces them cleanly.

Sources: Assurance Maladie and SpF cancer screening as Opendatasoft CSV exports
(etl/parsers/official_refs.py; demo files with ``--demo`` when unavailable); SpF vaccination coverage
as the three real Odissé JSON exports, one per level (etl/parsers/spf_vaccination.py), no demo.
"""
from __future__ import annotations


import pandas as pd

from atlas import fmt
from atlas.catalog import CATALOG

SPF_VACCINATION_SOURCES = ("spf_vaccination_departement", "spf_vaccination_region", "spf_vaccination_france")
OFFICIAL_SOURCES = ("ameli_sans_mt", *SPF_VACCINATION_SOURCES, "spf_depistage_cancers")


def run(ctx) -> None:
    con = ctx.con
    only = ctx.options.only
    for sid in ([only] if only in OFFICIAL_SOURCES else OFFICIAL_SOURCES):   # --only ID re-reads that source alone
        con.execute("DELETE FROM reference_values WHERE source_id = ?", [sid])
        src = ctx.resolve_or_demo(sid)
        if src is None:
            continue
        synthetic = src.resolved_from == "demo" or src.source.synthetic
        # each source's own parser (sources.yaml): SpF JSON exports, or the Opendatasoft CSV reader
        df = src.read() if sid in SPF_VACCINATION_SOURCES else src.read(source_id=sid)
        df = df[df["indicator_id"].isin(CATALOG)]
        if df.empty:
            ctx.warnings.append(f"{sid} : aucune valeur de référence lue")
        df = df.assign(source_id=sid, synthetic=synthetic)
        for c in ("value", "numerator", "denominator"):
            df[c] = pd.to_numeric(df[c], errors="coerce").astype("float64")
        df["year"] = df["year"].astype("int32")
        con.register("__o", df[["indicator_id", "level", "code", "year", "value", "numerator", "denominator",
                                "source_id", "synthetic"]])
        con.execute("INSERT INTO reference_values SELECT * FROM __o")
        con.unregister("__o")
        levels = df.groupby("level").size().to_dict()
        years = sorted(set(df["year"]))
        ctx.record_source(src, synthetic=synthetic,
                          message=f"{fmt.integer(len(df))} valeurs de référence "
                                  f"({', '.join(f'{k} {fmt.integer(v)}' for k, v in sorted(levels.items()))}) ; "
                                  f"indicateurs {', '.join(sorted(set(df['indicator_id'])))}"
                                  + (f" ; années {years[0]}-{years[-1]}" if years else ""))
