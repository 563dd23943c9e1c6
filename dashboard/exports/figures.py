"""Plotly figures of the portrait and the exports (one builder for the page, the PNG and the PDF).

Maps use Plotly *map* traces (MapLibre) on the "white-bg" style: no tile server, no CDN, so they
render offline in the browser and in kaleido. Every figure carries its unit, year, source and
the synthetic flag.
"""
from __future__ import annotations

import json
import threading
from functools import lru_cache

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from atlas.catalog import CATALOG, PROFESSIONS

from .portrait_data import (APL_THRESHOLD, LEVEL_LABELS, MODE_LABELS, SECRET_TEXT, SYNTHETIC_TEXT, caption,
                            decimals, fmt_number, short_unit)

FONT = "DejaVu Sans, Arial, sans-serif"
TERRITORY_COLOR = "#0b3d91"
REFERENCE_COLORS = {"departement": "#7f8c8d", "region": "#a6acaf", "france": "#cacfd2"}
NO_DATA_COLOR = "#e5e5e5"
SECRET_COLOR = "#bdbdbd"
GOOD_SCALE = "YlGnBu"        # higher is better: dark = more
BAD_SCALE = "YlOrRd"         # higher is worse: dark red = more
PROFESSION_TITLES = {"mg": "Médecins généralistes", "inf": "Infirmiers", "mk": "Masseurs-kinésithérapeutes",
                     "sf": "Sages-femmes", "pharma": "Pharmaciens", "dent": "Chirurgiens-dentistes"}

_geo_lock = threading.Lock()


# -- geometry ------------------------------------------------------------------------------------
@lru_cache(maxsize=64)
def _read_geometry(path: str, key: tuple, by: str):
    import geopandas as gpd
    if not key:
        return None
    g = gpd.read_parquet(path, columns=["code", "nom", "departement", "population", "geometry"],
                         filters=[(by, "in", list(key))])
    g = g[g.geometry.notna() & ~g.geometry.is_empty].sort_values("code")
    return g


def commune_geometry(store, codes=None, departements=None):
    """GeoDataFrame (code, nom, departement, population, geometry) of ``codes`` or of whole départements."""
    path = str(store.web_geometry_path)
    with _geo_lock:
        if departements is not None:
            return _read_geometry(path, tuple(sorted(set(departements))), "departement")
        return _read_geometry(path, tuple(sorted(set(codes or ()))), "code")


@lru_cache(maxsize=64)
def _geojson_text(path: str, key: tuple, by: str) -> str:
    g = _read_geometry(path, key, by)
    if g is None or g.empty:
        return json.dumps({"type": "FeatureCollection", "features": []})
    feats = []
    for code, geom in zip(g["code"], g.geometry):
        feats.append({"type": "Feature", "id": code, "properties": {"code": code},
                      "geometry": _round_geom(geom.__geo_interface__)})
    return json.dumps({"type": "FeatureCollection", "features": feats}, separators=(",", ":"))


def _round_geom(gi: dict) -> dict:
    def r(c):
        if isinstance(c, (list, tuple)) and c and isinstance(c[0], (int, float)):
            return [round(c[0], 5), round(c[1], 5)]
        return [r(x) for x in c]
    return {"type": gi["type"], "coordinates": r(gi["coordinates"])}


def geojson(store, codes=None, departements=None) -> dict:
    path = str(store.web_geometry_path)
    with _geo_lock:
        if departements is not None:
            return json.loads(_geojson_text(path, tuple(sorted(set(departements))), "departement"))
        return json.loads(_geojson_text(path, tuple(sorted(set(codes or ()))), "code"))


def view_for(g, width: int, height: int, pad: float = 0.25) -> dict:
    """Map center and zoom that fit the bounds of ``g`` into width x height pixels, ``pad`` zoom
    levels looser (small multiples need room for their titles)."""
    from dashboard.maps.geometry import view_for_bounds
    if g is None or g.empty:
        return view_for_bounds(None)
    v = view_for_bounds(tuple(float(b) for b in g.total_bounds), int(width), int(height), padding=0)
    return {**v, "zoom": max(v["zoom"] - pad, 1)}


# -- helpers ---------------------------------------------------------------------------------------
def source_line(store, entry: dict | None) -> str:
    line = caption(entry)
    if store.any_synthetic and SYNTHETIC_TEXT not in line:
        line += f" · Base contenant des {SYNTHETIC_TEXT.lower()}"
    return line


