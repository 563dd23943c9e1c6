"""User-defined territories: files in the user data directory, never in the source tree.

Format (either):
  * YAML: ``{id: mon-territoire, name: "Mon territoire", communes: ["69001", "69002"], note: "…"}``
  * CSV: one commune code per line, or a column named ``code``; the file name is the id.

Files are written atomically (temporary file + rename) under a lock, so two browser tabs or
two gunicorn workers saving at once never leave a half-written file.
"""
from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from filelock import FileLock

from ..csvutil import read_text_utf8
from ..errors import InputError
from ..paths import territories_dir, user_dir

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
CODE_PATTERN = re.compile(r"^[0-9][0-9AB][0-9]{3}$")


@dataclass
class UserTerritory:
    id: str
    name: str
    communes: list[str]
    note: str = ""
    file: str = ""
    kind: str = "user"
    extra: dict = field(default_factory=dict)


def slugify(text: str) -> str:
    import unicodedata
    s = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    s = re.sub(r"[^a-z0-9]+", "-", s).strip("-")
    return s[:63] or "territoire"


def parse_code_list(path: Path, text: str | None = None) -> list[tuple[int, str]]:
    """Read a list of commune codes (one a line, or a CSV column ``code``) with line numbers."""
    text = read_text_utf8(path) if text is None else text
    lines = text.splitlines()
    if not any(ln.strip() for ln in lines):
        raise InputError(path, "fichier vide")
    header = lines[0]
    delim = max((",", ";", "\t"), key=header.count)
    cols = [c.strip().strip('"').lower() for c in header.split(delim)] if header.count(delim) else [header.strip().lower()]
    out = []
    if "code" in cols or "code_insee" in cols:
        idx = cols.index("code") if "code" in cols else cols.index("code_insee")
        for i, ln in enumerate(lines[1:], start=2):
            if ln.strip():
                fields = ln.split(delim)
                if idx >= len(fields):
                    raise InputError(path, "colonne code absente sur cette ligne", line=i)
                out.append((i, fields[idx].strip().strip('"')))
    else:
        for i, ln in enumerate(lines, start=1):
            if ln.strip():
                out.append((i, ln.split(delim)[0].strip().strip('"')))
    return out


def validate_codes(path, coded: list[tuple[int, str]], valid_codes: set[str]) -> list[str]:
    """Reject unknown and duplicated codes, listing each with its line; return the codes."""
    problems, seen = [], {}
    for line, code in coded:
        norm = code.zfill(5) if code.isdigit() else code.upper()
        if not CODE_PATTERN.match(norm) or norm not in valid_codes:
            problems.append(f"ligne {line} : code commune inconnu « {code} »")
        elif norm in seen:
            problems.append(f"ligne {line} : code {norm} en double (déjà ligne {seen[norm]})")
        else:
            seen[norm] = line
    if problems:
        raise InputError(path, "territoire refusé, rien n'a été enregistré :\n  " + "\n  ".join(problems))
    if not seen:
        raise InputError(path, "aucune commune")
    return list(seen)


def read_user_territory(path: Path, valid_codes: set[str]) -> UserTerritory:
    path = Path(path)
    if path.suffix.lower() in (".yaml", ".yml"):
        text = read_text_utf8(path)
        try:
            # BaseLoader keeps every scalar a string: an unquoted 01001 must stay "01001"
            # (the default loaders read it as the octal number 513).
            data = yaml.load(text, Loader=yaml.BaseLoader)  # noqa: S506 - BaseLoader builds no objects
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            raise InputError(path, f"YAML invalide ({getattr(exc, 'problem', exc)})",
                             line=mark.line + 1 if mark else None, column=mark.column + 1 if mark else None) from exc
        if not isinstance(data, dict) or not isinstance(data.get("communes"), list):
            raise InputError(path, "attendu un objet YAML avec une liste « communes »")
        # YAML line numbers are not kept per list item; number the codes by position instead.
        coded = [(i + 1, str(c).strip()) for i, c in enumerate(data["communes"])]
        codes = validate_codes(f"{path} (liste communes, élément n°)", coded, valid_codes)
        tid = str(data.get("id") or slugify(data.get("name") or path.stem))
        if not ID_PATTERN.match(tid):
            raise InputError(path, "identifiant invalide (minuscules, chiffres et tirets)", column="id", value=tid)
        return UserTerritory(tid, str(data.get("name") or tid), codes, str(data.get("note") or ""), path.name)
    coded = parse_code_list(path)
    codes = validate_codes(path, coded, valid_codes)
    tid = slugify(path.stem)
    return UserTerritory(tid, path.stem, codes, "", path.name)


def load_user_territories(valid_codes: set[str], directory: Path | None = None) -> tuple[list[UserTerritory], list[str]]:
    """All readable user territories, plus one message per rejected file (a bad file never hides the others)."""
    directory = directory or territories_dir()
    found, errors = [], []
    if not directory.is_dir():
        return found, errors
    for path in sorted(directory.iterdir()):
        if path.suffix.lower() not in (".yaml", ".yml", ".csv", ".txt") or path.name.startswith("."):
            continue
        try:
            found.append(read_user_territory(path, valid_codes))
        except InputError as exc:
            errors.append(str(exc))
    return found, errors


def atomic_write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_user_territory(territory: UserTerritory, valid_codes: set[str], directory: Path | None = None,
                        reserved_ids: set[str] = frozenset()) -> Path:
    """Validate then write ``<id>.yaml`` atomically under a lock. Returns the path written."""
    directory = directory or territories_dir()
    if not ID_PATTERN.match(territory.id):
        raise InputError(territory.id, "identifiant invalide (minuscules, chiffres et tirets)")
    if territory.id in reserved_ids:
        raise InputError(territory.id, "identifiant réservé à une CPTS du projet ; choisissez un autre nom")
    codes = validate_codes(territory.id, list(enumerate(territory.communes, start=1)), valid_codes)
    text = yaml.safe_dump({"id": territory.id, "name": territory.name, "note": territory.note,
                           "communes": codes}, allow_unicode=True, sort_keys=False)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{territory.id}.yaml"
    with FileLock(str(directory / ".lock"), timeout=10):
        atomic_write_text(path, text)
    return path
