"""How sure a territory's list of communes is, beside the published figures — readable from the
back of a village hall when the perimeter is not exact.

Reuse: ``perimeter_note(atlas, territory)``; ``perimeter_summary(atlas, territory)`` for slides,
exports and the CLI (plain text).
"""
from __future__ import annotations

from dash import dcc, html

from atlas import fmt

CONFIDENCE_LABELS = {"high": "périmètre exact", "exact": "périmètre exact", "medium": "périmètre probable",
                     "low": "périmètre approximatif (faible confiance)",
                     "superset": "périmètre approché par excès (sur-ensemble)", "very_low": "périmètre incertain",
                     "unknown": "périmètre inconnu", "user": "territoire défini par l'utilisateur"}
EDITOR_PATH = "/editeur"


def published_text(t) -> str:
    parts = []
    if t.published_communes is not None:
        parts.append(fmt.plural(t.published_communes, "commune"))
    if t.published_population is not None:
        scope = f" ({t.published_scope})" if t.published_scope else ""
        parts.append(fmt.plural(t.published_population, "habitant") + scope)
    if not parts:
        return ""
    src = ", ".join(x for x in (t.published_source, fmt.date(t.published_as_of) if t.published_as_of else None) if x)
    return "chiffres publiés : " + ", ".join(parts) + (f" ({src})" if src else "")


def perimeter_summary(atlas, t) -> str:
    """One sentence: what is shown against what is published (empty for exact perimeters)."""
    n = len(t.codes)
    if n == 0:
        return "Périmètre inconnu : aucune liste de communes n'est publiée pour ce territoire."
    if t.exact or t.kind in ("departement", "region", "epci", "user"):
        return ""
    pop = atlas.communes.population_of(t.codes)
    text = (f"{CONFIDENCE_LABELS.get(t.confidence, t.confidence).capitalize()} : "
            f"{fmt.plural(n, 'commune')} et {fmt.plural(pop, 'habitant')} retenus")
    pub = published_text(t)
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
        html.Details([html.Summary("D'où vient ce périmètre ?"), html.Div(t.perimeter_note)],
                     className="mt-1") if t.perimeter_note else None,
    ], className="alert alert-warning py-2 px-2 small mb-2 perimeter-note perimeter-approximate", role="status")
