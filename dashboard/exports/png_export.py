"""PNG of the territory map as shown: title, legend (colour bar), source line, synthetic flag,
at presentation resolution (1920 x 1080)."""
from __future__ import annotations

from .figures import map_figure
from .render import render_png

PNG_WIDTH, PNG_HEIGHT = 1920, 1080


def territory_map_figure(store, territory_id: str, indicator_id: str, year=None):
    t = store.territory(territory_id)
    return map_figure(store, t, indicator_id, year, width=PNG_WIDTH, height=PNG_HEIGHT, font_size=22)


def territory_map_png(store, territory_id: str, indicator_id: str, year=None) -> bytes:
    store.indicator(indicator_id)  # unknown indicator: clear error before starting Chromium
    fig = territory_map_figure(store, territory_id, indicator_id, year)
    return render_png([(fig, PNG_WIDTH, PNG_HEIGHT, 1)])[0]
