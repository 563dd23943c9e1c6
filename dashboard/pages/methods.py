"""Methods and sources: every dataset (publisher, title, vintage, licence, URL, date retrieved,
synthetic or not), every indicator (definition, formula, unit, aggregation rule, small-number rule),
and the perimeter evidence of each CPTS."""
from __future__ import annotations

import json

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html

from atlas import fmt
from atlas.access.validation import TARGETS, Validation, meets_targets
from atlas.catalog import CATALOG, SECRET_THRESHOLD, access_id
from atlas.read import current
from dashboard.components.perimeter_note import CONFIDENCE_LABELS, published_text
from dashboard.published import figure_rows, perimeter_explanation, source_citation

dash.register_page(__name__, path="/methodes", name="Méthodes et sources", order=5, title="Méthodes et sources")

AGGREGATION = {"sum": "somme des valeurs communales", "ratio": "rapport des sommes (Σ numérateurs / Σ dénominateurs)"}


def _table(header, rows, tid):
    return html.Div(html.Table([html.Thead(html.Tr([html.Th(h) for h in header])),
                                html.Tbody([html.Tr([html.Td(c) for c in r]) for r in rows])],
                               className="table table-sm table-striped small", id=tid), className="table-responsive")


def layout(**_query):
    atlas = current()
    src = atlas.sources()
    src_rows = [[r["publisher"], r["title"], r["vintage"], r["licence"],
                 html.A(r["url"], href=r["url"]) if r["url"] and str(r["url"]).startswith("http") else
                 (r.get("file") or "pas de téléchargement public"),
                 r["retrieved_at"] or fmt.UNAVAILABLE, {"loaded": "chargé", "unavailable": "indisponible"}.get(r["status"],
                                                                                                    r["status"]),
                 html.Strong("oui", className="text-danger") if r["synthetic"] else "non"] for r in src]
    ind_rows = []
    for i in CATALOG.values():
        small = (f"« secret statistique » si le dénominateur agrégé est inférieur à {i.secret_threshold} "
                 "(jamais 0, jamais la valeur brute)") if i.secret_threshold else "sans objet (pas de données patients)"
        ind_rows.append([html.Code(i.id), i.label, i.description, i.formula, i.unit, AGGREGATION.get(i.aggregation,
                                                                                                       i.aggregation),
                         small])
    terr = []
    names = atlas.communes.table["nom"]
    for t in atlas.territories("cpts"):
        members = [(c, "membre") for c in t.codes] + [(c, "candidate") for c in t.candidates]
        pub = atlas.published_figures(t.id)
        terr.append(html.Section([
            html.H3(t.name, className="h6 mt-3"),
            html.P([dbc.Badge(CONFIDENCE_LABELS.get(t.confidence, t.confidence), color="secondary", className="me-2"),
                    f"{fmt.plural(len(t.codes), 'commune')} retenue{'s' if len(t.codes) > 1 else ''}",
                    f", {fmt.plural(len(t.candidates), 'candidate')} non comptée{'s' if len(t.candidates) > 1 else ''}"
                    if t.candidates else "",
                    f" ; {published_text(t)}" if published_text(t) else ""], className="small mb-1"),
            html.P(perimeter_explanation(t) or fmt.UNAVAILABLE, className="small"),
            html.Details([html.Summary(f"Communes et justification ({len(members)})"),
                          _table(["Code", "Commune", "Rôle", "Note de la source (en anglais)"],
                                 [[c, names.get(c, "?"), role, t.notes.get(c, "")] for c, role in sorted(members)],
                                 f"perimeter-{t.id}")]) if members else None,
            html.Ul([html.Li(f"{label} : {value} ({date})") for label, value, date in figure_rows(t.id, pub)]
                    + [html.Li(f"Source : {source_citation(t.id, pub[0].get('source'))}")],
                    className="small") if pub else None,
        ], className="atlas-perimeter"))
    info = atlas.build_info
    return html.Div([
        html.H1("Méthodes et sources", className="h3"),
        html.P(f"Base construite le {info.get('built_at', '?')} (identifiant {info.get('build_id', '?')}).",
               className="small text-muted"),
        html.Div([dbc.Button("Télécharger la liste des sources (CSV)", id="methods-export-sources", size="sm",
                             color="secondary", outline=True, n_clicks=0),
                  dcc.Download(id="methods-download")], className="mb-2 d-print-none"),
        html.H2("Jeux de données", className="h5 mt-3"),
        _table(["Éditeur", "Titre", "Millésime", "Licence", "URL", "Récupéré le", "État", "Fictif"], src_rows,
               "methods-sources"),
        html.H2("Indicateurs", className="h5 mt-4"),
        html.P("Les chiffres d'un territoire et des niveaux de référence (département, région, France) sont des "
               "rapports de sommes, jamais des moyennes de taux communaux. Densités pour 10 000 habitants. "
               f"{fmt.threshold_text(CATALOG['apl_mg']).capitalize()}.", className="small"),
        _table(["Id", "Indicateur", "Définition", "Formule", "Unité", "Agrégation", "Petits effectifs"], ind_rows,
               "methods-indicators"),
        *_computed_access(atlas),
        html.H2("Règles", className="h5 mt-4"),
        html.Div(_rules(), id="methods-rules", className="small"),
        html.H2("Périmètres des CPTS : ce qui est établi", className="h5 mt-4"),
        html.P("Aucune liste officielle des communes des CPTS n'est publiée en données ouvertes : les périmètres sont "
               "reconstruits à partir de sources publiques, avec un niveau de confiance.", className="small"),
        html.Div(terr, id="methods-perimeters"),
    ], id="methods-page")


