"""The territory portrait as a deck of slides (``section.atlas-slide``), one message each, for the
page (stacked), the presentation mode (one slide fills the screen, ``assets/presentation.*``) and
print. Built on the server from the read model; maps and charts are server-made SVG
(:mod:`.svg_map`, :mod:`.svg_chart`), comparisons HTML tables: no plotly.js.

Every slide names the territory and, when its perimeter is not exact, says so in a band in readable
type (shown against published: communes and population with the published population's year).

Which slides:
  territoire     key figures, published figures, locator map (or, for an unknown perimeter, what to do:
                 the editor, the département, the EPCI of the département)
  carte          the chosen indicator at the chosen year: the explorer's map and legend, and the
                 territory against its references (the year selector acts here)
  professionnels counts by profession; densites densities against the references
  cartes         one small map per profession (not for a one-commune territory: one polygon says
                 nothing; its maps show its commune among the communes of its EPCI instead)
  apl            APL, communes under the DREES threshold
  prevention     GP-less share and prevention against the references
  evolution-N    time series, two indicators per slide (what fits a 1280 × 720 projector)
  candidats      the candidate communes, drawn distinctly (where there are any)
  sources        the datasets used
"""
from __future__ import annotations

from dash import dcc, html

from atlas import fmt
from atlas.catalog import PREVENTION_IDS, PROFESSION_TITLES, indicator
from atlas.read.values import LRU

from ..exports.portrait_data import (cached_portrait, comparison_levels, density_ids, population_line,
                                     professionals_rows, reference_names, used_sources, value_text)
from ..maps.layer import build_layer
from ..published import figure_rows, perimeter_explanation
from .comparison_bars import comparison_bars
from .legend import legend
from .perimeter_note import EDITOR_PATH, perimeter_summary
from .reference_grid import grid_row, reference_grid
from .svg_chart import time_series_svg
from .svg_map import (CANDIDATE_FILL, MEMBER_FILL, area_names, framed_map_svg, indicator_map_svg, inline_svg,
                      map_svg)

LEVEL_SHORT = {"territoire": "Territoire", "epci": "EPCI", "departement": "Département", "region": "Région",
               "france": "France"}
CHARTS_PER_SLIDE = 2


# -- building blocks -------------------------------------------------------------------------------------
def _band(warning: str) -> html.Div | None:
    if not warning:
        return None
    return html.Div([html.Span("⚠", className="atlas-band-icon", **{"aria-hidden": "true"}), html.Span(warning)],
                    className="atlas-perimeter-band", role="note")


def _foot(atlas, text: str | None, synthetic: bool) -> html.Footer:
    parts = [html.Span(text, className="atlas-foot-source")] if text else []
    if synthetic:
        parts.append(html.Strong(f"{fmt.SYNTHETIC} : chiffres de cet écran générés pour la démonstration",
                                 className="atlas-foot-synthetic"))
    elif atlas.any_synthetic:
        parts.append(html.Span("Chiffres réels ; la base contient aussi des données fictives (démonstration).",
                               className="atlas-foot-demo"))
    return html.Footer(parts, className="atlas-slide-foot")


def _slide(ctx, key: str, title: str, *body, message=None, foot: str | None = None, synthetic: bool = False,
           head: str | None = None, layout: str = ""):
    return html.Section([
        html.Header([html.Div(head or ctx["territory"].name, className="atlas-slide-territory"),
                     html.H2(title, className="atlas-slide-title")], className="atlas-slide-head"),
        _band(ctx["band"]),
        html.P(message, className="atlas-slide-message") if message else None,
        html.Div([b for b in body if b is not None], className=f"atlas-slide-body {layout}".strip()),
        _foot(ctx["atlas"], foot, synthetic),
    ], className="atlas-slide", id=f"slide-{key}", **{"data-slide": key, "aria-label": title})


def _kpi(label, value, detail=None, key=None):
    return html.Div([html.Div(value, className="atlas-kpi-value"), html.Div(label, className="atlas-kpi-label"),
                     html.Div(detail, className="atlas-kpi-detail") if detail else None],
                    className="atlas-kpi", **({"data-kpi": key} if key else {}))


