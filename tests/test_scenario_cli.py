"""``python -m etl scenario``: the stable JSON of a what-if, several changes from a file, bad input."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from atlas.access.changes import read_changes
from atlas.errors import InputError

ROOT = Path(__file__).resolve().parent.parent


def run(data_dir, *args):
    return subprocess.run([sys.executable, "-m", "etl", "--data-dir", str(data_dir), "scenario", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, env={**os.environ})


def test_scenario_file_rows_are_checked(tmp_path):
    ok = tmp_path / "s.csv"
    ok.write_text("commune;profession;delta;activite\n17300;mg;-2;\n17297;mg;3;5400\n", encoding="utf-8")
    changes = read_changes(ok)
    assert [(p, c.code, c.delta, c.activity) for p, c in changes] == [("mg", "17300", -2.0, None),
                                                                     ("mg", "17297", 3.0, 5400.0)]
    y = tmp_path / "s.yaml"
    y.write_text('- {commune: "01001", profession: inf, delta: 2}\n- {commune: 1002, profession: inf, delta: "-1"}\n')
    assert [(c.code, c.delta) for _, c in read_changes(y)] == [("01001", 2.0), ("01002", -1.0)]
    bad = tmp_path / "bad.csv"
    bad.write_text("commune;profession;delta\n17300;mg;-2\n17297;chirurgien;3\n", encoding="utf-8")
    with pytest.raises(InputError) as e:
        read_changes(bad)
    assert e.value.line == 3 and e.value.column == "profession" and "bad.csv" in str(e.value)
    bomb = tmp_path / "b.yaml"
    bomb.write_text("- &a {commune: '01001', profession: mg, delta: 1}\n- *a\n")
    with pytest.raises(InputError, match="alias"):
        read_changes(bomb)


@pytest.mark.integration
def test_scenario_json_contract_and_conservation(built_data_dir, atlas):
    r = run(built_data_dir, "--profession", "mg", "--commune", "17300", "--delta", "-2", "--territory", "aunis-sud",
            "--format", "json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    for key in ("profession", "commune", "delta", "activity_per_professional", "communes", "territory",
                "population_below_threshold"):
        assert key in d, key
    assert d["profession"] == "mg" and d["commune"] == "17300" and d["delta"] == -2
    assert set(d["territory"]) >= {"before", "after"} and set(d["population_below_threshold"]) >= {"before", "after"}
    rows = d["communes"]
    assert rows and all(set(c) >= {"code", "nom", "population_weight", "before", "after"} for c in rows)
    assert all(c["after"] < c["before"] for c in rows)                  # fewer GPs: access falls where it changes
    assert d["territory"]["after"] < d["territory"]["before"]
    # conservation: Σ P·ΔA = ΔS (consultations), the supply removed is found in the communes' access
    dS = sum(c["population_weight"] * (c["after"] - c["before"]) for c in rows)
    assert dS == pytest.approx(d["supply_change"], rel=1e-3)
    # the base values are the build's access_mg
    base = atlas.commune_values("access_mg", ["17300"]).iloc[0]["value"]
    assert next(c for c in rows if c["code"] == "17300")["before"] == pytest.approx(base, abs=1e-3)


@pytest.mark.integration
def test_scenario_from_a_file_and_bad_input_exit_2(built_data_dir, tmp_path):
    f = tmp_path / "msp.csv"
    f.write_text("commune;profession;delta\n17300;mg;-1\n17028;mg;3\n", encoding="utf-8")
    r = run(built_data_dir, "--file", str(f), "--format", "json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert [c["commune"] for c in d["changes"]] == ["17300", "17028"] and d["territory"]["id"] == "france"
    for args, words in ((["--profession", "mg", "--commune", "99999", "--delta", "1"], "commune inconnue"),
                        (["--profession", "xx", "--commune", "17300", "--delta", "1"], "choix invalide"),
                        (["--profession", "mg", "--commune", "17300", "--delta", "-100000"], "impossible d'en retirer")):
        r = run(built_data_dir, *args)
        assert r.returncode == 2 and words in r.stderr and "Traceback" not in r.stderr, (args, r.stderr)
    bad = tmp_path / "bad.csv"
    bad.write_text("commune;profession;delta\n17300;mg;zero\n", encoding="utf-8")
    r = run(built_data_dir, "--file", str(bad))
    assert r.returncode == 2 and "bad.csv, ligne 2, colonne delta" in r.stderr