def _empty(title: str, message: str, height: int = 300) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(title=title, height=height, xaxis={"visible": False}, yaxis={"visible": False},
                      annotations=[{"text": message, "showarrow": False, "font": {"size": 16}}],
                      paper_bgcolor="white", plot_bgcolor="white", font={"family": FONT})
    return fig


def _wrap(text: str, width: int = 150) -> str:
    import textwrap
    return "<br>".join(textwrap.wrap(text, width)) if text else ""


# -- maps ------------------------------------------------------------------------------------------
def _map_traces(store, t, indicator_id: str, year, subplot: str = "map", colorbar: dict | None = None,
                showscale: bool = True):
    ind = CATALOG[indicator_id]
    g = commune_geometry(store, t.codes)
    gj = geojson(store, t.codes)
    vals = store.commune_values(indicator_id, t.codes, year) if t.codes else pd.DataFrame()
    names = store.communes["nom"]
    traces = []
    if g is None or g.empty:
        return traces, g
    codes = list(g["code"])
    v = vals.set_index("code") if not vals.empty else pd.DataFrame(columns=["value", "secret"])
    value = pd.to_numeric(v["value"], errors="coerce").reindex(codes) if "value" in v else pd.Series(index=codes)
    secret = v["secret"].reindex(codes).fillna(False).astype(bool) if "secret" in v else pd.Series(False, index=codes)
    ok = value.notna() & ~secret
    nd = decimals(indicator_id)
    unit = short_unit(indicator_id)
    # background: communes without value / secret
    for mask, color, label in ((~ok & ~secret, NO_DATA_COLOR, "indisponible"), (secret, SECRET_COLOR, SECRET_TEXT)):
        cs = [c for c, m in zip(codes, mask) if m]
        if cs:
            traces.append(go.Choroplethmap(
                geojson=gj, locations=cs, z=[0] * len(cs), colorscale=[[0, color], [1, color]], showscale=False,
                marker={"line": {"color": "white", "width": 0.8}}, subplot=subplot, customdata=cs,
                text=[f"{names.get(c, c)} ({c})<br>{label}" for c in cs], hovertemplate="%{text}<extra></extra>",
                name=label, showlegend=False))
    cs = [c for c, m in zip(codes, ok) if m]
    if cs:
        z = [float(value[c]) for c in cs]
        cb = {"title": {"text": unit or ind.unit[:20]}, "thickness": 14}
        if colorbar:
            cb.update(colorbar)
        traces.append(go.Choroplethmap(
            geojson=gj, locations=cs, z=z,
            colorscale=GOOD_SCALE if ind.higher_is_better is not False else BAD_SCALE,
            
            marker={"line": {"color": "white", "width": 0.8}, "opacity": 0.95}, subplot=subplot, customdata=cs,
            text=[f"{names.get(c, c)} ({c})<br>{fmt_number(zz, nd)} {unit}" for c, zz in zip(cs, z)],
            hovertemplate="%{text}<extra></extra>", showscale=showscale, colorbar=cb, name=ind.label,
            showlegend=False))
    return traces, g