def _table(header, rows, cls="atlas-table"):
    return html.Div(html.Table([html.Thead(html.Tr([html.Th(h, scope="col") for h in header])),
                                html.Tbody([html.Tr([html.Td(c) for c in r]) for r in rows])], className=cls),
                    className="atlas-table-wrap")


def _levels(p: dict) -> list[tuple[str, str]]:
    lv = [("territoire", "Commune" if len(p["territory"].codes) == 1 else LEVEL_SHORT["territoire"])]
    if p.get("context") is not None:
        lv.append(("epci", LEVEL_SHORT["epci"]))
    return lv + [(k, LEVEL_SHORT[k]) for k in ("departement", "region", "france")]


def _levels_caption(p: dict) -> str:
    names = reference_names(p)
    parts = []
    if p.get("context") is not None:
        parts.append(f"EPCI : {names['epci']}")
    if p["departement_name"]:
        parts.append(f"Département : {p['departement_name']}")
    if p["region_name"]:
        parts.append(f"Région : {p['region_name']}")
    return " · ".join(parts)


def _grid(p: dict, ids: list[str], gid: str) -> html.Div:
    rows = [grid_row(p["entries"][i], {k: v for k, _n, v in comparison_levels(p, i)}) for i in ids]
    return reference_grid(rows, _levels(p), id=gid)


def _sources_of(entries: list[dict]) -> str:
    srcs = sorted({e["source"] for e in entries if e and e.get("source")})
    years = sorted({e["year"] for e in entries if e and e.get("year")})
    out = f"Source : {'; '.join(srcs) or fmt.UNAVAILABLE}"
    return out + (f" · Année : {', '.join(map(str, years))}" if years else "")


def _area(ctx):
    """Communes a map draws: the territory's, or its EPCI's for a one-commune territory."""
    p = ctx["p"]
    codes = p["context"].codes if p.get("context") is not None else p["territory"].codes
    return ctx["atlas"].geometry.area(codes)


def _outline(ctx):
    t = ctx["territory"]
    return ctx["atlas"].geometry.outline(t.codes) if t.codes else None


# -- slides ---------------------------------------------------------------------------------------------
def _territory_slide(ctx):
    atlas, p, t = ctx["atlas"], ctx["p"], ctx["territory"]
    kind = {"cpts": "CPTS", "epci": "EPCI", "departement": "Département", "region": "Région",
            "user": "Territoire enregistré"}.get(t.kind, "Territoire")
    published = figure_rows(t.id, p["published"])
    pub_list = html.Div([html.H3("Chiffres publiés", className="atlas-h3"),
                         html.Ul([html.Li([html.Span(f"{label} : "), html.Strong(value),
                                           html.Span(f" ({date})", className="atlas-muted") if date else None])
                                  for label, value, date in published], className="atlas-published")]) \
        if published else None
    explanation = perimeter_explanation(t)
    if not t.codes:
        return _slide(ctx, "territoire", t.name, _empty_help(atlas, t), pub_list,
                      html.P(explanation, className="atlas-note") if explanation else None,
                      head=f"Portrait du territoire · {kind}", layout="atlas-cols",
                      message="Périmètre inconnu : aucune commune connue, les chiffres ne peuvent pas être calculés.")
    s = p["summary"]
    pub_n = t.published_communes if t.published_communes is not None and not t.exact else None
    pub_pop = t.published_population if t.published_population is not None and not t.exact else None
    vintage = t.published_scope or (fmt.date(t.published_as_of) if t.published_as_of else "")
    kpis = html.Div([
        _kpi("communes retenues" if pub_n is not None else ("commune" if s["communes"] == 1 else "communes"),
             fmt.integer(s["communes"]), f"publié : {fmt.integer(pub_n)}" if pub_n is not None else None, "communes"),
        _kpi(f"habitants (population municipale {p['population_year']})" if p["population_year"] else "habitants",
             fmt.integer(s["population"]),
             f"publié : {fmt.integer(pub_pop)}" + (f" ({vintage})" if vintage else "") if pub_pop is not None else None,
             "population"),
    ], className="atlas-kpis")
    left = html.Div([kpis, pub_list,
                     html.Details([html.Summary("D'où vient ce périmètre ?"), html.P(explanation)],
                                  className="atlas-note", open=False) if explanation else None],
                    className="atlas-col-text")
    where = ", ".join(x for x in (f"département : {p['departement_name']}" if p["departement_name"] else "",
                                  f"région : {p['region_name']}" if p["region_name"] else "") if x)
    return _slide(ctx, "territoire", t.name, left, _locator(ctx), head=f"Portrait du territoire · {kind}",
                  layout="atlas-cols", message=population_line(p) + (f" ; {where}" if where else ""),
                  foot=_sources_of([p["entries"].get("population")]))


