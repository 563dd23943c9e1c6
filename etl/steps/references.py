"""Reference levels (département, région, France) computed from commune values with the same rule.

Two kinds of indicators are left to the step that loads them, and their rows are not touched here:

* indicators whose commune level is incomplete by nature (CPAM tables imported for a few communes):
  their references come from official publications (``OFFICIAL_REFERENCE_INDICATORS``, written by
  etl/steps/official_references.py);
* indicators counted in persons (RPPS densities): a professional with sites in several communes of
  an area counts once in it, which a sum of commune counts cannot do; the professionals step writes
  their references from the person-level sites (``PERSON_REFERENCE_INDICATORS``).

Everything else (BPE libéral densities and counts, APL, population…) is aggregated here from commune
values: ratio of sums, over the départements the source covers, and over a région / France only
when those départements hold enough of its population (etl/steps/levels.py).
"""
from __future__ import annotations

import pandas as pd

from atlas.figures import aggregate_by
from atlas.catalog import CATALOG
from .levels import LEVEL_COLUMNS, covered_areas, with_levels
from .official_references import OFFICIAL_SOURCES
from .professionals import PERSON_REFERENCE_INDICATORS

# Indicators whose references come from département/région publications, not from communes.
OFFICIAL_REFERENCE_INDICATORS = {"sans_mt_17", "depistage_sein", "depistage_colorectal",
                                 "depistage_col_uterus", "vaccin_grippe_65"}
# Indicators whose reference rows another step writes: kept as they are, not computed here.
NOT_COMPUTED_HERE = OFFICIAL_REFERENCE_INDICATORS | PERSON_REFERENCE_INDICATORS


def run(ctx) -> None:
    con = ctx.con
    skip = sorted(NOT_COMPUTED_HERE)
    # Rows of official publications (any indicator) are kept; their step replaces them.
    con.execute("DELETE FROM reference_values WHERE NOT list_contains(?, indicator_id) "
                "AND NOT list_contains(?, source_id)", [skip, list(OFFICIAL_SOURCES)])
    communes = con.execute("SELECT code, departement, region, population FROM communes").df()
    # One (indicator, year) at a time: memory stays that of one national indicator (~35,000 rows).
    groups = con.execute("""
        SELECT v.indicator_id, v.year, mode(v.source_id), bool_or(v.synthetic), list(DISTINCT c.departement)
        FROM commune_values v JOIN communes c USING (code)
        WHERE NOT list_contains(?, v.indicator_id) GROUP BY 1, 2 ORDER BY 1, 2""", [skip]).fetchall()
    frames = []
    areas_of: dict[frozenset, dict] = {}          # most indicators share the same covered départements
    for iid, year, source_id, synthetic, deps in groups:
        ind = CATALOG[iid]
        deps = frozenset(deps)
        if deps not in areas_of:
            areas_of[deps] = covered_areas(communes, set(deps))
        areas = areas_of[deps]
        part = with_levels(con.execute("""
            SELECT v.numerator, v.denominator, c.departement, c.region
            FROM commune_values v JOIN communes c USING (code) WHERE v.indicator_id = ? AND v.year = ?
            ORDER BY v.code  -- fixed summation order: bit-identical builds""",
                                       [iid, year]).df())
        for level, col in LEVEL_COLUMNS.items():
            sub = part[part[col].isin(areas[level])]
            if sub.empty:
                continue
            g = aggregate_by(ind, sub, col).rename(columns={col: "code"})
            g["indicator_id"], g["level"], g["year"] = iid, level, int(year)
            g["source_id"], g["synthetic"] = source_id, bool(synthetic)
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
