"""The accessibility model of one supply, ready for what-if scenarios in milliseconds.

Build it once per (profession, year) from the build's tables, keep it in memory (about 50 MB for
France: the sparse weight matrix of ~2 M coefficients twice, CSR and CSC, and a few vectors of 35,000
communes; ~1 s to build), and ask
it ``scenario(changes)`` as often as wanted: a scenario costs a slice of a few columns of ``W`` and a
sparse product (Σ nnz of the changed columns), never a shortest-path run nor a pass over the pairs.

API (used by the build, ``python -m etl scenario`` and the "Simulation" page)::

    # from a build: the read model's read-only DuckDB connection and the build's travel_times.parquet
    from atlas.access.io import load_model
    model = load_model(con, build_dir / atlas.paths.TRAVEL_TIMES_FILE, "mg")   # latest year of the supply

    # or from arrays
    from atlas.access.model import AccessModel, Change
    from atlas.access.parameters import PARAMETERS

    model = AccessModel.from_pairs(
        codes,                      # (n,) commune codes (str), the communes of the model
        origin, destination, minutes,   # the pairs table (codes, codes, float minutes), e.g. travel_times.parquet
        supply=..., demand=..., population=...,   # (n,) aligned on ``codes`` (access_inputs)
        params=PARAMETERS["mg"], year=2019,
        professionals=...,          # (n,) headcounts (optional: lets a scenario refuse removing more than exist)
        time_error=0.15)            # σ of the times' log-error: TIME_ERROR_SIGMA for the build's approximate
                                    # times, 0 for a routing engine's (access_parameters.time_error_sigma)
    model.values                    # (n,) access of every commune, in the unit of the catalogue (A × scale)
    model.value_of("17300")         # one commune
    model.aggregate(territory)      # {"communes", "demand", "value", "population_below"} (ratio of sums);
                                    # territory: codes, or indices from model.indices(codes) (cache them)
    result = model.scenario([Change("17300", -2), Change("17297", +3)], territory=codes_of_the_cpts)
    result.to_dict()                # JSON-ready:
    # {"profession": "mg", "year": 2019, "unit": "...", "supply_change": 7800.0, "lost_supply": 0.0,
    #  "communes": [{"code": "17300", "before": 4.61, "after": 4.55}, ...],      # every commune that changes
    #  "territory": {"communes": 40, "demand": 74000.0, "before": 3.1, "after": 3.2,
    #                "population_below_before": 12000.0, "population_below_after": 9000.0},
    #  "france": {... same keys ...}}

``Change(code, delta, activity=None)``: ``delta`` professionals more (> 0) or fewer (< 0) in the
commune; ``activity`` the supply units of each (consultations a year for GPs) — by default
``params.new_activity`` for an addition (5,400 for a GP, the DREES imputation for a new GP) and
``params.activity`` for a removal (4,100, the standard activity). Several changes of one commune add
up. Removing more professionals than the commune has raises :class:`atlas.errors.AtlasError`; an
unknown commune raises :class:`atlas.errors.UnknownCommune`.

What a scenario returns (:class:`ScenarioResult`): the communes whose access changes with their value
before and after (every one of them lies within the catchment of a changed commune; the demand of
the others is unchanged, so are their values — step 1 uses demand only); the supply change ΔS; for
the territory given (and for France): ``Σ P·A / Σ P`` before and after (the APL rule: weighted by
the standardised population for GPs) and, where the supply has an under-supply threshold (GPs, 2.5),
the population municipale living in communes below it before and after (the DREES counts people
below a threshold with the non-standardised population). Conservation gives a check:
``Σ_i P_i · ΔA_i = ΔS`` when the changed communes have demand in reach.

The model keeps the demand fixed (a scenario changes supply only), which is what makes it exact with
one sparse product: ``ΔR_j = ΔS_j / D_j`` and ``ΔA = W[:, J] · ΔR_J``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np
import scipy.sparse as sp

from atlas.errors import AtlasError, UnknownCommune

from .fca import two_step, weight_matrix
from .parameters import AccessParameters


@dataclass(frozen=True)
class Change:
    code: str
    delta: float
    activity: float | None = None


@dataclass
class ScenarioResult:
    profession: str
    year: int | None
    unit: str
    supply_change: float                 # ΔS, supply units (consultations a year for GPs)
    lost_supply: float                   # part of ΔS in communes without demand in reach (serves nobody)
    codes: np.ndarray                    # communes whose value changes
    before: np.ndarray                   # their values before (catalogue unit)
    after: np.ndarray                    # and after
    demand: np.ndarray                   # their demand P (weights of the aggregates)
    territory: dict | None = None        # aggregates of the territory asked for
    france: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "profession": self.profession, "year": self.year, "unit": self.unit,
            "supply_change": self.supply_change, "lost_supply": self.lost_supply,
            "communes": [{"code": str(c), "before": float(b), "after": float(a)}
                         for c, b, a in zip(self.codes, self.before, self.after)],
            "territory": self.territory, "france": self.france,
        }


def _as_change(item) -> Change:
    if isinstance(item, Change):
        return item
    if isinstance(item, dict):
        return Change(str(item["code"]), float(item["delta"]), item.get("activity"))
    code, delta, *rest = item
    return Change(str(code), float(delta), float(rest[0]) if rest and rest[0] is not None else None)


def pair_indices(codes: Sequence[str], origin: Sequence[str], destination: Sequence[str]):
    """``(origin index, destination index, both known)`` of a pairs table keyed by codes, against ``codes``."""
    codes_arr = np.asarray(codes).astype(str)
    order = np.argsort(codes_arr)
    sorted_codes = codes_arr[order]

    def index(values) -> tuple[np.ndarray, np.ndarray]:
        values = np.asarray(values).astype(str)
        if values.size == 0 or sorted_codes.size == 0:
            return np.zeros(values.size, dtype=np.int64), np.zeros(values.size, dtype=bool)
        pos = np.clip(np.searchsorted(sorted_codes, values), 0, len(sorted_codes) - 1)
        return order[pos], sorted_codes[pos] == values

    oi, ok_o = index(origin)
    di, ok_d = index(destination)
    return oi, di, ok_o & ok_d


class AccessModel:
    """2SFCA of one supply over the communes ``codes``; see the module docstring for the API."""

    def __init__(self, codes: Sequence[str], W: sp.spmatrix, *, supply: np.ndarray, demand: np.ndarray,
                 population: np.ndarray | None, params: AccessParameters, year: int | None = None,
                 professionals: np.ndarray | None = None):
        self.codes = np.asarray(codes, dtype=object)
        n = len(self.codes)
        if W.shape != (n, n):
            raise ValueError(f"matrice de poids {W.shape} pour {n} communes")
        self.params = params
        self.year = year
        self.time_error = 0.0          # σ the weights of W were computed with (set by the constructors)
        self._order = np.argsort(self.codes.astype(str))
        self._sorted = self.codes.astype(str)[self._order]
        self.W = W.tocsr()
        self._Wc = self.W.tocsc()
        self.supply = np.asarray(supply, dtype=float)
        self.demand = np.asarray(demand, dtype=float)
        self.population = np.asarray(population if population is not None else demand, dtype=float)
        self.professionals = None if professionals is None else np.asarray(professionals, dtype=float)
        self.D, self.R, self.A = two_step(self.W, self.supply, self.demand)
        self.values = self.A * params.scale
        # France aggregates, precomputed once.
        self._num_all = float(np.dot(self.A, self.demand))
        self._den_all = float(self.demand.sum())
        self._below_all = self._below(self.values, self.population)

    # -- construction ---------------------------------------------------------------------------
    @classmethod
    def from_pairs(cls, codes: Sequence[str], origin: Sequence[str], destination: Sequence[str],
                   minutes: np.ndarray, *, supply, demand, population=None, params: AccessParameters,
                   year: int | None = None, professionals=None, time_error: float = 0.0) -> "AccessModel":
        """From a pairs table keyed by commune codes; pairs naming a commune outside ``codes`` are ignored."""
        oi, di, ok = pair_indices(codes, origin, destination)
        return cls.from_index_pairs(codes, oi[ok], di[ok], np.asarray(minutes, dtype=float)[ok], supply=supply,
                                    demand=demand, population=population, params=params, year=year,
                                    professionals=professionals, time_error=time_error)

    @classmethod
    def from_index_pairs(cls, codes: Sequence[str], origin: np.ndarray, destination: np.ndarray, minutes: np.ndarray,
                         *, supply, demand, population=None, params: AccessParameters, year: int | None = None,
                         professionals=None, time_error: float = 0.0) -> "AccessModel":
        """From pairs already given as row indices of ``codes`` (see :func:`pair_indices`): several supplies
        over one pairs table map the codes once."""
        W = weight_matrix(origin, destination, minutes, len(codes), params.decay.steps, sigma=time_error)
        model = cls(np.asarray(codes).astype(str), W, supply=supply, demand=demand, population=population,
                    params=params, year=year, professionals=professionals)
        model.time_error = time_error
        return model

    # -- lookups ----------------------------------------------------------------------------------
    def indices(self, codes: Iterable[str]) -> np.ndarray:
        """Row indices of commune codes (raises :class:`UnknownCommune` naming the first unknown one)."""
        values = np.asarray(list(codes) if not isinstance(codes, np.ndarray) else codes).astype(str)
        if values.size == 0:
            return np.zeros(0, dtype=np.int64)
        pos = np.clip(np.searchsorted(self._sorted, values), 0, len(self._sorted) - 1)
        bad = self._sorted[pos] != values
        if bad.any():
            raise UnknownCommune(f"commune inconnue du modèle d'accessibilité : {values[bad][0]}")
        return self._order[pos]

    def value_of(self, code: str) -> float:
        return float(self.values[self.indices([code])[0]])

    def _territory_index(self, territory) -> np.ndarray | None:
        if territory is None:
            return None
        arr = np.asarray(territory)
        if arr.dtype.kind in "iu":
            return arr.astype(np.int64)
        return self.indices(arr)

    def _below(self, values: np.ndarray, population: np.ndarray) -> float | None:
        if self.params.threshold is None:
            return None
        return float(population[values < self.params.threshold].sum())

    def aggregate(self, territory=None) -> dict:
        """``{"communes", "demand", "value", "population_below"}`` of a territory (codes or indices; None = all)."""
        idx = self._territory_index(territory)
        if idx is None:
            num, den, below, count = self._num_all, self._den_all, self._below_all, len(self.codes)
        else:
            num = float(np.dot(self.A[idx], self.demand[idx]))
            den = float(self.demand[idx].sum())
            below = self._below(self.values[idx], self.population[idx])
            count = int(idx.size)
        return {"communes": count, "demand": den,
                "value": num / den * self.params.scale if den > 0 else None, "population_below": below}

    # -- scenarios --------------------------------------------------------------------------------
    def supply_delta(self, changes: Iterable) -> tuple[np.ndarray, np.ndarray]:
        """``(J, ΔS_J)``: the changed communes (unique, sorted) and their supply change, validated."""
        items = [_as_change(c) for c in changes]
        if not items:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        idx = self.indices([c.code for c in items])
        deltas = np.array([c.delta for c in items], dtype=float)
        activity = np.array([c.activity if c.activity is not None else
                             (self.params.new_activity if c.delta > 0 else self.params.activity) for c in items])
        J, inv = np.unique(idx, return_inverse=True)
        dS = np.bincount(inv, weights=deltas * activity)
        if self.professionals is not None:
            left = self.professionals[J] + np.bincount(inv, weights=deltas)
            if (left < 0).any():
                k = int(np.flatnonzero(left < 0)[0])
                raise AtlasError(f"commune {self.codes[J[k]]} : {self.professionals[J[k]]:g} professionnel(s), "
                                 f"impossible d'en retirer {-(left[k] - self.professionals[J[k]]):g}")
        if (self.supply[J] + dS < -1e-9).any():
            k = int(np.flatnonzero(self.supply[J] + dS < -1e-9)[0])
            raise AtlasError(f"commune {self.codes[J[k]]} : l'offre deviendrait négative")
        return J, dS

    def scenario(self, changes: Iterable, territory=None) -> ScenarioResult:
        """What-if on supply: see the module docstring."""
        J, dS = self.supply_delta(changes)
        DJ = self.D[J]
        dR = np.where(DJ > 0, dS / np.where(DJ > 0, DJ, 1.0), 0.0)
        # ΔA = W[:, J] · ΔR_J, gathered from the CSC columns of J only.
        ptr, ind, dat = self._Wc.indptr, self._Wc.indices, self._Wc.data
        rows = [ind[ptr[j]:ptr[j + 1]] for j in J]
        vals = [dat[ptr[j]:ptr[j + 1]] * r for j, r in zip(J, dR)]
        if rows:
            rows_all = np.concatenate(rows)
            vals_all = np.concatenate(vals)
        else:
            rows_all, vals_all = np.zeros(0, dtype=np.int64), np.zeros(0)
        changed, inv = np.unique(rows_all, return_inverse=True)
        dA = np.bincount(inv, weights=vals_all, minlength=changed.size) if changed.size else np.zeros(0)
        nz = dA != 0
        changed, dA = changed[nz], dA[nz]
        scale = self.params.scale
        before = self.values[changed]
        after = (self.A[changed] + dA) * scale
        P = self.demand[changed]
        pop = self.population[changed]

        def agg(idx: np.ndarray | None) -> dict:
            base = self.aggregate(idx)
            inside = np.ones(changed.size, dtype=bool) if idx is None else np.isin(changed, idx)
            d_num = float(np.dot(P[inside], dA[inside]))
            den = base["demand"]
            out = {"communes": base["communes"], "demand": den, "before": base["value"],
                   "after": (base["value"] / scale * den + d_num) / den * scale if den > 0 else None,
                   "population_below_before": base["population_below"], "population_below_after": None}
            if base["population_below"] is not None:
                thr = self.params.threshold
                shift = float(np.dot(pop[inside], (after[inside] < thr).astype(float) - (before[inside] < thr)))
                out["population_below_after"] = base["population_below"] + shift
            return out

        t_idx = self._territory_index(territory)
        return ScenarioResult(
            profession=self.params.profession, year=self.year, unit=self.params.value_unit,
            supply_change=float(dS.sum()), lost_supply=float(dS[DJ <= 0].sum()),
            codes=self.codes[changed], before=before, after=after, demand=P,
            territory=agg(t_idx) if t_idx is not None else None, france=agg(None))