def _computed_access(atlas) -> list:
    """Parameters of each computed accessibility and how access_mg compares with the DREES APL."""
    params = atlas.access.parameters()
    if not params:
        return []
    rows = []
    for r in params:
        ind = CATALOG[access_id(r["profession"])]
        steps = json.loads(r["decay_steps"])
        rows.append([ind.label, str(r["year"]),
                     " ; ".join(f"< {fmt.number(b)} min : {fmt.number(w, 2)}" for b, w in steps),
                     f"{fmt.number(r['activity'])} ({r['activity_source']})", r["demand_source"], r["value_unit"]])
    out = [html.H2("Accessibilité calculée", className="h5 mt-4"),
           html.P(["Accessibilité potentielle localisée (méthode de la DREES, deux étapes) calculée par l'atlas sur "
                   "l'offre réelle de la BPE, pour chaque profession. Temps de trajet : ", r["travel_times"], "."],
                  className="small"),
           _table(["Indicateur", "Offre (année)", "Pondération par le temps", "Activité d'un professionnel",
                   "Demande", "Unité"], rows, "methods-access-parameters")]
    checks = atlas.access.validation()
    if checks:
        out += [html.H3("Comparaison avec l'APL publiée par la DREES (médecins généralistes)", className="h6 mt-3"),
                _table(["APL", "Offre BPE", "Communes", "ρ communes", "ρ communes ≥ 5 000 hab.", "ρ départements",
                        "Écart absolu moyen", "Population du même côté de 2,5", "Moyenne calculée / APL"],
                       [[str(v["apl_year"]), str(v["supply_year"]), fmt.integer(v["communes"]),
                         fmt.number(v["rho_communes"], 2), fmt.number(v["rho_big_communes"], 2),
                         fmt.number(v["rho_departments"], 2), fmt.number(v["mae"], 2), fmt.percent(100 * v["same_side"]),
                         f"{fmt.number(v['mean_computed'], 2)} / {fmt.number(v['mean_apl'], 2)}"] for v in checks],
                       "methods-access-validation"),
                html.P(f"ρ : corrélation de rang de Spearman. Objectifs visés : ρ communes ≥ "
                       f"{fmt.number(TARGETS['rho_communes'], 2)}, ρ départements ≥ "
                       f"{fmt.number(TARGETS['rho_departments'], 2)}, {fmt.percent(100 * TARGETS['same_side'], 0)} de la "
                       f"population du même côté du seuil ; {_targets_text(checks[-1])}. Raisons connues des écarts : "
                       "temps de trajet approchés (pas de distancier routier hors ligne), offre BPE plus ancienne que l'APL, activité "
                       "de chaque médecin inconnue en données ouvertes (une activité standard pour tous). Une matrice "
                       "de temps routiers peut être fournie au build (--file travel_times=…). L'APL publiée reste "
                       "la référence ; l'accessibilité calculée sert aux autres professions et aux simulations.",
                       className="small")]
    return out


