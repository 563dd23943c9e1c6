"""Official département / région / France references (Assurance Maladie, Santé publique France), CSV.

The publishers expose their tables through Opendatasoft portals (data.ameli.fr, Odissé); the CSV
export is ``;``-separated, UTF-8, one row per geographic unit and year. Columns are found **by name**,
with the aliases below (case, accents and spaces ignored), never by position:

  * level: ``niveau`` / ``niveau_geo`` / ``type_territoire`` with values département / région / France
    (``dep``/``reg``/``fra`` accepted); code: ``code`` / ``code_geo`` / ``code_territoire``
    (``FR`` or empty for France); year: ``annee`` / ``an`` / ``year``;
  * one value column per indicator, optionally numerator and denominator columns.

(Santé publique France's vaccination coverage comes as Odissé JSON exports: etl/parsers/spf_vaccination.py.)

When a column cannot be found, the parse stops with the header it read (an export whose columns
were renamed must be mapped here, not guessed). Values accept a decimal comma.
"""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pandas as pd

from atlas.errors import InputError
from atlas.csvutil import read_csv_records

LEVEL_ALIASES = ("niveau", "niveau_geo", "type_territoire", "geo_level", "niveau_geographique")
CODE_ALIASES = ("code", "code_geo", "code_territoire", "geo_code", "code_zone")
YEAR_ALIASES = ("annee", "an", "year", "millesime")
LEVELS = {"departement": "departement", "dep": "departement", "region": "region", "reg": "region",
          "france": "france", "fra": "france", "national": "france", "nat": "france", "fr": "france"}

# Per source: indicator id -> (value aliases, numerator aliases, denominator aliases)
SPECS: dict[str, dict] = {
    "ameli_sans_mt": {"indicators": {
        "sans_mt_17": (("part_patients_sans_mt", "part_sans_mt", "taux_sans_mt"),
                       ("patients_sans_mt", "nb_patients_sans_mt"), ("patients_17_plus", "nb_patients_17_plus", "patients"))}},
    "spf_depistage_cancers": {"indicators": {
        "depistage_sein": (("taux_participation_sein", "participation_sein"), ("depistees_sein",), ("population_cible_sein",)),
        "depistage_colorectal": (("taux_participation_colorectal", "participation_colorectal"),
                                 ("depistes_colorectal",), ("population_cible_colorectal",)),
        "depistage_col_uterus": (("taux_couverture_col_uterus", "couverture_col_uterus"),
                                 ("depistees_col_uterus",), ("population_cible_col_uterus",))}},
}


def norm(text: str) -> str:
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode().lower().strip()
    return re.sub(r"[\s_]+", "_", text)


def _number(path, line, column, raw: str) -> float | None:
    raw = (raw or "").strip().replace("\u202f", "").replace(" ", "")
    if raw == "" or raw.upper() in ("NA", "ND", "NC", "S"):   # 'S' / 'NC': secret or not communicated
        return None
    try:
        v = float(raw.replace(",", "."))
    except ValueError:
        raise InputError(path, "valeur non numérique", line=line, column=column, value=raw) from None
    if v < 0:
        raise InputError(path, "valeur négative", line=line, column=column, value=raw)
    return v


def read_official_references(path: Path, source_id: str) -> pd.DataFrame:
    """Rows of ``reference_values`` (without source_id/synthetic): indicator_id, level, code, year,
    value, numerator, denominator."""
    spec = SPECS[source_id]
    records = read_csv_records(path, [])
    if not records:
        raise InputError(path, "aucune ligne de données")
    header = list(records[0][1].keys())
    by_norm = {norm(h): h for h in header}

    def find(aliases, what, required=True):
        for a in aliases:
            if norm(a) in by_norm:
                return by_norm[norm(a)]
        if required:
            raise InputError(path, f"colonne {what} introuvable (attendu : {' ou '.join(aliases)} ; "
                                   f"en-tête lu : {', '.join(header)})", line=1)
        return None

    c_level, c_code, c_year = find(LEVEL_ALIASES, "niveau"), find(CODE_ALIASES, "code"), find(YEAR_ALIASES, "année")
    ind_cols = {}
    for iid, (val, num, den) in spec["indicators"].items():
        ind_cols[iid] = (find(val, f"valeur de {iid}"), find(num, "numérateur", False) if num else None,
                         find(den, "dénominateur", False) if den else None)
    rows, seen = [], {}
    for line, r in records:
        level = LEVELS.get(norm(r[c_level]).replace("é", "e"))
        if level is None:
            raise InputError(path, "niveau géographique inconnu (département, région ou France)", line=line,
                             column=c_level, value=r[c_level])
        code = r[c_code].strip()
        if level == "france":
            code = "FR"
        elif level == "departement":
            code = code.zfill(2) if code.isdigit() else code.upper()
        elif level == "region":
            code = code.zfill(2)
        if not code:
            raise InputError(path, "code géographique vide", line=line, column=c_code)
        try:
            year = int(float(r[c_year].strip()[:4]))
        except ValueError:
            raise InputError(path, "année invalide", line=line, column=c_year, value=r[c_year]) from None
        for iid, (cv, cn, cd) in ind_cols.items():
            value = _number(path, line, cv, r[cv])
            num = _number(path, line, cn, r[cn]) if cn else None
            den = _number(path, line, cd, r[cd]) if cd else None
            if num is not None and den is not None and num > den:
                raise InputError(path, "numérateur supérieur au dénominateur", line=line, column=cn, value=r[cn])
            key = (iid, level, code, year)
            if key in seen:
                raise InputError(path, f"ligne en double pour {iid} {level} {code} {year} (déjà ligne {seen[key]})",
                                 line=line)
            seen[key] = line
            if value is None and num is None:
                continue
            rows.append({"indicator_id": iid, "level": level, "code": code, "year": year,
                         "value": value,
                         "numerator": num, "denominator": den})
    return pd.DataFrame(rows, columns=["indicator_id", "level", "code", "year", "value", "numerator", "denominator"])
