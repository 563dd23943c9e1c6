"""Build hardening: one build at a time, owned staging folders, odd ``current``, clean exit-2 failures,
bit-identical output. All on the tiny fixtures of tests/factories.py."""
from __future__ import annotations

import errno
import math
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from filelock import FileLock

from atlas import paths
from etl import cli
from etl.build import BuildBusy, BuildOptions, run_build
from atlas.read import Atlas

ROOT = Path(__file__).resolve().parent.parent


def options(data_dir, mirror, **kw):
    return BuildOptions(data_dir=data_dir, mirror=mirror, allow_download=False,
                        cache_dir=data_dir.parent / "cache", **kw)


@pytest.fixture
def tiny_build(tmp_path, tiny_mirror):
    data_dir = tmp_path / "geodata"
    run_build(options(data_dir, tiny_mirror))
    return data_dir


def cli_build(data_dir, mirror, *extra, cache=None, timeout=180, popen=False):
    env = {**os.environ, "ATLAS_DATA_DIR": str(data_dir), "ATLAS_CACHE": str(cache or data_dir.parent / "cache")}
    env.pop("ATLAS_MIRROR", None)
    cmd = [sys.executable, "-m", "etl", "build", "--mirror", str(mirror), "--no-download", *extra]
    if popen:
        return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def staging_dirs(data_dir):
    return sorted(p.name for p in (data_dir / paths.BUILDS_DIR).glob(paths.STAGING_PREFIX + "*"))


# -- one build at a time ---------------------------------------------------------------------------------
def test_second_build_exits_2_at_once_and_touches_nothing(tiny_build, tiny_mirror):
    before = (tiny_build / "current").resolve()
    other = tiny_build / "builds" / ".staging-20990101T000000000000-1-abcd"   # the running build's work
    other.mkdir()
    (other / "atlas.duckdb").write_bytes(b"in progress")
    with FileLock(str(tiny_build / paths.LOCK_FILE)):
        t0 = time.perf_counter()
        r = cli_build(tiny_build, tiny_mirror)
        elapsed = time.perf_counter() - t0
        with pytest.raises(BuildBusy):
            run_build(options(tiny_build, tiny_mirror))
    assert r.returncode == 2, r.stderr
    assert "un autre build est en cours" in r.stderr and "--wait" in r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert elapsed < 30                   # at once: no step ran (interpreter start-up only)
    assert (other / "atlas.duckdb").read_bytes() == b"in progress"
    assert (tiny_build / "current").resolve() == before


def test_wait_option_waits_for_the_running_build(tiny_build, tiny_mirror):
    lock = FileLock(str(tiny_build / paths.LOCK_FILE))
    lock.acquire()
    try:
        proc = cli_build(tiny_build, tiny_mirror, "--wait", popen=True)
        time.sleep(4)
        assert proc.poll() is None        # still waiting for the lock
    finally:
        lock.release()
    out, err = proc.communicate(timeout=180)
    assert proc.returncode == 0, err
    assert "attente" in err


@pytest.mark.timeout(400)
def test_concurrent_builds_never_crash_and_never_share_work(tmp_path, tiny_mirror):
    """Before: the second build deleted the first one's staging folder (3 runs in 4: a traceback)."""
    data_dir = tmp_path / "geodata"
    for wait in (False, True):
        extra = ("--wait",) if wait else ()
        procs = [cli_build(data_dir, tiny_mirror, *extra, cache=tmp_path / f"cache{i}", popen=True) for i in range(2)]
        results = [(p.wait(timeout=300), p.stderr.read()) for p in procs]
        for p in procs:
            p.stdout.close()
            p.stderr.close()
        for rc, err in results:
            assert "Traceback" not in err, err
            assert rc == 0 or (rc == 2 and not wait and "un autre build est en cours" in err), err
        assert any(rc == 0 for rc, _ in results)
        if wait:
            assert [rc for rc, _ in results] == [0, 0]
        s = Atlas(data_dir)
        assert len(s.communes) == 5
        s.close()
        assert staging_dirs(data_dir) == []


