"""Benchmark of the map explorer in headless Chromium (a script, not a timed test).

Drives the explorer the users get (``dashboard/pages/explorer.py`` on the canvas engine of
``dashboard/assets/atlas_map.js``). For each scenario (default: the CPTS de l'Ouest Rhodanien; the
whole département 17 through Aunis Sud, extent "département", 462 communes; the région
Auvergne-Rhône-Alpes, ``?territoire=reg-84``; France through Aunis Sud, extent "France") it measures:

* time to first complete render: from navigation until the map is ready (``data-state=ready``),
  draws every commune of the view (``data-features``) and has applied the paint of the page's own
  query string (``data-paint`` = ``location.search``), cold (new browser context, empty HTTP cache)
  and warm (a second page of that context: geometry and bundles from the HTTP cache);
* server time per interaction (Flask, every ``/_dash-update-component`` request an interaction
  triggers, from the first ``before_request`` hook to this script's ``after_request`` hook, as the
  previous version of this script measured it: response compression, which runs after, is not
  included), p50 / p95 over N interactions (indicator, profession, mode, year changes); the main
  callback alone (the one that sends the paint, ``_draw``); the time the browser takes until the
  title changed and until the new paint is applied;
* bytes sent per interaction: response bodies before compression (as the previous version counted
  them; that explorer did not compress), and as received by the browser (brotli/gzip), against the
  minimal payload (the new values alone, as a JSON list with 2 decimals) and against resending the
  whole map (the area's geometry file plus the paint).

The previous explorer (commit 085eebb, Leaflet) is measured by that commit's own copy of this
script; ``bench/compare_explorer.py`` runs both alternately and writes the table.

Usage::

    .venv/bin/python bench/bench_explorer.py [--data-dir geodata] [--interactions 30]
        [--scenario ouest-rhodanien ...] [--json out.json]

It reads the build in ``--data-dir`` (default ``ATLAS_DATA_DIR`` or ``geodata/``) and writes nothing
except the optional JSON report.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import sys
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode

from benchlib import machine_line

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHROMIUM = os.environ.get("ATLAS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-quic", "--no-first-run", "--use-angle=swiftshader", "--enable-unsafe-swiftshader"]
SCENARIOS = {
    "ouest-rhodanien": {"territoire": "ouest-rhodanien", "etendue": "territoire"},
    "departement-17": {"territoire": "aunis-sud", "etendue": "departement"},
    "region-84": {"territoire": "reg-84"},
    "france": {"territoire": "aunis-sud", "etendue": "france"},
}
DEFAULT_SCENARIOS = list(SCENARIOS)
MAP = "[data-atlas-map='explorer']"

# The map is complete: ready, every commune of the view drawn, and the paint of this very URL applied.
COMPLETE_JS = """(n) => { const m = document.querySelector("[data-atlas-map='explorer']");
  return !!m && m.getAttribute('data-state') === 'ready' && Number(m.getAttribute('data-features')) === n
    && m.getAttribute('data-paint') === location.search; }"""
# After a control change: the URL moved on and its paint is applied.
REPAINTED_JS = """(before) => { const m = document.querySelector("[data-atlas-map='explorer']");
  return location.search !== before && m.getAttribute('data-paint') === location.search; }"""

# Which explorer callback a /_dash-update-component request is (by its outputs).
CALLBACKS = (("draw", "explorer-legend.children"), ("state", "explorer-state.data"),
             ("panel", "explorer-territory-panel.children"), ("commune", "explorer-commune-panel.children"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def callback_name(output: str) -> str:
    for name, marker in CALLBACKS:
        if marker in output:
            return name
    return "other"


def serve(data_dir: Path):
    """The app on a free port in this process (as the previous version of this script), with Flask
    hooks timing each callback request (registered after the app's own hooks: the body they see is
    the one before compression)."""
    from flask import g, request
    from werkzeug.serving import make_server

    from dashboard.app import create_app
    from dashboard.settings import Settings

    settings = Settings(data_dir=data_dir, host="127.0.0.1", port=_free_port(), debug=False,
                        max_upload_bytes=5 * 1024 * 1024)
    app = create_app(settings)
    timings: list[dict] = []
    server_app = app.server

    @server_app.before_request
    def _t0():
        g.t0 = time.perf_counter()

    @server_app.after_request
    def _t1(resp):
        if request.path.endswith("/_dash-update-component"):
            body = request.get_json(silent=True) or {}
            output = body.get("output", "")
            timings.append({"output": output, "callback": callback_name(output),
                            "ms": (time.perf_counter() - g.t0) * 1000,
                            "bytes": resp.calculate_content_length() or 0, "t": time.time()})
        return resp

    import logging
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    srv = make_server(settings.host, settings.port, server_app, threaded=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, f"http://{settings.host}:{settings.port}", timings


def pct(values, p):
    v = sorted(x for x in values if x is not None)
    if not v:
        return float("nan")
    k = (len(v) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def expected_communes(atlas, query: dict) -> tuple[str, tuple[str, ...]]:
    """(geometry file id, communes drawn) of a scenario, from the read model (what the page draws)."""
    from dashboard.maps.view import view_codes
    from dashboard.state import parse_state
    st = parse_state(query)
    return view_codes(atlas, atlas.territory(st.territory), st.extent)


def wait_complete(page, expected: int, timeout_ms: int = 120_000) -> None:
    try:
        page.wait_for_function(COMPLETE_JS, arg=expected, timeout=timeout_ms, polling=50)
    except Exception:
        page.screenshot(path="/tmp/bench-explorer-timeout.png")
        got = page.evaluate(f"""() => {{ const m = document.querySelector("{MAP}");
            return m ? [m.getAttribute('data-state'), m.getAttribute('data-features'), m.getAttribute('data-paint'),
                        location.search] : null; }}""")
        raise RuntimeError(f"map not complete: {got}, {expected} communes expected ({page.url})")


class Received:
    """Bytes received by a page (encoded body + headers of every finished request)."""

    def __init__(self, page):
        self.items: list[tuple[str, int]] = []
        page.on("requestfinished", self._on)

    def _on(self, req):
        try:
            s = req.sizes()
            self.items.append((req.url, s["responseBodySize"] + s["responseHeadersSize"]))
        except Exception:  # noqa: BLE001 - a request of a closed page
            pass

    def total(self, start: int = 0, contains: str = "") -> int:
        return sum(n for u, n in self.items[start:] if contains in u)


def first_render(ctx, base: str, query: dict, expected: int) -> tuple[float, int]:
    page = ctx.new_page()
    rec = Received(page)
    t0 = time.perf_counter()
    page.goto(f"{base}/?{urlencode(query)}", wait_until="commit")
    wait_complete(page, expected)
    dt = time.perf_counter() - t0
    page.wait_for_load_state("networkidle")
    page.close()
    return dt, rec.total()


def actions_cycle(atlas):
    """Control changes (control id, value) for the interactions, the same sequence as the previous
    version of this script: the GP APL (both variants, both years), densities by profession and mode,
    the shares and coverages, population."""
    from atlas.catalog import PROFESSIONS, resolve
    acts = [("explorer-indicator", "apl_mg_65"), ("explorer-indicator", "apl_mg")]
    apl_years = [str(y) for y in atlas.years("apl_mg")]
    if len(apl_years) > 1:
        acts += [("explorer-year", apl_years[0]), ("explorer-year", apl_years[-1])]
    dens = [p for p in PROFESSIONS if atlas.available(resolve("density", p, "all"))]
    if dens:
        acts.append(("explorer-indicator", "density"))
        for p in dens[1:] + dens[:1]:
            acts.append(("explorer-profession", p))
        acts += [("explorer-mode", "liberal"), ("explorer-profession", dens[1] if len(dens) > 1 else dens[0]),
                 ("explorer-mode", "all")]
    for i in ("sans_mt_17", "depistage_sein", "vaccin_grippe_65", "population"):
        if atlas.available(i):
            acts.append(("explorer-indicator", i))
    acts.append(("explorer-indicator", "apl_mg"))
    return acts


def do_action(page, control: str, value: str) -> None:
    if control == "explorer-mode":
        page.locator(f"#{control} input[value='{value}']").check(force=True)
    else:
        page.select_option(f"#{control}", value)


def current_value(page, control: str):
    if control == "explorer-mode":
        return page.evaluate("() => (document.querySelector('#explorer-mode input:checked') || {}).value")
    return page.input_value(f"#{control}")


def disabled(page, control: str, value: str) -> bool:
    if control == "explorer-mode":
        loc = page.locator(f"#{control} input[value='{value}']")
        return loc.count() == 0 or loc.is_disabled()
    if page.locator(f"#{control}").is_disabled():
        return True
    return page.locator(f"#{control} option[value='{value}']").count() == 0


def minimal_payload_bytes(atlas, codes, search: str) -> int:
    """The new values alone: a JSON list of the drawn communes' values (2 decimals)."""
    from dashboard.state import parse_state
    st = parse_state({k: v for k, v in parse_qs(search.lstrip("?")).items()})
    df = atlas.commune_values(st.indicator_id, codes, st.year)
    vals = df["value"].to_numpy()
    return len(json.dumps([None if v != v else round(float(v), 2) for v in vals], separators=(",", ":")))


