"""One figure, one answer: for every indicator of the catalogue and the five seed territories, the
CLI (``python -m etl summary``), the explorer's territory panel, the portrait and the CSV export say
the same value, secret flag, synthetic flag, source and year — they all read through the read model.
Plus the read side's hygiene: the dashboard loads no build code, every source's declared parser is
the one that reads it."""
from __future__ import annotations

import io
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from atlas import fmt
from atlas.catalog import CATALOG, indicator
from dash_text import text_of

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ["ouest-rhodanien", "aunis-sud", "entre-loire-et-sucs", "atlantique-nord-loire", "venissieux"]


def test_the_dashboard_loads_no_build_code():
    code = ("import sys; sys.path.insert(0, '.'); import dashboard.app; from dashboard.app import create_app; "
            "import atlas.read; print(sorted(m for m in sys.modules if m.split('.')[0] == 'etl'))")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    loaded = json.loads(r.stdout.strip().replace("'", '"'))
    assert not [m for m in loaded if m in ("etl.build", "etl.sources", "etl.demo") or m.startswith("etl.steps")], loaded


def test_every_source_is_read_by_its_declared_parser():
    from etl.sources import load_sources
    for sid, src in load_sources().items():
        fn = src.parser_function()
        assert callable(fn), sid
    steps = (ROOT / "etl" / "steps").glob("*.py")
    text = "\n".join(p.read_text(encoding="utf-8") for p in steps)
    assert "from ..parsers." not in text.replace("from ..parsers.rpps import distinct_counts_sql", ""), \
        "steps read their files through Resolved.read (the parser declared in sources.yaml)"


@pytest.mark.integration
@pytest.mark.parametrize("tid", SEEDS)
def test_one_figure_one_answer(tid, built_data_dir, atlas):
    from dashboard.components.territory_panel import territory_panel
    from dashboard.exports.csv_export import territory_csv
    from dashboard.exports.portrait_data import portrait

    r = subprocess.run([sys.executable, "-m", "etl", "--data-dir", str(built_data_dir), "summary", "--territory", tid,
                        "--format", "json"], cwd=ROOT, capture_output=True, text=True, timeout=300, env={**os.environ})
    assert r.returncode == 0, r.stderr
    cli = {e["id"]: e for e in json.loads(r.stdout)["indicators"]}
    assert set(cli) == set(CATALOG)
    t = atlas.territory(tid)
    port = portrait(atlas, tid)["entries"]
    for iid in CATALOG:
        ind = indicator(iid)
        c, p = cli[iid], port[iid]
        for key in ("value", "secret", "synthetic", "source", "year", "available"):
            assert c[key] == p[key] or (isinstance(c[key], float) and math.isclose(c[key], p[key])), (tid, iid, key)
        # the explorer's panel writes the CLI's figure
        panel = text_of(territory_panel(atlas, t, iid, c["year"]))
        assert fmt.entry(c, ind) in panel, (tid, iid)
        if c["year"]:
            assert str(c["year"]) in panel
        # the CSV's commune rows add up to the CLI's figure (ratio of sums) with its year, flag and source
        if not t.codes or not c["available"] or c["secret"] or c["year"] not in atlas.values.years(iid):
            continue
        csv_text = territory_csv(atlas, tid, iid, c["year"], dialect="csv-intl")
        df = pd.read_csv(io.StringIO(csv_text), comment="#", dtype={"code_commune": str})
        ok = df[df["statut"] == "valeur"]
        assert set(ok["annee"]) == {c["year"]}, (tid, iid)
        assert (ok["donnees_fictives"] == "oui").any() == c["synthetic"], (tid, iid)
        if c["source"]:
            assert set(ok["source"]) <= set(c["source"].split("; ")), (tid, iid)
        if ind.aggregation == "sum":
            assert ok["numerateur"].sum() == pytest.approx(c["numerator"]), (tid, iid)
        elif not ind.distinct_persons and c["denominator"]:
            value = ok["numerateur"].sum() / ok["denominateur"].sum() * ind.scale
            assert value == pytest.approx(c["value"], rel=1e-9), (tid, iid)