def _empty_help(atlas, t):
    """What to do with a territory whose communes are unknown: define it, or start from a known area."""
    items = [html.Li(dcc.Link("Définir son périmètre dans l'éditeur de territoires",
                              href=f"{EDITOR_PATH}?territoire={t.id}", id="portrait-empty-editor"))]
    if t.departement:
        dep = atlas.communes.departement_name(t.departement) or t.departement
        items.append(html.Li(dcc.Link(f"Voir le portrait du département : {dep} ({t.departement})",
                                      href=f"/portrait?territoire=dep-{t.departement}", id="portrait-empty-dep")))
        epcis = [e for e in atlas.territories("epci") if e.departement == t.departement]
        if epcis:
            items.append(html.Li([f"Ou partir d'un EPCI du département ({fmt.plural(len(epcis), 'EPCI', 'EPCI')}) : ",
                                  html.Span([html.Span([dcc.Link(e.name, href=f"/portrait?territoire={e.id}"),
                                                        " · " if k < len(epcis) - 1 else ""])
                                             for k, e in enumerate(epcis)], className="atlas-epci-links")],
                                 id="portrait-empty-epci"))
    return html.Div([html.H3("Que faire ?", className="atlas-h3"), html.Ul(items, className="atlas-empty-help")],
                    className="atlas-col-text")


def _locator(ctx):
    """Where the territory is: its communes (and candidates) inside the outline of its département."""
    atlas, t = ctx["atlas"], ctx["territory"]
    area = atlas.geometry.area(list(t.codes) + list(t.candidates))
    if not len(area) or not t.departement:
        return None
    frame = atlas.geometry.outline(atlas.territory(f"dep-{t.departement}").codes)
    fills = {c: MEMBER_FILL for c in t.codes} | {c: CANDIDATE_FILL for c in t.candidates}
    dep = atlas.communes.departement_name(t.departement) or t.departement
    label = f"{t.name} dans son département ({dep})"
    svg = framed_map_svg(area, fills, frame, dashed=t.candidates, label=label, width=520, height=440)
    return html.Div([inline_svg(svg, label, "atlas-map atlas-locator", id="portrait-locator"),
                     html.P(label + (" ; communes candidates en orange, bordure en tirets" if t.candidates else ""),
                            className="atlas-caption")], className="atlas-col-visual")


