"""Callback requests as the Dash renderer sends them, built from the app's own callback map, and the
malformed values the callback tests replay (``tests/test_callback_inputs.py``).

A request to ``/_dash-update-component`` names the callback by its output key (the key of
``app.callback_map``) and carries, for each input and state, ``{"id", "property", "value"}`` — a list
of those for an ``ALL`` pattern — plus the outputs and ``changedPropIds`` (what triggered it).
"""
from __future__ import annotations

import json

from dash._utils import split_callback_id, stringify_id

HUGE = 2_000_000                # characters: above any bound of the app, below the request limit
MATCH_VALUE = "explorer"        # the value given to MATCH wildcards (page and map names)

# Wrong types, absurd numbers, unknown ids, and dicts shaped like the app's stores but wrong inside.
BAD = [
    None, "", "abc", "x" * HUGE, ["a", "b"], [None, {"a": 1}], {"a": 1}, 3.5, -1, 0, 10 ** 30, -(10 ** 30),
    float("nan"), float("inf"), True, "nope-territory", "99999", "zzz_indicator", "2999", "<script>x</script>",
    {"territory": "nope", "choice": ["x"], "year": "abc", "commune": "99999", "view": {}, "extent": "mars"},
    {"territory": "aunis-sud", "choice": "density", "year": "abc", "since": [], "commune": 17, "locations": "x"},
    {"territory": "aunis-sud", "indicator": "zzz_indicator", "year": "abc", "extent": ["x"]},
    {"territory": "x" * HUGE, "indicator": "density_mg_liberal"},
    {"code": ["x"], "nom": None, "t": "x"}, {"code": "99999"},
]


def _wild(value) -> str | None:
    """``MATCH`` / ``ALL`` / ``ALLSMALLER`` of a wildcard in a stringified id, else None."""
    return value[0] if isinstance(value, list) and len(value) == 1 and value[0] in ("MATCH", "ALL", "ALLSMALLER") \
        else None


def parse_id(id_str: str):
    return json.loads(id_str) if id_str.startswith("{") else id_str


def is_all(id_str: str) -> bool:
    pid = parse_id(id_str)
    return isinstance(pid, dict) and any(_wild(v) in ("ALL", "ALLSMALLER") for v in pid.values())


def concrete(id_str: str, wildcard_value="item"):
    """A concrete id for a declared one: MATCH -> :data:`MATCH_VALUE`, ALL -> ``wildcard_value``."""
    pid = parse_id(id_str)
    if not isinstance(pid, dict):
        return pid
    out = {}
    for k, v in pid.items():
        w = _wild(v)
        out[k] = MATCH_VALUE if w == "MATCH" else (wildcard_value if w else v)
    return out


def prop_id(id_, prop: str) -> str:
    return f"{stringify_id(id_)}.{prop}"


def server_callbacks(app) -> dict[str, dict]:
    """Output key -> entry of every callback that runs on the server (clientside ones excluded)."""
    return {k: cb for k, cb in app.callback_map.items() if callable(cb.get("callback"))}


def outputs_of(key: str):
    """The ``outputs`` field for a callback key: a dict for one output, a list for several."""
    parts = split_callback_id(key)

    def one(p):
        if is_all(p["id"]):
            return [{"id": concrete(p["id"]), "property": p["property"]}]
        return {"id": concrete(p["id"]), "property": p["property"]}

    return [one(p) for p in parts] if isinstance(parts, list) else one(parts)


def item(dep: dict, value, wildcard_value="item"):
    """One input/state of a request: a dict, or a list of one dict for an ALL pattern."""
    if is_all(dep["id"]):
        return [{"id": concrete(dep["id"], wildcard_value), "property": dep["property"], "value": value}]
    return {"id": concrete(dep["id"]), "property": dep["property"], "value": value}


def triggered(entry) -> list[str]:
    e = entry[0] if isinstance(entry, list) else entry
    return [prop_id(e["id"], e["property"])] if e else []


def body(key: str, cb: dict, values: list, trigger: int = 0, wildcard_values: list | None = None) -> dict:
    """A request for callback ``key``: ``values`` for inputs then states, input ``trigger`` triggered."""
    deps = list(cb["inputs"]) + list(cb.get("state") or [])
    wild = wildcard_values or ["item"] * len(deps)
    entries = [item(d, v, w) for d, v, w in zip(deps, values, wild)]
    n_in = len(cb["inputs"])
    return {"output": key, "outputs": outputs_of(key), "inputs": entries[:n_in], "state": entries[n_in:],
            "changedPropIds": triggered(entries[min(trigger, n_in - 1)])}
