"""The communes of a build, in one fixed order (by code), with their administrative levels.

Every per-commune array of the read model (values, numerators, flags) is aligned on this order, so
that a territory is a vector of positions and its figure a few numpy reductions. Also the commune
search (name or code, accents, case, hyphens and apostrophes optional).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import UnknownCommune
from .db import BuildDB

CODE_RE = re.compile(r"^[0-9][0-9AB][0-9]{3}$")


ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}


def fold(text: str) -> str:
    """Lower case, no accents, hyphens/apostrophes/dots as spaces, single spaces, usual abbreviations
    spelt out: 'Saint-Étienne' and 'st etienne' -> 'saint etienne'."""
    t = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode().lower()
    t = re.sub(r"[-'’.,/()]", " ", t)
    return " ".join(ABBREVIATIONS.get(w, w) for w in t.split())


def normalise_code(code: str) -> str:
    c = str(code).strip().upper()
    return c.zfill(5) if c.isdigit() else c


@dataclass
class CommuneIndex:
    table: pd.DataFrame              # indexed by code, sorted: code, nom, departement, region, epci, population, …
    departements: pd.DataFrame       # indexed by code: nom, region
    regions: pd.DataFrame            # indexed by code: nom
    epci: pd.DataFrame               # indexed by code: nom, type

    @classmethod
    def load(cls, db: BuildDB) -> "CommuneIndex":
        table = db.query("SELECT * FROM communes ORDER BY code")
        # plain Python strings: arrow-backed string columns are slow to iterate and to group
        table = table.astype({c: object for c in table.columns if pd.api.types.is_string_dtype(table[c])})
        table = table.set_index("code", drop=False)
        deps = db.query("SELECT * FROM departements ORDER BY code").set_index("code", drop=False)
        regs = db.query("SELECT * FROM regions ORDER BY code").set_index("code", drop=False)
        epci = db.query("SELECT * FROM epci ORDER BY code").set_index("code", drop=False)
        out = cls(table, deps, regs, epci)
        out.position = {c: i for i, c in enumerate(table.index)}
        out.codes = np.asarray(table.index, dtype=object)
        out.population = pd.to_numeric(table["population"], errors="coerce").to_numpy(dtype="float64")
        out._folded = [fold(n) for n in table["nom"].tolist()]
        deps = table["departement"].astype(str).to_numpy()
        out._dep_codes, out._dep_idx = np.unique(deps, return_inverse=True)
        out._pop0 = np.nan_to_num(out.population)
        return out

    def __len__(self) -> int:
        return len(self.table)

    def __contains__(self, code) -> bool:
        return code in self.position

    def positions(self, codes) -> np.ndarray:
        """Positions of the known codes among ``codes`` (unknown ones are skipped), sorted."""
        pos = self.position
        return np.asarray(sorted({pos[c] for c in codes if c in pos}), dtype=np.int64)

    def locate(self, codes) -> np.ndarray:
        """Position of each of ``codes`` in the commune order, -1 for an unknown code (aligned with
        ``codes``): a binary search over the sorted codes, for tens of thousands of rows at a time
        (the value arrays of a year of France; pandas' get_indexer on object codes cost ~12 ms there)."""
        if getattr(self, "_sorted", None) is None:
            all_codes = np.asarray(self.table.index, dtype=str)
            order = np.argsort(all_codes, kind="stable")
            self._sorted = (all_codes[order], order)
        sorted_codes, order = self._sorted
        codes = np.asarray(codes, dtype=object).astype(str)
        if not len(sorted_codes) or not len(codes):
            return np.full(len(codes), -1, dtype=np.int64)
        i = np.minimum(np.searchsorted(sorted_codes, codes), len(sorted_codes) - 1)
        return np.where(sorted_codes[i] == codes, order[i], -1).astype(np.int64)

    def get(self, code: str) -> pd.Series:
        c = normalise_code(code)
        if c not in self.position:
            raise UnknownCommune(f"commune inconnue : {c} (code INSEE du COG courant attendu)")
        return self.table.loc[c]

    def name(self, code: str) -> str:
        return str(self.table.at[code, "nom"]) if code in self.position else code

    def population_of(self, codes) -> int:
        p = self.population[self.positions(codes)]
        return int(np.nansum(p)) if len(p) else 0

    def departement_name(self, code: str | None) -> str | None:
        return str(self.departements.at[code, "nom"]) if code in self.departements.index else None

    def region_name(self, code: str | None) -> str | None:
        return str(self.regions.at[code, "nom"]) if code in self.regions.index else None

    def region_of_departement(self, code: str | None) -> str | None:
        return str(self.departements.at[code, "region"]) if code in self.departements.index else None

    def main_departement(self, codes) -> str | None:
        """The département where most of these communes' population lives."""
        pos = self.positions(codes)
        if not len(pos):
            return None
        weights = np.bincount(self._dep_idx[pos], weights=self._pop0[pos], minlength=len(self._dep_codes))
        present = np.bincount(self._dep_idx[pos], minlength=len(self._dep_codes)) > 0
        weights[~present] = -1
        return str(self._dep_codes[int(np.argmax(weights))])

    def search(self, query: str, limit: int = 20) -> list[dict]:
        """Communes matching a name or a code: exact code first, then names starting with the query,
        then names containing it (accents, case, hyphens optional), larger communes first."""
        q = fold(query or "")[:80]
        if not q:
            return []
        out: list[tuple[tuple, int]] = []
        code_q = normalise_code(q) if q.replace(" ", "").isalnum() else None
        for i, (code, name) in enumerate(zip(self.codes, self._folded)):
            if code_q and code == code_q:
                rank = 0
            elif code.startswith(q.upper()) and q[:1].isdigit():
                rank = 1
            elif name == q:
                rank = 1
            elif name.startswith(q):
                rank = 2
            elif f" {q}" in f" {name}":
                rank = 3
            elif q in name:
                rank = 4
            else:
                continue
            out.append(((rank, -(self.population[i] if not np.isnan(self.population[i]) else 0), code), i))
        out.sort()
        t = self.table
        return [{"code": str(self.codes[i]), "nom": str(t.iat[i, t.columns.get_loc("nom")]),
                 "departement": str(t.iat[i, t.columns.get_loc("departement")])} for _, i in out[:limit]]
