"""Benchmark of the bounded user-input readers on hostile and legitimate files (run on demand).

    .venv/bin/python bench/bench_bounded_inputs.py [--runs 3] [--baseline REV] [--cap-seconds 60]

Builds the files of the test campaign in a temporary directory (never the source tree): an XLSX of 3
million rows (~2 MB), an XLSX holding one 300 MB cell (~0.3 MB), a 3 MB CSV of duplicate rows, a 3 MB
territory list of duplicate codes, a 455-byte YAML alias bomb; and legitimate files: a CPTS table
(200 rows, XLSX), the largest accepted table (100,000 rows, XLSX and CSV), a territory of all France
(YAML). Each is read in a fresh subprocess by the function the CLI and the browser share
(``atlas.userdata.imports.validate_indicator_table``, ``atlas.userdata.territories.parse_uploaded_territory``),
and the script reports the median time of ``--runs`` runs (the read only, imports excluded), the
peak resident memory of the subprocess (VmHWM) and the size of the report a user would get (problem
list or error message).

``--baseline REV`` (e.g. ``389953f``) runs the same files, in the same run, on the code of that git
revision (extracted with ``git archive`` into the temporary directory), each capped at
``--cap-seconds`` and 3 GB of address space so that the machine survives the unbounded reads.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import factories as f  # noqa: E402  (raw XLSX writer shared with the tests)
from benchlib import export_tree, machine  # noqa: E402

HEADER = ["code_commune", "indicateur", "annee", "numerateur", "denominateur", "valeur", "source"]
INDICATORS = ["sans_mt_17", "depistage_sein", "depistage_colorectal", "depistage_col_uterus", "vaccin_grippe_65"]
# Codes in the "valid" set of the child process: 00001..35000 (any 5-digit code of that range).
VALID_RANGE = 35_000
ALIAS_BOMB_455 = (  # 455 bytes: 9 levels of 9 aliases -> 9^9 (387 million) items once expanded
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
    "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\ni: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n"
    "name: bombe\ncommunes: [*i]\n")

CHILD = r"""
import json, sys, time
kind, path, name = sys.argv[1:4]
valid = {f"{i:05d}" for i in range(1, %d + 1)}
if kind == "import":
    from atlas.userdata.imports import validate_indicator_table
else:
    from dashboard.exports.territory_file import parse_uploaded_territory
t0 = time.perf_counter()     # the read only (imports done)
out = ""
try:
    if kind == "import":
        rows, problems = validate_indicator_table(path, valid, original_name=name)
        out = "\n".join(map(str, problems))
        result = f"{len(rows)} lignes, {len(problems)} problème(s)"
    else:
        codes, _ = parse_uploaded_territory(name, open(path, "rb").read(), valid)
        result = f"{len(codes)} codes"
except MemoryError:
    result, out = "MemoryError", ""
except Exception as exc:
    out = str(exc)
    result = f"{type(exc).__name__}"
seconds = time.perf_counter() - t0
# peak resident memory of this process since its exec (VmHWM; ru_maxrss would include the parent's)
hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM"))
print(json.dumps({"seconds": seconds, "result": result, "report_chars": len(out), "report_head": out[:160],
                  "rss_mb": hwm / 1024}))
