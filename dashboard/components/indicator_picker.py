"""Indicator controls: indicator (a selector choice), profession, mode of practice, year, and the
view (value or change between two years). A control is enabled only where it applies: no mode for
an indicator without modes, no profession for the GP-less share, a single year shown as such.

Reuse: ``indicator_picker(atlas, state, page, years)``; ids ``<page>-indicator``, ``-profession``,
``-mode``, ``-year``, ``-view``, ``-since``; the option builders below for the page's callbacks.
"""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from atlas.catalog import CHOICES, MODES, PROFESSION_TITLES, members, modes_of, professions_of, resolve

UNAVAILABLE = " (indisponible)"
VIEWS = {"valeur": "Valeur", "evolution": "Évolution entre deux années"}


def choice_options(atlas) -> list[dict]:
    out = []
    for choice, label in CHOICES.items():
        ok = any(atlas.available(i.id) for i in members(choice))
        out.append({"label": label + ("" if ok else UNAVAILABLE), "value": choice})
    return out


def profession_options(atlas, choice: str, mode: str | None) -> list[dict]:
    out = []
    for p in professions_of(choice):
        ok = atlas.available(resolve(choice, p, mode))
        out.append({"label": PROFESSION_TITLES[p] + ("" if ok else UNAVAILABLE), "value": p})
    return out


def mode_options(choice: str, profession: str | None) -> list[dict]:
    modes = modes_of(choice, profession)
    return [{"label": MODES[m], "value": m, "disabled": len(modes) < 2} for m in modes] or \
        [{"label": "Sans objet", "value": "", "disabled": True}]


def year_options(years: list[int]) -> list[dict]:
    return [{"label": str(y), "value": str(y)} for y in reversed(years)]


def indicator_picker(atlas, state, page: str, years: list[int]) -> html.Div:
    profs = profession_options(atlas, state.choice, state.mode)
    modes = mode_options(state.choice, state.profession)
    ys = year_options(years)
    since = [o for o in ys if o["value"] != str(state.year)]
    return html.Div([
        html.Div([
            dbc.Label("Indicateur", html_for=f"{page}-indicator", className="fw-semibold mb-1"),
            dbc.Select(id=f"{page}-indicator", options=choice_options(atlas), value=state.choice, size="sm"),
        ], className="mb-2"),
        html.Div([
            dbc.Label("Profession", html_for=f"{page}-profession", className="fw-semibold mb-1"),
            dbc.Select(id=f"{page}-profession", options=profs or [{"label": "Sans objet", "value": ""}],
                       value=state.profession or "", size="sm", disabled=not profs),
        ], className="mb-2", id=f"{page}-profession-wrapper"),
        html.Div([
            dbc.Label("Mode d'exercice", className="fw-semibold mb-1"),
            dbc.RadioItems(id=f"{page}-mode", options=modes, value=state.mode or "", inline=True),
        ], className="mb-2", id=f"{page}-mode-wrapper"),
        html.Div([
            dbc.Label("Année", html_for=f"{page}-year", className="fw-semibold mb-1"),
            dbc.Select(id=f"{page}-year", options=ys, value=str(state.year) if state.year else None, size="sm",
                       disabled=len(ys) <= 1),
        ], className="mb-2", id=f"{page}-year-wrapper"),
        html.Div([
            dbc.RadioItems(id=f"{page}-view", options=[{"label": v, "value": k, "disabled": len(ys) < 2 and k != "valeur"}
                                                       for k, v in VIEWS.items()],
                           value=state.view, inline=True, className="small"),
            html.Div(html.Div([dbc.Label("depuis", html_for=f"{page}-since", className="small me-1 mb-0"),
                               dbc.Select(id=f"{page}-since", options=since, size="sm",
                                          value=str(state.since) if state.since else
                                          (since[-1]["value"] if since else None))],
                              className="d-flex align-items-center"),
                     id=f"{page}-since-wrapper", style={} if state.view == "evolution" else {"display": "none"}),
        ], className="mb-2"),
    ])
