"""Indicator selector: indicator, profession, mode of practice (all / libéral) and year.

The indicator select offers *choices* (``dashboard.maps.state.CHOICES``): "density" is resolved with
the profession and the mode (``resolve_indicator``), the others are indicator ids. Indicators
without values in the loaded build are labelled "(indisponible)" but stay selectable: the map then
says so instead of failing.

Reuse::

    from dashboard.components.indicator_selector import indicator_selector
    indicator_selector(store, state, prefix="portrait")   # ids: portrait-indicator, -profession, -mode, -year
"""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from dashboard.maps.state import CHOICES, DENSITY, MODES, ExplorerState, professions_for, resolve_indicator
from atlas.catalog import PROFESSIONS
from dashboard.maps import cache

UNAVAILABLE = " (indisponible)"


def _available(store, indicator_id: str) -> bool:
    return bool(cache.years(store, indicator_id))


def indicator_options(store) -> list[dict]:
    opts = []
    for choice, label in CHOICES.items():
        if choice == DENSITY:
            ok = any(_available(store, resolve_indicator(DENSITY, p, m)) for p in PROFESSIONS for m in MODES)
        else:
            ok = _available(store, choice)
        opts.append({"label": label + ("" if ok else UNAVAILABLE), "value": choice})
    return opts


def profession_options(store, choice: str, mode: str = "all") -> list[dict]:
    """All professions; those the indicator does not exist for (or has no values for) are disabled."""
    allowed = professions_for(choice)
    opts = []
    for p, label in PROFESSIONS.items():
        if not allowed:
            opts.append({"label": label.capitalize(), "value": p})   # only drives the locations layer
            continue
        ok = p in allowed and _available(store, resolve_indicator(choice, p, mode))
        suffix = "" if ok else (UNAVAILABLE if p in allowed else " (sans objet)")
        opts.append({"label": label.capitalize() + suffix, "value": p, "disabled": p not in allowed})
    return opts


def year_options(store, indicator_id: str) -> list[dict]:
    return [{"label": str(y), "value": str(y)} for y in reversed(cache.years(store, indicator_id))]


def indicator_selector(store, state: ExplorerState, prefix: str = "explorer") -> html.Div:
    ind_id = state.indicator_id
    years = year_options(store, ind_id)
    year = str(cache.pick_year(store, ind_id, state.year)) if years else None
    has_prof = bool(professions_for(state.choice))
    return html.Div([
        html.Div([
            dbc.Label("Indicateur", html_for=f"{prefix}-indicator", className="fw-semibold mb-1"),
            dbc.Select(id=f"{prefix}-indicator", options=indicator_options(store), value=state.choice, size="sm"),
        ], className="mb-2"),
        html.Div([
            dbc.Label("Profession", html_for=f"{prefix}-profession", className="fw-semibold mb-1"),
            dbc.Select(id=f"{prefix}-profession", options=profession_options(store, state.choice, state.mode),
                       value=state.profession, size="sm"),
            html.Small("" if has_prof else "Sans objet pour cet indicateur : filtre les lieux d'exercice.",
                       id=f"{prefix}-profession-help", className="text-muted"),
        ], className="mb-2"),
        html.Div([
            dbc.Label("Mode d'exercice", className="fw-semibold mb-1"),
            dbc.RadioItems(id=f"{prefix}-mode", options=[{"label": v, "value": k, "disabled": state.choice != DENSITY}
                                                        for k, v in MODES.items()],
                           value=state.mode, inline=True),
        ], className="mb-2"),
        html.Div([
            dbc.Label("Année", html_for=f"{prefix}-year", className="fw-semibold mb-1"),
            dbc.Select(id=f"{prefix}-year", options=years, value=year, size="sm", disabled=len(years) <= 1),
        ], className="mb-2", id=f"{prefix}-year-wrapper"),
    ])
