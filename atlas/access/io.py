"""Reading the build's accessibility tables into an :class:`~atlas.access.model.AccessModel`.

The only module of :mod:`atlas.access` that touches files. The read model owns the DuckDB
connection (read-only, one per build) and passes it in; the travel times are read from the
build's ``travel_times.parquet`` (:data:`atlas.paths.TRAVEL_TIMES_FILE`) with pyarrow. Loading a
national model takes about a second; keep it per (build, profession, year).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from atlas.errors import UnknownIndicator

from .model import AccessModel
from .parameters import PARAMETERS

TRAVEL_TIME_COLUMNS = ("code_origine", "code_destination", "minutes")


def read_travel_times(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(origin codes, destination codes, minutes)`` of a build's ``travel_times.parquet``."""
    table = pq.read_table(path, columns=list(TRAVEL_TIME_COLUMNS))
    return (table.column("code_origine").to_numpy(zero_copy_only=False).astype(str),
            table.column("code_destination").to_numpy(zero_copy_only=False).astype(str),
            table.column("minutes").to_numpy().astype(float))


def read_inputs(con, profession: str, year: int | None = None) -> dict[str, np.ndarray]:
    """Columns of ``access_inputs`` for one supply and year (default: its latest), ordered by code."""
    if profession not in PARAMETERS:
        raise UnknownIndicator(f"offre inconnue pour l'accessibilité : {profession} (connues : {', '.join(PARAMETERS)})")
    if year is None:
        row = con.execute("SELECT max(year) FROM access_inputs WHERE profession = ?", [profession]).fetchone()
        year = row[0] if row else None
        if year is None:
            raise UnknownIndicator(f"pas de données d'accessibilité pour {profession} dans ce build")
    rows = con.execute("""SELECT code, professionals, supply, demand, population FROM access_inputs
                          WHERE profession = ? AND year = ? ORDER BY code""", [profession, year]).fetchnumpy()
    if len(rows["code"]) == 0:
        raise UnknownIndicator(f"pas de données d'accessibilité pour {profession} en {year}")
    out = {k: np.asarray(v) for k, v in rows.items()}
    out["code"] = out["code"].astype(str)
    out["year"] = int(year)
    return out


def load_model(con, travel_times: Path, profession: str, year: int | None = None, pairs=None) -> AccessModel:
    """The model of one supply from a build (``pairs``: already-read travel times, to share between supplies)."""
    inputs = read_inputs(con, profession, year)
    origin, destination, minutes = pairs if pairs is not None else read_travel_times(travel_times)
    sigma = con.execute("SELECT time_error_sigma FROM access_parameters WHERE profession = ?", [profession]).fetchone()
    return AccessModel.from_pairs(
        inputs["code"], origin, destination, minutes, supply=inputs["supply"], demand=inputs["demand"],
        population=inputs["population"], params=PARAMETERS[profession], year=inputs["year"],
        professionals=inputs["professionals"], time_error=float(sigma[0]) if sigma else 0.0)