def geometry_file_bytes(atlas, area_id: str) -> dict:
    """The area's geometry file as written by the build: plain, brotli (what a browser receives)."""
    from atlas.geo.topojson import area_path
    p = area_path(atlas.build_dir, area_id)
    br = p.with_name(p.name + ".br")
    return {"raw": p.stat().st_size, "br": br.stat().st_size if br.is_file() else None}


def run_scenario(browser, base, timings, atlas, name, query, n_interactions):
    area_id, drawn = expected_communes(atlas, query)
    expected = len(drawn)
    ctx = browser.new_context(viewport={"width": 1400, "height": 900}, locale="fr-FR")
    cold, cold_bytes = first_render(ctx, base, query, expected)
    warm, warm_bytes = first_render(ctx, base, query, expected)
    page = ctx.new_page()
    rec = Received(page)
    page.goto(f"{base}/?{urlencode(query)}")
    wait_complete(page, expected)
    page.wait_for_load_state("networkidle")
    acts = actions_cycle(atlas)
    results, paint_bytes = [], []
    i = skipped = 0
    while len(results) < n_interactions:
        control, value = acts[i % len(acts)]
        i += 1
        if current_value(page, control) == value or disabled(page, control, value):
            skipped += 1
            if skipped > 3 * len(acts):
                raise RuntimeError(f"{name}: no control can change")
            continue
        skipped = 0
        search_before = page.evaluate("() => location.search")
        title_before = page.inner_text("#explorer-title")
        n_before, r_before = len(timings), len(rec.items)
        t0 = time.perf_counter()
        do_action(page, control, value)
        page.wait_for_function("(t) => document.querySelector('#explorer-title').innerText !== t", arg=title_before,
                               polling=10, timeout=60_000)
        t_title = time.perf_counter() - t0
        page.wait_for_function(REPAINTED_JS, arg=search_before, polling=10, timeout=60_000)
        t_paint = time.perf_counter() - t0
        page.wait_for_load_state("networkidle")
        reqs = timings[n_before:]
        search = page.evaluate("() => location.search")
        draw = [r for r in reqs if r["callback"] == "draw"]
        results.append({
            "control": control, "value": value, "search": search,
            "server_ms": sum(r["ms"] for r in reqs),
            "main_server_ms": max((r["ms"] for r in draw), default=0.0),
            "state_server_ms": sum(r["ms"] for r in reqs if r["callback"] == "state"),
            "callbacks": [r["callback"] for r in reqs],
            "requests": len(reqs), "bytes": sum(r["bytes"] for r in reqs),
            "main_bytes": sum(r["bytes"] for r in draw),
            "received_bytes": rec.total(r_before, "_dash-update-component"),
            "title_ms": t_title * 1000, "paint_ms": t_paint * 1000,
            "repaint_ms": page.evaluate("() => (window.atlasMap.stats('explorer') || {}).repaintFlushedMs"),
            "minimal_bytes": minimal_payload_bytes(atlas, list(drawn), search),
        })
        paint_bytes.append(results[-1]["main_bytes"])
    page.close()
    ctx.close()
    geo = geometry_file_bytes(atlas, area_id)
    col = lambda k: [r[k] for r in results]  # noqa: E731
    return {
        "scenario": name, "query": query, "communes": expected, "geometry_file": area_id,
        "first_render_cold_s": round(cold, 3), "first_render_warm_s": round(warm, 3),
        "first_load_received_bytes_cold": cold_bytes, "first_load_received_bytes_warm": warm_bytes,
        "interactions": len(results),
        "server_ms_p50": round(pct(col("server_ms"), 50), 1), "server_ms_p95": round(pct(col("server_ms"), 95), 1),
        "main_callback_ms_p50": round(pct(col("main_server_ms"), 50), 1),
        "main_callback_ms_p95": round(pct(col("main_server_ms"), 95), 1),
        "title_updated_ms_p50": round(pct(col("title_ms"), 50), 1),
        "title_updated_ms_p95": round(pct(col("title_ms"), 95), 1),
        "paint_applied_ms_p50": round(pct(col("paint_ms"), 50), 1),
        "paint_applied_ms_p95": round(pct(col("paint_ms"), 95), 1),
        "repaint_ms_p50": round(pct(col("repaint_ms"), 50), 1), "repaint_ms_p95": round(pct(col("repaint_ms"), 95), 1),
        "bytes_p50": int(pct(col("bytes"), 50)), "bytes_p95": int(pct(col("bytes"), 95)),
        "bytes_max": max(col("bytes")), "received_bytes_p50": int(pct(col("received_bytes"), 50)),
        "received_bytes_p95": int(pct(col("received_bytes"), 95)),
        "requests_per_interaction": round(statistics.mean(col("requests")), 2),
        "minimal_bytes_p50": int(pct(col("minimal_bytes"), 50)),
        "geometry_file_bytes": geo["raw"], "geometry_file_br_bytes": geo["br"],
        "full_map_bytes": geo["raw"] + int(pct(paint_bytes, 50)),
        "details": results,
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", type=Path, default=None)
    ap.add_argument("--interactions", type=int, default=30)
    ap.add_argument("--scenario", action="append", choices=list(SCENARIOS), help="default: all")
    ap.add_argument("--json", type=Path, help="write the full report here")
    args = ap.parse_args(argv)

    from playwright.sync_api import sync_playwright

    from atlas.read import current
    from dashboard.settings import Settings
    data_dir = args.data_dir or Settings.from_env().data_dir
    load0 = os.getloadavg()
    srv, base, timings = serve(data_dir)
    atlas = current(data_dir)
    reports = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            for name in args.scenario or DEFAULT_SCENARIOS:
                rep = run_scenario(browser, base, timings, atlas, name, SCENARIOS[name], args.interactions)
                reports.append(rep)
                print(json.dumps({k: v for k, v in rep.items() if k != "details"}, ensure_ascii=False, indent=1),
                      flush=True)
            browser.close()
    finally:
        srv.shutdown()
    meta = {"machine": machine_line(), "python": platform.python_version(), "data_dir": str(data_dir),
            "build": atlas.build_id, "load_average_before": load0, "load_average_after": os.getloadavg()}
    if args.json:
        args.json.write_text(json.dumps({"meta": meta, "scenarios": reports}, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
