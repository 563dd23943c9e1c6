"""Where every figure comes from: the build's ``sources`` table and the user's imported tables.

``label(id)`` is the full citation shown beside a figure ("INSEE – Base permanente des équipements
(BPE 2019)"), ``short(id)`` the compact one of a map tooltip or legend ("INSEE, BPE 2019"),
``rows()`` the table of the methods page and of the exports' headers. A source id of an import is
``import:<slug>``; its label names the file and the import date.
"""
from __future__ import annotations

import pandas as pd

from .db import BuildDB
from .userdata import UserData

IMPORT_PREFIX = "import:"


class Provenance:
    def __init__(self, db: BuildDB, userdata: UserData):
        self.sources = db.query("SELECT * FROM sources ORDER BY id").set_index("id", drop=False)
        self.build_info = dict(db.rows("SELECT key, value FROM build_info"))
        self._userdata = userdata

    def _import_meta(self, source_id: str) -> dict | None:
        return next((m for m in self._userdata.imports() if m.get("source_id") == source_id), None)

    def label(self, source_id: str | None) -> str | None:
        if not source_id:
            return None
        if source_id.startswith(IMPORT_PREFIX):
            m = self._import_meta(source_id)
            if m is None:
                return source_id
            return (f"{m.get('source_label')} (import du {str(m.get('imported_at', ''))[:10]}, "
                    f"fichier {m.get('original_name')})")
        if source_id not in self.sources.index:
            return source_id
        s = self.sources.loc[source_id]
        return f"{s.publisher} – {s.title} ({s.vintage})"

    def short(self, source_id: str | None) -> str:
        if not source_id:
            return ""
        if source_id.startswith(IMPORT_PREFIX):
            m = self._import_meta(source_id)
            return str(m.get("source_label")) if m else source_id
        if source_id not in self.sources.index:
            return source_id
        s = self.sources.loc[source_id]
        publisher = str(s.publisher or source_id)
        if " (" in publisher:                       # "Assurance Maladie (data.ameli.fr …)" -> "Assurance Maladie"
            publisher = publisher[:publisher.index(" (")]
        publisher = publisher.split(" - ")[0]
        vintage = str(s.vintage or "")
        if " (" in vintage:                         # "BPE 2019 (équipements au 1er janvier 2019, …)" -> "BPE 2019"
            vintage = vintage[:vintage.index(" (")]
        return f"{publisher}, {vintage}" if vintage and len(vintage) <= 24 else publisher

    def synthetic(self, source_id: str | None) -> bool:
        if not source_id:
            return False
        if source_id.startswith(IMPORT_PREFIX):
            m = self._import_meta(source_id)
            return bool(m and m.get("synthetic"))
        return bool(source_id in self.sources.index and self.sources.at[source_id, "synthetic"])

    @property
    def any_synthetic(self) -> bool:
        """True while any loaded source or any imported table is synthetic (the banner's rule)."""
        s = self.sources
        loaded = s[s["status"] == "loaded"]
        return bool(loaded["synthetic"].any()) or any(m.get("synthetic") for m in self._userdata.imports())

    def synthetic_source_ids(self) -> list[str]:
        s = self.sources
        ids = list(s.loc[s["synthetic"] & (s["status"] == "loaded"), "id"])
        return ids + [m["source_id"] for m in self._userdata.imports() if m.get("synthetic")]

    def rows(self) -> list[dict]:
        """Every source of the build and every import, for the methods page and export headers."""
        out = []
        for r in self.sources.itertuples(index=False):
            out.append({"id": r.id, "publisher": r.publisher, "title": r.title, "vintage": r.vintage,
                        "licence": r.licence, "url": None if pd.isna(r.url) else r.url,
                        "retrieved_at": "" if pd.isna(r.retrieved_at) else str(r.retrieved_at)[:10],
                        "synthetic": bool(r.synthetic), "status": r.status, "resolved_from": r.resolved_from,
                        "message": None if pd.isna(r.message) else r.message})
        for m in self._userdata.imports():
            out.append({"id": m.get("source_id"), "publisher": "Import utilisateur (CPAM)",
                        "title": m.get("source_label") or m.get("original_name"),
                        "vintage": ", ".join(map(str, m.get("years", []))), "licence": "fourni par l'utilisateur",
                        "url": None, "file": m.get("original_name"),
                        "retrieved_at": str(m.get("imported_at", ""))[:10], "synthetic": bool(m.get("synthetic")),
                        "status": "loaded", "resolved_from": "import", "message": None})
        return out