# -- an odd ``current`` ------------------------------------------------------------------------------------
def test_current_as_a_plain_folder_is_kept_as_a_legacy_build(tiny_build, tiny_mirror):
    """A project copied with ``cp -r``: ``current`` is a folder and the build crashed (IsADirectoryError)."""
    link = tiny_build / "current"
    target = link.resolve()
    link.unlink()
    shutil.copytree(target, link)
    shutil.rmtree(target)
    (link / "note-perso.txt").write_text("à garder")
    r = cli_build(tiny_build, tiny_mirror)
    assert r.returncode == 0, r.stderr
    assert "dossier" in r.stderr and "legacy" in r.stderr
    assert link.is_symlink() and (link / paths.DATABASE_FILE).is_file()
    legacy = [p for p in (tiny_build / "builds").iterdir() if "legacy" in p.name]
    assert len(legacy) == 1 and (legacy[0] / "note-perso.txt").read_text() == "à garder"
    assert (legacy[0] / paths.DATABASE_FILE).is_file()
    # kept by later builds: never pruned automatically
    run_build(options(tiny_build, tiny_mirror))
    run_build(options(tiny_build, tiny_mirror))
    assert legacy[0].is_dir()


def test_current_as_a_plain_folder_then_only(tiny_build, tiny_mirror):
    link = tiny_build / "current"
    target = link.resolve()
    link.unlink()
    shutil.copytree(target, link)
    run_build(options(tiny_build, tiny_mirror, only="drees_apl_mg"))
    assert link.is_symlink() and len(Atlas(tiny_build).communes) == 5


def test_current_as_a_dangling_link_or_a_file(tiny_build, tiny_mirror, tmp_path):
    link = tiny_build / "current"
    link.unlink()
    os.symlink("builds/gone", link)
    r = cli_build(tiny_build, tiny_mirror)
    assert r.returncode == 0, r.stderr
    assert link.is_symlink() and (link / paths.DATABASE_FILE).is_file()
    link.unlink()
    link.write_text("pas un build")
    r = cli_build(tiny_build, tiny_mirror)
    assert r.returncode == 0, r.stderr
    assert link.is_symlink()
    kept = [p for p in tiny_build.iterdir() if p.name.startswith("current.") and p.is_file()]
    assert len(kept) == 1 and kept[0].read_text() == "pas un build"
    r = cli_build(tiny_build, tiny_mirror, "--only", "drees_apl_mg")
    assert r.returncode == 0, r.stderr


def test_only_without_a_usable_current_is_a_clear_error(tmp_path, tiny_mirror):
    data_dir = tmp_path / "g"
    data_dir.mkdir()
    os.symlink("builds/gone", data_dir / "current")
    r = cli_build(data_dir, tiny_mirror, "--only", "drees_apl_mg")
    assert r.returncode == 2 and "Traceback" not in r.stderr and "--only" in r.stderr


# -- failures: exit 2, one line, previous build in place ----------------------------------------------------
def _failing(exc):
    def step(ctx):
        (ctx.staging / "partial.bin").write_bytes(b"x" * 1000)
        raise exc
    return step


FAILURES = {
    "disk full": (OSError(errno.ENOSPC, "No space left on device", "/data/builds/x/atlas.duckdb"), "disque plein"),
    "quota": (OSError(errno.EDQUOT, "Disk quota exceeded"), "quota"),
    "permission": (PermissionError(errno.EACCES, "Permission denied", "/data/builds"), "permission refusée"),
    "duckdb disk full": (duckdb.IOException('IO Error: Could not write file "atlas.duckdb.wal": '
                                            "No space left on device"), "disque plein"),
    "duckdb io": (duckdb.IOException("IO Error: Could not set lock on file"), "DuckDB"),
    "unexpected": (ZeroDivisionError("division by zero"), "--debug"),
}


