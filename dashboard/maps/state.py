"""The explorer's view state: what the URL query says (``?territoire=…&indicateur=…``) and back.

Query parameters (French, user-facing):
  territoire   territory id (default: the first CPTS with communes)
  indicateur   ``density`` (with ``profession`` and ``mode``) or an indicator id (``apl_mg``,
               ``sans_mt_17``…); a density id such as ``density_inf_liberal`` is accepted too
  profession   mg, inf, mk, sf, pharma, dent
  mode         ``tous`` | ``liberal`` (densities only)
  annee        year (when the indicator has several)
  etendue      ``territoire`` | ``departement``
  lieux        ``1`` shows the practice locations layer
Unknown or invalid values fall back to defaults: a bad link still opens a view.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import urlencode

from atlas.catalog import CATALOG, PROFESSIONS

DENSITY = "density"
# Indicator choices offered by the selector, in order. "density" is resolved with profession + mode.
CHOICES: dict[str, str] = {
    DENSITY: "Densité de professionnels de santé",
    "apl_mg": "APL aux médecins généralistes",
    "apl_mg_65": "APL aux médecins généralistes de moins de 65 ans",
    "sans_mt_17": "Patients de 17 ans et plus sans médecin traitant",
    "depistage_sein": "Dépistage du cancer du sein",
    "depistage_colorectal": "Dépistage du cancer colorectal",
    "depistage_col_uterus": "Dépistage du cancer du col de l'utérus",
    "vaccin_grippe_65": "Vaccination contre la grippe, 65 ans et plus",
    "population": "Population municipale",
}
DEFAULT_CHOICE = "apl_mg"
DEFAULT_PROFESSION = "mg"
MODES = {"all": "Tous modes d'exercice", "liberal": "Libéraux"}
MODE_TO_URL = {"all": "tous", "liberal": "liberal"}
URL_TO_MODE = {v: k for k, v in MODE_TO_URL.items()} | {"all": "all", "liberal": "liberal"}
EXTENTS = {"territoire": "Le territoire", "departement": "Tout son département"}


def choice_of(indicator_id: str) -> str:
    return DENSITY if indicator_id.startswith("density_") else indicator_id


def resolve_indicator(choice: str, profession: str | None, mode: str | None) -> str:
    """Indicator id for a selector choice: ``('density', 'inf', 'liberal')`` -> ``density_inf_liberal``."""
    if choice == DENSITY:
        prof = profession if profession in PROFESSIONS else DEFAULT_PROFESSION
        return f"density_{prof}" + ("_liberal" if mode == "liberal" else "")
    return choice if choice in CATALOG else DEFAULT_CHOICE


def professions_for(choice: str) -> list[str]:
    """Professions the indicator exists for ([] when it has none)."""
    if choice == DENSITY:
        return list(PROFESSIONS)
    ind = CATALOG.get(choice)
    return [ind.profession] if ind is not None and ind.profession else []


@dataclass(frozen=True)
class ExplorerState:
    territory: str
    choice: str = DEFAULT_CHOICE
    profession: str = DEFAULT_PROFESSION
    mode: str = "all"
    year: int | None = None
    extent: str = "territoire"
    locations: bool = False

    @property
    def indicator_id(self) -> str:
        return resolve_indicator(self.choice, self.profession, self.mode)

    def to_query(self) -> dict[str, str]:
        q = {"territoire": self.territory, "indicateur": self.choice}
        if professions_for(self.choice) or self.locations:
            q["profession"] = self.profession
        if self.choice == DENSITY:
            q["mode"] = MODE_TO_URL.get(self.mode, "tous")
        if self.year is not None:
            q["annee"] = str(self.year)
        if self.extent != "territoire":
            q["etendue"] = self.extent
        if self.locations:
            q["lieux"] = "1"
        return q

    def search(self) -> str:
        return "?" + urlencode(self.to_query())

    def with_(self, **kw) -> "ExplorerState":
        return replace(self, **kw)


def parse_state(query: dict, territory_ids: list[str], default_territory: str | None = None) -> ExplorerState:
    """State from URL query parameters (values as strings); invalid values fall back to defaults."""
    def get(k):
        v = query.get(k)
        if isinstance(v, list):
            v = v[0] if v else None
        return v.strip() if isinstance(v, str) else v

    territory = get("territoire")
    if territory not in territory_ids:
        territory = default_territory if default_territory in territory_ids else (territory_ids[0] if territory_ids else "")
    raw = get("indicateur") or DEFAULT_CHOICE
    profession = get("profession")
    mode = URL_TO_MODE.get(get("mode") or "", "all")
    if raw.startswith("density_") and raw in CATALOG:
        ind = CATALOG[raw]
        choice, profession, mode = DENSITY, ind.profession, ind.mode
    elif raw in CHOICES:
        choice = raw
    else:
        choice = DEFAULT_CHOICE
    allowed = professions_for(choice)
    if profession not in PROFESSIONS or (allowed and profession not in allowed):
        profession = allowed[0] if allowed else (profession if profession in PROFESSIONS else DEFAULT_PROFESSION)
    try:
        year = int(get("annee")) if get("annee") else None
    except ValueError:
        year = None
    extent = get("etendue") if get("etendue") in EXTENTS else "territoire"
    locations = get("lieux") in ("1", "oui", "true")
    return ExplorerState(territory=territory, choice=choice, profession=profession, mode=mode, year=year,
                         extent=extent, locations=locations)
