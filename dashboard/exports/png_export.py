"""PNG of the map as shown in the explorer (same classes, colours, extent), with title, legend,
source line and synthetic flag, at presentation resolution (1920 x 1080)."""
from __future__ import annotations

from atlas.catalog import indicator

from .map_export import presentation_map_figure
from .render import render_png

PNG_WIDTH, PNG_HEIGHT = 1920, 1080


def territory_map_png(atlas, territory_id: str, indicator_id: str, year=None, extent: str = "territoire",
                      **view) -> bytes:
    indicator(indicator_id)          # unknown indicator or territory: a clear error before starting Chromium
    atlas.territory(territory_id)
    fig = presentation_map_figure(atlas, territory_id, indicator_id, year, extent=extent, width=PNG_WIDTH,
                                  height=PNG_HEIGHT, font_size=22, **view)
    return render_png([(fig, PNG_WIDTH, PNG_HEIGHT, 1)])[0]
