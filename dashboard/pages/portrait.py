"""Territory portrait: key figures, comparisons, charts; presentation mode (keyboard) and print.

The content is a deck of "slides" (``section.atlas-slide``), one message each. On screen they are
stacked; in presentation mode (key P or the button; arrows to move, Escape to leave, see
``assets/presentation.js``) one slide fills the screen in large type and high contrast.
"""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html

from dashboard.components.atlas_export_buttons import export_buttons, export_context_id
from dashboard.data import get_store
from dashboard.exports.figures import (PROFESSION_TITLES, apl_distribution_figure, comparison_figure,
                                       professionals_figure, small_multiple_figure)
from dashboard.exports.map_export import presentation_map_figure
from dashboard.exports.portrait_data import (CONFIDENCE_LABELS, PREVENTION_IDS, SYNTHETIC_TEXT, caption, density_ids,
                                             fmt_number, fmt_reference, fmt_value, portrait, professionals_rows,
                                             reference_names, short_unit, sources_rows)
from atlas.catalog import CATALOG, PROFESSIONS

dash.register_page(__name__, path="/portrait", name="Portrait", order=1, title="Portrait du territoire")

MAP_CHOICES = ["apl_mg", "apl_mg_65", *[f"density_{p}" for p in PROFESSIONS],
               *[f"density_{p}_liberal" for p in PROFESSIONS], "sans_mt_17", *PREVENTION_IDS]
GRAPH_CONFIG = {"displaylogo": False,
                "modeBarButtonsToRemove": ["select2d", "lasso2d"], "toImageButtonOptions": {"scale": 2}}


def _selector(store, value):
    try:
        from dashboard.components.territory_selector import territory_selector
        return territory_selector(store, value=value, id="portrait-territory")
    except ImportError:  # helper component not there: minimal native select
        ts = store.territories()
        ids = [t.id for t in ts]
        return html.Div([dbc.Label("Territoire", html_for="portrait-territory"),
                         dbc.Select(id="portrait-territory", options=[{"label": t.name, "value": t.id} for t in ts],
                                    value=value if value in ids else (ids[0] if ids else None), size="sm")])


