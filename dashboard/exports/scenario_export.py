"""Exports of a Simulation (``/simulation?…``): the scenario's communes as CSV, its map as PNG, and
a one-page PDF (changes, territory before and after, population below the threshold, map) —
the same figures as the page (:func:`dashboard.maps.scenario.scenario_view`)."""
from __future__ import annotations

import csv
import datetime as dt
import io
from urllib.parse import parse_qs

from atlas import fmt
from atlas.catalog import access_id, indicator

from ..maps.scenario import changes_of, scenario_view
from ..maps.view import view_codes
from ..state import ScenarioState, parse_scenario
from .csv_export import DIALECTS, _header_line, neutralise

SCENARIO_COLUMNS = ["code_commune", "commune", "avant", "apres", "ecart", "poids_population", "unite"]


def state_of(search: str) -> ScenarioState:
    return parse_scenario(parse_qs(str(search or "").lstrip("?")))


def _view(atlas, state: ScenarioState):
    t = atlas.territory(state.territory)
    area_id, codes = view_codes(atlas, t, state.extent)
    return t, area_id, codes, scenario_view(atlas, t, codes, state.profession, changes_of(state))


def scenario_csv(atlas, state: ScenarioState, dialect: str = "csv") -> str:
    sep, number = DIALECTS[dialect]
    t, _, _, sv = _view(atlas, state)
    ind = indicator(access_id(state.profession))
    r = sv.report or {"communes": [], "territory": {"before": None, "after": None},
                      "population_below_threshold": {"threshold": None, "before": None, "after": None}}
    out = io.StringIO()
    h = lambda text: out.write(_header_line(text, sep))  # noqa: E731
    h("Atlas de l'accès aux soins des CPTS - simulation de l'offre")
    h(f"Territoire : {t.name} ({t.id}) ; accessibilité calculée : {ind.label} ({ind.unit})")
    h("Changements : " + (", ".join(f"{atlas.communes.name(c)} ({c}) {'+' if d > 0 else ''}{fmt.number(d, 0)}"
                                    for c, d, _ in state.changes) or "aucun"))
    h(f"Territoire avant : {fmt.value(r['territory']['before'], ind)} ; après : {fmt.value(r['territory']['after'], ind)}")
    below = r["population_below_threshold"]
    if below["threshold"] is not None:
        h(f"Habitants sous le seuil ({fmt.threshold_text(ind)}) avant : {fmt.integer(below['before'])} ; "
          f"après : {fmt.integer(below['after'])}")
    h(f"Méthode : {ind.description}")
    h(f"Exporté le {fmt.date(dt.date.today().isoformat())}, base {atlas.build_id} ; lien : /simulation{state.search()}")
    w = csv.writer(out, delimiter=sep, lineterminator="\n")
    w.writerow(SCENARIO_COLUMNS)
    for c in r["communes"]:
        w.writerow([neutralise(v) for v in (c["code"], c["nom"], number(c["before"]), number(c["after"]),
                                            number(c["after"] - c["before"]), number(c["population_weight"]),
                                            ind.unit)])
    return out.getvalue()


def scenario_png(atlas, state: ScenarioState) -> bytes:
    from .map_export import presentation_map_figure
    from .png_export import PNG_HEIGHT, PNG_WIDTH
    from .render import render_png
    t, _, _, sv = _view(atlas, state)
    layer = sv.layer(state.view)
    fig = presentation_map_figure(atlas, t.id, layer.indicator_id, extent=state.extent, width=PNG_WIDTH,
                                  height=PNG_HEIGHT, layer_for=lambda codes: layer)
    return render_png([(fig, PNG_WIDTH, PNG_HEIGHT, 1)])[0]


def scenario_pdf(atlas, state: ScenarioState) -> bytes:
    from ..components.svg_map import indicator_map_svg
    from .pdf_export import PortraitPDF
    t, _, codes, sv = _view(atlas, state)
    ind = indicator(access_id(state.profession))
    layer = sv.layer(state.view)
    pdf = PortraitPDF(f"Simulation - {t.name}", bool(atlas.any_synthetic),
                      f"Atlas de l'accès aux soins des CPTS · simulation · {t.name} · "
                      f"{fmt.date(dt.date.today().isoformat())} · base {atlas.build_id}")
    pdf.add_page()
    pdf.h1(f"Simulation : {t.name}")
    pdf.para(f"{ind.label} ({ind.unit}).", 9, (60, 60, 60))
    r = sv.report
    lines = [f"{atlas.communes.name(c)} ({c}) : {'+' if d > 0 else ''}{fmt.number(d, 0)}" for c, d, _ in state.changes]
    pdf.para("Changements : " + ("; ".join(lines) if lines else "aucun"), 10)
    if r:
        pdf.para(f"Territoire : {fmt.value(r['territory']['before'], ind)} avant, "
                 f"{fmt.value(r['territory']['after'], ind)} après "
                 f"({fmt.change(r['territory']['before'], r['territory']['after'], ind)}).", 11, bold=True)
        below = r["population_below_threshold"]
        if below["threshold"] is not None:
            pdf.para(f"Habitants des communes sous le seuil ({fmt.threshold_text(ind)}) : "
                     f"{fmt.integer(below['before'])} avant, {fmt.integer(below['after'])} après.", 10)
    area = atlas.geometry.area(codes)
    y = pdf.get_y() + 2
    pdf.svg(indicator_map_svg(atlas, area, layer, outline=atlas.geometry.outline(t.codes) if t.codes else None,
                              label=layer.legend["title"], width=640, height=510), pdf.l_margin, y, 108, 86)
    yy = pdf.legend(layer.legend, pdf.l_margin + 112, y, pdf.epw - 112)
    pdf.set_y(max(y + 88, yy) + 2)
    if r and r["communes"]:
        pdf.table_rows(["Commune", "Avant", "Après"], [[c["nom"], fmt.value(c["before"], ind), fmt.value(c["after"], ind)]
                                                        for c in r["communes"][:15]], (90, 46, 46), 8)
    pdf.para(f"Méthode : {ind.description}", 8, (90, 90, 90))
    return bytes(pdf.output())


def scenario_bytes(atlas, search: str, fmt_: str) -> tuple[bytes, str]:
    """(content, file name stem) of a scenario export."""
    state = state_of(search)
    stem = f"simulation-{state.territory}-{state.profession}"
    if fmt_ in ("csv", "csv-intl"):
        return scenario_csv(atlas, state, fmt_).encode("utf-8-sig"), stem
    if fmt_ == "png":
        return scenario_png(atlas, state), stem
    if fmt_ == "pdf":
        return scenario_pdf(atlas, state), stem
    raise ValueError(f"format inconnu : {fmt_}")
