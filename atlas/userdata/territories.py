"""User-defined territories: files in the user data directory, never in the source tree.

Format (either):
  * YAML: ``{id: mon-territoire, name: "Mon territoire", communes: ["69001", "69002"], note: "…"}``
  * CSV: one commune code per line, or a column named ``code``; the file name is the id.

One reader for every territory file, whether it sits in the user folder
(:func:`read_user_territory`) or comes from the editor's upload (:func:`parse_uploaded_territory`):
:func:`parse_territory_bytes`. It is bounded (:mod:`atlas.userdata.limits`: file size, number of
communes, name and note lengths, YAML nesting), and its YAML is read with *BaseLoader semantics*:
every scalar stays a string (an unquoted ``01001`` is the code "01001", never the octal number 513),
no object is ever constructed, and anchors/aliases (``&a`` / ``*a``) are refused outright, so an
alias bomb of a few hundred bytes cannot expand into millions of items. Names and notes are
checked server-side: length capped, control characters (C0/C1, NUL) refused.

Files are written atomically (temporary file + rename) under a lock, so two browser tabs or
two gunicorn workers saving at once never leave a half-written file.
"""
from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePath

import yaml
from filelock import FileLock

from .. import fmt
from ..csvutil import decode_utf8
from ..errors import InputError
from ..paths import territories_dir
from . import limits

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
CODE_PATTERN = re.compile(r"^[0-9][0-9AB][0-9]{3}$")
TERRITORY_SUFFIXES = (".yaml", ".yml", ".csv", ".txt")


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


def _too_many_communes(path, line: int | None) -> InputError:
    return InputError(path, f"plus de {fmt.integer(limits.MAX_TERRITORY_COMMUNES)} communes : un territoire "
                            "compte au plus les communes de France", line=line)


def parse_code_list(path: Path, text: str | None = None) -> list[tuple[int, str]]:
    """Read a list of commune codes (one a line, or a CSV column ``code``) with line numbers.
    Stops at the line where the list passes ``limits.MAX_TERRITORY_COMMUNES`` codes."""
    if text is None:
        text = decode_utf8(_read_bounded(Path(path)), path)
    lines = text.splitlines()
    if not any(ln.strip() for ln in lines):
        raise InputError(path, "fichier vide")
    header = lines[0]
    delim = max((",", ";", "\t"), key=header.count)
    cols = [c.strip().strip('"').lower() for c in header.split(delim)] if header.count(delim) else [header.strip().lower()]
    out = []
    if "code" in cols or "code_insee" in cols:
        idx = cols.index("code") if "code" in cols else cols.index("code_insee")
        numbered = enumerate(lines[1:], start=2)
    else:
        idx, numbered = 0, enumerate(lines, start=1)
    for i, ln in numbered:
        if not ln.strip():
            continue
        if len(out) >= limits.MAX_TERRITORY_COMMUNES:
            raise _too_many_communes(path, i)
        fields = ln.split(delim)
        if idx >= len(fields):
            raise InputError(path, "colonne code absente sur cette ligne", line=i)
        out.append((i, fields[idx].strip().strip('"')))
    return out


def validate_codes(path, coded: list[tuple[int, str]], valid_codes: set[str]) -> list[str]:
    """Reject unknown and duplicated codes, listing each with its line (the first
    ``limits.MAX_PROBLEMS``, then how many more); return the codes."""
    if len(coded) > limits.MAX_TERRITORY_COMMUNES:
        raise _too_many_communes(path, coded[limits.MAX_TERRITORY_COMMUNES][0])
    problems, seen = limits.ProblemCounter(), {}
    for line, code in coded:
        code = str(code)
        norm = code.zfill(5) if code.isdigit() else code.upper()
        if not CODE_PATTERN.match(norm) or norm not in valid_codes:
            problems.add(f"ligne {line} : code commune inconnu « {limits.shorten(code)} »")
        elif norm in seen:
            problems.add(f"ligne {line} : code {norm} en double (déjà ligne {seen[norm]})")
        else:
            seen[norm] = line
    if len(problems):
        listed = problems.items + ([problems.overflow_text()] if problems.overflow else [])
        raise InputError(limits.shorten(path, 200),
                         "territoire refusé, rien n'a été enregistré :\n  " + "\n  ".join(listed))
    if not seen:
        raise InputError(path, "aucune commune")
    return list(seen)


def check_name(path, name: str, *, what: str = "nom du territoire", max_chars: int | None = None,
               multiline: bool = False) -> str:
    """``name`` if it fits (length, no control character), else an :class:`InputError` saying why."""
    max_chars = limits.MAX_TERRITORY_NAME_CHARS if max_chars is None else max_chars
    why = limits.label_problem(name, max_chars, multiline=multiline)
    if why:
        raise InputError(path, f"{what} refusé : {why}", value=limits.shorten(name))
    return name


# -- YAML: one strict reader -----------------------------------------------------------------------
# libyaml's C parser when PyYAML has it (10x faster on a territory of all France), else pure Python:
# the same events and nodes either way. BaseLoader: no tag is resolved, no object constructed.
_YAML_LOADER = getattr(yaml, "CBaseLoader", yaml.BaseLoader)


