"""Indicator catalogue: every indicator declared once, as data (id, label, unit, aggregation rule).

Ids are stable (DESIGN.md): add new ids, never rename these. The aggregation rule is the one
applied at territory and reference levels (ratio of sums, see :mod:`etl.aggregate`).
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

# Patient-based shares with fewer than 11 patients in the denominator are not shown: the rule of
# "secret statistique" used by Assurance Maladie open data (effectifs de 1 à 10 masqués) and by
# most French health statistics; it protects individuals in small communes. Applied after
# aggregation: a territory whose summed denominator reaches 11 is shown.
SECRET_THRESHOLD = 11

PROFESSIONS = {
    "mg": "médecins généralistes",
    "inf": "infirmiers",
    "mk": "masseurs-kinésithérapeutes",
    "sf": "sages-femmes",
    # Pharmaciens d'officine (RPPS profession 21, sections A titulaires and D adjoints of the Ordre's
    # tableau), not pharmacies: pharmacies (BPE D307) are on the map's locations layer. See etl/parsers/rpps.py.
    "pharma": "pharmaciens d'officine",
    "dent": "chirurgiens-dentistes",
}

# Gender/wording of "libéral" per profession in labels.
LIBERAL_LABEL = {"sf": " libérales", "pharma": " titulaires (libéraux)"}

APL_UNIT = "consultations/visites accessibles par an et par habitant standardisé"
DENSITY_UNIT = "pour 10 000 habitants"


@dataclass(frozen=True)
class Indicator:
    id: str
    label: str
    unit: str
    family: str
    aggregation: str            # 'sum' | 'ratio'
    scale: float = 1.0
    profession: str | None = None
    mode: str | None = None
    higher_is_better: bool | None = None
    secret_threshold: int | None = None
    thresholds: tuple[float, ...] | None = None
    description: str = ""
    formula: str = ""
    extra: dict = field(default_factory=dict)

    def row(self) -> dict:
        d = asdict(self)
        d.pop("extra")
        d["thresholds"] = json.dumps(list(self.thresholds)) if self.thresholds else None
        return d


def _density(prof: str, mode: str) -> Indicator:
    suffix = "" if mode == "all" else "_liberal"
    label_mode = "" if mode == "all" else LIBERAL_LABEL.get(prof, " libéraux")
    name = PROFESSIONS[prof]
    de = "d'" if name[0] in "aeiouéèêh" else "de "
    return Indicator(
        id=f"density_{prof}{suffix}", label=f"Densité {de}{name}{label_mode}", unit=DENSITY_UNIT,
        family="density", aggregation="ratio", scale=10_000, profession=prof, mode=mode, higher_is_better=True,
        description=f"Nombre {de}{name}{label_mode} exerçant dans la commune (professionnels distincts) "
                    "rapporté à la population municipale.",
        formula="Σ professionnels / Σ population × 10 000",
    )


def _share(iid: str, label: str, unit: str, higher_is_better: bool, description: str, formula: str) -> Indicator:
    return Indicator(id=iid, label=label, unit=unit, family="access_mt" if iid.startswith("sans_mt") else "prevention",
                     aggregation="ratio", scale=100, higher_is_better=higher_is_better,
                     secret_threshold=SECRET_THRESHOLD, description=description, formula=formula)


CATALOG: dict[str, Indicator] = {i.id: i for i in [
    Indicator(id="population", label="Population municipale", unit="habitants", family="population",
              aggregation="sum", description="Population municipale INSEE (populations légales).",
              formula="Σ population"),
    Indicator(id="apl_mg", label="Accessibilité potentielle localisée (APL) aux médecins généralistes",
              unit=APL_UNIT, family="accessibility", aggregation="ratio", profession="mg", higher_is_better=True,
              thresholds=(2.5, 4.0),
              description="Indicateur DREES : nombre de consultations/visites de médecine générale accessibles par an "
                          "et par habitant standardisé (par âge). Sous-densité médicale : APL < 2,5.",
              formula="Σ (APL × population standardisée) / Σ population standardisée"),
    Indicator(id="apl_mg_65", label="APL aux médecins généralistes de moins de 65 ans", unit=APL_UNIT,
              family="accessibility", aggregation="ratio", profession="mg", higher_is_better=True,
              thresholds=(2.5, 4.0),
              description="APL restreint à l'offre des médecins généralistes de 65 ans ou moins (DREES).",
              formula="Σ (APL<65 × population standardisée) / Σ population standardisée"),
    *[_density(p, m) for p in PROFESSIONS for m in ("all", "liberal")],
    _share("sans_mt_17", "Patients de 17 ans et plus sans médecin traitant", "% des patients de 17 ans et plus",
           False, "Part des patients de 17 ans et plus sans médecin traitant déclaré (Assurance Maladie).",
           "Σ patients sans médecin traitant / Σ patients × 100"),
    _share("depistage_sein", "Participation au dépistage du cancer du sein", "% des femmes de 50 à 74 ans", True,
           "Taux de participation au dépistage organisé du cancer du sein (femmes 50-74 ans, 2 ans).",
           "Σ femmes dépistées / Σ femmes éligibles × 100"),
    _share("depistage_colorectal", "Participation au dépistage du cancer colorectal", "% des 50-74 ans", True,
           "Taux de participation au dépistage organisé du cancer colorectal (50-74 ans, 2 ans).",
           "Σ personnes dépistées / Σ personnes éligibles × 100"),
    _share("depistage_col_uterus", "Dépistage du cancer du col de l'utérus", "% des femmes de 25 à 65 ans", True,
           "Taux de couverture du dépistage du cancer du col de l'utérus (femmes 25-65 ans, 3 ans).",
           "Σ femmes dépistées / Σ femmes éligibles × 100"),
    _share("vaccin_grippe_65", "Couverture vaccinale contre la grippe, 65 ans et plus", "% des 65 ans et plus", True,
           "Part des personnes de 65 ans et plus vaccinées contre la grippe saisonnière.",
           "Σ personnes vaccinées / Σ personnes ciblées × 100"),
]}
