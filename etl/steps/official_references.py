"""Official département / région / France references (Assurance Maladie, Santé publique France).

They go to ``reference_values`` with the publisher's ``source_id``; the references step keeps rows of
these sources and computes the other references from commune values without overwriting them. Each
run deletes the rows of its sources first, so a rebuild (or a source that became unavailable)
replaces them cleanly.
"""
from __future__ import annotations

import pandas as pd

from atlas.catalog import CATALOG
from ..parsers.official_refs import read_official_references

OFFICIAL_SOURCES = ("ameli_sans_mt", "ameli_densites_liberaux", "spf_vaccination_grippe", "spf_depistage_cancers")


def run(ctx) -> None:
    con = ctx.con
    only = ctx.options.only
    for sid in ([only] if only in OFFICIAL_SOURCES else OFFICIAL_SOURCES):   # --only ID re-reads that source alone
        con.execute("DELETE FROM reference_values WHERE source_id = ?", [sid])
        src = ctx.resolve_or_demo(sid)
        if src is None:
            continue
        synthetic = src.resolved_from == "demo" or src.source.synthetic
        df = read_official_references(src.path, sid)
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
        ctx.record_source(src, synthetic=synthetic,
                          message=f"{len(df)} valeurs de référence ({', '.join(f'{k} {v}' for k, v in sorted(levels.items()))}) ; "
                                  f"indicateurs {', '.join(sorted(set(df['indicator_id'])))}")