def _yaml_error(name, problem: str, mark) -> InputError:
    return InputError(name, f"YAML invalide ({limits.shorten(problem, 200)})",
                      line=mark.line + 1 if mark else None, column=mark.column + 1 if mark else None)


def compose_strict_yaml(name, text: str) -> yaml.Node | None:
    """The node tree of ``text`` (scalars as strings, line marks kept), after a first pass over the
    parser's events has refused anchors/aliases and nesting deeper than ``limits.MAX_YAML_DEPTH``:
    nothing is composed until the whole text is known to be alias-free."""
    try:
        depth = 0
        for event in yaml.parse(text, Loader=_YAML_LOADER):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
                raise _yaml_error(name, "ancres et alias YAML (« & » et « * ») refusés", event.start_mark)
            if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                depth += 1
                if depth > limits.MAX_YAML_DEPTH:
                    raise _yaml_error(name, f"imbrication trop profonde (limite {limits.MAX_YAML_DEPTH} niveaux)",
                                      event.start_mark)
            elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                depth -= 1
        return yaml.compose(text, Loader=_YAML_LOADER)
    except yaml.YAMLError as exc:
        raise _yaml_error(name, str(getattr(exc, "problem", None) or exc),
                          getattr(exc, "problem_mark", None)) from None


def _scalar(name, node: yaml.Node, key: str) -> str:
    if not isinstance(node, yaml.ScalarNode):
        raise InputError(name, f"« {key} » doit être un texte", line=node.start_mark.line + 1, column=key)
    return node.value


def _parse_yaml(name, text: str) -> tuple[dict, list[tuple[int, str]]]:
    """Fields (``id``, ``name``, ``note``: strings) and ``(line, code)`` pairs of a territory YAML."""
    root = compose_strict_yaml(name, text)
    if not isinstance(root, yaml.MappingNode):
        raise InputError(name, "attendu un objet YAML avec une liste « communes »")
    fields, coded = {}, None
    for key_node, value in root.value:
        key = _scalar(name, key_node, "clé")
        if key == "communes":
            if not isinstance(value, yaml.SequenceNode):
                raise InputError(name, "« communes » doit être une liste de codes", line=value.start_mark.line + 1)
            if len(value.value) > limits.MAX_TERRITORY_COMMUNES:
                raise _too_many_communes(name, value.value[limits.MAX_TERRITORY_COMMUNES].start_mark.line + 1)
            coded = [(item.start_mark.line + 1, _scalar(name, item, "communes").strip()) for item in value.value]
        elif key in ("id", "name", "note"):
            fields[key] = _scalar(name, value, key).strip()
        # other keys (exported extras) are ignored; their values were composed without aliases
    if coded is None:
        raise InputError(name, "attendu un objet YAML avec une liste « communes »")
    return fields, coded


def _read_bounded(path: Path) -> bytes:
    size = path.stat().st_size
    if size > limits.MAX_TERRITORY_FILE_BYTES:
        raise InputError(path, f"fichier de {limits.size_text(size)} : la limite d'un fichier de territoire est de "
                               f"{limits.size_text(limits.MAX_TERRITORY_FILE_BYTES)}")
    return path.read_bytes()


def parse_territory_bytes(name: str, data: bytes, valid_codes: set[str]) -> tuple[UserTerritory, bool]:
    """The one territory reader (user folder and upload). ``name`` is the file name (its suffix says
    YAML or a code list; its stem is the default id and name). Returns the territory and whether
    the file gave a name itself. Raises :class:`InputError` (file, line, what is wrong)."""
    label = limits.shorten(PurePath(name or "territoire.csv").name, 120)
    if len(data) > limits.MAX_TERRITORY_FILE_BYTES:
        raise InputError(label, f"fichier de {limits.size_text(len(data))} : la limite d'un fichier de territoire "
                                f"est de {limits.size_text(limits.MAX_TERRITORY_FILE_BYTES)}")
    text = decode_utf8(data, label)
    stem = PurePath(label).stem
    if label.lower().endswith((".yaml", ".yml")):
        fields, coded = _parse_yaml(label, text)
        given_name = check_name(label, fields.get("name", ""))
        note = check_name(label, fields.get("note", ""), what="note", max_chars=limits.MAX_NOTE_CHARS,
                          multiline=True)
        codes = validate_codes(label, coded, valid_codes)
        tid = fields.get("id") or slugify(given_name or stem)
        if not ID_PATTERN.match(tid):
            raise InputError(label, "identifiant invalide (minuscules, chiffres et tirets)", column="id",
                             value=limits.shorten(tid))
        return UserTerritory(tid, given_name or tid, codes, note, label), bool(given_name)
    coded = parse_code_list(PurePath(label), text=text)
    codes = validate_codes(label, coded, valid_codes)
    return UserTerritory(slugify(stem), check_name(label, stem), codes, "", label), False


