"""Explorer before/after: two code trees' own ``bench/bench_explorer.py``, alternating, medians.

Each round runs the baseline tree's script on its build, then this tree's script on its build
(alternating in the same session so that the load of the shared machine weighs on both alike), and
the table gives, per scenario and figure, the median over the rounds of each tree's figure. The
baseline is the previous explorer (commit 085eebb, Leaflet), whose script measures the same figures
under the same keys (first render cold/warm, server ms per interaction p50/p95, bytes per
interaction, minimal payload, whole map); scenarios it does not know (région, France) have no
"before".

Usage::

    .venv/bin/python bench/compare_explorer.py --base-tree ../base --base-data /tmp/base-geodata \\
        --data-dir geodata [--rounds 3] [--interactions 15] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIGURES = ("first_render_cold_s", "first_render_warm_s", "server_ms_p50", "server_ms_p95", "main_callback_ms_p50",
           "main_callback_ms_p95", "title_updated_ms_p50", "title_updated_ms_p95", "paint_applied_ms_p95",
           "bytes_p50", "received_bytes_p50", "minimal_bytes_p50", "full_map_bytes", "requests_per_interaction",
           "first_load_received_bytes_cold", "first_load_received_bytes_warm")


def run_tree(tree: Path, data_dir: Path, interactions: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        subprocess.run([sys.executable, str(tree / "bench" / "bench_explorer.py"), "--data-dir", str(data_dir),
                        "--interactions", str(interactions), "--json", str(out)], cwd=tree, check=True,
                       stdout=subprocess.DEVNULL)
        return json.loads(out.read_text())


def medians(reports: list[dict]) -> dict:
    """scenario -> figure -> median over the rounds (figures a tree does not report are left out)."""
    by: dict[str, dict[str, list]] = {}
    for rep in reports:
        for sc in rep["scenarios"]:
            for k in FIGURES:
                if sc.get(k) is not None:
                    by.setdefault(sc["scenario"], {}).setdefault(k, []).append(sc[k])
            by[sc["scenario"]].setdefault("communes", []).append(sc["communes"])
    return {s: {k: statistics.median(v) for k, v in figs.items()} for s, figs in by.items()}


def table(before: dict, after: dict) -> str:
    lines = ["| scenario | figure | before (085eebb) | after | after / before |", "|---|---|---:|---:|---:|"]
    for s, figs in after.items():
        for k in ("communes",) + FIGURES:
            if k not in figs:
                continue
            b = before.get(s, {}).get(k)
            ratio = f"{figs[k] / b:.2f}" if b else ""
            lines.append(f"| {s} | {k} | {'' if b is None else b} | {figs[k]} | {ratio} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--base-tree", type=Path, required=True)
    ap.add_argument("--base-data", type=Path, required=True)
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--interactions", type=int, default=15)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    runs = {"before": [], "after": []}
    for r in range(args.rounds):
        for label, tree, data in (("before", args.base_tree, args.base_data), ("after", ROOT, args.data_dir)):
            print(f"round {r + 1}/{args.rounds}: {label}", flush=True)
            runs[label].append(run_tree(tree.resolve(), data.resolve(), args.interactions))
    before, after = medians(runs["before"]), medians(runs["after"])
    print(f"machine: {runs['after'][0]['meta']['machine']}; medians of {args.rounds} alternating rounds, "
          f"{args.interactions} interactions each")
    print(table(before, after))
    if args.json:
        args.json.write_text(json.dumps({"before": before, "after": after, "runs": runs}, ensure_ascii=False,
                                        indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
