"""Benchmark of the territory portrait and its PDF (a script run on demand, not a timed test).

For each code tree (this one, and optionally a baseline tree given with ``--baseline``, e.g. the
previous commit exported with ``git archive <commit> | tar -x -C /tmp/baseline``), in the same run:

* the app is started in its own process (``python -m dashboard`` in that tree, same build);
* headless Chromium opens ``/portrait?territoire=<id>`` and waits until the deck is complete: the
  last slide (``#slide-sources``) is in the page, no Dash callback is pending and every Plotly graph
  (the baseline's) has drawn its SVG layer. Times: the *first* open of each territory by the server
  process (portrait content not cached yet; reader already open), then ``--runs`` warm opens (a new
  tab in the same browser context: assets in the HTTP cache, content cached by the server when the
  tree caches it); medians reported;
* the JavaScript the page downloaded (decoded bytes) and whether plotly.js was requested;
* where the last warm open's time goes: HTML received, DOMContentLoaded, deck complete (ms since
  navigation) and the requests by kind (callbacks, layout/dependencies, Dash's bundles, assets:
  count, bytes on the wire, 304 revalidations, first start and last end);
* the PDF portrait (``export_bytes(..., "pdf")``) timed in a separate process of that tree,
  ``--pdf-runs`` times per territory, median.

Usage::

    .venv/bin/python bench/bench_portrait.py [--data-dir geodata] [--baseline /tmp/baseline]
        [--territory aunis-sud ...] [--runs 5] [--pdf-runs 3] [--json out.json]

Reads the build in ``--data-dir`` (default ``ATLAS_DATA_DIR`` or ``geodata/``); writes nothing but
temporary user/cache directories and the optional JSON report.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("ATLAS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-quic", "--no-first-run", "--use-angle=swiftshader", "--enable-unsafe-swiftshader"]
TERRITORIES = ["aunis-sud", "ouest-rhodanien", "entre-loire-et-sucs", "venissieux"]

# The deck is complete: last slide present, no callback pending, every Plotly graph drawn.
COMPLETE_JS = """() => !!document.querySelector('#slide-sources')
  && !document.querySelector('[data-dash-is-loading="true"]')
  && Array.from(document.querySelectorAll('.js-plotly-plot')).every(g => g.querySelector('.main-svg'))"""
# Where a warm open's time goes: navigation milestones and every resource (start, end, bytes on the
# wire: 0 = served from the HTTP cache without asking, ~300 = a 304 revalidation).
TIMELINE_JS = """() => { const n = performance.getEntriesByType('navigation')[0];
  return {html_end: n.responseEnd, dom_content_loaded: n.domContentLoadedEventEnd, load: n.loadEventEnd,
          resources: performance.getEntriesByType('resource').map(e => ({name: e.name.replace(location.origin, ''),
            start: e.startTime, end: e.responseEnd, transfer: e.transferSize, decoded: e.decodedBodySize}))}; }"""
SCRIPTS_JS = """() => performance.getEntriesByType('resource').filter(e => e.initiatorType === 'script'
  || /\\.js(\\?|$)/.test(e.name)).map(e => [e.name, e.decodedBodySize || 0])"""

PDF_SNIPPET = r"""
import json, statistics, sys, time
from atlas.read import Atlas
from dashboard.exports import export_bytes
data_dir, runs, territories = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(",")
atlas = Atlas(data_dir)
atlas.entry("population", atlas.territory(territories[0]))      # reader open before timing
out = {}
for tid in territories:
    times, size = [], 0
    for _ in range(runs):
        t0 = time.perf_counter()
        size = len(export_bytes(atlas, tid, "pdf"))
        times.append(time.perf_counter() - t0)
    out[tid] = {"median_s": round(statistics.median(times), 3), "runs_s": [round(t, 3) for t in times], "bytes": size}
print(json.dumps(out))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(tree: Path, data_dir: Path, tmp: Path, port: int | None = None) -> dict:
    env = {**os.environ, "ATLAS_DATA_DIR": str(data_dir), "ATLAS_USER_DIR": str(tmp / "user"),
           "ATLAS_CACHE": str(tmp / "cache"), "PYTHONPATH": str(tree)}
    if port:
        env["ATLAS_PORT"] = str(port)
    return env


def start_server(tree: Path, data_dir: Path, tmp: Path):
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "dashboard"], cwd=tree, env=_env(tree, data_dir, tmp, port),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            with urllib.request.urlopen(base + "/methodes", timeout=2) as r:
                if r.status == 200:
                    return proc, base
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError(f"server of {tree} did not start")


def open_portrait(ctx, base: str, tid: str, timeline: dict | None = None) -> tuple[float, list]:
    page = ctx.new_page()
    t0 = time.perf_counter()
    page.goto(f"{base}/portrait?territoire={tid}", wait_until="commit")
    page.wait_for_function(COMPLETE_JS, timeout=120_000, polling=50)
    dt = time.perf_counter() - t0
    scripts = page.evaluate(SCRIPTS_JS)
    if timeline is not None:
        timeline.update(page.evaluate(TIMELINE_JS), complete=page.evaluate("() => performance.now()"))
    page.close()
    return dt, scripts


