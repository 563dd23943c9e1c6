"""Settings from environment variables, with defaults for local use. No debug in production."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    data_dir: Path          # ATLAS_DATA_DIR: the ETL output (geodata/)
    host: str               # ATLAS_HOST
    port: int               # PORT (Procfile hosts) or ATLAS_PORT
    debug: bool             # ATLAS_DEBUG=1 only for development
    max_upload_bytes: int   # ATLAS_MAX_UPLOAD_MB: upload limit for imported tables and territories
    write_token: str | None = None   # ATLAS_WRITE_TOKEN: writes need it (dashboard/security.py); unset: open

    @classmethod
    def from_env(cls) -> "Settings":
        from atlas import paths
        return cls(
            data_dir=Path(os.environ.get("ATLAS_DATA_DIR") or paths.data_dir()),
            host=os.environ.get("ATLAS_HOST", "127.0.0.1"),
            port=int(os.environ.get("PORT") or os.environ.get("ATLAS_PORT") or 8050),
            debug=os.environ.get("ATLAS_DEBUG") == "1",
            max_upload_bytes=int(float(os.environ.get("ATLAS_MAX_UPLOAD_MB", "5")) * 1024 * 1024),
            write_token=os.environ.get("ATLAS_WRITE_TOKEN") or None,
        )
