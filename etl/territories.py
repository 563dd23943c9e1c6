"""CPTS territories of the mission: identity, perimeter with its evidence, and published figures."""
from __future__ import annotations

import pandas as pd

# The five CPTS the project starts with (DESIGN.md ids). Names as the CPTS present themselves.
CPTS_CATALOG = {
    "ouest-rhodanien": {"name": "CPTS de l'Ouest Rhodanien", "departement": "69"},
    "aunis-sud": {"name": "CPTS Aunis Sud", "departement": "17"},
    "entre-loire-et-sucs": {"name": "CPTS Entre Loire et Sucs", "departement": "43"},
    "atlantique-nord-loire": {"name": "CPTS Atlantique Nord Loire", "departement": "44"},
    "venissieux": {"name": "CPTS de Vénissieux", "departement": "69"},
}

UNKNOWN_PERIMETER_NOTE = (
    "Périmètre inconnu : aucune liste de communes n'est publiée (première CPTS de Loire-Atlantique, "
    "nord du département). Le territoire existe sans commune ; définissez-le dans l'éditeur de territoires."
)

# From most to least certain; a perimeter mixing levels takes its least certain one.
CONFIDENCE_ORDER = ["high", "medium", "superset", "low", "very_low", "unknown"]


def weakest_confidence(levels) -> str:
    levels = [lvl for lvl in levels if lvl]
    if not levels:
        return "unknown"
    return max(levels, key=lambda lvl: CONFIDENCE_ORDER.index(lvl) if lvl in CONFIDENCE_ORDER else len(CONFIDENCE_ORDER))


def published_value(figures: pd.DataFrame, territory_id: str, figure: str):
    rows = figures[(figures.territory_id == territory_id) & (figures.figure == figure)]
    if rows.empty:
        return None
    return rows.iloc[0]


def build_territory_tables(perimeters: pd.DataFrame | None, figures: pd.DataFrame | None,
                           communes: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Return (territories, territory_communes, warnings).

    Candidate communes are kept with role 'candidate' and not counted. Commune counts and
    populations are computed on current communes and compared with the published figures.
    """
    perimeters = perimeters if perimeters is not None else pd.DataFrame(
        columns=["territory_id", "code", "role", "confidence", "note"])
    figures = figures if figures is not None else pd.DataFrame(columns=["territory_id", "figure", "value", "as_of", "source"])
    pop = communes.set_index("code")["population"]
    warnings: list[str] = []
    unknown = sorted(set(perimeters["code"]) - set(pop.index))
    if unknown:
        warnings.append(f"Périmètres : communes inconnues du COG courant ignorées : {', '.join(unknown)}")
        perimeters = perimeters[~perimeters["code"].isin(unknown)]
    tc = perimeters[["territory_id", "code", "role", "confidence", "note"]].copy()

    rows = []
    for tid, meta in CPTS_CATALOG.items():
        members = tc[(tc.territory_id == tid) & (tc.role == "member")]
        candidates = tc[(tc.territory_id == tid) & (tc.role == "candidate")]
        n = len(members)
        population = int(pop.reindex(members.code).fillna(0).sum()) if n else None
        pub_n = published_value(figures, tid, "communes")
        pub_pop = published_value(figures, tid, "population")
        ref = pub_n if pub_n is not None else pub_pop
        if n:
            notes = list(dict.fromkeys(members["note"].dropna()))
            note = " | ".join(notes[:3])
            if len(candidates):
                note += (f" | {len(candidates)} communes candidates (non comptées) : "
                         f"{', '.join(sorted(candidates.code))}")
            confidence = weakest_confidence(members["confidence"])
        else:
            note, confidence = UNKNOWN_PERIMETER_NOTE, "unknown"
        pub_n_val = int(pub_n.value) if pub_n is not None else None
        pub_pop_val = int(pub_pop.value) if pub_pop is not None else None
        # The reference département is the one where most of the perimeter's population lives;
        # the catalogue's département only serves when the perimeter is unknown.
        departement = meta["departement"]
        if n:
            dep_pop = communes[communes.code.isin(members.code)].groupby("departement")["population"].sum()
            if not dep_pop.empty:
                departement = str(dep_pop.idxmax())
        rows.append({
            "id": tid, "name": meta["name"], "kind": "cpts", "departement": departement,
            "confidence": confidence, "perimeter_note": note, "n_communes": n, "population": population,
            "published_communes": pub_n_val, "published_population": pub_pop_val,
            "published_as_of": ref.as_of if ref is not None else None,
            "published_source": ref.source if ref is not None else None,
            "communes_diff": n - pub_n_val if pub_n_val is not None else None,
            "population_diff": population - pub_pop_val if (pub_pop_val is not None and population is not None) else None,
        })
    return pd.DataFrame(rows), tc, warnings
