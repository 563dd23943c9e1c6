"""CPTS territories: perimeters with their evidence and the figures published about them."""
from __future__ import annotations

from ..territories import build_territory_tables


def run(ctx) -> None:
    per_src = ctx.resolve("cpts_perimeters")
    fig_src = ctx.resolve("cpts_published_figures")
    perimeters = per_src.read() if per_src else None
    figures = fig_src.read() if fig_src else None
    territories, tc, warnings = build_territory_tables(perimeters, figures, ctx.communes)
    ctx.warnings.extend(warnings)
    con = ctx.con
    for table, frame in (("territories", territories), ("territory_communes", tc)):
        con.execute(f"DELETE FROM {table}")
        con.register("__t", frame)
        con.execute(f"INSERT INTO {table} SELECT * FROM __t")
        con.unregister("__t")
    con.execute("DELETE FROM published_figures")
    if figures is not None:
        con.register("__f", figures)
        con.execute("INSERT INTO published_figures SELECT * FROM __f")
        con.unregister("__f")
    for src in (per_src, fig_src):
        if src:
            ctx.record_source(src)
