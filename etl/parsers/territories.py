"""The project's CPTS territory files: seed perimeters and published figures (CSV)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from atlas.errors import InputError
from atlas.csvutil import read_csv_records

PERIMETER_COLUMNS = ["cpts_id", "cpts_name", "code_insee", "nom", "dep", "confidence", "note"]
FIGURE_COLUMNS = ["territory_id", "figure", "value", "unit", "as_of", "scope", "source"]
CANDIDATE_SUFFIX = "_CANDIDATE_EXTRA"


def territory_id_of(cpts_id: str) -> tuple[str, str]:
    """``CPTS_ENTRE_LOIRE_ET_SUCS_CANDIDATE_EXTRA`` -> (``entre-loire-et-sucs``, ``candidate``)."""
    role = "member"
    if cpts_id.endswith(CANDIDATE_SUFFIX):
        cpts_id, role = cpts_id[: -len(CANDIDATE_SUFFIX)], "candidate"
    if not cpts_id.startswith("CPTS_"):
        raise ValueError(cpts_id)
    return cpts_id[len("CPTS_"):].lower().replace("_", "-"), role


def read_seed_perimeters(path: Path) -> pd.DataFrame:
    rows = []
    for line, r in read_csv_records(path, PERIMETER_COLUMNS):
        try:
            tid, role = territory_id_of(r["cpts_id"])
        except ValueError:
            raise InputError(path, "identifiant de CPTS inattendu (attendu CPTS_…)", line=line, column="cpts_id",
                             value=r["cpts_id"]) from None
        code = r["code_insee"].zfill(5)
        if not code or len(code) != 5:
            raise InputError(path, "code commune invalide", line=line, column="code_insee", value=r["code_insee"])
        rows.append({"territory_id": tid, "name": r["cpts_name"], "code": code, "nom": r["nom"],
                     "departement": r["dep"], "role": role, "confidence": r["confidence"], "note": r["note"],
                     "line": line})
    df = pd.DataFrame(rows)
    dup = df[df.duplicated(["territory_id", "code"], keep="first")]
    if not dup.empty:
        first = dup.iloc[0]
        raise InputError(path, f"commune {first.code} en double pour {first.territory_id}", line=int(first.line))
    return df.drop(columns="line")


def read_published_figures(path: Path) -> pd.DataFrame:
    rows = []
    for line, r in read_csv_records(path, FIGURE_COLUMNS):
        try:
            value = float(r["value"])
        except ValueError:
            raise InputError(path, "valeur non numérique", line=line, column="value", value=r["value"]) from None
        rows.append({**{k: r[k] for k in FIGURE_COLUMNS}, "value": value})
    return pd.DataFrame(rows, columns=FIGURE_COLUMNS)
