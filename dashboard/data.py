"""Per-process access to the built data, opened lazily (never at import time).

One :class:`etl.store.Store` per process and build: when the ETL swaps in a new build
(``geodata/current`` points elsewhere), the next request opens the new one.
"""
from __future__ import annotations

import threading
from pathlib import Path

from atlas.paths import current_build as current_build_dir
from etl.store import Store

_lock = threading.Lock()
_stores: dict[Path, Store] = {}
_data_dir: Path | None = None


def configure(data_dir: Path) -> None:
    global _data_dir
    _data_dir = Path(data_dir)


def get_store() -> Store:
    if _data_dir is None:
        raise RuntimeError("dashboard.data.configure(data_dir) n'a pas été appelé (create_app le fait)")
    build = current_build_dir(_data_dir).resolve()
    with _lock:
        store = _stores.get(build)
        if store is None:
            store = Store(_data_dir, build_dir=build)
            _stores.clear()  # older builds: let their connections go
            _stores[build] = store
        return store
