"""Server time of a scenario change on the Simulation page, on a build (a script, not a timed test).

A scenario change (a professional added or removed, an MSP opened) makes the page's ``_draw``
callback (``dashboard/pages/simulation.py``) compute, over the communes the view draws:

* ``scenario_report`` (``atlas/read/access.py``): the model's what-if and its report;
* the layers: ``build_layer`` of the accessibility indicator (e.g. ``access_mg``) over the area (the
  "before" map), then the "after" and "change" layers (``dashboard/maps/scenario.py:scenario_view``,
  which does all three plus the report);
* the paint the browser receives (``commune_map.paint``).

Each is timed separately and together ("page"), p50 / p95 over ``--scenarios`` changes per round,
median of ``--runs`` rounds, the model loaded and warm (as on a worker that has served the page
once: the first load of the model is reported apart). Views: a département drawn whole
(``dep-17``: the territory and the map are the département) and France (territory Aunis Sud,
extent France: the report is for the CPTS, the map for France — the largest layer the page builds;
and territory France when the build has one). The changes cycle over communes of the view: a GP
removed, a GP added, an MSP of three GPs, two changes at once.

Targets (issue): ≤ 100 ms p95 for a département, ≤ 300 ms for France.

Usage::

    .venv/bin/python bench/bench_scenario.py --data-dir geodata [--runs 3] [--scenarios 40] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from atlas.access.model import Change  # noqa: E402
from atlas.catalog import access_id  # noqa: E402
from atlas.read import current  # noqa: E402
from atlas.read.access import scenario_report  # noqa: E402
from benchlib import machine_line  # noqa: E402
from dashboard.components import commune_map as cmap  # noqa: E402
from dashboard.maps.layer import build_layer  # noqa: E402
from dashboard.maps.scenario import scenario_view  # noqa: E402
from dashboard.maps.view import view_area  # noqa: E402

VIEWS = {"departement-17": ("dep-17", "territoire"), "france (Aunis Sud)": ("aunis-sud", "france")}
TARGET_P95_MS = {"departement-17": 100, "france (Aunis Sud)": 300}


def change_cycle(codes: list[str], model) -> list[list[Change]]:
    """Changes in communes of the view that have GPs (removals stay possible)."""
    idx = model.indices(codes)
    have = [codes[k] for k, i in enumerate(idx) if model.professionals is not None and model.professionals[i] >= 2]
    pick = (have or list(codes))[:: max(1, len(have or codes) // 10)][:10]
    out = []
    for k, c in enumerate(pick):
        out.append([[Change(c, -1)], [Change(c, +1)], [Change(c, +3)],
                    [Change(c, -1), Change(pick[(k + 1) % len(pick)], +2)]][k % 4])
    return out


def pct(v, p):
    return float(np.percentile(np.asarray(v), p))


def measure(atlas, territory_id: str, extent: str, profession: str, n: int) -> dict:
    territory = atlas.territory(territory_id)
    area_id, codes = view_area(atlas, territory, extent)
    spec = cmap.geometry_spec(atlas, area_id, codes, outline=list(territory.codes) or None)
    drawn = cmap.drawn_codes(atlas, spec)
    model = atlas.access.model(profession)
    cycle = change_cycle(list(territory.codes) or list(drawn), model)
    iid = access_id(profession)
    steps = {"scenario_report": [], "build_layer (avant)": [], "scenario_view + paint (page)": []}
    for k in range(n):
        changes = cycle[k % len(cycle)]
        t0 = time.perf_counter()
        scenario_report(atlas, profession, changes, territory)
        t1 = time.perf_counter()
        build_layer(atlas, iid, drawn, None, focus=territory.codes)
        t2 = time.perf_counter()
        sv = scenario_view(atlas, territory, drawn, profession, changes)
        cmap.paint(atlas, spec, sv.layer("apres"), key="bench")
        t3 = time.perf_counter()
        steps["scenario_report"].append((t1 - t0) * 1000)
        steps["build_layer (avant)"].append((t2 - t1) * 1000)
        steps["scenario_view + paint (page)"].append((t3 - t2) * 1000)
    return {"communes_drawn": len(drawn), "territory_communes": len(territory.codes),
            **{f"{s} p50": pct(v, 50) for s, v in steps.items()}, **{f"{s} p95": pct(v, 95) for s, v in steps.items()}}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--profession", default="mg")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--scenarios", type=int, default=40)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    load0 = os.getloadavg()
    atlas = current(args.data_dir)
    t0 = time.perf_counter()
    atlas.access.model(args.profession)
    first_model_s = time.perf_counter() - t0
    views = dict(VIEWS)
    try:
        atlas.territory("france")
        views["france (territoire France)"] = ("france", "france")
        TARGET_P95_MS["france (territoire France)"] = 300
    except Exception:  # noqa: BLE001 - a build without a France territory
        pass
    for territory_id, extent in views.values():          # warm-up: caches of the read model, geometry
        measure(atlas, territory_id, extent, args.profession, 3)
    rounds = {name: [measure(atlas, t, e, args.profession, args.scenarios) for _ in range(args.runs)]
              for name, (t, e) in views.items()}
    print(f"Machine : {machine_line()} ; build {atlas.build_id} ; charge au départ {load0} ; à la fin {os.getloadavg()}")
    print(f"Premier chargement du modèle ({args.profession}) : {first_model_s * 1000:.0f} ms")
    print(f"Médianes de {args.runs} séries de {args.scenarios} changements de scénario (ms) :")
    out = {}
    for name, reps in rounds.items():
        med = {k: statistics.median(r[k] for r in reps) for k in reps[0]}
        out[name] = med
        page = med["scenario_view + paint (page) p95"]
        print(f"  {name} ({med['communes_drawn']:.0f} communes dessinées) : "
              + " ; ".join(f"{k} {v:.1f}" for k, v in med.items() if k.endswith(("p50", "p95")))
              + f" — cible p95 ≤ {TARGET_P95_MS[name]} ms : {'atteinte' if page <= TARGET_P95_MS[name] else 'MANQUÉE'}")
    if args.json:
        args.json.write_text(json.dumps({"machine": machine_line(), "build": atlas.build_id, "first_model_ms":
                                         first_model_s * 1000, "views": out}, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
