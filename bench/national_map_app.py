"""A small standalone Dash app for the national-map benchmark (and the map's browser tests).

Three views, chosen by the URL (``/?view=france|region|cpts&engine=atlas|plotly``):

* ``france``: every commune (34,871 with geometry), the France file with the DROM as insets;
* ``region``: Auvergne-Rhône-Alpes (84, 4,021 communes);
* ``cpts``: the 31 communes of the CA de l'Ouest Rhodanien (EPCI 200040566), outlined.

Engines: ``atlas`` (``dashboard/components/atlas_map.py``: geometry file by URL, compact paint)
and ``plotly``, the naive baseline: a ``dcc.Graph`` whose ``choroplethmap`` figure carries the
area's GeoJSON (from ``communes_web.parquet``) and is sent again whole at every recolour.

The recolour button cycles through indicators; its callback reads the commune values of one
indicator straight from the build's DuckDB (read-only, ``atlas.paths``), classifies them in
quantiles and returns the paint payload (or the whole figure). The server records the time of
every request, compression included (a WSGI wrapper), at ``/bench/timings``.

Run alone: ``python bench/national_map_app.py --data-dir geodata --port 8060``.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import threading
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from atlas import fmt, paths  # noqa: E402

VIEWS = {
    "france": {"title": "France", "area": "france"},
    "region": {"title": "Auvergne-Rhône-Alpes", "area": "reg-84", "region": "84"},
    "cpts": {"title": "CA de l'Ouest Rhodanien", "epci": "200040566"},
}
# (indicator id, decimals, unit): cycled by the recolour button; each at its latest year
INDICATORS = [("apl_mg", 2, "consult./hab. std/an"), ("apl_mg_65", 2, "consult./hab. std/an"),
              ("population", 0, "hab."), ("density_mg_liberal", 1, "/ 10 000 hab."),
              ("density_inf_liberal", 1, "/ 10 000 hab."), ("density_mk_liberal", 1, "/ 10 000 hab.")]
PALETTE = ["#edf8b1", "#7fcdbb", "#41b6c4", "#225ea8", "#081d58"]
NO_DATA, SECRET = "#d9d9d9", "#8c8c8c"


class Data:
    """Read-only access to one build: DuckDB (a cursor per call: connections are not thread-safe)."""

    def __init__(self, data_dir: Path):
        import duckdb

        self.build = paths.current_build(data_dir).resolve()
        self.data_dir = Path(data_dir)
        self.con = duckdb.connect(str(self.build / paths.DATABASE_FILE), read_only=True)
        self.lock = threading.Lock()

    def query(self, sql: str, params=()):
        with self.lock:
            cur = self.con.cursor()
        return cur.execute(sql, list(params))

    def epci_codes(self, epci: str) -> list[str]:
        return [r[0] for r in self.query("SELECT code FROM communes WHERE epci = ? AND has_geometry ORDER BY code", [epci]).fetchall()]

    def latest_year(self, indicator: str) -> int | None:
        row = self.query("SELECT max(year) FROM commune_values WHERE indicator_id = ?", [indicator]).fetchone()
        return row[0] if row else None

    def values(self, indicator: str, year: int, *, region: str | None = None, codes=None):
        """(codes, values) of an indicator for France, a région or a list of communes."""
        sql = "SELECT v.code, v.value FROM commune_values v"
        params: list = [indicator, year]
        where = " WHERE v.indicator_id = ? AND v.year = ?"
        if region:
            sql += " JOIN communes c USING (code)"
            where += " AND c.region = ?"
            params.append(region)
        elif codes is not None:
            where += " AND list_contains(?, v.code)"
            params.append(list(codes))
        got = self.query(sql + where, params).fetchnumpy()
        return got["code"].tolist(), np.asarray(got["value"], dtype=np.float64)


def classify(values: np.ndarray, n: int = 5):
    """Quantile classes: code 0 no data, 2 + k class k; labels in French (atlas.fmt)."""
    v = np.asarray(values, dtype=np.float64)
    ok = np.isfinite(v)
    codes = np.zeros(len(v), dtype=np.int64)
    if not ok.any():
        return codes, [], []
    breaks = np.unique(np.quantile(v[ok], np.linspace(0, 1, n + 1)[1:-1]))
    codes[ok] = 2 + np.searchsorted(breaks, v[ok], side="right")
    k = len(breaks) + 1
    colors = [PALETTE[int(round(i * (len(PALETTE) - 1) / max(k - 1, 1)))] for i in range(k)]
    labels = ([f"moins de {fmt.number(breaks[0], 2)}"] if len(breaks) else ["toutes valeurs"]) + \
        [f"de {fmt.number(a, 2)} à moins de {fmt.number(b, 2)}" for a, b in zip(breaks, breaks[1:])] + \
        ([f"{fmt.number(breaks[-1], 2)} et plus"] if len(breaks) else [])
    return codes, colors, labels


def build_app(data_dir: Path, *, timings: list | None = None):
    """The bench app. ``timings`` (a list) receives one dict per request: path, ms, bytes."""
    import dash
    from dash import Input, Output, State, dcc, html
    from flask import has_request_context, jsonify, request

    from atlas.geo.topojson import read_index
    from dashboard import server as atlas_server
    from dashboard.components import atlas_map as am

    data = Data(data_dir)
    index = read_index(data.build)
    app = dash.Dash(__name__, serve_locally=True, assets_folder=str(ROOT / "dashboard" / "assets"),
                    assets_ignore=r"^(?!atlas_map).*", update_title=None, title="Atlas – carte nationale")
    atlas_server.install(app, data_dir)
    timings = timings if timings is not None else []

    @lru_cache(maxsize=8)
    def view_of(name: str) -> dict:
        v = dict(VIEWS[name])
        if "epci" in v:
            codes = data.epci_codes(v["epci"])
            v["codes"], v["area"] = codes, index.smallest_area(codes)
        return v

    @lru_cache(maxsize=8)
    def spec_of(name: str) -> dict:
        v = view_of(name)
        url = atlas_server.geo_url(data_dir, f"{v['area']}.topo.json", build_id=data.build.name)
        return am.geometry_spec(index, v["area"], url=url, codes=v.get("codes"), outline=v.get("codes"))

    latest_year = lru_cache(maxsize=64)(data.latest_year)

    def classified(name: str, step: int):
        """The indicator of recolour ``step`` over view ``name``, classified (both engines draw this)."""
        ind, decimals, unit = INDICATORS[step % len(INDICATORS)]
        year = latest_year(ind)
        v = view_of(name)
        codes, values = data.values(ind, year, region=v.get("region"), codes=v.get("codes"))
        return (ind, decimals, unit, year, codes, values, *classify(values))

    def paint_of(name: str, step: int) -> dict:
        ind, decimals, unit, year, codes, values, classes, colors, labels = classified(name, step)
        spec = spec_of(name)
        return am.paint_payload(am.drawn_codes(index, spec), codes, values, classes, [NO_DATA, SECRET, *colors],
                                value_format=am.value_format(decimals, unit), labels=labels,
                                title=f"{ind} ({year})", key=f"{ind}|{year}|{step}")

    @lru_cache(maxsize=4)
    def geojson_of(name: str) -> dict:
        """Baseline only: the area's polygons as GeoJSON from communes_web.parquet (what the
        previous explorer sent), rounded to 1e-4°."""
        import geopandas as gpd
        from shapely.geometry import mapping
        import shapely

        v = view_of(name)
        gdf = gpd.read_parquet(data.build / paths.COMMUNES_WEB_FILE, columns=["code", "region", "epci", "geometry"])
        if v.get("region"):
            gdf = gdf[gdf["region"] == v["region"]]
        elif v.get("codes"):
            gdf = gdf[gdf["code"].isin(v["codes"])]
        geoms = shapely.set_precision(gdf.geometry.values, 1e-4)
        return {"type": "FeatureCollection",
                "features": [{"type": "Feature", "id": c, "properties": {}, "geometry": mapping(g)}
                             for c, g in zip(gdf["code"], geoms)]}

    def figure_of(name: str, step: int) -> dict:
        ind, decimals, unit, year, codes, values, classes, colors, _ = classified(name, step)
        gj = geojson_of(name)
        allc = [NO_DATA, SECRET, *colors]
        scale = [[i / (len(allc) - 1), c] for i, c in enumerate(allc)] if len(allc) > 1 else [[0, allc[0]], [1, allc[0]]]
        center = {"france": (46.6, 2.5, 4.3), "region": (45.5, 4.6, 6.3), "cpts": (45.95, 4.35, 9.5)}[name]
        return {"data": [{"type": "choroplethmap", "geojson": gj, "locations": list(codes), "featureidkey": "id",
                          "z": classes.tolist(), "zmin": 0, "zmax": len(allc) - 1, "colorscale": scale,
                          "showscale": False, "marker": {"line": {"color": "#ffffff", "width": 0.5}},
                          "customdata": [fmt.number(x, decimals) for x in values],
                          "hovertemplate": "%{location} : %{customdata}<extra></extra>"}],
                "layout": {"map": {"style": "white-bg", "center": {"lat": center[0], "lon": center[1]}, "zoom": center[2]},
                           "margin": {"l": 0, "r": 0, "t": 0, "b": 0}, "height": 620, "uirevision": name}}

    def layout():
        if not has_request_context():            # Dash calls the layout once when it is set
            return html.Div()
        # the layout is fetched by /_dash-layout: the page's own query string is in the referrer
        from urllib.parse import parse_qs, urlparse
        args = {k: v[0] for k, v in parse_qs(urlparse(request.referrer or "").query).items()}
        args.update(request.args.to_dict())
        name, engine = args.get("view", "france"), args.get("engine", "atlas")
        if name not in VIEWS:
            name = "france"
        head = [html.H1(f"Carte : {VIEWS[name]['title']}", style={"fontSize": "18px"}),
                html.Button("Changer d'indicateur", id="recolour", n_clicks=0),
                dcc.Store(id="view", data={"view": name, "engine": engine})]
        if engine == "plotly":
            return html.Div(head + [dcc.Graph(id="plotly-map", figure=figure_of(name, 0), style={"height": "620px"},
                                              config={"displayModeBar": False})])
        return html.Div(head + [am.atlas_map("bench", geometry=spec_of(name), paint=paint_of(name, 0), height=620,
                                             label=f"Carte des communes : {VIEWS[name]['title']}")])

    app.layout = layout

    def preload_url():
        view, engine = request.args.get("view", "france"), request.args.get("engine", "atlas")
        return spec_of(view)["url"] if engine == "atlas" and view in VIEWS else None

    am.enable_preload(app, preload_url)
    app.validation_layout = html.Div([
        html.Button(id="recolour"), dcc.Store(id="view"), dcc.Graph(id="plotly-map"), am.atlas_map("bench")])
    ids = am.map_ids("bench")

    @app.callback(Output(ids["paint"], "data"), Input("recolour", "n_clicks"), State("view", "data"),
                  prevent_initial_call=True)
    def recolour(n, view):
        return paint_of(view["view"], n or 0)

    @app.callback(Output("plotly-map", "figure"), Input("recolour", "n_clicks"), State("view", "data"),
                  prevent_initial_call=True)
    def recolour_plotly(n, view):
        return figure_of(view["view"], n or 0)

    @app.callback(Output(ids["selected"], "data"), Input(ids["click"], "data"), prevent_initial_call=True)
    def select(click):
        return (click or {}).get("code")

    @app.server.route("/bench/timings")
    def bench_timings():
        return jsonify(timings)

    # time every request as the client sees the server: the whole WSGI call, compression included
    from explorer_app import timed_wsgi          # bench/ is this script's directory: on sys.path
    app.server.wsgi_app = timed_wsgi(app.server.wsgi_app, timings)
    return app


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Bench app for the national map (one process, werkzeug, threaded).")
    ap.add_argument("--data-dir", type=Path, default=Path(os.environ.get("ATLAS_DATA_DIR") or paths.data_dir()))
    ap.add_argument("--port", type=int, default=8060)
    args = ap.parse_args(argv)
    from werkzeug.serving import make_server

    app = build_app(args.data_dir)
    srv = make_server("127.0.0.1", args.port, app.server, threaded=True)
    print(json.dumps({"ready": True, "port": args.port, "pid": os.getpid()}), flush=True)
    srv.serve_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
