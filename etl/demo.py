"""Demo data in the official formats, for machines without the real sources (``python -m etl build --demo``).

Everything here is FICTITIOUS. The files are written in the layouts of the real publications so
that the real parsers read them, and every value derived from them is flagged ``synthetic = true``
(sources, commune values, references, professionals, locations, CLI JSON, exports):

  * ``rpps_personne_activite``  ANS ``PS_LibreAcces_Personne_activite`` (``|``, UTF-8 with BOM)
  * ``insee_bpe``               INSEE BPE, geolocated (``;``, Lambert 93 coordinates)
  * ``ameli_sans_mt``, ``spf_depistage_cancers``   département / région / France references
    (Opendatasoft CSV exports)
  * ``cpam_commune_indicators`` the project's commune import format, with ``donnees_fictives = oui``

Scope: the communes of the départements of the five CPTS (17, 42, 43, 44, 69; 42 because Entre
Loire et Sucs borders it), with their real populations (INSEE population municipale, from the
build's ``communes`` table). Deterministic: numpy ``default_rng(SEED)``; the files go to the cache
(``<cache>/demo/v<DEMO_VERSION>-<hash>/``), never to the source tree or the mirror, and are
regenerated only when the communes, the calibration figures or this generator change.

How counts are drawn: for each commune, profession and mode, an expected count
λ = national density x population x g(population), where g = (population / 2,000)^β concentrates
professionals in towns (β larger for salaried practice, i.e. hospitals), normalised so that each
département gets the national density on average; counts are Poisson(λ), so small villages often
have no GP. Calibration on published figures (``cpts_published_figures.csv``): the liberal
professionals of the six professions of CPTS Aunis Sud sum to exactly 390, those of Vénissieux to
154 of whom 52 nurses (multinomial draws over the territory's communes with the same λ weights).
Some professionals get a second practice row (another site in the same commune: counted once; or a
salaried activity in the département's main town: mixed practice), some rows carry only a postal
code (fallback path of the parser), and the file also holds doctors of other specialties, hospital
and industry pharmacists and orthophonists, which the parser must leave out.
"""
from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .parsers.rpps import GP_SAVOIR_FAIRE, RPPS_HEADER, rpps_header_line

DEMO_VERSION = 6
SEED = 20_240_611
DEMO_DEPARTEMENTS = ("17", "42", "43", "44", "69")
RPPS_DATE = "202501150600"        # extraction date in the demo file name -> year 2025
REFERENCE_YEARS = (2023, 2024)    # years of the demo share indicators (commune file and references)

# National densities per 10,000 inhabitants used to draw demo counts: (all modes, libéral).
# Rounded orders of magnitude, for demo calibration only:
#  * all modes: DREES, « Démographie des professionnels de santé » (RPPS / ADELI, 1 January 2023):
#    ~99,000 GPs, ~640,000 nurses, ~100,000 physiotherapists, ~24,000 midwives, ~45,000 dentists,
#    ~53,000 pharmaciens d'officine (titulaires + adjoints), for ~68 million inhabitants;
#  * libéral: Assurance Maladie, « Data professionnels de santé libéraux » (effectifs 2022-2023):
#    ~57,000 GPs, ~98,000 nurses, ~85,000 physiotherapists, ~9,000 midwives, ~37,000 dentists;
#    Ordre des pharmaciens (démographie 2023): ~26,000 titulaires d'officine (= libéral for pharma).
NATIONAL_DENSITY = {
    "mg": (14.6, 8.4),
    "inf": (94.0, 14.4),
    "mk": (14.7, 12.5),
    "sf": (3.5, 1.3),
    "pharma": (7.8, 3.8),
    "dent": (6.6, 5.4),
}
# Others written to the file and excluded by the parser: doctors of other specialties, hospital /
# industry pharmacists, orthophonists (per 10,000; same DREES source, rounded).
OTHER_DENSITY = {"specialists": 9.0, "pharma_other": 2.5, "ortho": 3.0}
# Concentration exponent β of g(population) by mode.
BETA = {"liberal": 0.20, "salarie": 0.55}
MULTI_SITE_SHARE = 0.04      # liberal professionals with a second practice row
POSTAL_ONLY_SHARE = 0.02     # rows written with an empty commune code (postal-code fallback)

