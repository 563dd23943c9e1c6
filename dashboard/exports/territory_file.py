"""Territory files uploaded in the editor: a list of commune codes (CSV/TXT: one code a line or a column
``code``) or a territory file (YAML, as exported by the editor). Validated with
:func:`etl.user_territories.validate_codes`: every unknown or duplicated code is reported with its line."""
from __future__ import annotations

from pathlib import PurePath

import yaml

from atlas.errors import InputError
from atlas.userdata.territories import parse_code_list, validate_codes


def parse_uploaded_territory(filename: str, data: bytes, valid_codes: set[str]) -> tuple[list[str], str | None]:
    """Codes (validated) and optional name from an uploaded list (CSV/TXT) or territory file (YAML).
    Raises InputError listing every unknown/duplicated code with its line."""
    name = PurePath(filename or "liste.csv").name
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(name, "encodage non UTF-8 : enregistrez le fichier en UTF-8") from exc
    if name.lower().endswith((".yaml", ".yml")):
        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise InputError(name, f"YAML invalide ({getattr(exc, 'problem', exc)})") from exc
        if not isinstance(doc, dict) or not isinstance(doc.get("communes"), list):
            raise InputError(name, "attendu un objet YAML avec une liste « communes »")
        # line numbers of the list items in the YAML text
        lines = text.splitlines()
        coded, start = [], 0
        for c in doc["communes"]:
            c = str(c).strip()
            line = next((i for i in range(start, len(lines)) if c in lines[i]), None)
            if line is not None:
                start = line + 1
            coded.append(((line + 1) if line is not None else 0, c))
        codes = validate_codes(name, coded, valid_codes)
        return codes, (str(doc.get("name")) if doc.get("name") else None)
    coded = parse_code_list(PurePath(name), text=text)
    return validate_codes(name, coded, valid_codes), None