def _focus_slide(ctx, indicator_id: str, year: int | None):
    atlas, p, t = ctx["atlas"], ctx["p"], ctx["territory"]
    ind = indicator(indicator_id)
    e = atlas.entry(indicator_id, t, year=year)
    area = _area(ctx)
    layer = build_layer(atlas, ind.id, area.codes, e["year"], focus=t.codes)
    label = f"Carte : {ind.label}" + (f" ({e['year']})" if e["year"] else "") + f" – {t.name}"
    svg = indicator_map_svg(atlas, area, layer, outline=_outline(ctx), label=label, width=640, height=500)
    rows = [("territoire", reference_names(p)["territoire"], e["value"])]
    if p.get("context") is not None:
        rows.append(("epci", p["context"].name, atlas.entry(ind.id, p["context"], year=e["year"])["value"]))
    rows += [(lvl, reference_names(p)[lvl], e["reference"][lvl]) for lvl in ("departement", "region", "france")]
    if e["available"] or e["secret"]:
        message = f"{t.name} : {value_text(e, with_unit=True)}" + (f" en {e['year']}" if e["year"] else "")
    else:
        message = f"{ind.label} : {fmt.UNAVAILABLE}" + (f" ({e['reason']})" if e.get("reason") else "")
    side = html.Div([legend(layer.legend, id="portrait-map-legend"),
                     html.Div(comparison_bars(ind, rows), className="atlas-focus-bars")], className="atlas-col-text")
    visual = html.Div([inline_svg(svg, label, "atlas-map", id="portrait-map"),
                       html.P("Le territoire est entouré d'un trait noir ; ses communes parmi celles de son EPCI."
                              if p.get("context") is not None else "", className="atlas-caption")],
                      className="atlas-col-visual")
    title = ind.label + (f" ({e['year']})" if e["year"] else "")
    return _slide(ctx, "carte", title, visual, side, message=message, layout="atlas-cols",
                  foot=_sources_of([e]), synthetic=bool(layer.legend.get("synthetic")))


def _professionals_slide(ctx):
    p = ctx["p"]
    prof = p["professionals"]
    if prof is None or prof.empty:
        return _slide(ctx, "professionnels", "Professionnels de santé",
                      message="Effectifs de professionnels indisponibles dans cette base.")
    header, rows = professionals_rows(prof, p["entries"])
    lib = int(prof.loc[prof["basis"] == "bpe", "count"].sum()) if "basis" in prof else 0
    srcs = sorted({ctx["atlas"].source_short(x) for s in prof["source_id"].dropna() for x in str(s).split(", ")
                   if x})
    years = sorted({int(y) for y in prof["year"].dropna()}) if "year" in prof else []
    return _slide(ctx, "professionnels", "Professionnels de santé", _table(header, rows, "atlas-table atlas-prof"),
                  message=f"{fmt.plural(lib, 'professionnel libéral', 'professionnels libéraux')} et pharmacies "
                          "(INSEE, BPE)",
                  foot=f"Source : {'; '.join(srcs) or fmt.UNAVAILABLE}"
                       + (f" · Année : {', '.join(map(str, years))}" if years else "")
                       + " · « Tous modes » compte une fois un professionnel exerçant dans plusieurs communes.",
                  synthetic=bool(prof["synthetic"].any()))


def _densities_slide(ctx):
    p = ctx["p"]
    ids = [i for i in density_ids("liberal") if p["entries"].get(i, {}).get("available")]
    if not ids:
        return _slide(ctx, "densites", "Densités pour 10 000 habitants",
                      message="Densités de professionnels indisponibles dans cette base.")
    entries = [p["entries"][i] for i in ids]
    return _slide(ctx, "densites", "Densités de professionnels libéraux", _grid(p, ids, "portrait-density-grid"),
                  html.P(_levels_caption(p), className="atlas-caption"),
                  message="Professionnels libéraux pour 10 000 habitants, face aux références",
                  foot=_sources_of(entries), synthetic=any(e["synthetic"] for e in entries))