# Shares (%) for the commune import file and the references. France values: orders of magnitude of
# the publications (Assurance Maladie: ~11 % of patients 17+ without médecin traitant in 2023;
# Santé publique France: breast screening ~47 % (2022-2023), colorectal ~34 % (2022-2023), cervical
# ~59 % (2020-2022), influenza 65+ ~54 % (2023-2024)). Rhône: 11.4 % without MT (CPAM du Rhône,
# 2022, cited in cpts_published_figures.csv); CPTS Ouest Rhodanien: ~14 % (same release).
FRANCE_SHARE = {"sans_mt_17": 11.0, "depistage_sein": 46.5, "depistage_colorectal": 34.0,
                "depistage_col_uterus": 59.0, "vaccin_grippe_65": 54.0}
DEPARTEMENT_SANS_MT = {"17": 10.6, "42": 9.8, "43": 8.9, "44": 8.6, "69": 11.4}
TERRITORY_SANS_MT = {"ouest-rhodanien": 14.0}
# Denominator of each share as a fraction of the population municipale (INSEE age structure, rounded).
DENOMINATOR_SHARE = {"sans_mt_17": 0.78, "depistage_sein": 0.165, "depistage_colorectal": 0.33,
                     "depistage_col_uterus": 0.26, "vaccin_grippe_65": 0.21}

PROFESSION_ROWS = {  # profession id -> (code, label, savoir-faire code, savoir-faire label)
    "mg": ("10", "Médecin", "SM54", GP_SAVOIR_FAIRE["SM54"]),
    "inf": ("60", "Infirmier", "", ""),
    "mk": ("70", "Masseur-Kinésithérapeute", "", ""),
    "sf": ("50", "Sage-Femme", "", ""),
    "pharma": ("21", "Pharmacien", "", ""),
    "dent": ("40", "Chirurgien-Dentiste", "", ""),
}
SPECIALTIES = [("SM04", "Cardiologie et maladies vasculaires"), ("SM15", "Gynécologie-obstétrique"),
               ("SM38", "Ophtalmologie"), ("SM40", "Pédiatrie"), ("SM42", "Psychiatrie"),
               ("SM02", "Anesthésie-réanimation")]
BPE_TYPES = {"mg": "D265", "dent": "D277", "sf": "D278", "mk": "D279", "inf": "D281"}
BPE_LABELS = {"D265": "Cabinet de médecine générale", "D277": "Cabinet dentaire", "D278": "Cabinet de sage-femme",
              "D279": "Cabinet de kinésithérapie", "D281": "Cabinet infirmier", "D307": "Pharmacie",
              "D113": "Maison de santé pluriprofessionnelle", "D108": "Centre de santé"}

FILES = {
    "rpps_personne_activite": f"PS_LibreAcces_Personne_activite_{RPPS_DATE}.txt",
    "insee_bpe": "BPE24_demo.csv",
    "ameli_sans_mt": "ameli_sans_mt_demo.csv",
    "spf_depistage_cancers": "spf_depistage_cancers_demo.csv",
    "cpam_commune_indicators": "cpam_indicateurs_communes_DEMO.csv",
}


@dataclass
class DemoFiles:
    directory: Path

    def path(self, source_id: str) -> Path:
        return self.directory / FILES[source_id]


def _inputs(con) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict]:
    communes = con.execute("""
        SELECT code, nom, departement, region, coalesce(population, 0) AS population, lon, lat, xmin, ymin, xmax, ymax
        FROM communes ORDER BY code""").df()
    deps = con.execute("SELECT code, nom, region FROM departements").df()
    regs = con.execute("SELECT code, nom FROM regions").df()
    try:
        members = con.execute("SELECT territory_id, code FROM territory_communes WHERE role = 'member'").df()
        figs = con.execute("SELECT territory_id, figure, value FROM published_figures").df()
    except Exception:  # noqa: BLE001 - territories step not run: no calibration
        members = pd.DataFrame(columns=["territory_id", "code"])
        figs = pd.DataFrame(columns=["territory_id", "figure", "value"])
    calib = {}
    for r in figs.itertuples(index=False):
        calib[(r.territory_id, r.figure)] = float(r.value)
    return communes, deps, regs, {"members": members, "figures": calib}


