"""Perimeter note of a territory: how sure its list of communes is, beside the published figures.

Reuse: ``perimeter_note(store, territory)`` (``territory`` an ``etl.store.Territory``).
"""
from __future__ import annotations

from dash import dcc, html

from dashboard.maps.formatting import fmt_int

CONFIDENCE_LABELS = {"high": "élevée", "medium": "moyenne", "low": "faible", "superset": "sur-ensemble",
                     "unknown": "inconnue", "user": "territoire défini par l'utilisateur"}
EDITOR_PATH = "/editeur"


def territory_population(store, territory) -> int:
    return int(store.communes.reindex(list(territory.codes))["population"].fillna(0).sum()) if territory.codes else 0


def _published(territory) -> str:
    parts = []
    if territory.published_communes is not None:
        parts.append(f"{fmt_int(territory.published_communes)} communes")
    if territory.published_population is not None:
        parts.append(f"{fmt_int(territory.published_population)} habitants")
    if not parts:
        return ""
    src = ", ".join(x for x in (territory.published_source, territory.published_as_of) if x)
    return "chiffres publiés : " + ", ".join(parts) + (f" ({src})" if src else "")


def perimeter_note(store, territory) -> html.Div:
    n = len(territory.codes)
    published = _published(territory)
    if n == 0:
        return html.Div([
            html.Strong("Périmètre inconnu. "),
            "Aucune liste de communes n'est publiée pour ce territoire : la carte du territoire est vide. ",
            (published.capitalize() + ". ") if published else "",
            "Vous pouvez ", dcc.Link("définir son périmètre dans l'éditeur de territoire", href=EDITOR_PATH),
            " ou afficher tout son département (étendue « Tout son département »).",
        ], className="alert alert-warning py-2 px-2 small mb-2 perimeter-note perimeter-unknown", role="status")
    pop = territory_population(store, territory)
    conf = CONFIDENCE_LABELS.get(territory.confidence, territory.confidence or "inconnue")
    exact = (territory.confidence == "high" and (territory.published_communes in (None, n)))
    ours = f"périmètre retenu : {fmt_int(n)} commune{'s' if n > 1 else ''}, {fmt_int(pop)} habitants"
    if territory.kind == "user":
        return html.Div([html.Strong("Territoire défini par l'utilisateur. "), ours.capitalize() + "."],
                        className="small text-muted mb-2 perimeter-note")
    if exact:
        return html.Div([html.Strong("Périmètre exact. "), ours.capitalize() + "."],
                        className="small text-muted mb-2 perimeter-note perimeter-exact")
    extra = f" {len(territory.candidates)} communes candidates ne sont pas comptées." if territory.candidates else ""
    return html.Div([
        html.Strong(f"Périmètre approximatif (confiance : {conf}). "),
        ours.capitalize(), (" ; " + published) if published else "", ".", extra,
        html.Details([html.Summary("D'où vient ce périmètre ?"), html.Div(territory.perimeter_note)],
                     className="mt-1") if territory.perimeter_note else None,
    ], className="alert alert-info py-2 px-2 small mb-2 perimeter-note perimeter-approximate", role="status")
