"""INSEE Base permanente des équipements (BPE): equipment counts by commune, health supply only.

Input, either of INSEE's two count layouts (columns are found **by name**, never by position):

* the file « ensemble » ``bpeYY_ensemble.csv`` (vintages up to 2021, e.g. ``bpe19_ensemble_csv.zip``):
  ``REG;DEP;DEPCOM;DCIRIS;AN;TYPEQU;NB_EQUIP``, one row per (IRIS or commune, equipment type);
* the « dénombrement » file ``DS_BPE_<AAAA>_data.csv`` in ``DS_BPE_CSV_FR.zip`` (the successor
  layout, SDMX-style, current vintages): ``GEO;GEO_OBJECT;FACILITY_TYPE;BPE_MEASURE;TIME_PERIOD;
  OBS_VALUE`` (plus other columns); the rows kept are ``GEO_OBJECT = COM`` (communes: Paris, Lyon
  and Marseille as a whole, their arrondissements are the ``ARM`` rows) and ``BPE_MEASURE =
  FACILITIES`` (the count of equipments).

Both are ``;``-separated UTF-8 text, zipped or not (a zip's largest ``.csv`` member is extracted
into ``extract_dir``, or a temporary directory). The file is read streaming by DuckDB, never whole
into pandas: every line is split once, the rows of the health codes are kept, the rest is only
counted. Every row's field count is checked; the values of the kept rows are checked (commune code,
count, year). A malformed file stops with :class:`~atlas.errors.InputError` naming the line, the
column and the value (found by a second, line-by-line pass that runs only when DuckDB saw a
problem).

**Nomenclature.** INSEE renumbered the health equipments in 2021; the year of each row (``AN`` /
``TIME_PERIOD``) chooses the nomenclature (:data:`NOMENCLATURES`). A year outside the ones mapped
here is refused: a code of an unchecked vintage could mean something else, and a wrong map would
show as plausible densities, not as an error.

**What a count is (counting rule, INSEE).** For the health professions (domain D2 « fonctions
médicales et paramédicales »), the BPE takes the practice addresses of the professionals registered
in the ministry of health's directories (RPPS, ADELI) and keeps the addresses where the activity is
**libérale** only (« Un professionnel de santé peut être enregistré à plusieurs adresses
d'exercice. Dans la BPE, on ne retient que celles où l'activité est exercée à titre libéral » —
INSEE, BPE documentation of the « fonctions médicales et paramédicales à titre libéral »; salaried
doctors in hospitals are out, hospitals being equipments of their own, D1). So an equipment is a
(professional, liberal practice address) pair: a professional practising in two communes is counted
in each, and the sum of the counts of an area is a number of **practice locations**, which is at
least the number of distinct liberal professionals of the area (INSEE publishes no person id: the
BPE cannot count persons). Pharmacies (D301/D307), maisons de santé (D113) and centres de santé
(D108) are establishments, counted once each. Counts refer to 1 January of the BPE year, in the
communes of the COG of that year (re-keyed here with ``rekey``).
"""
from __future__ import annotations

import contextlib
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from atlas.errors import InputError
from atlas.numbers import parse_number
from ..sources import extract_member


@dataclass(frozen=True)
class Nomenclature:
    name: str
    years: range
    codes: dict[str, str]          # TYPEQU -> supply id (atlas.catalog: BPE_PROFESSIONS, 'pharmacy', STRUCTURES)


# Nomenclature in force until the 2020 vintage. Source: INSEE, BPE, « Liste des types d'équipements »
# of the vintages 2018 and 2019 (codes checked on the mirror's official bpe18/bpe19 files: France
# 2019 D201 61,429, D232 100,816, D233 75,319, D231 7,066, D221 38,487, D301 24,474). Earlier
# vintages are not mapped: refused until someone checks their list (years before 2018 are not read).
PRE_2021 = Nomenclature("nomenclature BPE 2018-2020", range(2018, 2021), {
    "D201": "mg",         # Médecin omnipraticien
    "D221": "dent",       # Chirurgien dentiste
    "D231": "sf",         # Sage-femme
    "D232": "inf",        # Infirmier
    "D233": "mk",         # Masseur kinésithérapeute
    "D301": "pharmacy",   # Pharmacie
    "D113": "msp",        # Maison de santé pluridisciplinaire
    "D108": "cds",        # Centre de santé
})
# Nomenclature of the 2021 vintage and later. Source: INSEE, BPE, « Liste des types d'équipements »
# 2021 and later (domaine D « Santé et action sociale »): professions renumbered D265 médecin
# généraliste, D277 chirurgien dentiste, D278 sage-femme, D279 masseur kinésithérapeute, D281
# infirmier, pharmacie D307 (D302-D307: laboratoire, ambulance, transfusion, thermalisme,
# pharmacie); the establishments of sub-domain D1 kept their codes: D108 centre de santé, D113
# maison de santé pluridisciplinaire/pluriprofessionnelle (checked in the 2021+ type lists, with
# D114 addictions and D115 PMI added). Mapped up to the 2030 vintage; a later one is refused until
# its list is checked.
SINCE_2021 = Nomenclature("nomenclature BPE 2021 et suivantes", range(2021, 2031), {
    "D265": "mg",
    "D277": "dent",
    "D278": "sf",
    "D281": "inf",
    "D279": "mk",
    "D307": "pharmacy",
    "D113": "msp",
    "D108": "cds",
})
NOMENCLATURES = (PRE_2021, SINCE_2021)
HEALTH_TYPEQU = sorted({c for n in NOMENCLATURES for c in n.codes})


