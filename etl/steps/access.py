"""Computed accessibility (2SFCA, DREES APL method) for every supply of ``ACCESS_SUPPLIES``.

Writes, into the build:

* ``travel_times.parquet`` (:data:`atlas.paths.TRAVEL_TIMES_FILE`): ordered pairs of communes within the
  largest catchment (``code_origine, code_destination, minutes``; t = 0 within a commune is implicit):
  computed over the commune adjacency graph (:mod:`etl.access.traveltime`; approximate times, on which
  the DREES steps are applied in expectation over a ±15 % error, so pairs up to 27.7 min, see
  :mod:`atlas.access.weights`), or read from ``--file travel_times=PATH`` (a routing engine's or INSEE
  Metric's matrix: exact times, the DREES steps as they are, pairs up to 20 min);
* ``access_inputs`` (profession, year, code, professionals, supply, demand, population) and
  ``access_parameters`` (decay steps, activity, units, sources): what the scenario model
  (:class:`atlas.access.model.AccessModel`) is built from;
* commune values ``access_<p>``: value = A_i × scale (unit of the catalogue), numerator = value ×
  P_i, denominator = P_i, so that territories aggregate as a ratio of sums weighted by the demand
  (for GPs, like the DREES APL: by the standardised population). Year = the supply's year.

Supply: liberal professionals (and pharmacies) per commune, **real** data. The build's values of
``density_<p>_liberal`` / ``density_pharmacy`` that are not synthetic (numerator = count) are used
as the BPE step (``etl/steps/bpe.py``) wrote them, the latest vintage of each supply.
Synthetic (demo) counts are never used: accessibility is computed on real supply only.

Demand: GPs, the DREES standardised population of the latest APL workbook year in the build
(denominator of ``apl_mg``), else the population municipale; others, the population municipale.
"""
from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd

from atlas import paths
from atlas.access import validation
from atlas.access.model import AccessModel, pair_indices
from atlas.access.parameters import DEMAND_STANDARDISED, PARAMETERS
from atlas.access.weights import MAX_CUTOFF_MINUTES, TIME_ERROR_SIGMA, table_cutoff
from atlas.catalog import ACCESS_SUPPLIES, access_id, density_id

from .. import schema
from ..access import traveltime
from .bpe import BPE_SOURCES
from ..build import log

SOURCE_IDS = (*BPE_SOURCES, "communes_town_halls", "travel_times", "drees_apl_mg")


