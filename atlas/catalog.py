"""Indicator catalogue: every indicator declared once, as data, presentation included.

An indicator says what it is (label, unit, family), how territories aggregate it (``aggregation``
and ``scale``: ratio of sums, see :mod:`atlas.read.figures`), how it is shown (decimals, short
unit, the choice and profession it sits under in the selectors, class breaks, named thresholds and
their wording) and how it is protected (``secret_threshold``). Pages, exports and the CLI format
through :mod:`atlas.fmt` from these fields; nothing else states a unit, a precision or a threshold.

Ids are stable (DESIGN.md): add new ids, never rename these. Build an id from its parts only with
:func:`density_id` and :func:`access_id`.

Where an indicator is computed: ``population`` etl/steps/communes.py; ``apl_*`` etl/steps/apl.py;
``density_<p>_liberal``, ``density_pharmacy``, ``count_*`` etl/steps/bpe.py; ``density_<p>``
(all modes) etl/steps/professionals.py (RPPS); ``access_*`` etl/steps/access.py; ``sans_mt_17``,
``depistage_*``, ``vaccin_grippe_65`` commune values from CPAM tables (etl/steps/cpam.py and user
imports), references from official publications (etl/steps/official_references.py).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

# Patient-based shares with fewer than 11 patients in the denominator are not shown: the rule of
# "secret statistique" used by Assurance Maladie open data (effectifs de 1 à 10 masqués) and by
# most French health statistics; it protects individuals in small communes. Applied after
# aggregation, with a complementary rule against differencing (atlas/read/figures.py).
SECRET_THRESHOLD = 11

# Professions: id -> (plural label, label of one, liberal adjective agreeing with it).
PROFESSIONS: dict[str, str] = {
    "mg": "médecins généralistes",
    "inf": "infirmiers",
    "mk": "masseurs-kinésithérapeutes",
    "sf": "sages-femmes",
    # Pharmaciens d'officine (RPPS profession 21, sections A titulaires and D adjoints of the Ordre's
    # tableau): persons. Pharmacies (the shops, BPE D301/D307) are the "pharmacy" supply below.
    "pharma": "pharmaciens d'officine",
    "dent": "chirurgiens-dentistes",
}
PROFESSION_TITLES = {"mg": "Médecins généralistes", "inf": "Infirmiers", "mk": "Masseurs-kinésithérapeutes",
                     "sf": "Sages-femmes", "pharma": "Pharmaciens d'officine", "dent": "Chirurgiens-dentistes",
                     "pharmacy": "Pharmacies"}
# Supplies the BPE counts by commune (liberal professionals, and pharmacies): the professions of
# density_<p>_liberal from BPE and of the project's accessibility indicators access_<p>.
BPE_PROFESSIONS = ("mg", "inf", "mk", "sf", "dent")
ACCESS_SUPPLIES = ("mg", "inf", "mk", "sf", "dent", "pharmacy")
# Health structures counted by the BPE (portrait key figures, locations layer).
STRUCTURES = {"msp": "maisons de santé pluriprofessionnelles", "cds": "centres de santé"}

LIBERAL_LABEL = {"sf": " libérales", "pharma": " titulaires (libéraux)"}
# Supply of the access_<p> indicators other than GPs, in the plural (their unit says "… accessibles").
LIBERAL_ACCESS_LABEL = {"inf": "infirmiers libéraux", "mk": "masseurs-kinésithérapeutes libéraux",
                        "sf": "sages-femmes libérales", "dent": "chirurgiens-dentistes libéraux"}
MODES = {"all": "Tous modes d'exercice", "liberal": "Libéraux"}

APL_UNIT = "consultations/visites accessibles par an et par habitant standardisé"
APL_SHORT_UNIT = "consult./hab. std/an"
DENSITY_UNIT = "pour 10 000 habitants"
DENSITY_SHORT_UNIT = "/ 10 000 hab."


@dataclass(frozen=True)
class Threshold:
    """A named value of the indicator's scale, e.g. the DREES under-supply threshold of the APL.
    Its text is written with the value formatted by :func:`atlas.fmt.threshold_text`."""
    value: float
    label: str                   # "seuil de sous-densité médicale (DREES)"
    below: str = ""              # what "below" means: "sous-densité médicale"


@dataclass(frozen=True)
class Indicator:
    id: str
    label: str                   # French label shown to users
    unit: str                    # French unit, in full
    short_unit: str              # compact unit for tables, axes, tooltips
    family: str                  # population | density | count | accessibility | access | access_mt | prevention
    aggregation: str             # 'sum' | 'ratio' (Σ numerator / Σ denominator × scale)
    scale: float = 1.0
    decimals: int = 1            # displayed precision (values, class breaks, tooltips)
    choice: str = ""             # selector entry it belongs to (see CHOICES); "" = its own id
    profession: str | None = None
    mode: str | None = None      # 'all' | 'liberal' for densities
    higher_is_better: bool | None = None
    secret_threshold: int | None = None
    class_breaks: tuple[float, ...] | None = None   # fixed class breaks; None: classes from the data
    thresholds: tuple[Threshold, ...] = ()
    description: str = ""
    formula: str = ""
    detail: tuple[str, str] | None = None   # (label, template with {num} {den}) of numerator / denominator
    importable: bool = False     # a CPAM commune table may carry it (atlas/userdata/imports.py)
    # départements the source does not cover, with the reason shown instead of a value
    scope_exclusions: tuple[tuple[str, str], ...] = ()
    reference_note: str = ""     # what the references cover, when not all of France
    # the numerator of an area counts distinct persons (RPPS: one professional with several practice
    # communes in the area counts once), not the sum of the communes' numerators
    distinct_persons: bool = False
    official_references: bool = False  # references from département/région publications, not from communes
    extra: dict = field(default_factory=dict)

    @property
    def key_choice(self) -> str:
        return self.choice or self.id

    def row(self) -> dict:
        """The row of the build's ``indicators`` table."""
        return {"id": self.id, "label": self.label, "unit": self.unit, "family": self.family,
                "profession": self.profession, "mode": self.mode, "aggregation": self.aggregation,
                "scale": self.scale, "higher_is_better": self.higher_is_better,
                "secret_threshold": self.secret_threshold,
                "thresholds": json.dumps(list(self.class_breaks)) if self.class_breaks else None,
                "description": self.description, "formula": self.formula}


