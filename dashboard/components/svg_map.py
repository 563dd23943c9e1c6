"""Maps drawn on the server as SVG: the portrait's maps, its presentation slides and its PDF.

One renderer for the page and the PDF (fpdf2 draws the same SVG as vector paths), no plotly.js and
no map library in the browser: a territory's 1–60 communes are a few kilobytes of path data.

* :func:`map_svg` draws polygons (``atlas.geometry.area(codes)``) filled with given colours, an
  optional outline (``atlas.geometry.outline(codes)``) and dashed communes (e.g. candidates).
* :func:`layer_fills` / :func:`layer_tips` take the colours and hover texts of a map layer of the
  explorer (:func:`dashboard.maps.layer.build_layer`): the portrait's map is the explorer's map.
* :func:`inline_svg` puts SVG markup in the page (Dash's HTML components have no SVG elements:
  the markup travels in ``data-atlas-svg`` and ``assets/inline_svg.js`` sets it as the element's
  content; the markup is built here from escaped text only).
* :func:`indicator_map` is the component: the SVG and the explorer's HTML legend.

Projection: equirectangular scaled by cos(mean latitude), accurate to a few per cent over a
département — the extent of every portrait map — and simple enough to need no library.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from html import escape

from dash import html

from atlas import fmt
from atlas.catalog import indicator

from .. import palette
from .legend import legend

# fpdf2 takes the first family registered in the PDF ("DejaVu", see exports/pdf_export.py); browsers
# fall back to the next ones.
FONT_FAMILY = "DejaVu, 'DejaVu Sans', Arial, sans-serif"
CANDIDATE_FILL = "#fdb863"       # PuOr orange: colour-blind safe against the blues of the members
MEMBER_FILL = "#9ecae1"
CONTEXT_FILL = "#eeeeee"


@dataclass(frozen=True)
class Projection:
    lon0: float
    lat_top: float
    kx: float                  # cos(mean latitude)
    scale: float               # SVG units per degree of latitude
    dx: float
    dy: float

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        return (self.dx + (lon - self.lon0) * self.kx * self.scale, self.dy + (self.lat_top - lat) * self.scale)


def projection(bounds, width: float, height: float, pad: float = 0.03) -> Projection:
    """Fit ``bounds`` (xmin, ymin, xmax, ymax in degrees) in a ``width`` × ``height`` box, centred."""
    xmin, ymin, xmax, ymax = bounds
    kx = math.cos(math.radians((ymin + ymax) / 2))
    pw, ph = max((xmax - xmin) * kx, 1e-6), max(ymax - ymin, 1e-6)
    scale = min(width * (1 - 2 * pad) / pw, height * (1 - 2 * pad) / ph)
    return Projection(xmin, ymax, kx, scale, (width - pw * scale) / 2, (height - ph * scale) / 2)


def _ring(proj: Projection, ring, min_area: float = 0.0) -> str:
    pts = [proj.xy(float(x), float(y)) for x, y in ring]
    if len(pts) < 3:
        return ""
    if min_area and abs(sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(pts, pts[1:] + pts[:1]))) / 2 < min_area:
        return ""
    head = f"M{pts[0][0]:.1f} {pts[0][1]:.1f}"
    return head + "".join(f"L{x:.1f} {y:.1f}" for x, y in pts[1:]) + "Z"


def geometry_path(proj: Projection, geom: dict) -> str:
    """SVG path data of a GeoJSON (Multi)Polygon."""
    polys = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
    return "".join(_ring(proj, ring) for poly in polys for ring in poly)


def outline_path(proj: Projection, outline, min_area: float = 0.0) -> str:
    """SVG path data of ``atlas.geometry.outline`` (lon and lat lists, rings separated by None); rings
    smaller than ``min_area`` (square SVG units) left out: slivers between simplified polygons."""
    lons, lats = outline or ((), ())
    out, ring = [], []
    for lon, lat in zip(lons, lats):
        if lon is None or lat is None:
            if len(ring) >= 3:
                out.append(_ring(proj, ring, min_area))
            ring = []
        else:
            ring.append((lon, lat))
    if len(ring) >= 3:
        out.append(_ring(proj, ring, min_area))
    return "".join(out)


def svg_id(*parts) -> str:
    """A short id, unique per content, for SVG elements of a page holding several inline SVGs."""
    return "m" + hashlib.blake2s(repr(parts).encode(), digest_size=5).hexdigest()


def map_svg(area, fills: dict[str, str], *, outline=None, dashed=(), tips: dict[str, str] | None = None,
            label: str = "", width: int = 640, height: int = 480, border: str = palette.BORDER) -> str:
    """The communes of ``area`` (an ``AreaGeometry``) filled with ``fills[code]`` (grey when absent),
    ``dashed`` communes drawn with a dashed dark border over the others, and the territory outline."""
    tips = tips or {}
    if area.bounds is None or not area.geojson["features"]:
        return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
                f'height="{height}" role="img" aria-label="{escape(label)}"></svg>')
    proj = projection(area.bounds, width, height)
    dashed = set(dashed)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
             f'height="{height}" role="img" aria-label="{escape(label)}" class="atlas-map-svg">',
             f'<title>{escape(label)}</title>' if label else "", '<g stroke-linejoin="round">']
    later = []
    for f in area.geojson["features"]:
        code = f["id"]
        d = geometry_path(proj, f["geometry"])
        tip = tips.get(code) or f["properties"].get("nom", code)
        fill = fills.get(code, palette.NO_DATA)
        if code in dashed:
            later.append(f'<path d="{d}" fill="{fill}" stroke="#1b1b1b" stroke-width="1.6" stroke-dasharray="5 3" '
                         f'data-code="{escape(code)}" class="atlas-map-dashed"><title>{escape(tip)}</title></path>')
        else:
            parts.append(f'<path d="{d}" fill="{fill}" stroke="{border}" stroke-width="0.8" '
                         f'data-code="{escape(code)}"><title>{escape(tip)}</title></path>')
    parts.append("</g>")
    parts += later
    if outline:
        d = outline_path(proj, outline, 2e-4 * width * height)     # no slivers between simplified polygons
        if d:
            parts.append(f'<path d="{d}" fill="none" stroke="{palette.OUTLINE}" stroke-width="2.6" '
                         'class="atlas-map-outline"/>')
    parts.append("</svg>")
    return "".join(parts)


def framed_map_svg(area, fills: dict[str, str], frame_outline, *, dashed=(), label: str = "", width: int = 520,
                   height: int = 440) -> str:
    """``area``'s communes drawn inside a larger frame given by its outline (e.g. a territory inside the
    outline of its département: a locator map without the département's hundreds of polygons)."""
    lons = [x for x in frame_outline[0] if x is not None]
    lats = [y for y in frame_outline[1] if y is not None]
    if not lons:
        return map_svg(area, fills, dashed=dashed, label=label, width=width, height=height)
    proj = projection((min(lons), min(lats), max(lons), max(lats)), width, height)
    dashed = set(dashed)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
             f'height="{height}" role="img" aria-label="{escape(label)}" class="atlas-map-svg">',
             f'<path d="{outline_path(proj, frame_outline, 2e-4 * width * height)}" fill="{CONTEXT_FILL}" '
             'stroke="#555555" '
             'stroke-width="1.5"/>']
    for f in area.geojson["features"]:
        code = f["id"]
        stroke = ('stroke="#1b1b1b" stroke-width="1.2" stroke-dasharray="4 2"' if code in dashed else
                  'stroke="#ffffff" stroke-width="0.6"')
        parts.append(f'<path d="{geometry_path(proj, f["geometry"])}" fill="{fills.get(code, MEMBER_FILL)}" {stroke}>'
                     f'<title>{escape(f["properties"].get("nom", code))}</title></path>')
    parts.append("</svg>")
    return "".join(parts)


