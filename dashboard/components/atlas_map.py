"""The commune map: a canvas engine in the browser (``assets/atlas_map.js``) fed by four stores.

Usage (a page)::

    from dashboard.components import atlas_map as am

    layout = am.atlas_map("explorer", height=620)            # container + stores, nothing drawn yet
    ids = am.map_ids("explorer")

    @callback(Output(ids["geometry"], "data"), Input("territoire", "value"))
    def geometry(territory):                                   # once per area: which file, which communes
        index = read_index(build_dir)
        return am.geometry_spec(index, "dep-69", url=geo_url(data_dir, "dep-69.topo.json"),
                                codes=None, outline=members)

    @callback(Output(ids["paint"], "data"), Input("indicateur", "value"), ...)
    def paint(indicator):                                      # every recolour: a few bytes per commune
        drawn = am.drawn_codes(index, spec)
        return am.paint_payload(drawn, codes, values, class_codes, colors,
                                value_format=am.indicator_format(ind), labels=..., title=...)

    Input(ids["click"], "data")   ->  {"code": "69243", "nom": "Tarare", "t": 1732…}

The Python ↔ JavaScript contract (one map = one ``name``; every id is a dict
``{"type": <kind>, "map": name}`` so that one set of clientside callbacks serves every map):

``geometry`` store (sent once per area; the file itself is fetched by URL and cached by the browser)
    ``{"url", "area", "codes": [..] | None, "outline": [..] | None, "n", "crc", "key"}``.
    ``url``: a TopoJSON file of the build (``dashboard/server.py:geo_url``; the URL carries the build
    id, the file is served precompressed and immutable). ``codes``: the communes to draw (None: every
    commune of the file). ``outline``: communes whose boundary is drawn on top (arcs used by exactly
    one of them). ``n``/``crc``: count and CRC-32 of the drawn codes joined by ``,`` in code order;
    ``key``: same key, same drawing (only the outline is updated).

``paint`` store (every recolour; no geometry, no code list)
    ``{"n", "crc", "classes", "values", "scale", "colors", "labels", "format", "title", "key"}``.
    Positional: entry *i* is the *i*-th drawn commune in code order (the order of every file).
    ``classes``: one character per commune, class code = char code − 48 (``0`` no data, ``1`` secret,
    ``2 + k`` class k, as ``dashboard/maps/classes.py``); ``colors[code]`` its colour. ``values``:
    the value of each commune rounded to ``format.decimals`` places, as integers ``round(value ×
    scale)`` joined by ``,`` (``scale = 10**decimals``; 0 where the class says no data or secret),
    the digits Python's ``format`` writes, so the browser writes exactly what ``atlas.fmt.value``
    writes (``format`` = :func:`atlas.fmt.js_spec` + :func:`atlas.fmt.unit_for_js`). ``labels``: class
    labels (legend); ``title``: the indicator, shown in the tooltip before the value. The engine
    checks ``n``/``crc`` against its drawn communes and refuses a paint made for another set
    (``data-paint-error`` on the container).

``selected`` store: a commune code (outlined) or None. ``points`` store: ``{"lon": [], "lat": [],
"color": [] | "#hex", "label": []}`` or None (practice locations; moved into the DROM insets on the
France map like the communes).

``click`` store: written by the browser (``dash_clientside.set_props``) when a commune is clicked:
``{"code", "nom", "t"}`` (``t`` makes two clicks on the same commune two changes).

The container ``[data-atlas-map=name]`` carries ``data-features`` (communes drawn), ``data-state``
(``loading``/``ready``/``error``), ``data-paint`` (key of the last paint applied), ``data-selected``,
``data-clicked``; it is focusable (arrows pan, +/− zoom, 0 refits) and has +/−/fit buttons.

Measured (``bench/bench_national_map.py``, headless Chromium, 2 cores), France (34,871
communes): geometry 1.79 MB with brotli once (then from the browser cache), first map 1.3 s,
a recolour 34–76 KB as received (one float32 per commune would be 139 KB), repainted in ~0.2 s.
:func:`enable_preload` lets the engine fetch and decode the geometry while Dash boots.
"""
from __future__ import annotations

import zlib

import numpy as np
from dash import ClientsideFunction, Input, MATCH, Output, State, clientside_callback, dcc, html

from atlas import fmt

KINDS = ("geometry", "paint", "click", "selected", "points")
TYPE = "atlas-map-{}"


