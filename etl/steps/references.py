"""Reference levels (département, région, France) computed from commune values with the same rule.

Indicators whose commune level is incomplete by nature (CPAM tables imported for a few communes)
take their references from official publications instead: a step that loads such references
writes them to ``reference_values`` with ``level`` set and lists the indicator in
``OFFICIAL_REFERENCE_INDICATORS``; this step does not overwrite them.
"""
from __future__ import annotations

import pandas as pd

from ..aggregate import aggregate_by
from atlas.catalog import CATALOG
from .official_references import OFFICIAL_SOURCES

# Indicators whose references come from département/région publications, not from communes.
COVERAGE_MIN = 0.9

OFFICIAL_REFERENCE_INDICATORS = {"sans_mt_17", "depistage_sein", "depistage_colorectal",
                                 "depistage_col_uterus", "vaccin_grippe_65"}


def run(ctx) -> None:
    con = ctx.con
    values = con.execute("""
        SELECT v.indicator_id, v.year, v.numerator, v.denominator, v.source_id, v.synthetic,
               c.departement, c.region, 'FR' AS france
        FROM commune_values v JOIN communes c USING (code)
        ORDER BY v.indicator_id, v.year, v.code  -- fixed summation order: bit-identical builds
    """).df()
    keep = tuple(OFFICIAL_REFERENCE_INDICATORS)
    # Rows of official publications (any indicator) are kept; their step replaces them.
    con.execute("DELETE FROM reference_values WHERE NOT list_contains(?, indicator_id) "
                "AND NOT list_contains(?, source_id)", [list(keep), list(OFFICIAL_SOURCES)])
    pop = con.execute("SELECT departement, region, coalesce(sum(population), 0) AS population "
                      "FROM communes GROUP BY ALL").df()
    frames = []
    for (iid, year), part in values.groupby(["indicator_id", "year"]):
        if iid in OFFICIAL_REFERENCE_INDICATORS:
            continue
        ind = CATALOG[iid]
        source_id = part["source_id"].mode().iat[0]
        synthetic = bool(part["synthetic"].any())
        # A région / France reference is computed only when the départements with values hold at
        # least COVERAGE_MIN of its population (a source covering five départements, like the demo
        # RPPS file, gives département references only; official publications fill the rest).
        covered = pop[pop["departement"].isin(set(part["departement"]))]
        reg_cov = covered.groupby("region")["population"].sum() / pop.groupby("region")["population"].sum()
        ok_regions = set(reg_cov[reg_cov >= COVERAGE_MIN].index)
        fr_ok = covered["population"].sum() >= COVERAGE_MIN * pop["population"].sum()
        for level, col in (("departement", "departement"), ("region", "region"), ("france", "france")):
            if level == "france" and not fr_ok:
                continue
            sub = part[part["region"].isin(ok_regions)] if level == "region" else part
            if sub.empty:
                continue
            g = aggregate_by(ind, sub, col).rename(columns={col: "code"})
            g["indicator_id"], g["level"], g["year"] = iid, level, int(year)
            g["source_id"], g["synthetic"] = source_id, synthetic
            frames.append(g[["indicator_id", "level", "code", "year", "value", "numerator", "denominator",
                             "source_id", "synthetic"]])
    if frames:
        df = pd.concat(frames, ignore_index=True)
        for c in ("value", "numerator", "denominator"):
            df[c] = pd.to_numeric(df[c], errors="coerce").astype("float64")
        con.register("__r", df)
        # Computed with the territories' own rule, a reference replaces an official one for the same
        # key (same counting as the territory figure); official rows fill the levels not computed.
        con.execute("""DELETE FROM reference_values x USING __r r WHERE x.indicator_id = r.indicator_id
                       AND x.level = r.level AND x.code = r.code AND x.year = r.year""")
        con.execute("INSERT INTO reference_values SELECT * FROM __r")
        con.unregister("__r")
    con.execute("DELETE FROM indicators")
    ind_df = pd.DataFrame([i.row() for i in CATALOG.values()])
    con.register("__i", ind_df)
    con.execute("""INSERT INTO indicators SELECT id, label, unit, family, profession, mode, aggregation, scale,
                   higher_is_better, secret_threshold, thresholds, description, formula FROM __i""")
    con.unregister("__i")
