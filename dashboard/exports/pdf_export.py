"""PDF portrait of a territory, produced offline with fpdf2 (DejaVu Sans embedded, accents included).

The maps and charts are the page's server-made SVG (:mod:`dashboard.components.svg_map`,
:mod:`dashboard.components.svg_chart`), drawn by fpdf2 as vector paths: no Chromium, no kaleido.
Measured with ``bench/bench_portrait.py``: the PDF of Aunis Sud went from 15–19 s (kaleido rendering
four Plotly figures in Chromium) to well under a second, and it is sharp at any zoom.

Content flows from page to page (a block moves to the next page only when it does not fit), so no
page is left mostly blank:
  1. title, size against the published figures, and the perimeter warning in readable type;
  2. the map of the chosen indicator and year, its legend, the territory against its references;
  3. key figures against département, région, France (and the EPCI of a one-commune territory);
     the figures published about the CPTS, in French; professionals; APL;
  4. one small map per profession (territories of several communes);
  5. the time series; the candidate communes; sources and rules.
A territory without known communes gets a short PDF: the warning, what to do, the published figures
and the sources. The synthetic flag is printed on every page while any demo source is loaded.
"""
from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace

from atlas import fmt
from atlas.catalog import PREVENTION_IDS, PROFESSION_TITLES, SECRET_THRESHOLD, indicator

from ..components.perimeter_note import CONFIDENCE_LABELS, perimeter_summary
from ..components.portrait_deck import evolution_chart
from ..components.svg_map import CANDIDATE_FILL, MEMBER_FILL, indicator_map_svg, map_svg
from ..maps.layer import build_layer
from ..published import figure_rows, perimeter_explanation
from .portrait_data import (cached_portrait, comparison_levels, density_ids, population_line, professionals_rows,
                            reference_names, used_sources, value_text)

SYNTHETIC_TEXT = fmt.SYNTHETIC
TITLE_RE = re.compile(r"<title>.*?</title>", re.S)
FONT_DIRS = [Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"),
             Path("/usr/local/share/fonts")]
WARNING_FILL = (255, 224, 138)
WARNING_EDGE = (179, 88, 6)
BLUE = (11, 61, 145)
LEVEL_HEAD = {"territoire": "Territoire", "epci": "EPCI", "departement": "Départ.", "region": "Région",
              "france": "France"}


def _font_paths() -> tuple[Path, Path] | None:
    for d in FONT_DIRS:
        regular, bold = d / "DejaVuSans.ttf", d / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            return regular, bold
    try:  # matplotlib ships DejaVu, if it happens to be installed
        import matplotlib
        d = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
        if (d / "DejaVuSans.ttf").is_file():
            return d / "DejaVuSans.ttf", d / "DejaVuSans-Bold.ttf"
    except ImportError:
        pass
    return None


def _rgb(hex_color: str) -> tuple[int, int, int]:
    h = hex_color.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


