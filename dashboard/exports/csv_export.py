"""CSV of commune values with a header block (lines starting with ``#``) naming the territory, the
perimeter's confidence, sources and vintages, units and the synthetic flag.

Long format, one row per commune x indicator: ``code_commune, commune, indicateur, libelle, annee,
valeur, numerateur, denominateur, unite, source, donnees_fictives``. Comma-separated, decimal
point, UTF-8 with a byte-order mark in the exported file so that Excel shows accents (read it with
``pandas.read_csv(f, comment="#", encoding="utf-8-sig")``). Secret values are written
"secret statistique" (never 0). Every cell that a spreadsheet could take for a formula (starting
with ``=``, ``+``, ``-``, ``@``, tab or carriage return) is neutralised with a leading apostrophe.
"""
from __future__ import annotations

import csv
import datetime as dt
import io

import pandas as pd

from atlas.catalog import CATALOG

from .portrait_data import CONFIDENCE_LABELS, SECRET_TEXT, SYNTHETIC_TEXT, sources_rows

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")
COLUMNS = ["code_commune", "commune", "indicateur", "libelle", "annee", "valeur", "numerateur", "denominateur",
           "unite", "source", "donnees_fictives"]


def neutralise(value) -> str:
    """CSV/formula injection: a cell starting with = + - @ (or tab/CR) gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, float):
        if pd.isna(value):
            return ""
        s = repr(round(value, 6)) if not value.is_integer() else str(int(value))
    else:
        s = str(value)
    if s.startswith(FORMULA_PREFIXES):
        return "'" + s
    return s


def _num(x):
    if x is None or (isinstance(x, float) and pd.isna(x)):
        return None
    return float(x)


def territory_csv(store, territory_id: str, indicator_id: str | None = None, year: int | None = None) -> str:
    t = store.territory(territory_id)
    ids = [indicator_id] if indicator_id else list(CATALOG)
    for i in ids:
        store.indicator(i)
    names = store.communes["nom"]
    rows, used_sources, header_ind = [], set(), []
    for iid in ids:
        ind = CATALOG[iid]
        vals = store.commune_values(iid, t.codes, year) if t.codes else pd.DataFrame()
        if vals is None or vals.empty:
            header_ind.append(f"#   {iid} : {ind.label} ({ind.unit}) : indisponible")
            continue
        years = sorted({int(y) for y in vals["year"]})
        header_ind.append(f"#   {iid} : {ind.label} ; unité : {ind.unit} ; année {', '.join(map(str, years))} ; "
                          f"agrégation : {ind.formula}"
                          + (f" ; secret statistique sous {ind.secret_threshold} au dénominateur"
                             if ind.secret_threshold else ""))
        for r in vals.itertuples(index=False):
            used_sources.add(r.source_id)
            secret = bool(getattr(r, "secret", False))
            rows.append([r.code, names.get(r.code, ""), iid, ind.label, int(r.year),
                         SECRET_TEXT if secret else _num(r.value),
                         None if secret else _num(r.numerator), None if secret else _num(r.denominator),
                         ind.unit, store.source_label(r.source_id) or r.source_id,
                         "oui" if bool(r.synthetic) else "non"])
    synthetic_rows = any(r[-1] == "oui" for r in rows)
    src_meta = {s["id"]: s for s in sources_rows(store)}
    out = io.StringIO()
    w = out.write
    w("# Atlas de l'accès aux soins des CPTS - export des valeurs communales\n")
    w(f"# Territoire : {' '.join(str(t.name).split())} ({t.id}) ; {len(t.codes)} communes\n")
    w(f"# Confiance du périmètre : {t.confidence} - {CONFIDENCE_LABELS.get(t.confidence, '')}\n")
    if t.perimeter_note:
        w(f"# Note sur le périmètre : {' '.join(str(t.perimeter_note).split())[:400]}\n")
    w(f"# Données fictives : {'OUI - ' + SYNTHETIC_TEXT if (synthetic_rows or store.any_synthetic) else 'non'}"
      f"{' (la base contient des sources fictives)' if store.any_synthetic and not synthetic_rows else ''}\n")
    w(f"# Exporté le : {dt.date.today().isoformat()} ; base : {store.build_info.get('build_id', '?')}\n")
    w("# Sources (éditeur - titre ; millésime ; licence ; URL ; fictive) :\n")
    for sid in sorted(used_sources):
        s = src_meta.get(sid)
        if s:
            w(f"#   {sid} : {s['publisher']} - {s['title']} ; millésime {s['vintage']} ; {s['licence']} ; "
              f"{s['url']} ; fictive : {'oui' if s['synthetic'] else 'non'}\n")
        else:
            w(f"#   {sid} : {store.source_label(sid) or sid}\n")
    w("# Indicateurs (unités) :\n")
    for line in header_ind:
        w(line + "\n")
    w(f"# Valeurs « {SECRET_TEXT} » : dénominateur sous le seuil, valeur masquée (jamais 0).\n")
    w("# Format : CSV séparé par des virgules, point décimal, UTF-8 (avec BOM) ; les lignes commençant par # sont des "
      "commentaires.\n")
    cw = csv.writer(out, lineterminator="\n")
    cw.writerow(COLUMNS)
    for r in rows:
        cw.writerow([neutralise(v) for v in r])
    return out.getvalue()
