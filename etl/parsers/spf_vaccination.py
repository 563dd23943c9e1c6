"""Santé publique France (Odissé): vaccination coverage of adolescents and adults, JSON exports.

Three Odissé datasets, same fields, one geographic level each; the level is read from the records
themselves (a ``dep`` field: département; else a ``reg`` field: région; else France):

* ``couvertures-vaccinales-des-adolescent-et-adultes-departement`` (``dep``, ``libgeo``, ``reg``…);
* ``couvertures-vaccinales-des-adolescents-et-adultes-depuis-2011-region`` (``reg``, ``reglib``);
* ``couvertures-vaccinales-des-adolescents-et-adultes-depuis-2011-france`` (no code).

The export is a JSON list of objects, one per (campaign year ``an_mesure``, area). Codes are written
as the portal stores them, **not always zero-padded** (``"1"`` and ``"01"`` both occur for the Ain,
``"2"`` for the région Martinique): département codes of one or two digits are padded to two
(``2A``, ``2B``, ``971``… kept), région codes to two. Values are numbers, numeric strings
(``"49.3"``, ``"49,3"``) or null (not measured: no reference row); anything else, or a share outside
0-100, stops the parse with the file, the record number and the field.

Only coverage shares are published (no numerator / denominator): the rows carry ``value`` alone.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from atlas.errors import InputError
from atlas.numbers import parse_number

# indicator id -> Odissé field (% of the target population; year = campaign start).
FIELDS = {"vaccin_grippe_65": "grip_65plus"}
YEAR_FIELD = "an_mesure"
COLUMNS = ["indicator_id", "level", "code", "year", "value", "numerator", "denominator"]


def _level(record: dict) -> str:
    if "dep" in record:
        return "departement"
    if "reg" in record:
        return "region"
    return "france"


def _code(level: str, raw, where) -> str:
    """Normalised area code: département '01'…'95', '2A', '2B', '971'…; région '01'…'94'; 'FR'."""
    if level == "france":
        return "FR"
    text = str(raw if raw is not None else "").strip().upper()
    field_name = "dep" if level == "departement" else "reg"
    if level == "departement" and re.fullmatch(r"[0-9]{1,2}|2[AB]|97[0-9]", text):
        return text.zfill(2)
    if level == "region" and re.fullmatch(r"[0-9]{1,2}", text):
        return text.zfill(2)
    raise where(f"code {'département' if level == 'departement' else 'région'} invalide", field_name, raw)


def read_spf_vaccination(path: Path) -> pd.DataFrame:
    """Rows of ``reference_values`` (without source_id / synthetic): indicator_id, level, code, year,
    value, numerator, denominator (the last two empty)."""
    path = Path(path)
    try:
        records = json.loads(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise InputError(path.name, f"encodage non UTF-8 (octet {exc.start})") from exc
    except json.JSONDecodeError as exc:
        raise InputError(path.name, f"JSON invalide : {exc.msg}", exc.lineno, exc.colno) from exc
    if not isinstance(records, list):
        raise InputError(path.name, "liste d'enregistrements attendue (export JSON Odissé)")
    rows, seen = [], {}
    for number, record in enumerate(records, start=1):
        def where(problem, field_name=None, value=None, _n=number):
            return InputError(path.name, f"enregistrement n° {_n} : {problem}", column=field_name, value=value)

        if not isinstance(record, dict):
            raise where("objet attendu", value=str(record)[:80])
        if YEAR_FIELD not in record:
            raise where(f"champ « {YEAR_FIELD} » absent", YEAR_FIELD)
        raw_year = record[YEAR_FIELD]
        if not re.fullmatch(r"[0-9]{4}", str(raw_year).strip()):
            raise where("année invalide", YEAR_FIELD, raw_year)
        year = int(str(raw_year).strip())
        level = _level(record)
        code = _code(level, record.get("dep" if level == "departement" else "reg"), where)
        key = (level, code, year)
        if key in seen:
            raise where(f"{level} {code} {year} en double (déjà l'enregistrement n° {seen[key]})")
        seen[key] = number
        for indicator_id, field_name in FIELDS.items():
            if field_name not in record:
                raise where(f"champ « {field_name} » absent", field_name)
            raw = record[field_name]
            try:
                value = parse_number(raw)
            except ValueError:
                raise where("valeur non numérique", field_name, raw) from None
            if value is None:
                continue                      # not measured that year
            if not 0 <= value <= 100:
                raise where("part hors de 0 à 100 %", field_name, raw)
            rows.append((indicator_id, level, code, year, value, None, None))
    return pd.DataFrame(rows, columns=COLUMNS)
