"""CPAM commune indicator tables: validation corpus, atomic storage, read-model union, secret, CLI."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import factories as f
from etl.build import BuildOptions, run_build
from atlas.userdata.imports import import_indicator_table, list_imports, validate_indicator_table
from atlas.read import Atlas
from atlas.read.userdata import UserData

ROOT = Path(__file__).resolve().parent.parent
VALID = {"01001", "01002", "01004", "01006", "02001"}
HEADER = "code_commune;indicateur;annee;numerateur;denominateur;valeur;source"
GOOD_ROWS = [
    "01001;sans_mt_17;2024;80;800;10,0;CPAM de l'Ain 2024",
    "01002;sans_mt_17;2024;30;400;7,5;CPAM de l'Ain 2024",
    "01006;sans_mt_17;2024;2;8;25,0;CPAM de l'Ain 2024",          # denominator < 11: secret
    "01001;depistage_sein;2024;70;150;46,7;CPAM de l'Ain 2024",
]


def write(path: Path, lines, *, encoding="utf-8", bom=False) -> Path:
    data = ("\n".join(lines) + "\n").encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    """A tiny built world (communes 01001, 01002, 01004, 01006, 02001) for Store-level tests."""
    root = tmp_path_factory.mktemp("tiny")
    f.write_tiny_sources(root / "mirror")
    run_build(BuildOptions(data_dir=root / "geodata", mirror=root / "mirror", allow_download=False,
                           cache_dir=root / "cache"))
    return root / "geodata"


def test_good_csv_xlsx_and_bom(tmp_path):
    rows, problems = validate_indicator_table(write(tmp_path / "a.csv", [HEADER, *GOOD_ROWS], bom=True), VALID)
    assert problems == [] and len(rows) == 4
    r = rows.set_index(["code", "indicator_id"]).loc[("01001", "sans_mt_17")]
    assert (r.numerator, r.denominator, r.value, r.year) == (80, 800, 10.0, 2024) and not r.synthetic
    comma = [HEADER.replace(";", ",")] + [ln.replace(",", ".").replace(";", ",") for ln in GOOD_ROWS]
    rows2, problems2 = validate_indicator_table(write(tmp_path / "b.csv", comma), VALID)
    assert problems2 == [] and rows2[["code", "numerator"]].equals(rows[["code", "numerator"]])
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER.split(";"))
    for ln in GOOD_ROWS:
        c, i, y, n, d, v, s = ln.split(";")
        ws.append([c, i, int(y), int(n), int(d), float(v.replace(",", ".")), s])
    wb.save(tmp_path / "c.xlsx")
    rows3, problems3 = validate_indicator_table(tmp_path / "c.xlsx", VALID)
    assert problems3 == [] and list(rows3["numerator"]) == list(rows["numerator"])


CORPUS = {
    # name: (lines or bytes, expected text, line, column)
    "truncated line": ([HEADER, GOOD_ROWS[0], "01002;sans_mt_17;2024;30"], "champs au lieu de 7", 3, None),
    "extra delimiter": ([HEADER, "01002;sans_mt_17;2024;30;400;7,5;CPAM;x"], "séparateur « ; » en trop", 2, None),
    "missing column": (["code_commune;indicateur;annee;numerateur;valeur", "01001;sans_mt_17;2024;1;10"],
                       "colonne(s) absente(s) : denominateur", 1, None),
    "latin1": (None, "encodage non UTF-8", 2, None),
    "wrong delimiter": ([HEADER.replace(";", "|"), GOOD_ROWS[0].replace(";", "|")], "séparateur non reconnu", 1, None),
    "empty commune code": ([HEADER, ";sans_mt_17;2024;30;400;7,5;x"], "code commune vide", 2, "code_commune"),
    "unknown commune": ([HEADER, "75056;sans_mt_17;2024;30;400;7,5;x"], "commune inconnue", 2, "code_commune"),
    "unknown indicator": ([HEADER, "01001;sans_mt_16;2024;30;400;7,5;x"], "indicateur inconnu", 2, "indicateur"),
    "computed indicator": ([HEADER, "01001;density_mg;2024;3;400;;x"], "non importable", 2, "indicateur"),
    "numerator > denominator": ([HEADER, "01001;sans_mt_17;2024;500;400;;x"], "numérateur supérieur", 2, "numerateur"),
    "negative": ([HEADER, "01001;sans_mt_17;2024;-3;400;;x"], "valeur négative", 2, "numerateur"),
    "non numeric": ([HEADER, "01001;sans_mt_17;2024;trente;400;;x"], "valeur non numérique", 2, "numerateur"),
    "bad year": ([HEADER, "01001;sans_mt_17;24;30;400;;x"], "année invalide", 2, "annee"),
    "inconsistent value": ([HEADER, "01001;sans_mt_17;2024;30;400;9,0;x"], "incohérente", 2, "valeur"),
    "duplicate rows": ([HEADER, GOOD_ROWS[0], GOOD_ROWS[1], GOOD_ROWS[0]], "ligne en double (déjà ligne 2)", 4, None),
}


@pytest.mark.parametrize("name", list(CORPUS))
def test_bad_input_corpus_each_specific_error_and_nothing_lost(tmp_path, name):
    lines, expected, line, column = CORPUS[name]
    dest = tmp_path / "imports"
    first = import_indicator_table(write(tmp_path / "cpam.csv", [HEADER, *GOOD_ROWS]), VALID, dest)
    assert first.ok
    before = (dest / "cpam.parquet").read_bytes()
    bad = tmp_path / "bad" / "cpam.csv"          # same name: a rejected re-import must not replace it
    bad.parent.mkdir()
    if name == "latin1":
        bad.write_bytes((HEADER + "\n01001;sans_mt_17;2024;30;400;7,5;Sécurité sociale\n").encode("latin-1"))
    else:
        write(bad, lines)
    report = import_indicator_table(bad, VALID, dest)
    assert not report.ok
    assert any(expected in p.problem and p.line == line and (column is None or p.column == column)
               for p in report.problems), report.text()
    assert "cpam.csv" in report.text() and "refusé" in report.text()
    assert (dest / "cpam.parquet").read_bytes() == before           # previous import intact
    assert sorted(p.name for p in dest.iterdir() if not p.name.startswith(".lock")) == ["cpam.parquet"]


def test_every_problem_is_listed(tmp_path):
    path = write(tmp_path / "x.csv", [HEADER, "75056;sans_mt_17;2024;1;10;;x", "01001;bogus;2024;1;10;;x",
                                      "01002;sans_mt_17;2024;20;10;;x"])
    _, problems = validate_indicator_table(path, VALID)
    assert [p.line for p in problems] == [2, 3, 4]


def test_synthetic_flag_and_mixing(tmp_path):
    h = HEADER + ";donnees_fictives"
    rows, problems = validate_indicator_table(write(tmp_path / "d.csv", [h, GOOD_ROWS[0] + ";oui"]), VALID)
    assert problems == [] and rows["synthetic"].all()
    _, problems = validate_indicator_table(write(tmp_path / "e.csv", [h, GOOD_ROWS[0] + ";oui", GOOD_ROWS[1] + ";non"]),
                                           VALID)
    assert any("mélange" in p.problem for p in problems)


def test_read_model_union_imports_win_secret_and_provenance(tiny_data, tmp_path):
    imports = tmp_path / "imports"
    atlas = Atlas(tiny_data, userdata=UserData(imports, tmp_path / "territories"))
    assert atlas.years("sans_mt_17") == [] and atlas.imports() == []
    rep = import_indicator_table(write(tmp_path / "cpam-ain.csv", [HEADER, *GOOD_ROWS]), atlas.valid_codes, imports)
    assert rep.ok and rep.path == imports / "cpam-ain.parquet"
    # seen by the running reader without restarting it
    assert atlas.years("sans_mt_17") == [2024]
    vals = atlas.commune_values("sans_mt_17", ["01001", "01002", "01006"]).set_index("code")
    assert vals.loc["01001", "value"] == pytest.approx(10.0) and not vals.loc["01001", "synthetic"]
    assert vals.loc["01006", "status"] == "secret" and pd.isna(vals.loc["01006", "value"])   # never 0, never 25
    fig = atlas.entry("sans_mt_17", codes=["01001", "01002"])
    assert fig["numerator"] == 110 and fig["denominator"] == 1200 and fig["year"] == 2024
    # with 01006 (8 patients, hidden) the territory would give it back by difference: hidden too
    assert atlas.entry("sans_mt_17", codes=["01001", "01002", "01006"])["secret"]
    small = atlas.entry("sans_mt_17", codes=["01006"])
    assert small["secret"] and small["value"] is None
    e = atlas.commune_summary("01001")["indicators"]
    entry = next(i for i in e if i["id"] == "sans_mt_17")
    assert entry["source_id"] == "import:cpam-ain" and "CPAM de l'Ain 2024" in entry["source"]
    meta = atlas.imports()[0]
    assert meta["original_name"] == "cpam-ain.csv" and len(meta["sha256"]) == 64 and meta["rows"] == 4
    # an imported value wins over a built one for the same key; the built APL is untouched
    apl = atlas.commune_values("apl_mg", ["01001"])
    rep2 = import_indicator_table(write(tmp_path / "cpam-ain.csv", [HEADER, "01001;sans_mt_17;2024;40;800;5,0;v2"]),
                                  atlas.valid_codes, imports)
    assert rep2.ok and rep2.replaced
    assert atlas.commune_values("sans_mt_17", ["01001"]).iloc[0]["value"] == pytest.approx(5.0)
    assert atlas.commune_values("sans_mt_17", ["01002"]).iloc[0]["status"] == "missing"   # replaced whole
    assert atlas.commune_values("apl_mg", ["01001"]).equals(apl)
    assert [m["slug"] for m in list_imports(imports)] == ["cpam-ain"]
    atlas.close()


def test_cli_import_indicators(tiny_data, tmp_path):
    env = {**os.environ, "ATLAS_USER_DIR": str(tmp_path / "user")}
    good = write(tmp_path / "ok.csv", [HEADER, *GOOD_ROWS])
    bad = write(tmp_path / "ko.csv", [HEADER, "99999;sans_mt_17;2024;1;10;;x"])
    run = lambda *a: subprocess.run([sys.executable, "-m", "etl", "--data-dir", str(tiny_data), *a],  # noqa: E731
                                    cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    r = run("import-indicators", str(bad))
    assert r.returncode == 1 and "ko.csv, ligne 2, colonne code_commune : commune inconnue" in r.stderr
    assert not (tmp_path / "user" / "imports" / "ko.parquet").exists()
    r = run("import-indicators", str(good), "--format", "json")
    assert r.returncode == 0 and json.loads(r.stdout)["rows"] == 4
    assert (tmp_path / "user" / "imports" / "ok.parquet").is_file()
    r = run("commune", "01001", "--format", "json")
    entry = next(i for i in json.loads(r.stdout)["indicators"] if i["id"] == "sans_mt_17")
    assert entry["value"] == pytest.approx(10.0) and entry["numerator"] == 80 and entry["synthetic"] is False
    r = run("imports", "--format", "json")
    assert json.loads(r.stdout)["imports"][0]["original_name"] == "ok.csv"
