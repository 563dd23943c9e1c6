"""Benchmark of the RPPS ``Personne_activite`` parser (run on demand, not part of the test suite).

    .venv/bin/python bench/bench_rpps.py [--rows 2000000] [--dir /tmp/rpps-bench] [--keep]

Writes a file of ``--rows`` generated rows in the official layout (52 columns + trailing ``|``, UTF-8
with BOM, realistic field widths, ~350 bytes a row like the real ~765 MB / 2.1 M-row extraction)
into a temporary directory (never the source tree), then parses it in a fresh subprocess with
:func:`etl.parsers.rpps.read_personne_activite` (re-keying and postal fallback on, as in the build)
and reports wall time, rows per second and the subprocess's peak resident memory (ru_maxrss).
Target (issue #3): the national file in under 60 s within 2 GB of memory.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from etl.parsers.rpps import RPPS_HEADER  # noqa: E402

# Rough national mix of rows by profession code (RPPS 2024 orders of magnitude).
MIX = [("60", 0.42), ("10", 0.22), ("21", 0.06), ("70", 0.06), ("40", 0.03), ("50", 0.015), ("91", 0.03),
       ("26", 0.005), ("28", 0.005), ("80", 0.01), ("", 0.0)]


def generate(path: Path, rows: int, seed: int = 1) -> None:
    rnd = random.Random(seed)
    pos = {h: i for i, h in enumerate(RPPS_HEADER)}
    profs = [p for p, _ in MIX]
    weights = [w for _, w in MIX]
    communes = [f"{d:02d}{c:03d}" for d in range(1, 96) for c in range(1, 400, 7)]
    labels = {"60": "Infirmier", "10": "Médecin", "21": "Pharmacien", "70": "Masseur-Kinésithérapeute",
              "40": "Chirurgien-Dentiste", "50": "Sage-Femme", "91": "Orthophoniste"}
    t0 = time.perf_counter()
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        fh.write("|".join(RPPS_HEADER) + "|\n")
        buf = []
        for i in range(rows):
            pp = f"10{rnd.randrange(10**9):09d}"
            prof = rnd.choices(profs, weights)[0] or "60"
            com = rnd.choice(communes)
            f = [""] * len(RPPS_HEADER)
            f[pos["Type d'identifiant PP"]] = "8"
            f[pos["Identifiant PP"]] = pp
            f[pos["Identification nationale PP"]] = "8" + pp
            f[pos["Code civilité"]] = "M"
            f[pos["Libellé civilité"]] = "Monsieur"
            f[pos["Nom d'exercice"]] = "NOMDEFAMILLE"
            f[pos["Prénom d'exercice"]] = "PRENOM"
            f[pos["Code profession"]] = prof
            f[pos["Libellé profession"]] = labels.get(prof, "Autre profession")
            f[pos["Code catégorie professionnelle"]] = "C"
            f[pos["Libellé catégorie professionnelle"]] = "Civil"
            if prof == "10":
                f[pos["Code type savoir-faire"]] = "S"
                f[pos["Libellé type savoir-faire"]] = "Spécialité ordinale"
                f[pos["Code savoir-faire"]] = rnd.choice(["SM54", "SM53", "SM26", "SM04", "SM42"])
                f[pos["Libellé savoir-faire"]] = "Médecine Générale"
            mode = rnd.choice("LLS")
            f[pos["Code mode exercice"]] = mode
            f[pos["Libellé mode exercice"]] = "Libéral" if mode == "L" else "Salarié"
            f[pos["Numéro SIRET site"]] = f"{rnd.randrange(10**14):014d}"
            f[pos["Identifiant technique de la structure"]] = f"R1010000{rnd.randrange(10**7):07d}"
            f[pos["Raison sociale site"]] = "CABINET DE SANTE DU CENTRE VILLE"
            f[pos["Numéro Voie (coord. structure)"]] = str(rnd.randrange(1, 200))
            f[pos["Libellé type de voie (coord. structure)"]] = "Rue"
            f[pos["Libellé Voie (coord. structure)"]] = "DE LA REPUBLIQUE"
            f[pos["Bureau cedex (coord. structure)"]] = f"{com} VILLE"
            f[pos["Code postal (coord. structure)"]] = com
            f[pos["Code commune (coord. structure)"]] = "" if rnd.random() < 0.03 else com
            f[pos["Libellé commune (coord. structure)"]] = "VILLE"
            f[pos["Téléphone (coord. structure)"]] = "0102030405"
            f[pos["Adresse e-mail (coord. structure)"]] = "contact@example.org"
            f[pos["Code Département (structure)"]] = com[:2]
            f[pos["Autorité d'enregistrement"]] = "CNOM/CNOM/CNOM"
            f[pos["Code secteur d'activité"]] = "SA07"
            f[pos["Libellé secteur d'activité"]] = "Cabinet individuel"
            if prof == "21":
                f[pos["Code section tableau pharmaciens"]] = rnd.choice("AADH")
            buf.append("|".join(f) + "|\n")
            if len(buf) >= 50_000:
                fh.writelines(buf)
                buf.clear()
        fh.writelines(buf)
    print(f"généré : {rows} lignes, {path.stat().st_size / 1e6:.0f} Mo en {time.perf_counter() - t0:.1f} s", flush=True)


CHILD = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
from etl.parsers.rpps import read_personne_activite
rekey = {{f"{{d:02d}}{{c:03d}}": f"{{d:02d}}{{c:03d}}" for d in range(1, 96) for c in range(1, 400)}}
postal = {{k: [k] for k in rekey}}
t0 = time.perf_counter()
res = read_personne_activite({path!r}, rekey=rekey, postal=postal)
dt = time.perf_counter() - t0
print(json.dumps({{"seconds": dt, "rows": res.stats["rows"], "kept": res.stats["kept_rows"],
                  "count_rows": len(res.counts), "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}}))
"""


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--dir")
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    tmp = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="rpps-bench-"))
    tmp.mkdir(parents=True, exist_ok=True)
    path = tmp / "PS_LibreAcces_Personne_activite_202501010000.txt"
    try:
        if not path.is_file() or args.keep is False:
            generate(path, args.rows)
        out = subprocess.run([sys.executable, "-c", CHILD.format(root=str(ROOT), path=str(path))],
                             check=True, capture_output=True, text=True)
        r = json.loads([ln for ln in out.stdout.splitlines() if ln.startswith("{")][-1])
        print(f"parse : {r['rows']} lignes en {r['seconds']:.1f} s = {r['rows'] / r['seconds']:,.0f} lignes/s ; "
              f"pic mémoire (RSS) {r['maxrss_kb'] / 1024:.0f} Mo ; {r['kept']} lignes retenues, "
              f"{r['count_rows']} comptes commune x profession x mode ; {os.cpu_count()} cœurs")
        national = 2_100_000 / (r["rows"] / r["seconds"])
        print(f"extrapolé au fichier national (~2,1 M lignes) : {national:.0f} s (cible < 60 s, < 2 Go)")
        _ = resource
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