def timeline_summary(tl: dict) -> dict:
    """Milestones of a warm open (ms since navigation) and its requests by kind: the server's
    callbacks, Dash's bundles, the app's assets (requests, bytes on the wire, revalidations)."""
    kinds = {"callbacks": "/_dash-update-component", "layout/deps": ("/_dash-layout", "/_dash-dependencies"),
             "bundles": "/_dash-component-suites/", "assets": "/assets/", "vendor": "/vendor/"}
    out = {"html_end_ms": round(tl["html_end"]), "dom_content_loaded_ms": round(tl["dom_content_loaded"]),
           "complete_ms": round(tl["complete"])}
    for kind, marker in kinds.items():
        rs = [r for r in tl["resources"] if (r["name"].startswith(marker) if isinstance(marker, str)
                                             else r["name"].startswith(marker))]
        if rs:
            out[kind] = {"requests": len(rs), "wire_bytes": sum(r["transfer"] for r in rs),
                         "revalidated_304": sum(1 for r in rs if 0 < r["transfer"] < 1000 and r["decoded"] > 0
                                                and kind in ("bundles", "assets", "vendor")),
                         "first_start_ms": round(min(r["start"] for r in rs)),
                         "last_end_ms": round(max(r["end"] for r in rs)),
                         "time_in_requests_ms": round(sum(r["end"] - r["start"] for r in rs))}
    return out


def bench_tree(browser, label: str, tree: Path, data_dir: Path, territories: list[str], runs: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-portrait-") as tmp:
        proc, base = start_server(tree, data_dir, Path(tmp))
        try:
            ctx = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="fr-FR")
            warmup = ctx.new_page()                     # the reader opens, assets get cached
            warmup.goto(f"{base}/methodes")
            warmup.wait_for_load_state("networkidle")
            warmup.close()
            out = {}
            for tid in territories:
                first, scripts = open_portrait(ctx, base, tid)
                timeline: dict = {}
                warm = [open_portrait(ctx, base, tid, timeline)[0] for _ in range(runs)]
                js_bytes = sum(size for _name, size in scripts)
                out[tid] = {"first_open_s": round(first, 3), "warm_median_s": round(statistics.median(warm), 3),
                            "warm_runs_s": [round(x, 3) for x in warm], "js_bytes": js_bytes,
                            "plotly_js": any("plotly" in name for name, _ in scripts),
                            "last_warm_open": timeline_summary(timeline)}
                print(f"  {label:10} {tid:22} first {first:6.2f} s  warm median {statistics.median(warm):6.2f} s  "
                      f"JS {js_bytes / 1e6:5.2f} MB  plotly.js {'yes' if out[tid]['plotly_js'] else 'no'}",
                      flush=True)
                print(f"  {'':10} {'':22} last warm open: {json.dumps(out[tid]['last_warm_open'])}", flush=True)
            ctx.close()
            return out
        finally:
            proc.terminate()
            proc.wait(10)


def bench_pdf(label: str, tree: Path, data_dir: Path, territories: list[str], runs: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-pdf-") as tmp:
        res = subprocess.run([sys.executable, "-c", PDF_SNIPPET, str(data_dir), str(runs), ",".join(territories)],
                             cwd=tree, env=_env(tree, data_dir, Path(tmp)), capture_output=True, text=True,
                             timeout=3600)
    if res.returncode != 0:
        raise RuntimeError(f"PDF benchmark failed in {tree}:\n{res.stderr[-2000:]}")
    out = json.loads(res.stdout.strip().splitlines()[-1])
    for tid, r in out.items():
        print(f"  {label:10} PDF {tid:22} median {r['median_s']:6.2f} s  ({r['bytes'] / 1e3:.0f} kB)", flush=True)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", type=Path, default=None)
    ap.add_argument("--baseline", type=Path, help="a code tree of the previous version, benchmarked side by side")
    ap.add_argument("--territory", action="append", help=f"default: {', '.join(TERRITORIES)}")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--pdf-runs", type=int, default=3)
    ap.add_argument("--pdf-territory", action="append", help="default: aunis-sud and atlantique-nord-loire")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from dashboard.settings import Settings
    data_dir = (args.data_dir or Settings.from_env().data_dir).resolve()
    territories = args.territory or TERRITORIES
    pdf_territories = args.pdf_territory or ["aunis-sud", "atlantique-nord-loire"]
    trees = [("actuel", ROOT)] + ([("référence", args.baseline.resolve())] if args.baseline else [])
    meta = {"machine": f"{platform.node()} {platform.machine()} {platform.processor() or ''} {os.cpu_count()} CPU".strip(),
            "python": platform.python_version(), "data_dir": str(data_dir), "runs": args.runs,
            "pdf_runs": args.pdf_runs, "date": time.strftime("%Y-%m-%d %H:%M")}
    print(json.dumps(meta, ensure_ascii=False))
    from playwright.sync_api import sync_playwright
    report = {"meta": meta, "portrait": {}, "pdf": {}}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        for label, tree in trees:
            report["portrait"][label] = bench_tree(browser, label, tree, data_dir, territories, args.runs)
        browser.close()
    for label, tree in trees:
        report["pdf"][label] = bench_pdf(label, tree, data_dir, pdf_territories, args.pdf_runs)
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
