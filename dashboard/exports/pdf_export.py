"""PDF portrait of a territory, produced offline with fpdf2 (DejaVu Sans embedded, accents included).

Pages: key figures; map of one indicator; densities by profession (small multiple of maps);
comparisons with département, région and France; evolution, sources and methods. The synthetic
flag is printed on every page while any demo source is loaded. Charts are the page's Plotly
figures rendered with kaleido (see :mod:`.render`); if Chromium is missing the PDF is still made,
with the tables and a note instead of the images.
"""
from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace

from atlas import fmt
from atlas.catalog import CATALOG, PREVENTION_IDS, SECRET_THRESHOLD, indicator

from ..components.perimeter_note import CONFIDENCE_LABELS, perimeter_summary
from .figures import comparison_figure, professionals_figure, small_multiple_figure
from .map_export import presentation_map_figure
from .portrait_data import (density_ids, population_line, portrait, professionals_rows, reference_names,
                            reference_text, value_text)
from .render import render_png

SYNTHETIC_TEXT = fmt.SYNTHETIC

FONT_DIRS = [Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"),
             Path("/usr/local/share/fonts")]


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


class PortraitPDF(FPDF):
    def __init__(self, title: str, synthetic: bool, footer_note: str):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.doc_title = title
        self.synthetic = synthetic
        self.footer_note = footer_note
        fonts = _font_paths()
        if fonts is None:
            raise RuntimeError("police DejaVu Sans introuvable (paquet Debian fonts-dejavu-core)")
        self.add_font("DejaVu", "", str(fonts[0]))
        self.add_font("DejaVu", "B", str(fonts[1]))
        self.set_font("DejaVu", size=10)
        self.set_auto_page_break(True, margin=18)
        self.set_margins(14, 22, 14)
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
            self.set_text_color(0, 0, 0)
        else:
            self.set_font("DejaVu", "", 8)
            self.set_text_color(90, 90, 90)
            self.cell(0, 6, self.doc_title, align="R", new_x="LMARGIN", new_y="NEXT")
            self.set_text_color(0, 0, 0)
        self.set_y(max(self.get_y() + 3, 22))
        self.set_font("DejaVu", "", 10)

    def footer(self):
        self.set_y(-16)
        self.set_font("DejaVu", "", 7.5)
        self.set_text_color(90, 90, 90)
        flag = f" · {SYNTHETIC_TEXT}" if self.synthetic else ""
        # wraps onto a second line rather than running off the page
        self.multi_cell(0, 3.6, f"{self.footer_note}{flag} · page {self.page_no()}/{{nb}}", align="C")
        self.set_text_color(0, 0, 0)

    # helpers
    def h1(self, text):
        self.set_font("DejaVu", "B", 18)
        self.set_text_color(11, 61, 145)
        self.multi_cell(0, 9, text, align="L", new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0, 0, 0)
        self.set_font("DejaVu", "", 10)
        self.ln(1)

    def h2(self, text):
        self.ln(2)
        self.set_font("DejaVu", "B", 13)
        self.set_text_color(11, 61, 145)
        self.multi_cell(0, 7, text, align="L", new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0, 0, 0)
        self.set_font("DejaVu", "", 10)

    def para(self, text, size=10, color=(0, 0, 0)):
        self.set_font("DejaVu", "", size)
        self.set_text_color(*color)
        self.multi_cell(0, size * 0.5, text, align="L", new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0, 0, 0)
        self.set_font("DejaVu", "", 10)

    def table_rows(self, header, rows, widths, size=8.5):
        self.set_font("DejaVu", "", size)
        head = FontFace(emphasis="BOLD", fill_color=(226, 232, 244))
        with self.table(col_widths=widths, headings_style=head, line_height=size * 0.55,
                        text_align="LEFT", first_row_as_headings=True) as table:
            r = table.row()
            for h in header:
                r.cell(str(h))
            for row in rows:
                r = table.row()
                for v in row:
                    r.cell("" if v is None else str(v))
        self.set_font("DejaVu", "", 10)
        self.ln(2)

    def image_block(self, png: bytes | None, max_h: float, note: str = ""):
        if png is None:
            self.para(note or "Image indisponible (Chromium absent : graphique non rendu).", 9, (120, 0, 0))
            return
        from PIL import Image
        with Image.open(io.BytesIO(png)) as im:
            w_px, h_px = im.size
        w = self.epw
        h = w * h_px / w_px
        if h > max_h:
            h = max_h
            w = h * w_px / h_px
        if self.get_y() + h > self.page_break_trigger:
            self.add_page()
        x = self.l_margin + (self.epw - w) / 2
        self.image(io.BytesIO(png), x=x, y=self.get_y(), w=w, h=h)
        self.set_y(self.get_y() + h + 2)


