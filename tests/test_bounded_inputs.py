"""Bounded user inputs: imports (CSV/XLSX), territory files (CSV/YAML), names and labels.

One test per defect found by the test campaign. Each was written before the fix and fails on the code
of commit 389953f (unbounded reads, uncaught ``_csv.Error``, unbounded problem lists and messages, YAML
aliases, ``01001`` read as 513 by the editor, control characters accepted in names).
The hostile files are small on disk and built here; every test is bounded in time by its marker.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

import factories as f
from atlas import fmt
from atlas.errors import InputError
from atlas.userdata.imports import import_indicator_table, validate_indicator_table
from atlas.userdata.territories import UserTerritory, read_user_territory, save_user_territory

ROOT = Path(__file__).resolve().parent.parent
VALID = {"01001", "01002", "01004", "01006", "02001"}
HEADER = ["code_commune", "indicateur", "annee", "numerateur", "denominateur", "valeur", "source"]
GOOD = ["01001", "sans_mt_17", "2024", "80", "800", "10,0", "CPAM de l'Ain 2024"]
MAX_MESSAGE = 20_000      # characters: any report, however hostile the file, stays readable


def limits():
    from atlas.userdata import limits as lim   # imported late: the module is part of the fix
    return lim


def report_text(problems) -> str:
    return "\n".join(map(str, problems))


def upload(name: str, data: bytes, valid=VALID):
    """The editor's upload path (the dashboard calls this same function)."""
    from dashboard.exports.territory_file import parse_uploaded_territory
    return parse_uploaded_territory(name, data, valid)


# -- XLSX ----------------------------------------------------------------------------------------------
@pytest.mark.timeout(60)
def test_xlsx_of_millions_of_rows_refused_from_the_zip_directory(tmp_path, monkeypatch):
    """1.7 MB XLSX of 3 million rows: 120 s at 100 % CPU and 1.27 GB before; now refused in well under
    a second from the zip directory, before openpyxl opens it."""
    path = f.write_raw_xlsx(tmp_path / "bombe.xlsx", (
        f.xlsx_inline_row(1, HEADER) if i == 1 else f'<row r="{i}"><c r="A{i}"><v>1</v></c></row>'
        for i in range(1, 3_000_001)))
    assert path.stat().st_size < 20 * 1024 * 1024
    import openpyxl

    def never(*a, **k):
        raise AssertionError("openpyxl must not open a workbook refused by its zip directory")

    monkeypatch.setattr(openpyxl, "load_workbook", never)
    t0 = time.perf_counter()
    _, problems = validate_indicator_table(path, VALID)
    assert time.perf_counter() - t0 < 5
    text = report_text(problems)
    assert "décompress" in text and "xl/worksheets/sheet1.xml" in text and len(text) < 2_000


@pytest.mark.timeout(60)
def test_xlsx_rows_bound_stops_streaming_with_the_line(tmp_path):
    lim = limits()
    n = lim.MAX_IMPORT_ROWS + 50
    path = f.write_raw_xlsx(tmp_path / "long.xlsx", (
        f.xlsx_inline_row(1, HEADER) if i == 1 else f'<row r="{i}"><c r="A{i}"><v>1</v></c></row>'
        for i in range(1, n + 1)))
    _, problems = validate_indicator_table(path, VALID)
    assert len(problems) == 1
    p = problems[0]
    assert "lignes" in p.problem and fmt.integer(lim.MAX_IMPORT_ROWS) in p.problem
    assert p.line == lim.MAX_IMPORT_ROWS + 2          # header line 1, first refused line


@pytest.mark.timeout(60)
def test_xlsx_one_huge_cell_refused_before_parsing_and_message_short(tmp_path):
    """310 KB XLSX holding one 300 MB cell: 7 s, 1.4 GB and a 314 MB error (the header repeated)."""
    big = "x" * (70 * 1024 * 1024)
    path = f.write_raw_xlsx(tmp_path / "cellule.xlsx", [
        '<row r="1"><c r="A1" t="s"><v>0</v></c></row>'], shared_strings=[big])
    del big
    assert path.stat().st_size < 1024 * 1024
    _, problems = validate_indicator_table(path, VALID)
    text = report_text(problems)
    assert "xl/sharedStrings.xml" in text and len(text) < 2_000


