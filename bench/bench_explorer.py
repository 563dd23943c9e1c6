"""Benchmark of the map explorer in headless Chromium (a script, not a timed test).

For each scenario (default: the CPTS de l'Ouest Rhodanien, and the whole département 17 through
Aunis Sud with extent "département", 462 communes) it measures:

* time to first complete render: from navigation to the map showing every commune (Leaflet has
  drawn one SVG path per commune), cold (new browser context, empty cache) and warm;
* server time per interaction (Flask, all ``/_dash-update-component`` requests an interaction
  triggers) and round trip seen by the browser, p50 / p95 over N interactions (indicator,
  profession, mode, year changes);
* bytes sent per interaction (response bodies), against the minimal payload (the new values alone,
  as a JSON list) and against resending the map with its polygons (what a callback that redraws
  the map would send).

Usage::

    .venv/bin/python bench/bench_explorer.py [--data-dir geodata] [--interactions 50] [--json out.json]

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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHROMIUM = os.environ.get("ATLAS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-quic", "--no-first-run", "--use-angle=swiftshader", "--enable-unsafe-swiftshader"]
SCENARIOS = {
    "ouest-rhodanien": {"territoire": "ouest-rhodanien", "etendue": "territoire"},
    "departement-17": {"territoire": "aunis-sud", "etendue": "departement"},
}

# JS: number of communes Leaflet has drawn (SVG paths with a shape in the communes pane).
DRAWN_JS = """() => Array.from(document.querySelectorAll('#explorer-map .leaflet-atlas-communes-pane path'))
  .filter(p => (p.getAttribute('d') || '').length > 4).length"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(data_dir: Path):
    """The app on a free port in this process, with Flask hooks timing each callback request."""
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
            timings.append({"output": body.get("output", ""), "ms": (time.perf_counter() - g.t0) * 1000,
                            "bytes": resp.calculate_content_length() or 0, "t": time.time()})
        return resp

    import logging
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    srv = make_server(settings.host, settings.port, server_app, threaded=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, f"http://{settings.host}:{settings.port}", timings


def pct(values, p):
    if not values:
        return float("nan")
    v = sorted(values)
    k = (len(v) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def wait_drawn(page, expected: int, timeout_ms: int = 30000) -> None:
    try:
        page.wait_for_function(f"() => ({DRAWN_JS})() === {expected}", timeout=timeout_ms, polling=100)
    except Exception:
        page.screenshot(path="/tmp/bench-timeout.png")
        raise RuntimeError(f"map shows {page.evaluate(DRAWN_JS)} communes, {expected} expected ({page.url})")


def first_render(browser, base: str, query: dict, expected: int, warm_context=None) -> float:
    from urllib.parse import urlencode
    ctx = warm_context or browser.new_context(viewport={"width": 1400, "height": 900}, locale="fr-FR")
    page = ctx.new_page()
    t0 = time.perf_counter()
    page.goto(f"{base}/?{urlencode(query)}", wait_until="commit")
    wait_drawn(page, expected)
    dt = time.perf_counter() - t0
    page.close()
    if warm_context is None:
        return dt, ctx
    return dt, None


def actions_cycle(store):
    """Control changes (control id, value) for the interactions: indicators with values first."""
    from dashboard.maps.state import resolve_indicator
    from atlas.catalog import PROFESSIONS
    acts = []
    apl_years = [str(y) for y in store.years("apl_mg")]
    acts += [("explorer-indicator", "apl_mg_65"), ("explorer-indicator", "apl_mg")]
    if len(apl_years) > 1:
        acts += [("explorer-year", apl_years[0]), ("explorer-year", apl_years[-1])]
    dens = [p for p in PROFESSIONS if store.years(resolve_indicator("density", p, "all"))]
    if dens:
        acts.append(("explorer-indicator", "density"))
        for p in dens[1:] + dens[:1]:
            acts.append(("explorer-profession", p))
        acts += [("explorer-mode", "liberal"), ("explorer-profession", dens[1] if len(dens) > 1 else dens[0]),
                 ("explorer-mode", "all")]
    for i in ("sans_mt_17", "depistage_sein", "vaccin_grippe_65", "population"):
        if store.years(i):
            acts.append(("explorer-indicator", i))
    acts.append(("explorer-indicator", "apl_mg"))
    return acts


def do_action(page, control: str, value: str) -> None:
    if control == "explorer-mode":
        page.locator(f"#{control} input[value='{value}']").check()
    else:
        page.select_option(f"#{control}", value)


def current_value(page, control: str):
    if control == "explorer-mode":
        return page.evaluate("() => (document.querySelector('#explorer-mode input:checked') || {}).value")
    return page.input_value(f"#{control}")


def minimal_payload_bytes(store, codes, page) -> int:
    """The new values alone: a JSON list of the displayed communes' values (2 decimals)."""
    q = page.evaluate("() => Object.fromEntries(new URLSearchParams(location.search))")
    from dashboard.maps.state import parse_state
    st = parse_state(q, [t.id for t in store.territories()])
    df = store.commune_values(st.indicator_id, codes, st.year)
    vals = dict(zip(df["code"], df["value"]))
    return len(json.dumps([None if vals.get(c) is None or vals.get(c) != vals.get(c) else round(float(vals[c]), 2)
                           for c in codes], separators=(",", ":")))


def full_map_bytes(store, state) -> int:
    """The map resent whole: polygons (communes, outline) and the colouring."""
    from dashboard.maps.leaflet_map import communes_geojson, hideout, outline_geojson
    from dashboard.maps.view import view
    v = view(store, state)
    return len(json.dumps([communes_geojson(v.geom), outline_geojson(v.outline), hideout(v.layer)]))


def run_scenario(browser, base, timings, store, name, query, n_interactions):
    from urllib.parse import urlencode

    from dashboard.maps.geometry import area_geometry
    from dashboard.maps.state import parse_state
    t = store.territory(query["territoire"])
    geom = (area_geometry(store, departement=t.departement) if query["etendue"] == "departement"
            else area_geometry(store, codes=t.codes))
    expected = len(geom)
    cold, ctx = first_render(browser, base, query, expected)
    warm, _ = first_render(browser, base, query, expected, warm_context=ctx)
    page = ctx.new_page()
    page.goto(f"{base}/?{urlencode(query)}")
    wait_drawn(page, expected)
    page.wait_for_timeout(300)
    acts = actions_cycle(store)
    results = []
    i = 0
    while len(results) < n_interactions:
        control, value = acts[i % len(acts)]
        i += 1
        if current_value(page, control) == value or page.locator(f"#{control}").is_disabled():
            continue
        title_before = page.inner_text("#explorer-title")
        n_before = len(timings)
        t0 = time.perf_counter()
        do_action(page, control, value)
        # the interaction is over when the title changed and no callback request is in flight
        page.wait_for_function("(t) => document.querySelector('#explorer-title').innerText !== t", arg=title_before,
                               polling=10)
        t_title = time.perf_counter() - t0
        page.wait_for_load_state("networkidle")
        reqs = timings[n_before:]
        results.append({
            "control": control, "value": value,
            "server_ms": sum(r["ms"] for r in reqs),
            "main_server_ms": max((r["ms"] for r in reqs if "explorer-communes.hideout" in r["output"]), default=0.0),
            "requests": len(reqs), "bytes": sum(r["bytes"] for r in reqs),
            "title_ms": t_title * 1000,
            "minimal_bytes": minimal_payload_bytes(store, list(geom.codes), page),
        })
    page.close()
    ctx.close()
    st = parse_state(query, [x.id for x in store.territories()])
    full = full_map_bytes(store, st)
    col = lambda k: [r[k] for r in results]  # noqa: E731
    return {
        "scenario": name, "query": query, "communes": expected,
        "first_render_cold_s": round(cold, 3), "first_render_warm_s": round(warm, 3),
        "interactions": len(results),
        "server_ms_p50": round(pct(col("server_ms"), 50), 1), "server_ms_p95": round(pct(col("server_ms"), 95), 1),
        "main_callback_ms_p50": round(pct(col("main_server_ms"), 50), 1),
        "main_callback_ms_p95": round(pct(col("main_server_ms"), 95), 1),
        "title_updated_ms_p50": round(pct(col("title_ms"), 50), 1),
        "title_updated_ms_p95": round(pct(col("title_ms"), 95), 1),
        "bytes_p50": int(pct(col("bytes"), 50)), "bytes_p95": int(pct(col("bytes"), 95)),
        "bytes_max": max(col("bytes")), "requests_per_interaction": round(statistics.mean(col("requests")), 2),
        "minimal_bytes_p50": int(pct(col("minimal_bytes"), 50)),
        "full_map_bytes": full,
        "details": results,
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", type=Path, default=None)
    ap.add_argument("--interactions", type=int, default=50)
    ap.add_argument("--scenario", action="append", choices=list(SCENARIOS), help="default: all")
    ap.add_argument("--json", type=Path, help="write the full report here")
    args = ap.parse_args(argv)

    from playwright.sync_api import sync_playwright

    from dashboard.settings import Settings
    data_dir = args.data_dir or Settings.from_env().data_dir
    srv, base, timings = serve(data_dir)
    from dashboard.data import get_store
    store = get_store()
    reports = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            for name in args.scenario or list(SCENARIOS):
                rep = run_scenario(browser, base, timings, store, name, SCENARIOS[name], args.interactions)
                reports.append(rep)
                print(json.dumps({k: v for k, v in rep.items() if k != "details"}, ensure_ascii=False, indent=1),
                      flush=True)
            browser.close()
    finally:
        srv.shutdown()
    meta = {"machine": f"{platform.node()} {platform.machine()} {os.cpu_count()} CPU", "python": platform.python_version(),
            "data_dir": str(data_dir), "build": store.build_info.get("build_id")}
    if args.json:
        args.json.write_text(json.dumps({"meta": meta, "scenarios": reports}, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
