"""The view state of the pages, in the URL: one encoder (:meth:`ViewState.search`) and one decoder
(:func:`parse_state`), both on the server. The browser never builds a query string: it applies the
one the server sends (``history.pushState``) and hands the URL back on "back" (``popstate``).

Query parameters (French, user-facing), shared by the map, the portrait, the editor and the
simulation so that a view can be shared, bookmarked, and followed from page to page:
  territoire   territory id (CPTS, ``dep-17``, ``reg-75``, ``epci-200041762``, a saved territory)
  indicateur   a selector choice (``density``, ``access``, ``apl_mg``…) or an indicator id
  profession   mg, inf, mk, sf, pharma, dent, pharmacy (only for choices that have professions)
  mode         ``tous`` | ``liberal`` (only where both exist)
  annee        year; ``depuis`` first year of a change map (``vue=evolution``)
  etendue      ``territoire`` | ``departement`` | ``region`` | ``france``
  lieux        ``1`` shows practice locations
  commune      the selected commune (code)
  presentation ``1`` opens the portrait in presentation mode
Values that make no sense fall back to defaults; an unknown territory is reported, not replaced.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import urlencode

from atlas.catalog import CATALOG, CHOICES, DEFAULT_INDICATOR, modes_of, professions_of, resolve

VALUE, CHANGE = "valeur", "evolution"
EXTENTS = {"territoire": "Le territoire", "departement": "Son département", "region": "Sa région",
           "france": "La France entière"}
MODE_TO_URL = {"all": "tous", "liberal": "liberal"}
URL_TO_MODE = {"tous": "all", "liberal": "liberal", "all": "all"}
DEFAULT_CHOICE = CATALOG[DEFAULT_INDICATOR].key_choice


@dataclass(frozen=True)
class ViewState:
    territory: str
    choice: str = DEFAULT_CHOICE
    profession: str | None = None
    mode: str | None = None
    year: int | None = None
    view: str = VALUE
    since: int | None = None
    extent: str = "territoire"
    locations: bool = False
    commune: str | None = None
    presentation: bool = False

    @property
    def indicator_id(self) -> str:
        return resolve(self.choice, self.profession, self.mode)

    def to_query(self) -> dict[str, str]:
        q = {"territoire": self.territory, "indicateur": self.choice}
        if professions_of(self.choice) and self.profession:
            q["profession"] = self.profession
        if len(modes_of(self.choice, self.profession)) > 1 and self.mode:
            q["mode"] = MODE_TO_URL[self.mode]
        if self.year is not None:
            q["annee"] = str(self.year)
        if self.view == CHANGE:
            q["vue"] = CHANGE
            if self.since is not None:
                q["depuis"] = str(self.since)
        if self.extent != "territoire":
            q["etendue"] = self.extent
        if self.locations:
            q["lieux"] = "1"
        if self.commune:
            q["commune"] = self.commune
        if self.presentation:
            q["presentation"] = "1"
        return q

    def search(self) -> str:
        return "?" + urlencode(self.to_query())

    def links(self) -> dict[str, str]:
        """Query strings that carry this view to the other pages (navigation bar): the territory
        everywhere, the indicator and year where they mean something."""
        base = {"territoire": self.territory}
        ind = {**base, "indicateur": self.indicator_id, **({"annee": str(self.year)} if self.year else {})}
        return {"/": self.with_(presentation=False).search(), "/portrait": "?" + urlencode(ind),
                "/editeur": "?" + urlencode(base), "/simulation": "?" + urlencode(base)}

    def url(self) -> dict:
        """What the browser applies: this page's query string and the navigation links."""
        return {"search": self.search(), "links": self.links()}

    def with_(self, **kw) -> "ViewState":
        return normalise(replace(self, **kw))

    def as_dict(self) -> dict:
        return {"territory": self.territory, "choice": self.choice, "profession": self.profession,
                "mode": self.mode, "year": self.year, "view": self.view, "since": self.since,
                "extent": self.extent, "locations": self.locations, "commune": self.commune,
                "indicator": self.indicator_id}

    @classmethod
    def from_dict(cls, d) -> "ViewState":
        """The state a store holds (anything a request may carry: not a dict gives the defaults)."""
        keys = ("territory", "choice", "profession", "mode", "year", "view", "since", "extent", "locations",
                "commune")
        d = d if isinstance(d, dict) else {}
        return normalise(cls(**{"territory": "", **{k: d.get(k) for k in keys if k in d}}))


