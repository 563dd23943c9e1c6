"""INSEE Base permanente des équipements (BPE), geolocated equipments: the health practice locations.

Input: the national ``;``-separated CSV (optionally zipped; the zip member is extracted into the
cache by the step) or its parquet edition. Columns are read **by name**: ``DEPCOM``, ``TYPEQU``,
``LAMBERT_X``, ``LAMBERT_Y`` are required; ``AN`` (vintage), ``EPSG`` (projection of the
coordinates: 2154 Lambert 93 in metropolitan France, 5490/2972/2975/4471 in the DROM),
``QUALITE_XY`` and ``NOMRS`` (name) are used when present. Rows without coordinates are kept in the
counts but not on the map.

Nomenclature: the health codes are those of the BPE nomenclature in force since the 2021 vintage,
taken from the one table of :mod:`etl.parsers.bpe_ensemble` (``SINCE_2021``, sources there). A file
whose ``AN`` falls outside :data:`NOMENCLATURE_YEARS` is refused rather than silently mis-coded, and a
file in which none of the codes occurs is refused too (a changed nomenclature shows up as an error,
not as an empty map).
"""
from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from pyproj import Transformer

from atlas.errors import InputError
from .bpe_ensemble import SINCE_2021

# French label of each health code of the 2021+ nomenclature (the name shown when NOMRS is empty).
LABELS = {"D265": "Médecin généraliste", "D277": "Chirurgien-dentiste", "D278": "Sage-femme",
          "D279": "Masseur-kinésithérapeute", "D281": "Infirmier", "D307": "Pharmacie",
          "D113": "Maison de santé pluriprofessionnelle", "D108": "Centre de santé"}
# The locations layer files pharmacies under 'pharma' (its profession filter), the counts under 'pharmacy'.
LAYER_IDS = {"pharmacy": "pharma"}
# TYPEQU -> (locations layer id, French label).
HEALTH_CODES = {code: (LAYER_IDS.get(supply, supply), LABELS[code]) for code, supply in SINCE_2021.codes.items()}
NOMENCLATURE_YEARS = SINCE_2021.years
REQUIRED = ("DEPCOM", "TYPEQU", "LAMBERT_X", "LAMBERT_Y")
DEFAULT_EPSG = 2154


def _relation(con: duckdb.DuckDBPyConnection, path: Path) -> str:
    if path.suffix.lower() == ".parquet":
        return f"read_parquet('{path}')"
    with open(path, "rb") as fh:
        first = fh.readline(1 << 16)
    try:
        head = first.decode("utf-8-sig")
    except UnicodeDecodeError:
        head = first.decode("latin-1")
    delim = ";" if head.count(";") >= head.count(",") else ","
    return (f"read_csv('{path}', delim='{delim}', header=true, all_varchar=true, quote='\"', "
            f"encoding='{'utf-8' if _is_utf8(path) else 'latin-1'}', strict_mode=true)")


def _is_utf8(path: Path, probe: int = 1 << 22) -> bool:
    with open(path, "rb") as fh:
        chunk = fh.read(probe)
    try:
        chunk.decode("utf-8")
        return True
    except UnicodeDecodeError as exc:
        return exc.start > len(chunk) - 4  # cut in the middle of a character at the probe's end


