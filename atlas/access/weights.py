"""Distance decay of the accessibility model, as data: step functions of car travel time, per supply.

A decay is a tuple of ``(upper bound in minutes, weight)`` steps, bounds increasing: a travel time
``t`` gets the weight of the first step whose bound is **strictly greater** than ``t``, and 0 from
the last bound on. So the DREES steps ``((10, 1), (15, 2/3), (20, 1/3))`` read: t < 10 min -> 1;
10 <= t < 15 -> 2/3; 15 <= t < 20 -> 1/3; t >= 20 -> 0 (a time exactly on a bound belongs to the
step above it, as "entre 10 et 15 minutes" follows "moins de 10 minutes" in the DREES workbook).

Sources of each decay:

* ``mg`` (GPs): the ``Paramètres`` sheet of the DREES workbook "Indicateur d'accessibilité
  potentielle localisée (APL) aux médecins généralistes", millésimes 2022-2023 (in the mirror:
  ``drees/apl_generalistes_2022_2023.xlsx``): < 10 min 1, 10-15 min 2/3, 15-20 min 1/3, >= 20 min 0.
* ``inf``, ``mk``, ``sf`` (nurses, physiotherapists, midwives): the DREES publishes APL for these
  professions, computed with the same 2SFCA and a decay by car travel time between communes
  (Legendre, Aberki, Chaput, « Infirmiers, masseurs-kinésithérapeutes et sages-femmes :
  l'accessibilité s'améliore malgré des inégalités », Études et Résultats n° 1100, DREES, janvier
  2019; method page "L'indicateur d'accessibilité potentielle localisée (APL)", DREES). Their
  workbooks, and the exact steps in their ``Paramètres`` sheets, are online only: the steps used
  here are the GP steps, **to be checked** against each workbook when online (one line below).
* ``dent`` (dentists): the DREES published an APL to dentists in 2024 (millésimes 2021 to 2023,
  "Accessibilité aux soins de premier recours", DREES data release of 20 December 2024) whose
  decay is not in the mirror: the GP steps are **the project's own choice** until checked.
* ``pharmacy`` (pharmacies): no DREES APL exists; **the project's own choice**: the GP steps (a
  pharmacy is a first-contact service like a GP, and one catchment for every supply keeps one
  table of travel times, see :data:`MAX_CUTOFF_MINUTES`).

All catchments end at 20 minutes, so one table of pairs of communes (``travel_times.parquet``) serves
every profession. A decay with a longer last bound needs a table built with that cutoff.

**Approximate travel times.** The DREES applies its steps to road times (INSEE Metric). The build has
no road network: its times are an approximation (``etl/access/traveltime.py``) whose error on one
edge is of the order of ±20 %. A step function applied to a noisy time turns every error across a
bound into a jump of 1/3, so the build applies the steps **in expectation over the error of its
times**: with ``t = t̂ · e^η``, ``η ~ N(0, σ²)``, the weight of an estimated time ``t̂`` is
``E[w(t)] = Σ_k w_k · (Φ((ln b_k − ln t̂)/σ) − Φ((ln b_{k−1} − ln t̂)/σ))`` (:func:`expected_step_weights`),
the best estimate of the DREES weight given ``t̂``. :data:`TIME_ERROR_SIGMA` = 0.15 was chosen with the
validation (``bench/validate_access.py``: Spearman with the APL 2022 0.587 with the exact steps on the
same times, 0.613 with σ = 0.15, 0.616 with σ = 0.25 for 53 % more pairs; the weighted error and the
share on the right side of 2.5 improve too), and it makes the result less sensitive to the choices of
the approximation (Spearman between town-hall and polygon points 0.862 with the exact steps, 0.924). The expected weight falls
below :data:`WEIGHT_FLOOR` at 27.7 minutes (:func:`catchment_end`): the table of approximate times
keeps pairs up to there. Times given by a routing engine (``--file travel_times=PATH``) are taken as
exact: σ = 0, the DREES steps as they are, pairs up to 20 minutes.
"""
from __future__ import annotations

from dataclasses import dataclass

import math

import numpy as np
from scipy.special import ndtr, ndtri

DREES_STEPS: tuple[tuple[float, float], ...] = ((10.0, 1.0), (15.0, 2.0 / 3.0), (20.0, 1.0 / 3.0))

DREES_GP_SOURCE = ("DREES, « Indicateur d'accessibilité potentielle localisée (APL) aux médecins généralistes », "
                   "millésimes 2022 et 2023, feuille « Paramètres »")