def nomenclature_of(year: int) -> Nomenclature | None:
    return next((n for n in NOMENCLATURES if year in n.years), None)


def known_years() -> str:
    return ", ".join(f"{n.years.start}-{n.years.stop - 1} ({n.name})" for n in NOMENCLATURES)


@dataclass(frozen=True)
class Layout:
    """Where the four values of a row are, by column name, and which rows are commune counts."""
    name: str
    commune: str
    typequ: str
    year: str
    count: str
    filters: tuple[tuple[str, str], ...] = ()   # (column, value) a row must have

    @property
    def required(self) -> tuple[str, ...]:
        return (self.commune, self.typequ, self.year, self.count, *(c for c, _ in self.filters))


ENSEMBLE = Layout("fichier « ensemble »", "DEPCOM", "TYPEQU", "AN", "NB_EQUIP")
DENOMBREMENT = Layout("fichier de dénombrement (DS_BPE)", "GEO", "FACILITY_TYPE", "TIME_PERIOD", "OBS_VALUE",
                      (("GEO_OBJECT", "COM"), ("BPE_MEASURE", "FACILITIES")))
LAYOUTS = (ENSEMBLE, DENOMBREMENT)

# One definition of a valid value, used by DuckDB (regexp_full_match) and by the line-by-line pass.
COMMUNE_PATTERN = "[0-9]{5}|2[AB][0-9]{3}"     # INSEE commune code (Corsica 2A/2B, DROM 97xxx)
COUNT_PATTERN = "[0-9]+"                       # a count of equipments: a non-negative integer
YEAR_PATTERN = "[0-9]{4}"
DELIMITER = ";"


@dataclass
class BpeCounts:
    counts: pd.DataFrame            # code (current COG), supply, year, count
    stats: dict = field(default_factory=dict)


@dataclass(frozen=True)
class _Problem:
    problem: str
    column: str | None = None
    value: object = None


def _fields(line: str, quoted: bool) -> list[str]:
    """Split a line. Values are taken as written (no blank trimming, as INSEE writes them); quotes are
    removed only in a file whose header is quoted."""
    fields = line.split(DELIMITER)
    return [f.strip('"') for f in fields] if quoted else fields


def _header(path: Path, display: str) -> tuple[list[str], bool]:
    with open(path, "rb") as fh:
        first = fh.readline(1 << 16)
    if not first.strip():
        raise InputError(display, "fichier vide", line=1)
    try:
        text = first.decode("utf-8-sig").rstrip("\r\n")
    except UnicodeDecodeError as exc:
        raise InputError(display, "en-tête non UTF-8", line=1, column=exc.start + 1) from exc
    if DELIMITER not in text:
        raise InputError(display, f"séparateur « {DELIMITER} » absent de l'en-tête", line=1, value=text[:120])
    quoted = '"' in text
    return [h.strip().upper() for h in _fields(text, quoted)], quoted


def _layout(header: list[str], display: str) -> Layout:
    for layout in LAYOUTS:
        if all(c in header for c in layout.required):
            return layout
    missing = [c for c in ENSEMBLE.required if c not in header]
    raise InputError(display, f"colonne(s) absente(s) : {', '.join(missing)} (attendu : "
                              f"{' ; '.join(' '.join(l.required) for l in LAYOUTS)} ; "
                              f"en-tête lu : {';'.join(header[:30])})", line=1)


