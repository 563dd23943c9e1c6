"""CLI exports (python -m dashboard.export): CSV header block and injection, PNG size and content, PDF pages/text."""
from __future__ import annotations

import io

import pandas as pd
import pytest

from dashboard.export import main as export_main
from dashboard.exports.csv_export import neutralise

pytestmark = pytest.mark.integration


def test_neutralise_formula_cells():
    for bad in ("=1+1", "+33 1", "-2", "@SUM(A1)", "\t=x", "\r=x"):
        assert neutralise(bad).startswith("'")
    assert neutralise("Vénissieux") == "Vénissieux"
    assert neutralise(12.5) == "12.5" and neutralise(None) == ""


def test_csv_export_header_block_and_values(built_data_dir, tmp_path, user_dir, atlas):
    out = tmp_path / "aunis.csv"
    assert export_main(["--territory", "aunis-sud", "--format", "csv", "--out", str(out),
                        "--data-dir", str(built_data_dir)]) == 0
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "BOM so that Excel reads the accents"
    text = raw.decode("utf-8-sig")
    head = [ln for ln in text.splitlines() if ln.startswith("#")]
    joined = "\n".join(head)
    assert text.startswith("# Atlas")
    for needle in ("Territoire : CPTS Aunis Sud", "Périmètre : périmètre approximatif", "Attention", "Sources",
                   "millésime", "unité pour 10 000 habitants", "Données fictives :"):
        assert needle in joined, needle
    if atlas.any_synthetic:
        assert "Données fictives : OUI" in joined
    # as a French-locale spreadsheet reads it: ';' between cells, decimal comma; each '#' line one cell
    import csv
    cells = list(csv.reader(io.StringIO(text), delimiter=";"))
    header_rows = [r for r in cells if r and r[0].startswith("#")]
    assert header_rows and all(len(r) == 1 for r in header_rows)
    df = pd.read_csv(io.StringIO(text), comment="#", dtype=str, sep=";")
    assert list(df.columns[:5]) == ["code_commune", "commune", "indicateur", "libelle", "annee"]
    assert set(df["code_commune"]) == set(atlas.territory("aunis-sud").codes)
    values = df.loc[df["statut"] == "valeur", "valeur"]
    assert values.str.fullmatch(r"-?\d+(,\d+)?").all()          # decimal comma, no thousands separator
    assert not values.str.contains(r"\.").any()
    assert "0" not in set(df.loc[df["statut"] == "secret statistique", "valeur"])
    for col in df.columns:
        assert not df[col].dropna().astype(str).str.match(r"^[=+\-@]").any(), col


def test_plain_csv_for_scripts(built_data_dir, tmp_path):
    out = tmp_path / "aunis.csv"
    assert export_main(["--territory", "aunis-sud", "--format", "csv-intl", "--indicator", "apl_mg", "--out", str(out),
                        "--data-dir", str(built_data_dir)]) == 0
    df = pd.read_csv(out, comment="#", encoding="utf-8-sig")
    assert df["valeur"].dtype == float and df["indicateur"].eq("apl_mg").all()


def test_csv_injection_in_user_territory_name(built_data_dir, tmp_path, user_dir, atlas):
    from atlas.errors import InputError
    from atlas.userdata.territories import UserTerritory, save_user_territory
    with pytest.raises(InputError, match="contrôle"):       # a line break in a name is refused on save
        save_user_territory(UserTerritory("evil", "=HYPERLINK(\"http://x\")\n+cmd", ["69259"]), atlas.valid_codes)
    save_user_territory(UserTerritory("evil", "=HYPERLINK(\"http://x\") +cmd", ["69259"]), atlas.valid_codes)
    out = tmp_path / "evil.csv"
    assert export_main(["--territory", "evil", "--format", "csv", "--indicator", "population", "--out", str(out),
                        "--data-dir", str(built_data_dir)]) == 0
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert all(ln.startswith("#") for ln in lines[:lines.index(next(x for x in lines if x.startswith("code_commune")))])
    df = pd.read_csv(out, comment="#", dtype=str, encoding="utf-8-sig", sep=";")
    assert df["indicateur"].tolist() == ["population"]


