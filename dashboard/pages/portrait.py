"""Territory portrait: key figures, comparisons, charts; presentation mode (keyboard) and print.

The content is a deck of "slides" (``section.atlas-slide``), one message each. On screen they are
stacked; in presentation mode (key P or the button; arrows to move, Escape to leave, see
``assets/presentation.js``) one slide fills the screen in large type and high contrast.
"""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html

from atlas import fmt
from atlas.catalog import CATALOG, PREVENTION_IDS, indicator
from atlas.errors import AtlasError
from atlas.read import current
from dashboard.components.export_buttons import export_buttons, export_context_id
from dashboard.components.not_found import unknown_territory
from dashboard.components.perimeter_note import perimeter_summary
from dashboard.components.territory_picker import picker_id, territory_picker
from dashboard.exports.figures import (apl_distribution_figure, comparison_figure, professionals_figure,
                                       small_multiple_figure)
from dashboard.exports.map_export import presentation_map_figure
from dashboard.exports.portrait_data import (caption, density_ids, portrait, professionals_rows, reference_names,
                                             reference_text, value_text)
from dashboard.maps.view import default_territory

SYNTHETIC_TEXT = fmt.SYNTHETIC

dash.register_page(__name__, path="/portrait", name="Portrait", order=1, title="Portrait du territoire")

MAP_CHOICES = [*density_ids("liberal"), "apl_mg", "apl_mg_65", *density_ids("all"), "sans_mt_17", *PREVENTION_IDS]
GRAPH_CONFIG = {"displaylogo": False,
                "modeBarButtonsToRemove": ["select2d", "lasso2d"], "toImageButtonOptions": {"scale": 2}}


def layout(territoire: str | None = None, indicateur: str | None = None, **_query):
    atlas = current()
    territoire = territoire or default_territory(atlas)
    try:
        atlas.territory(territoire)
    except AtlasError:
        return unknown_territory(territoire)
    ind = indicateur if indicateur in CATALOG else "density_mg_liberal"
    return html.Div([
        html.Div([
            html.Div(territory_picker(atlas, territoire, "portrait"), className="col-md-4"),
            html.Div([dbc.Label("Indicateur de la carte", html_for="portrait-map-indicator", className="fw-semibold mb-1"),
                      dbc.Select(id="portrait-map-indicator", value=ind, size="sm",
                                 options=[{"label": CATALOG[i].label, "value": i} for i in MAP_CHOICES])],
                     className="col-md-4 mb-2"),
            html.Div([
                dbc.Button("Mode présentation (touche P)", id="portrait-present", color="primary", size="sm",
                           className="me-2", title="Plein écran, une idée par écran : flèches pour avancer, "
                                                   "Échap pour sortir"),
                export_buttons("portrait", context={"territory": territoire, "indicator": ind}),
            ], className="col-md-4 d-flex align-items-end flex-wrap gap-1 mb-2"),
        ], className="row portrait-toolbar d-print-none"),
        html.P("Présentation : touche P (ou le bouton), flèches ← → pour changer d'écran, Échap pour sortir.",
               className="small text-muted d-print-none mb-2"),
        dcc.Loading(html.Div(id="portrait-deck", className="atlas-deck"), type="default"),
    ], id="portrait-page")


def _flag(atlas):
    if not atlas.any_synthetic:
        return None
    return html.Div(f"⚠ {SYNTHETIC_TEXT} : une partie des chiffres est générée pour la démonstration.",
                    className="atlas-slide-flag")


def _slide(atlas, key, title, *children, message=None):
    return html.Section([
        _flag(atlas),
        html.H2(title, className="atlas-slide-title"),
        html.P(message, className="atlas-slide-message") if message else None,
        *children,
    ], className="atlas-slide", id=f"slide-{key}", **{"data-slide": key})


def _caption(text, synthetic=False):
    return html.P(text, className="atlas-caption" + (" atlas-caption-synthetic" if synthetic else ""))


def _page_map(atlas, t, indicator_id):
    """The map as the explorer shows it (classes, colours), with its legend inside the figure: the
    same figure as the PNG export, sized for the page."""
    fig = presentation_map_figure(atlas, t.id, indicator_id, width=1100, height=680, font_size=14)
    fig["layout"]["width"] = None        # follow the page's width
    return fig


def _graph(fig, gid, height=None):
    style = {"height": f"{height}px"} if height else None
    return dcc.Graph(figure=fig, id=gid, config=GRAPH_CONFIG, style=style, className="atlas-graph")