def _entry_row(e, names):
    return [e["label"], value_text(e), reference_text(e, "departement"), reference_text(e, "region"),
            reference_text(e, "france"), indicator(e["id"]).short_unit, e["year"] or fmt.UNAVAILABLE,
            "oui" if e["synthetic"] else "non"]


def territory_pdf(atlas, territory_id: str, year: int | None = None, map_indicator: str = "apl_mg",
                  render_images: bool = True) -> bytes:
    indicator(map_indicator)
    p = portrait(atlas, territory_id, year)
    t, entries = p["territory"], p["entries"]
    names = reference_names(p)
    synthetic = bool(atlas.any_synthetic)
    today = fmt.date(dt.date.today().isoformat())
    pdf = PortraitPDF(f"Portrait du territoire - {t.name}", synthetic,
                      f"Atlas de l'accès aux soins des CPTS · {t.name} · édité le {today} · base {atlas.build_id}")

    # figures, rendered in one Chromium session
    images: dict[str, bytes | None] = {"map": None, "sm": None, "cmp": None, "prof": None}
    note = ""
    if render_images and t.codes:
        cmp_entries = [entries[i] for i in ("apl_mg", *density_ids("liberal"), "sans_mt_17", *PREVENTION_IDS)
                       if i in entries and entries[i]["available"]]
        figs = {
            "map": (presentation_map_figure(atlas, t.id, map_indicator, year, width=1600, height=1000,
                                            font_size=26), 1600, 1000, 1),
            "sm": (small_multiple_figure(atlas, t, density_ids("liberal"), title=f"Densités de libéraux — {t.name}",
                                         height=1050, font_size=18), 1600, 1050, 1),
            "cmp": (comparison_figure(atlas, cmp_entries, names, font_size=16, row_height=120), 1500,
                    120 * len(cmp_entries) + 140, 1),
            "prof": (professionals_figure(atlas, p["professionals"], font_size=18, height=700), 1500, 700, 1),
        }
        try:
            pngs = render_png(list(figs.values()))
            images = dict(zip(figs, pngs))
        except RuntimeError as exc:
            note = f"Graphiques non rendus : {exc}"

    # page 1: key figures
    pdf.add_page()
    pdf.h1(f"Portrait du territoire : {t.name}")
    pdf.para(population_line(p), 11)
    pdf.para(f"Périmètre : {CONFIDENCE_LABELS.get(t.confidence, t.confidence)}. "
             f"Département de référence : {p['departement_name'] or fmt.UNAVAILABLE} ; "
             f"région : {p['region_name'] or fmt.UNAVAILABLE}.", 9, (60, 60, 60))
    warning = perimeter_summary(atlas, t)
    if warning:
        pdf.para(f"Attention : {warning}", 10, (176, 0, 32))
    if t.perimeter_note:
        pdf.para(f"Justification du périmètre : {' '.join(str(t.perimeter_note).split())[:600]}", 8, (90, 90, 90))
    pdf.h2("Chiffres clés, comparés au département, à la région et à la France")
    keys = ["population", "apl_mg", "apl_mg_65", *density_ids("all"), *density_ids("liberal"), "sans_mt_17",
            *PREVENTION_IDS]
    rows = [_entry_row(entries[i], names) for i in keys if i in entries]
    pdf.table_rows(["Indicateur", "Territoire", "Départ.", "Région", "France", "Unité", "Année", "Fictif"],
                   rows, (52, 20, 19, 19, 19, 24, 13, 14), 7.5)
    pdf.para(f"Valeurs « {fmt.SECRET} » : dénominateur agrégé inférieur à {SECRET_THRESHOLD} (jamais 0).",
             7.5, (90, 90, 90))
    apl = p["apl"]
    if apl.get("communes"):
        apl_ind = indicator("apl_mg")
        pdf.h2("Accessibilité aux médecins généralistes (APL)")
        pdf.para(f"APL du territoire : {value_text(apl['entry'], with_unit=True)} ({apl['entry']['year']}). "
                 f"{fmt.plural(apl['under_count'], 'commune')} sous le seuil ({fmt.threshold_text(apl_ind)}), soit "
                 f"{fmt.plural(apl['under_population'], 'habitant')} ({fmt.percent(apl['under_share'])} de la "
                 "population).", 10)

    # page 2: professionals
    prof = p["professionals"]
    pdf.add_page()
    pdf.h1("Professionnels de santé")
    if prof is not None and not prof.empty:
        header, rows = professionals_rows(prof, entries)
        pdf.table_rows(header, rows, (55, 35, 35, 57), 8.5)
        srcs = sorted({atlas.source_label(x) or x for s in prof["source_id"].dropna() for x in str(s).split(", ")})
        pdf.para(f"Sources : {'; '.join(srcs)}"
                 f"{' ; ' + SYNTHETIC_TEXT if bool(prof['synthetic'].any()) else ''}. « Tous modes » (RPPS) compte "
                 "une fois un professionnel exerçant dans plusieurs communes du territoire.", 8, (90, 90, 90))
        pdf.image_block(images.get("prof"), 110, note)
    else:
        pdf.para("Effectifs de professionnels indisponibles dans cette base.")

    # page 3: map
    pdf.add_page()
    pdf.h1(f"Carte : {CATALOG[map_indicator].label}")
    pdf.image_block(images.get("map"), 200, note or ("Périmètre inconnu : pas de carte." if not t.codes else ""))
    # page 4: small multiple
    pdf.add_page()
    pdf.h1("Densité de libéraux par profession, commune par commune")
    pdf.image_block(images.get("sm"), 240, note or ("Périmètre inconnu : pas de carte." if not t.codes else ""))
    # page 5: comparisons
    pdf.add_page()
    pdf.h1("Comparaisons avec le département, la région et la France")
    pdf.image_block(images.get("cmp"), 245, note or ("Périmètre inconnu." if not t.codes else ""))

    # evolution
    if p["evolution"]:
        pdf.add_page()
        pdf.h1("Évolution entre les années disponibles")
        rows = []
        for ev in p["evolution"]:
            pts = ev["points"]
            first, last = pts[0], pts[-1]
            ind = indicator(ev["id"])
            rows.append([ev["label"], " ; ".join(f"{e['year']} : {value_text(e)}" for e in pts),
                         fmt.change(first["value"], last["value"], ind), ind.short_unit])
        pdf.table_rows(["Indicateur", "Valeurs", "Écart", "Unité"], rows, (62, 70, 20, 30), 8)

    # sources & methods
    pdf.add_page()
    pdf.h1("Sources et méthodes")
    rows = [[r["publisher"], r["title"], r["vintage"], r["licence"], r["retrieved_at"],
             "oui" if r["synthetic"] else "non"] for r in atlas.sources() if r["status"] == "loaded"]
    pdf.table_rows(["Éditeur", "Jeu de données", "Millésime", "Licence", "Récupéré", "Fictif"], rows,
                   (38, 58, 28, 24, 18, 14), 7)
    pdf.h2("Règles de calcul")
    pdf.para("Les chiffres d'un territoire sont des rapports de sommes, jamais des moyennes de taux communaux : "
             "densité = Σ professionnels / Σ population × 10 000 ; parts = Σ numérateurs / Σ dénominateurs × 100 ; "
             "APL = Σ (APL × population standardisée) / Σ population standardisée. Les références (département, "
             f"région, France) suivent la même règle. {fmt.threshold_text(indicator('apl_mg')).capitalize()}.", 8.5)
    used = ["population", "apl_mg", "density_mg", "density_mg_liberal", "sans_mt_17", *PREVENTION_IDS]
    pdf.table_rows(["Indicateur", "Formule", "Unité"],
                   [[CATALOG[i].label, CATALOG[i].formula, CATALOG[i].unit] for i in used], (62, 70, 50), 7)
    out = pdf.output()
    return bytes(out)
