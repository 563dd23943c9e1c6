"""Banner shown on every page while any synthetic (demo) source is loaded."""
from __future__ import annotations

from dash import html

BANNER_TEXT = ("Données de démonstration, fictives : une partie des chiffres affichés (professionnels, "
               "indicateurs CPAM) est générée pour la démonstration et ne décrit pas la réalité.")


def synthetic_banner(store) -> html.Div | None:
    if not store.any_synthetic:
        return None
    names = ", ".join(store.sources.loc[store.sources.synthetic & (store.sources.status == "loaded"), "id"])
    return html.Div([html.Strong("Attention : "), BANNER_TEXT, html.Small(f" (sources fictives : {names})")],
                    id="synthetic-banner", className="alert alert-warning rounded-0 mb-0 py-2", role="alert")
