"""ANS Annuaire Santé, extraction en libre accès ``PS_LibreAcces_Personne_activite_<date>.txt``.

Format (as published by the ANS): one row per professional x practice situation, fields separated
by ``|`` and every line (header included) ending with a ``|``; UTF-8 with a BOM; no quoting (a
``"`` is an ordinary character). About 2.1 M rows and 765 MB nationally: the file is never loaded
into pandas. DuckDB reads it once as raw lines (parallel, bounded memory), splits each line on
``|`` and keeps only the columns we need, located **by header name** (the ANS has added columns over
the years, e.g. ``Code rôle``, ``Code genre activité``).

Columns used (exact header spellings of the extraction)::

    Identifiant PP                       RPPS number (the professional)
    Code profession / Libellé profession 10 médecin, 21 pharmacien, 40 chirurgien-dentiste,
                                         50 sage-femme, 60 infirmier, 70 masseur-kinésithérapeute
    Code savoir-faire / Libellé …        tells GPs from other doctors (see GP_SAVOIR_FAIRE)
    Code mode exercice                   L libéral, S salarié, B bénévole
    Numéro FINESS site                   kept for the record (practice sites that are FINESS establishments)
    Code commune (coord. structure)      INSEE code of the practice site
    Code postal (coord. structure)       fallback when the commune code is empty
    Code section tableau pharmaciens     A titulaires d'officine, D adjoints d'officine (optional column)

Counting rule: a professional is counted once per area, profession and mode, however many rows
(sites, roles) he or she has there; ``mode = 'all'`` counts distinct professionals over all modes
(a GP both libéral and salarié in the same commune counts once in 'all'). A professional practising
in two communes counts in each commune, and **once** in any area holding both (département, région,
France, a territory): areas are counted from the person-level ``sites`` with :func:`distinct_counts_sql`,
never by adding commune counts. ``sites`` carry a pseudonymous ``person`` id (:data:`PERSON_ID_SQL`).

Choices (documented for the methods page):
  * GPs (``mg``) = médecins (profession 10) whose savoir-faire, on any of their rows, is SM26
    "Qualifié en médecine générale", SM53 "Spécialiste en médecine générale" or SM54 "Médecine
    générale" (the three codes the RPPS uses for general practice over time).
  * ``pharma`` counts **pharmaciens d'officine**: profession 21 in section A (titulaires, libéraux)
    or D (adjoints, salariés) of the Ordre's tableau; hospital, industry and biology pharmacists are
    left out. Pharmacies (BPE D307) are shown on the map's locations layer, not counted here.
  * Codes are re-keyed to the current COG (merged communes); an empty commune code falls back on
    the postal code: the commune of that postal code when it is unique, else the most populous
    commune sharing it (an approximation, counted and reported).
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from atlas.errors import InputError

DELIMITER = "|"

COLUMNS = {
    "pp": "Identifiant PP",
    "prof": "Code profession",
    "prof_label": "Libellé profession",
    "sf": "Code savoir-faire",
    "sf_label": "Libellé savoir-faire",
    "mode": "Code mode exercice",
    "finess": "Numéro FINESS site",
    "com": "Code commune (coord. structure)",
    "cp": "Code postal (coord. structure)",
}
OPTIONAL_COLUMNS = {"section": "Code section tableau pharmaciens"}

# RPPS profession code -> atlas profession id (médecins are GPs only with a GP savoir-faire)
PROFESSION_CODES = {"10": "mg", "21": "pharma", "40": "dent", "50": "sf", "60": "inf", "70": "mk"}
GP_SAVOIR_FAIRE = {"SM26": "Qualifié en Médecine Générale", "SM53": "Spécialiste en Médecine Générale",
                   "SM54": "Médecine Générale"}
PHARMACY_SECTIONS = {"A": "Pharmacien titulaire d'officine", "D": "Pharmacien adjoint d'officine"}
MODES = {"L": "liberal", "S": "salarie", "B": "benevole"}

FILE_DATE = re.compile(r"(20\d{2})(\d{2})(\d{2})")


# A stable integer per professional, not the RPPS number: the first 60 bits of md5(Identifiant PP).
# Same professional, same id in every extraction; two of ~2.5 M professionals share one with a
# probability of ~3e-6 (checked at each parse: the parse stops rather than merge two persons).
PERSON_ID_SQL = "('0x' || substr(md5({pp}), 1, 15))::BIGINT"


def distinct_counts_sql(sites: str, area: str) -> str:
    """SQL counting distinct persons of ``sites`` (columns person, profession, mode) per (``area``
    expression, profession, mode), plus mode 'all' (distinct over every mode). The one definition of
    "number of professionals", for communes (area = code) and for wider areas alike."""
    return f"""
        SELECT {area} AS area, profession, mode, count(DISTINCT person)::BIGINT AS count FROM {sites} GROUP BY ALL
        UNION ALL
        SELECT {area} AS area, profession, 'all' AS mode, count(DISTINCT person)::BIGINT AS count FROM {sites} GROUP BY ALL"""


@dataclass
class RppsResult:
    counts: pd.DataFrame            # code, profession, mode ('liberal'|'salarie'|'benevole'|'autre'|'all'), count
    year: int
    stats: dict = field(default_factory=dict)
    sites: pd.DataFrame | None = None   # person, profession, mode, code: one row per distinct practice site


def _header(path: Path) -> tuple[list[str], bool]:
    with open(path, "rb") as fh:
        first = fh.readline(1 << 20)
    if not first.strip():
        raise InputError(path, "fichier vide", line=1)
    bom = first.startswith(b"\xef\xbb\xbf")
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(path, "en-tête non UTF-8 (le fichier de l'ANS est en UTF-8 ; Latin-1/Windows-1252 non accepté)",
                         line=1, column=exc.start + 1, value=first[exc.start:exc.start + 1]) from exc
    text = text.rstrip("\r\n")
    if DELIMITER not in text:
        raise InputError(path, f"séparateur « {DELIMITER} » absent de l'en-tête (mauvais fichier ou mauvais séparateur)",
                         line=1, value=text[:120])
    return [h.strip() for h in text.split(DELIMITER)], bom


def _scan_for_problem(path: Path, n_fields: int, idx_prof: int) -> InputError | None:
    """Python pass, only after DuckDB found a problem: the first bad line with its number."""
    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            if lineno == 1:
                continue
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                return InputError(path, "encodage non UTF-8 (Latin-1/Windows-1252 ?)", line=lineno,
                                  column=exc.start + 1, value=raw[exc.start:exc.start + 1])
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            fields = line.split(DELIMITER)
            if len(fields) != n_fields:
                what = "ligne tronquée" if len(fields) < n_fields else "séparateur « | » en trop"
                return InputError(path, f"{len(fields)} champs au lieu de {n_fields} ({what})", line=lineno)
            prof = fields[idx_prof].strip()
            if prof and not prof.isdigit():
                return InputError(path, "code profession invalide (nomenclature RPPS TRE_G15 : code numérique)",
                                  line=lineno, column=COLUMNS["prof"], value=prof)
    return None


def _error_line(message: str) -> int | None:
    m = re.search(r"Line: (\d+)", message)
    return int(m.group(1)) if m else None


def file_year(path: Path) -> int:
    m = FILE_DATE.search(Path(path).name)
    if m:
        return int(m.group(1))
    import datetime as dt
    return dt.date.fromtimestamp(Path(path).stat().st_mtime).year


def postal_fallback_map(postal: dict[str, list[str]] | None, population: dict[str, float] | None) -> pd.DataFrame:
    """postal code -> one commune: the only one, or the most populous of those sharing the code."""
    rows = []
    for cp, codes in (postal or {}).items():
        best = max(codes, key=lambda c: ((population or {}).get(c) or 0, c))
        rows.append((cp, best, len(codes) > 1))
    return pd.DataFrame(rows, columns=["cp", "code", "ambiguous"])


def read_personne_activite(path: Path, *, rekey: dict[str, str] | None = None,
                           postal: dict[str, list[str]] | None = None,
                           population: dict[str, float] | None = None,
                           memory_limit: str = "1GB", threads: int | None = None) -> RppsResult:
    """Parse the extraction and count distinct professionals per commune x profession x mode.

    ``rekey`` maps any commune code to the current one (codes it does not know are reported and
    dropped); without it, commune codes are taken as they are.
    """
    path = Path(path)
    header, bom = _header(path)
    index = {h: i for i, h in enumerate(header) if h}
    missing = [name for name in COLUMNS.values() if name not in index]
    if missing:
        raise InputError(path, f"colonne(s) absente(s) de l'en-tête : {', '.join(missing)}", line=1)
    idx = {k: index[name] + 1 for k, name in COLUMNS.items()}  # DuckDB lists are 1-based
    has_section = OPTIONAL_COLUMNS["section"] in index
    if has_section:
        idx["section"] = index[OPTIONAL_COLUMNS["section"]] + 1
    n_fields = len(header)

    con = duckdb.connect(":memory:")
    try:
        con.execute(f"SET memory_limit = '{memory_limit}'")
        con.execute("SET preserve_insertion_order = false")
        # DuckDB's own progress bar for this long scan (the national file is ~765 MB), on a terminal only.
        con.execute(f"SET enable_progress_bar = {'true' if sys.stderr.isatty() else 'false'}")
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        sel = ", ".join(f"trim(f[{i}]) AS {k}" for k, i in idx.items())
        # Each line is read whole (the unit separator U+001F never occurs in the extraction), then split.
        try:
            con.execute(f"""
                CREATE TEMP TABLE rows AS
                SELECT len(f) AS nf, {sel}
                FROM (SELECT string_split(rtrim(line, chr(13)), '|') AS f
                      FROM read_csv(?, columns={{'line': 'VARCHAR'}}, delim=chr(31), quote='', escape='',
                                    header=false, skip=1, auto_detect=false, strict_mode=false,
                                    null_padding=true, encoding='utf-8')
                      WHERE line IS NOT NULL AND trim(line) <> '')
            """, [str(path)])
        except duckdb.Error as exc:
            problem = _scan_for_problem(path, n_fields, idx["prof"] - 1)
            if problem:
                raise problem from exc
            raise InputError(path, f"lecture impossible : {str(exc).splitlines()[0]}", line=_error_line(str(exc))) from exc

        n_rows, bad_nf, bad_prof = con.execute(f"""
            SELECT count(*), count(*) FILTER (WHERE nf <> {n_fields}),
                   count(*) FILTER (WHERE prof <> '' AND NOT regexp_full_match(prof, '[0-9]+'))
            FROM rows""").fetchall()[0]
        if bad_nf or bad_prof:
            problem = _scan_for_problem(path, n_fields, idx["prof"] - 1)
            raise problem or InputError(path, f"{bad_nf} ligne(s) au nombre de champs incorrect")
        if n_rows == 0:
            raise InputError(path, "aucune ligne de données après l'en-tête")

        rekey_df = pd.DataFrame(list((rekey or {}).items()), columns=["old", "code"])
        con.register("rekey_df", rekey_df)
        con.register("postal_df", postal_fallback_map(postal, population))
        use_rekey = bool(rekey)
        sections = ", ".join(f"'{k}'" for k in PHARMACY_SECTIONS)
        section_expr = f"section IN ({sections})" if has_section else "TRUE"
        # the SQL is written from the constants above: one list of professions, modes and sections
        professions = " ".join(
            f"WHEN '{code}' THEN " + ("(CASE WHEN g.pp IS NOT NULL THEN 'mg' END)" if prof == "mg" else
                                      f"(CASE WHEN {section_expr} THEN 'pharma' END)" if prof == "pharma" else f"'{prof}'")
            for code, prof in PROFESSION_CODES.items())
        modes = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in MODES.items())
        gp_code = next(code for code, prof in PROFESSION_CODES.items() if prof == "mg")
        con.execute(f"""
            CREATE TEMP TABLE located AS
            WITH gps AS (SELECT DISTINCT pp FROM rows WHERE prof = '{gp_code}'
                                                          AND sf IN ({", ".join(f"'{c}'" for c in GP_SAVOIR_FAIRE)})),
            classified AS (
                SELECT r.pp,
                       CASE r.prof {professions} END AS profession,
                       CASE upper(r.mode) {modes} ELSE 'autre' END AS mode,
                       nullif(r.com, '') AS com, nullif(r.cp, '') AS cp
                FROM rows r LEFT JOIN gps g ON g.pp = r.pp
                WHERE r.prof IN ({", ".join(f"'{c}'" for c in PROFESSION_CODES)})
            )
            SELECT c.*, {"k.code" if use_rekey else "c.com"} AS com_code, p.code AS cp_code, p.ambiguous,
                   coalesce({"k.code" if use_rekey else "c.com"}, CASE WHEN c.com IS NULL THEN p.code END) AS code
            FROM classified c
            {"LEFT JOIN rekey_df k ON k.old = c.com" if use_rekey else ""}
            LEFT JOIN postal_df p ON p.cp = c.cp
            WHERE c.profession IS NOT NULL
        """)
        person = PERSON_ID_SQL.format(pp="pp")
        n_pp, n_person = con.execute(f"""SELECT count(DISTINCT pp), count(DISTINCT {person}) FROM located
                                         WHERE code IS NOT NULL""").fetchall()[0]
        if n_pp != n_person:
            raise InputError(path, f"identifiant pseudonyme en collision ({n_pp} professionnels, {n_person} "
                                   f"identifiants) : changer PERSON_ID_SQL dans etl/parsers/rpps.py")
        con.execute(f"""CREATE TEMP TABLE sites AS SELECT DISTINCT {person} AS person, profession, mode, code
                        FROM located WHERE code IS NOT NULL""")
        counts = con.execute(f"""
            SELECT area AS code, profession, mode, count FROM ({distinct_counts_sql("sites", "code")})
            ORDER BY 1, 2, 3""").df()
        sites = con.execute("""SELECT person, profession, mode, code FROM sites
                               ORDER BY code, profession, mode, person""").df()
        s = con.execute("""
            SELECT count(*) AS kept_rows,
                   count(DISTINCT pp) AS professionals,
                   count(*) FILTER (WHERE com IS NULL AND code IS NOT NULL) AS postal_fallback,
                   count(*) FILTER (WHERE com IS NULL AND code IS NOT NULL AND ambiguous) AS postal_ambiguous,
                   count(*) FILTER (WHERE code IS NULL AND com IS NULL) AS no_location,
                   count(*) FILTER (WHERE code IS NULL AND com IS NOT NULL) AS unknown_commune,
                   count(*) FILTER (WHERE mode = 'autre') AS unknown_mode
            FROM located""").df().iloc[0].to_dict()
        unknown = [r[0] for r in con.execute(
            "SELECT DISTINCT com FROM located WHERE code IS NULL AND com IS NOT NULL ORDER BY 1 LIMIT 20").fetchall()]
        dup = con.execute("SELECT count(*) - (SELECT count(*) FROM (SELECT DISTINCT * FROM rows)) FROM rows").fetchall()[0][0]
        by_prof = dict(con.execute("SELECT prof, count(*) FROM rows GROUP BY 1").fetchall())
    finally:
        con.close()
    stats = {k: int(v) for k, v in s.items()}
    stats.update({"rows": int(n_rows), "bom": bom, "duplicate_rows": int(dup), "unknown_commune_codes": unknown,
                  "has_pharmacy_section": has_section, "rows_by_profession_code": {k: int(v) for k, v in by_prof.items()}})
    counts["count"] = counts["count"].astype("int64")
    return RppsResult(counts=counts, year=file_year(path), stats=stats, sites=sites)


# Header of the extraction as published by the ANS (2024-2025), in order; each line ends with '|'.
# Used by the demo generator and the benchmark to write files in the official layout.
RPPS_HEADER = [
    "Type d'identifiant PP", "Identifiant PP", "Identification nationale PP", "Code civilité d'exercice",
    "Libellé civilité d'exercice", "Code civilité", "Libellé civilité", "Nom d'exercice", "Prénom d'exercice",
    "Code profession", "Libellé profession", "Code catégorie professionnelle", "Libellé catégorie professionnelle",
    "Code type savoir-faire", "Libellé type savoir-faire", "Code savoir-faire", "Libellé savoir-faire",
    "Code mode exercice", "Libellé mode exercice", "Numéro SIRET site", "Numéro SIREN site", "Numéro FINESS site",
    "Numéro FINESS établissement juridique", "Identifiant technique de la structure", "Raison sociale site",
    "Enseigne commerciale site", "Complément destinataire (coord. structure)",
    "Complément point géographique (coord. structure)", "Numéro Voie (coord. structure)",
    "Indice répétition voie (coord. structure)", "Code type de voie (coord. structure)",
    "Libellé type de voie (coord. structure)", "Libellé Voie (coord. structure)",
    "Mention distribution (coord. structure)", "Bureau cedex (coord. structure)", "Code postal (coord. structure)",
    "Code commune (coord. structure)", "Libellé commune (coord. structure)", "Code pays (coord. structure)",
    "Libellé pays (coord. structure)", "Téléphone (coord. structure)", "Téléphone 2 (coord. structure)",
    "Télécopie (coord. structure)", "Adresse e-mail (coord. structure)", "Code Département (structure)",
    "Libellé Département (structure)", "Ancien identifiant de la structure", "Autorité d'enregistrement",
    "Code secteur d'activité", "Libellé secteur d'activité", "Code section tableau pharmaciens",
    "Libellé section tableau pharmaciens",
]


def format_rpps_line(values: dict[str, str]) -> str:
    """One line in the official layout (fields in RPPS_HEADER order, trailing '|')."""
    return "|".join(values.get(h, "") for h in RPPS_HEADER) + "|\n"


def rpps_header_line() -> str:
    return "|".join(RPPS_HEADER) + "|\n"