def test_xlsx_cell_over_the_cell_bound_named_with_line_and_column(tmp_path):
    lim = limits()
    long_label = "é" * (lim.MAX_CELL_CHARS + 1)
    path = f.write_raw_xlsx(tmp_path / "label.xlsx", [
        f.xlsx_inline_row(1, HEADER), f.xlsx_inline_row(2, GOOD[:-1] + [long_label])])
    _, problems = validate_indicator_table(path, VALID)
    assert len(problems) == 1
    p = problems[0]
    assert p.line == 2 and p.column == "source" and fmt.integer(lim.MAX_CELL_CHARS) in p.problem
    assert len(str(p)) < 500                                # the value shown is truncated


def test_xlsx_too_many_sheets_or_columns(tmp_path):
    lim = limits()
    sheets = f.write_raw_xlsx(tmp_path / "feuilles.xlsx", [f.xlsx_inline_row(1, HEADER)],
                              sheets=lim.MAX_XLSX_SHEETS + 1)
    _, problems = validate_indicator_table(sheets, VALID)
    assert "feuilles" in report_text(problems) and fmt.integer(lim.MAX_XLSX_SHEETS) in report_text(problems)
    wide_header = HEADER + [f"x{i}" for i in range(lim.MAX_COLUMNS)]
    wide = tmp_path / "large.csv"
    wide.write_text(";".join(wide_header) + "\n" + ";".join(GOOD + [""] * lim.MAX_COLUMNS) + "\n", encoding="utf-8")
    _, problems = validate_indicator_table(wide, VALID)
    assert "colonnes" in report_text(problems) and fmt.integer(lim.MAX_COLUMNS) in report_text(problems)


# -- CSV -----------------------------------------------------------------------------------------------
def test_csv_bytes_and_rows_bounds(tmp_path):
    lim = limits()
    big = tmp_path / "gros.csv"
    with open(big, "wb") as fh:
        fh.truncate(lim.MAX_IMPORT_BYTES + 1)          # sparse: nothing written, size over the bound
    _, problems = validate_indicator_table(big, VALID)
    assert "Mo" in report_text(problems) and len(problems) == 1
    rows = tmp_path / "lignes.csv"
    rows.write_text(";".join(HEADER) + "\n" + "x\n" * (lim.MAX_IMPORT_ROWS + 10), encoding="utf-8")
    _, problems = validate_indicator_table(rows, VALID)
    assert len(problems) == 1 and problems[0].line == lim.MAX_IMPORT_ROWS + 2
    assert fmt.integer(lim.MAX_IMPORT_ROWS) in problems[0].problem


@pytest.mark.parametrize("case,body,line", [
    ("field over 128 KiB", "01001;sans_mt_17;2024;80;800;10,0;" + "x" * 200_000 + "\n", 2),
    ("unbalanced quote", '01001;sans_mt_17;2024;80;800;10,0;"CPAM\n' + "01002;a;b;c;d;e;f\n" * 20_000, 2),
    ("NUL byte", "01001;sans_mt_17;2024;80;800;10,0;CP\x00AM\n", 2),
])
def test_csv_error_becomes_a_problem_with_file_and_line(tmp_path, case, body, line):
    """A field over 128 KiB or an unbalanced quote raised an uncaught ``_csv.Error`` (CLI traceback,
    HTTP 500); a NUL byte was accepted."""
    import csv
    old = csv.field_size_limit()
    csv.field_size_limit(131072)      # the interpreter's default (another reader may have raised it)
    try:
        path = tmp_path / "t.csv"
        path.write_text(";".join(HEADER) + "\n" + body, encoding="utf-8")
        _, problems = validate_indicator_table(path, VALID)
    finally:
        csv.field_size_limit(old)
    assert problems and problems[0].line == line and problems[0].file == "t.csv", case
    assert len(report_text(problems)) < 2_000