DREES_PARAMEDICAL_SOURCE = ("DREES, Études et Résultats n° 1100 (janvier 2019) et page méthode de l'APL (même "
                            "méthode, décroissance par temps de trajet) ; paliers des médecins généralistes, à "
                            "vérifier dans les feuilles « Paramètres » des classeurs APL de la profession")
PROJECT_CHOICE = "choix du projet : paliers de la DREES pour les médecins généralistes (pas d'APL DREES utilisable)"


TIME_ERROR_SIGMA = 0.15   # σ of the log-error of the build's approximate travel times (see above)
WEIGHT_FLOOR = 0.005      # expected weights below this are dropped (the end of a smoothed catchment)


@dataclass(frozen=True)
class Decay:
    """A step decay: ``steps`` are (upper bound in minutes, weight), bounds strictly increasing."""
    steps: tuple[tuple[float, float], ...]
    source: str

    def __post_init__(self):
        bounds = [b for b, _ in self.steps]
        if not bounds or any(b2 <= b1 for b1, b2 in zip(bounds, bounds[1:])) or bounds[0] <= 0:
            raise ValueError(f"paliers de décroissance invalides : {self.steps}")

    @property
    def cutoff(self) -> float:
        """Travel time from which the weight is 0 (the last bound)."""
        return self.steps[-1][0]

    def weights(self, minutes, sigma: float = 0.0) -> np.ndarray:
        return expected_step_weights(minutes, self.steps, sigma)

    def cutoff_for(self, sigma: float = 0.0) -> float:
        """Minutes from which the (expected) weight is 0 or below :data:`WEIGHT_FLOOR`."""
        return catchment_end(self.steps, sigma)

    def as_json(self) -> list[list[float]]:
        return [[b, w] for b, w in self.steps]


def step_weights(minutes, steps: tuple[tuple[float, float], ...]) -> np.ndarray:
    """Weight of each travel time (vectorised): the weight of the first step whose bound is > t, else 0."""
    bounds = np.array([b for b, _ in steps], dtype=float)
    values = np.array([w for _, w in steps] + [0.0], dtype=float)
    return values[np.searchsorted(bounds, np.asarray(minutes, dtype=float), side="right")]


def expected_step_weights(minutes, steps: tuple[tuple[float, float], ...], sigma: float = 0.0) -> np.ndarray:
    """``E[w(t̂ · e^η)]`` with ``η ~ N(0, σ²)``; the plain steps when ``sigma`` is 0. Weights below
    :data:`WEIGHT_FLOOR` are 0; a time of 0 (within a commune) keeps the first step's weight."""
    t = np.asarray(minutes, dtype=float)
    if sigma <= 0:
        return step_weights(t, steps)
    log_t = np.log(np.maximum(t, 1e-9))
    out = np.zeros_like(t)
    below_previous = np.zeros_like(t)           # P(t < previous bound)
    for bound, weight in steps:
        below = ndtr((math.log(bound) - log_t) / sigma)
        out += weight * (below - below_previous)
        below_previous = below
    out[t <= 0] = steps[0][1]
    out[out < WEIGHT_FLOOR] = 0.0
    return out


def catchment_end(steps: tuple[tuple[float, float], ...], sigma: float = 0.0) -> float:
    """Time from which :func:`expected_step_weights` is 0: the last bound, or with ``sigma`` > 0 the time at
    which the last step's weight times P(t < last bound) falls to :data:`WEIGHT_FLOOR`."""
    bound, weight = steps[-1]
    if sigma <= 0 or weight <= WEIGHT_FLOOR:
        return float(bound)
    return float(bound * math.exp(sigma * float(ndtri(1.0 - WEIGHT_FLOOR / weight))))


DECAYS: dict[str, Decay] = {
    "mg": Decay(DREES_STEPS, DREES_GP_SOURCE),
    "inf": Decay(DREES_STEPS, DREES_PARAMEDICAL_SOURCE),
    "mk": Decay(DREES_STEPS, DREES_PARAMEDICAL_SOURCE),
    "sf": Decay(DREES_STEPS, DREES_PARAMEDICAL_SOURCE),
    "dent": Decay(DREES_STEPS, PROJECT_CHOICE + " ; la DREES publie un APL aux chirurgiens-dentistes depuis 2024, "
                               "paramètres à vérifier"),
    "pharmacy": Decay(DREES_STEPS, PROJECT_CHOICE),
}

# The largest catchment of all decays: the cutoff of a table of exact times (a routing engine's).
MAX_CUTOFF_MINUTES: float = max(d.cutoff for d in DECAYS.values())


def table_cutoff(sigma: float = 0.0) -> float:
    """Cutoff of the pairs table for times with a log-error ``sigma``: the largest catchment's end."""
    return max(d.cutoff_for(sigma) for d in DECAYS.values())
