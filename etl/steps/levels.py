"""Reference levels (département, région, France) and when a source covers enough of them.

Shared by the steps that write ``reference_values``: the references step (ratios of sums of commune
values) and the professionals step (distinct persons per area), so that both compute the same levels
over the same areas.
"""
from __future__ import annotations

import pandas as pd

# A région / France reference is computed only when the départements a source covers hold at least
# COVERAGE_MIN of its population (a source covering five départements, like the demo RPPS file, gives
# département references only; a national source, all three levels). Départements are always taken
# whole: a source either covers a département or is absent from it.
COVERAGE_MIN = 0.9

# level -> column of the communes table that names the area ('france' is the constant 'FR').
LEVEL_COLUMNS = {"departement": "departement", "region": "region", "france": "france"}
FRANCE = "FR"


def with_levels(communes: pd.DataFrame) -> pd.DataFrame:
    """Communes (code, departement, region, population) with a ``france`` column for the France level."""
    return communes.assign(france=FRANCE)


def covered_areas(communes: pd.DataFrame, departements: set[str]) -> dict[str, set[str]]:
    """Areas of each level whose reference a source covering ``departements`` may give: those
    départements; the régions whose population they hold for at least COVERAGE_MIN; France likewise."""
    pop = communes.assign(population=pd.to_numeric(communes["population"], errors="coerce").fillna(0.0))
    covered = pop[pop["departement"].isin(departements)]
    reg_share = covered.groupby("region")["population"].sum() / pop.groupby("region")["population"].sum()
    fr_ok = covered["population"].sum() >= COVERAGE_MIN * pop["population"].sum() > 0
    return {"departement": set(departements) & set(pop["departement"]),
            "region": set(reg_share[reg_share >= COVERAGE_MIN].index),
            "france": {FRANCE} if fr_ok else set()}