def _small_multiples_slide(ctx):
    atlas, p, t = ctx["atlas"], ctx["p"], ctx["territory"]
    ids = [i for i in density_ids("liberal") if p["entries"].get(i, {}).get("available")]
    if not ids or len(t.codes) < 2:
        return None
    area = _area(ctx)
    cells, entries = [], []
    for iid in ids:
        ind = indicator(iid)
        e = p["entries"][iid]
        entries.append(e)
        layer = build_layer(atlas, iid, area.codes, e["year"], focus=t.codes)
        name = PROFESSION_TITLES.get(ind.profession, ind.label)
        svg = indicator_map_svg(atlas, area, layer, label=f"{ind.label} – {t.name}", width=360, height=270)
        ok = layer.values[layer.status == "ok"]
        scale = html.Div([html.Span(fmt.value(ok.min(), ind) if len(ok) else "", className="sm-min"),
                          *[html.Span(className="sm-swatch", style={"background": c})
                            for c in layer.classification.colors],
                          html.Span(fmt.value(ok.max(), ind) if len(ok) else "", className="sm-max")],
                         className="sm-scale", **{"aria-label": "du plus clair au plus foncé : de moins à plus"})
        cells.append(html.Figure([html.Figcaption([html.Strong(name), f" : {fmt.entry(e, ind)}"]),
                                  inline_svg(svg, f"{ind.label} – {t.name}", "atlas-map atlas-sm-map"), scale],
                                 className="atlas-sm-cell", **{"data-indicator": iid}))
    return _slide(ctx, "cartes", "Où exercent les libéraux ?", html.Div(cells, className="atlas-sm-grid"),
                  message="Une carte par profession, pour 10 000 habitants : plus foncé, plus de professionnels",
                  foot=_sources_of(entries) + " · Classes propres à chaque carte",
                  synthetic=any(e["synthetic"] for e in entries))


def _apl_slide(ctx):
    atlas, p, t = ctx["atlas"], ctx["p"], ctx["territory"]
    apl = p["apl"]
    e = apl["entry"]
    ind = indicator("apl_mg")
    if not apl.get("communes"):
        return _slide(ctx, "apl", "Accessibilité aux médecins généralistes (APL)",
                      message=f"APL {fmt.UNAVAILABLE}" + (f" : {e['reason']}" if e.get("reason") else "."))
    area = _area(ctx)
    layer = build_layer(atlas, "apl_mg", area.codes, e["year"], focus=t.codes)
    label = f"APL aux médecins généralistes ({e['year']}) – {t.name}"
    svg = indicator_map_svg(atlas, area, layer, outline=_outline(ctx), label=label, width=600, height=480)
    th = fmt.threshold_value(ind.thresholds[0])
    facts = html.Ul([
        html.Li([html.Strong(value_text(e)), f" {ind.short_unit} en {e['year']}",
                 f" (France : {fmt.reference(e, 'france', ind)})" if e["reference"]["france"] is not None else ""]),
        html.Li([html.Strong(fmt.plural(apl["under_count"], "commune")), f" sous {th} : ",
                 html.Strong(fmt.plural(apl["under_population"], "habitant")),
                 f" ({fmt.percent(apl['under_share'])})" if apl["under_share"] is not None else ""]),
    ], className="atlas-facts")
    msg = (f"{fmt.plural(apl['under_population'], 'habitant')} vivent dans une commune sous le seuil de "
           f"sous-densité médicale (APL < {th})" if apl["under_count"] else
           f"Aucune commune sous le seuil de sous-densité médicale (APL < {th})")
    side = html.Div([facts, legend(layer.legend, id="portrait-apl-legend")], className="atlas-col-text")
    return _slide(ctx, "apl", "Accessibilité aux médecins généralistes (APL)",
                  html.Div(inline_svg(svg, label, "atlas-map", id="portrait-apl-map"), className="atlas-col-visual"),
                  side, message=msg, layout="atlas-cols", foot=_sources_of([e]), synthetic=bool(e["synthetic"]))


def _prevention_slide(ctx):
    p = ctx["p"]
    ids = [i for i in ("sans_mt_17", *PREVENTION_IDS) if p["entries"].get(i, {}).get("available")
           or p["entries"].get(i, {}).get("secret")]
    sm = p["entries"].get("sans_mt_17")
    if not ids:
        return _slide(ctx, "prevention", "Médecin traitant et prévention",
                      message="Indicateurs de la CPAM non importés (page Import) : part des patients sans médecin "
                              "traitant et dépistages indisponibles.")
    entries = [p["entries"][i] for i in ids]
    msg = (f"{value_text(sm, with_unit=True)} des patients de 17 ans et plus sans médecin traitant "
           f"(département : {fmt.reference(sm, 'departement', indicator('sans_mt_17'), unit=True)})"
           if sm and sm["available"] else "Part des patients sans médecin traitant indisponible.")
    return _slide(ctx, "prevention", "Médecin traitant et prévention", _grid(p, ids, "portrait-prevention-grid"),
                  html.P(_levels_caption(p), className="atlas-caption"), message=msg, foot=_sources_of(entries),
                  synthetic=any(e["synthetic"] for e in entries))