def run(ctx) -> None:
    supply = _supply(ctx)
    if supply is None:
        log("  accessibilité : aucune offre réelle par commune (BPE) -> indicateurs access_* non calculés")
        return
    communes = ctx.con.execute("SELECT code, coalesce(population, 0) AS population FROM communes ORDER BY code").df()
    codes = communes["code"].to_numpy().astype(str)
    population = communes["population"].to_numpy(dtype=float)

    pairs, how, sigma = _travel_times(ctx, codes, population)
    pairs.to_parquet(ctx.staging / paths.TRAVEL_TIMES_FILE, index=False, row_group_size=200_000)
    log(f"  temps de trajet : {len(pairs)} paires < {table_cutoff(sigma):.1f} min ({how})")

    std_pop, std_source = _standardised_population(ctx.con, codes)
    oi, di, known = pair_indices(codes, pairs["code_origine"].to_numpy(), pairs["code_destination"].to_numpy())
    oi, di, minutes = oi[known], di[known], pairs["minutes"].to_numpy(dtype=float)[known]

    inputs, params, values, checks = [], [], [], []
    for prof in ACCESS_SUPPLIES:
        part = supply[supply["profession"] == prof]
        if part.empty:
            continue
        p = PARAMETERS[prof]
        year = int(part["year"].max())
        part = part[part["year"] == year]
        counts = part.set_index("code")["count"].reindex(codes).fillna(0.0).to_numpy(dtype=float)
        demand = std_pop if p.demand == DEMAND_STANDARDISED and std_pop is not None else population
        demand_source = std_source if demand is std_pop else "population municipale (INSEE, via Etalab)"
        model = AccessModel.from_index_pairs(codes, oi, di, minutes, supply=counts * p.activity, demand=demand,
                                             population=population, params=p, year=year, professionals=counts,
                                             time_error=sigma)
        source_id = str(part["source_id"].iloc[0])
        synthetic = bool(part["synthetic"].any())
        inputs.append(pd.DataFrame({"profession": prof, "year": year, "code": codes, "professionals": counts,
                                    "supply": model.supply, "demand": model.demand, "population": population}))
        row = p.as_row()
        row.update({"year": year, "decay_steps": json.dumps(row["decay_steps"]), "demand_source": demand_source,
                    "supply_source_id": source_id, "travel_times": how, "time_error_sigma": sigma,
                    "cutoff": p.decay.cutoff_for(sigma)})
        params.append(row)
        values.append(pd.DataFrame({
            "indicator_id": access_id(prof), "code": codes, "year": year, "value": model.values,
            "numerator": model.values * model.demand, "denominator": model.demand,
            "source_id": source_id, "synthetic": synthetic}))
        agg = model.aggregate()
        log(f"  {access_id(prof)} {year} : France {agg['value']:.3g} ({p.value_unit})")
        if prof == "mg":
            checks = _validate(ctx.con, codes, model.values, year, p.threshold)

    con = ctx.con
    con.execute(schema.ACCESS_DDL)
    con.execute("DELETE FROM access_inputs")
    con.execute("DELETE FROM access_parameters")
    frame = pd.concat(inputs, ignore_index=True)
    con.register("__ai", frame)
    con.execute("INSERT INTO access_inputs SELECT profession, year, code, professionals, supply, demand, population "
                "FROM __ai")
    con.unregister("__ai")
    cols = ["profession", "year", "decay_steps", "cutoff", "time_error_sigma", "decay_source", "activity",
            "new_activity", "activity_source", "scale", "demand", "demand_source", "supply_unit", "value_unit",
            "threshold", "supply_source_id", "travel_times"]
    con.register("__ap", pd.DataFrame(params)[cols])
    con.execute(f"INSERT INTO access_parameters SELECT {', '.join(cols)} FROM __ap")
    con.unregister("__ap")
    con.execute("DELETE FROM access_validation")
    if checks:
        con.register("__av", pd.DataFrame(checks))
        con.execute("INSERT INTO access_validation BY NAME SELECT * FROM __av")
        con.unregister("__av")
    ctx.replace_commune_values([access_id(p) for p in ACCESS_SUPPLIES], pd.concat(values, ignore_index=True))


# -- validation -------------------------------------------------------------------------------------------
def _validate(con, codes: np.ndarray, values: np.ndarray, supply_year: int, threshold: float | None) -> list[dict]:
    """``access_mg`` against each APL year of the build (:func:`atlas.access.validation.compare`)."""
    frame = con.execute("""SELECT v.year, v.code, v.value, v.denominator, coalesce(c.population, 0) AS population,
                                  c.departement
                           FROM commune_values v JOIN communes c USING (code)
                           WHERE v.indicator_id = 'apl_mg' AND NOT v.synthetic ORDER BY v.year, v.code""").df()
    rows = []
    computed = pd.Series(values, index=codes)
    for year, part in frame.groupby("year"):
        try:
            v = validation.compare(computed.reindex(part["code"]).to_numpy(), part["value"], part["denominator"],
                                   part["population"], part["departement"], threshold=threshold or 2.5,
                                   apl_year=int(year))
        except ValueError as exc:
            log(f"  validation contre l'APL {year} impossible : {exc}")
            continue
        log(f"  access_mg contre APL {year} : ρ communes {v.rho_communes:.2f}, ρ départements "
            f"{v.rho_departments:.2f}, {100 * v.same_side:.0f} % de la population du même côté de 2,5")
        rows.append({**v.as_row(), "supply_year": int(supply_year)})
    return rows


