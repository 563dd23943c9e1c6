"""National-scale maps in headless Chromium: the atlas map engine against a naive Plotly baseline.

Serves ``bench/national_map_app.py`` (France, région 84, the 31 communes of the CA de l'Ouest
Rhodanien) in a separate server process per engine, and measures with Playwright and Debian's
Chromium (software WebGL, as the tests):

* first map: from navigation to every commune drawn, in a new browser context (empty HTTP cache)
  on a server that has already served the view once ("warm"); also after a reload (HTTP cache
  full) and the very first view of a cold server process;
* first-load bytes: every response of the page, as received (compressed);
* recolour: server time of the Dash callback (whole WSGI call, compression included), bytes
  received, and the repaint measured in the page (atlas: from the paint reaching the engine to
  the canvas rasterised; Plotly: from the response's end to ``plotly_afterplot`` then MapLibre
  idle); p50/p95 over all recolours;
* JS heap after the map is drawn (CDP, after a garbage collection);
* server: CPU seconds of the first France view on a cold worker (all its requests), and RSS
  after the France view;
* the float32 minimum of a recolour (4 bytes × communes) and the ratios to it.

Figures are medians of ``--runs`` runs (recolours: percentiles over all of them). The machine
(CPU, cores, load average before and after) is written with the results.

Usage::

    .venv/bin/python bench/bench_national_map.py [--data-dir geodata] [--runs 3] [--recolours 12]
        [--views cpts,region,france] [--engines atlas,plotly] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_explorer import CHROMIUM, CHROMIUM_ARGS, _free_port  # noqa: E402

N_COMMUNES = {"france": 34_871, "region": 4_021, "cpts": 31}
TARGETS = {  # first map s, first-load bytes, recolour server p95 ms, recolour bytes, repaint p95 ms
    "france": (2.5, 5_000_000, 150, 100_000, 500),
    "region": (1.2, 2_500_000, 60, 20_000, 150),
    "cpts": (0.8, 1_000_000, 40, 4_000, 100),
}
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


def machine() -> dict:
    model = ""
    try:
        model = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem = ""
    try:
        mem = next(line.split(":", 1)[1].strip() for line in open("/proc/meminfo") if line.startswith("MemTotal"))
    except (OSError, StopIteration):
        pass
    return {"cpu": model, "cores": os.cpu_count(), "memory": mem, "system": platform.platform(),
            "python": platform.python_version(), "load_average": os.getloadavg()}


class Server:
    """``bench/national_map_app.py`` in its own process (so its CPU time and RSS are its own)."""

    def __init__(self, data_dir: Path):
        self.port = _free_port()
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "bench" / "national_map_app.py"),
                                      "--data-dir", str(data_dir), "--port", str(self.port)],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        if not line.strip().startswith("{"):
            raise RuntimeError(f"bench app did not start: {line!r}")
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


def open_view(browser, base: str, view: str, engine: str, timeout_s: float) -> dict:
    """A new context (empty cache): first map time, bytes received, heap; returns the live page."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 900}, locale="fr-FR")
    page = ctx.new_page()
    sizes: list[int] = []
    page.on("requestfinished", lambda r: sizes.append(r.sizes()["responseBodySize"] + r.sizes()["responseHeadersSize"]))
    drawn = ATLAS_DRAWN if engine == "atlas" else PLOTLY_DRAWN
    t0 = time.perf_counter()
    page.goto(f"{base}/?view={view}&engine={engine}", wait_until="commit")
    try:
        page.wait_for_function(drawn, timeout=timeout_s * 1000, polling=50)
        first = time.perf_counter() - t0
    except Exception:  # noqa: BLE001 - a baseline that never finishes is a result, not a crash
        first = None
    page.wait_for_timeout(300)              # late requests (favicon, async chunks)
    cdp = ctx.new_cdp_session(page)
    cdp.send("HeapProfiler.collectGarbage")
    heap = cdp.send("Runtime.getHeapUsage")["usedSize"] / 1e6
    return {"ctx": ctx, "page": page, "first_s": first, "bytes": sum(sizes), "heap_mb": heap, "sizes": sizes}


def reload_time(page, engine: str, timeout_s: float) -> float | None:
    drawn = ATLAS_DRAWN if engine == "atlas" else PLOTLY_DRAWN
    t0 = time.perf_counter()
    page.reload(wait_until="commit")
    try:
        page.wait_for_function(drawn, timeout=timeout_s * 1000, polling=50)
        return time.perf_counter() - t0
    except Exception:  # noqa: BLE001
        return None


def recolour(page, server: Server, engine: str, step: int, timeout_s: float) -> dict:
    """One click on the recolour button: server ms, bytes received, repaint ms."""
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
    body = 0
    for r in responses:
        try:
            body += r.request.sizes()["responseBodySize"]
        except Exception:  # noqa: BLE001
            pass
    page.remove_listener("response", on_response)
    server_ms = [t["ms"] for t in server.timings() if t["path"] == "/_dash-update-component" and t["t"] >= t_start - 0.05]
    return {"server_ms": sum(server_ms) if server_ms else None, "bytes": body, "repaint_ms": repaint}