def generate_demo_files(con, root: Path, postal: dict[str, list[str]] | None = None) -> DemoFiles:
    """Write (or reuse) the demo files for the communes in ``con`` (a build connection)."""
    communes, deps, regs, calib = _inputs(con)
    scope = communes[communes["departement"].isin(DEMO_DEPARTEMENTS)].reset_index(drop=True)
    if scope.empty:   # a test world without the five départements: use all its communes
        scope = communes.reset_index(drop=True)
    key = hashlib.sha256(json.dumps({
        "v": DEMO_VERSION, "seed": SEED,
        "communes": scope[["code", "population"]].astype(str).values.tolist(),
        "members": sorted(map(tuple, calib["members"].astype(str).values.tolist())),
        "figures": sorted((f"{k[0]}|{k[1]}", v) for k, v in calib["figures"].items()),
    }).encode()).hexdigest()[:12]
    directory = Path(root) / f"v{DEMO_VERSION}-{key}"
    done = directory / ".complete"
    files = DemoFiles(directory)
    if done.is_file():
        return files
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    unique_postal = _unique_postal(postal)
    counts = _draw_counts(scope, calib, rng)
    _write_rpps(files.path("rpps_personne_activite"), scope, counts, rng, unique_postal)
    _write_bpe(files.path("insee_bpe"), scope, counts, rng)
    shares = _write_commune_shares(files.path("cpam_commune_indicators"), scope, counts, calib, rng)
    _write_references(files, scope, communes, deps, regs, shares, rng)
    done.write_text(json.dumps({"version": DEMO_VERSION, "seed": SEED}))
    return files


def _unique_postal(postal) -> dict[str, str]:
    """commune code -> a postal code that belongs to this commune only (for postal-fallback rows)."""
    out = {}
    for cp, codes in (postal or {}).items():
        if len(codes) == 1:
            out.setdefault(codes[0], cp)
    return out


def _weights(pop: np.ndarray, beta: float) -> np.ndarray:
    g = np.clip((np.maximum(pop, 1) / 2000.0) ** beta, 0.15, 6.0)
    return pop * g


def _draw_counts(scope: pd.DataFrame, calib: dict, rng) -> pd.DataFrame:
    """Counts per commune: columns <prof>_liberal, <prof>_salarie for the six professions."""
    pop = scope["population"].to_numpy(dtype=float)
    out = pd.DataFrame({"code": scope["code"]})
    lam = {}
    for prof, (d_all, d_lib) in NATIONAL_DENSITY.items():
        for mode, density in (("liberal", d_lib), ("salarie", max(d_all - d_lib, 0.0))):
            w = _weights(pop, BETA[mode])
            lam_pm = np.zeros_like(pop)
            for dep, idx in scope.groupby("departement").indices.items():
                total = density / 10_000 * pop[idx].sum()
                lam_pm[idx] = w[idx] / max(w[idx].sum(), 1) * total
            lam[(prof, mode)] = lam_pm
            out[f"{prof}_{mode}"] = rng.poisson(lam_pm)
    # Calibration of liberal counts on published territory figures.
    members = calib["members"]
    figs = calib["figures"]
    index = {c: i for i, c in enumerate(scope["code"])}
    targets = []
    if ("aunis-sud", "liberal_professionals") in figs:
        targets.append(("aunis-sud", int(figs[("aunis-sud", "liberal_professionals")]), {}))
    if ("venissieux", "liberal_professionals") in figs:
        fixed = {"inf": int(figs[("venissieux", "nurses")])} if ("venissieux", "nurses") in figs else {}
        targets.append(("venissieux", int(figs[("venissieux", "liberal_professionals")]), fixed))
    for tid, total, fixed in targets:
        rows = [index[c] for c in members.loc[members["territory_id"] == tid, "code"] if c in index]
        if not rows:
            continue
        for prof, n in fixed.items():
            w = lam[(prof, "liberal")][rows]
            out.loc[rows, f"{prof}_liberal"] = rng.multinomial(n, w / w.sum())
        rest = [p for p in NATIONAL_DENSITY if p not in fixed]
        remaining = total - sum(fixed.values())
        w = np.concatenate([lam[(p, "liberal")][rows] for p in rest])
        draw = rng.multinomial(remaining, w / w.sum())
        for k, p in enumerate(rest):
            out.loc[rows, f"{p}_liberal"] = draw[k * len(rows):(k + 1) * len(rows)]
    return out


