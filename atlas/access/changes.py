"""Scenario files: several supply changes at once, as a board writes them.

CSV (``;`` or ``,``, UTF-8), one change a line::

    commune;profession;delta;activite
    17300;mg;-2;
    17297;mg;3;5400

or YAML, a list of changes (anchors and aliases refused, every value read as text)::

    - {commune: "17300", profession: mg, delta: -2}
    - {commune: "17297", profession: mg, delta: 3, activite: 5400}

``profession``: mg, inf, mk, sf, dent, pharmacy; ``delta``: professionals more (> 0) or fewer (< 0);
``activite`` (optional): supply units of each (consultations a year for GPs). A bad row is an
:class:`~atlas.errors.InputError` naming the file, line and column; nothing is applied then.
"""
from __future__ import annotations

from pathlib import Path

from ..catalog import ACCESS_SUPPLIES
from ..csvutil import read_csv_records
from ..errors import InputError
from ..numbers import parse_number
from ..userdata import limits
from .model import Change

COLUMNS = {"commune": ("commune", "code_commune", "code"), "profession": ("profession", "offre"),
           "delta": ("delta", "variation"), "activity": ("activite", "activité", "activity")}
MAX_CHANGES = 1000


def _row(name, line: int, get) -> tuple[str, Change]:
    code = (get("commune") or "").strip().upper()
    code = code.zfill(5) if code.isdigit() else code
    if not (len(code) == 5 and code.isalnum()):
        raise InputError(name, "code commune invalide (5 caractères INSEE)", line=line, column="commune",
                         value=limits.shorten(get("commune")))
    prof = (get("profession") or "").strip()
    if prof not in ACCESS_SUPPLIES:
        raise InputError(name, f"profession inconnue (connues : {', '.join(ACCESS_SUPPLIES)})", line=line,
                         column="profession", value=limits.shorten(prof))
    try:
        delta = parse_number(get("delta"))
    except ValueError:
        delta = None
    if delta is None or delta == 0 or abs(delta) > 10_000:
        raise InputError(name, "variation invalide (nombre de professionnels en plus ou en moins, non nul)",
                         line=line, column="delta", value=limits.shorten(get("delta")))
    activity = None
    raw = get("activity")
    if raw not in (None, ""):
        try:
            activity = parse_number(raw)
        except ValueError:
            activity = None
        if activity is None or activity <= 0:
            raise InputError(name, "activité invalide (nombre positif)", line=line, column="activite",
                             value=limits.shorten(raw))
    return prof, Change(code, float(delta), activity)


def _from_csv(path: Path) -> list[tuple[str, Change]]:
    records = read_csv_records(path, [])
    if not records:
        raise InputError(path.name, "aucune ligne de changement")
    header = {k.strip().lower(): k for k in records[0][1]}
    cols = {}
    for key, aliases in COLUMNS.items():
        found = next((header[a] for a in aliases if a in header), None)
        if found is None and key != "activity":
            raise InputError(path.name, f"colonne « {aliases[0]} » absente (en-tête lu : {', '.join(header)})", line=1)
        cols[key] = found
    return [_row(path.name, line, lambda k, r=r: r.get(cols[k]) if cols[k] else None) for line, r in records]


def _from_yaml(path: Path) -> list[tuple[str, Change]]:
    import yaml

    from ..userdata.territories import compose_strict_yaml
    root = compose_strict_yaml(path.name, path.read_text(encoding="utf-8"))
    if not isinstance(root, yaml.SequenceNode):
        raise InputError(path.name, "attendu une liste de changements (commune, profession, delta)")
    out = []
    for item in root.value:
        line = item.start_mark.line + 1
        if not isinstance(item, yaml.MappingNode):
            raise InputError(path.name, "chaque changement est un objet (commune, profession, delta)", line=line)
        fields = {k.value.strip().lower(): v.value for k, v in item.value
                  if isinstance(k, yaml.ScalarNode) and isinstance(v, yaml.ScalarNode)}

        def get(key, fields=fields):
            return next((fields[a] for a in COLUMNS[key] if a in fields), None)
        out.append(_row(path.name, line, get))
    return out


def read_changes(path) -> list[tuple[str, Change]]:
    """``(profession, Change)`` of every line of a scenario file (CSV or YAML)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path.name, "fichier introuvable")
    if path.stat().st_size > limits.MAX_TERRITORY_FILE_BYTES:
        raise InputError(path.name, f"fichier trop gros (limite {limits.size_text(limits.MAX_TERRITORY_FILE_BYTES)})")
    changes = _from_yaml(path) if path.suffix.lower() in (".yaml", ".yml") else _from_csv(path)
    if not changes:
        raise InputError(path.name, "aucun changement")
    if len(changes) > MAX_CHANGES:
        raise InputError(path.name, f"plus de {MAX_CHANGES} changements", line=MAX_CHANGES + 2)
    return changes
