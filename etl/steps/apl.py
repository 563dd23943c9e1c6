"""DREES APL to GPs: commune values (re-keyed to current codes, weighted by standardised population)."""
from __future__ import annotations

import pandas as pd

from ..rekey import rekey_sum_and_weighted


def run(ctx) -> None:
    src = ctx.resolve("drees_apl_mg")
    if src is None:
        return
    raw = src.read()
    frames = []
    for year, part in raw.groupby("year"):
        grouped, unknown = rekey_sum_and_weighted(
            part, ctx.rekey, sums=["pop_std", "pop_total"],
            weighted={"apl_mg": "pop_std", "apl_mg_65": "pop_std"})
        if unknown:
            ctx.warnings.append(f"APL {year} : {len(unknown)} code(s) commune inconnus du COG courant ignorés : "
                                f"{', '.join(unknown[:10])}")
        for iid in ("apl_mg", "apl_mg_65"):
            ok = grouped[iid].notna()
            g = grouped[ok]
            frames.append(pd.DataFrame({
                "indicator_id": iid, "code": g["code"], "year": int(year), "value": g[iid],
                # Ratio of sums: numerator = APL × standardised population, denominator = standardised population.
                "numerator": g[iid] * g["pop_std"], "denominator": g["pop_std"],
                "source_id": src.source.id, "synthetic": False}))
    ctx.replace_commune_values(["apl_mg", "apl_mg_65"], pd.concat(frames, ignore_index=True))
    ctx.record_source(src, message=f"unités DREES : {raw.attrs.get('units', {}).get('apl_mg', '')}")
