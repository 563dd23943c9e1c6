"""Commune indicator tables handed by the CPAM to a CPTS: the import format, its validation, its storage.

Commune-level shares of patients without a médecin traitant, screening and vaccination rates are not
open data. Users import the table their CPAM gives them, from the command line
(``python -m etl import-indicators FICHIER``) or the dashboard's import page; both call
:func:`import_indicator_table`.

Import format (CSV ``;``, ``,`` or tab, UTF-8 with or without BOM; or XLSX, first sheet), one row
per commune x indicator x year, header names (French; English aliases accepted)::

    code_commune   INSEE code of the commune (current COG, 5 characters)          [code, commune]
    indicateur     indicator id: sans_mt_17, depistage_sein, depistage_colorectal,
                   depistage_col_uterus, vaccin_grippe_65                          [indicator_id, indicator]
    annee          year of the figure (e.g. 2024)                                  [year]
    numerateur     patients concerned (e.g. patients 17+ without médecin traitant)  [numerator]
    denominateur   patients of reference (e.g. patients 17+)                       [denominator]
    valeur         the share in %, as published (optional when num/den are given)  [value]
    source         free label of the source, e.g. "CPAM de la Charente-Maritime, 2024" [source_label]
    donnees_fictives  optional: "oui" on every row of a demo (synthetic) file     [synthetic]

Validation: every row is checked and every problem is reported with file, line, column and value:
unknown commune, unknown or non-importable indicator, invalid year, non-numeric or negative
numbers, numerator > denominator, value outside 0-100 or inconsistent with numerator/denominator,
duplicates (same commune, indicator and year), wrong field count (truncated line, extra delimiter),
wrong encoding (Latin-1) or delimiter. A file with any problem is rejected whole: nothing is written
and what was imported before stays as it was.

Storage: an accepted file becomes ``<user data dir>/imports/<slug>.parquet`` (slug of the original
file name; re-importing the same name replaces it), written atomically (temporary file + rename)
under a lock, with its provenance in the parquet metadata (original name, import date, source
label, sha256, synthetic). the read model (:mod:`atlas.read`) reads these files beside the built database;
imported rows win over built rows for the same indicator, commune and year. Imported rows are real
(``synthetic = false``) unless the file says ``donnees_fictives = oui``.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import math
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from filelock import FileLock

from ..catalog import CATALOG
from ..errors import AtlasError
from ..numbers import parse_number
from ..paths import imports_dir
from .territories import CODE_PATTERN, slugify

IMPORTABLE_FAMILIES = ("access_mt", "prevention")
COLUMNS = {
    "code": ("code_commune", "code", "commune", "code_insee", "codgeo"),
    "indicator": ("indicateur", "indicator_id", "indicator", "id_indicateur"),
    "year": ("annee", "year", "an"),
    "numerator": ("numerateur", "numerator"),
    "denominator": ("denominateur", "denominator"),
    "value": ("valeur", "value", "taux", "part"),
    "source": ("source", "source_label", "libelle_source"),
    "synthetic": ("donnees_fictives", "synthetic", "fictif", "synthetique"),
}
REQUIRED = ("code", "indicator", "year", "denominator")
TRUE_WORDS = {"oui", "true", "vrai", "1", "yes", "o", "x"}
FALSE_WORDS = {"non", "false", "faux", "0", "no", "n", ""}
VALUE_TOLERANCE = 0.15          # percentage points: rounding of a published share
MAX_PROBLEMS = 500
META_KEY = b"atlas_import"


def importable_indicators() -> list[str]:
    return [i.id for i in CATALOG.values() if i.family in IMPORTABLE_FAMILIES]


@dataclass
class Problem:
    file: str
    line: int | None
    column: str | None
    value: object
    problem: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f", ligne {self.line}"
        if self.column:
            where += f", colonne {self.column}"
        val = f" (valeur : {self.value!r})" if self.value not in (None, "") else ""
        return f"{where} : {self.problem}{val}"


@dataclass
class ImportReport:
    ok: bool
    file: str
    rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    path: Path | None = None
    slug: str | None = None
    source_id: str | None = None
    source_label: str | None = None
    indicators: list[str] = field(default_factory=list)
    years: list[int] = field(default_factory=list)
    communes: int = 0
    synthetic: bool = False
    replaced: bool = False
    sha256: str = ""

    def text(self) -> str:
        if self.ok:
            return (f"{self.file} : importé ({self.rows} lignes, {self.communes} communes, indicateurs "
                    f"{', '.join(self.indicators)}, années {', '.join(map(str, self.years))})"
                    f"{' - remplace l’import précédent du même nom' if self.replaced else ''}"
                    f"{' - DONNÉES FICTIVES' if self.synthetic else ''}.")
        head = f"{self.file} : fichier refusé, rien n'a été importé ({len(self.problems)} problème(s)) :"
        return "\n  ".join([head, *map(str, self.problems)])

    def to_dict(self) -> dict:
        return {"ok": self.ok, "file": self.file, "rows": self.rows, "communes": self.communes,
                "indicators": self.indicators, "years": self.years, "synthetic": self.synthetic,
                "source_id": self.source_id, "source_label": self.source_label, "replaced": self.replaced,
                "path": str(self.path) if self.path else None,
                "problems": [{"file": p.file, "line": p.line, "column": p.column,
                              "value": None if p.value is None else str(p.value), "problem": p.problem}
                             for p in self.problems]}


def _norm(h: str) -> str:
    import unicodedata
    h = unicodedata.normalize("NFKD", str(h)).encode("ascii", "ignore").decode().lower().strip()
    return re.sub(r"[\s\-]+", "_", h)


def _map_header(header: list[str]) -> dict[str, int]:
    normed = [_norm(h) for h in header]
    found = {}
    for key, aliases in COLUMNS.items():
        for a in aliases:
            if a in normed:
                found[key] = normed.index(a)
                break
    return found


class _Collector:
    def __init__(self, name: str):
        self.name, self.items, self.overflow = name, [], 0

    def add(self, line, column, value, problem):
        if len(self.items) < MAX_PROBLEMS:
            self.items.append(Problem(self.name, line, column, value, problem))
        else:
            self.overflow += 1

    def result(self) -> list[Problem]:
        out = list(self.items)
        if self.overflow:
            out.append(Problem(self.name, None, None, None, f"… et {self.overflow} autre(s) problème(s)"))
        return out


def _cell_text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "oui" if v else "non"
    if isinstance(v, float):
        if math.isnan(v):
            return ""
        return repr(int(v)) if v.is_integer() else repr(v)
    if isinstance(v, (dt.date, dt.datetime)):
        return str(v.year) if isinstance(v, dt.datetime) else v.isoformat()
    return str(v).strip()


def _read_xlsx(path: Path, name: str, probs: _Collector) -> tuple[list[str], list[tuple[int, list[str]]]] | None:
    import openpyxl
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable workbook is one problem to report
        probs.add(None, None, None, f"classeur XLSX illisible ({exc.__class__.__name__})")
        return None
    try:
        ws = wb.worksheets[0]
        header, rows = None, []
        for i, row in enumerate(ws.iter_rows(values_only=True), start=1):
            cells = [_cell_text(v) for v in row]
            while cells and cells[-1] == "":
                cells.pop()
            if header is None:
                if any(cells):
                    header = cells
                    header_line = i
                continue
            if any(cells):
                rows.append((i, cells))
    finally:
        wb.close()
    if header is None:
        probs.add(None, None, None, "feuille vide")
        return None
    width = len(header)
    rows = [(i, (cells + [""] * width)[:max(width, len(cells))]) for i, cells in rows]
    for i, cells in rows:
        if len(cells) > width and any(cells[width:]):
            probs.add(i, None, None, f"{len(cells)} cellules remplies au-delà des {width} colonnes de l'en-tête "
                                     f"(ligne {header_line})")
    return header, [(i, cells[:width]) for i, cells in rows]


def _read_csv(data: bytes, name: str, probs: _Collector) -> tuple[list[str], list[tuple[int, list[str]]]] | None:
    if not data.strip():
        probs.add(None, None, None, "fichier vide")
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        probs.add(line, f"caractère {col}", data[exc.start:exc.start + 1],
                  "encodage non UTF-8 (probablement Latin-1/Windows-1252) : enregistrer le fichier en UTF-8")
        return None
    first = text.splitlines()[0] if text.splitlines() else ""
    best = None
    for delim in (";", ",", "\t"):
        header = next(csv.reader([first], delimiter=delim))
        found = _map_header(header)
        if best is None or len(found) > best[2]:
            best = (delim, header, len(found))
    delim, header, nfound = best
    mapped = _map_header(header)
    if not all(k in mapped for k in ("code", "indicator")):
        probs.add(1, None, first[:120],
                  "séparateur non reconnu ou en-tête sans les colonnes code_commune et indicateur "
                  "(séparateurs acceptés : « ; », « , », tabulation)")
        return None
    header = [h.strip() for h in header]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    next(reader)
    rows = []
    for row in reader:
        line = reader.line_num
        if not row or all(not v.strip() for v in row):
            continue
        if len(row) != len(header):
            what = "ligne tronquée ou colonne manquante" if len(row) < len(header) else f"séparateur « {delim} » en trop"
            probs.add(line, None, None, f"{len(row)} champs au lieu de {len(header)} ({what})")
            continue
        rows.append((line, [v.strip() for v in row]))
    return header, rows


def validate_indicator_table(path, valid_codes=None, *, original_name: str | None = None,
                             rekey: dict[str, str] | None = None) -> tuple[pd.DataFrame, list[Problem]]:
    """Read and check a commune indicator table. Returns (rows, problems); rows is only meaningful
    when problems is empty. ``valid_codes``: the current commune codes (a set, or a Store);
    ``rekey`` (old code -> current code) lets the message suggest the current code of a merged commune."""
    path = Path(path)
    name = original_name or path.name
    if valid_codes is not None and hasattr(valid_codes, "valid_codes"):
        valid_codes = valid_codes.valid_codes
    probs = _Collector(name)
    if path.suffix.lower() in (".xlsx", ".xlsm") or Path(name).suffix.lower() in (".xlsx", ".xlsm"):
        parsed = _read_xlsx(path, name, probs)
    else:
        parsed = _read_csv(path.read_bytes(), name, probs)
    empty = pd.DataFrame(columns=["indicator_id", "code", "year", "value", "numerator", "denominator",
                                  "source_label", "synthetic", "line"])
    if parsed is None:
        return empty, probs.result()
    header, records = parsed
    cols = _map_header(header)
    missing = [COLUMNS[k][0] for k in REQUIRED if k not in cols]
    if "numerator" not in cols and "value" not in cols:
        missing.append("numerateur (ou valeur)")
    if missing:
        probs.add(1, None, None, f"colonne(s) absente(s) : {', '.join(missing)} (en-tête lu : {', '.join(header)})")
        return empty, probs.result()
    if not records:
        probs.add(None, None, None, "aucune ligne de données")
        return empty, probs.result()
    colname = {k: header[i] for k, i in cols.items()}
    importable = set(importable_indicators())
    out, seen = [], {}
    synthetic_flags = set()
    for line, cells in records:
        get = (lambda k: cells[cols[k]].strip() if k in cols else "")
        bad = False
        raw_code = get("code")
        code = raw_code.upper().zfill(5) if raw_code.isdigit() else raw_code.upper()
        if not raw_code:
            probs.add(line, colname["code"], None, "code commune vide")
            bad = True
        elif not CODE_PATTERN.match(code):
            probs.add(line, colname["code"], raw_code, "code commune invalide (5 caractères INSEE attendus)")
            bad = True
        elif valid_codes is not None and code not in valid_codes:
            hint = ""
            if rekey and rekey.get(code) and rekey[code] != code:
                hint = f" : commune fusionnée, code actuel {rekey[code]}"
            probs.add(line, colname["code"], raw_code, f"commune inconnue du COG courant{hint}")
            bad = True
        iid = get("indicator")
        if iid not in CATALOG:
            probs.add(line, colname["indicator"], iid,
                      f"indicateur inconnu (importables : {', '.join(sorted(importable))})")
            bad = True
        elif iid not in importable:
            probs.add(line, colname["indicator"], iid,
                      "indicateur calculé par l'atlas, non importable (importables : "
                      f"{', '.join(sorted(importable))})")
            bad = True
        raw_year = get("year")
        try:
            year = int(parse_number(raw_year) or 0)
            if not 2000 <= year <= 2100 or float(parse_number(raw_year)) != year:
                raise ValueError
        except (ValueError, TypeError):
            probs.add(line, colname["year"], raw_year, "année invalide (AAAA attendue)")
            bad = True
            year = None
        nums = {}
        for k in ("numerator", "denominator", "value"):
            raw = get(k)
            try:
                v = parse_number(raw)
            except ValueError:
                probs.add(line, colname.get(k), raw, "valeur non numérique")
                bad = True
                continue
            if v is not None and v < 0:
                probs.add(line, colname.get(k), raw, "valeur négative")
                bad = True
                continue
            nums[k] = v
        num, den, val = nums.get("numerator"), nums.get("denominator"), nums.get("value")
        if "denominator" in nums and den is None:
            probs.add(line, colname["denominator"], None, "dénominateur vide (nécessaire au secret statistique "
                                                          "et aux agrégations)")
            bad = True
        parsed_ok = all(k in nums for k in ("numerator", "value") if k in cols)
        if parsed_ok and num is None and val is None:
            probs.add(line, colname.get("numerator") or colname.get("value"), None, "ni numérateur ni valeur")
            bad = True
        if num is not None and den is not None and num > den:
            probs.add(line, colname["numerator"], get("numerator"),
                      f"numérateur supérieur au dénominateur ({get('denominator')})")
            bad = True
        if val is not None and val > 100:
            probs.add(line, colname["value"], get("value"), "part supérieure à 100 %")
            bad = True
        if not bad and num is not None and den and val is not None and abs(num / den * 100 - val) > VALUE_TOLERANCE:
            probs.add(line, colname["value"], get("value"),
                      f"valeur incohérente avec numérateur/dénominateur ({num / den * 100:.2f} %)")
            bad = True
        if den == 0 and (num or val):
            probs.add(line, colname["denominator"], get("denominator"), "dénominateur nul")
            bad = True
        flag = get("synthetic").lower()
        if flag in TRUE_WORDS:
            synthetic_flags.add(True)
        elif flag in FALSE_WORDS:
            synthetic_flags.add(False)
        else:
            probs.add(line, colname.get("synthetic"), flag, "donnees_fictives : « oui » ou « non » attendu")
            bad = True
        if not bad:
            key = (iid, code, year)
            if key in seen:
                probs.add(line, None, f"{code} {iid} {year}", f"ligne en double (déjà ligne {seen[key]})")
                continue
            seen[key] = line
            if num is None and val is not None and den is not None:
                num = val * den / 100
            value = num / den * 100 if (num is not None and den) else val
            out.append({"indicator_id": iid, "code": code, "year": year, "value": value,
                        "numerator": num, "denominator": den, "source_label": get("source") or None,
                        "synthetic": False, "line": line})
    if len(synthetic_flags) > 1:
        probs.add(None, colname.get("synthetic"), None,
                  "mélange de lignes fictives et réelles : un fichier est entièrement fictif ou entièrement réel")
    problems = probs.result()
    rows = pd.DataFrame(out, columns=empty.columns) if out else empty
    if not problems:
        rows["synthetic"] = True in synthetic_flags
        rows["year"] = rows["year"].astype("int32")
        for c in ("value", "numerator", "denominator"):
            rows[c] = pd.to_numeric(rows[c], errors="coerce").astype("float64")
    return rows, problems


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def import_slug(name: str) -> str:
    return slugify(Path(name).stem)


def import_indicator_table(path, valid_codes=None, dest_dir: Path | None = None, *,
                           original_name: str | None = None, rekey: dict[str, str] | None = None,
                           source_label: str | None = None) -> ImportReport:
    """Validate ``path`` then store it atomically as ``<dest_dir>/<slug>.parquet``.

    ``valid_codes``: the set of current commune codes (its codes are
    used). ``original_name``: the name the user gave the file (an upload's temp file has another).
    Returns a report; on rejection nothing is written."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    name = original_name or path.name
    if valid_codes is not None and hasattr(valid_codes, "valid_codes"):
        valid_codes = valid_codes.valid_codes
    if valid_codes is None:
        raise AtlasError("import : la liste des communes (base construite) est nécessaire pour valider le fichier")
    rows, problems = validate_indicator_table(path, valid_codes, original_name=name, rekey=rekey)
    if problems:
        return ImportReport(ok=False, file=name, problems=problems)
    dest_dir = Path(dest_dir) if dest_dir else imports_dir()
    dest_dir.mkdir(parents=True, exist_ok=True)
    slug = import_slug(name)
    sha = _sha256(path)
    synthetic = bool(rows["synthetic"].any())
    labels = sorted(set(rows["source_label"].dropna()))
    label = source_label or ("; ".join(labels) if labels else f"Import CPAM ({name})")
    source_id = f"import:{slug}"
    meta = {"original_name": name, "imported_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "source_label": label, "sha256": sha, "synthetic": synthetic, "rows": int(len(rows)),
            "indicators": sorted(set(rows["indicator_id"])), "years": sorted({int(y) for y in rows["year"]}),
            "communes": int(rows["code"].nunique()), "slug": slug, "source_id": source_id, "format_version": 1}
    table_df = rows.assign(source_id=source_id, source_label=rows["source_label"].fillna(label))
    table_df = table_df[["indicator_id", "code", "year", "value", "numerator", "denominator", "source_id",
                         "source_label", "synthetic", "line"]].reset_index(drop=True)
    table = pa.Table.from_pandas(table_df, preserve_index=False)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), META_KEY: json.dumps(meta).encode()})
    target = dest_dir / f"{slug}.parquet"
    with FileLock(str(dest_dir / ".lock"), timeout=10):
        replaced = target.exists()
        fd, tmp = tempfile.mkstemp(dir=dest_dir, prefix=f".{slug}.", suffix=".tmp")
        os.close(fd)
        try:
            pq.write_table(table, tmp)
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return ImportReport(ok=True, file=name, rows=len(rows), path=target, slug=slug, source_id=source_id,
                        source_label=label, indicators=meta["indicators"], years=meta["years"],
                        communes=meta["communes"], synthetic=synthetic, replaced=replaced, sha256=sha)


def import_files(directory: Path | None = None) -> list[Path]:
    directory = Path(directory) if directory else imports_dir()
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.glob("*.parquet") if not p.name.startswith("."))


def list_imports(directory: Path | None = None) -> list[dict]:
    """Provenance of every stored import (for the methods and import pages)."""
    import pyarrow.parquet as pq
    out = []
    for p in import_files(directory):
        try:
            md = pq.read_schema(p).metadata or {}
            meta = json.loads(md.get(META_KEY, b"{}"))
        except Exception as exc:  # noqa: BLE001 - a damaged file is listed, not fatal
            meta = {"error": f"fichier illisible ({exc.__class__.__name__})"}
        meta["file"] = p.name
        meta.setdefault("slug", p.stem)
        meta.setdefault("source_id", f"import:{p.stem}")
        out.append(meta)
    return out


def delete_import(slug: str, directory: Path | None = None) -> bool:
    directory = Path(directory) if directory else imports_dir()
    target = directory / f"{slugify(slug)}.parquet"
    if not target.exists():
        return False
    with FileLock(str(directory / ".lock"), timeout=10):
        target.unlink(missing_ok=True)
    return True