def layer_fills(layer) -> dict[str, str]:
    """Colour of each commune of an explorer layer (class colours; greys for secret and no data)."""
    colors = layer.colors
    return {code: colors[int(z)] for code, z in zip(layer.codes, layer.z)}


def layer_tips(layer, names: dict[str, str]) -> dict[str, str]:
    """Hover text of each commune: ``Nom : valeur`` written by :mod:`atlas.fmt`."""
    ind = indicator(layer.indicator_id)
    out = {}
    for code, v, st in zip(layer.codes, layer.values, layer.status):
        out[code] = f"{names.get(code, code)} : {fmt.value(v, ind, unit=True, secret=st == 'secret')}"
    return out


def inline_svg(svg: str, label: str, className: str = "", id: str | None = None) -> html.Div:
    """SVG markup in the page (set by ``assets/inline_svg.js`` from ``data-atlas-svg``)."""
    props = {"data-atlas-svg": svg, "role": "img", "aria-label": label}
    if id:
        props["id"] = id
    return html.Div(className=f"atlas-svg {className}".strip(), **props)


def area_names(area) -> dict[str, str]:
    return dict(zip(area.codes, area.names))


def indicator_map_svg(atlas, area, layer, *, outline=None, label: str, width: int = 640, height: int = 480,
                      dashed=()) -> str:
    return map_svg(area, layer_fills(layer), outline=outline, tips=layer_tips(layer, area_names(area)),
                   label=label, width=width, height=height, dashed=dashed)


def indicator_map(atlas, area, layer, *, outline=None, label: str, id: str | None = None,
                  legend_id: str | None = None, width: int = 640, height: int = 480) -> html.Div:
    """The map of an explorer layer with the explorer's HTML legend beside it."""
    svg = indicator_map_svg(atlas, area, layer, outline=outline, label=label, width=width, height=height)
    return html.Div([inline_svg(svg, label, "atlas-map", id=id),
                     html.Div(legend(layer.legend, id=legend_id), className="atlas-map-legend")],
                    className="atlas-map-block")