def _write_rpps(path: Path, scope: pd.DataFrame, counts: pd.DataFrame, rng, unique_postal: dict) -> None:
    lines = [rpps_header_line()]
    seq = [0]
    main_town = scope.loc[scope.groupby("departement")["population"].idxmax(), ["departement", "code"]]
    main_town = dict(zip(main_town["departement"], main_town["code"]))

    def new_id() -> str:
        seq[0] += 1
        return f"19{seq[0]:09d}"  # 11 digits like an RPPS number; the 19 prefix marks demo numbers

    nom_of = {c: str(n).upper() for c, n in zip(scope["code"], scope["nom"])}
    dep_of = dict(zip(scope["code"], scope["departement"]))
    pos = {h: i for i, h in enumerate(RPPS_HEADER)}
    template = [""] * len(RPPS_HEADER)
    for k, v in {"Type d'identifiant PP": "8", "Prénom d'exercice": "DEMO", "Code catégorie professionnelle": "C",
                 "Libellé catégorie professionnelle": "Civil", "Autorité d'enregistrement": "DEMO/DEMO/DEMO"}.items():
        template[pos[k]] = v
    mode_labels = {"L": "Libéral", "S": "Salarié", "B": "Bénévole"}

    def row(pp, prof_code, prof_label, sf_code, sf_label, mode, code, site, section=("", ""), finess=""):
        postal_only = code in unique_postal and rng.random() < POSTAL_ONLY_SHARE
        f = list(template)
        f[pos["Identifiant PP"]] = pp
        f[pos["Identification nationale PP"]] = "8" + pp
        f[pos["Nom d'exercice"]] = f"FICTIF{pp[-6:]}"
        f[pos["Code profession"]] = prof_code
        f[pos["Libellé profession"]] = prof_label
        if sf_code:
            f[pos["Code type savoir-faire"]] = "S"
            f[pos["Libellé type savoir-faire"]] = "Spécialité ordinale"
        f[pos["Code savoir-faire"]] = sf_code
        f[pos["Libellé savoir-faire"]] = sf_label
        f[pos["Code mode exercice"]] = mode
        f[pos["Libellé mode exercice"]] = mode_labels[mode]
        f[pos["Numéro FINESS site"]] = finess
        f[pos["Identifiant technique de la structure"]] = f"DEMO{site}"
        f[pos["Raison sociale site"]] = f"STRUCTURE FICTIVE {site}"
        f[pos["Code postal (coord. structure)"]] = unique_postal.get(code, "")
        f[pos["Code commune (coord. structure)"]] = "" if postal_only else code
        f[pos["Libellé commune (coord. structure)"]] = nom_of[code]
        f[pos["Code Département (structure)"]] = dep_of[code]
        f[pos["Code section tableau pharmaciens"]] = section[0]
        f[pos["Libellé section tableau pharmaciens"]] = section[1]
        return "|".join(f) + "|\n"

    sections = {"liberal": ("A", "Pharmacien titulaire d'officine"), "salarie": ("D", "Pharmacien adjoint d'officine")}
    codes = counts["code"].to_numpy()
    for prof, (pcode, plabel, sf, sflabel) in PROFESSION_ROWS.items():
        for mode, mcode in (("liberal", "L"), ("salarie", "S")):
            n_by = counts[f"{prof}_{mode}"].to_numpy()
            for code, n in zip(codes, n_by):
                dep = code[:2]
                for _ in range(int(n)):
                    pp = new_id()
                    site = f"{code}{seq[0] % 97:02d}"
                    finess = f"{dep}0{seq[0] % 1000000:06d}" if mode == "salarie" else ""
                    section = sections[mode] if prof == "pharma" else ("", "")
                    lines.append(row(pp, pcode, plabel, sf, sflabel, mcode, code, site, section, finess))
                    if mode == "liberal" and rng.random() < MULTI_SITE_SHARE:
                        if rng.random() < 0.5:   # second cabinet in the same commune: counted once
                            lines.append(row(pp, pcode, plabel, sf, sflabel, "L", code, site + "B", section))
                        else:                    # mixed practice: salaried at the département's main hospital town
                            town = main_town.get(dep_of[code], code)
                            sec = sections["salarie"] if prof == "pharma" else ("", "")
                            lines.append(row(pp, pcode, plabel, sf, sflabel, "S", town, f"{town}H", sec,
                                             f"{town[:2]}0{seq[0] % 1000000:06d}"))
    # Professionals the parser must leave out.
    pop = scope["population"].to_numpy(dtype=float)
    others = [("specialists", "S"), ("pharma_other", "S"), ("ortho", "L")]
    for kind, mode in others:
        lam = _weights(pop, 0.6) / max(_weights(pop, 0.6).sum(), 1) * OTHER_DENSITY[kind] / 10_000 * pop.sum()
        for code, n in zip(scope["code"], rng.poisson(lam)):
            for _ in range(int(n)):
                pp = new_id()
                if kind == "specialists":
                    sf, lab = SPECIALTIES[int(rng.integers(len(SPECIALTIES)))]
                    lines.append(row(pp, "10", "Médecin", sf, lab, mode, code, f"{code}H", finess=f"{code[:2]}0999999"))
                elif kind == "pharma_other":
                    lines.append(row(pp, "21", "Pharmacien", "", "", mode, code, f"{code}H",
                                     ("H", "Pharmacien des établissements de santé")))
                else:
                    lines.append(row(pp, "91", "Orthophoniste", "", "", mode, code, f"{code}O"))
    tmp = path.with_suffix(".part")
    with open(tmp, "w", encoding="utf-8-sig", newline="") as fh:   # UTF-8 with BOM, as the ANS publishes it
        fh.writelines(lines)
    tmp.replace(path)


