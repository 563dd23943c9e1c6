"""The explorer's map, as shown, laid out for a projector or a page: the same communes, classes,
colours and outline as the map explorer (``dashboard.maps.layer.build_layer``), plus a title, the
legend drawn inside the figure (a PNG has no HTML around it) and the source line.

The builder of the PNG export, so that the exported picture is what the planner saw in the explorer
(the portrait page and its PDF draw the same layer as server-made SVG: ``components/svg_map.py``).

Reuse::

    fig = presentation_map_figure(atlas, "aunis-sud", "density_inf_liberal", extent="departement")
    render_png([(fig, 1920, 1080, 1)])
"""
from __future__ import annotations

import textwrap

from atlas import fmt
from atlas.catalog import indicator

from .. import palette
from ..maps.layer import VALUE, build_layer
from ..maps.view import view_codes
from .map_figure import map_figure, view_for_bounds

OUTLINE_COLOR = palette.OUTLINE
SYNTHETIC_TEXT = fmt.SYNTHETIC

FONT = "DejaVu Sans, Arial, sans-serif"
LEGEND_WIDTH = 0.27            # share of the width taken by the legend column, on the right


def _wrap(text: str, width: int) -> str:
    return "<br>".join(textwrap.wrap(text, width)) if text else ""


def _legend_items(legend: dict, font_size: int, width: int, plot_h: float, outline: bool) -> tuple[list, list]:
    """Shapes (colour swatches) and annotations (labels) of the legend column, laid out in pixels
    and converted to paper coordinates (0..1 over the plot height)."""
    px = 1.0 / plot_h
    line = font_size * 1.35                      # one text line, in pixels
    x0 = 1 - LEGEND_WIDTH + 0.015
    chars = max(int(LEGEND_WIDTH * width / (font_size * 0.62)), 16)
    shapes, notes = [], []

    def text(t, y, size, color="#222", lines=1):
        notes.append({"text": t, "x": x0, "y": y, "xref": "paper", "yref": "paper", "xanchor": "left",
                      "yanchor": "top", "showarrow": False, "align": "left",
                      "font": {"size": size, "color": color}})
        return y - lines * size * 1.35 * px

    unit = legend["unit"] if legend["unit"].startswith(("%", "pour", "écart")) else f"en {legend['unit']}"
    unit += f" – {legend['period']}" if legend.get("period") else ""
    title_lines = textwrap.wrap(legend["title"], chars - 4)
    unit_lines = textwrap.wrap(unit, chars)
    y = text("<b>" + "<br>".join(title_lines) + "</b>", 1.0, font_size, lines=len(title_lines))
    y = text("<br>".join(unit_lines), y, font_size - 3, "#444", lines=len(unit_lines)) - 0.6 * line * px
    if not legend.get("available"):
        text("Indicateur indisponible :<br>aucune valeur à cartographier.", y, font_size - 2, "#555", 2)
        return shapes, notes
    sw_w, sw_h = 0.03, 0.8 * line * px
    for e in legend["entries"]:
        shapes.append({"type": "rect", "xref": "paper", "yref": "paper", "x0": x0, "x1": x0 + sw_w,
                       "y0": y - sw_h, "y1": y, "fillcolor": e["color"], "line": {"color": "#888", "width": 1}})
        if e["kind"] == "secret":   # hatched like the HTML legend: told apart from "no data" in grey print
            shapes.append({"type": "line", "xref": "paper", "yref": "paper", "x0": x0, "x1": x0 + sw_w,
                           "y0": y - sw_h, "y1": y, "line": {"color": "#ffffff", "width": 2}})
        label_lines = textwrap.wrap(f"{e['label']} ({e['count']})", chars - 8) or [""]
        notes.append({"text": "<br>".join(label_lines), "x": x0 + sw_w + 0.01, "y": y + 0.1 * line * px,
                      "xref": "paper", "yref": "paper", "xanchor": "left", "yanchor": "top", "align": "left",
                      "showarrow": False, "font": {"size": font_size - 1}})
        y -= line * (len(label_lines) + 0.25) * px
    if outline:
        shapes.append({"type": "line", "xref": "paper", "yref": "paper", "x0": x0, "x1": x0 + sw_w,
                       "y0": y - sw_h / 2, "y1": y - sw_h / 2, "line": {"color": OUTLINE_COLOR, "width": 4}})
        notes.append({"text": "contour du territoire", "x": x0 + sw_w + 0.01, "y": y - sw_h / 2, "xref": "paper",
                      "yref": "paper", "xanchor": "left", "yanchor": "middle", "showarrow": False,
                      "font": {"size": font_size - 1}})
        y -= line * 1.25 * px
    extra = " ".join(n if n.endswith(".") else n + "." for n in (*legend.get("thresholds", []),
                                                                 legend.get("method_note"),
                                                                 legend.get("direction_note")) if n)
    if extra:
        wrapped = textwrap.wrap(extra, chars + 4)
        text("<br>".join(wrapped), y - 0.4 * line * px, font_size - 4, "#555", len(wrapped))
    return shapes, notes


