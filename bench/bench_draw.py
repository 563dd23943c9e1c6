"""Server cost of the explorer's map callback (``_draw`` of ``dashboard/pages/explorer.py``), per
code tree, trees measured in turn in the same run: how a fix of the read or draw path changes it.

For each tree given with ``--tree LABEL=DIR`` (export another commit with
``git archive <commit> | tar -x -C DIR``), a fresh process of that tree's application
(``dashboard.app.create_app``, Flask's test client: no network, no browser) answers the request the
browser sends when a control changes: ``/_dash-update-component`` for ``_draw`` with the view state
of a recolour (the map's geometry already shown). Views: the CPTS de l'Ouest Rhodanien, the
département 17 (Aunis Sud, extent "département"), the région 84 (``territoire=reg-84``), France
(Aunis Sud, extent "France"); indicators: the six of ``bench/bench_national_map.py``.

Measured per call: wall time and CPU time of the request (whole WSGI call: Dash's dispatch, the
callback, JSON, brotli compression), and the bytes sent. The first call of each (view, indicator)
is the *cold* call (a fresh worker: value arrays read from the build); then ``--calls`` warm calls per
(view, indicator), reported as p50 / p95 per view. Trees alternate over ``--rounds`` processes each;
figures are medians over the rounds. The machine is shared: CPU time is the steadier figure.

Usage::

    .venv/bin/python bench/bench_draw.py --data-dir geodata --tree avant=/tmp/tree-before --tree après=.
        [--rounds 3] [--calls 10] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

VIEWS = {"cpts": {"territoire": "ouest-rhodanien"},
         "departement": {"territoire": "aunis-sud", "etendue": "departement"},
         "region": {"territoire": "reg-84"},
         "france": {"territoire": "aunis-sud", "etendue": "france"}}
INDICATORS = ["apl_mg_65", "population", "density_mg_liberal", "density_inf_liberal", "density_mk_liberal", "apl_mg"]

# Runs inside the tree's own process (its modules first on sys.path).
WORKER = r"""
import json, sys, time
from pathlib import Path
data_dir, calls, views, indicators = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3]), json.loads(sys.argv[4])
t_import = time.perf_counter()
from dashboard.app import create_app
from dashboard.settings import Settings
from dashboard.state import parse_state
from atlas.read import current
app = create_app(Settings(data_dir=Path(data_dir), host="127.0.0.1", port=1, debug=False, max_upload_bytes=5 << 20))
client = app.server.test_client()
client.get("/_dash-dependencies")                       # registers the pages' callbacks
key = next(k for k in app.callback_map if "explorer-legend.children" in k)
spec = app.callback_map[key]

def ident(s):
    return json.loads(s) if s.startswith("{") else s

outputs = []
for part in key.strip(".").split("..."):
    i, _, prop = part.rpartition(".")
    outputs.append({"id": ident(i), "property": prop})

def body(state, shown):
    return {"output": key, "outputs": outputs, "changedPropIds": ["explorer-state.data"],
            "inputs": [{"id": "explorer-state", "property": "data", "value": state}],
            "state": [{"id": ident(s["id"]), "property": s["property"],
                       "value": shown if "geometry" in s["id"] else None} for s in spec["state"]]}

def settled(query, ind):
    # the state _state sends: the year settled to the latest the territory has (as the explorer does)
    st = parse_state({**query, "indicateur": ind})
    ys = current().years_for(st.indicator_id, current().territory(st.territory).codes)
    return st.with_(year=ys[-1] if ys else None).as_dict()

def call(b):
    t0, c0 = time.perf_counter(), time.thread_time()
    r = client.post("/_dash-update-component", json=b, headers={"Accept-Encoding": "br"})
    out = {"ms": (time.perf_counter() - t0) * 1000, "cpu_ms": (time.thread_time() - c0) * 1000, "bytes": len(r.data)}
    assert r.status_code == 200, r.status_code
    return out, r

