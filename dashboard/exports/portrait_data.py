"""What a territory portrait says, computed once for the page, the PDF and the presentation mode.

Every figure keeps its unit, year, source and synthetic flag (from :meth:`etl.store.Store.indicator_entry`);
secret figures are shown as "secret statistique", never 0.
"""
from __future__ import annotations

import math

import pandas as pd

from atlas.catalog import CATALOG, PROFESSIONS

SECRET_TEXT = "secret statistique"
UNAVAILABLE_TEXT = "indisponible"
SYNTHETIC_TEXT = "DONNÉES FICTIVES (démonstration)"
APL_THRESHOLD = 2.5
PREVENTION_IDS = ("depistage_sein", "depistage_colorectal", "depistage_col_uterus", "vaccin_grippe_65")
LEVEL_LABELS = {"territory": "Territoire", "departement": "Département", "region": "Région", "france": "France"}
MODE_LABELS = {"all": "Tous modes", "liberal": "Libéraux", "salarie": "Salariés", "benevole": "Bénévoles",
               "autre": "Mode non renseigné"}
CONFIDENCE_LABELS = {
    "high": "périmètre exact", "medium": "périmètre probable", "low": "périmètre approximatif (faible confiance)",
    "superset": "périmètre approché par excès (sur-ensemble)", "unknown": "périmètre inconnu",
    "user": "territoire défini par l'utilisateur",
}


def decimals(indicator_id: str) -> int:
    ind = CATALOG.get(indicator_id)
    if ind is None:
        return 1
    if ind.family == "population":
        return 0
    if ind.family == "accessibility":
        return 2
    return 1