@pytest.mark.parametrize("case", list(FAILURES))
def test_every_failure_exits_2_with_one_line_and_keeps_previous(tiny_build, tiny_mirror, monkeypatch, capsys, case):
    import etl.steps
    exc, expected = FAILURES[case]
    before = (tiny_build / "current").resolve()
    monkeypatch.setattr(etl.steps, "STEPS", [*etl.steps.STEPS[:2], etl.steps.Step("boom", _failing(exc))])
    rc = cli.main(["--data-dir", str(tiny_build), "build", "--mirror", str(tiny_mirror), "--no-download"])
    err = capsys.readouterr().err
    assert rc == 2
    last = err.strip().splitlines()[-1]
    assert last.startswith("erreur : ") and expected in last and "Traceback" not in err
    assert "base précédente reste en place" in last
    assert (tiny_build / "current").resolve() == before and staging_dirs(tiny_build) == []
    rc = cli.main(["--debug", "--data-dir", str(tiny_build), "build", "--mirror", str(tiny_mirror), "--no-download"])
    assert rc == 2 and "Traceback" in capsys.readouterr().err


def test_ctrl_c_exits_130_and_keeps_previous(tiny_build, tiny_mirror, monkeypatch, capsys):
    import etl.steps
    before = (tiny_build / "current").resolve()
    monkeypatch.setattr(etl.steps, "STEPS", [*etl.steps.STEPS[:2], etl.steps.Step("boom", _failing(KeyboardInterrupt()))])
    rc = cli.main(["--data-dir", str(tiny_build), "build", "--mirror", str(tiny_mirror), "--no-download"])
    err = capsys.readouterr().err
    assert rc == 130 and "Traceback" not in err and "base précédente" in err
    assert (tiny_build / "current").resolve() == before and staging_dirs(tiny_build) == []


def test_missing_essential_source_exits_2_from_the_cli(tmp_path, tiny_mirror):
    (tiny_mirror / "etalab/etalab-decoupage-administratif-6.0.0.tgz").unlink()
    r = cli_build(tmp_path / "g", tiny_mirror)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "Découpage administratif" in r.stderr and "--file communes_admin=" in r.stderr


def test_unwritable_data_dir_exits_2(tmp_path, tiny_mirror):
    blocker = tmp_path / "fichier"
    blocker.write_text("x")
    r = cli_build(blocker / "geodata", tiny_mirror)
    assert r.returncode == 2 and "Traceback" not in r.stderr and r.stderr.startswith("erreur : ")


# -- deterministic output ---------------------------------------------------------------------------------
def _tables(build: Path) -> dict[str, pd.DataFrame]:
    con = duckdb.connect(str(build / paths.DATABASE_FILE), read_only=True)
    try:
        names = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables ORDER BY 1").fetchall()]
        out = {}
        for n in names:
            df = con.execute(f'SELECT * FROM "{n}"').df()
            if n == "build_info":                   # when and which build: differ by design
                df = df[~df["key"].isin(["built_at", "build_id"])]
            if n == "sources":                      # when each file was resolved: differs by design
                df = df.drop(columns=["retrieved_at"])
            out[n] = df.sort_values(list(df.columns)).reset_index(drop=True)
        return out
    finally:
        con.close()


def test_same_inputs_give_bit_identical_builds(tmp_path, tiny_mirror):
    import pyarrow.parquet as pq

    builds = []
    for i in range(2):   # separate data and cache dirs: the demo files are generated twice too
        builds.append(run_build(BuildOptions(data_dir=tmp_path / f"g{i}", mirror=tiny_mirror, demo=True,
                                             allow_download=False, cache_dir=tmp_path / f"cache{i}")))
    a, b = (_tables(p) for p in builds)
    assert set(a) == set(b) and {"commune_values", "reference_values", "communes"} <= set(a)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=True, obj=name)
    assert len(a["reference_values"]) > 0
    files = sorted(p.relative_to(builds[0]) for p in builds[0].rglob("*.parquet"))
    assert files and files == sorted(p.relative_to(builds[1]) for p in builds[1].rglob("*.parquet"))
    for rel in files:
        assert pq.read_table(builds[0] / rel).equals(pq.read_table(builds[1] / rel)), rel


