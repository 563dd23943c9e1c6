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
wrong encoding (Latin-1) or delimiter, malformed CSV quoting, control characters or an over-long
source label. A file with any problem is rejected whole: nothing is written and what was imported
before stays as it was. At most ``limits.MAX_PROBLEMS`` problems are listed, then their count.

Bounds (:mod:`atlas.userdata.limits`): the file's size, its rows, columns and cells, and for an XLSX
its sheets and the uncompressed size of its members, checked from the zip directory before openpyxl
opens it. Reading is streaming and stops at the first bound reached, with a problem naming the bound
and the line where it was reached.

Storage: an accepted file becomes ``<user data dir>/imports/<slug>.parquet`` (slug of the original
file name; re-importing the same name replaces it), written atomically (temporary file + rename)
under a lock, with its provenance in the parquet metadata (original name, import date, source
label, sha256, synthetic). the read model (:mod:`atlas.read`) reads these files beside the built database;
imported rows win over built rows for the same indicator, commune and year. Imported rows are real
(``synthetic = false``) unless the file says ``donnees_fictives = oui``.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import os
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from filelock import FileLock

from .. import fmt
from ..catalog import CATALOG
from ..csvutil import iter_csv_rows
from ..errors import AtlasError, InputError
from ..numbers import parse_number
from ..paths import imports_dir
from . import limits
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
class MoreProblems(Problem):
    """The last line of a capped problem list: "… et N autre(s) problème(s)"; ``count`` is N."""
    count: int = 0


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
        head = f"{self.file} : fichier refusé, rien n'a été importé ({self.problem_count} problème(s)) :"
        return "\n  ".join([head, *map(str, self.problems)])

    @property
    def problem_count(self) -> int:
        """All the problems found, those beyond the listed ones included."""
        return sum(p.count if isinstance(p, MoreProblems) else 1 for p in self.problems)

    def to_dict(self) -> dict:
        return {"ok": self.ok, "file": self.file, "rows": self.rows, "communes": self.communes,
                "problem_count": self.problem_count,
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
    """The problems of one file: the first ``limits.MAX_PROBLEMS``, then how many more; values quoted
    are cut to ``limits.MAX_VALUE_SHOWN`` characters (a message never repeats unbounded input)."""

    def __init__(self, name: str):
        self.name = limits.shorten(name)
        self.kept = limits.ProblemCounter()

    def add(self, line, column, value, problem):
        value = None if value is None else limits.shorten(value)
        column = None if column is None else limits.shorten(column, 40)
        self.kept.add(Problem(self.name, line, column, value, problem))

    def clear(self) -> None:
        self.kept = limits.ProblemCounter()

    def result(self) -> list[Problem]:
        out = list(self.kept.items)
        if self.kept.overflow:
            out.append(MoreProblems(self.name, None, None, None, self.kept.overflow_text(), self.kept.overflow))
        return out


class _BoundReached(Exception):
    """Reading stops: a bound of :mod:`atlas.userdata.limits` was reached (or the file is unreadable)."""

    def __init__(self, problem: str, line: int | None = None, column: str | None = None, value=None):
        super().__init__(problem)
        self.problem, self.line, self.column, self.value = problem, line, column, value


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


def _column_name(header: list[str] | None, index: int, letters: bool) -> str:
    """A column as the user knows it: its header when short enough, else its letter (XLSX) or number."""
    if header and index < len(header) and 0 < len(header[index]) <= 40:
        return header[index]
    if letters:
        from openpyxl.utils import get_column_letter
        return get_column_letter(index + 1)
    return str(index + 1)


def _check_row(cells: list[str], line: int, header_line: int | None, header: list[str] | None,
               letters: bool) -> None:
    """Stop at the rows, columns and cell-size bounds (``line`` is 1-based, as an editor shows it)."""
    if line > (header_line or 0) + limits.MAX_IMPORT_ROWS:
        raise _BoundReached(f"plus de {fmt.integer(limits.MAX_IMPORT_ROWS)} lignes de données : fichier "
                            "trop long pour un import (découpez-le, par exemple par département)", line=line)
    if len(cells) > limits.MAX_COLUMNS:
        raise _BoundReached(f"plus de {fmt.integer(limits.MAX_COLUMNS)} colonnes (limite des imports)", line=line)
    for j, v in enumerate(cells):
        if len(v) > limits.MAX_CELL_CHARS:
            raise _BoundReached(f"cellule de {fmt.integer(len(v))} caractères (limite "
                                f"{fmt.integer(limits.MAX_CELL_CHARS)})", line=line,
                                column=_column_name(header, j, letters), value=v)


def xlsx_archive_problem(path: Path) -> str | None:
    """Why an XLSX is refused from its zip directory alone (sheets, members, uncompressed sizes), or
    None. Reads only the central directory: a decompression bomb is refused before any inflating.
    (Python's ``zipfile``, which openpyxl uses, never inflates a member past its declared size.)"""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return "classeur XLSX illisible (archive zip invalide) : enregistrez-le à nouveau depuis le tableur"
    if len(infos) > limits.MAX_XLSX_MEMBERS:
        return (f"classeur de {fmt.integer(len(infos))} fichiers internes (limite "
                f"{fmt.integer(limits.MAX_XLSX_MEMBERS)})")
    sheets = [i for i in infos if re.fullmatch(r"xl/worksheets/[^/]+\.xml", i.filename, flags=re.IGNORECASE)]
    if len(sheets) > limits.MAX_XLSX_SHEETS:
        return (f"classeur de {fmt.integer(len(sheets))} feuilles (limite {fmt.integer(limits.MAX_XLSX_SHEETS)} "
                "feuilles ; seule la première est lue)")
    for i in infos:
        bound = (limits.MAX_XLSX_SHARED_STRINGS_BYTES if i.filename.lower().endswith("sharedstrings.xml")
                 else limits.MAX_XLSX_MEMBER_BYTES)
        if i.file_size > bound:
            return (f"classeur trop volumineux une fois décompressé : {limits.shorten(i.filename)} fait "
                    f"{limits.size_text(i.file_size)} (limite {limits.size_text(bound)})")
    total = sum(i.file_size for i in infos)
    if total > limits.MAX_XLSX_TOTAL_BYTES:
        return (f"classeur trop volumineux une fois décompressé : {limits.size_text(total)} (limite "
                f"{limits.size_text(limits.MAX_XLSX_TOTAL_BYTES)})")
    return None


def _read_xlsx(path: Path, name: str, probs: _Collector) -> tuple[list[str], list[tuple[int, list[str]]]] | None:
    """First sheet, streamed (openpyxl read-only), after :func:`xlsx_archive_problem` let it through."""
    problem = xlsx_archive_problem(path)
    if problem:
        raise _BoundReached(problem)
    import openpyxl
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable workbook is one problem to report
        raise _BoundReached(f"classeur XLSX illisible ({exc.__class__.__name__})") from None
    try:
        if not wb.worksheets:
            raise _BoundReached("classeur sans feuille")
        ws = wb.worksheets[0]
        header, header_line, rows = None, None, []
        # max_col: openpyxl pads rows to this width, never more; one column past the bound shows it is reached
        for i, row in enumerate(ws.iter_rows(values_only=True, max_col=limits.MAX_COLUMNS + 1), start=1):
            cells = [_cell_text(v) for v in row]
            while cells and cells[-1] == "":
                cells.pop()
            _check_row(cells, i, header_line, header, letters=True)
            if header is None:
                if any(cells):
                    header, header_line = cells, i
                continue
            if any(cells):
                rows.append((i, cells))
    except _BoundReached:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged sheet is one problem to report
        raise _BoundReached(f"classeur XLSX illisible ({exc.__class__.__name__})") from None
    finally:
        wb.close()
    if header is None:
        raise _BoundReached("feuille vide")
    width = len(header)
    rows = [(i, (cells + [""] * width)[:max(width, len(cells))]) for i, cells in rows]
    for i, cells in rows:
        if len(cells) > width and any(cells[width:]):
            probs.add(i, None, None, f"{len(cells)} cellules remplies au-delà des {width} colonnes de l'en-tête "
                                     f"(ligne {header_line})")
    return header, [(i, cells[:width]) for i, cells in rows]


def _read_csv(data: bytes, name: str, probs: _Collector) -> tuple[list[str], list[tuple[int, list[str]]]] | None:
    if not data.strip():
        raise _BoundReached("fichier vide")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise _BoundReached("encodage non UTF-8 (probablement Latin-1/Windows-1252) : enregistrer le fichier "
                            "en UTF-8", line=line, column=f"caractère {col}",
                            value=data[exc.start:exc.start + 1]) from None
    first = text.split("\n", 1)[0].rstrip("\r")
    best = None
    for delim in (";", ",", "\t"):
        try:
            _, header = next(iter_csv_rows(first, name, delimiter=delim))
        except (InputError, StopIteration):
            continue
        found = _map_header(header)
        if best is None or len(found) > best[2]:
            best = (delim, header, len(found))
    if best is None or not all(k in _map_header(best[1]) for k in ("code", "indicator")):
        raise _BoundReached("séparateur non reconnu ou en-tête sans les colonnes code_commune et indicateur "
                            "(séparateurs acceptés : « ; », « , », tabulation)", line=1, value=first)
    delim = best[0]
    header, rows = None, []
    try:
        for line, row in iter_csv_rows(text, name, delimiter=delim):
            _check_row(row, line, 1, header, letters=False)
            if header is None:
                header = [h.strip() for h in row]
                continue
            if not row or all(not v.strip() for v in row):
                continue
            if len(row) != len(header):
                what = ("ligne tronquée ou colonne manquante" if len(row) < len(header)
                        else f"séparateur « {delim} » en trop")
                probs.add(line, None, None, f"{len(row)} champs au lieu de {len(header)} ({what})")
                continue
            rows.append((line, [v.strip() for v in row]))
    except InputError as exc:           # malformed CSV (csv.Error), with its line
        raise _BoundReached(exc.problem, line=exc.line) from None
    return header, rows


def _read_table(path: Path, name: str, probs: _Collector):
    """Header and rows of a CSV or XLSX import, or None (the reason is in ``probs``)."""
    try:
        size = path.stat().st_size
        if size > limits.MAX_IMPORT_BYTES:
            raise _BoundReached(f"fichier de {limits.size_text(size)} : la limite des imports est de "
                                f"{limits.size_text(limits.MAX_IMPORT_BYTES)}")
        if path.suffix.lower() in (".xlsx", ".xlsm") or Path(name).suffix.lower() in (".xlsx", ".xlsm"):
            return _read_xlsx(path, name, probs)
        return _read_csv(path.read_bytes(), name, probs)
    except _BoundReached as stop:
        # The file is refused for this reason alone: problems of the rows read before it are dropped
        # (they would push the reason out of a capped list, and the file cannot be imported anyway).
        probs.clear()
        probs.add(stop.line, stop.column, stop.value, stop.problem)
        return None


def validate_indicator_table(path, valid_codes=None, *, original_name: str | None = None,
                             rekey: dict[str, str] | None = None) -> tuple[pd.DataFrame, list[Problem]]:
    """Read and check a commune indicator table. Returns (rows, problems); rows is only meaningful
    when problems is empty. ``valid_codes``: the current commune codes (a set, or a Store);
    ``rekey`` (old code -> current code) lets the message suggest the current code of a merged commune."""
    path = Path(path)
    name = original_name or path.name
    probs = _Collector(name)
    parsed = _read_table(path, name, probs)
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
        shown = limits.shorten(", ".join(limits.shorten(h, 40) for h in header), 300)
        probs.add(1, None, None, f"colonne(s) absente(s) : {', '.join(missing)} (en-tête lu : {shown})")
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
        label = get("source")
        why = limits.label_problem(label, limits.MAX_LABEL_CHARS) if label else None
        if why:
            probs.add(line, colname["source"], label, f"libellé de source refusé : {why}")
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
    if valid_codes is None:
        raise AtlasError("import : la liste des communes (base construite) est nécessaire pour valider le fichier")
    why = limits.label_problem(source_label, limits.MAX_LABEL_CHARS) if source_label else None
    if why:
        return ImportReport(ok=False, file=limits.shorten(name), problems=[
            Problem(limits.shorten(name), None, "source_label", limits.shorten(source_label),
                    f"libellé de source refusé : {why}")])
    rows, problems = validate_indicator_table(path, valid_codes, original_name=name, rekey=rekey)
    if problems:
        return ImportReport(ok=False, file=limits.shorten(name), problems=problems)
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
