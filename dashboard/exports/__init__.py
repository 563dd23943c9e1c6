"""Exports shared by the pages (download buttons) and the command line (``python -m dashboard.export``).

One implementation for both: :func:`export_bytes` returns the file content for a territory and a
format: ``csv`` (French spreadsheets: ``;`` and decimal comma), ``csv-intl`` (``,`` and decimal
point), ``png`` (the map), ``pdf`` (the portrait). Every export names its sources, vintages and
units, and carries the synthetic flag while any demo source is loaded.
"""
from __future__ import annotations

from .csv_export import territory_csv
from .naming import export_filename

FORMATS = ("csv", "csv-intl", "png", "pdf")
DEFAULT_MAP_INDICATOR = "density_mg_liberal"


def export_bytes(atlas, territory_id: str, fmt: str, indicator_id: str | None = None,
                 year: int | None = None, extent: str = "territoire", **view) -> bytes:
    """``extent`` (territoire | departement | region | france) frames the PNG map as the explorer does;
    ``view`` may carry ``mode='evolution', since=<year>`` for a change map."""
    fmt = fmt.lower()
    if fmt in ("csv", "csv-intl"):
        # UTF-8 with a byte-order mark: Excel reads accents right only with it
        return territory_csv(atlas, territory_id, indicator_id, year, dialect=fmt).encode("utf-8-sig")
    if fmt == "png":
        from .png_export import territory_map_png
        return territory_map_png(atlas, territory_id, indicator_id or DEFAULT_MAP_INDICATOR, year, extent, **view)
    if fmt == "pdf":
        from .pdf_export import territory_pdf
        return territory_pdf(atlas, territory_id, year=year, map_indicator=indicator_id or DEFAULT_MAP_INDICATOR)
    raise ValueError(f"format inconnu : {fmt} (formats : {', '.join(FORMATS)})")


__all__ = ["FORMATS", "DEFAULT_MAP_INDICATOR", "export_bytes", "export_filename", "territory_csv"]