class PortraitPDF(FPDF):
    def __init__(self, title: str, synthetic: bool, footer_note: str):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.doc_title = title
        self.synthetic = synthetic
        self.footer_note = footer_note
        fonts = _font_paths()
        if fonts is None:
            raise RuntimeError("police DejaVu Sans introuvable (paquet Debian fonts-dejavu-core)")
        # "DejaVu" is also the first family of the SVG text (svg_map.FONT_FAMILY): fpdf2 draws it with this font
        self.add_font("DejaVu", "", str(fonts[0]))
        self.add_font("DejaVu", "B", str(fonts[1]))
        self.set_font("DejaVu", size=10)
        self.set_auto_page_break(True, margin=18)
        self.set_margins(14, 20, 14)
        self.set_title(title)
        self.set_author("Atlas de l'accès aux soins des CPTS")
        self.set_creator("dashboard.export (fpdf2)")

    def header(self):
        self.set_y(6)
        if self.synthetic:
            self.set_fill_color(176, 0, 32)
            self.set_text_color(255, 255, 255)
            self.set_font("DejaVu", "B", 9)
            self.cell(0, 6, f"{SYNTHETIC_TEXT} - une partie des chiffres est générée pour la démonstration",
                      align="C", fill=True, new_x="LMARGIN", new_y="NEXT")
        else:
            self.set_font("DejaVu", "", 8)
            self.set_text_color(70, 70, 70)
            self.cell(0, 6, self.doc_title, align="R", new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0, 0, 0)
        self.set_y(max(self.get_y() + 3, 20))
        self.set_font("DejaVu", "", 10)

    def footer(self):
        self.set_y(-16)
        self.set_font("DejaVu", "", 7.5)
        self.set_text_color(70, 70, 70)
        flag = f" · {SYNTHETIC_TEXT}" if self.synthetic else ""
        self.multi_cell(0, 3.6, f"{self.footer_note}{flag} · page {self.page_no()}/{{nb}}", align="C")
        self.set_text_color(0, 0, 0)

    # -- blocks -------------------------------------------------------------------------------------
    def room(self) -> float:
        return self.page_break_trigger - self.get_y()

    def ensure(self, height: float) -> None:
        """Start a new page unless ``height`` mm fit on this one."""
        if self.room() < height:
            self.add_page()

    def h1(self, text):
        self.set_font("DejaVu", "B", 17)
        self.set_text_color(*BLUE)
        self.multi_cell(0, 8, text, align="L", new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0, 0, 0)
        self.set_font("DejaVu", "", 10)
        self.ln(1)

    def h2(self, text, need: float = 30):
        self.ensure(need)
        self.ln(2)
        self.set_font("DejaVu", "B", 12.5)
        self.set_text_color(*BLUE)
        self.multi_cell(0, 6.5, text, align="L", new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0, 0, 0)
        self.set_font("DejaVu", "", 10)
        self.ln(0.5)

    def para(self, text, size=10, color=(0, 0, 0), bold=False, w=0):
        self.set_font("DejaVu", "B" if bold else "", size)
        self.set_text_color(*color)
        self.multi_cell(w, size * 0.48, text, align="L", new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0, 0, 0)
        self.set_font("DejaVu", "", 10)

    def warning(self, text: str):
        """The perimeter warning: dark bold text on amber, a thick orange edge (readable when printed)."""
        self.set_font("DejaVu", "B", 11)
        lines = self.multi_cell(self.epw - 4, 5.4, text, dry_run=True, output="LINES")
        h = len(lines) * 5.4 + 4
        self.ensure(h + 2)
        x, y = self.l_margin, self.get_y()
        self.set_fill_color(*WARNING_FILL)
        self.rect(x, y, self.epw, h, style="F")
        self.set_fill_color(*WARNING_EDGE)
        self.rect(x, y, 1.6, h, style="F")
        self.set_xy(x + 3.5, y + 2)
        self.multi_cell(self.epw - 5, 5.4, text, align="L")
        self.set_y(y + h + 2)
        self.set_font("DejaVu", "", 10)
        self.set_fill_color(255, 255, 255)

    def table_rows(self, header, rows, widths, size=8.5, bold_col: int | None = None):
        self.set_font("DejaVu", "", size)
        head = FontFace(emphasis="BOLD", fill_color=(226, 232, 244))
        with self.table(col_widths=widths, headings_style=head, line_height=size * 0.5,
                        text_align="LEFT", first_row_as_headings=True) as table:
            r = table.row()
            for h in header:
                r.cell(str(h))
            for row in rows:
                r = table.row()
                for k, v in enumerate(row):
                    r.cell("" if v is None else str(v),
                           style=FontFace(emphasis="BOLD") if bold_col is not None and k == bold_col else None)
        self.set_font("DejaVu", "", 10)
        self.ln(1.5)

    def svg(self, svg: str, x: float, y: float, w: float, h: float) -> None:
        """Draw the page's SVG as vector paths (hover texts, ``<title>``, have no meaning on paper)."""
        self.image(io.BytesIO(TITLE_RE.sub("", svg).encode("utf-8")), x=x, y=y, w=w, h=h)

    def legend(self, spec: dict, x: float, y: float, w: float) -> float:
        """The explorer's legend (title, unit, one swatch per class with its number of communes, named
        thresholds, source), drawn at (x, y); returns the y below it."""
        self.set_xy(x, y)
        self.set_font("DejaVu", "B", 9)
        self.multi_cell(w, 4.2, spec["title"], new_x="LEFT", new_y="NEXT")
        self.set_font("DejaVu", "", 8)
        self.set_text_color(60, 60, 60)
        unit = spec["unit"] + (f" – {spec['period']}" if spec.get("period") else "")
        self.multi_cell(w, 3.8, unit, new_x="LEFT", new_y="NEXT")
        self.set_text_color(0, 0, 0)
        if not spec.get("available"):
            self.multi_cell(w, 3.8, fmt.UNAVAILABLE + (f" : {spec['reason']}" if spec.get("reason") else ""),
                            new_x="LEFT", new_y="NEXT")
            return self.get_y()
        self.ln(1)
        for e in spec["entries"]:
            yy = self.get_y()
            self.set_fill_color(*_rgb(e["color"]))
            self.set_draw_color(150, 150, 150)
            self.rect(x, yy + 0.4, 6, 3.4, style="DF")
            self.set_xy(x + 8, yy)
            self.multi_cell(w - 8, 4.2, f"{e['label']} ({fmt.integer(e['count'])})", new_x="LEFT", new_y="NEXT")
            self.set_x(x)
        for t in spec.get("thresholds") or []:
            self.set_text_color(122, 0, 25)
            self.multi_cell(w, 3.8, t[0].upper() + t[1:], new_x="LEFT", new_y="NEXT")
        self.set_text_color(60, 60, 60)
        notes = " ".join(n if n.endswith(".") else n + "." for n in (spec.get("method_note"), spec.get("direction_note"))
                         if n)
        if notes:
            self.multi_cell(w, 3.6, notes, new_x="LEFT", new_y="NEXT")
        if spec.get("source"):
            self.multi_cell(w, 3.6, f"Source : {spec['source']}" + (" (données fictives)" if spec.get("synthetic")
                                                                    else ""), new_x="LEFT", new_y="NEXT")
        self.set_text_color(0, 0, 0)
        self.set_fill_color(255, 255, 255)
        self.set_draw_color(0, 0, 0)
        return self.get_y()