def bench_engine(browser, data_dir: Path, engine: str, views: list[str], runs: int, recolours: int,
                 timeout_s: float) -> dict:
    out: dict = {}
    server = Server(data_dir)
    try:
        # the very first France view of a cold worker: its CPU and memory
        if "france" in views:
            cpu0 = server.cpu_s()
            cold = open_view(browser, server.base, "france", engine, timeout_s)
            out["cold_france"] = {"first_s": cold["first_s"], "server_cpu_s": server.cpu_s() - cpu0,
                                  "rss_mb_after": server.rss_mb()}
            cold["ctx"].close()
        for view in views:
            n_rec = recolours if (engine == "atlas" or view != "france") else max(1, recolours // 4)
            res = {"first_s": [], "reload_s": [], "bytes": [], "heap_mb": [], "server_ms": [], "recolour_bytes": [],
                   "repaint_ms": []}
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
                            r = recolour(v["page"], server, engine, step, timeout_s)
                        except Exception as exc:  # noqa: BLE001
                            print(f"  {engine}/{view}: recolour {step} failed: {exc}", file=sys.stderr)
                            break
                        res["server_ms"].append(r["server_ms"])
                        res["recolour_bytes"].append(r["bytes"])
                        res["repaint_ms"].append(r["repaint_ms"])
                    res["reload_s"].append(reload_time(v["page"], engine, timeout_s))
                v["ctx"].close()
                print(f"  {engine}/{view} run {run + 1}: first {v['first_s']} s, {v['bytes'] / 1e6:.2f} MB", file=sys.stderr)
            out[view] = {
                "first_s": med(res["first_s"]), "first_s_runs": res["first_s"], "reload_s": med(res["reload_s"]),
                "first_load_bytes": med(res["bytes"]), "heap_mb": med(res["heap_mb"]),
                "recolour_server_ms_p50": pct(res["server_ms"], 50), "recolour_server_ms_p95": pct(res["server_ms"], 95),
                "recolour_bytes_p50": pct(res["recolour_bytes"], 50), "recolour_bytes_max": pct(res["recolour_bytes"], 100),
                "repaint_ms_p50": pct(res["repaint_ms"], 50), "repaint_ms_p95": pct(res["repaint_ms"], 95),
                "recolours": len(res["server_ms"])}
        out["rss_mb_end"] = server.rss_mb()
    finally:
        server.stop()
    return out


def ratio(a, b):
    return None if a is None or b in (None, 0) else round(a / b, 2)


def table(report: dict) -> str:
    rows = ["| view | metric | target | atlas | Plotly baseline | Plotly / atlas | float32 min | atlas / float32 |",
            "|---|---|---|---|---|---|---|---|"]
    res = report["results"]
    for view in report["views"]:
        a, p = res.get("atlas", {}).get(view, {}), res.get("plotly", {}).get(view, {})
        t = TARGETS[view]
        f32 = 4 * N_COMMUNES[view]
        for label, key, target, unit, f32v in (
                ("first map (s)", "first_s", t[0], "", None), ("first map, reload (s)", "reload_s", None, "", None),
                ("first-load bytes", "first_load_bytes", t[1], "", None), ("JS heap (MB)", "heap_mb", None, "", None),
                ("recolour server p95 (ms)", "recolour_server_ms_p95", t[2], "", None),
                ("recolour bytes (p50)", "recolour_bytes_p50", None, "", f32),
                ("recolour bytes (max)", "recolour_bytes_max", t[3], "", f32),
                ("repaint p50 (ms)", "repaint_ms_p50", None, "", None),
                ("repaint p95 (ms)", "repaint_ms_p95", t[4], "", None)):
            av, pv = a.get(key), p.get(key)
            fmt_ = (lambda x: "—" if x is None else (f"{x:,.0f}" if x >= 100 else f"{x:.2f}"))
            rows.append(f"| {view} | {label} | {fmt_(target)} | {fmt_(av)} | {fmt_(pv)} | {fmt_(ratio(pv, av))} | "
                        f"{fmt_(f32v)} | {fmt_(ratio(av, f32v))} |")
    cold = {e: r["cold_france"] for e, r in res.items() if "cold_france" in r}
    if cold:
        def cell(e, key, spec):
            return format(cold[e][key], spec) if e in cold and cold[e][key] is not None else "—"
        rows.append(f"| france, cold worker | first map (s) | — | {cell('atlas', 'first_s', '.2f')} | "
                    f"{cell('plotly', 'first_s', '.2f')} | | | |")
        rows.append(f"| france, cold worker | server CPU of the first view (s) | 2 | {cell('atlas', 'server_cpu_s', '.2f')} | "
                    f"{cell('plotly', 'server_cpu_s', '.2f')} | | | |")
        rows.append(f"| france, cold worker | server RSS after the view (MB) | 400 | {cell('atlas', 'rss_mb_after', '.0f')} | "
                    f"{cell('plotly', 'rss_mb_after', '.0f')} | | | |")
    return "\n".join(rows)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", type=Path, default=None)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--recolours", type=int, default=12)
    ap.add_argument("--views", default="cpts,region,france")
    ap.add_argument("--engines", default="atlas,plotly")
    ap.add_argument("--timeout", type=float, default=180.0, help="seconds before a view counts as never drawn")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    from atlas import paths
    data_dir = args.data_dir or paths.data_dir()
    views = [v for v in args.views.split(",") if v]
    report = {"machine": machine(), "views": views, "runs": args.runs, "recolours": args.recolours,
              "chromium": CHROMIUM, "chromium_args": CHROMIUM_ARGS, "results": {}}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        report["chromium_version"] = browser.version
        for engine in [e for e in args.engines.split(",") if e]:
            print(f"{engine} …", file=sys.stderr)
            report["results"][engine] = bench_engine(browser, data_dir, engine, views, args.runs, args.recolours,
                                                     args.timeout)
        browser.close()
    report["machine"]["load_average_after"] = os.getloadavg()
    report["table"] = table(report)
    print(report["table"])
    print(json.dumps({k: v for k, v in report.items() if k != "table"}, indent=1, default=str))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
