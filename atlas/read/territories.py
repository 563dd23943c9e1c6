"""Territories: the project's CPTS (built, with their perimeter evidence), every département
(``dep-<code>``), région (``reg-<code>``) and EPCI (``epci-<siren>``) of France, and the user's
saved territories. One list, one lookup, the same object everywhere.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from ..errors import UnknownTerritory
from .communes import CommuneIndex, fold
from .db import BuildDB

KINDS = {"cpts": "CPTS", "departement": "Département", "region": "Région", "epci": "EPCI", "user": "Vos territoires"}
KIND_ORDER = ("cpts", "user", "epci", "departement", "region")
# How sure a territory's list of communes is, in French (pages, exports, CLI).
CONFIDENCE_LABELS = {"high": "périmètre exact", "exact": "périmètre exact", "medium": "périmètre probable",
                     "low": "périmètre approximatif (faible confiance)",
                     "superset": "périmètre approché par excès (sur-ensemble)", "very_low": "périmètre incertain",
                     "unknown": "périmètre inconnu", "user": "territoire défini par l'utilisateur"}
EPCI_TYPES = {"CC": "communauté de communes", "CA": "communauté d'agglomération", "CU": "communauté urbaine",
              "METRO": "métropole", "MET69": "métropole de Lyon", "EPT": "établissement public territorial"}


@dataclass(frozen=True)
class Territory:
    id: str
    name: str
    kind: str                      # cpts | departement | region | epci | user
    codes: tuple[str, ...]         # member communes (candidates excluded)
    departement: str | None        # reference département (most of the population)
    region: str | None
    confidence: str                # high | medium | low | superset | unknown | exact | user
    perimeter_note: str = ""
    published_communes: int | None = None
    published_population: int | None = None
    published_as_of: str | None = None
    published_source: str | None = None
    published_scope: str | None = None   # vintage of the published population, e.g. "INSEE 2019"
    candidates: tuple[str, ...] = ()
    file: str | None = None        # user territories: the file it was read from
    notes: dict = field(default_factory=dict, compare=False, hash=False)   # code -> evidence note (CPTS)

    @property
    def exact(self) -> bool:
        return self.confidence in ("high", "exact") and (self.published_communes in (None, len(self.codes)))


def _int(x):
    return None if x is None or pd.isna(x) else int(x)


def _str(x):
    return None if x is None or (isinstance(x, float) and pd.isna(x)) else str(x)


def load_builtin(db: BuildDB, communes: CommuneIndex) -> list[Territory]:
    """CPTS from the build, then every EPCI, département and région from the commune table."""
    out: list[Territory] = []
    rows = db.query("SELECT * FROM territories ORDER BY name")
    members = db.query("SELECT territory_id, code, role, note FROM territory_communes ORDER BY territory_id, code")
    figures = db.query("SELECT territory_id, figure, unit FROM published_figures")
    by_t = {k: g for k, g in members.groupby("territory_id")}
    for r in rows.itertuples(index=False):
        m = by_t.get(r.id, members.iloc[0:0])
        codes = tuple(m.loc[m.role == "member", "code"])
        unit = figures[(figures.territory_id == r.id) & (figures.figure == "population")]["unit"]
        vintage = re.search(r"INSEE \d{4}", str(unit.iloc[0])) if len(unit) else None
        out.append(Territory(
            id=r.id, name=r.name, kind=r.kind, codes=codes, departement=_str(r.departement),
            region=communes.region_of_departement(_str(r.departement)), confidence=r.confidence or "unknown",
            perimeter_note=_str(r.perimeter_note) or "", published_communes=_int(r.published_communes),
            published_population=_int(r.published_population), published_as_of=_str(r.published_as_of),
            published_source=_str(r.published_source), published_scope=vintage.group(0) if vintage else None,
            candidates=tuple(m.loc[m.role == "candidate", "code"]),
            notes={c: n for c, n in zip(m["code"], m["note"]) if isinstance(n, str)}))
    t = communes.table
    groups: dict[tuple[str, str], list[str]] = {}
    for code, epci, dep, reg in zip(t["code"].tolist(), t["epci"].tolist(), t["departement"].tolist(),
                                    t["region"].tolist()):
        if isinstance(epci, str) and epci:
            groups.setdefault(("epci", epci), []).append(code)
        groups.setdefault(("departement", dep), []).append(code)
        groups.setdefault(("region", reg), []).append(code)
    for (kind, key), codes in sorted(groups.items()):
        if kind != "epci":
            continue
        name = communes.epci.at[key, "nom"] if key in communes.epci.index else f"EPCI {key}"
        dep = communes.main_departement(codes)
        out.append(Territory(id=f"epci-{key}", name=str(name), kind="epci", codes=tuple(codes), departement=dep,
                             region=communes.region_of_departement(dep), confidence="exact",
                             perimeter_note="Périmètre de l'EPCI au COG courant (Etalab, découpage administratif)."))
    for (kind, key), codes in sorted(groups.items()):
        if kind == "departement":
            name = communes.departement_name(key) or key
            out.append(Territory(id=f"dep-{key}", name=f"{name} ({key})", kind="departement", codes=tuple(codes),
                                 departement=str(key), region=communes.region_of_departement(key),
                                 confidence="exact", perimeter_note="Toutes les communes du département au COG courant."))
    for (kind, key), codes in sorted(groups.items()):
        if kind == "region":
            name = communes.region_name(key) or key
            dep = communes.main_departement(codes)
            out.append(Territory(id=f"reg-{key}", name=str(name), kind="region", codes=tuple(codes),
                                 departement=dep, region=str(key), confidence="exact",
                                 perimeter_note="Toutes les communes de la région au COG courant."))
    return out


def user_territory(u, communes: CommuneIndex) -> Territory:
    dep = communes.main_departement(u.communes)
    return Territory(id=u.id, name=u.name, kind="user", codes=tuple(u.communes), departement=dep,
                     region=communes.region_of_departement(dep), confidence="user",
                     perimeter_note=u.note or "Territoire défini par l'utilisateur.", file=u.file)


class TerritoryIndex:
    """Built-in territories (fixed per build) plus user territories (per user-data signature)."""

    def __init__(self, builtin: list[Territory], user: list[Territory], rejected: list[str]):
        ids = {t.id for t in builtin}
        self.user = [t for t in user if t.id not in ids]   # a user file cannot shadow a built-in territory
        self.all = builtin + self.user
        self.by_id = {t.id: t for t in self.all}
        self.rejected = rejected

    def get(self, territory_id: str) -> Territory:
        t = self.by_id.get(territory_id)
        if t is None:
            raise UnknownTerritory(f"territoire inconnu : {territory_id} (voir « python -m etl territories » ; "
                                   f"ids : CPTS, dep-<code>, reg-<code>, epci-<siren>, territoires enregistrés)")
        return t

    def of_kind(self, *kinds: str) -> list[Territory]:
        return [t for t in self.all if t.kind in kinds]

    def search(self, query: str, limit: int = 20) -> list[Territory]:
        q = fold(query or "")[:80]
        if not q:
            return []
        hits = []
        for t in self.all:
            name = fold(t.name)
            tid = t.id.lower()
            if q == tid or q == name:
                rank = 0
            elif name.startswith(q) or tid.startswith(q):
                rank = 1
            elif q in name:
                rank = 2
            else:
                continue
            hits.append((rank, KIND_ORDER.index(t.kind), t.name, t))
        hits.sort(key=lambda h: h[:3])
        return [h[3] for h in hits[:limit]]
