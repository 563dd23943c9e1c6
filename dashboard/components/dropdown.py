"""Dash's searchable dropdown with its built-in texts in French (Dash writes "Search", "2 selected"…)."""
from __future__ import annotations

from dash import dcc

LABELS_FR = {"select_all": "Tout sélectionner", "deselect_all": "Tout désélectionner",
             "selected_count": "sélection : {num_selected}", "search": "Rechercher",
             "clear_search": "Effacer la recherche", "clear_selection": "Effacer la sélection",
             "no_options_found": "Aucun résultat"}


def dropdown(**props) -> dcc.Dropdown:
    return dcc.Dropdown(labels=LABELS_FR, **props)
