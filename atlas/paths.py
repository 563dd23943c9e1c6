"""Where things are: the data directory, the current build, the files of a build, the user data.

One small module that both sides import: the ETL writes these paths, the read model reads them.
Nothing here imports the ETL, so the dashboard can know where the build is without loading the
downloader or the build steps.

Layout of the data directory (``ATLAS_DATA_DIR``, default ``geodata/`` beside the code)::

    current -> builds/<build id>        symlink, replaced atomically by each successful build
    builds/<build id>/atlas.duckdb      DuckDB (schema: etl/schema.py)
    builds/<build id>/communes_*.parquet, locations.parquet, geo/ …
    builds/.staging-<build id>/         a build in progress (owned by the process that writes it)
    .build.lock                         held by the build that is running

User data (``ATLAS_USER_DIR``, default ``~/.local/share/cpts-atlas``)::

    territories/<id>.yaml               saved territories
    imports/<slug>.parquet              imported CPAM tables
"""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

DATABASE_FILE = "atlas.duckdb"
COMMUNES_WEB_FILE = "communes_web.parquet"
COMMUNES_FULL_FILE = "communes_full.parquet"
LOCATIONS_FILE = "locations.parquet"
TRAVEL_TIMES_FILE = "travel_times.parquet"
GEO_DIR = "geo"                     # web geometry (TopoJSON, precompressed), see etl/steps/web_geometry.py
CURRENT_LINK = "current"
BUILDS_DIR = "builds"
STAGING_PREFIX = ".staging-"
LOCK_FILE = ".build.lock"


def data_dir() -> Path:
    """``ATLAS_DATA_DIR``, else ``geodata/`` beside the code."""
    return Path(os.environ.get("ATLAS_DATA_DIR") or ROOT / "geodata")


def current_build(data: Path | None = None) -> Path:
    """The ``current`` link of a data directory (not resolved: resolve it once to pin a build)."""
    return Path(data or data_dir()) / CURRENT_LINK


def builds_dir(data: Path | None = None) -> Path:
    return Path(data or data_dir()) / BUILDS_DIR


def user_dir() -> Path:
    """``ATLAS_USER_DIR``, else ``$XDG_DATA_HOME/cpts-atlas`` (``~/.local/share/cpts-atlas``)."""
    if os.environ.get("ATLAS_USER_DIR"):
        return Path(os.environ["ATLAS_USER_DIR"])
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "cpts-atlas"


def territories_dir() -> Path:
    return user_dir() / "territories"


def imports_dir() -> Path:
    return user_dir() / "imports"


def cache_dir() -> Path:
    """Downloads and generated demo files: ``ATLAS_CACHE``, else ``$XDG_CACHE_HOME/cpts-atlas``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(os.environ.get("ATLAS_CACHE") or Path(base) / "cpts-atlas")
