"""Every callback of the app answers malformed input with a message or no update, never a 5xx.

The callbacks come from the app's own callback map (after ``create_app`` and a first request), the
pattern-matching ones included: a callback added to a page is replayed here without touching this
file, and the test fails if a page module that declares callbacks has none in the map. For each
server-side callback, each input and state in turn (that one triggered) gets every value of
:data:`callback_payloads.BAD` while the others are plausible (so the code behind a first guard runs
too), then all of them are bad at once. Then the request itself is broken: missing state, unknown or
clientside output, wrong counts, ids that do not match the callback's patterns. Every answer must be
below 500, at most ``MAX_BYTES`` long, and take at most ``MAX_SECONDS``.

Image rendering (Chromium) is replaced by a stub here: an export that gets that far is a valid one,
and the PNG itself is tested in ``tests/test_export.py``. Writes go to a temporary user directory.
"""
from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

import callback_payloads as cp

pytestmark = pytest.mark.integration

MAX_BYTES = 1_000_000
MAX_SECONDS = 10.0
ROOT = Path(__file__).resolve().parent.parent
DASHBOARD = ROOT / "dashboard"


@pytest.fixture(scope="module")
def client(dash_app, tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("ATLAS_USER_DIR", str(tmp_path_factory.mktemp("fuzz-user")))
    from dashboard.exports import png_export
    mp.setattr(png_export, "render_png", lambda figs: [b"\x89PNG stub" for _ in figs])
    c = dash_app.server.test_client()
    assert c.get("/").status_code == 200          # first request: Dash copies the callbacks into its map
    yield c
    mp.undo()


@pytest.fixture(scope="module")
def plausible(atlas):
    codes = sorted(atlas.territory("aunis-sud").codes)
    from dashboard.state import ScenarioState, ViewState
    state = ViewState(territory="aunis-sud").with_().as_dict()
    scenario = ScenarioState(territory="aunis-sud", changes=((codes[0], 1.0, None),)).with_().as_dict()
    # (id pattern, property) -> a value the page itself could send; first match wins
    rules = [
        (r"", "n_clicks", 1), (r"", "search_value", "aun"),
        (r"territory-picker", "value", "aunis-sud"), (r"commune-search", "value", codes[0]),
        (r"atlas-map-click", "data", {"code": codes[1], "nom": "x", "t": 1}),
        (r"export-context", "data", {"territory": "aunis-sud", "indicator": "density_mg_liberal", "year": None,
                                     "extent": "territoire"}),
        (r"simulation-state$", "data", scenario), (r"-state$", "data", state), (r"popstate", "data", "?territoire=aunis-sud&indicateur=apl_mg"),
        (r"-indicator$", "value", "density"), (r"-profession$", "value", "mg"), (r"-mode$", "value", "liberal"),
        (r"-view$", "value", "valeur"), (r"-extent$", "value", "territoire"), (r"-locations$", "value", False),
        (r"editor-(candidate-)?codes", "data", codes[:3]), (r"editor-departements", "value", ["17"]),
        (r"-name", "value", "Essai de robustesse"), (r"upload", "filename", "liste.csv"),
        (r"_pages_location", "pathname", "/"), (r"_pages_location", "search", "?territoire=aunis-sud"),
    ]

    def value(dep: dict):
        name = dep["id"]
        for pattern, prop, v in rules:
            if dep["property"] == prop and re.search(pattern, name):
                return v
        return None

    return value


def _wildcards(cb) -> list:
    """A plausible wildcard value for each ALL pattern (a real id where one helps)."""
    out = []
    for d in list(cb["inputs"]) + list(cb.get("state") or []):
        pid = cp.parse_id(d["id"])
        key = next((k for k, v in pid.items() if cp._wild(v) in ("ALL", "ALLSMALLER")), None) \
            if isinstance(pid, dict) else None
        out.append({"format": "csv", "code": "17008", "id": "essai-de-robustesse", "slug": "nope"}.get(key, "item"))
    return out


def _post(client, payload, raw: bytes | None = None):
    t0 = time.perf_counter()
    r = client.post("/_dash-update-component", data=raw if raw is not None else json.dumps(payload),
                    content_type="application/json")
    return r, time.perf_counter() - t0


def _check(r, seconds, what) -> None:
    assert r.status_code < 500, f"{what}: HTTP {r.status_code}"
    assert len(r.data) <= MAX_BYTES, f"{what}: {len(r.data)} bytes"
    assert seconds <= MAX_SECONDS, f"{what}: {seconds:.1f} s"


def _label(key: str, i: int, v) -> str:
    return f"{key[:90]} arg {i} = {repr(v)[:60]}"


def _summary(failures: list[str]) -> str:
    """One line per callback: how many cases failed, and the first one."""
    by_key: dict[str, list[str]] = {}
    for f in failures:
        by_key.setdefault(f.split(" arg ")[0], []).append(f.splitlines()[0])
    return "\n".join(f"{len(v)} x {v[0]}" for v in by_key.values())


def test_the_callback_map_has_every_page_callback(client, dash_app):
    """Every page or component module that declares a server callback has it in the app's map."""
    names = {getattr(cb["callback"], "__module__", "") + "." + getattr(cb["callback"], "__name__", "")
             for cb in cp.server_callbacks(dash_app).values()}
    modules = {n.rsplit(".", 1)[0] for n in names}
    declared = set()
    for path in sorted(DASHBOARD.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if re.search(r"^@(dash\.)?callback\(", text, re.M):
            rel = path.relative_to(ROOT).with_suffix("")
            declared.add(".".join(rel.parts))
    missing = {m for m in declared if not any(x == m or x.endswith("." + m.rsplit(".", 1)[-1]) for x in modules)}
    assert not missing, f"modules with callbacks absent from the map: {sorted(missing)} (map: {sorted(modules)})"
    assert len(cp.server_callbacks(dash_app)) >= 20


def test_every_callback_survives_malformed_values(client, dash_app, plausible):
    failures, slowest = [], []
    for key, cb in sorted(cp.server_callbacks(dash_app).items()):
        deps = list(cb["inputs"]) + list(cb.get("state") or [])
        base = [plausible(d) for d in deps]
        wild = _wildcards(cb)
        n_in = len(cb["inputs"])
        cases = [(i, v) for i in range(len(deps)) for v in cp.BAD] + [(None, v) for v in cp.BAD]
        for i, v in cases:
            values = [v] * len(deps) if i is None else [v if j == i else b for j, b in enumerate(base)]
            payload = cp.body(key, cb, values, trigger=(i if i is not None and i < n_in else 0), wildcard_values=wild)
            r, s = _post(client, payload)
            slowest.append((s, _label(key, -1 if i is None else i, v)))
            try:
                _check(r, s, _label(key, -1 if i is None else i, v))
            except AssertionError as exc:
                failures.append(str(exc))
    slowest.sort(reverse=True)
    print("slowest:", *[f"{s:.2f}s {w}" for s, w in slowest[:5]], sep="\n  ")
    assert not failures, f"{len(failures)} failures:\n" + _summary(failures)


def test_plausible_requests_answer(client, dash_app, plausible):
    """The plausible values themselves are accepted (so the malformed cases above reach past the guards)."""
    for key, cb in sorted(cp.server_callbacks(dash_app).items()):
        deps = list(cb["inputs"]) + list(cb.get("state") or [])
        r, s = _post(client, cp.body(key, cb, [plausible(d) for d in deps], wildcard_values=_wildcards(cb)))
        _check(r, s, key[:90])
    key = next(k for k in cp.server_callbacks(dash_app) if k.startswith("..explorer-state.data"))
    cb = dash_app.callback_map[key]
    r, _ = _post(client, cp.body(key, cb, [plausible(d) for d in list(cb["inputs"]) + list(cb["state"])]))
    assert r.status_code == 200 and b"aunis-sud" in r.data


def test_broken_requests_are_refused_not_crashed(client, dash_app, plausible):
    """The request envelope itself: not JSON, unknown or clientside output, missing state, wrong counts,
    ids that do not match the callback's patterns, a trigger that is not an input."""
    cbs = cp.server_callbacks(dash_app)
    clientside = [k for k, cb in dash_app.callback_map.items() if not callable(cb.get("callback"))]
    assert clientside, "the app has clientside callbacks (maps, history)"
    failures = []
    for raw in [b"", b"not json", b"[]", b"null", b"{}", b'{"output": 3}', b"\xff\xfe"]:
        r, s = _post(client, None, raw)
        try:
            _check(r, s, f"raw {raw[:20]!r}")
        except AssertionError as exc:
            failures.append(str(exc).splitlines()[0])
    broken = []
    for key, cb in sorted(cbs.items()):
        deps = list(cb["inputs"]) + list(cb.get("state") or [])
        good = cp.body(key, cb, [plausible(d) for d in deps], wildcard_values=_wildcards(cb))
        first = good["inputs"][0]
        broken += [
            {k: v for k, v in good.items() if k != "state"},
            {k: v for k, v in good.items() if k != "inputs"},
            {k: v for k, v in good.items() if k != "outputs"},
            {**good, "inputs": good["inputs"][:-1]},
            {**good, "inputs": good["inputs"] + good["inputs"][:1]},
            {**good, "state": good["state"] + [first if isinstance(first, dict) else first[0]]},
            {**good, "inputs": "abc"}, {**good, "state": {"a": 1}}, {**good, "outputs": "x"},
            {**good, "inputs": [None] * len(good["inputs"])},
            {**good, "inputs": [{"id": {"type": ["x"]}, "property": "value", "value": 1}] * len(good["inputs"])},
            {**good, "inputs": [{"id": "x" * cp.HUGE, "property": "value"}] * len(good["inputs"])},
            {**good, "inputs": [[{"id": {"page": ["ALL"]}, "property": 3}]] * len(good["inputs"])},
            {**good, "changedPropIds": ["{not json.value"]}, {**good, "changedPropIds": "x"},
            {**good, "changedPropIds": [{"a": 1}]}, {**good, "output": key + "x"},
        ]
        # ids with the right keys but wildcard values of the wrong type, and ALL given as one dict
        for i, d in enumerate(deps):
            pid = cp.parse_id(d["id"])
            if not isinstance(pid, dict):
                continue
            for bad in (["x"], {"a": 1}, None, "x" * 10_000, "nope"):
                ent = {"id": {k: (bad if cp._wild(v) else v) for k, v in pid.items()}, "property": d["property"],
                       "value": 1}
                values = list(good["inputs"]) + list(good["state"])
                values[i] = [ent] if cp.is_all(d["id"]) else ent
                n = len(cb["inputs"])
                broken.append({**good, "inputs": values[:n], "state": values[n:],
                               "changedPropIds": cp.triggered(values[0])})
            if cp.is_all(d["id"]):
                values = list(good["inputs"]) + list(good["state"])
                values[i] = values[i][0]
                n = len(cb["inputs"])
                broken.append({**good, "inputs": values[:n], "state": values[n:]})
    for k in clientside:
        broken.append({"output": k, "outputs": cp.outputs_of(k), "inputs": [], "state": [], "changedPropIds": []})
    for payload in broken:
        r, s = _post(client, payload)
        try:
            _check(r, s, f"{str(payload.get('output'))[:80]} {json.dumps(payload, default=str)[:160]}")
        except AssertionError as exc:
            failures.append(str(exc).splitlines()[0])
    assert not failures, f"{len(failures)} of {len(broken) + 7} broken requests failed:\n" + "\n".join(failures[:40])


QUERIES = [
    "", "?territoire=aunis-sud", "?territoire=x&territoire=y", "?departement=17&departement=69", "?departement=,,,17,zz",
    "?territoire=" + "x" * 7_000, "?territoire=nope&annee=abc&indicateur=zzz&profession=%5B%5D&mode=x&etendue=mars"
    "&commune=99999&presentation=2&vue=evolution&depuis=-5", "?territoire=%00%ff", "?%ff=1&=&&=", "?self=1&layout=2",
    "?territoire=aunis-sud&indicateur=density_mg_liberal&annee=99999999999999999999", "?territoire=venissieux&lieux=1",
    "?territoire=" + "%C3%A9" * 1_000,
]


def test_every_page_layout_survives_malformed_queries(client, dash_app):
    """Dash's page router hands the URL's query to the page's ``layout(**query)``: every page, odd
    queries (repeated, unknown, huge, invalid UTF-8 escapes)."""
    import dash

    key = next(k for k in cp.server_callbacks(dash_app) if "_pages_content.children" in k)
    cb = dash_app.callback_map[key]
    paths = [p["path"] for p in dash.page_registry.values()] + ["/nope", "/editeur/x", "//"]
    assert {"/", "/portrait", "/editeur", "/import", "/methodes", "/territoires"} <= set(paths)
    failures = []
    for path in paths:
        for q in QUERIES:
            r, s = _post(client, cp.body(key, cb, [path, q]))
            try:
                _check(r, s, f"{path}{q[:80]}")
            except AssertionError as exc:
                failures.append(str(exc).splitlines()[0])
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures[:40])