def fmt_number(value, ndigits: int = 1) -> str:
    """French number format: thin non-breaking space for thousands, comma for decimals."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return UNAVAILABLE_TEXT
    s = f"{value:,.{ndigits}f}"
    return s.replace(",", "\u202f").replace(".", ",")


def fmt_value(entry: dict | None, with_unit: bool = False) -> str:
    if entry is None:
        return UNAVAILABLE_TEXT
    if entry.get("secret"):
        return SECRET_TEXT
    if entry.get("value") is None:
        return UNAVAILABLE_TEXT
    s = fmt_number(entry["value"], decimals(entry["id"]))
    return f"{s} {short_unit(entry['id'])}".strip() if with_unit else s


def short_unit(indicator_id: str) -> str:
    ind = CATALOG.get(indicator_id)
    if ind is None:
        return ""
    if ind.family in ("access_mt", "prevention"):
        return "%"
    if ind.family == "density":
        return "/ 10 000 hab."
    if ind.family == "population":
        return "hab."
    if ind.family == "accessibility":
        return "consult./hab. std/an"
    return ""


def fmt_reference(entry: dict, level: str) -> str:
    v = (entry.get("reference") or {}).get(level)
    return UNAVAILABLE_TEXT if v is None else fmt_number(v, decimals(entry["id"]))


def caption(entry: dict | None, store=None) -> str:
    """'Unité : … · Année : … · Source : …' (+ synthetic flag) for a figure."""
    if entry is None:
        return "Indicateur indisponible dans cette base."
    parts = [f"Unité : {entry.get('unit') or '—'}", f"Année : {entry.get('year') or '—'}",
             f"Source : {entry.get('source') or '—'}"]
    if entry.get("synthetic"):
        parts.append(SYNTHETIC_TEXT)
    return " · ".join(parts)


def _entry_dict(store, t, indicator_id: str, year: int | None = None) -> dict:
    return store.indicator_entry(indicator_id, t.codes, t.departement, year)


def professionals_table(store, codes) -> pd.DataFrame:
    """Rows: profession label, mode columns (all, liberal, salarie), year, source, synthetic."""
    try:
        df = store.professionals(codes)
    except Exception:  # noqa: BLE001 - a build without the professionals table: section shown as unavailable
        return pd.DataFrame()
    if df is None or df.empty:
        return pd.DataFrame()
    return df


def professionals_rows(prof: pd.DataFrame, entries: dict, titles: dict[str, str]) -> tuple[list[str], list[list]]:
    """(header, rows) of the professionals table: counts per profession and mode, then the density
    (all modes). Shared by the portrait page and the PDF."""
    modes = [m for m in ("all", "liberal", "salarie", "autre") if m in set(prof["mode"])]
    rows = []
    for prof_id in PROFESSIONS:
        d = prof[prof["profession"] == prof_id].set_index("mode")["count"]
        dens = entries.get(f"density_{prof_id}")
        rows.append([titles[prof_id], *[fmt_number(d.get(m), 0) if m in d else "0" for m in modes],
                     fmt_value(dens) if dens else "—"])
    return ["Profession", *[MODE_LABELS[m] for m in modes], "Densité / 10 000 hab."], rows


def apl_section(store, t, year: int | None = None) -> dict:
    entry = _entry_dict(store, t, "apl_mg", year)
    rows = store.commune_values("apl_mg", t.codes, entry.get("year")) if t.codes else pd.DataFrame()
    out = {"entry": entry, "communes": [], "under_count": 0, "under_population": 0, "population_total": 0,
           "under_share": None}
    if rows is None or rows.empty:
        return out
    pop = store.communes.reindex(list(rows["code"]))
    rows = rows.assign(nom=pop["nom"].values, population=pop["population"].values)
    rows = rows.sort_values("value")
    under = rows[rows["value"] < APL_THRESHOLD]
    total = float(pd.to_numeric(rows["population"], errors="coerce").fillna(0).sum())
    under_pop = float(pd.to_numeric(under["population"], errors="coerce").fillna(0).sum())
    out.update({
        "communes": [{"code": r.code, "nom": r.nom, "value": None if pd.isna(r.value) else float(r.value),
                      "population": None if pd.isna(r.population) else int(r.population)}
                     for r in rows.itertuples(index=False)],
        "under_count": int(len(under)), "under_population": int(under_pop), "population_total": int(total),
        "under_share": (under_pop / total * 100) if total else None,
    })
    return out


def evolution(store, t, indicator_ids=None) -> list[dict]:
    """For every indicator with several years: the territory value per year (same rule each year)."""
    out = []
    for iid in indicator_ids or CATALOG:
        years = store.years(iid)
        if len(years) < 2 or not t.codes:
            continue
        points = []
        for y in years:
            e = _entry_dict(store, t, iid, y)
            if e["year"] == y and (e["value"] is not None or e["secret"]):
                points.append(e)
        if len(points) >= 2:
            out.append({"id": iid, "label": CATALOG[iid].label, "unit": CATALOG[iid].unit, "points": points})
    return out


def portrait(store, territory_id: str, year: int | None = None) -> dict:
    t = store.territory(territory_id)
    summary = store.territory_summary(territory_id, year)
    entries = {e["id"]: e for e in summary["indicators"]}
    dep = t.departement
    dep_name = store.departements.loc[dep, "nom"] if dep and dep in store.departements.index else None
    refs = store.reference_codes(dep)
    reg = refs.get("region")
    reg_name = store.regions.loc[reg, "nom"] if reg and reg in store.regions.index else None
    prof = professionals_table(store, t.codes) if t.codes else pd.DataFrame()
    return {
        "territory": t, "summary": summary, "entries": entries,
        "departement_name": dep_name, "region_name": reg_name,
        "published": store.published_figures(territory_id) if t.kind == "cpts" else [],
        "professionals": prof,
        "apl": apl_section(store, t, year) if t.codes else {"entry": entries.get("apl_mg"), "communes": [],
                                                          "under_count": 0, "under_population": 0,
                                                          "population_total": 0, "under_share": None},
        "evolution": evolution(store, t),
        "synthetic": bool(store.any_synthetic),
    }


def density_ids(mode: str = "all") -> list[str]:
    suffix = "" if mode == "all" else "_liberal"
    return [f"density_{p}{suffix}" for p in PROFESSIONS if f"density_{p}{suffix}" in CATALOG]


def reference_names(p: dict) -> dict[str, str]:
    return {"territory": p["territory"].name,
            "departement": f"Dép. {p['departement_name']}" if p["departement_name"] else "Département",
            "region": f"Rég. {p['region_name']}" if p["region_name"] else "Région",
            "france": "France"}


def population_line(p: dict) -> str:
    t = p["territory"]
    s = p["summary"]
    text = f"{s['communes']} communes, {fmt_number(s['population'], 0)} habitants (population municipale)"
    if t.published_population and t.confidence not in ("high",):
        text += (f" — chiffres publiés : {t.published_communes or '?'} communes, "
                 f"{fmt_number(t.published_population, 0)} habitants ({t.published_as_of or 'date inconnue'})")
    return text


def sources_rows(store) -> list[dict]:
    s = store.sources
    rows = []
    for r in s.itertuples(index=False):
        rows.append({"id": r.id, "publisher": r.publisher, "title": r.title, "vintage": r.vintage,
                     "licence": r.licence, "url": None if pd.isna(r.url) else r.url,
                     "retrieved_at": "" if pd.isna(r.retrieved_at) else str(r.retrieved_at)[:10],
                     "synthetic": bool(r.synthetic), "status": r.status,
                     "resolved_from": r.resolved_from})
    try:
        for m in store.imports():
            rows.append({"id": m.get("source_id"), "publisher": "Import utilisateur (CPAM)",
                         "title": m.get("source_label") or m.get("original_name"),
                         "vintage": ", ".join(map(str, m.get("years", []))), "licence": "fourni par l'utilisateur",
                         "url": m.get("original_name"), "retrieved_at": str(m.get("imported_at", ""))[:10],
                         "synthetic": bool(m.get("synthetic")), "status": "loaded", "resolved_from": "import"})
    except Exception:  # noqa: BLE001 - a Store without imports support
        pass
    return rows