def _check_row(f: list[str], idx: dict[str, int], layout: Layout) -> _Problem | None:
    """The first problem of a row that has the right number of fields, else None."""
    year_raw = f[idx[layout.year]]
    if not re.fullmatch(YEAR_PATTERN, year_raw):
        return _Problem("année invalide", layout.year, year_raw)
    nomenclature = nomenclature_of(int(year_raw))
    if nomenclature is None:
        return _Problem(f"millésime BPE hors des nomenclatures connues ({known_years()}) : "
                        f"codes santé à vérifier dans etl/parsers/bpe_ensemble.py", layout.year, year_raw)
    if f[idx[layout.typequ]] not in nomenclature.codes or any(f[idx[c]] != v for c, v in layout.filters):
        return None                                   # not a health count: only the structure matters
    commune = f[idx[layout.commune]]
    if not re.fullmatch(COMMUNE_PATTERN, commune):
        return _Problem("code commune mal formé (5 caractères : 01001, 2A004, 97101…)", layout.commune, commune)
    count = f[idx[layout.count]]
    if not re.fullmatch(COUNT_PATTERN, count):
        try:
            v = parse_number(count)
        except ValueError:
            v = None
        what = ("nombre d'équipements vide" if v is None and not count else
                "nombre d'équipements non numérique" if v is None else
                "nombre d'équipements négatif" if v < 0 else "nombre d'équipements non entier")
        return _Problem(what, layout.count, count)
    return None


def _first_problem(path: Path, display: str, header: list[str], quoted: bool,
                   layout: Layout) -> InputError | None:
    """Line-by-line pass, run only after DuckDB found a problem: the first bad line, with its number.
    Same reading as DuckDB's: CR LF or LF line ends, empty lines skipped."""
    idx = {c: header.index(c) for c in layout.required}
    n = len(header)
    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            if lineno == 1:
                continue
            try:
                line = raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError as exc:
                return InputError(display, "encodage non UTF-8 (Latin-1/Windows-1252 ?)", line=lineno,
                                  column=exc.start + 1, value=raw[exc.start:exc.start + 1])
            if not line:
                continue
            f = _fields(line, quoted)
            if len(f) != n:
                return InputError(display, f"{len(f)} champs au lieu de {n} (ligne tronquée ou séparateur en trop)",
                                  line=lineno, value=line[:120])
            p = _check_row(f, idx, layout)
            if p:
                return InputError(display, p.problem, line=lineno, column=p.column, value=p.value)
    return None


def _csv_of(path: Path, stack: contextlib.ExitStack, extract_dir: Path | None) -> tuple[Path, str]:
    """The CSV to read and the name to report: a zip's largest .csv member is extracted first."""
    if path.suffix.lower() != ".zip":
        return path, path.name
    target = Path(extract_dir) if extract_dir else Path(stack.enter_context(tempfile.TemporaryDirectory()))
    try:
        member = extract_member(path, "*.csv", target)
    except (OSError, zipfile.BadZipFile) as exc:
        raise InputError(path.name, f"archive illisible ou sans fichier CSV ({exc})") from exc
    return member, f"{path.name}:{member.name}"