def test_csvutil_reader_turns_csv_errors_into_input_errors(tmp_path):
    from atlas.csvutil import read_csv_records
    import csv
    p = tmp_path / "p.csv"
    p.write_text('a,b\n1,"2\n' + "3,4\n" * 40_000, encoding="utf-8")
    old = csv.field_size_limit()
    csv.field_size_limit(131072)
    try:
        with pytest.raises(InputError) as exc:
            read_csv_records(p, ["a", "b"])
    finally:
        csv.field_size_limit(old)
    assert exc.value.line == 2 and "guillemet" in str(exc.value)


def test_duplicate_rows_problem_list_capped(tmp_path):
    """3 MB CSV of duplicates: the report (CLI text, HTTP JSON) was 70 MB."""
    lim = limits()
    path = tmp_path / "doublons.csv"
    n = 60_000
    path.write_text(";".join(HEADER) + "\n" + (";".join(GOOD) + "\n") * n, encoding="utf-8")
    report = import_indicator_table(path, VALID, tmp_path / "imports")
    assert not report.ok
    assert len(report.problems) == lim.MAX_PROBLEMS + 1
    assert f"… et {fmt.integer(n - 1 - lim.MAX_PROBLEMS)} autre(s) problème(s)" in report.problems[-1].problem
    assert len(report.text()) < MAX_MESSAGE and len(str(report.to_dict())) < MAX_MESSAGE


def test_header_never_repeated_whole_in_a_message(tmp_path):
    path = tmp_path / "entete.csv"
    path.write_text("code_commune;indicateur;" + ";".join("colonne_" + "y" * 900 for _ in range(40)) + "\n"
                    "01001;sans_mt_17" + ";" * 40 + "\n", encoding="utf-8")
    _, problems = validate_indicator_table(path, VALID)
    assert problems and len(report_text(problems)) < 2_000


# -- labels ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("label", ["CPAM\x00de l'Ain", "CPAM\x1bde l'Ain", "CPAM\x85de l'Ain"])
def test_control_characters_refused_in_source_labels(tmp_path, label):
    path = tmp_path / "c.csv"
    path.write_text(";".join(HEADER) + "\n" + ";".join(GOOD[:-1] + [label]) + "\n", encoding="utf-8")
    _, problems = validate_indicator_table(path, VALID)
    assert problems and problems[0].column == "source" and "contrôle" in problems[0].problem
    report = import_indicator_table(_good_csv(tmp_path), VALID, tmp_path / "imports",
                                    source_label=label)
    assert not report.ok and "contrôle" in report.text()


def test_source_label_length_capped(tmp_path):
    lim = limits()
    report = import_indicator_table(_good_csv(tmp_path), VALID, tmp_path / "imports",
                                    source_label="L" * (lim.MAX_LABEL_CHARS + 1))
    assert not report.ok and fmt.integer(lim.MAX_LABEL_CHARS) in report.text()


def _good_csv(tmp_path) -> Path:
    p = tmp_path / "bon.csv"
    p.write_text(";".join(HEADER) + "\n" + ";".join(GOOD) + "\n", encoding="utf-8")
    return p


# -- territory files ---------------------------------------------------------------------------------------
def test_territory_list_of_duplicates_problem_list_capped(tmp_path):
    lim = limits()
    n = 30_000
    data = ("code\n" + "01001\n" * n).encode()
    with pytest.raises(InputError) as exc:
        upload("doublons.csv", data)
    msg = str(exc.value)
    assert len(msg) < MAX_MESSAGE
    assert f"… et {fmt.integer(n - 1 - lim.MAX_PROBLEMS)} autre(s) problème(s)" in msg


