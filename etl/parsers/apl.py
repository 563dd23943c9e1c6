"""DREES workbook "Indicateur d'accessibilité potentielle localisée (APL) aux médecins généralistes".

Layout (millésimes 2022, 2023): one sheet per year named ``APL <year>``, a block of notes, a header
row (``Code commune INSEE``, ``Commune``, ``APL aux médecins généralistes``, ``… de moins de 65 ans``,
``Population standardisée <y> …``, ``Population totale <y>``), a row of units, then one row per
commune. We locate the header row and the columns by their titles, never by position, so a
workbook with one more note line or reordered columns still parses.
"""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import openpyxl
import pandas as pd
from openpyxl.utils import get_column_letter

from atlas.errors import InputError

SHEET_PATTERN = re.compile(r"^APL\s+(\d{4})$")
MAX_HEADER_SEARCH_ROWS = 40


def _norm(text) -> str:
    if text is None:
        return ""
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return re.sub(r"\s+", " ", text).strip().lower()


# column key -> predicate on the normalised header title
COLUMNS = {
    "code": lambda h: h.startswith("code commune"),
    "nom": lambda h: h == "commune",
    "apl_mg": lambda h: h.startswith("apl aux medecins generalistes") and "65" not in h,
    "apl_mg_65": lambda h: h.startswith("apl aux medecins generalistes") and "moins de 65" in h,
    "pop_std": lambda h: h.startswith("population standardisee"),
    "pop_total": lambda h: h.startswith("population totale"),
}
NUMERIC = ("apl_mg", "apl_mg_65", "pop_std", "pop_total")


def _find_header(rows: list[tuple], where: str) -> tuple[int, dict[str, int]]:
    for i, row in enumerate(rows[:MAX_HEADER_SEARCH_ROWS]):
        titles = [_norm(v) for v in row]
        if not any(t.startswith("code commune") for t in titles):
            continue
        found: dict[str, int] = {}
        for key, pred in COLUMNS.items():
            idx = next((j for j, t in enumerate(titles) if pred(t)), None)
            if idx is not None:
                found[key] = idx
        missing = [k for k in COLUMNS if k not in found]
        if missing:
            raise InputError(where, f"colonne(s) absente(s) de l'en-tête : {', '.join(missing)}", line=i + 1)
        return i, found
    raise InputError(where, f"ligne d'en-tête « Code commune INSEE » introuvable dans les {MAX_HEADER_SEARCH_ROWS} premières lignes")


def _number(value, where: str, line: int, col_idx: int):
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip().replace("\u202f", "").replace(" ", "").replace(",", ".")
    try:
        return float(text)
    except ValueError:
        raise InputError(where, "valeur non numérique", line=line, column=get_column_letter(col_idx + 1), value=value) from None


def read_apl_workbook(path: Path) -> pd.DataFrame:
    """Return one row per (year, commune code of that year): code, nom, year, apl_mg, apl_mg_65, pop_std, pop_total.

    Also returns units in ``df.attrs['units']`` (as DREES states them) and the sheets read in
    ``df.attrs['years']``.
    """
    path = Path(path)
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001
        raise InputError(path, f"classeur Excel illisible ({type(exc).__name__}: {exc})") from exc
    frames, units = [], {}
    try:
        sheets = [(name, int(m.group(1))) for name in wb.sheetnames if (m := SHEET_PATTERN.match(name.strip()))]
        if not sheets:
            raise InputError(path, f"aucune feuille « APL <année> » (feuilles : {', '.join(wb.sheetnames)})")
        for name, year in sheets:
            where = f"{path.name}, feuille « {name} »"
            rows = list(wb[name].iter_rows(values_only=True))
            h, cols = _find_header(rows, where)
            start = h + 1
            # The row after the header holds units (no commune code in it).
            if start < len(rows) and not rows[start][cols["code"]]:
                units.update({k: rows[start][cols[k]] for k in NUMERIC if rows[start][cols[k]]})
                start += 1
            records = []
            for i in range(start, len(rows)):
                row = rows[i]
                raw_code = row[cols["code"]] if cols["code"] < len(row) else None
                if raw_code is None or str(raw_code).strip() == "":
                    continue  # trailing blank lines
                code = str(raw_code).strip()
                if isinstance(raw_code, (int, float)):
                    code = f"{int(raw_code):05d}"
                if not re.fullmatch(r"[0-9][0-9AB][0-9]{3}", code):
                    raise InputError(where, "code commune invalide", line=i + 1,
                                     column=get_column_letter(cols["code"] + 1), value=raw_code)
                rec = {"code": code, "nom": row[cols["nom"]], "year": year}
                for k in NUMERIC:
                    rec[k] = _number(row[cols[k]], where, i + 1, cols[k])
                records.append(rec)
            if not records:
                raise InputError(where, "aucune ligne de commune après l'en-tête", line=h + 1)
            df = pd.DataFrame.from_records(records)
            dup = df["code"][df["code"].duplicated()]
            if not dup.empty:
                raise InputError(where, f"code commune en double : {dup.iloc[0]}")
            frames.append(df)
    finally:
        wb.close()
    out = pd.concat(frames, ignore_index=True)
    out.attrs["units"] = units
    out.attrs["years"] = sorted({y for _, y in sheets})
    return out