def small_multiple_figure(store, t, mode: str = "all", *, height: int = 720, font_size: int = 13) -> go.Figure:
    """One small map per profession (density per 10,000), each with its own scale and territory value."""
    suffix = "" if mode == "all" else "_liberal"
    ids = [f"density_{p}{suffix}" for p in PROFESSIONS]
    title = f"Densité par profession{' (libéraux)' if suffix else ''} — {t.name}"
    if not t.codes:
        return _empty(title, "Périmètre inconnu : aucune commune.", 300)
    entries = [store.indicator_entry(i, t.codes, t.departement, None) for i in ids]
    if not any(e["available"] for e in entries):
        return _empty(title, "Densités indisponibles (effectifs de professionnels non chargés).", 300)
    titles = [f"{PROFESSION_TITLES[p]} : {fmt_number(e['value'], 1) if e['value'] is not None else 'indisp.'}"
              for p, e in zip(PROFESSIONS, entries)]
    fig = make_subplots(rows=2, cols=3, specs=[[{"type": "map"}] * 3] * 2, subplot_titles=titles,
                        horizontal_spacing=0.02, vertical_spacing=0.12)
    g = commune_geometry(store, t.codes)
    for k, (iid, e) in enumerate(zip(ids, entries)):
        sub = "map" if k == 0 else f"map{k + 1}"
        row, col = divmod(k, 3)
        dom = fig.layout[sub].domain
        cb = {"orientation": "h", "x": (dom.x[0] + dom.x[1]) / 2, "xanchor": "center", "len": 0.26,
              "y": dom.y[0] - 0.015, "yanchor": "top", "thickness": 10, "title": {"text": ""},
              "tickfont": {"size": font_size - 3}}
        traces, _ = _map_traces(store, t, iid, e["year"], subplot=sub, colorbar=cb)
        for tr in traces:
            fig.add_trace(tr)
    view = view_for(g, 380, (height - 160) / 2, pad=0.2)
    for k in range(len(ids)):
        sub = "map" if k == 0 else f"map{k + 1}"
        fig.layout[sub].update(style="white-bg", **view)
    years = sorted({e["year"] for e in entries if e["year"]})
    src = sorted({e["source"] for e in entries if e["source"]})
    line = (f"Unité : professionnels pour 10 000 habitants · Année : {', '.join(map(str, years)) or '—'} · "
            f"Source : {'; '.join(src) or '—'}")
    if any(e["synthetic"] for e in entries) or store.any_synthetic:
        line += f" · {SYNTHETIC_TEXT}"
    fig.update_layout(height=height, margin={"l": 5, "r": 5, "t": 80, "b": 70},
                      title={"text": title, "x": 0.01, "font": {"size": font_size + 5}},
                      font={"family": FONT, "size": font_size}, paper_bgcolor="white",
                      uirevision=f"sm-{t.id}")
    fig.add_annotation(text=_wrap(line, 170), xref="paper", yref="paper", x=0, y=-0.07, xanchor="left",
                       yanchor="top", showarrow=False, align="left",
                       font={"size": font_size - 3, "color": "#b00020" if store.any_synthetic else "#333"})
    return fig


# -- charts ----------------------------------------------------------------------------------------
def comparison_figure(store, entries: list[dict], names: dict[str, str], *, title: str = "",
                      font_size: int = 13, row_height: int = 150) -> go.Figure:
    """Horizontal bars: the territory against département, région and France, one panel per indicator."""
    entries = [e for e in entries if e is not None]
    if not entries:
        return _empty(title, "Aucun indicateur disponible.")
    n = len(entries)
    fig = make_subplots(rows=n, cols=1, vertical_spacing=min(0.5 / n, 0.12),
                        subplot_titles=[_wrap(f"{e['label']} ({short_unit(e['id']) or e['unit']}, "
                                              f"{e['year'] or '—'})", 90) for e in entries])
    levels = ["france", "region", "departement"]
    for i, e in enumerate(entries, start=1):
        nd = decimals(e["id"])
        labels, values, texts, colors = [], [], [], []
        for lv in levels:
            v = (e.get("reference") or {}).get(lv)
            labels.append(names.get(lv, LEVEL_LABELS[lv]))
            values.append(v if v is not None else 0)
            texts.append(fmt_number(v, nd) if v is not None else "indisponible")
            colors.append(REFERENCE_COLORS[lv])
        labels.append(names.get("territory", "Territoire"))
        if e.get("secret"):
            values.append(0)
            texts.append(SECRET_TEXT)
        else:
            values.append(e["value"] if e["value"] is not None else 0)
            texts.append(fmt_number(e["value"], nd) if e["value"] is not None else "indisponible")
        colors.append(TERRITORY_COLOR)
        fig.add_trace(go.Bar(x=values, y=labels, orientation="h", marker_color=colors, text=texts,
                             textposition="outside", cliponaxis=False, hoverinfo="skip", showlegend=False),
                      row=i, col=1)
        vmax = max([x for x in values if x] or [1])
        fig.update_xaxes(range=[0, vmax * 1.3], showgrid=False, showticklabels=False, row=i, col=1)
        if e["id"].startswith("apl_mg"):
            fig.add_vline(x=APL_THRESHOLD, line_dash="dash", line_color="#b00020", row=i, col=1)
    srcs = sorted({e["source"] for e in entries if e.get("source")})
    line = f"Sources : {'; '.join(srcs) or '—'}"
    if any(e.get("synthetic") for e in entries) or store.any_synthetic:
        line += f" · {SYNTHETIC_TEXT}"
    fig.update_layout(height=row_height * n + 140, margin={"l": 10, "r": 40, "t": 70 if title else 40, "b": 80},
                      title={"text": title, "x": 0.01, "font": {"size": font_size + 5}} if title else None,
                      font={"family": FONT, "size": font_size}, paper_bgcolor="white", plot_bgcolor="white",
                      bargap=0.25)
    fig.update_yaxes(automargin=True, type="category", tickmode="linear", dtick=1)
    fig.update_annotations(font_size=font_size + 1)
    fig.add_annotation(text=_wrap(line, 150), xref="paper", yref="paper", x=0, y=0, yshift=-30, xanchor="left",
                       yanchor="top", showarrow=False, align="left",
                       font={"size": font_size - 3, "color": "#b00020" if store.any_synthetic else "#333"})
    return fig


