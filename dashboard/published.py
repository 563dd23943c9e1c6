"""What is known and published about the five CPTS, in French, for the portrait, its slides and PDF.

The build keeps the evidence as compiled (``territories/cpts_seed_perimeters.csv``: English notes
per commune; ``cpts_published_figures.csv``: one row per figure with an English unit and source).
Those stay the evidence, unchanged; what a board shows is written here, in French: a summary of the
perimeter evidence per CPTS, the citation of each CPTS's source document (same publisher, document
and date as published), and a French label and unit for each published figure. This is a
presentation mapping in the dashboard, so the ETL and its tables are left as they are.

Numbers are written with :mod:`atlas.fmt`; nothing here states a computed figure (what the perimeter
gives is computed by :func:`dashboard.components.perimeter_note.perimeter_summary`).
"""
from __future__ import annotations

from atlas import fmt

# Summaries of the perimeter evidence (the seed CSV's notes), per CPTS.
PERIMETER_NOTES = {
    "ouest-rhodanien": (
        "Périmètre approché par excès : les 31 communes de la communauté d'agglomération de l'Ouest "
        "Rhodanien (SIREN 200040566). La CPTS en compte 27 pour 47 758 habitants selon la CPAM du Rhône "
        "(communiqué du 15 juin 2022) : 4 communes de l'agglomération, environ 3 000 habitants, n'en font "
        "pas partie, sans que l'on sache lesquelles."),
    "aunis-sud": (
        "Reconstitution de faible confiance : les 24 communes de la communauté de communes Aunis Sud, cœur "
        "du territoire, et, par hypothèse, 16 communes de la communauté d'agglomération de La Rochelle au sud "
        "et à l'est de la ville (l'agglomération moins La Rochelle, couverte par une autre CPTS, et moins "
        "11 communes prêtées à la CPTS Aunis Nord). Le nombre de communes correspond au chiffre publié ; la "
        "population, de 2023, diffère de celle publiée, de 2019."),
    "entre-loire-et-sucs": (
        "Reconstitution de faible confiance : les communautés de communes Marches du Velay-Rochebaron "
        "(14 communes), Loire Semène (7) et des Sucs (9), soit 30 communes, quand la CPTS en annonce 43 pour "
        "environ 77 000 habitants. Six d'entre elles (43012, 43127, 43153, 43184, 43205, 43058) figurent aussi "
        "dans la liste de la CPTS Ondaine-Forez publiée par l'ARS Auvergne-Rhône-Alpes le 13 décembre 2023. "
        "Quatorze communes candidates, non comptées, pourraient compléter le périmètre : celles des "
        "communautés de communes du Haut-Lignon (6) et du Haut Pays du Velay (8)."),
    "atlantique-nord-loire": (
        "Périmètre inconnu : aucune liste de communes n'est publiée. Première CPTS de Loire-Atlantique, au "
        "nord du département (contrat signé le 18 novembre 2020)."),
    "venissieux": "Périmètre exact : la commune de Vénissieux (69259), selon La Gazette des communes (2019).",
}

# The source document of each CPTS's published figures, cited in French.
SOURCES = {
    "ouest-rhodanien": "communiqué de presse de la CPAM du Rhône, 15 juin 2022",
    "aunis-sud": "communiqué de l'ARS Nouvelle-Aquitaine et de la CPAM de la Charente-Maritime, La Rochelle, "
                 "7 novembre 2022",
    "entre-loire-et-sucs": "article de presse sur la cinquième CPTS de Haute-Loire (contrat signé le 17 juillet 2024)",
    "atlantique-nord-loire": "article de la CPAM de la Loire-Atlantique sur le premier contrat de CPTS du "
                             "département (signé le 18 novembre 2020)",
    "venissieux": "article sur la première CPTS signataire de l'accord conventionnel interprofessionnel "
                  "(Vénissieux, août 2019)",
}

# figure key -> (French label, kind of value, noun for counts)
FIGURES = {
    "communes": ("Communes", "count", "commune"),
    "population": ("Habitants", "count", "habitant"),
    "member_professionals": ("Professionnels adhérents", "count", "professionnel"),
    "member_organisations": ("Membres (professionnels libéraux et structures)", "count", "membre"),
    "liberal_professionals": ("Professionnels de santé libéraux du territoire", "count", "professionnel"),
    "professionals_total": ("Professionnels de santé du territoire", "count", "professionnel"),
    "nurses": ("Infirmiers diplômés d'État", "count", "infirmier"),
    "ehpad": ("EHPAD", "count", "établissement"),
    "ehpad_beds": ("Lits d'EHPAD", "count", "lit"),
    "sans_mt_17": ("Patients de 17 ans et plus sans médecin traitant", "percent", ""),
    "sans_mt_17_reference_departement": ("Patients de 17 ans et plus sans médecin traitant, département",
                                         "percent", ""),
    "population_coverage": ("Population couverte par une CPTS après sa création", "percent", ""),
    "annual_funding_assurance_maladie": ("Financement annuel de l'Assurance Maladie (ACI)", "euros_year", ""),
    "annual_funding_ars": ("Financement annuel de l'ARS", "euros_year", ""),
    "startup_aid_ars": ("Aide au démarrage de l'ARS", "euros", ""),
    "contract_years": ("Durée du contrat", "count", "an"),
}
OTHER_FIGURE = "Autre chiffre publié"


def perimeter_explanation(t) -> str:
    """Where the perimeter comes from, in French: the CPTS summary, else the territory's own note
    (EPCI, département, région and user territories have French notes)."""
    if t.id in PERIMETER_NOTES:
        return PERIMETER_NOTES[t.id]
    return "" if t.kind == "cpts" else (t.perimeter_note or "")


def source_citation(territory_id: str, published: str | None) -> str:
    """The French citation of a CPTS's source document (the published text for other territories)."""
    return SOURCES.get(territory_id) or (published or "")


def _decimals(v: float) -> int:
    return 0 if float(v).is_integer() else 1


def figure_value(row: dict) -> str:
    """A published figure in words: ``40 communes``, ``environ 77 000 habitants (INSEE 2019)``,
    ``230 000 € par an au maximum``, ``14 %``."""
    _label, kind, noun = FIGURES.get(row.get("figure"), (OTHER_FIGURE, "count", ""))
    v = row.get("value")
    unit = str(row.get("unit") or "")
    if kind == "percent":
        text = fmt.percent(v, _decimals(v))
    elif kind == "euros_year":
        text = fmt.with_unit(fmt.integer(v), "€ par an")
    elif kind == "euros":
        text = fmt.with_unit(fmt.integer(v), "€")
    else:
        text = fmt.plural(v, noun) if noun else fmt.number(v, _decimals(v))
    if "approximately" in unit or "près de" in str(row.get("scope") or ""):
        text = "environ " + text
    if "maximum" in unit:
        text += " au maximum"
    if "INSEE" in unit:
        text += f" ({unit[unit.index('INSEE'):].rstrip(')')})"
    return text


def figure_rows(territory_id: str, published: list[dict]) -> list[tuple[str, str, str]]:
    """(label, value, date) of each published figure, in French, in the order published."""
    return [(FIGURES.get(r.get("figure"), (OTHER_FIGURE,))[0], figure_value(r), fmt.date(r.get("as_of")))
            for r in published]