def _targets_text(check: dict) -> str:
    met = meets_targets(Validation(**{k: check[k] for k in Validation.__dataclass_fields__}))
    missed = [label for key, label in (("rho_communes", "ρ communes"), ("rho_departments", "ρ départements"),
                                       ("same_side", "population du même côté")) if not met[key]]
    year = check["apl_year"]
    return f"tous atteints pour l'APL {year}" if not missed else f"non atteints pour l'APL {year} : {', '.join(missed)}"


def _rules() -> list:
    """The rules every figure follows, in words (each one implemented once: atlas/figures.py,
    atlas/read/entries.py, etl/steps/)."""
    thr = SECRET_THRESHOLD
    return [
        html.H3("Années", className="h6 mt-2"),
        html.P("Une année demandée n'est jamais remplacée par une autre : sans donnée pour cette année, le chiffre est "
               "dit « donnée indisponible », avec les années disponibles. Sans année demandée, chaque indicateur prend "
               "sa dernière année disponible pour le territoire affiché : un tableau importé pour un territoire ne "
               "change pas l'année des autres. Les densités rapportent les effectifs d'un millésime (BPE 2019 par "
               "exemple) à la population municipale de la base (populations légales 2023) : les deux millésimes sont "
               "indiqués avec le chiffre."),
        html.H3("Secret statistique", className="h6 mt-2"),
        html.P(f"Une part calculée sur des patients (patients sans médecin traitant, dépistages, vaccination) n'est "
               f"jamais montrée quand son dénominateur compte moins de {thr} personnes : elle est écrite « secret "
               f"statistique », jamais 0 ni sa valeur. Un territoire est calculé sur la somme de ses communes, puis "
               f"le seuil est appliqué : un territoire de {thr} patients ou plus est montré même si certaines de "
               f"ses communes sont masquées."),
        html.P([html.Strong("Protection contre la différence. "),
                f"Un chiffre de territoire est aussi masqué quand les communes masquées qu'il contient comptent "
                f"ensemble moins de {thr} patients alors que d'autres communes du territoire sont montrées : sinon, "
                f"retrancher les communes montrées du territoire redonnerait les communes masquées (exemple : un "
                f"territoire de deux communes dont une seule est montrée). La règle protège contre la différence "
                f"entre un territoire et ses communes ; deux territoires définis par l'utilisateur et différant de "
                f"quelques communes peuvent encore se soustraire : les tableaux de la CPAM appliquent leur propre "
                f"secret en amont."]),
        html.H3("Professionnels : BPE et RPPS", className="h6 mt-2"),
        html.P("Les densités de libéraux viennent de la Base permanente des équipements de l'INSEE (BPE), disponible "
               "pour toutes les communes de France : elle compte les professionnels libéraux par commune d'exercice "
               "(un professionnel exerçant dans deux communes compte dans chacune) et les pharmacies. Les densités "
               "« tous modes d'exercice » (libéraux et salariés) viennent du RPPS de l'Agence du numérique en santé : "
               "elles comptent chaque personne une seule fois par territoire, quel que soit le nombre de ses lieux "
               "d'exercice. Les deux ne se comparent pas terme à terme : dates d'extraction, champ (salariés), "
               "comptage des sites multiples."),
        html.H3("Accessibilité", className="h6 mt-2"),
        html.P(f"L'APL de la DREES (médecins généralistes) est reprise telle que publiée ; {fmt.threshold_text(CATALOG['apl_mg'])}. "
               "Mayotte est hors du champ de l'APL : la référence France l'exclut. Les trois communes publiées avec "
               "une population standardisée nulle gardent leur APL publiée et ne pèsent pas dans les agrégats."),
    ]


@callback(Output("methods-download", "data"), Input("methods-export-sources", "n_clicks"), prevent_initial_call=True)
def _export_sources(_n):
    import csv
    import io

    from dashboard.exports.csv_export import neutralise
    atlas = current()
    out = io.StringIO()
    if atlas.any_synthetic:
        out.write("# Base contenant des DONNÉES FICTIVES (démonstration)\n")
    w = csv.writer(out, delimiter=";", lineterminator="\n")
    keys = ["id", "publisher", "title", "vintage", "licence", "url", "retrieved_at", "status", "synthetic"]
    w.writerow(keys)
    for r in atlas.sources():
        w.writerow([neutralise(r[k]) for k in keys])
    return dcc.send_bytes(out.getvalue().encode("utf-8-sig"), "atlas-sources.csv", type="text/csv")
