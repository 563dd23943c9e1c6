"""What a territory portrait says, computed once for the page, the PDF and the presentation mode.

Every figure is an *entry* of the read model (value or secret, unit, year, source, synthetic flag,
references); numbers are written with :mod:`atlas.fmt` only.
"""
from __future__ import annotations

import pandas as pd

from atlas import fmt
from atlas.catalog import BPE_PROFESSIONS, CATALOG, PREVENTION_IDS, PROFESSIONS, density_id, indicator

from ..components.territory_panel import level_names

MODE_LABELS = {"all": "Tous modes", "liberal": "Libéraux", "salarie": "Salariés", "benevole": "Bénévoles",
               "autre": "Mode non renseigné"}
APL_ID = "apl_mg"


def value_text(e: dict | None, with_unit: bool = False) -> str:
    return fmt.UNAVAILABLE if e is None else fmt.entry(e, indicator(e["id"]), unit=with_unit)


def reference_text(e: dict | None, level: str) -> str:
    return fmt.UNAVAILABLE if e is None else fmt.reference(e, level, indicator(e["id"]))


def caption(entry: dict | None) -> str:
    """'Unité : … · Année : … · Source : …' (+ synthetic flag) for a figure."""
    if entry is None:
        return "Indicateur indisponible dans cette base."
    parts = [f"Unité : {entry.get('unit') or fmt.UNAVAILABLE}", f"Année : {entry.get('year') or fmt.UNAVAILABLE}",
             f"Source : {entry.get('source') or fmt.UNAVAILABLE}"]
    if entry.get("synthetic"):
        parts.append(fmt.SYNTHETIC)
    return " · ".join(parts)


def density_ids(mode: str = "all") -> list[str]:
    if mode == "liberal":
        return [density_id(p, "liberal") for p in PROFESSIONS] + ["density_pharmacy"]
    return [density_id(p, "all") for p in PROFESSIONS]


def professionals_rows(prof: pd.DataFrame, entries: dict) -> tuple[list[str], list[list]]:
    """(header, rows): liberal professionals counted by the BPE (real), and every mode from the RPPS
    when the build has it, with the density of each."""
    from atlas.catalog import PROFESSION_TITLES
    bpe = prof[prof["basis"] == "bpe"].set_index("profession")["count"] if not prof.empty else pd.Series(dtype=int)
    rpps = prof[(prof["basis"] == "rpps") & (prof["mode"] == "all")].set_index("profession")["count"] \
        if not prof.empty else pd.Series(dtype=int)
    rows = []
    for p in (*PROFESSIONS, "pharmacy"):
        lib = bpe.get(p)
        allm = rpps.get(p)
        if lib is None and allm is None:
            continue
        dens = entries.get(density_id(p, "liberal")) if p in (*BPE_PROFESSIONS, "pharmacy") else None
        rows.append([PROFESSION_TITLES[p], fmt.integer(lib) if lib is not None else fmt.UNAVAILABLE,
                     fmt.integer(allm) if allm is not None else fmt.UNAVAILABLE,
                     value_text(dens) if dens else fmt.UNAVAILABLE])
    return ["Profession", "Libéraux (BPE)", "Tous modes (RPPS)", "Densité libérale / 10 000 hab."], rows


def apl_section(atlas, t, year: int | None = None) -> dict:
    """The territory's APL and its communes under the DREES threshold."""
    ind = indicator(APL_ID)
    threshold = ind.thresholds[0].value
    entry = atlas.entry(APL_ID, t, year=year)
    out = {"entry": entry, "communes": [], "under_count": 0, "under_population": 0, "population_total": 0,
           "under_share": None, "threshold": threshold}
    if not t.codes or entry["year"] is None:
        return out
    rows = atlas.commune_values(APL_ID, t.codes, entry["year"])
    rows = rows[rows["status"] == "ok"]
    if rows.empty:
        return out
    tbl = atlas.communes.table.reindex(list(rows["code"]))
    rows = rows.assign(nom=tbl["nom"].values, population=pd.to_numeric(tbl["population"], errors="coerce").values)
    rows = rows.sort_values("value")
    under = rows[rows["value"] < threshold]
    total = float(rows["population"].fillna(0).sum())
    under_pop = float(under["population"].fillna(0).sum())
    out.update({
        "communes": [{"code": r.code, "nom": r.nom, "value": float(r.value),
                      "population": None if pd.isna(r.population) else int(r.population)}
                     for r in rows.itertuples(index=False)],
        "under_count": int(len(under)), "under_population": int(under_pop), "population_total": int(total),
        "under_share": (under_pop / total * 100) if total else None,
    })
    return out


def evolution(atlas, t, indicator_ids=None) -> list[dict]:
    """For every indicator with several years: the territory and its references per year (same rule)."""
    out = []
    for iid in indicator_ids or CATALOG:
        years = atlas.years_for(iid, t.codes) if t.codes else []
        if len(years) < 2:
            continue
        points = [e for e in (atlas.entry(iid, t, year=y) for y in years) if e["value"] is not None or e["secret"]]
        if len(points) >= 2:
            out.append({"id": iid, "label": CATALOG[iid].label, "unit": CATALOG[iid].unit, "points": points})
    return out


def portrait(atlas, territory_id: str, year: int | None = None) -> dict:
    t = atlas.territory(territory_id)
    summary = atlas.territory_summary(territory_id, year)
    entries = {e["id"]: e for e in summary["indicators"]}
    return {
        "territory": t, "summary": summary, "entries": entries,
        "departement_name": atlas.communes.departement_name(t.departement),
        "region_name": atlas.communes.region_name(t.region),
        "level_names": level_names(atlas, t.departement, t.region),
        "published": atlas.published_figures(territory_id) if t.kind == "cpts" else [],
        "professionals": atlas.professionals(t.codes) if t.codes else pd.DataFrame(),
        "apl": apl_section(atlas, t, year),
        "evolution": evolution(atlas, t),
        "synthetic": bool(atlas.any_synthetic),
    }


def reference_names(p: dict) -> dict[str, str]:
    return {"territory": p["territory"].name,
            "departement": f"Dép. {p['departement_name']}" if p["departement_name"] else "Département",
            "region": f"Rég. {p['region_name']}" if p["region_name"] else "Région", "france": "France"}


def population_line(p: dict) -> str:
    t, s = p["territory"], p["summary"]
    text = f"{fmt.plural(s['communes'], 'commune')}, {fmt.plural(s['population'], 'habitant')} (population municipale 2023)"
    if t.published_population and t.confidence not in ("high", "exact"):
        scope = f", {t.published_scope}" if t.published_scope else ""
        text += (f" — chiffres publiés : {fmt.plural(t.published_communes, 'commune') if t.published_communes else '?'}, "
                 f"{fmt.plural(t.published_population, 'habitant')}{scope} ({fmt.date(t.published_as_of)})")
    return text


__all__ = ["MODE_LABELS", "PREVENTION_IDS", "apl_section", "caption", "density_ids", "evolution", "portrait",
           "population_line", "professionals_rows", "reference_names", "reference_text", "value_text"]