# -- travel times -----------------------------------------------------------------------------------------
def _travel_times(ctx, codes: np.ndarray, population: np.ndarray) -> tuple[pd.DataFrame, str, float]:
    """``(pairs, how, σ)``: the file given with ``--file travel_times=PATH`` (exact times: σ = 0, pairs
    < 20 min), else computed over the graph (approximate: σ = TIME_ERROR_SIGMA, pairs up to the end of
    the smoothed catchment, 27.7 min; see atlas/access/weights.py)."""
    if ctx.options.files.get("travel_times") is not None:
        res = ctx.resolve("travel_times", required=True)
        pairs = res.read(known_codes=set(codes), cutoff=MAX_CUTOFF_MINUTES)
        ctx.record_source(res, message=f"{len(pairs)} paires de communes < {MAX_CUTOFF_MINUTES:g} min")
        return pairs, f"fichier fourni ({res.path.name}), temps exacts", 0.0
    geo = gpd.read_parquet(ctx.staging / paths.COMMUNES_FULL_FILE, columns=["code", "geometry"])
    geo = geo.set_index("code").reindex(codes)
    has = geo.geometry.notna().to_numpy() & ~geo.geometry.is_empty.fillna(True).to_numpy()
    town_halls = None
    th_src = ctx.resolve("communes_town_halls")
    if th_src is not None:
        town_halls = th_src.read()
    result = traveltime.travel_time_table(codes[has], geo.geometry.to_numpy()[has], population[has], town_halls,
                                          ctx.rekey or {}, cutoff=table_cutoff(TIME_ERROR_SIGMA))
    message = (f"{result.town_hall_points} communes situées à leur mairie, {int(has.sum()) - result.town_hall_points} "
               f"au point intérieur de leur polygone ; {result.adjacent_pairs} paires de communes voisines, "
               f"{result.links_added} ponts et bacs ; {result.components} composantes connexes")
    if th_src is not None:
        ctx.record_source(th_src, message=message)
    else:
        ctx.warnings.append("Temps de trajet : localisation des mairies indisponible, points intérieurs des "
                            "polygones utilisés (approximation moins bonne, voir bench/validate_access.py)")
    how = ("graphe d'adjacence des communes, vitesses par classe de densité "
           f"({'/'.join(f'{v:g}' for v in traveltime.SPEED_KMH)} km/h), détour {traveltime.DETOUR_FACTOR:g}, "
           f"ponts et bacs ; points : {'mairies' if th_src is not None else 'points intérieurs des polygones'} ; "
           f"paliers en espérance sur une erreur de ± {100 * TIME_ERROR_SIGMA:.0f} % des temps")
    return result.table, how, TIME_ERROR_SIGMA


# -- demand -----------------------------------------------------------------------------------------------
def _standardised_population(con, codes: np.ndarray) -> tuple[np.ndarray | None, str]:
    """DREES standardised population (denominator of ``apl_mg``, latest year) per commune, the population
    municipale where the workbook has none; ``(None, …)`` when the build has no APL."""
    year = con.execute("SELECT max(year) FROM commune_values WHERE indicator_id = 'apl_mg'").fetchone()[0]
    if year is None:
        return None, "population municipale (APL DREES absent du build)"
    frame = con.execute("""SELECT c.code, coalesce(v.denominator, c.population, 0) AS p
                           FROM communes c LEFT JOIN commune_values v ON v.code = c.code
                               AND v.indicator_id = 'apl_mg' AND v.year = ?""", [int(year)]).df()
    out = frame.set_index("code")["p"].reindex(codes).fillna(0.0).to_numpy(dtype=float)
    return out, (f"population standardisée {int(year)} de l'APL DREES (pondération par âge), population "
                 f"municipale pour les communes absentes du classeur")


# -- supply -----------------------------------------------------------------------------------------------
def _supply(ctx) -> pd.DataFrame | None:
    """``profession, code, year, count, source_id, synthetic`` of real liberal counts per commune: the
    numerators the BPE step (``etl/steps/bpe.py``) wrote, never demo counts."""
    return _supply_from_build(ctx.con)


def _supply_from_build(con) -> pd.DataFrame | None:
    """Counts written by an earlier step as the numerator of ``density_<p>_liberal`` / ``density_pharmacy``
    (real values only), the latest year of each."""
    ids = {density_id(p, "liberal"): p for p in ACCESS_SUPPLIES}
    frame = con.execute("""SELECT indicator_id, code, year, numerator AS count, source_id, synthetic
                           FROM commune_values WHERE list_contains(?, indicator_id) AND NOT synthetic
                               AND numerator IS NOT NULL""", [list(ids)]).df()
    if frame.empty:
        return None
    frame["profession"] = frame["indicator_id"].map(ids)
    latest = frame.groupby("profession")["year"].transform("max")
    return frame[frame["year"] == latest].drop(columns="indicator_id")

