"""Build hardening on the real mirror (run on demand): concurrent builds, bit-identical output, disk full.

    .venv/bin/python bench/bench_build_hardening.py [--mirror DIR] [--rounds 4] [--builds 3] [--disk-full]
                                                    [--baseline REV]

* **concurrent**: ``--rounds`` times, two ``python -m etl build --mirror DIR --demo --no-download`` started
  together on the same data directory; reports each exit code, whether a traceback was printed, the
  first line of the message, and whether ``current`` is a readable build afterwards;
* **deterministic**: ``--builds`` sequential builds of the same inputs (separate data and cache
  directories); every DuckDB table (sorted, build time and id excluded) and every parquet file is
  compared with the first build's; reports the tables and files that differ, and the median build time;
* **disk full** (``--disk-full``, needs root to mount a tmpfs): a data directory on a tmpfs with room
  for one build; the first build succeeds, the second runs out of space: reports its exit code,
  message, and that ``current`` still points at the first build.

``--baseline REV`` runs the concurrent and deterministic sections also on the code of that git revision
(e.g. ``389953f``), in the same run, extracted with ``git archive`` into a temporary directory.
Nothing is written in the source tree.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchlib import export_tree, machine

ROOT = Path(__file__).resolve().parent.parent


def build_cmd(mirror: Path) -> list[str]:
    return [sys.executable, "-m", "etl", "build", "--mirror", str(mirror), "--demo", "--no-download"]


def env_for(code: Path, data_dir: Path, cache: Path) -> dict:
    env = {**os.environ, "ATLAS_DATA_DIR": str(data_dir), "ATLAS_CACHE": str(cache), "PYTHONPATH": str(code)}
    env.pop("ATLAS_MIRROR", None)
    return env


def readable(data_dir: Path) -> bool:
    import duckdb
    db = data_dir / "current" / "atlas.duckdb"
    if not db.is_file():
        return False
    try:
        con = duckdb.connect(str(db), read_only=True)
        n = con.execute("SELECT count(*) FROM communes").fetchone()[0]
        con.close()
        return n > 30_000
    except Exception:  # noqa: BLE001 - unreadable is the answer
        return False


def concurrent(code: Path, mirror: Path, tmp: Path, rounds: int) -> list[dict]:
    data_dir, cache = tmp / "concurrent", tmp / "cache-concurrent"
    out = []
    for i in range(rounds):
        procs = [subprocess.Popen(build_cmd(mirror), cwd=code, env=env_for(code, data_dir, cache),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for _ in range(2)]
        res = []
        for p in procs:
            _, err = p.communicate(timeout=900)
            lines = [ln for ln in err.splitlines() if ln.strip()]
            res.append({"exit": p.returncode, "traceback": "Traceback" in err,
                        "last_line": (lines[-1] if lines else "")[:160]})
        staging = list((data_dir / "builds").glob(".staging-*")) if (data_dir / "builds").is_dir() else []
        out.append({"round": i + 1, "builds": res, "current_readable": readable(data_dir),
                    "staging_left": len(staging)})
        print(f"  round {i + 1}: {out[-1]}", file=sys.stderr)
    return out


def tables(build: Path) -> dict:
    import duckdb
    con = duckdb.connect(str(build / "atlas.duckdb"), read_only=True)
    out = {}
    for (name,) in con.execute("SELECT table_name FROM information_schema.tables ORDER BY 1").fetchall():
        df = con.execute(f'SELECT * FROM "{name}"').df()
        if name == "build_info":
            df = df[~df["key"].isin(["built_at", "build_id"])]
        if name == "sources":
            df = df.drop(columns=["retrieved_at"])
        out[name] = df.sort_values(list(df.columns)).reset_index(drop=True)
    con.close()
    return out


def deterministic(code: Path, mirror: Path, tmp: Path, n: int) -> dict:
    import pyarrow.parquet as pq
    builds, seconds = [], []
    for i in range(n):
        data_dir = tmp / f"det-{code.name}-{i}"
        t0 = time.perf_counter()
        subprocess.run(build_cmd(mirror), cwd=code, env=env_for(code, data_dir, tmp / f"cache-det-{code.name}-{i}"),
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        seconds.append(time.perf_counter() - t0)
        builds.append((data_dir / "current").resolve())
    first = tables(builds[0])
    differing = []
    for b in builds[1:]:
        other = tables(b)
        for name, df in first.items():
            if not df.equals(other.get(name)):
                differing.append(name)
        for f in sorted(builds[0].rglob("*.parquet")):
            if not pq.read_table(f).equals(pq.read_table(b / f.relative_to(builds[0]))):
                differing.append(f.name)
    result = {"builds": n, "median_build_s": round(statistics.median(seconds), 1),
              "differing": sorted(set(differing))}
    print(f"  {result}", file=sys.stderr)
    return result


def disk_full(mirror: Path, tmp: Path) -> dict:
    mnt = tmp / "tmpfs"
    mnt.mkdir()
    # room for one build with --demo (~61 MB on COG 2025) but not two
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=100m", "tmpfs", str(mnt)], capture_output=True, text=True)
    if r.returncode != 0:
        return {"skipped": f"mount tmpfs impossible ({r.stderr.strip()})"}
    try:
        env = env_for(ROOT, mnt / "geodata", tmp / "cache-full")
        first = subprocess.run(build_cmd(mirror), cwd=ROOT, env=env, capture_output=True, text=True)
        before = (mnt / "geodata" / "current").resolve()
        second = subprocess.run(build_cmd(mirror), cwd=ROOT, env=env, capture_output=True, text=True)
        lines = [ln for ln in second.stderr.splitlines() if ln.strip()]
        return {"first_exit": first.returncode, "second_exit": second.returncode,
                "traceback": "Traceback" in second.stderr, "message": lines[-1][:200] if lines else "",
                "current_unchanged": (mnt / "geodata" / "current").resolve() == before,
                "current_readable": readable(mnt / "geodata"),
                "staging_left": len(list((mnt / "geodata" / "builds").glob(".staging-*")))}
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mirror", default=os.environ.get("ATLAS_MIRROR") or str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--builds", type=int, default=3)
    ap.add_argument("--disk-full", action="store_true")
    ap.add_argument("--baseline")
    args = ap.parse_args()
    mirror = Path(args.mirror)
    report = {"machine": machine()}
    with tempfile.TemporaryDirectory(prefix="atlas-bench-build-") as tmp:
        tmp = Path(tmp)
        codes = {"current": ROOT}
        if args.baseline:
            base = export_tree(args.baseline, tmp / "baseline")
            codes[f"baseline {args.baseline}"] = base
        for label, code in codes.items():
            print(f"{label} : builds simultanés", file=sys.stderr)
            sub = tmp / label.replace(" ", "-")
            sub.mkdir()
            report[label] = {"concurrent": concurrent(code, mirror, sub, args.rounds)}
            print(f"{label} : déterminisme", file=sys.stderr)
            report[label]["deterministic"] = deterministic(code, mirror, sub, args.builds)
        if args.disk_full:
            print("disque plein", file=sys.stderr)
            report["disk_full"] = disk_full(mirror, tmp)
        shutil.rmtree(tmp / "cache-concurrent", ignore_errors=True)
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
