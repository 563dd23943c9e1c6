"""Validation of what the browser sends to the callbacks: the request itself, checked once before
Dash dispatches it, and small helpers the callbacks call at their top.

Anyone can POST to ``/_dash-update-component``: the values are whatever the sender wrote, not what
the page's components would send. Two layers, each small:

* :func:`install` checks the *envelope* of every callback request against the app's callback map
  (the callback exists and runs on the server; as many inputs and states as it declares; each id
  matches its declared id or pattern, wildcard values being short strings or numbers; ``ALL`` inputs
  are lists; outputs shaped as declared; ``changedPropIds`` are among the inputs sent) and answers
  400 otherwise. Dash itself trusts the envelope and fails with a 500 on a wrong one (a missing
  state becomes a missing argument, an unknown output a ``KeyError``). Dash's own page router gets
  its two inputs type-checked here too (a path, a query string), since its code is not ours.
* The helpers below turn a value of any type into what a callback expects, or None / an empty
  value, so that a callback answers a bad value with a French message or no update
  (:class:`~dash.exceptions.PreventUpdate`), never an exception. Unknown territories, indicators
  and communes are found by the read model's own lookups (which raise
  :class:`atlas.errors.AtlasError`), years by :func:`dashboard.state.parse_state` /
  :meth:`ViewState.from_dict`.
"""
from __future__ import annotations

import json
import math

from flask import jsonify, request

MAX_TEXT = 200                  # characters of an id, a name, a search: far above any real one
MAX_LIST = 40_000               # items of a list (commune codes of a territory: at most ~35,000)
MAX_PATTERN_ITEMS = 2_000       # components matched by one ALL pattern (saved territories, imports)
WILDCARDS = ("MATCH", "ALL", "ALLSMALLER")

# Dash's own page router (``dash.page_container``): its inputs must have the type the browser sends.
ROUTER_INPUTS = {("_pages_location", "pathname"): "path", ("_pages_location", "search"): "query"}