def _sql_str(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def read_bpe_ensemble(path: Path, *, rekey: dict[str, str] | None = None,
                      extract_dir: Path | None = None) -> BpeCounts:
    """Parse a BPE count file: health supply per (current commune, supply, year).

    ``rekey`` maps the commune codes of the BPE year to current codes (codes it lacks are dropped and
    reported in ``stats['unknown_communes']``); without it codes are kept as read.
    ``stats``: ``rows`` (data rows read), ``layout``, ``years``, ``health_rows``,
    ``totals_read`` / ``totals_rekeyed`` ({year: {TYPEQU: Σ NB_EQUIP}}, before and after re-keying: equal
    unless codes are unknown), ``unknown_communes`` ({code: Σ NB_EQUIP}).
    """
    path = Path(path)
    with contextlib.ExitStack() as stack:
        csv_path, display = _csv_of(path, stack, extract_dir)
        header, quoted = _header(csv_path, display)
        layout = _layout(header, display)
        n_fields = len(header)
        pos = {c: header.index(c) + 1 for c in layout.required}            # DuckDB lists are 1-based

        def col(name: str) -> str:
            return f"trim(f[{pos[name]}], '\"')" if quoted else f"f[{pos[name]}]"

        con = duckdb.connect(":memory:")
        stack.callback(con.close)
        filters = " AND ".join(f"{col(c)} = {_sql_str(v)}" for c, v in layout.filters) or "TRUE"
        con.execute(f"""
            CREATE TEMP VIEW rows AS
            SELECT len(f) AS nf, {col(layout.commune)} AS commune, {col(layout.typequ)} AS typequ,
                   {col(layout.year)} AS year, {col(layout.count)} AS count, {filters} AS is_count_row
            FROM (SELECT string_split(line, '{DELIMITER}') AS f
                  -- each line whole (U+001F never occurs), CR LF handled by the reader, empty lines NULL
                  FROM read_csv({_sql_str(csv_path)}, columns={{'line': 'VARCHAR'}}, delim=chr(31), quote='',
                                escape='', header=false, skip=1, auto_detect=false, strict_mode=false,
                                null_padding=true, encoding='utf-8')
                  WHERE line IS NOT NULL)""")

        def fail(generic: str) -> InputError:
            return _first_problem(csv_path, display, header, quoted, layout) or InputError(display, generic)

        codes = ", ".join(_sql_str(c) for c in HEALTH_TYPEQU)
        try:
            # The one pass over the file: lines grouped by what is checked, health rows kept by value.
            con.execute(f"""
                CREATE TEMP TABLE scan AS
                SELECT nf = {n_fields} AS complete, CASE WHEN nf = {n_fields} THEN year END AS year,
                       CASE WHEN keep THEN commune END AS commune, CASE WHEN keep THEN typequ END AS typequ,
                       CASE WHEN keep THEN count END AS count, count(*)::BIGINT AS lines
                FROM (SELECT *, nf = {n_fields} AND typequ IN ({codes}) AND is_count_row AS keep FROM rows)
                GROUP BY ALL""")
        except duckdb.Error as exc:
            raise fail(f"lecture impossible : {str(exc).splitlines()[0]}") from exc
        n_rows, bad_fields, years = con.execute("""
            SELECT coalesce(sum(lines), 0), coalesce(sum(lines) FILTER (WHERE NOT complete), 0),
                   list(DISTINCT year) FILTER (WHERE complete) FROM scan""").fetchall()[0]
        if n_rows == 0:
            raise InputError(display, "aucune ligne de données après l'en-tête")
        years = sorted(years or [])
        if bad_fields or not all(re.fullmatch(YEAR_PATTERN, y or "") and nomenclature_of(int(y)) for y in years):
            raise fail(f"{bad_fields} ligne(s) au nombre de champs incorrect ou année invalide")

        # Health rows: the codes of each row's own year (a code of the other nomenclature is not health).
        mapping = pd.DataFrame([(y, t, s) for y in map(int, years) for t, s in nomenclature_of(y).codes.items()],
                               columns=["year", "typequ", "supply"])
        con.register("mapping", mapping)
        con.execute("""
            CREATE TEMP TABLE health AS
            SELECT s.commune, s.typequ, CAST(s.year AS INTEGER) AS year, s.count, m.supply, s.lines
            FROM scan s JOIN mapping m ON m.year = CAST(s.year AS INTEGER) AND m.typequ = s.typequ""")
        bad, health_rows = con.execute(f"""
            SELECT coalesce(sum(lines) FILTER (WHERE NOT regexp_full_match(coalesce(commune, ''), {_sql_str(COMMUNE_PATTERN)})
                                  OR NOT regexp_full_match(coalesce(count, ''), {_sql_str(COUNT_PATTERN)})), 0),
                   coalesce(sum(lines), 0) FROM health""").fetchall()[0]
        if bad:
            raise fail(f"{bad} ligne(s) de santé au code commune ou au nombre d'équipements invalide")
        if health_rows == 0:
            raise InputError(display, f"aucun équipement de santé ({', '.join(HEALTH_TYPEQU)}) : nomenclature "
                                      f"différente ?", column=layout.typequ)

        rk = pd.DataFrame(list((rekey or {}).items()), columns=["old", "code"])
        con.register("rekey_map", rk)
        code_expr = "k.code" if rekey else "h.commune"
        con.execute(f"""
            CREATE TEMP TABLE located AS
            SELECT h.commune, {code_expr} AS code, h.typequ, h.supply, h.year,
                   sum(CAST(h.count AS BIGINT) * h.lines) AS n
            FROM health h {"LEFT JOIN rekey_map k ON k.old = h.commune" if rekey else ""}
            GROUP BY ALL""")
        counts = con.execute("""
            SELECT code, supply, year, sum(n)::BIGINT AS count FROM located WHERE code IS NOT NULL
            GROUP BY ALL ORDER BY code, supply, year""").df()
        totals = con.execute("""
            SELECT year, typequ, sum(n)::BIGINT AS read, (sum(n) FILTER (WHERE code IS NOT NULL))::BIGINT AS rekeyed
            FROM located GROUP BY ALL ORDER BY 1, 2""").fetchall()
        unknown = con.execute("""SELECT commune, sum(n)::BIGINT FROM located WHERE code IS NULL
                                 GROUP BY 1 ORDER BY 1""").fetchall()

    counts["count"] = counts["count"].astype("int64")
    counts["year"] = counts["year"].astype("int32")
    stats = {
        "file": display, "layout": layout.name, "rows": int(n_rows), "health_rows": int(health_rows),
        "years": [int(y) for y in years],
        "nomenclatures": {int(y): nomenclature_of(int(y)).name for y in years},
        "totals_read": _nested(totals, 2), "totals_rekeyed": _nested(totals, 3),
        "unknown_communes": {c: int(n) for c, n in unknown},
    }
    return BpeCounts(counts=counts, stats=stats)


def _nested(rows, value_index: int) -> dict[int, dict[str, int]]:
    out: dict[int, dict[str, int]] = {}
    for r in rows:
        out.setdefault(int(r[0]), {})[r[1]] = int(r[value_index] or 0)
    return out