def presentation_map_figure(atlas, territory_id: str, indicator_id: str, year: int | None = None, *,
                            extent: str = "territoire", width: int = 1920, height: int = 1080,
                            font_size: int = 22, mode: str = VALUE, since: int | None = None,
                            layer_for=None) -> dict:
    """The explorer's map for (territory, indicator, year, extent) with title, legend and sources.
    ``layer_for(codes)``: another layer of the drawn communes (the Simulation page's scenario)."""
    ind = indicator(indicator_id)
    t = atlas.territory(territory_id)
    area_id, codes = view_codes(atlas, t, extent)
    area = atlas.geometry.area(codes, area_id)
    layer = layer_for(area.codes) if layer_for else \
        build_layer(atlas, ind.id, area.codes, year, mode=mode, since=since, focus=t.codes)
    outline = atlas.geometry.outline(t.codes) if t.codes else None
    fig = map_figure(area, layer, outline=outline, height=height)
    legend = layer.legend
    synthetic = bool(legend.get("synthetic"))     # this map's values come from demo data
    n = len(area)
    where = {"departement": f"département {t.departement}, territoire entouré",
             "region": "région, territoire entouré", "france": "France, territoire entouré"}.get(
        extent, fmt.plural(n, "commune"))
    heading = f"<b>{legend['title']}</b>" + (f" ({legend['period']})" if legend.get("period") else "") + f" – {t.name}"
    heading_chars = int(width * (0.78 if synthetic else 0.98) / ((font_size + 6) * 0.58))
    heading_lines = len(textwrap.wrap(heading, heading_chars))
    title_h = int(heading_lines * (font_size + 6) * 1.3 + (font_size - 4) * 1.4 + 28)
    foot_h = int(font_size * 4.5)
    map_w, plot_h = int(width * (1 - LEGEND_WIDTH)), height - title_h - foot_h
    px = 1.0 / plot_h
    layout = fig["layout"]
    layout.update({
        "width": width, "height": height, "font": {"family": FONT, "size": font_size},
        "margin": {"l": 20, "r": 20, "t": title_h, "b": foot_h}, "title": None,
    })
    layout["map"] = {**layout["map"], "domain": {"x": [0, 1 - LEGEND_WIDTH], "y": [0, 1]},
                     **view_for_bounds(area.bounds, map_w, plot_h)}
    shapes, notes = _legend_items(legend, font_size, width, plot_h,
                                  outline=bool(t.codes) and extent != "territoire")
    # title block in the top margin (paper y > 1), written as annotations so that nothing is clipped
    notes.append({"text": _wrap(heading, heading_chars), "x": 0, "y": 1 + (title_h - 8) * px, "xref": "paper",
                  "yref": "paper", "xanchor": "left", "yanchor": "top", "showarrow": False, "align": "left",
                  "font": {"size": font_size + 6}})
    notes.append({"text": f"{ind.unit} · {where}", "x": 0, "y": 1 + 6 * px, "xref": "paper", "yref": "paper",
                  "xanchor": "left", "yanchor": "bottom", "showarrow": False,
                  "font": {"size": font_size - 4, "color": "#555"}})
    source = f"Source : {legend['source']}" if legend.get("source") else "Source : indisponible"
    foot = f"{source} · Atlas de l'accès aux soins des CPTS"
    if atlas.any_synthetic and not legend.get("synthetic"):
        # every export says when demo data is loaded, without calling this map's real data fictitious
        foot += (" · Carte établie sur des données réelles ; la base chargée contient aussi des données de "
                 "démonstration (fictives) pour d'autres indicateurs.")
    notes.append({"text": _wrap(foot, int(width / ((font_size - 6) * 0.6))), "x": 0, "y": -8 * px, "xref": "paper",
                  "yref": "paper", "xanchor": "left", "yanchor": "top", "showarrow": False, "align": "left",
                  "font": {"size": font_size - 6, "color": "#333"}})
    if synthetic:
        notes.append({"text": f"<b>{SYNTHETIC_TEXT}</b>", "x": 1, "y": 1 + (title_h - 8) * px, "xref": "paper",
                      "yref": "paper", "xanchor": "right", "yanchor": "top", "showarrow": False,
                      "bgcolor": "#b00020", "font": {"size": font_size - 4, "color": "#ffffff"}, "borderpad": 6})
    if not t.codes and extent == "territoire":
        notes.append({"text": "Périmètre inconnu : aucune commune connue pour ce territoire.",
                      "x": (1 - LEGEND_WIDTH) / 2, "y": 0.5, "xref": "paper", "yref": "paper", "showarrow": False,
                      "font": {"size": font_size}})
    layout["shapes"] = shapes
    layout["annotations"] = notes
    return fig
