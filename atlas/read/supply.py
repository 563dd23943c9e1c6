"""Health professionals of an area: headcounts and practice locations.

Two sources, never mixed silently:
  * liberal professionals and pharmacies counted by the INSEE BPE in every commune of France: the
    numerators of ``density_<p>_liberal`` and ``density_pharmacy`` (real);
  * every mode of practice from the RPPS extract (``professional_sites``: one row per person and
    practice commune, so that a person practising in several communes of the area counts once;
    older builds: ``professionals_by_commune``, summed). Real when the extract could be had, demo
    data otherwise (flagged).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .. import paths
from ..catalog import BPE_PROFESSIONS, CATALOG, density_id
from .communes import CommuneIndex
from .db import BuildDB
from .values import ValueStore

COUNT_COLUMNS = ["profession", "mode", "count", "year", "source_id", "synthetic", "basis"]
LOCATION_COLUMNS = ["id", "profession", "type_code", "label", "code", "lon", "lat", "year", "source_id", "synthetic"]


class Supply:
    def __init__(self, db: BuildDB, communes: CommuneIndex, values: ValueStore):
        self._db, self._communes, self._values = db, communes, values
        self._locations: pd.DataFrame | None = None

    def bpe_counts(self, codes, year: int | None = None) -> pd.DataFrame:
        """Liberal professionals (and pharmacies) counted by the BPE over ``codes``."""
        pos = self._communes.positions(codes)
        rows = []
        for prof in (*BPE_PROFESSIONS, "pharmacy"):
            iid = density_id(prof, "liberal")
            if iid not in CATALOG:
                continue
            years = self._values.years(iid)
            if not years:
                continue
            y = year if year in years else years[-1]
            a = self._values.arrays(iid, y)
            sel = pos[a.has[pos]]
            if not len(sel):
                continue
            rows.append({"profession": prof, "mode": "liberal", "count": int(round(float(np.nansum(a.numerator[sel])))),
                         "year": y, "source_id": ", ".join(a.source_ids(sel)),
                         "synthetic": bool(a.synthetic[sel].any()), "basis": "bpe"})
        return pd.DataFrame(rows, columns=COUNT_COLUMNS)

    def rpps_counts(self, codes, year: int | None = None) -> pd.DataFrame:
        """Distinct persons by profession and mode over ``codes`` (all modes: 'all')."""
        codes = list(codes)
        if self._db.has_table("professional_sites"):
            table, distinct = "professional_sites", True
        elif self._db.has_table("professionals_by_commune"):
            table, distinct = "professionals_by_commune", False
        else:
            return pd.DataFrame(columns=COUNT_COLUMNS)
        years = [r[0] for r in self._db.rows(f"SELECT DISTINCT year FROM {table} ORDER BY 1")]
        if not years:
            return pd.DataFrame(columns=COUNT_COLUMNS)
        y = year if year in years else years[-1]
        if distinct:
            df = self._db.query("""
                SELECT profession, mode, count(DISTINCT person)::BIGINT AS count, any_value(year) AS year,
                       any_value(source_id) AS source_id, bool_or(synthetic) AS synthetic
                FROM professional_sites WHERE year = ? AND list_contains(?, code) GROUP BY ALL
                UNION ALL
                SELECT profession, 'all' AS mode, count(DISTINCT person)::BIGINT, any_value(year),
                       any_value(source_id), bool_or(synthetic)
                FROM professional_sites WHERE year = ? AND list_contains(?, code) GROUP BY ALL
                ORDER BY 1, 2""", [y, codes, y, codes])
        else:
            df = self._db.query("""
                SELECT profession, mode, sum(count)::BIGINT AS count, any_value(year) AS year,
                       any_value(source_id) AS source_id, bool_or(synthetic) AS synthetic
                FROM professionals_by_commune WHERE year = ? AND list_contains(?, code)
                GROUP BY ALL ORDER BY 1, 2""", [y, codes])
        df["basis"] = "rpps"
        return df[COUNT_COLUMNS]

    def counts(self, codes, year: int | None = None) -> pd.DataFrame:
        return pd.concat([self.bpe_counts(codes, year), self.rpps_counts(codes, year)], ignore_index=True)

    @property
    def locations_path(self) -> Path:
        return self._db.build_dir / paths.LOCATIONS_FILE

    def has_locations(self) -> bool:
        return self.locations_path.is_file()

    def locations(self, codes=None, professions=None) -> pd.DataFrame:
        """Practice locations (points): id, profession, type_code, label, code, lon, lat, year, source_id,
        synthetic; only those with coordinates."""
        if self._locations is None:
            if not self.has_locations():
                self._locations = pd.DataFrame(columns=LOCATION_COLUMNS)
            else:
                df = pd.read_parquet(self.locations_path)
                self._locations = df[[c for c in LOCATION_COLUMNS if c in df.columns]].dropna(subset=["lon", "lat"])
        df = self._locations
        if codes is not None:
            df = df[df["code"].isin(set(codes))]
        if professions is not None:
            df = df[df["profession"].isin(set(professions))]
        return df
