"""National-scale maps in headless Chromium: the real explorer against a naive Plotly baseline.

Engines, each served by its own server process (so that its CPU time and memory are its own):

* ``explorer``: the application the users get (``dashboard.app.create_app`` through
  ``bench/explorer_app.py``), one process per code tree given with ``--tree LABEL=DIR`` (default:
  this tree), so that a fix is measured before and after in the same run: export the previous
  commit with ``git archive <commit> | tar -x -C DIR`` and pass ``--tree avant=DIR --tree après=.``.
  Views: France ``/?territoire=aunis-sud&etendue=france`` (34,871 communes), the région
  ``/?territoire=reg-84`` (4,021), the CPTS ``/?territoire=ouest-rhodanien`` (31). A recolour is a
  control change (the same six indicators as the baseline, in the same order: GP APL < 65 years,
  population, GP / nurse / physio liberal density, GP APL);
* ``plotly``: the naive baseline of ``bench/national_map_app.py`` (a ``dcc.Graph`` whose
  ``choroplethmap`` carries the area's GeoJSON and is sent again whole at every recolour);
* ``atlas``: the canvas engine alone in that minimal app (optional, for reference).

Measured with Playwright and Debian's Chromium (software WebGL, as the tests):

* first map: from navigation to every commune drawn with its paint (explorer: ``data-state=ready``,
  ``data-features`` = the view's communes and ``data-paint`` = the page's query string), in a new
  browser context (empty HTTP cache) on a server that has already served the view once ("warm");
  also after a reload (HTTP cache full);
* first-load bytes: every response of the page as received (compressed), all included;
* recolour: server time (whole WSGI calls, compression included): for the explorer the callbacks on
  the path to the paint (``_state`` then ``_draw``; also the sum of every callback of the
  interaction), bytes received (the paint's response; also every callback response), and the
  repaint measured in the page (``window.atlasMap.stats(name).repaintFlushedMs``: from the paint
  reaching the engine to the canvas rasterised; Plotly: from the response's end to
  ``plotly_afterplot`` then MapLibre idle); p50/p95 over all recolours;
* JS heap after the map is drawn (CDP, after a garbage collection);
* server: CPU seconds of the first France view on a cold worker (a fresh process: opening the
  build included, all its requests), and RSS after that view and at the end;
* the float32 minimum of a recolour (4 bytes × communes) and the ratios to it.

Figures are medians of ``--runs`` runs (recolours: percentiles over all of them). The machine
(CPU, cores, load average before and after) is written with the results.

Usage::

    .venv/bin/python bench/bench_national_map.py [--data-dir geodata] [--runs 3] [--recolours 12]
        [--views cpts,region,france] [--engines explorer,plotly] [--tree après=.] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_explorer import CHROMIUM, CHROMIUM_ARGS, _free_port, callback_name  # noqa: E402
from benchlib import machine  # noqa: E402

N_COMMUNES = {"france": 34_871, "region": 4_021, "cpts": 31}
TARGETS = {  # first map s, first-load bytes, recolour server p95 ms, recolour bytes, repaint p95 ms
    "france": (2.5, 5_000_000, 150, 100_000, 500),
    "region": (1.2, 2_500_000, 60, 20_000, 150),
    "cpts": (0.8, 1_000_000, 40, 4_000, 100),
}
EXPLORER_VIEWS = {"france": "territoire=aunis-sud&etendue=france", "region": "territoire=reg-84",
                  "cpts": "territoire=ouest-rhodanien"}
# The explorer's recolours: the baseline's six indicators, in its order (the explorer opens on the
# GP liberal density): apl_mg_65, population, density_mg_liberal, density_inf_liberal,
# density_mk_liberal, apl_mg.
EXPLORER_RECOLOURS = [("explorer-indicator", "apl_mg_65"), ("explorer-indicator", "population"),
                      ("explorer-indicator", "density"), ("explorer-profession", "inf"),
                      ("explorer-profession", "mk"), ("explorer-indicator", "apl_mg")]

EXPLORER_DRAWN = """(n) => { const c = document.querySelector("[data-atlas-map='explorer']");
  return !!c && c.getAttribute('data-state') === 'ready' && Number(c.getAttribute('data-features')) === n
    && c.getAttribute('data-paint') === location.search; }"""
EXPLORER_REPAINTED = """(before) => { const c = document.querySelector("[data-atlas-map='explorer']");
  return location.search !== before && c.getAttribute('data-paint') === location.search; }"""
ATLAS_DRAWN = """() => { const c = document.querySelector('[data-atlas-map=bench]');
  return !!c && c.getAttribute('data-state') === 'ready' && c.getAttribute('data-paint') !== null; }"""
# Plotly: the choroplethmap's MapLibre map has loaded its (GeoJSON) source and is idle
PLOTLY_DRAWN = """() => { const gd = document.querySelector('#plotly-map .js-plotly-plot');
  if (!gd || !gd._fullLayout || !gd._fullLayout.map || !gd._fullLayout.map._subplot) return false;
  const m = gd._fullLayout.map._subplot.map;
  if (!window.__idleHooked) { window.__idleHooked = true; window.__idle = 0; m.on('idle', () => { window.__idle = performance.now(); });
    gd.on('plotly_afterplot', () => { window.__afterplot = performance.now(); }); }
  return m.loaded() && m.areTilesLoaded() && !m.isMoving() && window.__idle > 0; }"""

PLOTLY_IDLE_AFTER_PLOT = """() => { const gd = document.querySelector('#plotly-map .js-plotly-plot');
  if (!(window.__afterplot > 0) || !gd._fullLayout.map) return false;
  const m = gd._fullLayout.map._subplot.map;
  if (m.loaded() && m.areTilesLoaded() && !m.isMoving()) { window.__idleAt = performance.now(); return true; }
  return false; }"""


def pct(values, p):
    v = sorted(x for x in values if x is not None)
    if not v:
        return None
    k = (len(v) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def med(values):
    v = [x for x in values if x is not None]
    return statistics.median(v) if v else None


class Server:
    """A benchmark server in its own process (so its CPU time and RSS are its own): the real
    explorer of a code tree (``bench/explorer_app.py``) or the standalone ``bench/national_map_app.py``."""

    def __init__(self, data_dir: Path, tree: Path | None = None):
        self.port = _free_port()
        if tree is None:
            cmd = [sys.executable, str(ROOT / "bench" / "national_map_app.py"), "--data-dir", str(data_dir),
                   "--port", str(self.port)]
        else:
            cmd = [sys.executable, str(ROOT / "bench" / "explorer_app.py"), "--tree", str(tree),
                   "--data-dir", str(data_dir), "--port", str(self.port)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        if not line.strip().startswith("{"):
            raise RuntimeError(f"bench server did not start: {line!r}")
        self.base = f"http://127.0.0.1:{self.port}"

    def cpu_s(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def timings(self) -> list[dict]:
        with urllib.request.urlopen(self.base + "/bench/timings") as r:
            return json.loads(r.read())

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def view_url(base: str, view: str, engine: str) -> str:
    if engine == "explorer":
        return f"{base}/?{EXPLORER_VIEWS[view]}"
    return f"{base}/?view={view}&engine={engine}"


def wait_drawn(page, view: str, engine: str, timeout_s: float) -> None:
    if engine == "explorer":
        page.wait_for_function(EXPLORER_DRAWN, arg=N_COMMUNES[view], timeout=timeout_s * 1000, polling=20)
    else:
        page.wait_for_function(ATLAS_DRAWN if engine == "atlas" else PLOTLY_DRAWN, timeout=timeout_s * 1000,
                               polling=50)


def open_view(browser, base: str, view: str, engine: str, timeout_s: float) -> dict:
    """A new context (empty cache): first map time, bytes received, heap; returns the live page."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 900}, locale="fr-FR")
    page = ctx.new_page()
    sizes: list[int] = []
    def on_finished(r):
        try:
            s = r.sizes()
            sizes.append(s["responseBodySize"] + s["responseHeadersSize"])
        except Exception:  # noqa: BLE001 - a request still finishing when its page closed: not this page's load
            pass
    page.on("requestfinished", on_finished)
    t0 = time.perf_counter()
    page.goto(view_url(base, view, engine), wait_until="commit")
    try:
        wait_drawn(page, view, engine, timeout_s)
        first = time.perf_counter() - t0
    except Exception:  # noqa: BLE001 - a baseline that never finishes is a result, not a crash
        first = None
    page.wait_for_timeout(300)              # late requests (favicon, async chunks, other callbacks)
    if engine == "explorer":
        page.wait_for_load_state("networkidle")
    cdp = ctx.new_cdp_session(page)
    cdp.send("HeapProfiler.collectGarbage")
    heap = cdp.send("Runtime.getHeapUsage")["usedSize"] / 1e6
    return {"ctx": ctx, "page": page, "first_s": first, "bytes": sum(sizes), "heap_mb": heap, "sizes": sizes}