def density_id(profession: str, mode: str = "all") -> str:
    """``('inf', 'liberal')`` -> ``density_inf_liberal``; ``('pharmacy', …)`` -> ``density_pharmacy``."""
    if profession == "pharmacy":
        return "density_pharmacy"
    return f"density_{profession}" + ("_liberal" if mode == "liberal" else "")


def access_id(profession: str) -> str:
    return f"access_{profession}"


def _de(name: str) -> str:
    return "d'" if name[0] in "aeiouéèêh" else "de "


def _density(prof: str, mode: str) -> Indicator:
    label_mode = "" if mode == "all" else LIBERAL_LABEL.get(prof, " libéraux")
    name = PROFESSIONS[prof]
    source = ("RPPS (tous modes d'exercice)" if mode == "all" else
              "INSEE BPE (libéraux, par commune d'exercice)" if prof in BPE_PROFESSIONS else "RPPS (libéraux)")
    return Indicator(
        id=density_id(prof, mode), label=f"Densité {_de(name)}{name}{label_mode}", unit=DENSITY_UNIT,
        short_unit=DENSITY_SHORT_UNIT, family="density", aggregation="ratio", scale=10_000, decimals=1,
        choice="density", profession=prof, mode=mode, higher_is_better=True,
        description=f"Nombre {_de(name)}{name}{label_mode} exerçant dans la commune, rapporté à la population "
                    f"municipale. Source des effectifs : {source}.",
        formula="professionnels distincts / Σ population × 10 000" if mode == "all" or prof not in BPE_PROFESSIONS
        else "Σ professionnels / Σ population × 10 000",
        detail=("Professionnels / habitants", "{num} / {den}"),
        distinct_persons=mode == "all" or prof not in BPE_PROFESSIONS,
    )


def _access(prof: str) -> Indicator:
    name = PROFESSION_TITLES[prof].lower()
    if prof == "mg":
        return Indicator(
            id=access_id(prof), label="Accessibilité calculée aux médecins généralistes (2SFCA, méthode APL)",
            unit=APL_UNIT, short_unit=APL_SHORT_UNIT, family="access", aggregation="ratio", decimals=2,
            choice="access", profession=prof, higher_is_better=True, class_breaks=(1.5, 2.5, 3.5, 4.5),
            thresholds=(Threshold(2.5, "seuil de sous-densité médicale (DREES)", "sous-densité médicale"),),
            description="Calcul du projet avec la méthode de l'APL de la DREES (2SFCA, décroissance par paliers du temps "
                        "de trajet en voiture) sur l'offre réelle de la BPE (médecins généralistes libéraux, une "
                        "activité standard de 4 100 consultations par an chacun) et la population standardisée de "
                        "la DREES : consultations accessibles par an et par habitant standardisé. Comparé à l'APL "
                        "officielle dans la page Méthodes.",
            formula="Σ (accessibilité × population standardisée) / Σ population standardisée",
            detail=("Population standardisée", "{den}"))
    # Headcounts, not the DREES FTE: the BPE counts professionals, their fees are not open data; and per
    # 100,000 inhabitants for midwives too (no commune population by sex in the build's sources).
    # Parameters and their sources: atlas/access/parameters.py, atlas/access/weights.py.
    what = "pharmacies" if prof == "pharmacy" else LIBERAL_ACCESS_LABEL[prof]
    return Indicator(
        id=access_id(prof), label=f"Accessibilité calculée : {name} (2SFCA)",
        unit=f"{what} accessibles pour 100 000 habitants", short_unit="/ 100 000 hab.", family="access",
        aggregation="ratio", decimals=1, choice="access", profession=prof, higher_is_better=True,
        description=f"Calcul du projet avec la méthode de l'APL de la DREES (2SFCA, décroissance par paliers du temps "
                    f"de trajet en voiture : 1 sous 10 min, 2/3 de 10 à 15, 1/3 de 15 à 20) sur l'offre réelle de la "
                    f"BPE ({what}, effectifs et non ETP) rapportée à la population municipale. Paramètres et sources "
                    f"dans la page Méthodes.",
        formula="Σ (accessibilité × population municipale) / Σ population municipale",
        detail=("Population municipale", "{den}"))


