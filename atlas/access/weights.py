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

All catchments end at 20 minutes, so one table of pairs of communes less than 20 minutes apart
(``travel_times.parquet``) serves every profession. A decay with a longer last bound needs a table
built with that cutoff (``etl/access/traveltime.py``, ``cutoff``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DREES_STEPS: tuple[tuple[float, float], ...] = ((10.0, 1.0), (15.0, 2.0 / 3.0), (20.0, 1.0 / 3.0))

DREES_GP_SOURCE = ("DREES, « Indicateur d'accessibilité potentielle localisée (APL) aux médecins généralistes », "
                   "millésimes 2022 et 2023, feuille « Paramètres »")
DREES_PARAMEDICAL_SOURCE = ("DREES, Études et Résultats n° 1100 (janvier 2019) et page méthode de l'APL (même "
                            "méthode, décroissance par temps de trajet) ; paliers des médecins généralistes, à "
                            "vérifier dans les feuilles « Paramètres » des classeurs APL de la profession")
PROJECT_CHOICE = "choix du projet : paliers de la DREES pour les médecins généralistes (pas d'APL DREES utilisable)"


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

    def weights(self, minutes) -> np.ndarray:
        return step_weights(minutes, self.steps)

    def as_json(self) -> list[list[float]]:
        return [[b, w] for b, w in self.steps]


def step_weights(minutes, steps: tuple[tuple[float, float], ...]) -> np.ndarray:
    """Weight of each travel time (vectorised): the weight of the first step whose bound is > t, else 0."""
    bounds = np.array([b for b, _ in steps], dtype=float)
    values = np.array([w for _, w in steps] + [0.0], dtype=float)
    return values[np.searchsorted(bounds, np.asarray(minutes, dtype=float), side="right")]


DECAYS: dict[str, Decay] = {
    "mg": Decay(DREES_STEPS, DREES_GP_SOURCE),
    "inf": Decay(DREES_STEPS, DREES_PARAMEDICAL_SOURCE),
    "mk": Decay(DREES_STEPS, DREES_PARAMEDICAL_SOURCE),
    "sf": Decay(DREES_STEPS, DREES_PARAMEDICAL_SOURCE),
    "dent": Decay(DREES_STEPS, PROJECT_CHOICE + " ; la DREES publie un APL aux chirurgiens-dentistes depuis 2024, "
                               "paramètres à vérifier"),
    "pharmacy": Decay(DREES_STEPS, PROJECT_CHOICE),
}

# The largest catchment of all decays: the cutoff of the travel-time table.
MAX_CUTOFF_MINUTES: float = max(d.cutoff for d in DECAYS.values())