def _write_bpe(path: Path, scope: pd.DataFrame, counts: pd.DataFrame, rng) -> None:
    from pyproj import Transformer
    tr = Transformer.from_crs(4326, 2154, always_xy=True)
    recs = []
    cnt = counts.set_index("code")
    cnt_d = {col: dict(zip(counts["code"], counts[col])) for col in counts.columns if col != "code"}
    _ = cnt
    for row in scope.itertuples(index=False):
        code = row.code
        if pd.isna(row.lon):
            continue
        n = {t: int(cnt_d[f"{p}_liberal"][code]) for p, t in BPE_TYPES.items()}
        titulaires = int(cnt_d["pharma_liberal"][code])
        n["D307"] = max(1, round(titulaires / 1.3)) if titulaires else 0
        pop = row.population
        n["D113"] = int(pop > 2500 and n["D265"] >= 3 and rng.random() < 0.35)
        n["D108"] = int(pop > 15000 and rng.random() < 0.5) + int(pop // 60000)
        hx = (row.xmax - row.xmin) * 0.2
        hy = (row.ymax - row.ymin) * 0.2
        for typequ, k in n.items():
            for j in range(k):
                lon = row.lon + rng.uniform(-hx, hx)
                lat = row.lat + rng.uniform(-hy, hy)
                recs.append((code, typequ, lon, lat, f"{BPE_LABELS[typequ]} (fictif) {code}-{j + 1}"))
    df = pd.DataFrame(recs, columns=["DEPCOM", "TYPEQU", "lon", "lat", "NOMRS"])
    x, y = tr.transform(df["lon"].to_numpy(), df["lat"].to_numpy())
    dep = df["DEPCOM"].str[:2]
    out = pd.DataFrame({
        "AN": 2024, "NOMRS": df["NOMRS"], "DEPCOM": df["DEPCOM"], "DEP": dep,
        "REG": dep.map(dict(zip(scope["departement"], scope["region"]))),
        "DOM": "D", "SDOM": np.where(df["TYPEQU"].isin(["D113", "D108"]), "D1", np.where(df["TYPEQU"] == "D307", "D3", "D2")),
        "TYPEQU": df["TYPEQU"], "LAMBERT_X": np.round(x, 1), "LAMBERT_Y": np.round(y, 1),
        "QUALITE_XY": "Acceptable", "EPSG": 2154,
    })
    out.to_csv(path, sep=";", index=False, encoding="utf-8")


def _share_rate(iid, dep, tid):
    if iid == "sans_mt_17":
        return TERRITORY_SANS_MT.get(tid, DEPARTEMENT_SANS_MT.get(dep, FRANCE_SHARE[iid]))
    return FRANCE_SHARE[iid] + {"17": 1.5, "42": -0.5, "43": 2.0, "44": 3.0, "69": -2.5}.get(dep, 0.0)


def _write_commune_shares(path: Path, scope: pd.DataFrame, counts: pd.DataFrame, calib: dict, rng) -> pd.DataFrame:
    members = calib["members"]
    tid_of = {}
    for r in members.itertuples(index=False):
        tid_of.setdefault(r.code, r.territory_id)
    pop = scope["population"].to_numpy(dtype=float)
    mg = counts["mg_liberal"].to_numpy(dtype=float)
    recs = []
    for iid, frac in DENOMINATOR_SHARE.items():
        effect = rng.normal(0, 0.18, len(scope))          # commune random effect on the logit scale
        for year in REFERENCE_YEARS:
            drift = (year - REFERENCE_YEARS[-1]) * (0.4 if iid == "sans_mt_17" else -0.3)
            den = np.round(pop * frac * rng.uniform(0.92, 1.0, len(scope))).astype(int)
            for i, code in enumerate(scope["code"]):
                if den[i] <= 0:
                    continue
                base = _share_rate(iid, code[:2], tid_of.get(code)) - drift
                if iid == "sans_mt_17":   # fewer GPs, more patients without médecin traitant
                    dens = mg[i] / max(pop[i], 1) * 10_000
                    base *= 1.25 if dens < 4 else (0.9 if dens > 10 else 1.0)
                p = 1 / (1 + math.exp(-(math.log(base / (100 - base)) + effect[i])))
                num = int(rng.binomial(den[i], p))
                recs.append((code, iid, year, num, int(den[i]), round(num / den[i] * 100, 1)))
    df = pd.DataFrame(recs, columns=["code_commune", "indicateur", "annee", "numerateur", "denominateur", "valeur"])
    out = df.copy()
    out["valeur"] = out["valeur"].map(lambda v: f"{v:.1f}".replace(".", ","))
    out["source"] = "DONNÉES FICTIVES - démonstration (format CPAM)"
    out["donnees_fictives"] = "oui"
    out.to_csv(path, sep=";", index=False, encoding="utf-8")
    return df


def _write_references(files: DemoFiles, scope, communes, deps, regs, shares, rng) -> None:
    dep_name = dict(zip(deps["code"], deps["nom"]))
    reg_name = dict(zip(regs["code"], regs["nom"]))
    dep_region = dict(zip(deps["code"], deps["region"]))
    regions = sorted({dep_region[d] for d in set(scope["departement"]) if d in dep_region})
    region_pop = communes.groupby("region")["population"].sum()
    fr_pop = float(communes["population"].sum())
    sh = shares.assign(dep=shares["code_commune"].str[:2])

    def level_rows(iid):
        """(niveau, code, libellé, year, num, den) rows: départements aggregated from the commune file,
        régions and France drawn around the national rate."""
        out = []
        part = sh[sh["indicateur"] == iid]
        for (dep, year), g in part.groupby(["dep", "annee"]):
            out.append(("département", dep, dep_name.get(dep, dep), int(year), int(g["numerateur"].sum()),
                        int(g["denominateur"].sum())))
        for year in REFERENCE_YEARS:
            drift = (year - REFERENCE_YEARS[-1]) * (0.4 if iid == "sans_mt_17" else -0.3)
            for reg in regions:
                den = int(region_pop.get(reg, 0) * DENOMINATOR_SHARE[iid])
                rate = (FRANCE_SHARE[iid] - drift + rng.normal(0, 0.8)) / 100
                out.append(("région", reg, reg_name.get(reg, reg), year, int(den * rate), den))
            den = int(fr_pop * DENOMINATOR_SHARE[iid])
            out.append(("France", "FR", "France", year, int(den * (FRANCE_SHARE[iid] - drift) / 100), den))
        return out

    def fmt(v):
        return f"{v:.1f}".replace(".", ",")

    # Assurance Maladie: patients without médecin traitant.
    rows = [{"annee": y, "niveau": lvl, "code": code, "libelle": lab, "patients_17_plus": den,
             "patients_sans_mt": num, "part_patients_sans_mt": fmt(num / den * 100)}
            for lvl, code, lab, y, num, den in level_rows("sans_mt_17")]
    pd.DataFrame(rows).to_csv(files.path("ameli_sans_mt"), sep=";", index=False, encoding="utf-8")
    # Santé publique France: cancer screening (three indicators in one export).
    merged: dict = {}
    names = {"depistage_sein": ("population_cible_sein", "depistees_sein", "taux_participation_sein"),
             "depistage_colorectal": ("population_cible_colorectal", "depistes_colorectal", "taux_participation_colorectal"),
             "depistage_col_uterus": ("population_cible_col_uterus", "depistees_col_uterus", "taux_couverture_col_uterus")}
    for iid, (c_den, c_num, c_val) in names.items():
        for lvl, code, lab, y, num, den in level_rows(iid):
            r = merged.setdefault((lvl, code, y), {"annee": y, "niveau": lvl, "code": code, "libelle": lab})
            r.update({c_den: den, c_num: num, c_val: fmt(num / den * 100)})
    pd.DataFrame(list(merged.values())).to_csv(files.path("spf_depistage_cancers"), sep=";", index=False,
                                               encoding="utf-8")