def _share(iid: str, label: str, unit: str, higher_is_better: bool, description: str, formula: str,
           detail: tuple[str, str]) -> Indicator:
    family = "access_mt" if iid.startswith("sans_mt") else "prevention"
    return Indicator(id=iid, label=label, unit=unit, short_unit="%", family=family, aggregation="ratio", scale=100,
                     decimals=1, higher_is_better=higher_is_better, secret_threshold=SECRET_THRESHOLD,
                     description=description, formula=formula, detail=detail, importable=True,
                     official_references=True)


APL_THRESHOLDS = (Threshold(2.5, "seuil de sous-densité médicale (DREES)", "sous-densité médicale"),)
APL_SCOPE = (("976", "Mayotte est hors du champ de l'APL publiée par la DREES"),)
APL_REFERENCE_NOTE = "Référence France hors Mayotte (hors du champ de l'APL de la DREES)."

CATALOG: dict[str, Indicator] = {i.id: i for i in [
    Indicator(id="population", label="Population municipale", unit="habitants", short_unit="hab.",
              family="population", aggregation="sum", decimals=0,
              description="Population municipale INSEE (populations légales).", formula="Σ population"),
    Indicator(id="apl_mg", label="Accessibilité potentielle localisée (APL) aux médecins généralistes",
              unit=APL_UNIT, short_unit=APL_SHORT_UNIT, family="accessibility", aggregation="ratio", decimals=2,
              profession="mg", higher_is_better=True, class_breaks=(1.5, 2.5, 3.5, 4.5), thresholds=APL_THRESHOLDS,
              description="Indicateur DREES : nombre de consultations/visites de médecine générale accessibles par an "
                          "et par habitant standardisé (par âge).",
              formula="Σ (APL × population standardisée) / Σ population standardisée",
              detail=("Population standardisée", "{den}"), scope_exclusions=APL_SCOPE,
              reference_note=APL_REFERENCE_NOTE),
    Indicator(id="apl_mg_65", label="APL aux médecins généralistes de moins de 65 ans", unit=APL_UNIT,
              short_unit=APL_SHORT_UNIT, family="accessibility", aggregation="ratio", decimals=2, profession="mg",
              higher_is_better=True, class_breaks=(1.5, 2.5, 3.5, 4.5), thresholds=APL_THRESHOLDS,
              description="APL restreint à l'offre des médecins généralistes de 65 ans ou moins (DREES).",
              formula="Σ (APL<65 × population standardisée) / Σ population standardisée",
              detail=("Population standardisée", "{den}"), scope_exclusions=APL_SCOPE,
              reference_note=APL_REFERENCE_NOTE),
    *[_density(p, m) for p in PROFESSIONS for m in ("all", "liberal")],
    Indicator(id="density_pharmacy", label="Densité de pharmacies", unit="pharmacies pour 10 000 habitants",
              short_unit=DENSITY_SHORT_UNIT, family="density", aggregation="ratio", scale=10_000, decimals=1,
              choice="density", profession="pharmacy", mode="all", higher_is_better=True,
              description="Nombre de pharmacies (officines) de la commune rapporté à la population municipale. "
                          "Source : INSEE, BPE.",
              formula="Σ pharmacies / Σ population × 10 000", detail=("Pharmacies / habitants", "{num} / {den}")),
    Indicator(id="count_msp", label="Maisons de santé pluriprofessionnelles", unit="maisons de santé",
              short_unit="MSP", family="count", aggregation="sum", decimals=0,
              description="Nombre de maisons de santé pluriprofessionnelles (INSEE, BPE).", formula="Σ équipements"),
    Indicator(id="count_cds", label="Centres de santé", unit="centres de santé", short_unit="centres",
              family="count", aggregation="sum", decimals=0,
              description="Nombre de centres de santé (INSEE, BPE).", formula="Σ équipements"),
    *[_access(p) for p in ACCESS_SUPPLIES],
    _share("sans_mt_17", "Patients de 17 ans et plus sans médecin traitant", "% des patients de 17 ans et plus",
           False, "Part des patients de 17 ans et plus sans médecin traitant déclaré (Assurance Maladie).",
           "Σ patients sans médecin traitant / Σ patients × 100",
           ("Patients sans médecin traitant / patients", "{num} / {den}")),
    _share("depistage_sein", "Participation au dépistage du cancer du sein", "% des femmes de 50 à 74 ans", True,
           "Taux de participation au dépistage organisé du cancer du sein (femmes 50-74 ans, 2 ans).",
           "Σ femmes dépistées / Σ femmes éligibles × 100", ("Personnes concernées", "{num} / {den}")),
    _share("depistage_colorectal", "Participation au dépistage du cancer colorectal", "% des 50-74 ans", True,
           "Taux de participation au dépistage organisé du cancer colorectal (50-74 ans, 2 ans).",
           "Σ personnes dépistées / Σ personnes éligibles × 100", ("Personnes concernées", "{num} / {den}")),
    _share("depistage_col_uterus", "Dépistage du cancer du col de l'utérus", "% des femmes de 25 à 65 ans", True,
           "Taux de couverture du dépistage du cancer du col de l'utérus (femmes 25-65 ans, 3 ans).",
           "Σ femmes dépistées / Σ femmes éligibles × 100", ("Personnes concernées", "{num} / {den}")),
    _share("vaccin_grippe_65", "Couverture vaccinale contre la grippe, 65 ans et plus", "% des 65 ans et plus", True,
           "Part des personnes de 65 ans et plus vaccinées contre la grippe saisonnière (campagne commençant "
           "l'année indiquée).", "Σ personnes vaccinées / Σ personnes ciblées × 100",
           ("Personnes vaccinées / ciblées", "{num} / {den}")),
]}