# -- helpers for the callbacks ---------------------------------------------------------------------
def text(value, max_chars: int = MAX_TEXT) -> str | None:
    """A stripped, non-empty string of at most ``max_chars`` characters, else None (any other type,
    or a longer string: never cut silently into something else)."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value if value and len(value) <= max_chars else None


def clicks(value) -> int:
    """A click count: a non-negative int (booleans are not counts), else 0."""
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2 ** 53 else 0


def any_clicks(values) -> bool:
    """Whether any of the click counts of an ``ALL`` input is positive."""
    return isinstance(values, list) and any(clicks(v) > 0 for v in values)


def mapping(value) -> dict:
    """A dict, else an empty one."""
    return value if isinstance(value, dict) else {}


def strings(value, max_items: int = MAX_LIST, max_chars: int = MAX_TEXT) -> list[str]:
    """The strings of a list (other items dropped), or [] when it is not a list or is too long."""
    if not isinstance(value, list) or len(value) > max_items:
        return []
    return [v for v in value if isinstance(v, str) and 0 < len(v) <= max_chars]


def territory_or_none(atlas, territory_id):
    """The territory of that id, or None (not a string, too long, unknown)."""
    from atlas.errors import AtlasError

    tid = text(territory_id)
    if tid is None:
        return None
    try:
        return atlas.territory(tid)
    except AtlasError:
        return None


def query_text(value, max_chars: int = MAX_TEXT) -> str | None:
    """A URL query parameter as a page layout gets it (a string, or a list when repeated): the first
    value, bounded, else None."""
    if isinstance(value, list):
        value = value[0] if value else None
    return text(value, max_chars)


# -- the request envelope ----------------------------------------------------------------------------
def _wild(v) -> bool:
    return isinstance(v, list) and len(v) == 1 and v[0] in WILDCARDS


def _is_all(declared) -> bool:
    return isinstance(declared, dict) and any(_wild(v) and v[0] != "MATCH" for v in declared.values())


def _declared(id_str: str):
    return json.loads(id_str) if id_str.startswith("{") else id_str


def _wildcard_value_ok(v) -> bool:
    if isinstance(v, bool) or isinstance(v, int):
        return True
    if isinstance(v, float):
        return math.isfinite(v)
    return isinstance(v, str) and len(v) <= MAX_TEXT


def _id_ok(declared, sent) -> bool:
    if not isinstance(declared, dict):
        return sent == declared
    if not isinstance(sent, dict) or set(sent) != set(declared):
        return False
    return all(_wildcard_value_ok(sent[k]) if _wild(v) else sent[k] == v for k, v in declared.items())


def _property_ok(declared: str, sent) -> bool:
    # outputs with allow_duplicate are declared as ``prop@<hash>``
    return isinstance(sent, str) and (sent == declared or sent == declared.split("@", 1)[0])


def _value_problem(component_id, prop: str, value) -> str | None:
    kind = ROUTER_INPUTS.get((component_id, prop)) if isinstance(component_id, str) else None
    if kind == "path" and not (isinstance(value, str) and value.startswith("/") and len(value) <= 2_000):
        return "chemin de page invalide"
    if kind == "query" and not (value is None or (isinstance(value, str) and len(value) <= 8_000)):
        return "paramètres d'adresse invalides"
    return None


def _entry_problem(dep: dict, sent, with_value: bool) -> str | None:
    declared = _declared(dep["id"])
    entries = sent if _is_all(declared) else [sent]
    if _is_all(declared) and (not isinstance(sent, list) or len(sent) > MAX_PATTERN_ITEMS):
        return f"{dep['id']} : liste attendue"
    for e in entries:
        if not isinstance(e, dict) or not _id_ok(declared, e.get("id")) or \
                not _property_ok(dep["property"], e.get("property")):
            return f"{dep['id'][:80]} : identifiant ou propriété inattendus"
        if with_value:
            problem = _value_problem(e["id"], e["property"], e.get("value"))
            if problem:
                return problem
    return None


def _output_deps(key: str) -> list[dict]:
    from dash._utils import split_callback_id

    parts = split_callback_id(key)
    return parts if isinstance(parts, list) else [parts]


def request_problem(body, callback_map) -> str | None:
    """Why a callback request cannot be dispatched (French, short), or None when it is well formed."""
    if not isinstance(body, dict):
        return "requête illisible"
    key = body.get("output")
    cb = callback_map.get(key) if isinstance(key, str) else None
    if cb is None or not callable(cb.get("callback")):
        return "mise à jour inconnue"
    sent_ids = set()
    for field, declared in (("inputs", cb.get("inputs") or []), ("state", cb.get("state") or [])):
        sent = body.get(field)
        if sent is None and not declared:
            continue
        if not isinstance(sent, list) or len(sent) != len(declared):
            return f"{field} : {len(declared)} attendu(s)"
        for dep, item in zip(declared, sent):
            problem = _entry_problem(dep, item, with_value=True)
            if problem:
                return problem
            if field == "inputs":
                from dash._utils import stringify_id
                for e in (item if isinstance(item, list) else [item]):
                    sent_ids.add(f"{stringify_id(e['id'])}.{e['property']}")
    outputs, declared_out = body.get("outputs"), _output_deps(key)
    if not cb.get("no_output"):
        if key.startswith(".."):
            if not isinstance(outputs, list) or len(outputs) != len(declared_out):
                return f"outputs : {len(declared_out)} attendu(s)"
        else:
            outputs = [outputs]
        for dep, item in zip(declared_out, outputs):
            problem = _entry_problem(dep, item, with_value=False)
            if problem:
                return problem
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(c, str) and c in sent_ids for c in changed):
        return "changedPropIds : entrées inconnues"
    return None


def install(app) -> None:
    """Refuse malformed callback requests with 400 (JSON ``{"message": …}``) before Dash runs them."""
    route = app.config.routes_pathname_prefix + "_dash-update-component"

    @app.server.before_request
    def _check_callback_request():
        if request.method != "POST" or request.path != route:
            return None
        problem = request_problem(request.get_json(silent=True), app.callback_map)
        if problem is None:
            return None
        resp = jsonify(message=f"Requête refusée : {problem}.")
        resp.status_code = 400
        return resp