def _year(v) -> int | None:
    try:
        y = int(str(v).strip())
    except (TypeError, ValueError):
        return None
    return y if 1900 <= y <= 2100 else None


def _known(value, allowed):
    """``value`` when it is one of ``allowed`` (strings), else None: never hashes a list or a dict."""
    return value if isinstance(value, str) and value in allowed else None


def normalise(s: ViewState) -> ViewState:
    """Make a state consistent: a profession and a mode only where the choice has them. Any field
    may hold anything a request carried: what is not a known value falls back to its default."""
    choice = _known(s.choice, CHOICES) or DEFAULT_CHOICE
    profs = professions_of(choice)
    prof = (_known(s.profession, profs) or profs[0]) if profs else None
    modes = modes_of(choice, prof)
    mode = (_known(s.mode, modes) or ("liberal" if "liberal" in modes else modes[0])) if modes else None
    view = _known(s.view, (VALUE, CHANGE)) or VALUE
    extent = _known(s.extent, EXTENTS) or "territoire"
    since = _year(s.since) if view == CHANGE else None
    commune = s.commune.strip().upper() if isinstance(s.commune, str) and s.commune.strip() else None
    if commune and not (len(commune) == 5 and commune.isalnum()):
        commune = None
    territory = s.territory if isinstance(s.territory, str) else ""
    return ViewState(territory=territory[:80], choice=choice, profession=prof, mode=mode,
                     year=_year(s.year), view=view, since=since, extent=extent, locations=bool(s.locations),
                     commune=commune, presentation=bool(s.presentation))


def parse_state(query: dict, default_territory: str | None = None) -> ViewState:
    """State from URL query parameters (values as strings). An indicator id is accepted for
    ``indicateur`` (``density_inf_liberal`` gives choice, profession and mode)."""
    def get(k):
        v = query.get(k)
        if isinstance(v, list):
            v = v[0] if v else None
        return v.strip()[:200] if isinstance(v, str) else None     # URL values are strings

    raw = get("indicateur") or DEFAULT_CHOICE
    profession, mode = get("profession"), URL_TO_MODE.get(get("mode") or "")
    if raw in CATALOG and raw not in CHOICES:
        ind = CATALOG[raw]
        raw, profession, mode = ind.key_choice, ind.profession, ind.mode
    elif raw in CATALOG and CATALOG[raw].key_choice != raw:
        raw = CATALOG[raw].key_choice
    return normalise(ViewState(
        territory=get("territoire") or default_territory or "", choice=raw, profession=profession, mode=mode,
        year=get("annee"), view=get("vue") or VALUE, since=get("depuis"), extent=get("etendue") or "territoire",
        locations=get("lieux") in ("1", "oui", "true"), commune=get("commune"),
        presentation=get("presentation") in ("1", "oui", "true")))


# -- the Simulation page ----------------------------------------------------------------------------------
SCENARIO_VIEWS = {"avant": "Avant", "apres": "Après", "ecart": "Écart"}
MAX_CHANGES = 50


