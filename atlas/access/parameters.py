"""Parameters of the accessibility indicator of each supply: activity, demand, unit, decay.

One :class:`AccessParameters` per supply of :data:`atlas.catalog.ACCESS_SUPPLIES`. The build
(``etl/steps/access.py``) writes them to the ``access_parameters`` table; the scenario model
(:mod:`atlas.access.model`) reads the same objects, so build and scenarios never disagree.

GPs (``mg``), in the unit of the DREES APL (consultations/visits accessible per year and per
standardised inhabitant), so that the DREES under-supply threshold 2.5 applies:

* **Supply.** The DREES counts each GP's consultations and visits of the year (SNIIR-AM) bounded
  by the ``Paramètres`` sheet: < 250 -> 0, 251-3,600 -> 3,600, 3,601-6,000 -> as observed,
  > 6,000 -> 6,000; a GP without liberal activity the year before gets 5,400. Open data gives
  **counts** of liberal GPs per commune (INSEE BPE), not their activity, so every GP counts for
  one standard activity, :data:`GP_STANDARD_ACTIVITY` = 4,100 consultations a year. It is
  calibrated on the DREES workbook itself: the consultations the APL distributes nationally,
  Σ APL × standardised population, are 254.5 M (2022) and 252.4 M (2023), i.e. 4,143 and 4,109
  per GP of the BPE 2019 (61,429 D201); 4,100 lies inside the DREES bounds [3,600; 6,000]. (By
  construction Σ A_i × P_i = Σ S_j, so this keeps the national mean of the APL.) ``bench/
  validate_access.py`` prints the calibration figures again.
* **New GP in a scenario.** The DREES imputes 5,400 consultations to a GP without activity the
  year before (``Paramètres``): :data:`GP_NEW_ACTIVITY`, the default activity of an added GP. A GP
  removed counts for the standard activity (his own is unknown). Callers may pass another activity.
* **Demand.** The DREES standardised population of the commune (age weights of ``Paramètres``;
  per-commune values in the workbook's ``Population standardisée`` column), else the population
  municipale where the workbook has none (Mayotte, communes created since).

Other supplies (nurses ``inf``, physiotherapists ``mk``, midwives ``sf``, dentists ``dent``,
pharmacies ``pharmacy``): the DREES measures FTE from fees, which are not open data; the BPE gives
**headcounts** of liberal professionals (and of pharmacies). So supply = headcount (activity 1),
demand = population municipale, and the value is **professionals (pharmacies) accessible per
100,000 inhabitants** — not the DREES FTE unit (the catalogue's units say so). Midwives: the DREES
standardises on women; no commune-level population by sex is in the sources the build reads
(Etalab's communes give the total only), so the population municipale is used and the unit says
"habitants", not "femmes".
"""
from __future__ import annotations

from dataclasses import dataclass

from atlas.catalog import CATALOG, access_id

from .weights import DECAYS, Decay

GP_STANDARD_ACTIVITY = 4_100.0
GP_NEW_ACTIVITY = 5_400.0
GP_UNDER_SUPPLY_THRESHOLD = CATALOG[access_id("mg")].thresholds[0].value   # 2.5, DREES (stated in the catalogue)

DEMAND_STANDARDISED = "population_standardisee_mg"   # DREES workbook, else population municipale
DEMAND_POPULATION = "population_municipale"


@dataclass(frozen=True)
class AccessParameters:
    profession: str
    decay: Decay
    activity: float            # supply units of one professional (consultations a year for GPs, 1 otherwise)
    new_activity: float        # supply units of a professional added in a scenario
    scale: float               # value = A × scale (1 for GPs; 100,000 for "per 100,000 inhabitants")
    demand: str                # DEMAND_STANDARDISED | DEMAND_POPULATION
    supply_unit: str           # French, for people
    value_unit: str            # the catalogue's unit of access_<p> (atlas/catalog.py states it, once)
    threshold: float | None    # under-supply threshold on the value scale (GPs: 2.5), else None
    activity_source: str

    def as_row(self) -> dict:
        """The row of the build's ``access_parameters`` table (JSON-ready)."""
        return {"profession": self.profession, "decay_steps": self.decay.as_json(), "cutoff": self.decay.cutoff,
                "time_error_sigma": 0.0,
                "decay_source": self.decay.source, "activity": self.activity, "new_activity": self.new_activity,
                "scale": self.scale, "demand": self.demand, "supply_unit": self.supply_unit,
                "value_unit": self.value_unit, "threshold": self.threshold, "activity_source": self.activity_source}


def _headcount(prof: str, what: str) -> AccessParameters:
    return AccessParameters(
        profession=prof, decay=DECAYS[prof], activity=1.0, new_activity=1.0, scale=100_000.0,
        demand=DEMAND_POPULATION, supply_unit=what, value_unit=CATALOG[access_id(prof)].unit,
        threshold=None, activity_source="effectif (INSEE BPE) : pas d'activité par professionnel en données ouvertes")


PARAMETERS: dict[str, AccessParameters] = {
    "mg": AccessParameters(
        profession="mg", decay=DECAYS["mg"], activity=GP_STANDARD_ACTIVITY, new_activity=GP_NEW_ACTIVITY, scale=1.0,
        demand=DEMAND_STANDARDISED, supply_unit="consultations/visites par an",
        value_unit=CATALOG[access_id("mg")].unit,
        threshold=GP_UNDER_SUPPLY_THRESHOLD,
        activity_source=("activité standard de 4 100 consultations par médecin, calée sur le total national de "
                         "l'APL DREES 2022-2023 (Σ APL × population standardisée / médecins BPE 2019) ; "
                         "nouveau médecin : 5 400 (imputation DREES, feuille « Paramètres »)")),
    "inf": _headcount("inf", "infirmiers libéraux"),
    "mk": _headcount("mk", "masseurs-kinésithérapeutes libéraux"),
    "sf": _headcount("sf", "sages-femmes libérales"),
    "dent": _headcount("dent", "chirurgiens-dentistes libéraux"),
    "pharmacy": _headcount("pharmacy", "pharmacies"),
}