def apl_distribution_figure(store, apl: dict, *, font_size: int = 13, height: int = 420) -> go.Figure:
    e = apl.get("entry")
    title = "APL aux médecins généralistes, commune par commune"
    if not apl.get("communes"):
        return _empty(title, "APL indisponible pour ce territoire.", height)
    rows = apl["communes"]
    names = [r["nom"] for r in rows]
    vals = [r["value"] for r in rows]
    colors = ["#b00020" if (v is not None and v < APL_THRESHOLD) else TERRITORY_COLOR for v in vals]
    fig = go.Figure(go.Bar(x=names, y=vals, marker_color=colors,
                           customdata=[[r["code"], r["population"] or 0] for r in rows],
                           hovertemplate="%{x} (%{customdata[0]})<br>APL %{y:.2f}<br>%{customdata[1]} hab.<extra></extra>"))
    fig.add_hline(y=APL_THRESHOLD, line_dash="dash", line_color="#b00020",
                  annotation_text="seuil de sous-densité : 2,5", annotation_position="top left")
    if e and e.get("value") is not None:
        fig.add_hline(y=e["value"], line_color="#333", annotation_text=f"territoire : {fmt_number(e['value'], 2)}",
                      annotation_position="top right")
    line = source_line(store, e)
    fig.update_layout(height=height, title={"text": f"{title} ({e['year'] if e else '—'})", "x": 0.01},
                      yaxis_title="consultations / hab. standardisé / an", font={"family": FONT, "size": font_size},
                      paper_bgcolor="white", plot_bgcolor="white", margin={"l": 60, "r": 20, "t": 60, "b": 140},
                      showlegend=False)
    fig.update_xaxes(tickangle=-60, tickfont={"size": max(font_size - 4, 8)})
    fig.add_annotation(text=_wrap(line, 150), xref="paper", yref="paper", x=0, y=0, yshift=-110,
                       xanchor="left", yanchor="top", showarrow=False, align="left",
                       font={"size": font_size - 3, "color": "#b00020" if store.any_synthetic else "#333"})
    return fig


def professionals_figure(store, prof: pd.DataFrame, *, font_size: int = 13, height: int = 420) -> go.Figure:
    title = "Professionnels de santé par profession et mode d'exercice"
    if prof is None or prof.empty:
        return _empty(title, "Effectifs de professionnels indisponibles.", height)
    fig = go.Figure()
    for mode, color in (("liberal", TERRITORY_COLOR), ("salarie", "#5dade2"), ("autre", "#aab7b8"),
                        ("benevole", "#d5dbdb")):
        d = prof[prof["mode"] == mode].set_index("profession")
        if d.empty:
            continue
        fig.add_trace(go.Bar(name=MODE_LABELS[mode], x=[PROFESSION_TITLES.get(p, p) for p in d.index],
                             y=d["count"], marker_color=color, text=d["count"], textposition="inside"))
    year = int(prof["year"].max())
    src = sorted({store.source_label(s) or s for s in prof["source_id"].dropna()})
    line = f"Unité : professionnels (nombre) · Année : {year} · Source : {'; '.join(src)}"
    if bool(prof["synthetic"].any()):
        line += f" · {SYNTHETIC_TEXT}"
    fig.update_layout(barmode="stack", height=height, title={"text": f"{title} ({year})", "x": 0.01},
                      font={"family": FONT, "size": font_size}, paper_bgcolor="white", plot_bgcolor="white",
                      legend={"orientation": "h", "y": 1.02, "x": 1, "xanchor": "right", "yanchor": "bottom"},
                      margin={"l": 50, "r": 20, "t": 80, "b": 90}, yaxis_title="professionnels")
    fig.add_annotation(text=_wrap(line, 150), xref="paper", yref="paper", x=0, y=0, yshift=-50, xanchor="left",
                       yanchor="top", showarrow=False, align="left",
                       font={"size": font_size - 3, "color": "#b00020" if store.any_synthetic else "#333"})
    return fig