def _series_labels(p: dict) -> dict[str, str]:
    t = p["territory"]
    return {"territoire": "Commune" if len(t.codes) == 1 else "Territoire", "epci": "EPCI",
            "departement": "Département", "region": "Région", "france": "France"}


def evolution_chart(ev: dict, p: dict, *, width: int = 640, height: int = 330) -> str:
    """The time series of one indicator (territory and references), as SVG."""
    labels = _series_labels(p)
    series = [{**s, "label": labels[s["level"]]} for s in ev["series"]]
    ind = indicator(ev["id"])
    years = ev["years"]
    return time_series_svg(series, ind, label=f"{ev['label']}, {years[0]} à {years[-1]} – {p['territory'].name}",
                           width=width, height=height)


def _evolution_slides(ctx, focus_id: str):
    p = ctx["p"]
    evs = sorted(p["evolution"], key=lambda ev: ev["id"] != focus_id)
    out = []
    chunks = [evs[k:k + CHARTS_PER_SLIDE] for k in range(0, len(evs), CHARTS_PER_SLIDE)]
    for n, chunk in enumerate(chunks, start=1):
        figs = []
        for ev in chunk:
            ind = indicator(ev["id"])
            first = next((v for _y, v in ev["series"][0]["points"] if v is not None), None)
            last = next((v for _y, v in reversed(ev["series"][0]["points"]) if v is not None), None)
            unit = "point" if ind.short_unit == "%" else ind.short_unit     # a change of a share: points
            change = (f" : {fmt.with_unit(fmt.change(first, last, ind), unit)}"
                      if ev["series"][0]["level"] == "territoire" and first is not None and last is not None else "")
            figs.append(html.Figure([
                html.Figcaption([html.Strong(ev["label"]), f" ({ev['years'][0]} → {ev['years'][-1]}){change}"]),
                inline_svg(evolution_chart(ev, p), f"Évolution : {ev['label']}", "atlas-chart"),
                html.Div(("Source : " + "; ".join(ev["sources"])) if ev["sources"] else "",
                         className="atlas-caption")], className="atlas-ts-cell", **{"data-indicator": ev["id"]}))
        suffix = f" ({n}/{len(chunks)})" if len(chunks) > 1 else ""
        out.append(_slide(ctx, f"evolution-{n}", "Évolution" + suffix, html.Div(figs, className="atlas-ts-grid"),
                          message="Même périmètre, même règle de calcul chaque année ; le territoire en trait épais",
                          foot=_levels_caption(p), synthetic=any(ev["synthetic"] for ev in chunk)))
    return out