""" % VALID_RANGE


def write_files(d: Path) -> list[tuple[str, str, Path]]:
    """(label, kind, path) of every file benchmarked."""
    files = []
    p = f.write_raw_xlsx(d / "trois-millions.xlsx", (
        f.xlsx_inline_row(1, HEADER) if i == 1 else f'<row r="{i}"><c r="A{i}"><v>1</v></c></row>'
        for i in range(1, 3_000_001)))
    files.append(("XLSX 3 millions de lignes", "import", p))
    big = "x" * (300 * 1024 * 1024)
    p = f.write_raw_xlsx(d / "cellule-300mo.xlsx", ['<row r="1"><c r="A1" t="s"><v>0</v></c></row>'],
                         shared_strings=[big])
    del big
    files.append(("XLSX une cellule de 300 Mo", "import", p))
    row = "01001;sans_mt_17;2024;80;800;10,0;CPAM de l'Ain 2024\n"
    p = d / "doublons.csv"
    p.write_text(";".join(HEADER) + "\n" + row * (3_000_000 // len(row)), encoding="utf-8")
    files.append(("CSV 3 Mo de lignes en double", "import", p))
    p = d / "codes-doublons.csv"
    p.write_text("code\n" + "01001\n" * 500_000, encoding="utf-8")
    files.append(("liste de territoire 3 Mo en double", "territory", p))
    p = d / "codes-doublons-1mo.csv"
    p.write_text("code\n" + "01001\n" * 30_000, encoding="utf-8")
    files.append(("liste de territoire 30 000 doublons", "territory", p))
    p = d / "bombe.yaml"
    p.write_text(ALIAS_BOMB_455, encoding="utf-8")
    files.append((f"YAML bombe d'alias ({len(ALIAS_BOMB_455.encode())} octets)", "territory", p))

    def table_rows(n):
        for i in range(n):
            yield [f"{1 + i // 5:05d}", INDICATORS[i % 5], "2024", str(i % 500), "1000", "", "CPAM, 2024"]

    def xlsx_rows(n):
        yield f.xlsx_inline_row(1, HEADER)
        for i, r in enumerate(table_rows(n), start=2):
            yield f.xlsx_inline_row(i, r)

    for n in (200, 100_000):
        p = f.write_raw_xlsx(d / f"table-{n}.xlsx", xlsx_rows(n))
        files.append((f"XLSX légitime, {n:,} lignes".replace(",", " "), "import", p))
    p = d / "table-100000.csv"
    p.write_text(";".join(HEADER) + "\n" + "".join(";".join(r) + "\n" for r in table_rows(100_000)),
                 encoding="utf-8")
    files.append(("CSV légitime, 100 000 lignes", "import", p))
    p = d / "france.yaml"
    p.write_text("name: France\ncommunes:\n" + "".join(f"  - {i:05d}\n" for i in range(1, 34_876)), encoding="utf-8")
    files.append(("YAML territoire de toute la France", "territory", p))
    return files


def _limit_child(cap_bytes: int):
    def apply():
        resource.setrlimit(resource.RLIMIT_AS, (cap_bytes, cap_bytes))
    return apply


def run_once(code_root: Path, kind: str, path: Path, cap_seconds: float, cap_bytes: int | None) -> dict:
    env = {**os.environ, "PYTHONPATH": str(code_root)}
    t0 = time.perf_counter()
    try:
        r = subprocess.run([sys.executable, "-c", CHILD, kind, str(path), path.name], cwd=code_root, env=env,
                           capture_output=True, text=True, timeout=cap_seconds,
                           preexec_fn=_limit_child(cap_bytes) if cap_bytes else None)
    except subprocess.TimeoutExpired:
        return {"seconds": None, "result": f"> {cap_seconds:.0f} s (arrêté)", "report_chars": None, "rss_mb": None}
    wall = time.perf_counter() - t0
    try:
        return json.loads(r.stdout.strip().splitlines()[-1])   # seconds and peak memory measured by the child
    except (IndexError, json.JSONDecodeError):
        return {"seconds": wall, "result": f"échec (code {r.returncode}) {r.stderr.strip()[-160:]}",
                "report_chars": None, "rss_mb": None}


def bench(code_root: Path, files, runs: int, cap_seconds: float, cap_bytes: int | None) -> dict:
    results = {}
    for label, kind, path in files:
        samples = [run_once(code_root, kind, path, cap_seconds, cap_bytes) for _ in range(runs)]
        secs = [s["seconds"] for s in samples if s["seconds"] is not None]
        rss = [s["rss_mb"] for s in samples if s["rss_mb"]]
        results[label] = {"median_s": round(statistics.median(secs), 3) if secs else None,
                          "peak_rss_mb": round(max(rss)) if rss else None,
                          "result": samples[-1]["result"], "report_chars": samples[-1]["report_chars"],
                          "file_bytes": path.stat().st_size}
        print(f"  {label:42} {results[label]}", file=sys.stderr)
    return results


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--baseline", help="git revision to compare with, in the same run (e.g. 389953f)")
    ap.add_argument("--cap-seconds", type=float, default=60)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="atlas-bench-inputs-") as tmp:
        tmp = Path(tmp)
        (tmp / "files").mkdir()
        files = write_files(tmp / "files")
        report = {"machine": machine(), "runs": args.runs}
        print("code actuel :", file=sys.stderr)
        report["current"] = bench(ROOT, files, args.runs, args.cap_seconds, None)
        if args.baseline:
            base = export_tree(args.baseline, tmp / "baseline", "atlas", "etl", "dashboard")
            print(f"référence {args.baseline} (plafonds : {args.cap_seconds:.0f} s, 3 Go) :", file=sys.stderr)
            report["baseline"] = {"revision": args.baseline,
                                  "results": bench(base, files, 1, args.cap_seconds, 3 * 1024 ** 3)}
        print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
