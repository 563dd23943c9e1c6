"""Practice locations (points) from ``locations.parquet`` (written by the ETL when RPPS/BPE data, real
or demo, is available): columns id, profession, typequ, label, code, lon, lat, synthetic."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

from atlas import paths

STRUCTURES = {"msp": "maison de santé pluriprofessionnelle", "cds": "centre de santé"}
POINT_COLORS = {"professional": "#d95f02", "structure": "#7570b3"}   # Dark2: colour-blind safe pair


def locations_path(store) -> Path:
    return Path(store.build_dir) / paths.LOCATIONS_FILE


def locations_available(store) -> bool:
    return locations_path(store).is_file()


@lru_cache(maxsize=4)
def _read(path: str, mtime: float) -> pd.DataFrame:
    df = pd.read_parquet(path)
    keep = [c for c in ("id", "profession", "typequ", "label", "code", "lon", "lat", "synthetic") if c in df.columns]
    df = df[keep].copy()
    df["code"] = df["code"].astype(str)
    return df


def locations(store, codes, profession: str | None) -> pd.DataFrame | None:
    """Locations in ``codes`` for ``profession`` plus health structures (MSP, centres de santé);
    None when the build has no locations file."""
    p = locations_path(store)
    if not p.is_file():
        return None
    df = _read(str(p), p.stat().st_mtime)
    wanted = {profession, *STRUCTURES} if profession else set(STRUCTURES)
    sel = df[df["code"].isin(set(codes)) & df["profession"].isin(wanted)]
    return sel.dropna(subset=["lon", "lat"])