# Entries of the indicator selectors, in order: a "choice" groups indicators that differ by
# profession (and mode); the others are one indicator each.
CHOICES: dict[str, str] = {
    "density": "Densité de professionnels de santé",
    "apl_mg": "APL aux médecins généralistes (DREES)",
    "apl_mg_65": "APL aux médecins généralistes de moins de 65 ans (DREES)",
    "access": "Accessibilité calculée (2SFCA) par profession",
    "sans_mt_17": "Patients de 17 ans et plus sans médecin traitant",
    "depistage_sein": "Dépistage du cancer du sein",
    "depistage_colorectal": "Dépistage du cancer colorectal",
    "depistage_col_uterus": "Dépistage du cancer du col de l'utérus",
    "vaccin_grippe_65": "Vaccination contre la grippe, 65 ans et plus",
    "count_msp": "Maisons de santé pluriprofessionnelles",
    "count_cds": "Centres de santé",
    "population": "Population municipale",
}
DEFAULT_INDICATOR = "density_mg_liberal"     # real everywhere (INSEE BPE): the atlas opens on it
PREVENTION_IDS = ("depistage_sein", "depistage_colorectal", "depistage_col_uterus", "vaccin_grippe_65")


def indicator(indicator_id: str) -> Indicator:
    from .errors import UnknownIndicator
    try:
        return CATALOG[indicator_id]
    except KeyError:
        raise UnknownIndicator(f"indicateur inconnu : {indicator_id} (connus : {', '.join(CATALOG)})") from None


def members(choice: str) -> list[Indicator]:
    """Indicators of a selector choice, in catalogue order."""
    return [i for i in CATALOG.values() if i.key_choice == choice]


def professions_of(choice: str) -> list[str]:
    """Professions a choice exists for, in order ([] for an indicator without profession)."""
    out = []
    for i in members(choice):
        if i.profession and i.profession not in out and (choice in ("density", "access")):
            out.append(i.profession)
    return out


def modes_of(choice: str, profession: str | None) -> list[str]:
    """Modes a (choice, profession) exists in: ['all', 'liberal'], ['liberal'] … ([] without modes)."""
    return [i.mode for i in members(choice) if i.mode and i.profession == profession]


def resolve(choice: str, profession: str | None = None, mode: str | None = None) -> str:
    """Indicator id of a selector choice: ``('density', 'inf', 'liberal')`` -> ``density_inf_liberal``.
    A profession or mode the choice does not have falls back to its first one."""
    ms = members(choice)
    if not ms:
        return DEFAULT_INDICATOR
    if len(ms) == 1:
        return ms[0].id
    profs = professions_of(choice)
    prof = profession if profession in profs else profs[0]
    modes = modes_of(choice, prof)
    if modes:
        m = mode if mode in modes else ("liberal" if "liberal" in modes else modes[0])
        return density_id(prof, m) if choice == "density" else next(i.id for i in ms if i.profession == prof)
    return next(i.id for i in ms if i.profession == prof)
