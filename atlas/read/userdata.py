"""What users created beside the build, read with a cheap signature check on every access.

* imported CPAM tables (``<user dir>/imports/*.parquet``, written by :mod:`atlas.userdata.imports`):
  their rows are merged over the build's commune values, imported rows winning for the same
  (indicator, commune, year); the most recent import wins between imports;
* saved territories (``<user dir>/territories/*``, :mod:`atlas.userdata.territories`): parsed once
  per file signature (name, size, mtime), never on every request.

``signature()`` changes whenever a file is added, replaced or removed: it is part of the read
model's ``version``, the key of every cache above this layer.
"""
from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import pandas as pd

from .. import paths
from ..userdata.imports import import_files, list_imports
from ..userdata.territories import load_user_territories

IMPORT_COLUMNS = ["indicator_id", "code", "year", "value", "numerator", "denominator", "source_id", "synthetic"]
TERRITORY_SUFFIXES = (".yaml", ".yml", ".csv", ".txt")


def _dir_signature(directory: Path, suffixes) -> tuple:
    if not directory.is_dir():
        return ()
    sig = []
    try:
        entries = list(directory.iterdir())
    except OSError:
        return ()
    for p in entries:
        if p.name.startswith(".") or p.suffix.lower() not in suffixes:
            continue
        try:
            st = p.stat()
        except OSError:
            continue
        sig.append((p.name, st.st_mtime_ns, st.st_size))
    return tuple(sorted(sig))


class UserData:
    def __init__(self, imports_directory: Path | None = None, territories_directory: Path | None = None):
        self._imports_dir = Path(imports_directory) if imports_directory else None
        self._territories_dir = Path(territories_directory) if territories_directory else None
        self._lock = threading.Lock()
        self._imports = ((), pd.DataFrame(columns=IMPORT_COLUMNS), [], [])   # sig, rows, meta, errors
        self._territories = (None, [], [])                                   # sig, territories, errors

    @property
    def imports_dir(self) -> Path:
        return self._imports_dir or paths.imports_dir()

    @property
    def territories_dir(self) -> Path:
        return self._territories_dir or paths.territories_dir()

    def imports_signature(self) -> tuple:
        return _dir_signature(self.imports_dir, (".parquet",))

    def territories_signature(self) -> tuple:
        return _dir_signature(self.territories_dir, TERRITORY_SUFFIXES)

    def signature(self) -> str:
        raw = repr((self.imports_signature(), self.territories_signature())).encode()
        return hashlib.blake2s(raw, digest_size=6).hexdigest()

    # -- imports ------------------------------------------------------------------------------------
    def _load_imports(self):
        sig = self.imports_signature()
        with self._lock:
            if sig == self._imports[0]:
                return self._imports
        import pyarrow.parquet as pq

        frames, errors = [], []
        # oldest first: for the same key, the most recent import wins
        for name, _mtime, _size in sorted(sig, key=lambda t: (t[1], t[0])):
            try:
                frames.append(pq.read_table(self.imports_dir / name, columns=IMPORT_COLUMNS).to_pandas())
            except Exception as exc:  # noqa: BLE001 - a damaged or vanished file must not break the app
                errors.append(f"{name} : fichier d'import illisible ({exc.__class__.__name__})")
        if frames:
            rows = pd.concat(frames, ignore_index=True).drop_duplicates(["indicator_id", "code", "year"], keep="last")
            rows["year"] = rows["year"].astype("int64")
            rows["synthetic"] = rows["synthetic"].astype(bool)
        else:
            rows = pd.DataFrame(columns=IMPORT_COLUMNS)
        meta = [m for m in list_imports(self.imports_dir) if "error" not in m] if sig else []
        state = (sig, rows.reset_index(drop=True), meta, errors)
        with self._lock:
            self._imports = state
        return state

    def imported_rows(self) -> pd.DataFrame:
        return self._load_imports()[1]

    def imports(self) -> list[dict]:
        """Provenance of the imported tables in use (original_name, imported_at, source_label, sha256,
        synthetic, rows, indicators, years, communes, source_id, slug, file)."""
        return list(self._load_imports()[2])

    def import_errors(self) -> list[str]:
        return list(self._load_imports()[3])

    # -- territories ------------------------------------------------------------------------------------
    def territories(self, valid_codes) -> tuple[list, list[str]]:
        """(user territories, one message per rejected file), parsed once per directory signature."""
        sig = self.territories_signature()
        with self._lock:
            if sig == self._territories[0]:
                return self._territories[1], self._territories[2]
        found, errors = load_user_territories(valid_codes, self.territories_dir) if sig else ([], [])
        with self._lock:
            self._territories = (sig, found, errors)
        return found, errors

    def import_files(self) -> list[Path]:
        return import_files(self.imports_dir)