def reload_time(page, view: str, engine: str, timeout_s: float) -> float | None:
    t0 = time.perf_counter()
    page.reload(wait_until="commit")
    try:
        wait_drawn(page, view, engine, timeout_s)
        return time.perf_counter() - t0
    except Exception:  # noqa: BLE001
        return None


def _body_size(r) -> int:
    try:
        return r.request.sizes()["responseBodySize"]
    except Exception:  # noqa: BLE001
        return 0


def recolour_explorer(page, server: Server, step: int, timeout_s: float) -> dict:
    """One control change in the explorer: server ms (on the path to the paint, and all callbacks),
    bytes received (the paint's response, and all callback responses), repaint ms."""
    control, value = EXPLORER_RECOLOURS[(step - 1) % len(EXPLORER_RECOLOURS)]
    responses = []

    def on_response(r):
        if "_dash-update-component" in r.url:
            responses.append(r)

    page.on("response", on_response)
    before = page.evaluate("() => location.search")
    t_start = time.time()
    page.select_option(f"#{control}", value)
    page.wait_for_function(EXPLORER_REPAINTED, arg=before, timeout=timeout_s * 1000, polling=20)
    repaint = page.evaluate("() => window.atlasMap.stats('explorer').repaintFlushedMs")
    page.wait_for_load_state("networkidle")
    page.remove_listener("response", on_response)
    paint_bytes = sum(_body_size(r) for r in responses if "explorer-legend.children" in (r.request.post_data or ""))
    all_bytes = sum(_body_size(r) for r in responses)
    reqs = [t for t in server.timings() if t["path"] == "/_dash-update-component" and t["t0"] >= t_start - 0.05]
    by = {}
    for t in reqs:
        by.setdefault(callback_name(t["output"]), []).append(t["ms"])
    critical = sum(by.get("state", [])) + sum(by.get("draw", []))
    return {"server_ms": critical if reqs else None, "server_ms_all": sum(t["ms"] for t in reqs) if reqs else None,
            "draw_ms": max(by.get("draw", [0.0])), "bytes": paint_bytes, "bytes_all": all_bytes,
            "repaint_ms": repaint, "callbacks": sorted(callback_name(t["output"]) for t in reqs)}


