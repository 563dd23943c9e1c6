"""TEMPORARY supply reader: liberal counts per commune from the INSEE BPE "ensemble" file.

Used by ``etl/steps/access.py`` until the BPE "ensemble" step (``etl/steps/bpe.py``, parser
``etl/parsers/bpe_ensemble.py``) lands and writes ``density_<p>_liberal`` / ``density_pharmacy``
(whose numerators the access step then reads), and by ``bench/validate_access.py`` for the 2018
vintage. Delete it with the temporary ``insee_bpe_ensemble`` declaration of ``sources.yaml`` then.
"""
from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from atlas.errors import InputError

from ..rekey import apply_rekey
from ..sources import extract_member

# BPE nomenclature before 2021 (vintages 2018/2019 of the mirror) and from 2021 on.
BPE_CODES = {"mg": ("D201", "D265"), "inf": ("D232", "D281"), "mk": ("D233", "D279"), "sf": ("D231", "D278"),
             "dent": ("D221", "D277"), "pharmacy": ("D301", "D307")}


def bpe_ensemble_counts(path: Path, rekey: dict[str, str], cache_dir: Path) -> tuple[pd.DataFrame, list[str]]:
    """``(profession, code, year, count)`` re-keyed to current codes (summed), and the unknown codes.
    ``path`` is the zip (its CSV is extracted once into ``cache_dir``) or the CSV itself."""
    path = Path(path)
    csv_path = extract_member(path, "*.csv", cache_dir) if path.suffix.lower() == ".zip" else path
    wanted = {code: prof for prof, codes in BPE_CODES.items() for code in codes}
    con = duckdb.connect()
    try:
        frame = con.execute("""SELECT DEPCOM AS code, TYPEQU AS typequ, max(AN) AS an,
                                      sum(CAST(NB_EQUIP AS DOUBLE)) AS count
                               FROM read_csv(?, delim=';', header=true, all_varchar=true)
                               WHERE list_contains(?, TYPEQU) GROUP BY ALL""", [str(csv_path), list(wanted)]).df()
    except duckdb.Error as exc:
        raise InputError(path, f"fichier BPE illisible ({str(exc).splitlines()[0]})") from exc
    finally:
        con.close()
    if frame.empty:
        return pd.DataFrame(columns=["profession", "code", "year", "count"]), []
    frame["code"], unknown = apply_rekey(frame["code"], rekey)
    frame = frame.dropna(subset=["code"])
    frame["profession"] = frame["typequ"].map(wanted)
    frame["year"] = pd.to_numeric(frame["an"]).astype(int)
    return frame.groupby(["profession", "code", "year"], as_index=False)["count"].sum(), unknown