def layout(territoire: str | None = None, indicateur: str | None = None, **_query):
    store = get_store()
    if territoire is None:
        ts = [t for t in store.territories() if t.codes]
        territoire = ts[0].id if ts else None
    ind = indicateur if indicateur in CATALOG else "apl_mg"
    return html.Div([
        html.Div([
            html.Div(_selector(store, territoire), className="col-md-4"),
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


def _flag(store):
    if not store.any_synthetic:
        return None
    return html.Div(f"⚠ {SYNTHETIC_TEXT} : une partie des chiffres est générée pour la démonstration.",
                    className="atlas-slide-flag")


def _slide(store, key, title, *children, message=None):
    return html.Section([
        _flag(store),
        html.H2(title, className="atlas-slide-title"),
        html.P(message, className="atlas-slide-message") if message else None,
        *children,
    ], className="atlas-slide", id=f"slide-{key}", **{"data-slide": key})


def _caption(text, synthetic=False):
    return html.P(text, className="atlas-caption" + (" atlas-caption-synthetic" if synthetic else ""))


def _page_map(store, t, indicator_id):
    """The map as the explorer shows it (classes, colours), with its legend inside the figure: the
    same figure as the PNG export, sized for the page."""
    fig = presentation_map_figure(store, t.id, indicator_id, width=1100, height=680, font_size=14)
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
        out.append([e["label"], html.Strong(fmt_value(e)), fmt_reference(e, "departement"), fmt_reference(e, "region"),
                     fmt_reference(e, "france"), short_unit(i) or e["unit"], e["year"] or "—",
                     "oui" if e["synthetic"] else "non"])
    return out


REF_HEADER = ["Indicateur", "Territoire", "Département", "Région", "France", "Unité", "Année", "Fictif"]


def build_deck(store, territory_id: str, map_indicator: str = "apl_mg"):
    p = portrait(store, territory_id)
    t, s, entries = p["territory"], p["summary"], p["entries"]
    names = reference_names(p)
    slides = []

    # 1. the territory
    pub = None
    if t.published_population or t.published_communes:
        pub = (f"Chiffres publiés : {t.published_communes or '?'} communes, "
               f"{fmt_number(t.published_population, 0) if t.published_population else '?'} habitants "
               f"({t.published_as_of or 'date inconnue'} ; {t.published_source or 'source non précisée'})")
    pop_entry = entries.get("population")
    kpis = [_kpi("communes", fmt_number(s["communes"], 0),
                 f"publié : {t.published_communes}" if t.published_communes and t.confidence != "high" else None),
            _kpi("habitants (population municipale)", fmt_number(s["population"], 0),
                 f"publié : {fmt_number(t.published_population, 0)}" if t.published_population and
                 t.confidence != "high" else None)]
    slides.append(_slide(
        store, "territoire", t.name,
        html.Div(kpis, className="atlas-kpis"),
        html.P([dbc.Badge(CONFIDENCE_LABELS.get(t.confidence, t.confidence), color="warning" if t.confidence in
                          ("low", "superset", "unknown") else "success", className="me-2 atlas-badge"),
                pub or ""], className="atlas-published"),
        html.Details([html.Summary("Justification du périmètre"), html.P(t.perimeter_note or "—")],
                     className="small atlas-note"),
        _caption(caption(pop_entry), bool(pop_entry and pop_entry["synthetic"])),
        message=("Périmètre inconnu : aucune commune connue pour ce territoire ; les chiffres ne peuvent pas être "
                 "calculés." if not t.codes else
                 f"{s['communes']} communes et {fmt_number(s['population'], 0)} habitants"
                 + (f" (département de référence : {p['departement_name']})" if p['departement_name'] else ""))))
    if not t.codes:
        return slides

    # 2. professionals
    prof = p["professionals"]
    if prof is not None and not prof.empty:
        header, rows = professionals_rows(prof, entries, PROFESSION_TITLES)
        total = int(prof.loc[prof["mode"] == "all", "count"].sum())
        lib = int(prof.loc[prof["mode"] == "liberal", "count"].sum())
        slides.append(_slide(
            store, "professionnels", "Professionnels de santé",
            _graph(professionals_figure(store, prof), "portrait-prof-graph"),
            _table(header, rows),
            message=f"{fmt_number(total, 0)} professionnels des six professions, dont {fmt_number(lib, 0)} libéraux"))
    else:
        slides.append(_slide(store, "professionnels", "Professionnels de santé",
                             message="Effectifs de professionnels indisponibles dans cette base."))

    # 3. densities against references
    lib_ids = [i for i in density_ids("liberal") if entries.get(i, {}).get("available")]
    all_ids = density_ids("all")
    slides.append(_slide(
        store, "densites", "Densités pour 10 000 habitants",
        _graph(comparison_figure(store, [entries[i] for i in lib_ids], names, row_height=110),
               "portrait-density-graph") if lib_ids else None,
        _table(REF_HEADER, _entry_rows(entries, all_ids + lib_ids)),
        message="Professionnels libéraux pour 10 000 habitants, face au département, à la région et à la France"))

    # 4. APL
    apl = p["apl"]
    e = apl["entry"]
    if apl.get("communes"):
        msg = (f"APL {fmt_value(e)} ({e['year']}) ; {apl['under_count']} commune(s) sous le seuil de 2,5 : "
               f"{fmt_number(apl['under_population'], 0)} habitants ({fmt_number(apl['under_share'], 1)} %)")
    else:
        msg = "APL indisponible pour ce territoire."
    slides.append(_slide(
        store, "apl", "Accessibilité aux médecins généralistes (APL)",
        html.Div([_kpi("APL du territoire (consultations / hab. standardisé / an)", fmt_value(e)),
                  _kpi("communes sous 2,5", fmt_number(apl["under_count"], 0)),
                  _kpi("habitants dans ces communes", fmt_number(apl["under_population"], 0),
                       f"{fmt_number(apl['under_share'], 1)} % de la population" if apl["under_share"] is not None
                       else None)], className="atlas-kpis"),
        _graph(apl_distribution_figure(store, apl), "portrait-apl-graph"),
        _table(REF_HEADER, _entry_rows(entries, ["apl_mg", "apl_mg_65"])),
        message=msg))

    # 5. small multiple of maps
    slides.append(_slide(store, "cartes", "Densités par profession, commune par commune",
                         _graph(small_multiple_figure(store, t, "all"), "portrait-sm-graph"),
                         message="Une carte par profession : où sont les professionnels ?"))

    # 6. map of the chosen indicator (as the PNG export)
    me = entries.get(map_indicator)
    slides.append(_slide(store, "carte", CATALOG[map_indicator].label,
                         _graph(_page_map(store, t, map_indicator), "portrait-map-graph"),
                         message=f"Territoire : {fmt_value(me, with_unit=True)}" if me else None))

    # 7. access to a GP and prevention
    ids = [i for i in ("sans_mt_17", *PREVENTION_IDS) if entries.get(i, {}).get("available")]
    sm = entries.get("sans_mt_17")
    slides.append(_slide(
        store, "prevention", "Médecin traitant et prévention",
        _graph(comparison_figure(store, [entries[i] for i in ids], names, row_height=110),
               "portrait-prev-graph") if ids else html.P("Indicateurs CPAM non importés (page Import)."),
        _table(REF_HEADER, _entry_rows(entries, ["sans_mt_17", *PREVENTION_IDS])),
        message=(f"{fmt_value(sm)} % des patients de 17 ans et plus sans médecin traitant "
                 f"(département : {fmt_reference(sm, 'departement')} %)") if sm and sm["available"] else
        "Part des patients sans médecin traitant indisponible."))

    # 8. evolution
    if p["evolution"]:
        rows = []
        for ev in p["evolution"]:
            pts = ev["points"]
            a, b = pts[0], pts[-1]
            diff = (b["value"] - a["value"]) if (a["value"] is not None and b["value"] is not None) else None
            rows.append([ev["label"], *[f"{x['year']} : {fmt_value(x)}" for x in (a, b)],
                         (("+" if diff >= 0 else "") + fmt_number(diff, 2)) if diff is not None else "—",
                         short_unit(ev["id"]) or ev["unit"]])
        slides.append(_slide(store, "evolution", "Évolution", _table(["Indicateur", "Première année",
                                                                      "Dernière année", "Écart", "Unité"], rows),
                             message="Ce qui a changé entre les années disponibles (même périmètre, même règle)"))

    # 9. sources
    used = sorted({x for e in entries.values() for x in ([e["source_id"]] if isinstance(e["source_id"], str)
                                                         else (e["source_id"] or []))})
    src = [r for r in sources_rows(store) if r["id"] in used]
    slides.append(_slide(
        store, "sources", "Sources",
        _table(["Éditeur", "Jeu de données", "Millésime", "Licence", "Fictif"],
               [[r["publisher"], r["title"], r["vintage"], r["licence"], "oui" if r["synthetic"] else "non"]
                for r in src]),
        html.P(["Définitions, formules et règles : ", html.A("Méthodes et sources", href="/methodes")],
               className="d-print-none"),
        message="D'où viennent les chiffres"))
    return slides


@callback(Output("portrait-deck", "children"), Output(export_context_id("portrait"), "data"),
          Input("portrait-territory", "value"), Input("portrait-map-indicator", "value"))
def _render(territory_id, map_indicator):
    store = get_store()
    map_indicator = map_indicator if map_indicator in CATALOG else "apl_mg"
    if not territory_id:
        return html.P("Choisissez un territoire."), {}
    try:
        deck = build_deck(store, territory_id, map_indicator)
    except Exception as exc:  # noqa: BLE001 - e.g. a territory deleted meanwhile
        return dbc.Alert(f"Portrait impossible : {exc}", color="danger"), {}
    return deck, {"territory": territory_id, "indicator": map_indicator}