def _levels(p: dict) -> list[str]:
    return ["territoire", *(["epci"] if p.get("context") is not None else []), "departement", "region", "france"]


def _key_rows(p: dict, ids: list[str]) -> list[list]:
    rows = []
    for i in ids:
        e = p["entries"].get(i)
        if e is None:
            continue
        ind = indicator(i)
        vals = {k: v for k, _n, v in comparison_levels(p, i)}
        cells = [fmt.entry(e, ind) if k == "territoire" else fmt.value(vals.get(k), ind) for k in _levels(p)]
        rows.append([e["label"], *cells, ind.short_unit, e["year"] or fmt.UNAVAILABLE, "oui" if e["synthetic"] else "non"])
    return rows


def _empty_territory(pdf: PortraitPDF, atlas, t) -> None:
    pdf.h2("Que faire ?", need=20)
    lines = [f"Définir son périmètre dans l'éditeur de territoires de l'atlas (page Éditeur, territoire « {t.id} »)."]
    if t.departement:
        dep = atlas.communes.departement_name(t.departement) or t.departement
        epcis = [e.name for e in atlas.territories("epci") if e.departement == t.departement]
        lines.append(f"Partir du département ({dep}, territoire « dep-{t.departement} ») ou d'un de ses EPCI : "
                     + ", ".join(epcis) + ".")
    for line in lines:
        pdf.para(f"• {line}", 9.5)


