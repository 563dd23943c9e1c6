"""Banner shown on every page while any synthetic (demo) source or import is loaded."""
from __future__ import annotations

from dash import html

BANNER_TEXT = ("Données de démonstration, fictives : une partie des chiffres affichés est générée pour la "
               "démonstration et ne décrit pas la réalité ; chaque chiffre fictif est signalé.")


def synthetic_banner(atlas) -> html.Div | None:
    if not atlas.any_synthetic:
        return None
    names = ", ".join(atlas.provenance.synthetic_source_ids())
    return html.Div([html.Strong("Attention : "), BANNER_TEXT, html.Small(f" (sources fictives : {names})")],
                    id="synthetic-banner", className="alert alert-warning rounded-0 mb-0 py-2", role="alert")