def test_rekey_sums_do_not_depend_on_row_order():
    from etl.rekey import rekey_sum_and_weighted

    rng = random.Random(7)
    values = [rng.choice([0.1, 0.2, 0.3, 1e-9, 12345.678]) * rng.random() for _ in range(400)]
    df = pd.DataFrame({"code": [f"old{i % 7}" for i in range(400)], "n": values,
                       "apl": [rng.random() * 5 for _ in range(400)], "w": values[::-1]})
    rekey = {f"old{i}": "01001" if i < 4 else "01002" for i in range(7)}
    results = []
    for seed in range(5):
        shuffled = df.sample(frac=1, random_state=seed).reset_index(drop=True)
        out, _ = rekey_sum_and_weighted(shuffled, rekey, sums=["n"], weighted={"apl": "w"})
        results.append(out)
    for out in results[1:]:
        pd.testing.assert_frame_equal(out, results[0], check_exact=True)
    expected = math.fsum(v for v, c in zip(df["n"], df["code"]) if rekey[c] == "01001")
    assert results[0].set_index("code").loc["01001", "n"] == expected   # exact, not just stable


def test_references_do_not_depend_on_row_order(tiny_build):
    """The région / France references were summed in the order DuckDB returned rows (last digits of
    ``apl_mg_65`` varied between builds of the same inputs)."""
    from etl.steps import references

    src = tiny_build / "current" / paths.DATABASE_FILE
    seen = []
    for seed in range(3):
        copy = tiny_build.parent / f"copy{seed}.duckdb"
        shutil.copy(src, copy)
        con = duckdb.connect(str(copy))
        cv = con.execute("SELECT * FROM commune_values").df()
        # numerators whose float sum depends on the order of addition: (1e16 + 1) - 1e16 = 0 or 1
        for code, num in (("01001", 1e16), ("01002", 1.0), ("01004", -1e16)):
            cv.loc[(cv["indicator_id"] == "apl_mg") & (cv["code"] == code), "numerator"] = num
        cv = cv.sample(frac=1, random_state=seed)
        con.execute("DELETE FROM commune_values")
        con.register("__cv", cv)
        con.execute("INSERT INTO commune_values SELECT * FROM __cv")
        con.unregister("__cv")

        class Ctx:
            pass
        ctx = Ctx()
        ctx.con = con
        references.run(ctx)
        seen.append(con.execute("SELECT * FROM reference_values ORDER BY ALL").df())
        con.close()
    for df in seen[1:]:
        pd.testing.assert_frame_equal(df, seen[0], check_exact=True)


def test_command_line_mistakes_are_told_in_french_with_exit_2(tmp_path):
    env = {**os.environ, "ATLAS_DATA_DIR": str(tmp_path)}
    for args, words in ((["summary"], "arguments obligatoires manquants : --territory"),
                        (["summary", "--territory", "x", "--year", "abc"], "valeur invalide"),
                        (["values", "--format", "xml"], "choix invalide"),
                        (["bogus"], "choix invalide")):
        r = subprocess.run([sys.executable, "-m", "etl", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=60)
        assert r.returncode == 2 and words in r.stderr and "usage : " in r.stderr, (args, r.stderr)
        assert "error:" not in r.stderr and "required" not in r.stderr
    # the export command speaks French too (same helper, atlas.argparse_fr)
    r = subprocess.run([sys.executable, "-m", "dashboard.export", "--territory", "x", "--format", "zz", "--out",
                        str(tmp_path / "x")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "choix invalide" in r.stderr and "usage : " in r.stderr, r.stderr
    assert not (tmp_path / "x").exists()