def _map_section(pdf: PortraitPDF, atlas, p: dict, map_indicator: str, year: int | None) -> None:
    t = p["territory"]
    ind = indicator(map_indicator)
    e = atlas.entry(map_indicator, t, year=year)
    codes = p["context"].codes if p.get("context") is not None else t.codes
    area = atlas.geometry.area(codes)
    layer = build_layer(atlas, ind.id, area.codes, e["year"], focus=t.codes)
    outline = atlas.geometry.outline(t.codes)
    title = f"{ind.label}" + (f" ({e['year']})" if e["year"] else "")
    pdf.h2(f"Carte : {title}", need=100)
    pdf.para(f"{t.name} : {value_text(e, with_unit=True)}" if (e["available"] or e["secret"]) else
             f"{fmt.UNAVAILABLE}" + (f" ({e['reason']})" if e.get("reason") else ""), 10, bold=True)
    y = pdf.get_y() + 1
    map_w, map_h = 108, 86
    pdf.svg(indicator_map_svg(atlas, area, layer, outline=outline, label=title, width=640, height=510),
            pdf.l_margin, y, map_w, map_h)
    x = pdf.l_margin + map_w + 4
    w = pdf.epw - map_w - 4
    yy = pdf.legend(layer.legend, x, y, w)
    pdf.set_xy(x, yy + 2)
    pdf.set_font("DejaVu", "", 8.5)
    names = reference_names(p)
    rows = [("territoire", e["value"])]
    if p.get("context") is not None:
        rows.append(("epci", atlas.entry(ind.id, p["context"], year=e["year"])["value"]))
    rows += [(lvl, e["reference"][lvl]) for lvl in ("departement", "region", "france")]
    for lvl, v in rows:
        text = fmt.entry(e, ind) if lvl == "territoire" else fmt.value(v, ind)
        pdf.set_x(x)
        pdf.set_font("DejaVu", "B" if lvl == "territoire" else "", 8.5)
        pdf.cell(w * 0.7, 4.4, names.get(lvl, lvl))
        pdf.cell(w * 0.3, 4.4, text, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(max(y + map_h, pdf.get_y()) + 2)
    if p.get("context") is not None:
        pdf.para(f"La commune est entourée d'un trait noir, parmi les communes de son EPCI ({p['context'].name}).",
                 8, (60, 60, 60))


def _small_multiples(pdf: PortraitPDF, atlas, p: dict) -> None:
    t = p["territory"]
    ids = [i for i in density_ids("liberal") if p["entries"].get(i, {}).get("available")]
    if len(t.codes) < 2 or not ids:
        return
    area = atlas.geometry.area(t.codes)
    cols, cell_w, map_h = 3, (pdf.epw - 8) / 3, 42
    rows_n = (len(ids) + cols - 1) // cols
    pdf.h2("Densités de libéraux par profession, commune par commune", need=14 + rows_n * (map_h + 12))
    pdf.para("Pour 10 000 habitants ; classes propres à chaque carte, plus foncé : plus de professionnels.", 8.5,
             (60, 60, 60))
    y0 = pdf.get_y() + 1
    for k, iid in enumerate(ids):
        ind = indicator(iid)
        e = p["entries"][iid]
        layer = build_layer(atlas, iid, area.codes, e["year"], focus=t.codes)
        x = pdf.l_margin + (k % cols) * (cell_w + 4)
        y = y0 + (k // cols) * (map_h + 12)
        pdf.set_xy(x, y)
        pdf.set_font("DejaVu", "B", 8.5)
        pdf.cell(cell_w, 4.5, f"{PROFESSION_TITLES.get(ind.profession, ind.label)} : {fmt.entry(e, ind)}")
        pdf.svg(indicator_map_svg(atlas, area, layer, label=ind.label, width=360, height=270), x, y + 5, cell_w,
                map_h)
        ok = layer.values[layer.status == "ok"]
        if len(ok):
            pdf.set_xy(x, y + 5 + map_h)
            pdf.set_font("DejaVu", "", 7.5)
            pdf.cell(cell_w, 3.5, f"de {fmt.value(ok.min(), ind)} (clair) à {fmt.value(ok.max(), ind)} (foncé)")
    pdf.set_y(y0 + rows_n * (map_h + 12))
    pdf.set_font("DejaVu", "", 10)


def _time_series(pdf: PortraitPDF, p: dict) -> None:
    evs = p["evolution"]
    if not evs:
        return
    cell_w = (pdf.epw - 6) / 2
    chart_h = cell_w * 330 / 640
    pdf.h2("Évolution entre les années disponibles", need=chart_h + 22)
    pdf.para("Même périmètre et même règle de calcul chaque année ; le territoire en trait épais, les références "
             "en gris (département en tirets, région en pointillés, France en trait fin).", 8.5, (60, 60, 60))
    for k in range(0, len(evs), 2):
        pdf.ensure(chart_h + 12)
        y = pdf.get_y() + 1
        for j, ev in enumerate(evs[k:k + 2]):
            x = pdf.l_margin + j * (cell_w + 6)
            pdf.set_xy(x, y)
            pdf.set_font("DejaVu", "B", 8.5)
            pdf.multi_cell(cell_w, 4, f"{ev['label']} ({ev['years'][0]} → {ev['years'][-1]})"
                           + (" – données fictives" if ev["synthetic"] else ""), new_x="LEFT", new_y="NEXT")
            pdf.svg(evolution_chart(ev, p), x, y + 9, cell_w, chart_h)
            pdf.set_xy(x, y + 9 + chart_h)
            pdf.set_font("DejaVu", "", 7)
            pdf.multi_cell(cell_w, 3.2, "Source : " + "; ".join(ev["sources"]) if ev["sources"] else "")
        pdf.set_y(y + 9 + chart_h + 8)
    pdf.set_font("DejaVu", "", 10)


def _candidates(pdf: PortraitPDF, atlas, t) -> None:
    if not t.candidates:
        return
    pdf.h2(f"Communes candidates ({len(t.candidates)}), non comptées", need=80)
    area = atlas.geometry.area(list(t.codes) + list(t.candidates))
    fills = {c: MEMBER_FILL for c in t.codes} | {c: CANDIDATE_FILL for c in t.candidates}
    y = pdf.get_y() + 1
    pdf.svg(map_svg(area, fills, outline=atlas.geometry.outline(t.codes), dashed=t.candidates,
                    label="Communes candidates", width=600, height=480), pdf.l_margin, y, 80, 64)
    x, w = pdf.l_margin + 84, pdf.epw - 84
    names = atlas.communes.table["nom"]
    pdf.set_xy(x, y)
    pdf.para("En bleu : les communes retenues ; en orange, bordure en tirets : les communes candidates.", 8.5,
             w=w)
    pdf.set_x(x)
    pdf.para(", ".join(f"{names.get(c, c)} ({c})" for c in sorted(t.candidates)), 8.5, w=w)
    pdf.set_y(max(y + 66, pdf.get_y() + 2))


def _sources(pdf: PortraitPDF, atlas, p: dict) -> None:
    pdf.h2("Sources et méthodes", need=50)
    rows = [[r["publisher"], r["title"], r["vintage"], r["licence"], r["retrieved_at"] or "",
             "oui" if r["synthetic"] else "non"] for r in used_sources(atlas, p)]
    pdf.table_rows(["Éditeur", "Jeu de données", "Millésime", "Licence", "Récupéré", "Fictif"], rows,
                   (36, 62, 26, 24, 20, 14), 7)
    pdf.ensure(24)
    pdf.para("Les chiffres d'un territoire sont des rapports de sommes, jamais des moyennes de taux communaux : "
             "densité = Σ professionnels / Σ population × 10 000 ; parts = Σ numérateurs / Σ dénominateurs × 100 ; "
             "APL = Σ (APL × population standardisée) / Σ population standardisée. Les références (EPCI, département, "
             f"région, France) suivent la même règle. {fmt.threshold_text(indicator('apl_mg')).capitalize()}. "
             f"Valeurs « {fmt.SECRET} » : dénominateur agrégé inférieur à {SECRET_THRESHOLD} (jamais 0).", 8)


def territory_pdf(atlas, territory_id: str, year: int | None = None, map_indicator: str = "density_mg_liberal") -> bytes:
    """The portrait of ``territory_id`` as PDF bytes; ``map_indicator`` and ``year`` choose its map (as
    on the page: the other figures at their own latest year)."""
    indicator(map_indicator)
    p = cached_portrait(atlas, territory_id)
    t, entries = p["territory"], p["entries"]
    synthetic = bool(atlas.any_synthetic)
    today = fmt.date(dt.date.today().isoformat())
    pdf = PortraitPDF(f"Portrait du territoire - {t.name}", synthetic,
                      f"Atlas de l'accès aux soins des CPTS · {t.name} · édité le {today} · base {atlas.build_id}")
    pdf.add_page()
    pdf.h1(f"Portrait du territoire : {t.name}")
    if t.codes:
        pdf.para(population_line(p), 11, bold=True)
    pdf.para(f"Périmètre : {CONFIDENCE_LABELS.get(t.confidence, t.confidence)}. "
             f"Département de référence : {p['departement_name'] or fmt.UNAVAILABLE} ; "
             f"région : {p['region_name'] or fmt.UNAVAILABLE}.", 9, (60, 60, 60))
    warning = perimeter_summary(atlas, t)
    if warning:
        pdf.ln(1)
        pdf.warning(warning)
    explanation = perimeter_explanation(t)
    if explanation:
        pdf.para(f"D'où vient ce périmètre : {explanation}", 8, (60, 60, 60))
    published = figure_rows(t.id, p["published"])
    if not t.codes:
        _empty_territory(pdf, atlas, t)
    if published:
        pdf.h2("Chiffres publiés", need=10 + 5 * len(published))
        pdf.table_rows(["Chiffre", "Valeur", "Date"], [list(r) for r in published], (96, 60, 26), 8.5)
    if t.codes:
        _map_section(pdf, atlas, p, map_indicator, year)
        ids = ["population", "apl_mg", "apl_mg_65", *density_ids("liberal"), *density_ids("all"), "sans_mt_17",
               *PREVENTION_IDS]
        levels = _levels(p)
        pdf.h2("Chiffres clés, comparés aux références", need=40)
        lw = 182 - 12 - 20 - 12 - 17 * len(levels)
        pdf.table_rows(["Indicateur", *[LEVEL_HEAD[k] for k in levels], "Unité", "Année", "Fictif"],
                       _key_rows(p, ids), (lw, *[17] * len(levels), 20, 12, 12), 7, bold_col=1)
        prof = p["professionals"]
        if prof is not None and not prof.empty:
            header, rows = professionals_rows(prof, entries)
            pdf.h2("Professionnels de santé", need=45)
            pdf.table_rows(header, rows, (55, 35, 35, 57), 8.5)
        apl = p["apl"]
        if apl.get("communes"):
            apl_ind = indicator("apl_mg")
            pdf.h2("Accessibilité aux médecins généralistes (APL)", need=20)
            pdf.para(f"APL du territoire : {value_text(apl['entry'], with_unit=True)} ({apl['entry']['year']}). "
                     f"{fmt.plural(apl['under_count'], 'commune')} sous le seuil ({fmt.threshold_text(apl_ind)}), soit "
                     f"{fmt.plural(apl['under_population'], 'habitant')} ({fmt.percent(apl['under_share'])} de la "
                     "population).", 9.5)
        _small_multiples(pdf, atlas, p)
        _time_series(pdf, p)
        _candidates(pdf, atlas, t)
    _sources(pdf, atlas, p)
    return bytes(pdf.output())


__all__ = ["territory_pdf"]
