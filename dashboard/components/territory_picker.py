"""Territory picker: every CPTS, EPCI, département, région and saved territory, found by typing
(accents optional). The page sends only the CPTS, the user's territories and the current one; the
rest comes from a search on the server as the user types (1 400 territories are not sent to every
page). Reuse: ``territory_picker(atlas, value, page="explorer")`` -> value = territory id."""
from __future__ import annotations

from dash import MATCH, Input, Output, State, callback, html
from dash.exceptions import PreventUpdate

from atlas import fmt
from atlas.read import KINDS, current

from ..validation import text
from .dropdown import dropdown

SEARCH_LIMIT = 30


def picker_id(page: str) -> dict:
    return {"type": "territory-picker", "page": page}


def option(t) -> dict:
    n = len(t.codes)
    detail = "périmètre inconnu" if n == 0 else fmt.plural(n, "commune")
    kind = "Votre territoire" if t.kind == "user" else KINDS[t.kind]
    return {"label": f"{t.name} · {kind} · {detail}", "value": t.id}


def base_options(atlas, value: str | None = None) -> list[dict]:
    ts = atlas.territories("cpts", "user")
    opts = [option(t) for t in ts]
    if value and value not in {t.id for t in ts}:
        try:
            opts.insert(0, option(atlas.territory(value)))
        except Exception:  # noqa: BLE001 - unknown id: the page says so elsewhere
            pass
    return opts


def territory_picker(atlas, value: str | None, page: str, label: str = "Territoire") -> html.Div:
    return html.Div([
        html.Label(label, htmlFor=f"{page}-territory-input", className="form-label fw-semibold mb-1"),
        dropdown(id=picker_id(page), options=base_options(atlas, value), value=value, clearable=False,
                     searchable=True, placeholder="CPTS, EPCI, département, région…", optionHeight=44,
                     className="territory-picker"),
        html.Small("Tapez un nom : CPTS, EPCI, département, région ou vos territoires.",
                   className="text-muted"),
    ], className="mb-2")


@callback(Output(picker_id(MATCH), "options"), Input(picker_id(MATCH), "search_value"),
          State(picker_id(MATCH), "value"), prevent_initial_call=True)
def _search(query, value):
    if not query or not isinstance(query, str):
        raise PreventUpdate
    value = text(value)
    atlas = current()
    found = atlas.search_territories(query[:80], SEARCH_LIMIT)
    opts = [option(t) for t in found]
    if value and value not in {o["value"] for o in opts}:
        try:
            opts.append(option(atlas.territory(value)))
        except Exception:  # noqa: BLE001
            pass
    return opts
