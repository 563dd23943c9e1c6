"""Commune indicator table in the import format, loaded INTO the build (demo table, or a file given
with ``--file cpam_commune_indicators=FICHIER``), through the same validator as user imports."""
from __future__ import annotations

from atlas.errors import InputError


def run(ctx) -> None:
    src = ctx.resolve_or_demo("cpam_commune_indicators")
    ctx.con.execute("DELETE FROM commune_values WHERE source_id = ?", ["cpam_commune_indicators"])
    if src is None:
        return
    rows, problems = src.read(valid_codes=set(ctx.communes["code"]), rekey=ctx.rekey)
    if problems:
        raise InputError(src.path.name, "table d'indicateurs communaux refusée :\n  " + "\n  ".join(map(str, problems[:50])))
    synthetic = src.resolved_from == "demo" or bool(rows["synthetic"].any())
    df = rows.assign(source_id=src.source.id, synthetic=synthetic)
    present = sorted(set(df["indicator_id"]))
    ctx.replace_commune_values(present, df)
    labels = sorted(set(rows["source_label"].dropna()))
    ctx.record_source(src, synthetic=synthetic,
                      message=f"{len(df)} valeurs communales ({', '.join(present)}) ; source : {'; '.join(labels) or '—'}")
