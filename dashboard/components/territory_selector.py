"""Territory selector: the CPTS of the project and the user's saved territories, in one native select.

Reuse::

    from dashboard.components.territory_selector import territory_selector, territory_options
    territory_selector(store, value="aunis-sud", id="portrait-territory")
    # callbacks: Input("portrait-territory", "value") gives the territory id (a string)
"""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from dashboard.maps.formatting import fmt_int
from dashboard.maps import cache


def territory_options(store) -> list[dict]:
    """Options for a select: CPTS first, then user territories ('(vos territoires)'); a CPTS without a
    known perimeter says so in its label."""
    opts = []
    ts = cache.territories(store)
    for t in [t for t in ts if t.kind != "user"] + [t for t in ts if t.kind == "user"]:
        n = len(t.codes)
        detail = "périmètre inconnu" if n == 0 else f"{fmt_int(n)} commune{'s' if n > 1 else ''}"
        prefix = "Votre territoire : " if t.kind == "user" else ""
        opts.append({"label": f"{prefix}{t.name} ({detail})", "value": t.id})
    return opts


def default_territory(store) -> str | None:
    """The first CPTS (alphabetical order) with communes, else the first territory."""
    ts = cache.territories(store)
    for t in ts:
        if t.kind != "user" and t.codes:
            return t.id
    return ts[0].id if ts else None


def territory_selector(store, value: str | None = None, id: str = "territory-select",
                       label: str = "Territoire") -> html.Div:
    opts = territory_options(store)
    if value not in {o["value"] for o in opts}:
        value = default_territory(store)
    return html.Div([
        dbc.Label(label, html_for=id, className="fw-semibold mb-1"),
        dbc.Select(id=id, options=opts, value=value, size="sm"),
    ], className="mb-2")