def recolour_bench_app(page, server: Server, engine: str, step: int, timeout_s: float) -> dict:
    """One click on the recolour button of the standalone app: server ms, bytes received, repaint ms."""
    responses = []

    def on_response(r):
        if "_dash-update-component" in r.url:
            responses.append(r)

    page.on("response", on_response)
    t_start = time.time()
    if engine == "atlas":
        page.click("#recolour")
        page.wait_for_function(f"""() => (document.querySelector('[data-atlas-map=bench]')
            .getAttribute('data-paint') || '').endsWith('|{step}')""", timeout=timeout_s * 1000, polling=20)
        repaint = page.evaluate("() => window.atlasMap.stats('bench').repaintFlushedMs")
    else:
        page.evaluate("() => { window.__afterplot = 0; }")
        page.click("#recolour")
        # Plotly.react may rebuild the MapLibre map: poll the current one until it is idle
        page.wait_for_function(PLOTLY_IDLE_AFTER_PLOT, timeout=timeout_s * 1000, polling=30)
        repaint = page.evaluate("""() => { const e = performance.getEntriesByType('resource')
            .filter(r => r.name.includes('_dash-update-component')).pop();
            return e ? window.__idleAt - e.responseEnd : null; }""")
    page.wait_for_timeout(50)
    body = sum(_body_size(r) for r in responses)
    page.remove_listener("response", on_response)
    server_ms = [t["ms"] for t in server.timings() if t["path"] == "/_dash-update-component" and t["t"] >= t_start - 0.05]
    total = sum(server_ms) if server_ms else None
    return {"server_ms": total, "server_ms_all": total, "bytes": body, "bytes_all": body, "repaint_ms": repaint}


