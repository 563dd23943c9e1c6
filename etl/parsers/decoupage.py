"""Etalab ``@etalab/decoupage-administratif`` npm tarball, read as published (no extraction to disk)."""
from __future__ import annotations

import json
import tarfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from atlas.errors import InputError

MEMBERS = ("communes.json", "epci.json", "departements.json", "regions.json")
COMMUNE_FIELDS = ("code", "nom", "departement", "region", "type")
# Collectivités d'outre-mer (zone 'com') are outside the scope of French health statistics
# (DREES, CNAM): the atlas covers metropolitan France and the DROM.
ZONES_IN_SCOPE = ("metro", "drom")


@dataclass
class Decoupage:
    communes: pd.DataFrame       # code, nom, departement, region, population, epci
    epci: pd.DataFrame           # code, nom, type
    departements: pd.DataFrame   # code, nom, region
    regions: pd.DataFrame        # code, nom
    rekey: dict[str, str]        # any code seen in older vintages -> current commune code
    postal: dict[str, list[str]] = None  # postal code -> current commune codes (``codesPostaux``)


def _load_member(tar: tarfile.TarFile, path: Path, name: str):
    member = next((m for m in tar.getmembers() if m.name.endswith("/data/" + name)), None)
    if member is None:
        raise InputError(path, f"membre package/data/{name} absent de l'archive")
    raw = tar.extractfile(member).read()
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}:{member.name}", f"encodage non UTF-8 (octet {exc.start})") from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{member.name}", f"JSON invalide : {exc.msg}", exc.lineno, exc.colno) from exc


def read_decoupage_tarball(path: Path) -> Decoupage:
    path = Path(path)
    try:
        tar = tarfile.open(path, "r:*")
    except (tarfile.TarError, OSError) as exc:
        raise InputError(path, f"archive illisible ({exc})") from exc
    with tar:
        communes_raw, epci_raw, deps_raw, regs_raw = (_load_member(tar, path, n) for n in MEMBERS)

    for i, c in enumerate(communes_raw):
        missing = [f for f in COMMUNE_FIELDS if f not in c]
        if missing:
            raise InputError(f"{path}:communes.json", f"champ(s) {', '.join(missing)} manquant(s)",
                             line=None, column=f"élément {i}")

    current = [c for c in communes_raw if c["type"] == "commune-actuelle" and c.get("zone", "metro") in ZONES_IN_SCOPE]
    epci_of = {m["code"]: e["code"] for e in epci_raw for m in e.get("membres", [])}
    communes = pd.DataFrame({
        "code": [c["code"] for c in current],
        "nom": [c["nom"] for c in current],
        "departement": [c["departement"] for c in current],
        "region": [c["region"] for c in current],
        "population": pd.array([c.get("population") for c in current], dtype="Int64"),
        "epci": [epci_of.get(c["code"]) for c in current],
    })
    if communes.empty:
        raise InputError(path, "aucune commune actuelle dans communes.json")

    rekey = build_rekey_map(communes_raw)
    epci = pd.DataFrame([{"code": e["code"], "nom": e["nom"], "type": e.get("type")} for e in epci_raw])
    deps = pd.DataFrame([{"code": d["code"], "nom": d["nom"], "region": d.get("region")} for d in deps_raw])
    regs = pd.DataFrame([{"code": r["code"], "nom": r["nom"]} for r in regs_raw])
    postal: dict[str, list[str]] = {}
    for c in current:
        for cp in c.get("codesPostaux", []) or []:
            postal.setdefault(str(cp), []).append(c["code"])
    return Decoupage(communes, epci, deps, regs, rekey, postal)


def build_rekey_map(communes_raw: list[dict]) -> dict[str, str]:
    """Map every code that older vintages may use to the current commune code.

    * current communes map to themselves;
    * ``anciensCodes`` of a current commune (communes merged into it) map to it;
    * communes déléguées / associées map to their ``chefLieu``;
    * arrondissements municipaux (Paris, Lyon, Marseille) map to their ``commune``.
    """
    current = {c["code"] for c in communes_raw if c["type"] == "commune-actuelle"}
    rekey: dict[str, str] = {code: code for code in current}
    for c in communes_raw:
        if c["type"] == "commune-actuelle":
            for old in c.get("anciensCodes", []) or []:
                rekey.setdefault(old, c["code"])
        elif c["type"] in ("commune-deleguee", "commune-associee") and c.get("chefLieu") in current:
            rekey.setdefault(c["code"], c["chefLieu"])
        elif c["type"] == "arrondissement-municipal" and c.get("commune") in current:
            rekey.setdefault(c["code"], c["commune"])
    return rekey