def map_ids(name: str) -> dict[str, dict]:
    """Pattern ids of a map's stores: ``geometry``, ``paint``, ``click``, ``selected``, ``points``."""
    return {k: {"type": TYPE.format(k), "map": name} for k in KINDS}


def _sink(name: str, kind: str) -> dict:
    return {"type": TYPE.format(f"sink-{kind}"), "map": name}


def atlas_map(name: str, *, geometry: dict | None = None, paint: dict | None = None, selected: str | None = None,
              points: dict | None = None, height: int | str = 620, label: str = "Carte des communes",
              class_name: str = "") -> html.Div:
    """The map container (``data-atlas-map=name``) and its stores, optionally with initial data."""
    ids = map_ids(name)
    h = f"{height}px" if isinstance(height, (int, float)) else height
    return html.Div([
        html.Div(**{"data-atlas-map": name, "aria-label": label, "role": "region"}, tabIndex="0",
                 className=f"atlas-map {class_name}".strip(), style={"height": h}),
        dcc.Store(id=ids["geometry"], data=geometry),
        dcc.Store(id=ids["paint"], data=paint),
        dcc.Store(id=ids["selected"], data=selected),
        dcc.Store(id=ids["points"], data=points),
        dcc.Store(id=ids["click"]),
        *[dcc.Store(id=_sink(name, k)) for k in ("geometry", "paint", "selected", "points")],
    ], className="atlas-map-wrapper")


# One registration serves every map of every page (MATCH on the map's name); the sinks are never
# written (the functions return no_update): the engine draws, Dash keeps the state.
_ANY = {"map": MATCH}
clientside_callback(ClientsideFunction("atlas_map", "geometry"),
                    Output({"type": TYPE.format("sink-geometry"), **_ANY}, "data"),
                    Input({"type": TYPE.format("geometry"), **_ANY}, "data"),
                    State({"type": TYPE.format("geometry"), **_ANY}, "id"),
                    State({"type": TYPE.format("click"), **_ANY}, "id"))
for _kind in ("paint", "selected", "points"):
    clientside_callback(ClientsideFunction("atlas_map", _kind),
                        Output({"type": TYPE.format(f"sink-{_kind}"), **_ANY}, "data"),
                        Input({"type": TYPE.format(_kind), **_ANY}, "data"),
                        State({"type": TYPE.format(_kind), **_ANY}, "id"))


# ---------- geometry preloading ----------

def preload_link(url: str) -> str:
    """``<link rel=preload>`` of a geometry file: the engine starts fetching and decoding it as soon
    as its script runs, while Dash boots and fetches the layout (saves ~0.4 s on France)."""
    from html import escape

    return (f'<link rel="preload" href="{escape(url, quote=True)}" as="fetch" crossorigin="anonymous" '
            f'data-atlas-geometry="1">')


def enable_preload(app, url_for) -> None:
    """Add :func:`preload_link` of ``url_for()`` (called while Dash renders a page's HTML, inside the
    request: e.g. read ``flask.request.args``; None for no map) to the ``<head>`` of every page."""
    original = app.interpolate_index

    def interpolate_index(**kwargs):
        url = url_for()
        if url:
            kwargs["metas"] = (kwargs.get("metas") or "") + preload_link(url)
        return original(**kwargs)

    app.interpolate_index = interpolate_index


# ---------- the geometry spec ----------

def codes_crc(codes) -> int:
    """CRC-32 of the codes joined by ``,`` (the browser computes the same, ``atlasMap.crc32``)."""
    return zlib.crc32(",".join(map(str, codes)).encode("ascii")) & 0xFFFFFFFF


def geometry_spec(index, area_id: str, *, url: str, codes=None, outline=None) -> dict:
    """What the browser draws: the file of ``area_id`` (``france``, ``reg-84``, ``dep-69``; see
    :meth:`atlas.geo.topojson.GeoIndex.smallest_area`), all its communes or only ``codes``, and the
    boundary of ``outline``. ``index``: :func:`atlas.geo.topojson.read_index` of the build."""
    area = index.area_codes(area_id)
    if codes is None:
        drawn = area
    else:
        wanted = set(codes)
        drawn = tuple(c for c in area if c in wanted)
    n, crc = len(drawn), codes_crc(drawn)
    outline_codes = sorted(set(outline)) if outline else None
    return {"url": url, "area": area_id, "codes": None if codes is None else list(drawn),
            "outline": outline_codes, "n": n, "crc": crc, "key": f"{url}|{n}|{crc}"}


def drawn_codes(index, spec: dict) -> tuple[str, ...]:
    """The communes a spec draws, in the order of the paint payload."""
    return tuple(spec["codes"]) if spec.get("codes") is not None else index.area_codes(spec["area"])