def parse_uploaded_territory(filename: str, data: bytes, valid_codes: set[str]) -> tuple[list[str], str | None]:
    """Codes (validated) and the name the file gives (YAML ``name``), or None, from a file uploaded in
    the editor: a list of codes (CSV/TXT) or a territory file (YAML). Raises :class:`InputError`
    listing unknown/duplicated codes with their lines."""
    territory, named = parse_territory_bytes(filename or "liste.csv", data, valid_codes)
    return territory.communes, (territory.name if named else None)


def read_user_territory(path: Path, valid_codes: set[str]) -> UserTerritory:
    """A territory file of the user folder (size checked before it is read)."""
    path = Path(path)
    territory, _ = parse_territory_bytes(path.name, _read_bounded(path), valid_codes)
    return territory


def load_user_territories(valid_codes: set[str], directory: Path | None = None) -> tuple[list[UserTerritory], list[str]]:
    """All readable user territories, plus one message per rejected file (a bad file never hides the others)."""
    directory = directory or territories_dir()
    found, errors = [], []
    if not directory.is_dir():
        return found, errors
    for path in sorted(directory.iterdir()):
        if path.suffix.lower() not in TERRITORY_SUFFIXES or path.name.startswith("."):
            continue
        try:
            found.append(read_user_territory(path, valid_codes))
        except InputError as exc:
            errors.append(str(exc))
        except OSError as exc:   # unreadable (permissions, vanished): reported, never hides the others
            errors.append(f"{limits.shorten(path.name, 120)} : fichier illisible ({exc.strerror or exc})")
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


class TerritoryExists(InputError):
    """A saved territory of that id exists: the caller asks before replacing it (``overwrite=True``)."""


def territory_files(tid: str, directory: Path | None = None) -> list[Path]:
    """The files of a saved territory (``<id>.yaml``, or a CSV/TXT list named after it)."""
    directory = directory or territories_dir()
    if not ID_PATTERN.match(tid or "") or not directory.is_dir():
        return []
    return [p for p in directory.iterdir()
            if p.suffix.lower() in (".yaml", ".yml", ".csv", ".txt") and not p.name.startswith(".")
            and slugify(p.stem) == tid]


def save_user_territory(territory: UserTerritory, valid_codes: set[str], directory: Path | None = None,
                        reserved_ids: set[str] = frozenset(), *, overwrite: bool = True) -> Path:
    """Validate then write ``<id>.yaml`` atomically under a lock. Returns the path written.
    ``overwrite=False``: raise :class:`TerritoryExists` when a territory of that id is saved already."""
    directory = directory or territories_dir()
    if not overwrite and territory_files(territory.id, directory):
        raise TerritoryExists(territory.id, "un territoire enregistré porte déjà ce nom")
    if not ID_PATTERN.match(territory.id):
        raise InputError(limits.shorten(territory.id), "identifiant invalide (minuscules, chiffres et tirets)")
    if territory.id in reserved_ids:
        raise InputError(territory.id, "identifiant réservé à une CPTS du projet ; choisissez un autre nom")
    check_name(territory.id, territory.name)
    check_name(territory.id, territory.note or "", what="note", max_chars=limits.MAX_NOTE_CHARS, multiline=True)
    if len(territory.communes) > limits.MAX_TERRITORY_COMMUNES:
        raise _too_many_communes(territory.id, None)
    codes = validate_codes(territory.id, list(enumerate(territory.communes, start=1)), valid_codes)
    text = yaml.safe_dump({"id": territory.id, "name": territory.name, "note": territory.note,
                           "communes": codes}, allow_unicode=True, sort_keys=False)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{territory.id}.yaml"
    with FileLock(str(directory / ".lock"), timeout=10):
        atomic_write_text(path, text)
    return path


def delete_user_territory(tid: str, directory: Path | None = None) -> bool:
    """Remove a saved territory (its files), under the lock. False when there was none."""
    directory = directory or territories_dir()
    files = territory_files(tid, directory)
    if not files:
        return False
    with FileLock(str(directory / ".lock"), timeout=10):
        for p in files:
            p.unlink(missing_ok=True)
    return True


def rename_user_territory(old_id: str, new_name: str, valid_codes: set[str], directory: Path | None = None,
                          reserved_ids: set[str] = frozenset()) -> UserTerritory:
    """Give a saved territory a new name (and the id made from it): the new file is written first,
    the old one removed after, so a failure leaves the old one in place."""
    directory = directory or territories_dir()
    files = territory_files(old_id, directory)
    if not files:
        raise InputError(old_id, "aucun territoire enregistré sous cet identifiant")
    old = read_user_territory(files[0], valid_codes)
    new = UserTerritory(slugify(new_name), " ".join(new_name.split()), old.communes, old.note)
    if new.id != old_id and territory_files(new.id, directory):
        raise TerritoryExists(new.id, "un territoire enregistré porte déjà ce nom")
    save_user_territory(new, valid_codes, directory, reserved_ids)
    if new.id != old_id:
        delete_user_territory(old_id, directory)
    return new