def _table(header, rows, cls="table table-sm table-striped atlas-table"):
    return html.Table([html.Thead(html.Tr([html.Th(h) for h in header])),
                       html.Tbody([html.Tr([html.Td(c) for c in r]) for r in rows])], className=cls)


def _kpi(label, value, detail=None):
    return html.Div([html.Div(value, className="atlas-kpi-value"), html.Div(label, className="atlas-kpi-label"),
                     html.Div(detail, className="atlas-kpi-detail") if detail else None],
                    className="atlas-kpi")


def _entry_rows(entries, ids):
    out = []
    for i in ids:
        e = entries.get(i)
        if e is None:
            continue
        out.append([e["label"], html.Strong(value_text(e)), reference_text(e, "departement"),
                    reference_text(e, "region"), reference_text(e, "france"), indicator(i).short_unit,
                    e["year"] or fmt.UNAVAILABLE, "oui" if e["synthetic"] else "non"])
    return out


REF_HEADER = ["Indicateur", "Territoire", "Département", "Région", "France", "Unité", "Année", "Fictif"]


def build_deck(atlas, territory_id: str, map_indicator: str = "density_mg_liberal"):
    p = portrait(atlas, territory_id)
    t, s, entries = p["territory"], p["summary"], p["entries"]
    names = reference_names(p)
    slides = []

    # 1. the territory
    warning = perimeter_summary(atlas, t)
    pop_entry = entries.get("population")
    kpis = [_kpi("communes", fmt.integer(s["communes"]),
                 f"publié : {fmt.integer(t.published_communes)}" if t.published_communes and not t.exact else None),
            _kpi("habitants (population municipale 2023)", fmt.integer(s["population"]),
                 f"publié : {fmt.integer(t.published_population)}"
                 + (f" ({t.published_scope})" if t.published_scope else "")
                 if t.published_population and not t.exact else None)]
    slides.append(_slide(
        atlas, "territoire", t.name,
        html.Div(kpis, className="atlas-kpis"),
        html.P(warning, className="atlas-perimeter-warning") if warning else None,
        html.Details([html.Summary("Justification du périmètre"), html.P(t.perimeter_note or fmt.UNAVAILABLE)],
                     className="small atlas-note"),
        _caption(caption(pop_entry), bool(pop_entry and pop_entry["synthetic"])),
        message=("Périmètre inconnu : aucune commune connue pour ce territoire ; les chiffres ne peuvent pas être "
                 "calculés." if not t.codes else
                 f"{fmt.plural(s['communes'], 'commune')} et {fmt.plural(s['population'], 'habitant')}"
                 + (f" (département de référence : {p['departement_name']})" if p['departement_name'] else ""))))
    if not t.codes:
        return slides

    # 2. professionals
    prof = p["professionals"]
    if prof is not None and not prof.empty:
        header, rows = professionals_rows(prof, entries)
        lib = int(prof.loc[prof["basis"] == "bpe", "count"].sum()) if "basis" in prof else 0
        slides.append(_slide(
            atlas, "professionnels", "Professionnels de santé",
            _graph(professionals_figure(atlas, prof), "portrait-prof-graph"),
            _table(header, rows),
            message=f"{fmt.plural(lib, 'professionnel libéral', 'professionnels libéraux')} et pharmacies (INSEE, BPE)"))
    else:
        slides.append(_slide(atlas, "professionnels", "Professionnels de santé",
                             message="Effectifs de professionnels indisponibles dans cette base."))

    # 3. densities against references
    lib_ids = [i for i in density_ids("liberal") if entries.get(i, {}).get("available")]
    all_ids = [i for i in density_ids("all") if entries.get(i, {}).get("available")]
    slides.append(_slide(
        atlas, "densites", "Densités pour 10 000 habitants",
        _graph(comparison_figure(atlas, [entries[i] for i in lib_ids], names, row_height=110),
               "portrait-density-graph") if lib_ids else None,
        _table(REF_HEADER, _entry_rows(entries, lib_ids + all_ids)),
        message="Professionnels libéraux pour 10 000 habitants, face au département, à la région et à la France"))

    # 4. APL
    apl = p["apl"]
    e = apl["entry"]
    apl_ind = indicator("apl_mg")
    if apl.get("communes"):
        msg = (f"APL {value_text(e)} ({e['year']}) ; {fmt.plural(apl['under_count'], 'commune')} sous le seuil "
               f"({fmt.threshold_text(apl_ind)}) : {fmt.plural(apl['under_population'], 'habitant')} "
               f"({fmt.percent(apl['under_share'])})")
    else:
        msg = f"APL {fmt.UNAVAILABLE} pour ce territoire" + (f" : {e['reason']}" if e.get("reason") else ".")
    slides.append(_slide(
        atlas, "apl", "Accessibilité aux médecins généralistes (APL)",
        html.Div([_kpi(f"APL du territoire ({apl_ind.short_unit})", value_text(e)),
                  _kpi(f"communes sous {fmt.threshold_value(apl_ind.thresholds[0])}", fmt.integer(apl["under_count"])),
                  _kpi("habitants dans ces communes", fmt.integer(apl["under_population"]),
                       f"{fmt.percent(apl['under_share'])} de la population" if apl["under_share"] is not None
                       else None)], className="atlas-kpis"),
        _graph(apl_distribution_figure(atlas, apl), "portrait-apl-graph"),
        _table(REF_HEADER, _entry_rows(entries, ["apl_mg", "apl_mg_65"])),
        message=msg))

    # 5. small multiple of maps
    slides.append(_slide(atlas, "cartes", "Densités de libéraux par profession, commune par commune",
                         _graph(small_multiple_figure(atlas, t, density_ids("liberal"),
                                                      title=f"Densités de libéraux — {t.name}"), "portrait-sm-graph"),
                         message="Une carte par profession : où sont les professionnels ?"))

    # 6. map of the chosen indicator (as the PNG export)
    me = entries.get(map_indicator)
    slides.append(_slide(atlas, "carte", CATALOG[map_indicator].label,
                         _graph(_page_map(atlas, t, map_indicator), "portrait-map-graph"),
                         message=f"Territoire : {value_text(me, with_unit=True)}" if me else None))

    # 7. access to a GP and prevention
    ids = [i for i in ("sans_mt_17", *PREVENTION_IDS) if entries.get(i, {}).get("available")]
    sm = entries.get("sans_mt_17")
    slides.append(_slide(
        atlas, "prevention", "Médecin traitant et prévention",
        _graph(comparison_figure(atlas, [entries[i] for i in ids], names, row_height=110),
               "portrait-prev-graph") if ids else html.P("Indicateurs CPAM non importés (page Import)."),
        _table(REF_HEADER, _entry_rows(entries, ["sans_mt_17", *PREVENTION_IDS])),
        message=(f"{value_text(sm, with_unit=True)} des patients de 17 ans et plus sans médecin traitant "
                 f"(département : {reference_text(sm, 'departement')})") if sm and sm["available"] else
        "Part des patients sans médecin traitant indisponible."))

    # 8. evolution
    if p["evolution"]:
        rows = []
        for ev in p["evolution"]:
            ind = indicator(ev["id"])
            a, b = ev["points"][0], ev["points"][-1]
            rows.append([ev["label"], *[f"{x['year']} : {value_text(x)}" for x in (a, b)],
                         fmt.change(a["value"], b["value"], ind), ind.short_unit])
        slides.append(_slide(atlas, "evolution", "Évolution", _table(["Indicateur", "Première année",
                                                                      "Dernière année", "Écart", "Unité"], rows),
                             message="Ce qui a changé entre les années disponibles (même périmètre, même règle)"))

    # 9. sources
    used = sorted({x for e in entries.values() for x in ([e["source_id"]] if isinstance(e["source_id"], str)
                                                         else (e["source_id"] or []))})
    src = [r for r in atlas.sources() if r["id"] in used]
    slides.append(_slide(
        atlas, "sources", "Sources",
        _table(["Éditeur", "Jeu de données", "Millésime", "Licence", "Fictif"],
               [[r["publisher"], r["title"], r["vintage"], r["licence"], "oui" if r["synthetic"] else "non"]
                for r in src]),
        html.P(["Définitions, formules et règles : ", html.A("Méthodes et sources", href="/methodes")],
               className="d-print-none"),
        message="D'où viennent les chiffres"))
    return slides


@callback(Output("portrait-deck", "children"), Output(export_context_id("portrait"), "data"),
          Input(picker_id("portrait"), "value"), Input("portrait-map-indicator", "value"))
def _render(territory_id, map_indicator):
    atlas = current()
    map_indicator = map_indicator if map_indicator in CATALOG else "density_mg_liberal"
    if not isinstance(territory_id, str) or not territory_id:
        return html.P("Choisissez un territoire."), {}
    try:
        deck = build_deck(atlas, territory_id, map_indicator)
    except AtlasError as exc:
        return dbc.Alert(f"Portrait impossible : {exc}", color="danger"), {}
    return deck, {"territory": territory_id, "indicator": map_indicator}
