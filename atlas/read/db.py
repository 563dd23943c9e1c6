"""One read-only DuckDB connection to one build, shared by the threads of a process.

The build directory is resolved once (``current`` is a symlink that a new build replaces): a reader
keeps reading the build it opened until it is closed. DuckDB lets several processes open a file
read-only at once (gunicorn workers); within a process the single connection is guarded by a lock
(queries are milliseconds and most results are cached above this layer). After :meth:`close`,
any query raises :class:`atlas.errors.BuildChanged` (a clear message, never a crash).
"""
from __future__ import annotations

import threading
from pathlib import Path

import duckdb
import pandas as pd

from .. import paths
from ..errors import AtlasError, BuildChanged


class BuildDB:
    def __init__(self, build_dir: Path):
        build_dir = Path(build_dir)
        db = build_dir / paths.DATABASE_FILE
        if not db.is_file():
            raise AtlasError(f"Aucune base construite dans {build_dir.parent} : lancez « python -m etl build » "
                             f"(ou le script scripts/start du README).")
        self.build_dir = build_dir.resolve()
        self.path = self.build_dir / paths.DATABASE_FILE
        self._lock = threading.RLock()
        self._con = duckdb.connect(str(self.path), read_only=True)
        self._tables = {r[0] for r in self._con.execute(
            "SELECT table_name FROM information_schema.tables").fetchall()}

    @property
    def closed(self) -> bool:
        return self._con is None

    def has_table(self, name: str) -> bool:
        return name in self._tables

    def query(self, sql: str, params=None) -> pd.DataFrame:
        with self._lock:
            if self._con is None:
                raise BuildChanged()
            return self._con.execute(sql, params or []).df()

    def rows(self, sql: str, params=None) -> list[tuple]:
        with self._lock:
            if self._con is None:
                raise BuildChanged()
            return self._con.execute(sql, params or []).fetchall()

    def with_connection(self, fn):
        """Run ``fn(connection)`` under the lock (for readers of :mod:`atlas.access.io`, which take one)."""
        with self._lock:
            if self._con is None:
                raise BuildChanged()
            return fn(self._con)

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None
