"""The read model: the only way anything (CLI, pages, exports, benchmarks) reads a build.

    from atlas.read import current, open_build
    atlas = current()                                   # this process's reader of the current build
    t = atlas.territory("aunis-sud")                    # or dep-17, reg-75, epci-200041762, a user id
    e = atlas.entry("density_mg_liberal", t)            # value, secret, year, source, references …
    df = atlas.commune_values("apl_mg", t.codes)        # one row per commune, small numbers masked
    atlas.version                                       # cache key: build id + user-data signature

A reader is a thin composition of small parts, each with one job: :class:`BuildDB` (connection),
:class:`CommuneIndex` (communes in a fixed order, search), :class:`ValueStore` (per-commune arrays,
imports merged), :class:`ReferenceStore`, :class:`Provenance`, territories, :class:`Supply`
(professionals, locations), :class:`Geometry`, :class:`Accessibility` (what-if scenarios). Figures come from :func:`atlas.read.entries.make_entry`
(ratio of sums and secrecy from :mod:`atlas.figures`). Nothing here writes, builds or downloads.
"""
from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pandas as pd

from .. import paths
from ..catalog import CATALOG, Indicator, indicator
from ..errors import AtlasError
from ..figures import commune_secret
from .access import Accessibility
from .communes import CommuneIndex, normalise_code
from .db import BuildDB
from .entries import make_entry
from .geometry import Geometry
from .provenance import Provenance
from .references import ReferenceStore
from .supply import Supply
from .territories import Territory, TerritoryIndex, load_builtin, user_territory
from .userdata import UserData
from .values import ValueStore

OK, SECRET, MISSING = "ok", "secret", "missing"
VALUE_COLUMNS = ["code", "value", "numerator", "denominator", "year", "source_id", "synthetic", "status"]


