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


def test_pdf_export_pages_and_text(built_data_dir, tmp_path, atlas):
    from pypdf import PdfReader
    out = tmp_path / "portrait.pdf"
    assert export_main(["--territory", "aunis-sud", "--format", "pdf", "--out", str(out),
                        "--data-dir", str(built_data_dir)]) == 0
    reader = PdfReader(str(out))
    assert len(reader.pages) >= 4
    texts = [p.extract_text() or "" for p in reader.pages]
    full = "\n".join(texts)
    assert "CPTS Aunis Sud" in full
    assert "Sources et méthodes" in full and "Densité" in full and "Accessibilité" in full
    assert any(p.images for p in reader.pages), "the maps/charts are embedded as images"
    if atlas.any_synthetic:
        assert all("DONNÉES FICTIVES" in t for t in texts), "synthetic flag on every page"


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
