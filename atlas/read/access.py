"""Computed accessibility of a build, for what-if scenarios: the models of
:mod:`atlas.access.model`, loaded on first use per supply and kept (two at a time) by the reader.

A scenario is a list of supply changes (commune, ± professionals); its report — the same for the
command line (``python -m etl scenario``) and the Simulation page — says, for every commune whose
value changes, its value before and after, and for the territory (France when none) the figure
before and after and the population living in communes below the threshold (GPs: 2.5).
"""
from __future__ import annotations

import threading

import numpy as np

from .. import paths
from ..access.io import load_model, read_travel_times
from ..access.model import AccessModel, Change, pair_indices
from ..access.parameters import PARAMETERS
from ..catalog import ACCESS_SUPPLIES, access_id, indicator
from ..errors import AtlasError, UnknownIndicator
from .db import BuildDB
from .values import LRU

MODELS_KEPT = 2        # a national model is ~30 MB; the Simulation page uses one supply at a time


class Accessibility:
    def __init__(self, db: BuildDB):
        self._db = db
        self._models = LRU(MODELS_KEPT)
        self._pairs = None
        self._lock = threading.Lock()

    @property
    def available(self) -> list[str]:
        if not self._db.has_table("access_inputs") or not (self._db.build_dir / paths.TRAVEL_TIMES_FILE).is_file():
            return []
        have = {r[0] for r in self._db.rows("SELECT DISTINCT profession FROM access_inputs")}
        return [p for p in ACCESS_SUPPLIES if p in have]

    def parameters(self) -> list[dict]:
        """One row per computed supply: decay steps, activity, demand, units and their sources
        (the build's ``access_parameters``), in the order of ``ACCESS_SUPPLIES``."""
        if not self._db.has_table("access_parameters"):
            return []
        cols = ["profession", "year", "decay_steps", "cutoff", "time_error_sigma", "decay_source", "activity",
                "activity_source", "demand_source", "supply_unit", "value_unit", "threshold", "travel_times"]
        rows = [dict(zip(cols, r)) for r in self._db.rows(f"SELECT {', '.join(cols)} FROM access_parameters")]
        order = {p: i for i, p in enumerate(ACCESS_SUPPLIES)}
        return sorted(rows, key=lambda r: order.get(r["profession"], len(order)))

    def validation(self) -> list[dict]:
        """``access_mg`` against the DREES APL, one row per APL year (the build's ``access_validation``,
        :mod:`atlas.access.validation`)."""
        if not self._db.has_table("access_validation"):
            return []
        cols = ["apl_year", "supply_year", "communes", "rho_communes", "rho_big_communes", "rho_departments", "mae",
                "same_side", "mean_computed", "mean_apl"]
        return [dict(zip(cols, r)) for r in
                self._db.rows(f"SELECT {', '.join(cols)} FROM access_validation ORDER BY apl_year")]

    def _travel_pairs(self):
        with self._lock:
            if self._pairs is None:
                self._pairs = read_travel_times(self._db.build_dir / paths.TRAVEL_TIMES_FILE)
            return self._pairs

    def model(self, profession: str) -> AccessModel:
        if profession not in PARAMETERS:
            raise UnknownIndicator(f"profession inconnue pour l'accessibilité : {profession} "
                                   f"(connues : {', '.join(ACCESS_SUPPLIES)})")
        if profession not in self.available:
            raise UnknownIndicator(f"accessibilité aux {indicator(access_id(profession)).label.lower()} absente de "
                                   "ce build (offre BPE ou temps de trajet indisponibles)")

        def make():
            pairs = self._travel_pairs()
            return self._db.with_connection(
                lambda con: load_model(con, self._db.build_dir / paths.TRAVEL_TIMES_FILE, profession, pairs=pairs))
        return self._models.get(profession, make)


def _round(x, nd=4):
    return None if x is None or (isinstance(x, float) and np.isnan(x)) else round(float(x), nd)


def scenario_report(atlas, profession: str, changes: list[Change], territory=None) -> dict:
    """What a scenario does (JSON of ``python -m etl scenario``; also the Simulation page's data)."""
    if not changes:
        raise AtlasError("scénario vide : au moins un changement (commune, variation)")
    model = atlas.access.model(profession)
    for c in changes:
        if c.code not in atlas.communes:
            atlas.communes.get(c.code)          # raises UnknownCommune with its message
    codes = list(territory.codes) if territory is not None else None
    result = model.scenario(changes, territory=codes if codes else None)
    agg = result.territory if codes else result.france
    params = model.params
    names = atlas.communes.table["nom"]
    order = np.argsort(-np.abs(result.after - result.before), kind="stable")
    one = changes[0] if len(changes) == 1 else None
    activity = (one.activity if one and one.activity is not None else
                (params.new_activity if one and one.delta > 0 else params.activity)) if one else None
    return {
        "profession": profession, "indicator": access_id(profession), "unit": result.unit, "year": result.year,
        "commune": one.code if one else None, "delta": one.delta if one else None,
        "activity_per_professional": activity,
        "changes": [{"commune": c.code, "nom": names.get(c.code, ""), "delta": c.delta,
                     "activity": c.activity if c.activity is not None else
                     (params.new_activity if c.delta > 0 else params.activity)} for c in changes],
        "supply_change": _round(result.supply_change, 1), "lost_supply": _round(result.lost_supply, 1),
        "communes": [{"code": str(result.codes[i]), "nom": names.get(str(result.codes[i]), ""),
                      "population_weight": _round(result.demand[i], 1), "before": _round(result.before[i]),
                      "after": _round(result.after[i])} for i in order],
        "territory": {"id": territory.id if territory is not None else "france",
                      "name": territory.name if territory is not None else "France",
                      "before": _round(agg["before"]), "after": _round(agg["after"])},
        "population_below_threshold": {"threshold": params.threshold,
                                       "before": _round(agg["population_below_before"], 0),
                                       "after": _round(agg["population_below_after"], 0)},
    }


__all__ = ["Accessibility", "Change", "scenario_report", "pair_indices"]