class Atlas:
    def __init__(self, data_dir: Path | None = None, *, build_dir: Path | None = None,
                 userdata: UserData | None = None):
        self.data_dir = Path(data_dir or paths.data_dir())
        build = Path(build_dir) if build_dir else paths.current_build(self.data_dir)
        self.db = BuildDB(build)
        self.build_dir = self.db.build_dir
        self.userdata = userdata or UserData()
        self.communes = CommuneIndex.load(self.db)
        self.values = ValueStore(self.db, self.communes, self.userdata)
        self.references = ReferenceStore(self.db)
        self.provenance = Provenance(self.db, self.userdata)
        self.supply = Supply(self.db, self.communes, self.values)
        self.geometry = Geometry(self.build_dir)
        self.access = Accessibility(self.db)
        self._builtin = load_builtin(self.db, self.communes)
        self._published = self.db.query("SELECT * FROM published_figures")
        self._territories: tuple[tuple, TerritoryIndex] | None = None
        self._lock = threading.Lock()

    # -- identity ---------------------------------------------------------------------------------
    @property
    def build_id(self) -> str:
        return self.provenance.build_info.get("build_id") or self.build_dir.name

    @property
    def version(self) -> str:
        """Build id + user-data signature: changes when a build is swapped in or a user file changes.
        The key of every cache above the read model."""
        return f"{self.build_id}:{self.userdata.signature()}"

    @property
    def build_info(self) -> dict:
        return dict(self.provenance.build_info)

    def close(self) -> None:
        self.db.close()

    def warm(self) -> int:
        """Read ahead what the first views of a server ask: for every indicator, which years each
        commune has and the arrays of its latest year (~15 ms each, ~30 MB for France). A server's
        worker runs it in a background thread when it opens a build (:func:`atlas.read.current`), so
        that the first change of indicator on a map does not pay the read (bench/compare_explorer.py:
        the cold reads made a CPTS's server time per interaction ~2x the Leaflet explorer's). Stops
        quietly when the build is swapped out meanwhile. Returns the number of arrays read."""
        n = 0
        try:
            for iid in CATALOG:
                if self.closed:
                    break
                years = self.values.years(iid)
                if years:
                    self.values.presence(iid)
                    self.values.arrays(iid, years[-1])
                    n += 1
        except AtlasError:              # BuildChanged: a newer build is being read; nothing to warm
            pass
        return n

    @property
    def closed(self) -> bool:
        return self.db.closed

    # -- catalogue --------------------------------------------------------------------------------
    @staticmethod
    def indicator(indicator_id: str) -> Indicator:
        return indicator(indicator_id)

    def years(self, indicator_id: str) -> list[int]:
        """Every year the indicator has commune values or references for, ascending."""
        return sorted(set(self.values.years(indicator_id)) | set(self.references.years(indicator_id)))

    def years_for(self, indicator_id: str, codes) -> list[int]:
        """Years this set of communes has values for (any of them), ascending; when none, the years of
        the references (an indicator published only by département, e.g. vaccination coverage)."""
        pos = self.communes.positions(codes)
        years, has = self.values.presence(indicator_id)
        ys = [y for y, row in zip(years, has) if len(pos) and row[pos].any()]
        return ys or self.references.years(indicator_id)

    def available(self, indicator_id: str) -> bool:
        return bool(self.years(indicator_id))

    # -- territories --------------------------------------------------------------------------------
    def _index(self) -> TerritoryIndex:
        sig = self.userdata.territories_signature()
        cached = self._territories
        if cached is not None and cached[0] == sig:
            return cached[1]
        found, errors = self.userdata.territories(self.communes.position)
        index = TerritoryIndex(self._builtin, [user_territory(u, self.communes) for u in found], errors)
        self._territories = (sig, index)
        return index

    def territories(self, *kinds: str) -> list[Territory]:
        idx = self._index()
        return idx.of_kind(*kinds) if kinds else list(idx.all)

    def territory(self, territory_id: str) -> Territory:
        return self._index().get(territory_id)

    def rejected_user_files(self) -> list[str]:
        return list(self._index().rejected)

    def search_territories(self, query: str, limit: int = 20) -> list[Territory]:
        return self._index().search(query, limit)

    def search_communes(self, query: str, limit: int = 20) -> list[dict]:
        return self.communes.search(query, limit)

    @property
    def valid_codes(self) -> frozenset[str]:
        """Current commune codes (what imports and saved territories are validated against)."""
        return frozenset(self.communes.position)

    def published_figures(self, territory_id: str) -> list[dict]:
        df = self._published[self._published["territory_id"] == territory_id]
        return json.loads(df.drop(columns="territory_id").to_json(orient="records", force_ascii=False))

    # -- figures ------------------------------------------------------------------------------------
    def _out_of_scope(self, ind: Indicator, pos: np.ndarray) -> str | None:
        if not ind.scope_exclusions or not len(pos):
            return None
        deps = set(self.communes.table["departement"].to_numpy()[pos])
        for dep, reason in ind.scope_exclusions:
            if deps == {dep}:
                return reason
        return None

    def entry(self, indicator_id: str, territory: Territory | None = None, *, codes=None,
              year: int | None = None) -> dict:
        """The figure of ``indicator_id`` for a territory (or a set of communes) and its references."""
        ind = indicator(indicator_id)
        if territory is not None:
            codes, dep, reg = territory.codes, territory.departement, territory.region
        else:
            codes = [normalise_code(c) for c in (codes or [])]
            dep = self.communes.main_departement(codes)
            reg = self.communes.region_of_departement(dep)
        pos = self.communes.positions(codes)
        distinct = None
        if ind.distinct_persons and ind.profession:
            area = [str(c) for c in self.communes.codes[pos]]
            distinct = lambda y: self.supply.distinct_persons(ind.profession, ind.mode or "all", area, y)  # noqa: E731
        return make_entry(ind, pos, len(codes), dep, reg, year, self.values, self.references, self.provenance,
                          self._out_of_scope(ind, pos), distinct)

    def territory_summary(self, territory_id: str, year: int | None = None,
                          indicator_ids: list[str] | None = None) -> dict:
        """The CLI's ``summary`` (README contract)."""
        t = self.territory(territory_id)
        return {
            "territory_id": t.id, "name": t.name, "kind": t.kind,
            "communes": len(t.codes), "population": self.communes.population_of(t.codes),
            "departement": t.departement, "region": t.region,
            "perimeter": {"confidence": t.confidence, "note": t.perimeter_note,
                          "published_communes": t.published_communes,
                          "published_population": t.published_population,
                          "published_as_of": t.published_as_of, "published_source": t.published_source,
                          "published_scope": t.published_scope, "candidates": list(t.candidates)},
            "indicators": [self.entry(i, t, year=year) for i in (indicator_ids or list(CATALOG))],
        }

    def commune_summary(self, code: str, year: int | None = None, indicator_ids: list[str] | None = None) -> dict:
        """The CLI's ``commune`` (README contract)."""
        c = self.communes.get(code)
        code = c["code"]
        return {
            "code": code, "name": c["nom"], "departement": c["departement"], "region": c["region"],
            "epci": c["epci"], "communes": 1,
            "population": None if pd.isna(c["population"]) else int(c["population"]),
            "has_geometry": bool(c["has_geometry"]),
            "territories": [t.id for t in self.territories() if code in t.codes],
            "indicators": [self.entry(i, codes=[code], year=year) for i in (indicator_ids or list(CATALOG))],
        }

    def default_year(self, indicator_id: str, codes) -> int | None:
        """The year an indicator is shown at for these communes when none is asked (its own latest)."""
        return self.entry(indicator_id, codes=codes)["year"]

    def commune_values(self, indicator_id: str, codes=None, year: int | None = None) -> pd.DataFrame:
        """One row per commune of ``codes`` (all of France when None), in code order: value, numerator,
        denominator, year, source_id, synthetic, status ('ok' | 'secret' | 'missing'). Small numbers are
        masked (value, numerator and denominator NaN when secret): safe to show or export.

        Built with array operations only: a map of France asks this for 35,000 communes at every
        recolour (measured by ``bench/bench_national_map.py``: ~57 ms a call with a Python step per
        commune, ~15 ms now). Codes already in the index's form (a map's drawn communes) are looked up
        as they are; only the others go through :func:`normalise_code`, which gives the same result."""
        ind = indicator(indicator_id)
        if codes is None:
            codes = list(self.communes.codes)
        else:
            position = self.communes.position
            codes = [c if c in position else normalise_code(c) for c in codes]
        pos = self.communes.positions(codes)
        if year is None:
            year = self.entry(indicator_id, codes=codes)["year"]
        code_col = self.communes.codes[pos]
        if year is None or year not in self.values.years(ind.id) or not len(pos):
            out = pd.DataFrame({"code": code_col})
            for c in VALUE_COLUMNS[1:]:
                out[c] = np.nan if c in ("value", "numerator", "denominator") else None
            out["status"] = MISSING
            out["synthetic"] = False
            return out[VALUE_COLUMNS]
        a = self.values.arrays(ind.id, year)
        has = a.has[pos]
        value = a.value[pos]
        secret = commune_secret(ind, a.denominator[pos]) & has
        sources = np.asarray([*a.sources, None], dtype=object)       # source index -1 (none) -> None
        return pd.DataFrame({
            "code": code_col,
            "value": np.where(secret, np.nan, value),
            "numerator": np.where(secret, np.nan, a.numerator[pos]),
            "denominator": np.where(secret, np.nan, a.denominator[pos]),
            "year": np.full(len(pos), int(year), dtype=np.int64),
            "source_id": sources[a.source[pos]],
            "synthetic": a.synthetic[pos] & has,
            "status": np.where(secret, SECRET, np.where(has & ~np.isnan(value), OK, MISSING)),
        }, columns=VALUE_COLUMNS)

    # -- provenance -----------------------------------------------------------------------------------
    def source_label(self, source_id: str | None) -> str | None:
        return self.provenance.label(source_id)

    def source_short(self, source_id: str | None) -> str:
        return self.provenance.short(source_id)

    def sources(self) -> list[dict]:
        return self.provenance.rows()

    @property
    def any_synthetic(self) -> bool:
        return self.provenance.any_synthetic

    def imports(self) -> list[dict]:
        return self.userdata.imports()

    # -- supply ------------------------------------------------------------------------------------
    def professionals(self, codes, year: int | None = None) -> pd.DataFrame:
        return self.supply.counts(codes, year)

    def locations(self, codes=None, professions=None) -> pd.DataFrame:
        return self.supply.locations(codes, professions)
