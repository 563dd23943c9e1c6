"""Which map component draws a territory fastest in the browser? (a script, run on demand)

Serves one minimal Dash page per candidate, each drawing the same communes (the same simplified
GeoJSON the explorer sends) coloured by class, with no tile server, then measures in headless
Chromium (swiftshader WebGL, as in the tests) the time from navigation to every commune drawn:

* ``plotly-map``: ``dcc.Graph`` with a Plotly ``choroplethmap`` trace (MapLibre, WebGL), the
  explorer's component;
* ``leaflet``: ``dash_leaflet.GeoJSON`` (Leaflet, SVG) styled in the browser from ``hideout``
  (only run when the optional package ``dash-leaflet`` is installed).

Plotly *geo* traces (``go.Choropleth`` + ``fitbounds``) are not candidates: they fetch
``world_110m.json`` from Plotly's CDN even with the base layers hidden, so they fail offline.

Usage::

    .venv/bin/python bench/bench_map_components.py [--runs 6] [--departement 17] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_explorer import CHROMIUM, CHROMIUM_ARGS, _free_port  # noqa: E402

# Distinct communes MapLibre has rendered in the choropleth's fill layer (-1 while it is loading).
PLOTLY_DRAWN_JS = """() => {
  const gd = document.querySelector('#explorer-map .js-plotly-plot');
  if (!gd || !gd._fullLayout || !gd._fullLayout.map || !gd._fullLayout.map._subplot) return -1;
  const m = gd._fullLayout.map._subplot.map;
  if (!m.loaded() || !m.isStyleLoaded() || !m.areTilesLoaded()) return -1;
  const layers = m.getStyle().layers.filter(l => l.type === 'fill' && !/-(fill|line|circle|symbol)$/.test(l.source)).map(l => l.id);
  if (!layers.length) return 0;
  return new Set(m.queryRenderedFeatures({layers}).map(f => f.id)).size;
}"""
LEAFLET_DRAWN_JS = "() => document.querySelectorAll('#map path.leaflet-interactive').length"
LEAFLET_STYLE_JS = """window.atlasBench = {
  style: function (feature, context) {
    const h = context.hideout; const z = h.z[feature.id];
    return {fillColor: h.colors[z === undefined ? 0 : z], fillOpacity: 0.95, color: '#fff', weight: 0.7};
  }
};"""


def _classes(geom) -> tuple[dict, list]:
    colors = ["#e5e5e5", "#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494"]
    return {c: 1 + i % 5 for i, c in enumerate(geom.codes)}, colors


def plotly_app(geom):
    import dash
    from dash import dcc, html

    from dashboard.maps.geometry import view_for_bounds
    z, colors = _classes(geom)
    n = len(colors) - 1
    scale = [[k / n, c] for k, c in enumerate(colors)]
    fig = {"data": [{"type": "choroplethmap", "geojson": geom.geojson, "locations": list(geom.codes),
                     "featureidkey": "id", "z": [z[c] for c in geom.codes], "zmin": 0, "zmax": n,
                     "colorscale": scale, "showscale": False, "marker": {"line": {"color": "#fff", "width": 0.7}}}],
           "layout": {"map": {"style": "white-bg", **view_for_bounds(geom.bounds, 700, 620)},
                      "margin": {"l": 0, "r": 0, "t": 0, "b": 0}, "height": 620}}
    app = dash.Dash(__name__, serve_locally=True)
    app.layout = lambda: html.Div([dcc.Graph(id="explorer-map", figure=fig, style={"height": "620px"})])
    return app


def leaflet_app(geom, assets_dir: Path):
    import dash
    import dash_leaflet as dl
    from dash import html
    z, colors = _classes(geom)
    (assets_dir / "bench_style.js").write_text(LEAFLET_STYLE_JS)
    xmin, ymin, xmax, ymax = geom.bounds
    app = dash.Dash(__name__, serve_locally=True, assets_folder=str(assets_dir))
    app.layout = lambda: html.Div([dl.Map(
        dl.GeoJSON(data=geom.geojson, style={"variable": "atlasBench.style"}, hideout={"z": z, "colors": colors}),
        bounds=[[ymin, xmin], [ymax, xmax]], id="map", style={"height": "620px", "width": "700px"},
        preferCanvas=False)])
    return app


def serve(app) -> tuple[object, str]:
    from werkzeug.serving import make_server
    port = _free_port()
    srv = make_server("127.0.0.1", port, app.server, threaded=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, f"http://127.0.0.1:{port}"


def measure(browser, url: str, drawn_js: str, expected: int) -> float:
    ctx = browser.new_context(viewport={"width": 1400, "height": 900})
    page = ctx.new_page()
    t0 = time.perf_counter()
    page.goto(url, wait_until="commit")
    page.wait_for_function(f"() => ({drawn_js})() === {expected}", timeout=30_000, polling=50)
    dt = time.perf_counter() - t0
    ctx.close()
    return dt


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", type=Path, default=None)
    ap.add_argument("--departement", default="17")
    ap.add_argument("--runs", type=int, default=6)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    import tempfile

    from playwright.sync_api import sync_playwright

    from dashboard.maps.geometry import area_geometry
    from dashboard.settings import Settings
    from etl.store import Store
    store = Store(args.data_dir or Settings.from_env().data_dir)
    geom = area_geometry(store, departement=args.departement)
    candidates = {"plotly-map": (lambda: plotly_app(geom), PLOTLY_DRAWN_JS)}
    try:
        import dash_leaflet  # noqa: F401
        tmp_assets = Path(tempfile.mkdtemp(prefix="bench-leaflet-"))
        candidates["leaflet"] = (lambda: leaflet_app(geom, tmp_assets), LEAFLET_DRAWN_JS)
    except ImportError:
        print("dash-leaflet not installed: measuring plotly-map only", file=sys.stderr)
    report = {"machine": f"{platform.machine()} {os.cpu_count()} CPU", "departement": args.departement,
              "communes": len(geom), "geojson_kb": round(len(json.dumps(geom.geojson)) / 1024), "results": {}}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        for name, (make, drawn_js) in candidates.items():
            srv, base = serve(make())
            try:
                times = [measure(browser, base + "/", drawn_js, len(geom)) for _ in range(args.runs)]
            finally:
                srv.shutdown()
            report["results"][name] = {"first_s": round(times[0], 2),
                                       "median_s": round(statistics.median(times[1:] or times), 2),
                                       "all_s": [round(t, 2) for t in times]}
        browser.close()
    print(json.dumps(report, indent=1))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
