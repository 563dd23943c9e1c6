"""Unknown address: a page in French with a way forward (Dash pages serves it for any unknown path)."""
from __future__ import annotations

import dash

from dashboard.components.not_found import page_not_found

dash.register_page(__name__, path="/404", name="Page introuvable", title="Page introuvable – Atlas")


def layout(**_query):
    return page_not_found()