def test_unknown_territory_exit_code(built_data_dir, tmp_path, capsys):
    assert export_main(["--territory", "nope", "--format", "csv", "--out", str(tmp_path / "x.csv"),
                        "--data-dir", str(built_data_dir)]) == 2
    assert "territoire inconnu" in capsys.readouterr().err


def test_png_export_size_and_not_blank(built_data_dir, tmp_path):
    from PIL import Image, ImageStat
    out = tmp_path / "map.png"
    assert export_main(["--territory", "ouest-rhodanien", "--format", "png", "--indicator", "apl_mg",
                        "--out", str(out), "--data-dir", str(built_data_dir)]) == 0
    with Image.open(out) as im:
        assert im.size == (1920, 1080)
        rgb = im.convert("RGB")
        colors = rgb.getcolors(maxcolors=1 << 20)
        assert colors is not None and len(colors) > 50       # map colours, text, legend
        assert max(ImageStat.Stat(rgb).stddev) > 10           # not a blank canvas
        # some pixels are neither white nor grey: the choropleth is drawn
        import numpy as np
        px = np.asarray(rgb.resize((192, 108))).astype(int)
        assert int(((px.max(axis=2) - px.min(axis=2)) > 40).sum()) > 200


def _pdf_pages(path):
    """Text of each page and the lowest text above the footer (in mm from the top of the page)."""
    from pypdf import PdfReader
    reader = PdfReader(str(path))
    pages = []
    for page in reader.pages:
        height_pt = float(page.mediabox.height)
        lowest = [0.0]

        def visit(text, cm, tm, font, size, lowest=lowest, height_pt=height_pt):
            y_mm = (height_pt - tm[5] * cm[3] - cm[5]) * 25.4 / 72 if text.strip() else 0.0
            if y_mm < 297 - 20:                                  # the footer is on every page: not content
                lowest[0] = max(lowest[0], y_mm)

        text = page.extract_text(visitor_text=visit) or ""
        pages.append({"text": text, "lowest_mm": lowest[0]})
    return reader, pages


def test_pdf_export_pages_and_text(built_data_dir, tmp_path, atlas, monkeypatch):
    import kaleido

    def no_browser(*a, **k):
        raise AssertionError("the PDF is made without Chromium (kaleido took 15-19 s a PDF)")
    monkeypatch.setattr(kaleido, "Kaleido", no_browser)       # its timing lives in bench/bench_portrait.py
    out = tmp_path / "portrait.pdf"
    assert export_main(["--territory", "aunis-sud", "--format", "pdf", "--out", str(out),
                        "--data-dir", str(built_data_dir)]) == 0
    reader, pages = _pdf_pages(out)
    assert 3 <= len(pages) <= 6
    texts = [p["text"] for p in pages]
    full = "\n".join(texts)
    assert "CPTS Aunis Sud" in full
    assert "Sources et méthodes" in full and "Densité" in full and "Accessibilité" in full
    assert "Évolution entre les années disponibles" in full
    # the perimeter warning on the first page: shown against published, with the published population's year
    first = " ".join(texts[0].split())
    assert "Périmètre approximatif" in first and "74 413" in first.replace("\u202f", " ") and "INSEE 2019" in first
    # French only: no raw keys, no None, no English units or notes
    for raw in ("None", "population_coverage", "member_professionals", "EUR per year", "inhabitants", "CANDIDATE",
                "press release", "HYPOTHESIS"):
        assert raw not in full, raw
    # no page mostly blank (the last one may be short)
    for k, page in enumerate(pages[:-1]):
        assert page["lowest_mm"] > 297 / 2, f"page {k + 1} is mostly blank (content down to {page['lowest_mm']:.0f} mm)"
    # maps and charts are vector drawings (the page's SVG), not images rendered by a browser
    content = reader.pages[0].get_contents().get_data()
    assert content.count(b" re") + content.count(b" l\n") > 50
    if atlas.any_synthetic:
        assert all("DONNÉES FICTIVES" in t for t in texts), "synthetic flag on every page"


