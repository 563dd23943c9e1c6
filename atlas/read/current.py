"""This process's reader of the current build: opened on first use, replaced when a new build is
swapped in, the old one closed at once (its DuckDB file released).

A gunicorn worker lives through many builds: each request calls :func:`current`, which compares
the build ``current`` points at with the one it holds (one ``readlink``) and, when it changed, opens
the new build and closes the old reader, so that no worker keeps deleted database files open.
A request that still holds the old reader gets :class:`atlas.errors.BuildChanged` on its next query.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

from .. import paths
from .reader import Atlas

_lock = threading.Lock()
_readers: dict[Path, Atlas] = {}
_configured: Path | None = None
_warm = False


def configure(data_dir: Path | None, *, warm: bool = False) -> None:
    """Set the data directory :func:`current` reads (the dashboard's settings); None: ``ATLAS_DATA_DIR``.
    ``warm``: each build opened is read ahead in a background thread (:meth:`Atlas.warm`) — for a
    server, whose workers answer many requests; not for one command."""
    global _configured, _warm
    _configured = Path(data_dir) if data_dir else None
    _warm = warm


def _target(data_dir: Path) -> Path:
    link = paths.current_build(data_dir)
    try:
        return Path(os.path.realpath(link))
    except OSError:
        return link


def current(data_dir: Path | None = None) -> Atlas:
    data_dir = Path(data_dir or _configured or paths.data_dir()).resolve()
    target = _target(data_dir)
    with _lock:
        reader = _readers.get(data_dir)
        if reader is not None and reader.build_dir == target and not reader.closed:
            return reader
        fresh = Atlas(data_dir, build_dir=target)
        _readers[data_dir] = fresh
        if reader is not None:
            reader.close()
        if _warm:
            threading.Thread(target=fresh.warm, name="atlas-warm", daemon=True).start()
        return fresh


def close_all() -> None:
    with _lock:
        for r in _readers.values():
            r.close()
        _readers.clear()