# ---------- the paint payload ----------

def value_format(decimals: int = 0, unit: str = "", percent: bool = False) -> dict:
    """How the browser writes a value: :func:`atlas.fmt.js_spec` plus precision and unit."""
    return {**fmt.js_spec(), "decimals": int(decimals), "unit": unit or "", "percent": bool(percent)}


def indicator_format(ind) -> dict:
    """:func:`value_format` of a catalogue indicator (``atlas.fmt.unit_for_js``)."""
    return {**fmt.js_spec(), **fmt.unit_for_js(ind)}


def encode_classes(class_codes) -> str:
    """One character per commune: ``chr(48 + class code)`` (codes 0–78)."""
    c = np.asarray(class_codes, dtype=np.int64)
    if c.size and (c.min() < 0 or c.max() > 78):
        raise ValueError("codes de classe hors de 0–78")
    return (c + 48).astype(np.uint8).tobytes().decode("ascii")


def encode_values(values, decimals: int) -> tuple[str, int]:
    """Values as integers ``round(value × 10**decimals)`` joined by ``,`` (missing: 0), and the scale.

    The rounding is the one ``atlas.fmt.number`` writes (Python's ``format``, half to even on the
    exact binary value): ``rint(value × scale)`` everywhere except where the product sits within a
    few ulps of a half, where the digits of ``format`` itself are taken."""
    scale = 10 ** int(decimals)
    v = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(v)
    p = np.where(finite, v * scale, 0.0)
    k = np.rint(p)
    near_half = finite & (np.abs(np.abs(p - np.floor(p)) - 0.5) <= 4 * np.spacing(np.abs(p) + 1.0))
    for i in np.flatnonzero(near_half):
        k[i] = float(f"{v[i]:.{int(decimals)}f}".replace(".", ""))
    return ",".join(map(str, k.astype(np.int64).tolist())), scale


def paint_payload(drawn, codes, values, class_codes, colors, *, value_format: dict, labels=(), title: str = "",
                  key: str = "") -> dict:
    """The recolour of the drawn communes (``drawn``: :func:`drawn_codes`) from plain inputs:
    ``codes`` with their ``values`` and ``class_codes`` in any order (communes not given: no data),
    ``colors[class code]``, the value format (:func:`indicator_format` / :func:`value_format`)."""
    drawn = list(drawn)                            # sorted: the order of the files
    n = len(drawn)
    if list(codes) == drawn:
        # the usual case (a layer built over the drawn communes): already in place. Skips building and
        # searching arrays of strings: ~8 ms of a recolour of France (bench/bench_national_map.py)
        cls = np.array(class_codes, dtype=np.int64)
        vals = np.array(values, dtype=np.float64)
    else:
        drawn_arr = np.asarray(drawn, dtype=str)
        cls = np.zeros(n, dtype=np.int64)
        vals = np.full(n, np.nan)
        codes_arr = np.asarray(codes, dtype=str)
        src = np.searchsorted(drawn_arr, codes_arr) if n else np.zeros(len(codes_arr), dtype=np.int64)
        ok = (src < n) & (drawn_arr[np.minimum(src, max(n - 1, 0))] == codes_arr) if n else np.zeros(len(codes_arr), bool)
        cls[src[ok]] = np.asarray(class_codes, dtype=np.int64)[ok]
        vals[src[ok]] = np.asarray(values, dtype=np.float64)[ok]
    vals[cls < 2] = np.nan                       # no data / secret: the class says it, no value is sent
    text, scale = encode_values(vals, value_format.get("decimals", 0))
    return {"n": n, "crc": codes_crc(drawn), "classes": encode_classes(cls), "values": text, "scale": scale,
            "colors": list(colors), "labels": list(labels), "format": value_format, "title": title, "key": key}


def points_payload(lon, lat, color="#d95f02", label=None, decimals: int = 5) -> dict | None:
    """Practice locations (or any points): lon/lat rounded to ``decimals`` (~1 m), colour per point
    or one colour, label per point (tooltip)."""
    lon = np.round(np.asarray(lon, dtype=np.float64), decimals)
    lat = np.round(np.asarray(lat, dtype=np.float64), decimals)
    if lon.size == 0:
        return None
    out = {"lon": lon.tolist(), "lat": lat.tolist(),
           "color": color if isinstance(color, str) else list(color)}
    if label is not None:
        out["label"] = [str(x) for x in label]
    return out