def test_territory_file_bytes_and_lines_bounded(tmp_path):
    lim = limits()
    with pytest.raises(InputError) as exc:
        upload("gros.csv", b"01001\n" * (lim.MAX_TERRITORY_FILE_BYTES // 6 + 1))
    assert "Mo" in str(exc.value) or "Ko" in str(exc.value)
    many = ("\n".join(["01001"] * (lim.MAX_TERRITORY_COMMUNES + 5)) + "\n").encode()
    assert len(many) <= lim.MAX_TERRITORY_FILE_BYTES
    with pytest.raises(InputError) as exc:
        upload("long.csv", many)
    assert fmt.integer(lim.MAX_TERRITORY_COMMUNES) in str(exc.value) and len(str(exc.value)) < 2_000
    assert exc.value.line == lim.MAX_TERRITORY_COMMUNES + 1


ALIAS_BOMB = (
    "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
    "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
    "name: bombe\n"
    "communes: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n")


@pytest.mark.timeout(60)
def test_yaml_alias_bomb_refused_in_both_readers(tmp_path):
    """A 455-byte YAML alias bomb returned 112 MB; here a smaller one (100,000 items) for a safe test."""
    p = tmp_path / "bombe.yaml"
    p.write_text(ALIAS_BOMB, encoding="utf-8")
    with pytest.raises(InputError) as exc:
        read_user_territory(p, VALID)
    assert "alias" in str(exc.value) and len(str(exc.value)) < 2_000 and exc.value.line == 1
    with pytest.raises(InputError) as exc:
        upload("bombe.yaml", ALIAS_BOMB.encode())
    assert "alias" in str(exc.value) and len(str(exc.value)) < 2_000


def test_yaml_editor_reader_keeps_codes_as_strings():
    """The editor read ``01001`` as the octal number 513; the user-folder reader did not."""
    codes, name = upload("t.yaml", b"name: Test\ncommunes:\n  - 01001\n  - 01002\n")
    assert codes == ["01001", "01002"] and name == "Test"


def test_yaml_reader_reports_the_line_of_a_bad_code(tmp_path):
    text = "name: Test\ncommunes:\n  - 01001\n  - 99999\n"
    with pytest.raises(InputError) as exc:
        upload("t.yaml", text.encode())
    assert "ligne 4" in str(exc.value)
    p = tmp_path / "t.yaml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as exc:
        read_user_territory(p, VALID)
    assert "ligne 4" in str(exc.value)


def test_yaml_deep_nesting_and_non_scalar_codes_refused():
    with pytest.raises(InputError):
        upload("t.yaml", ("communes: " + "[" * 5_000 + "]" * 5_000 + "\n").encode())
    with pytest.raises(InputError, match="communes"):
        upload("t.yaml", b"communes:\n  - {a: 1}\n")


@pytest.mark.parametrize("name", ["Nom\x00cache", "Nom\x07", "Nom\u009b", "N" * 121])
def test_territory_name_bounded_and_control_characters_refused(tmp_path, user_dir, name):
    with pytest.raises(InputError) as exc:
        save_user_territory(UserTerritory("t", name, ["01001"]), VALID)
    assert "nom" in str(exc.value).lower() and len(str(exc.value)) < 2_000
    assert not (user_dir / "territories" / "t.yaml").exists()
    p = tmp_path / "t.yaml"
    p.write_text(yaml.safe_dump({"name": name, "communes": ["01001"]}, allow_unicode=True), encoding="utf-8")
    with pytest.raises(InputError):
        read_user_territory(p, VALID)


def test_territory_communes_list_capped(user_dir):
    lim = limits()
    too_many = [f"{i:05d}" for i in range(lim.MAX_TERRITORY_COMMUNES + 1)]
    with pytest.raises(InputError) as exc:
        save_user_territory(UserTerritory("t", "T", too_many), set(too_many))
    assert fmt.integer(lim.MAX_TERRITORY_COMMUNES) in str(exc.value) and len(str(exc.value)) < 2_000


def test_cli_refused_import_exits_2_with_one_message_and_no_traceback(tmp_path):
    geodata = f.build_tiny_geodata(tmp_path)
    bad = tmp_path / "bad.csv"
    bad.write_text(";".join(HEADER) + "\n" + '01001;sans_mt_17;2024;80;800;10,0;"CPAM\n' + "x\n" * 50_000,
                   encoding="utf-8")
    env = {**os.environ, "ATLAS_USER_DIR": str(tmp_path / "user")}
    r = subprocess.run([sys.executable, "-m", "etl", "--data-dir", str(geodata), "import-indicators", str(bad)],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "Traceback" not in r.stderr and "bad.csv, ligne 2" in r.stderr
    assert len(r.stderr) < 2_000