result = {}
for view, query in views.items():
    # the first view of the area sends the geometry spec; recolours then send it as State (same area)
    st0 = settled(query, indicators[0])
    first, r = call(body(st0, None))
    resp = json.loads(__import__("brotli").decompress(r.data) if r.headers.get("Content-Encoding") == "br" else r.data)
    shown = next(v["data"] for k, v in resp["response"].items() if "atlas-map-geometry" in k)
    res = {"first_view": first, "cold": [], "warm": []}
    states = [settled(query, i) for i in indicators]
    for st in states:
        res["cold"].append(call(body(st, shown))[0])
    for _ in range(calls):
        for st in states:
            res["warm"].append(call(body(st, shown))[0])
    result[view] = res
print(json.dumps(result))
"""


def pct(values, p):
    v = sorted(values)
    if not v:
        return None
    k = (len(v) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def run_tree(tree: Path, data_dir: Path, calls: int, views: dict) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-draw-") as tmp:
        env = {**os.environ, "PYTHONPATH": str(tree), "ATLAS_DATA_DIR": str(data_dir),
               "ATLAS_USER_DIR": str(Path(tmp) / "user"), "ATLAS_CACHE": str(Path(tmp) / "cache")}
        res = subprocess.run([sys.executable, "-c", WORKER, str(data_dir), str(calls), json.dumps(views),
                              json.dumps(INDICATORS)], cwd=tree, env=env, capture_output=True, text=True, timeout=3600)
    if res.returncode != 0:
        raise RuntimeError(f"{tree}: {res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def summary(rounds: list[dict], view: str) -> dict:
    """Medians over the rounds of: warm p50/p95 (wall, CPU), cold median (wall, CPU), bytes."""
    def over(fn):
        vals = [fn(r[view]) for r in rounds]
        return round(statistics.median(vals), 1)
    return {
        "warm_ms_p50": over(lambda r: pct([c["ms"] for c in r["warm"]], 50)),
        "warm_ms_p95": over(lambda r: pct([c["ms"] for c in r["warm"]], 95)),
        "warm_cpu_ms_p50": over(lambda r: pct([c["cpu_ms"] for c in r["warm"]], 50)),
        "warm_cpu_ms_p95": over(lambda r: pct([c["cpu_ms"] for c in r["warm"]], 95)),
        "cold_ms_median": over(lambda r: statistics.median(c["ms"] for c in r["cold"])),
        "cold_cpu_ms_median": over(lambda r: statistics.median(c["cpu_ms"] for c in r["cold"])),
        "bytes_p50": over(lambda r: pct([c["bytes"] for c in r["warm"]], 50)),
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--tree", action="append", required=True, help="LABEL=DIR (repeat to compare)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--calls", type=int, default=10, help="warm calls per (view, indicator) and round")
    ap.add_argument("--views", default=",".join(VIEWS))
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    trees = []
    for t in args.tree:
        label, _, path = t.partition("=")
        trees.append((label, Path(path or label).resolve()))
    views = {v: VIEWS[v] for v in args.views.split(",") if v}
    load0 = os.getloadavg()
    raw: dict[str, list] = {label: [] for label, _ in trees}
    for rnd in range(args.rounds):
        for label, tree in trees:
            print(f"round {rnd + 1}: {label}", file=sys.stderr, flush=True)
            raw[label].append(run_tree(tree, args.data_dir.resolve(), args.calls, views))
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "")
    meta = {"machine": f"{platform.machine()} {cpu} {os.cpu_count()} CPU", "python": platform.python_version(),
            "load_average_before": load0, "load_average_after": os.getloadavg(), "rounds": args.rounds,
            "calls": args.calls, "trees": {label: str(p) for label, p in trees}, "data_dir": str(args.data_dir)}
    table = {label: {v: summary(raw[label], v) for v in views} for label, _ in trees}
    cols = [label for label, _ in trees]
    lines = ["| view | figure | " + " | ".join(cols) + " |", "|---|---|" + "---|" * len(cols)]
    for v in views:
        for k in ("warm_ms_p50", "warm_ms_p95", "warm_cpu_ms_p50", "warm_cpu_ms_p95", "cold_ms_median",
                  "cold_cpu_ms_median", "bytes_p50"):
            lines.append(f"| {v} | {k} | " + " | ".join(f"{table[c][v][k]:,}" for c in cols) + " |")
    print(json.dumps(meta, ensure_ascii=False))
    print("\n".join(lines))
    if args.json:
        args.json.write_text(json.dumps({"meta": meta, "summary": table, "raw": raw}, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
