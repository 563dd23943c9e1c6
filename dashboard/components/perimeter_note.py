"""How sure a territory's list of communes is, beside the published figures — readable from the
back of a village hall when the perimeter is not exact.

Reuse: ``perimeter_note(atlas, territory)``; ``perimeter_summary(atlas, territory)`` for slides,
exports and the CLI (plain text).
"""
from __future__ import annotations

from dash import dcc, html

from atlas import fmt
from atlas.read.territories import CONFIDENCE_LABELS  # noqa: F401 - the pages import it from here

from ..published import perimeter_explanation, source_citation

EDITOR_PATH = "/editeur"


def published_counts(t) -> str:
    """``40 communes et 74 413 habitants (INSEE 2019)``: the published size, with the population's
    vintage (or, when the source gives none, the date of publication)."""
    parts = []
    if t.published_communes is not None:
        parts.append(fmt.plural(t.published_communes, "commune"))
    if t.published_population is not None:
        vintage = t.published_scope or (f"publié le {fmt.date(t.published_as_of)}" if t.published_as_of else "")
        parts.append(fmt.plural(t.published_population, "habitant") + (f" ({vintage})" if vintage else ""))
    return " et ".join(parts)


def published_text(t) -> str:
    """``chiffres publiés : 40 communes et 74 413 habitants (INSEE 2019) ; source : …``, in French."""
    counts = published_counts(t)
    if not counts:
        return ""
    citation = source_citation(t.id, t.published_source)
    return "chiffres publiés : " + counts + (f" ; source : {citation}" if citation else "")


def perimeter_summary(atlas, t, *, cite: bool = True) -> str:
    """One sentence: what is shown against what is published (empty for exact perimeters).
    ``cite=False`` leaves out the source document (the slides' warning band)."""
    n = len(t.codes)
    if n == 0:
        return "Périmètre inconnu : aucune liste de communes n'est publiée pour ce territoire."
    if t.exact or t.kind in ("departement", "region", "epci", "user"):
        return ""
    pop = atlas.communes.population_of(t.codes)
    year = atlas.entry("population", t)["year"]
    text = (f"{CONFIDENCE_LABELS.get(t.confidence, t.confidence).capitalize()} : "
            f"{fmt.plural(n, 'commune')} et {fmt.plural(pop, 'habitant')}"
            + (f" (population municipale {year})" if year else "") + " retenus")
    pub = published_text(t) if cite else (f"publiés : {published_counts(t)}" if published_counts(t) else "")
    if pub:
        text += f" ; {pub}"
    if t.candidates:
        text += f" ; {fmt.plural(len(t.candidates), 'commune candidate', 'communes candidates')} non comptées"
    return text + "."


def perimeter_note(atlas, t) -> html.Div:
    n = len(t.codes)
    if n == 0:
        return html.Div([
            html.Strong("Périmètre inconnu. "),
            "Aucune liste de communes n'est publiée pour ce territoire. ",
            (published_text(t).capitalize() + ". ") if published_text(t) else "",
            "Vous pouvez ", dcc.Link("définir son périmètre dans l'éditeur", href=f"{EDITOR_PATH}?territoire={t.id}"),
            (", ou partir de son département : " if t.departement else ""),
            dcc.Link(f"dép. {t.departement}", href=f"/?territoire=dep-{t.departement}") if t.departement else None, ".",
        ], className="alert alert-warning py-2 px-2 small mb-2 perimeter-note perimeter-unknown", role="status")
    if t.kind == "user":
        return html.Div([html.Strong("Territoire défini par l'utilisateur. "),
                         f"{fmt.plural(n, 'commune')}, {fmt.plural(atlas.communes.population_of(t.codes), 'habitant')}."],
                        className="small text-muted mb-2 perimeter-note")
    summary = perimeter_summary(atlas, t)
    if not summary:
        return html.Div(CONFIDENCE_LABELS.get(t.confidence, "").capitalize() + ".",
                        className="small text-muted mb-2 perimeter-note perimeter-exact")
    return html.Div([
        html.Strong("Attention, périmètre approximatif. "), summary,
        html.Details([html.Summary("D'où vient ce périmètre ?"), html.Div(perimeter_explanation(t))],
                     className="mt-1") if perimeter_explanation(t) else None,
    ], className="alert alert-warning py-2 px-2 small mb-2 perimeter-note perimeter-approximate", role="status")
