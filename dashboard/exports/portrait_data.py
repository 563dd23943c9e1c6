"""What a territory portrait says, computed once for the page, the PDF and the presentation mode.

Every figure is an *entry* of the read model (value or secret, unit, year, source, synthetic flag,
references); numbers are written with :mod:`atlas.fmt` only.
"""
from __future__ import annotations

import pandas as pd

from atlas import fmt
from atlas.catalog import BPE_PROFESSIONS, CATALOG, PROFESSIONS, density_id, indicator
from atlas.errors import AtlasError
from atlas.read.values import LRU

from ..components.territory_panel import level_names

APL_ID = "apl_mg"


def value_text(e: dict | None, with_unit: bool = False) -> str:
    return fmt.UNAVAILABLE if e is None else fmt.entry(e, indicator(e["id"]), unit=with_unit)


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


def context_territory(atlas, t):
    """The EPCI of a one-commune territory, when it has other communes: the commune is compared with
    it and drawn among its communes (a map of one polygon says nothing)."""
    if len(t.codes) != 1:
        return None
    epci = atlas.communes.get(t.codes[0])["epci"]
    if not isinstance(epci, str) or not epci:
        return None
    try:
        ctx = atlas.territory(f"epci-{epci}")
    except AtlasError:
        return None
    return ctx if len(ctx.codes) > 1 else None


def _sources(atlas, entries: list[dict]) -> list[str]:
    ids = set()
    for e in entries:
        sid = e.get("source_id")
        ids |= {sid} if isinstance(sid, str) else set(sid or [])
        ids |= {s for s in (e.get("reference_sources") or {}).values() if s}
    return sorted({atlas.source_short(s) for s in ids if s})


def evolution(atlas, t, context=None, indicator_ids=None) -> list[dict]:
    """Every indicator with several years for this territory (or, for an indicator published only by
    département, for its references): one series per level (territory, EPCI of a one-commune
    territory, département, région, France), each point computed with the same rule as the figure
    of that year. Series without any value are left out."""
    out = []
    if not t.codes:
        return out
    for iid in indicator_ids or CATALOG:
        years = atlas.years_for(iid, t.codes)
        if len(years) < 2:
            continue
        entries = [atlas.entry(iid, t, year=y) for y in years]
        series = [{"level": "territoire", "points": [(y, e["value"]) for y, e in zip(years, entries)]}]
        if context is not None:
            series.append({"level": "epci", "points": [(y, atlas.entry(iid, context, year=y)["value"])
                                                        for y in years]})
        for lvl in ("departement", "region", "france"):
            series.append({"level": lvl, "points": [(y, e["reference"][lvl]) for y, e in zip(years, entries)]})
        series = [s for s in series if any(v is not None for _, v in s["points"])]
        if not any(sum(v is not None for _, v in s["points"]) >= 2 for s in series):
            continue
        synthetic = any(e["synthetic"] for e in entries) or any(
            any(x for x in (e.get("reference_synthetic") or {}).values()) for e in entries)
        out.append({"id": iid, "label": CATALOG[iid].label, "unit": CATALOG[iid].unit, "years": years,
                    "series": series, "entries": entries, "synthetic": synthetic,
                    "sources": _sources(atlas, entries)})
    return out


def portrait(atlas, territory_id: str) -> dict:
    """Everything the portrait shows that does not depend on the map's indicator and year: each
    indicator at its own latest year (``atlas.territory_summary``), the references, the EPCI of a
    one-commune territory, the published figures, professionals, APL and the time series."""
    t = atlas.territory(territory_id)
    summary = atlas.territory_summary(territory_id)
    entries = {e["id"]: e for e in summary["indicators"]}
    ctx = context_territory(atlas, t)
    return {
        "territory": t, "summary": summary, "entries": entries, "context": ctx,
        "context_entries": {i: atlas.entry(i, ctx) for i in entries} if ctx is not None else {},
        "departement_name": atlas.communes.departement_name(t.departement),
        "region_name": atlas.communes.region_name(t.region),
        "level_names": level_names(atlas, t.departement, t.region),
        "published": atlas.published_figures(territory_id) if t.kind == "cpts" else [],
        "professionals": atlas.professionals(t.codes) if t.codes else pd.DataFrame(),
        "apl": apl_section(atlas, t),
        "evolution": evolution(atlas, t, ctx),
        "synthetic": bool(atlas.any_synthetic),
        "population_year": entries["population"]["year"] if "population" in entries else None,
    }


BASE_SOURCES = ("communes_admin", "communes_geometry")     # names, populations, polygons: every portrait
CPTS_SOURCES = ("cpts_perimeters", "cpts_published_figures")


def used_sources(atlas, p: dict) -> list[dict]:
    """The datasets a portrait shows figures from (rows of ``atlas.sources()``), for its sources slide
    and the PDF: the figures' and references' sources, professionals, polygons; CPTS evidence."""
    t = p["territory"]
    ids = set(BASE_SOURCES) | (set(CPTS_SOURCES) if t.kind == "cpts" else set())
    if t.codes:
        for e in [*p["entries"].values(), *p.get("context_entries", {}).values()]:
            sid = e.get("source_id")
            ids |= {sid} if isinstance(sid, str) else set(sid or [])
            ids |= {x for x in (e.get("reference_sources") or {}).values() if x}
        prof = p.get("professionals")
        if prof is not None and not prof.empty:
            ids |= {x for s in prof["source_id"].dropna() for x in str(s).split(", ") if x}
    return [r for r in atlas.sources() if r["id"] in ids and r.get("status", "loaded") == "loaded"]


_portraits = LRU(32)


def cached_portrait(atlas, territory_id: str) -> dict:
    """:func:`portrait`, computed once per territory and ``atlas.version`` (build id and user-data
    signature) in this process: the page, its presentation and the PDF share it."""
    return _portraits.get((territory_id, atlas.version), lambda: portrait(atlas, territory_id))


def reference_names(p: dict) -> dict[str, str]:
    """Names of the levels a figure is compared with: the territory (or its commune), its EPCI for a
    one-commune territory, its département, région and France."""
    t, ctx = p["territory"], p.get("context")
    out = {"territoire": t.name,
           "departement": f"Dép. {p['departement_name']}" if p["departement_name"] else "Département",
           "region": f"Rég. {p['region_name']}" if p["region_name"] else "Région", "france": "France"}
    if ctx is not None:
        out["epci"] = ctx.name
    return out


def comparison_levels(p: dict, iid: str) -> list[tuple[str, str, float | None]]:
    """(level, name, value) of an indicator: the territory, [its EPCI], département, région, France."""
    e = p["entries"].get(iid)
    names = reference_names(p)
    if e is None:
        return []
    rows = [("territoire", names["territoire"], e["value"])]
    if p.get("context") is not None:
        rows.append(("epci", names["epci"], p["context_entries"][iid]["value"]))
    rows += [(lvl, names[lvl], e["reference"][lvl]) for lvl in ("departement", "region", "france")]
    return rows


def population_line(p: dict) -> str:
    """``40 communes et 78 964 habitants (population municipale 2023)``."""
    s, year = p["summary"], p.get("population_year")
    return (f"{fmt.plural(s['communes'], 'commune')} et {fmt.plural(s['population'], 'habitant')}"
            + (f" (population municipale {year})" if year else ""))


__all__ = ["apl_section", "cached_portrait", "comparison_levels", "context_territory", "density_ids", "evolution",
           "portrait", "population_line", "professionals_rows", "reference_names", "used_sources", "value_text"]