def test_pdf_of_a_territory_without_perimeter_is_short(built_data_dir, tmp_path):
    out = tmp_path / "anl.pdf"
    assert export_main(["--territory", "atlantique-nord-loire", "--format", "pdf", "--out", str(out),
                        "--data-dir", str(built_data_dir)]) == 0
    _reader, pages = _pdf_pages(out)
    assert len(pages) <= 2
    full = " ".join(" ".join(p["text"] for p in pages).split())
    assert "Périmètre inconnu" in full and "Que faire" in full and "163 membres" in full.replace("\u00a0", " ")
    assert "0 commune" not in full and "None" not in full


def test_pdf_of_a_one_commune_territory(built_data_dir, tmp_path, atlas):
    out = tmp_path / "venissieux.pdf"
    assert export_main(["--territory", "venissieux", "--format", "pdf", "--out", str(out),
                        "--data-dir", str(built_data_dir), "--indicator", "apl_mg"]) == 0
    _reader, pages = _pdf_pages(out)
    full = "\n".join(p["text"] for p in pages)
    epci = atlas.territory(f"epci-{atlas.communes.get('69259')['epci']}")
    assert epci.name in full, "the commune is compared with its EPCI"
    assert "Densités de libéraux par profession" not in full, "no small maps of one polygon"


def test_png_map_is_the_explorer_map(atlas):
    """The exported map is the explorer's (same layer: classes and colours), with the legend, the
    title, the source line and, for the whole département, the territory outline."""
    from dashboard.exports.map_export import presentation_map_figure
    from dashboard.maps.layer import build_layer
    from dashboard.maps.view import view_codes
    t = atlas.territory("aunis-sud")
    area = atlas.geometry.area(view_codes(atlas, t, "departement")[1])
    shown = build_layer(atlas, "apl_mg", area.codes, focus=t.codes)       # what the explorer paints
    fig = presentation_map_figure(atlas, "aunis-sud", "apl_mg", extent="departement")
    communes = fig["data"][0]
    assert communes["z"] == [int(z) for z in shown.z]
    assert len(communes["locations"]) == 462
    texts = " ".join(a["text"] for a in fig["layout"]["annotations"]).replace("<br>", " ")
    for e in shown.legend["entries"]:
        assert e["label"] in texts
    assert {e["color"] for e in shown.legend["entries"]} <= {s.get("fillcolor") for s in fig["layout"]["shapes"]}
    assert "contour du territoire" in texts and "Source : DREES" in texts and "CPTS Aunis Sud" in texts
    # APL is real (DREES): no "fictitious" badge on it, but the export says the base holds demo data
    assert "DONNÉES FICTIVES" not in texts
    assert ("données de démonstration (fictives)" in texts) == bool(atlas.any_synthetic)
    demo = presentation_map_figure(atlas, "aunis-sud", "density_mg")
    demo_texts = " ".join(a["text"] for a in demo["layout"]["annotations"])
    assert ("DONNÉES FICTIVES" in demo_texts) == bool(build_layer(atlas, "density_mg", t.codes).legend["synthetic"])
    assert (fig["layout"]["width"], fig["layout"]["height"]) == (1920, 1080)


def test_scenario_exports(atlas):
    """The Simulation page's exports: the CSV lists the communes before / after, the PDF says the
    territory before and after (one page, French, vector map)."""
    from pypdf import PdfReader

    from dashboard.exports.scenario_export import scenario_bytes
    if "mg" not in atlas.access.available:
        pytest.skip("no computed accessibility in this build")
    search = "?territoire=aunis-sud&profession=mg&changements=17028:3,17200:-1"
    data, stem = scenario_bytes(atlas, search, "csv")
    text = data.decode("utf-8-sig")
    assert stem == "simulation-aunis-sud-mg" and "Aytré (17028) +3" in text and "Lagord (17200) −1" in text
    df = pd.read_csv(io.StringIO(text), comment="#", sep=";", decimal=",")
    assert list(df.columns[:5]) == ["code_commune", "commune", "avant", "apres", "ecart"]
    assert (df["ecart"] != 0).all() and "17028" in set(df["code_commune"].astype(str).str.zfill(5))
    pdf, _ = scenario_bytes(atlas, search, "pdf")
    reader = PdfReader(io.BytesIO(pdf))
    full = " ".join(p.extract_text() or "" for p in reader.pages)
    assert "Simulation : CPTS Aunis Sud" in full and "avant" in full and "après" in full
