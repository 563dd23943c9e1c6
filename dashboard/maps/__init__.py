"""Map building blocks of the explorer, reusable by other pages (portrait, editor, exports).

* :mod:`.formatting`  French number formatting (``1 234,5``) with units.
* :mod:`.state`       the explorer's view state, parsed from / written to the URL query.
* :mod:`.geometry`    commune polygons as GeoJSON per area (cached per build), territory outline.
* :mod:`.values`      commune values of an indicator with their status (value / no data / secret).
* :mod:`.classes`     classes (fixed thresholds or quantiles), colour-blind-safe palettes, legend spec.
* :mod:`.choropleth`  the Plotly ``choroplethmap`` figure (no tile server) and the recolour Patch.
* :mod:`.comparison`  the small bar chart commune / territory / département / région / France.
* :mod:`.locations`   practice locations (points) from ``locations.parquet`` when the build has it.
"""