def bench_engine(browser, data_dir: Path, engine: str, views: list[str], runs: int, recolours: int,
                 timeout_s: float, tree: Path | None = None, label: str = "") -> dict:
    out: dict = {"engine": engine, "tree": str(tree) if tree else None}
    name = label or engine
    server = Server(data_dir, tree if engine == "explorer" else None)
    try:
        # the very first France view of a cold worker: its CPU and memory
        if "france" in views:
            cpu0, rss0 = server.cpu_s(), server.rss_mb()
            cold = open_view(browser, server.base, "france", engine, timeout_s)
            out["cold_france"] = {"first_s": cold["first_s"], "server_cpu_s": server.cpu_s() - cpu0,
                                  "rss_mb_before": rss0, "rss_mb_after": server.rss_mb()}
            cold["ctx"].close()
        for view in views:
            n_rec = recolours if (engine != "plotly" or view != "france") else max(1, recolours // 4)
            res = {k: [] for k in ("first_s", "reload_s", "bytes", "heap_mb", "server_ms", "server_ms_all", "draw_ms",
                                   "recolour_bytes", "recolour_bytes_all", "repaint_ms")}
            warm = open_view(browser, server.base, view, engine, timeout_s)      # the server has served it once
            warm["ctx"].close()
            for run in range(runs):
                v = open_view(browser, server.base, view, engine, timeout_s)
                res["first_s"].append(v["first_s"])
                res["bytes"].append(v["bytes"])
                res["heap_mb"].append(v["heap_mb"])
                if v["first_s"] is not None:
                    for step in range(1, n_rec + 1):
                        try:
                            r = (recolour_explorer(v["page"], server, step, timeout_s) if engine == "explorer"
                                 else recolour_bench_app(v["page"], server, engine, step, timeout_s))
                        except Exception as exc:  # noqa: BLE001
                            print(f"  {name}/{view}: recolour {step} failed: {exc}", file=sys.stderr)
                            break
                        res["server_ms"].append(r["server_ms"])
                        res["server_ms_all"].append(r["server_ms_all"])
                        res["draw_ms"].append(r.get("draw_ms"))
                        res["recolour_bytes"].append(r["bytes"])
                        res["recolour_bytes_all"].append(r["bytes_all"])
                        res["repaint_ms"].append(r["repaint_ms"])
                    res["reload_s"].append(reload_time(v["page"], view, engine, timeout_s))
                v["ctx"].close()
                print(f"  {name}/{view} run {run + 1}: first {v['first_s']} s, {v['bytes'] / 1e6:.2f} MB", file=sys.stderr)
            out[view] = {
                "first_s": med(res["first_s"]), "first_s_runs": res["first_s"], "reload_s": med(res["reload_s"]),
                "first_load_bytes": med(res["bytes"]), "heap_mb": med(res["heap_mb"]),
                "recolour_server_ms_p50": pct(res["server_ms"], 50), "recolour_server_ms_p95": pct(res["server_ms"], 95),
                "recolour_server_all_ms_p95": pct(res["server_ms_all"], 95),
                "draw_ms_p50": pct(res["draw_ms"], 50), "draw_ms_p95": pct(res["draw_ms"], 95),
                "recolour_bytes_p50": pct(res["recolour_bytes"], 50), "recolour_bytes_max": pct(res["recolour_bytes"], 100),
                "recolour_bytes_all_max": pct(res["recolour_bytes_all"], 100),
                "repaint_ms_p50": pct(res["repaint_ms"], 50), "repaint_ms_p95": pct(res["repaint_ms"], 95),
                "recolours": len(res["server_ms"])}
        out["rss_mb_end"] = server.rss_mb()
    finally:
        server.stop()
    return out


def ratio(a, b):
    return None if a is None or b in (None, 0) else round(a / b, 2)


def _fmt(x):
    return "—" if x is None else (f"{x:,.0f}" if abs(x) >= 100 else f"{x:.2f}")


def table(report: dict) -> str:
    """Markdown table: one column per explorer tree (and the standalone engine when run), the Plotly
    baseline, its ratio to the last explorer column, the float32 minimum and the ratio to it."""
    res = report["results"]
    cols = [k for k in res if k != "plotly"]
    ref = cols[-1] if cols else None
    head = "| view | metric | target | " + " | ".join(cols) + " | Plotly baseline | Plotly / " + str(ref) + \
        " | float32 min | " + str(ref) + " / float32 |"
    rows = [head, "|" + "---|" * (len(cols) + 7)]
    p = res.get("plotly", {})
    for view in report["views"]:
        t = TARGETS[view]
        f32 = 4 * N_COMMUNES[view]
        for label, key, target, f32v in (
                ("first map, warm server, empty cache (s)", "first_s", t[0], None),
                ("first map, reload (s)", "reload_s", None, None),
                ("first-load bytes, all included", "first_load_bytes", t[1], None), ("JS heap (MB)", "heap_mb", None, None),
                ("recolour server p50 (ms)", "recolour_server_ms_p50", None, None),
                ("recolour server p95 (ms)", "recolour_server_ms_p95", t[2], None),
                ("recolour server p95, every callback (ms)", "recolour_server_all_ms_p95", None, None),
                ("recolour bytes (p50)", "recolour_bytes_p50", None, f32),
                ("recolour bytes (max)", "recolour_bytes_max", t[3], f32),
                ("recolour bytes, every callback (max)", "recolour_bytes_all_max", None, f32),
                ("repaint p50 (ms)", "repaint_ms_p50", None, None),
                ("repaint p95 (ms)", "repaint_ms_p95", t[4], None)):
            vals = [res[c].get(view, {}).get(key) for c in cols]
            pv = p.get(view, {}).get(key)
            rv = vals[-1] if vals else None
            rows.append(f"| {view} | {label} | {_fmt(target)} | " + " | ".join(_fmt(v) for v in vals) +
                        f" | {_fmt(pv)} | {_fmt(ratio(pv, rv))} | {_fmt(f32v)} | {_fmt(ratio(rv, f32v))} |")
    cold = {e: r["cold_france"] for e, r in res.items() if "cold_france" in r}
    if cold:
        def cell(e, key):
            return _fmt(cold[e][key]) if e in cold and cold[e][key] is not None else "—"
        tail = " | | | |"
        for label, key, target in (("first map (s)", "first_s", "—"), ("server CPU of the first view (s)", "server_cpu_s", "2"),
                                   ("server RSS after the view (MB)", "rss_mb_after", "400")):
            rows.append(f"| france, cold worker | {label} | {target} | " + " | ".join(cell(c, key) for c in cols) +
                        f" | {cell('plotly', key)}" + tail)
        rows.append("| all views | server RSS at the end (MB) | 400 | " + " | ".join(_fmt(res[c].get("rss_mb_end")) for c in cols)
                    + f" | {_fmt(p.get('rss_mb_end'))}" + tail)
    return "\n".join(rows)


def parse_trees(values: list[str] | None) -> list[tuple[str, Path]]:
    if not values:
        return [("explorer", ROOT)]
    out = []
    for v in values:
        label, _, path = v.partition("=")
        if not path:
            label, path = Path(v).name or "explorer", v
        out.append((label, Path(path).resolve()))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", type=Path, default=None)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--recolours", type=int, default=12)
    ap.add_argument("--views", default="cpts,region,france")
    ap.add_argument("--engines", default="explorer,plotly", help="explorer, plotly, atlas (the standalone engine)")
    ap.add_argument("--tree", action="append", help="LABEL=DIR: a code tree whose explorer is measured "
                                                      "(repeat to compare; default: this tree)")
    ap.add_argument("--rounds", type=int, default=1, help="explorer trees measured in turn this many times "
                                                          "(alternating; medians over the rounds)")
    ap.add_argument("--timeout", type=float, default=180.0, help="seconds before a view counts as never drawn")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    from atlas import paths
    data_dir = (args.data_dir or paths.data_dir()).resolve()
    views = [v for v in args.views.split(",") if v]
    engines = [e for e in args.engines.split(",") if e]
    trees = parse_trees(args.tree)
    report = {"machine": machine(), "views": views, "runs": args.runs, "recolours": args.recolours,
              "rounds": args.rounds, "trees": {label: str(p) for label, p in trees}, "data_dir": str(data_dir),
              "chromium": CHROMIUM, "chromium_args": CHROMIUM_ARGS, "results": {}, "rounds_results": {}}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        report["chromium_version"] = browser.version
        for engine in engines:
            if engine != "explorer":
                print(f"{engine} …", file=sys.stderr)
                report["results"][engine] = bench_engine(browser, data_dir, engine, views, args.runs, args.recolours,
                                                         args.timeout)
                continue
            for rnd in range(args.rounds):
                for label, tree in trees:
                    print(f"explorer {label} ({tree}), round {rnd + 1} …", file=sys.stderr)
                    r = bench_engine(browser, data_dir, "explorer", views, args.runs, args.recolours, args.timeout,
                                     tree=tree, label=label)
                    report["rounds_results"].setdefault(label, []).append(r)
            for label, _ in trees:
                report["results"][label] = merge_rounds(report["rounds_results"].get(label, []))
        browser.close()
    report["machine"]["load_average_after"] = os.getloadavg()
    report["table"] = table(report)
    print(report["table"])
    if args.json:
        args.json.write_text(json.dumps(report, indent=1, default=str))
    return 0


def merge_rounds(rounds: list[dict]) -> dict:
    """Median of each figure over the rounds of one tree."""
    if len(rounds) <= 1:
        return rounds[0] if rounds else {}
    out: dict = {"engine": rounds[0]["engine"], "tree": rounds[0]["tree"], "rounds": len(rounds)}
    for key, first in rounds[0].items():
        if isinstance(first, dict):
            out[key] = {k: (med([r[key].get(k) for r in rounds if key in r])
                            if isinstance(v, (int, float)) or v is None else v) for k, v in first.items()}
        elif isinstance(first, (int, float)):
            out[key] = med([r.get(key) for r in rounds])
    return out


if __name__ == "__main__":
    raise SystemExit(main())
