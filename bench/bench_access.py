"""Benchmark of the computed accessibility: travel-time table (France) and what-if scenarios.

    .venv/bin/python bench/bench_access.py [--mirror DIR] [--runs 3] [--scenarios 200]

Measures, on the machine it runs on (stated in the output), medians of several runs:

* building the national travel-time table (``etl.access.traveltime.travel_time_table``: points,
  adjacency, bounded Dijkstra) and its number of ordered pairs (< 27.7 min, the end of the smoothed
  catchment, see ``atlas/access/weights.py``);
* building the GP model from the pairs (``AccessModel.from_pairs``: weight matrix, both 2SFCA steps);
* a scenario (``AccessModel.scenario``: two GPs retire in one commune, an MSP with three GPs opens in
  another) with the aggregates of a département-sized territory (Charente-Maritime, 463 communes) and
  of France (all communes), p50 and p95 over ``--scenarios`` runs; beside it, in the same run, the
  baseline a scenario would cost without the model: both 2SFCA steps recomputed over the whole matrix.

Targets (server side): ≤ 100 ms p95 for a département, ≤ 300 ms for France.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from atlas.access.fca import two_step  # noqa: E402
from atlas.access.model import AccessModel, Change  # noqa: E402
from atlas.access.parameters import PARAMETERS  # noqa: E402
from atlas.access.weights import TIME_ERROR_SIGMA, table_cutoff  # noqa: E402
from etl.access import traveltime as tt  # noqa: E402
from benchlib import machine_line  # noqa: E402
from validate_access import load_inputs  # noqa: E402

LA_ROCHELLE, SURGERES = "17300", "17434"


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


def timed(fn, runs: int) -> tuple[float, float, object]:
    """Median wall time, median CPU time of this process (the machine may be shared), last result."""
    walls, cpus, result = [], [], None
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return statistics.median(walls), statistics.median(cpus), result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mirror", default=os.environ.get("ATLAS_MIRROR") or str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--scenarios", type=int, default=200)
    args = ap.parse_args()
    cache = Path(os.environ.get("ATLAS_CACHE") or Path(tempfile.gettempdir()) / "cpts-atlas-bench-cache")
    inp = load_inputs(Path(args.mirror), cache)
    print(f"Machine : {machine_line()} ; charge moyenne (1, 5, 15 min) au départ : "
          f"{', '.join(f'{v:.1f}' for v in os.getloadavg())}")
    print(f"Communes : {len(inp.codes)} ; points : {'mairies' if inp.town_halls is not None else 'polygones'}")

    cutoff = table_cutoff(TIME_ERROR_SIGMA)
    t_table, c_table, result = timed(lambda: tt.travel_time_table(
        inp.codes, inp.geoms, inp.population, inp.town_halls, inp.rekey, cutoff=cutoff), args.runs)
    pairs = result.table
    print(f"Table des temps (France) : {t_table:.1f} s, CPU {c_table:.1f} s (médianes de {args.runs}) ; "
          f"{len(pairs)} paires ordonnées "
          f"< {cutoff:.1f} min ; {result.adjacent_pairs} paires de voisines ; {result.components} composantes")

    p = PARAMETERS["mg"]
    std = inp.apl[max(inp.apl)]["pop_std"].to_numpy()
    demand = np.where(np.isnan(std), inp.population, std)
    counts = inp.gp[2019]
    origin, destination = pairs["code_origine"].to_numpy(), pairs["code_destination"].to_numpy()
    minutes = pairs["minutes"].to_numpy(dtype=float)
    t_model, c_model, model = timed(lambda: AccessModel.from_pairs(
        inp.codes, origin, destination, minutes, supply=counts * p.activity, demand=demand,
        population=inp.population, params=p, year=2019, professionals=counts, time_error=TIME_ERROR_SIGMA), args.runs)
    print(f"Modèle médecins généralistes (from_pairs) : {1000 * t_model:.0f} ms, CPU {1000 * c_model:.0f} ms "
          f"(médianes de {args.runs}) ; "
          f"W : {model.W.nnz} coefficients")

    changes = [Change(LA_ROCHELLE, -2), Change(SURGERES, +3)]
    dep17 = inp.codes[inp.dep == "17"]
    dep17_idx = model.indices(dep17)
    cases = {
        "département 17 (codes)": lambda: model.scenario(changes, territory=dep17),
        "département 17 (indices mis en cache)": lambda: model.scenario(changes, territory=dep17_idx),
        "France (toutes les communes, codes)": lambda: model.scenario(changes, territory=inp.codes),
        "France (territory=None)": lambda: model.scenario(changes),
    }
    supply_after = model.supply.copy()
    supply_after[model.indices([LA_ROCHELLE])] -= 2 * p.activity
    supply_after[model.indices([SURGERES])] += 3 * p.new_activity
    cases["référence : 2SFCA recalculé sur toute la matrice"] = lambda: two_step(model.W, supply_after, model.demand)
    for _ in range(5):                        # warm-up
        for fn in cases.values():
            fn()
    print(f"Scénario (2 départs à La Rochelle, MSP de 3 médecins à Surgères), {args.scenarios} exécutions :")
    for label, fn in cases.items():
        samples = []
        for _ in range(args.scenarios):
            t0 = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - t0)
        print(f"  {label:55s} p50 {1000 * percentile(samples, 50):7.2f} ms   p95 {1000 * percentile(samples, 95):7.2f} ms")
    res = model.scenario(changes, territory=dep17)
    print(f"Charge moyenne à la fin : {', '.join(f'{v:.1f}' for v in os.getloadavg())}")
    print(f"  -> {len(res.codes)} communes changent ; département 17 : {res.territory['before']:.3f} -> "
          f"{res.territory['after']:.3f} ; sous 2,5 : {res.territory['population_below_before']:.0f} -> "
          f"{res.territory['population_below_after']:.0f} habitants")


if __name__ == "__main__":
    main()
