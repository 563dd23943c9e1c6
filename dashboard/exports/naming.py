"""File names of exports: chosen by the server from ids, never from free user text."""
from __future__ import annotations

import datetime as dt
import re


def export_filename(territory_id: str, fmt: str, indicator_id: str | None = None) -> str:
    safe = re.sub(r"[^a-z0-9-]+", "-", territory_id.lower()).strip("-") or "territoire"
    parts = ["atlas", safe]
    if indicator_id and fmt in ("csv", "png"):
        parts.append(re.sub(r"[^a-z0-9_]+", "", indicator_id.lower()))
    parts.append(dt.date.today().isoformat())
    return "-".join(parts) + f".{fmt}"