def _candidates_slide(ctx):
    atlas, t = ctx["atlas"], ctx["territory"]
    if not t.candidates:
        return None
    area = atlas.geometry.area(list(t.codes) + list(t.candidates))
    fills = {c: MEMBER_FILL for c in t.codes} | {c: CANDIDATE_FILL for c in t.candidates}
    names = area_names(area)
    tips = {c: f"{names.get(c, c)} : commune retenue" for c in t.codes} | \
           {c: f"{names.get(c, c)} : commune candidate, non comptée" for c in t.candidates}
    label = f"Communes retenues et communes candidates – {t.name}"
    svg = map_svg(area, fills, outline=_outline(ctx), dashed=t.candidates, tips=tips, label=label, width=600,
                  height=480)
    table = atlas.communes.table
    by_epci: dict[str, list] = {}
    for c in sorted(t.candidates):
        row = table.loc[c]
        epci = row["epci"]
        ename = atlas.communes.epci.at[epci, "nom"] if isinstance(epci, str) and epci in atlas.communes.epci.index \
            else "hors EPCI"
        by_epci.setdefault(ename, []).append((row["nom"], row["population"]))
    pop = sum(int(pp) for v in by_epci.values() for _n, pp in v if pp == pp)
    groups = [html.Li([html.Strong(f"{ename} ({len(v)}) : "), ", ".join(n for n, _ in v)])
              for ename, v in by_epci.items()]
    key = html.Ul([html.Li([html.Span(className="legend-swatch", style={"background": MEMBER_FILL}),
                            f"communes retenues ({len(t.codes)})"], className="d-flex align-items-center"),
                   html.Li([html.Span(className="legend-swatch legend-swatch-dashed",
                                      style={"background": CANDIDATE_FILL}),
                            f"communes candidates, non comptées ({len(t.candidates)})"],
                           className="d-flex align-items-center")], className="list-unstyled atlas-key")
    side = html.Div([key, html.Ul(groups, className="atlas-candidates", id="portrait-candidates-list")],
                    className="atlas-col-text")
    return _slide(ctx, "candidats", "Communes candidates",
                  html.Div(inline_svg(svg, label, "atlas-map", id="portrait-candidates-map"),
                           className="atlas-col-visual"), side, layout="atlas-cols",
                  message=f"{fmt.plural(len(t.candidates), 'commune candidate', 'communes candidates')} "
                          f"({fmt.plural(pop, 'habitant')}) pourraient compléter le périmètre ; elles ne sont pas "
                          "comptées dans les chiffres",
                  foot="Communes candidates : reconstitution à partir de sources publiques, non confirmée")


def _sources_slide(ctx):
    """The datasets the portrait uses, one line each (a list in two columns fits a projector where a
    table of long titles would not)."""
    atlas, p = ctx["atlas"], ctx["p"]
    items = [html.Li([html.Strong(r["publisher"]), f" – {r['title']}",
                      html.Span(f" ({', '.join(x for x in (str(r['vintage'] or ''), r['licence'] or '') if x)})",
                                className="atlas-muted"),
                      html.Strong(" – données fictives", className="rg-synthetic") if r["synthetic"] else None],
                     **{"data-source": r["id"]})
             for r in used_sources(atlas, p)]
    return _slide(ctx, "sources", "Sources", html.Ul(items, className="atlas-source-list", id="portrait-sources"),
                  html.P(["Définitions, formules et règles : ", dcc.Link("Méthodes et sources", href="/methodes")],
                         className="atlas-caption atlas-screen-only"),
                  message="D'où viennent les chiffres",
                  foot="Chiffres d'un territoire : rapports de sommes (jamais des moyennes de taux communaux)")


def build_deck(atlas, p: dict, indicator_id: str, year: int | None) -> list:
    """The slides of a portrait (``p`` from :func:`dashboard.exports.portrait_data.portrait`) with the
    map of ``indicator_id`` at ``year`` (None: its latest year for the territory)."""
    t = p["territory"]
    ctx = {"atlas": atlas, "p": p, "territory": t, "band": perimeter_summary(atlas, t, cite=False)}
    slides = [_territory_slide(ctx)]
    if not t.codes:
        return slides + [_sources_slide(ctx)]
    slides += [_focus_slide(ctx, indicator_id, year), _professionals_slide(ctx), _densities_slide(ctx),
               _small_multiples_slide(ctx), _apl_slide(ctx), _prevention_slide(ctx),
               *_evolution_slides(ctx, indicator_id), _candidates_slide(ctx), _sources_slide(ctx)]
    return [s for s in slides if s is not None]


_decks = LRU(64)


def cached_deck(atlas, territory_id: str, indicator_id: str, year: int | None) -> list:
    """:func:`build_deck` cached in the process per (territory, indicator, year, ``atlas.version``): the
    version changes with the build and with the user's files, so a cached deck is never stale."""
    key = (territory_id, indicator_id, year, atlas.version)
    return _decks.get(key, lambda: build_deck(atlas, cached_portrait(atlas, territory_id), indicator_id, year))


__all__ = ["build_deck", "cached_deck", "evolution_chart"]
