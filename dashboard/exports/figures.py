"""Plotly figures of the PDF portrait (rendered offline by kaleido): small multiples of maps,
comparisons with the references, the APL of each commune, the professionals.

Maps use the explorer's classes and colours (:func:`dashboard.maps.layer.build_layer`); numbers are
written by :mod:`atlas.fmt`. Every figure carries its unit, year, source and the synthetic flag.
"""
from __future__ import annotations

import textwrap

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from atlas import fmt
from atlas.catalog import PROFESSION_TITLES, indicator

from .. import palette
from ..maps.layer import build_layer
from .map_figure import stepped_colorscale, view_for_bounds
from .portrait_data import MODE_LABELS, caption

FONT = "DejaVu Sans, Arial, sans-serif"


def _wrap(text: str, width: int = 150) -> str:
    return "<br>".join(textwrap.wrap(text, width)) if text else ""


def _empty(title: str, message: str, height: int = 300) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(title=title, height=height, xaxis={"visible": False}, yaxis={"visible": False},
                      annotations=[{"text": message, "showarrow": False, "font": {"size": 16}}],
                      paper_bgcolor="white", plot_bgcolor="white", font={"family": FONT})
    return fig


def _foot(atlas, line: str, synthetic: bool) -> tuple[str, str]:
    if synthetic or atlas.any_synthetic:
        line += f" · {fmt.SYNTHETIC if synthetic else 'base contenant des données fictives'}"
    return line, "#b00020" if synthetic else "#333"


def small_multiple_figure(atlas, t, ids: list[str], *, title: str, height: int = 720,
                          font_size: int = 13) -> go.Figure:
    """One small map per indicator (e.g. per profession), each with its classes and territory value."""
    if not t.codes:
        return _empty(title, "Périmètre inconnu : aucune commune.", 300)
    entries = [atlas.entry(i, t) for i in ids]
    keep = [(i, e) for i, e in zip(ids, entries) if e["available"]]
    if not keep:
        return _empty(title, "Indicateurs indisponibles pour ce territoire.", 300)
    cols = 3
    rows = (len(keep) + cols - 1) // cols
    area = atlas.geometry.area(t.codes)
    titles = [f"{PROFESSION_TITLES.get(indicator(i).profession, indicator(i).label)} : {fmt.entry(e, indicator(i))}"
              for i, e in keep]
    fig = make_subplots(rows=rows, cols=cols, specs=[[{"type": "map"}] * cols] * rows, subplot_titles=titles,
                        horizontal_spacing=0.02, vertical_spacing=0.1)
    for k, (iid, e) in enumerate(keep):
        layer = build_layer(atlas, iid, area.codes, e["year"], focus=t.codes)
        scale, zmin, zmax = stepped_colorscale(layer.colors)
        sub = "map" if k == 0 else f"map{k + 1}"
        fig.add_trace(go.Choroplethmap(geojson=area.geojson, locations=list(area.codes), featureidkey="id",
                                       z=[int(z) for z in layer.z], zmin=zmin, zmax=zmax, colorscale=scale,
                                       showscale=False, marker={"line": {"color": palette.BORDER, "width": 0.6}},
                                       subplot=sub, hoverinfo="skip"))
    view = view_for_bounds(area.bounds, 380, int((height - 160) / rows))
    for k in range(len(keep)):
        sub = "map" if k == 0 else f"map{k + 1}"
        fig.layout[sub].update(style="white-bg", center=view["center"], zoom=max(view["zoom"] - 0.2, 1))
    years = sorted({e["year"] for _, e in keep if e["year"]})
    src = sorted({e["source"] for _, e in keep if e["source"]})
    line, color = _foot(atlas, f"Classes par carte (plus foncé : plus élevé) · Année : "
                               f"{', '.join(map(str, years))} · Source : {'; '.join(src) or fmt.UNAVAILABLE}",
                        any(e["synthetic"] for _, e in keep))
    fig.update_layout(height=height, margin={"l": 5, "r": 5, "t": 80, "b": 70},
                      title={"text": title, "x": 0.01, "font": {"size": font_size + 5}},
                      font={"family": FONT, "size": font_size}, paper_bgcolor="white")
    fig.add_annotation(text=_wrap(line, 170), xref="paper", yref="paper", x=0, y=-0.07, xanchor="left",
                       yanchor="top", showarrow=False, align="left", font={"size": font_size - 3, "color": color})
    return fig


