"""Exports shared by the pages (download buttons) and the command line (``python -m dashboard.export``).

One implementation for both: :func:`export_bytes` returns the file content for a territory and a
format (``csv``, ``png``, ``pdf``). Every export names its sources, vintages and units, and carries
the synthetic flag while any demo (synthetic) source is loaded.
"""
from __future__ import annotations

from .csv_export import territory_csv
from .naming import export_filename

FORMATS = ("csv", "png", "pdf")
DEFAULT_MAP_INDICATOR = "apl_mg"


def export_bytes(store, territory_id: str, fmt: str, indicator_id: str | None = None,
                 year: int | None = None, extent: str = "territoire") -> bytes:
    """``extent`` (``territoire`` | ``departement``) frames the PNG map as the explorer does."""
    fmt = fmt.lower()
    if fmt == "csv":
        # UTF-8 with a byte-order mark: Excel (what most CPTS boards open a CSV with) reads accents
        # right only with it; pandas and the csv module (encoding="utf-8-sig") skip it.
        return territory_csv(store, territory_id, indicator_id, year).encode("utf-8-sig")
    if fmt == "png":
        from .png_export import territory_map_png
        return territory_map_png(store, territory_id, indicator_id or DEFAULT_MAP_INDICATOR, year, extent)
    if fmt == "pdf":
        from .pdf_export import territory_pdf
        return territory_pdf(store, territory_id, year=year, map_indicator=indicator_id or DEFAULT_MAP_INDICATOR)
    raise ValueError(f"format inconnu : {fmt} (formats : {', '.join(FORMATS)})")


__all__ = ["FORMATS", "DEFAULT_MAP_INDICATOR", "export_bytes", "export_filename", "territory_csv"]