@dataclass(frozen=True)
class ScenarioState:
    """``/simulation?territoire=…&profession=mg&changements=17300:-2,17028:3:5400&vue=apres&commune=…``:
    the supply changes (commune, ± professionals, optional activity of each) of a what-if."""
    territory: str
    profession: str = "mg"
    changes: tuple[tuple[str, float, float | None], ...] = ()
    view: str = "apres"
    extent: str = "territoire"
    commune: str | None = None

    def to_query(self) -> dict[str, str]:
        q = {"territoire": self.territory, "profession": self.profession}
        if self.changes:
            q["changements"] = ",".join(f"{c}:{_num(d)}" + (f":{_num(a)}" if a else "") for c, d, a in self.changes)
        if self.view != "apres":
            q["vue"] = self.view
        if self.extent != "territoire":
            q["etendue"] = self.extent
        if self.commune:
            q["commune"] = self.commune
        return q

    def search(self) -> str:
        return "?" + urlencode(self.to_query())

    def url(self) -> dict:
        return {"search": self.search(), "links": {"/": "?" + urlencode({"territoire": self.territory,
                                                                         "indicateur": "access",
                                                                         "profession": self.profession}),
                                                   "/portrait": "?" + urlencode({"territoire": self.territory}),
                                                   "/editeur": "?" + urlencode({"territoire": self.territory}),
                                                   "/simulation": self.search()}}

    def as_dict(self) -> dict:
        return {"territory": self.territory, "profession": self.profession,
                "changes": [list(c) for c in self.changes], "view": self.view, "extent": self.extent,
                "commune": self.commune}

    @classmethod
    def from_dict(cls, d: dict) -> "ScenarioState":
        d = d if isinstance(d, dict) else {}
        raw = d.get("changes") if isinstance(d.get("changes"), list) else []
        changes = tuple(tuple(c) for c in raw if isinstance(c, (list, tuple)) and len(c) == 3)
        return normalise_scenario(cls(territory=str(d.get("territory") or ""), profession=d.get("profession"),
                                      changes=changes, view=d.get("view"), extent=d.get("extent"),
                                      commune=d.get("commune")))

    def with_(self, **kw) -> "ScenarioState":
        return normalise_scenario(replace(self, **kw))


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _change(item) -> tuple[str, float, float | None] | None:
    try:
        code, delta, activity = item
        code = str(code).strip().upper()
        delta = float(delta)
        activity = float(activity) if activity not in (None, "") else None
    except (TypeError, ValueError):
        return None
    if not (len(code) == 5 and code.isalnum()) or not (-1000 <= delta <= 1000) or delta != delta:
        return None
    if activity is not None and not (0 < activity <= 50_000):
        activity = None
    return code, delta, activity


def _one_of(value, allowed, default):
    """``value`` when it is one of ``allowed`` (a string: a list or dict sent by a client is not hashable),
    else ``default``."""
    return value if isinstance(value, str) and value in allowed else default


def normalise_scenario(s: ScenarioState) -> ScenarioState:
    """Changes merged by commune (deltas added, zero dropped), at most MAX_CHANGES; valid view/extent."""
    from atlas.catalog import ACCESS_SUPPLIES
    merged: dict[str, list] = {}
    for item in s.changes[:MAX_CHANGES * 4]:
        c = _change(item)
        if c is None:
            continue
        code, delta, activity = c
        if code in merged:
            merged[code][0] += delta
            merged[code][1] = activity if activity is not None else merged[code][1]
        else:
            merged[code] = [delta, activity]
    changes = tuple((code, d, a) for code, (d, a) in merged.items() if d != 0)[:MAX_CHANGES]
    commune = s.commune.strip().upper() if isinstance(s.commune, str) and s.commune.strip() else None
    return ScenarioState(territory=str(s.territory or "")[:80],
                         profession=_one_of(s.profession, ACCESS_SUPPLIES, "mg"), changes=changes,
                         view=_one_of(s.view, SCENARIO_VIEWS, "apres"),
                         extent=_one_of(s.extent, EXTENTS, "territoire"),
                         commune=commune if commune and len(commune) == 5 and commune.isalnum() else None)


def parse_scenario(query: dict, default_territory: str | None = None) -> ScenarioState:
    def get(k):
        v = query.get(k)
        if isinstance(v, list):
            v = v[0] if v else None
        return v.strip()[:2000] if isinstance(v, str) else None

    changes = []
    for part in (get("changements") or "").split(","):
        bits = part.split(":")
        if len(bits) in (2, 3):
            changes.append((bits[0], bits[1], bits[2] if len(bits) == 3 else None))
    return normalise_scenario(ScenarioState(territory=get("territoire") or default_territory or "",
                                            profession=get("profession") or "mg", changes=tuple(changes),
                                            view=get("vue") or "apres", extent=get("etendue") or "territoire",
                                            commune=get("commune")))