def comparison_figure(atlas, entries: list[dict], names: dict[str, str], *, title: str = "",
                      font_size: int = 13, row_height: int = 150) -> go.Figure:
    """Horizontal bars: the territory against département, région and France, one panel per indicator."""
    entries = [e for e in entries if e is not None]
    if not entries:
        return _empty(title, "Aucun indicateur disponible.")
    n = len(entries)
    fig = make_subplots(rows=n, cols=1, vertical_spacing=min(0.5 / n, 0.12),
                        subplot_titles=[_wrap(f"{e['label']} ({indicator(e['id']).short_unit}, "
                                              f"{e['year'] or fmt.UNAVAILABLE})", 90) for e in entries])
    for i, e in enumerate(entries, start=1):
        ind = indicator(e["id"])
        labels, values, texts, colors = [], [], [], []
        for lv in ("france", "region", "departement"):
            v = (e.get("reference") or {}).get(lv)
            labels.append(names.get(lv, lv))
            values.append(v if v is not None else 0)
            texts.append(fmt.value(v, ind))
            colors.append(palette.REFERENCES[lv])
        labels.append(names.get("territory", "Territoire"))
        values.append(e["value"] if e["value"] is not None else 0)
        texts.append(fmt.entry(e, ind))
        colors.append(palette.TERRITORY)
        fig.add_trace(go.Bar(x=values, y=labels, orientation="h", marker_color=colors, text=texts,
                             textposition="outside", cliponaxis=False, hoverinfo="skip", showlegend=False),
                      row=i, col=1)
        vmax = max([x for x in values if x] or [1])
        fig.update_xaxes(range=[0, vmax * 1.3], showgrid=False, showticklabels=False, row=i, col=1)
        for th in ind.thresholds:
            fig.add_vline(x=th.value, line_dash="dash", line_color="#b00020", row=i, col=1)
    srcs = sorted({e["source"] for e in entries if e.get("source")})
    line, color = _foot(atlas, f"Sources : {'; '.join(srcs) or fmt.UNAVAILABLE}", any(e.get("synthetic") for e in entries))
    fig.update_layout(height=row_height * n + 140, margin={"l": 10, "r": 40, "t": 70 if title else 40, "b": 80},
                      title={"text": title, "x": 0.01, "font": {"size": font_size + 5}} if title else None,
                      font={"family": FONT, "size": font_size}, paper_bgcolor="white", plot_bgcolor="white",
                      bargap=0.25)
    fig.update_yaxes(automargin=True, type="category", tickmode="linear", dtick=1)
    fig.update_annotations(font_size=font_size + 1)
    fig.add_annotation(text=_wrap(line, 150), xref="paper", yref="paper", x=0, y=0, yshift=-30, xanchor="left",
                       yanchor="top", showarrow=False, align="left", font={"size": font_size - 3, "color": color})
    return fig


def apl_distribution_figure(atlas, apl: dict, *, font_size: int = 13, height: int = 420) -> go.Figure:
    e = apl.get("entry")
    ind = indicator("apl_mg")
    title = "APL aux médecins généralistes, commune par commune"
    if not apl.get("communes"):
        return _empty(title, "APL indisponible pour ce territoire.", height)
    rows = apl["communes"]
    th = ind.thresholds[0]
    vals = [r["value"] for r in rows]
    colors = ["#b00020" if v < th.value else palette.TERRITORY for v in vals]
    fig = go.Figure(go.Bar(x=[r["nom"] for r in rows], y=vals, marker_color=colors, hoverinfo="skip"))
    fig.add_hline(y=th.value, line_dash="dash", line_color="#b00020",
                  annotation_text=fmt.threshold_text(ind), annotation_position="top left")
    if e and e.get("value") is not None:
        fig.add_hline(y=e["value"], line_color="#333", annotation_text=f"territoire : {fmt.entry(e, ind)}",
                      annotation_position="top right")
    line, color = _foot(atlas, caption(e), bool(e and e.get("synthetic")))
    fig.update_layout(height=height, title={"text": f"{title} ({e['year'] if e else fmt.UNAVAILABLE})", "x": 0.01},
                      yaxis_title=ind.short_unit, font={"family": FONT, "size": font_size},
                      paper_bgcolor="white", plot_bgcolor="white", margin={"l": 60, "r": 20, "t": 60, "b": 140},
                      showlegend=False)
    fig.update_xaxes(tickangle=-60, tickfont={"size": max(font_size - 4, 8)})
    fig.add_annotation(text=_wrap(line, 150), xref="paper", yref="paper", x=0, y=0, yshift=-110,
                       xanchor="left", yanchor="top", showarrow=False, align="left",
                       font={"size": font_size - 3, "color": color})
    return fig


def professionals_figure(atlas, prof, *, font_size: int = 13, height: int = 420) -> go.Figure:
    title = "Professionnels de santé libéraux (INSEE, BPE)"
    bpe = prof[prof["basis"] == "bpe"] if prof is not None and not prof.empty else None
    if bpe is None or bpe.empty:
        return _empty(title, "Effectifs de professionnels indisponibles.", height)
    fig = go.Figure(go.Bar(x=[PROFESSION_TITLES.get(p, p) for p in bpe["profession"]], y=bpe["count"],
                           marker_color=palette.TERRITORY, text=[fmt.integer(c) for c in bpe["count"]],
                           textposition="outside", cliponaxis=False, name=MODE_LABELS["liberal"]))
    year = int(bpe["year"].max())
    src = sorted({atlas.source_label(s) or s for s in ", ".join(bpe["source_id"]).split(", ") if s})
    line, color = _foot(atlas, f"Unité : professionnels (nombre) · Année : {year} · Source : {'; '.join(src)}",
                        bool(bpe["synthetic"].any()))
    fig.update_layout(height=height, title={"text": f"{title} ({year})", "x": 0.01},
                      font={"family": FONT, "size": font_size}, paper_bgcolor="white", plot_bgcolor="white",
                      margin={"l": 50, "r": 20, "t": 80, "b": 90}, yaxis_title="professionnels", showlegend=False)
    fig.add_annotation(text=_wrap(line, 150), xref="paper", yref="paper", x=0, y=0, yshift=-50, xanchor="left",
                       yanchor="top", showarrow=False, align="left", font={"size": font_size - 3, "color": color})
    return fig