def read_bpe_health(path: Path, *, rekey: dict[str, str] | None = None) -> tuple[pd.DataFrame, dict]:
    """Return (locations, stats). locations: id, profession, typequ, label, code, lon, lat, year."""
    path = Path(path)
    con = duckdb.connect(":memory:")
    try:
        rel = _relation(con, path)
        try:
            cols = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {rel}").fetchall()]
        except duckdb.Error as exc:
            raise InputError(path, f"lecture impossible : {str(exc).splitlines()[0]}") from exc
        cols_upper = {c.upper(): c for c in cols}
        missing = [c for c in REQUIRED if c not in cols_upper]
        if missing:
            raise InputError(path, f"colonne(s) absente(s) : {', '.join(missing)} (en-tête lu : {', '.join(cols[:30])})",
                             line=1)

        def col(name, default="NULL"):
            return f'"{cols_upper[name]}"' if name in cols_upper else default

        codes = ", ".join(f"'{c}'" for c in HEALTH_CODES)
        try:
            df = con.execute(f"""
                SELECT CAST({col('DEPCOM')} AS VARCHAR) AS depcom, CAST({col('TYPEQU')} AS VARCHAR) AS typequ,
                       TRY_CAST(replace(CAST({col('LAMBERT_X')} AS VARCHAR), ',', '.') AS DOUBLE) AS x,
                       TRY_CAST(replace(CAST({col('LAMBERT_Y')} AS VARCHAR), ',', '.') AS DOUBLE) AS y,
                       TRY_CAST({col('EPSG')} AS INTEGER) AS epsg,
                       CAST({col('QUALITE_XY')} AS VARCHAR) AS qualite_xy,
                       CAST({col('NOMRS')} AS VARCHAR) AS nomrs,
                       TRY_CAST({col('AN')} AS INTEGER) AS an
                FROM {rel} WHERE CAST({col('TYPEQU')} AS VARCHAR) IN ({codes})
            """).df()
            years = [r[0] for r in con.execute(f"SELECT DISTINCT TRY_CAST({col('AN')} AS INTEGER) FROM {rel}").fetchall()]
        except duckdb.Error as exc:
            msg = str(exc).splitlines()[0]
            import re
            m = re.search(r"Line: (\d+)", str(exc))
            raise InputError(path, f"lecture impossible : {msg}", line=int(m.group(1)) if m else None) from exc
    finally:
        con.close()
    years = sorted(y for y in years if y is not None)
    bad_years = [y for y in years if y not in NOMENCLATURE_YEARS]
    if bad_years:
        raise InputError(path, f"millésime BPE {bad_years} hors de la nomenclature connue ({NOMENCLATURE_YEARS.start}-"
                               f"{NOMENCLATURE_YEARS.stop - 1}) : codes santé à vérifier dans etl/parsers/bpe.py",
                         column="AN")
    if df.empty:
        raise InputError(path, f"aucun équipement de santé ({', '.join(HEALTH_CODES)}) : nomenclature différente ?",
                         column="TYPEQU")
    year = years[-1] if years else None
    df["depcom"] = df["depcom"].str.strip().str.zfill(5)
    if rekey:
        df["code"] = df["depcom"].map(rekey)
    else:
        df["code"] = df["depcom"]
    unknown = sorted(set(df.loc[df["code"].isna(), "depcom"]))
    df = df[df["code"].notna()].copy()
    df["lon"], df["lat"] = np.nan, np.nan
    df["epsg"] = df["epsg"].fillna(DEFAULT_EPSG).astype(int)
    for epsg, part in df[df["x"].notna() & df["y"].notna()].groupby("epsg"):
        tr = Transformer.from_crs(int(epsg), 4326, always_xy=True)
        lon, lat = tr.transform(part["x"].to_numpy(), part["y"].to_numpy())
        df.loc[part.index, "lon"] = lon
        df.loc[part.index, "lat"] = lat
    df["profession"] = df["typequ"].map(lambda t: HEALTH_CODES[t][0])
    label_type = df["typequ"].map(lambda t: HEALTH_CODES[t][1])
    df["label"] = df["nomrs"].where(df["nomrs"].notna() & (df["nomrs"].str.strip() != ""), label_type)
    df = df.sort_values(["code", "typequ", "x", "y"], kind="stable").reset_index(drop=True)
    df["id"] = [f"bpe-{year or 'x'}-{i:07d}" for i in range(len(df))]
    df["year"] = year
    stats = {"rows": int(len(df)), "year": year, "unknown_communes": unknown[:20],
             "without_coordinates": int(df["lon"].isna().sum()),
             "by_type": df["typequ"].value_counts().sort_index().to_dict()}
    return df[["id", "profession", "typequ", "label", "code", "lon", "lat", "qualite_xy", "year"]], stats
