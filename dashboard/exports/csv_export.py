"""CSV of a territory's commune values, with a header block naming the territory, its perimeter,
every source (vintage, licence, URL), units and the synthetic flag.

Two dialects, same content:
  * ``csv`` (default, "CSV pour Excel en français"): ``;`` separator, decimal comma, UTF-8 with a
    byte-order mark — what French Excel and LibreOffice open in columns with a double click;
  * ``csv-intl``: ``,`` separator, decimal point (pandas, R, scripts).
Header lines start with ``#`` and hold no separator character, so a spreadsheet puts each in one
cell (read it with ``pandas.read_csv(f, sep=";", decimal=",", comment="#")``). Long format, one row
per commune × indicator: ``code_commune, commune, indicateur, libelle, annee, valeur, numerateur,
denominateur, unite, statut, source, donnees_fictives``. Hidden small numbers are written
"secret statistique" (never 0), missing ones "donnée indisponible". Every cell — header lines
included — that a spreadsheet could take for a formula is neutralised with a leading apostrophe.
"""
from __future__ import annotations

import csv
import datetime as dt
import io

from atlas import fmt
from atlas.catalog import CATALOG, indicator

from ..components.perimeter_note import CONFIDENCE_LABELS, perimeter_summary

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")
COLUMNS = ["code_commune", "commune", "indicateur", "libelle", "annee", "valeur", "numerateur", "denominateur",
           "unite", "statut", "source", "donnees_fictives"]
DIALECTS = {"csv": (";", fmt.csv_number), "csv-intl": (",", lambda x: "" if x is None or x != x else repr(float(x)))}
STATUS_TEXT = {"ok": "", "secret": fmt.SECRET, "missing": fmt.UNAVAILABLE}


def neutralise(value) -> str:
    """Formula injection: a cell starting with = + - @ (or tab/CR/LF) gets a leading apostrophe.
    Control characters are dropped."""
    if value is None:
        return ""
    s = "".join(ch for ch in str(value) if ch >= " " or ch == "\t")
    return "'" + s if s.startswith(FORMULA_PREFIXES) else s


def _header_line(text: str, sep: str) -> str:
    """One ``#`` line: no separator inside, so a spreadsheet keeps it in one cell that starts with
    ``#`` (never a formula, whatever a territory name or an import label holds); no control character."""
    clean = " ".join("".join(ch if ch >= " " else " " for ch in str(text)).split())
    return "# " + clean.replace(sep, " –" if sep == ";" else " ") + "\n"


def territory_csv(atlas, territory_id: str, indicator_id: str | None = None, year: int | None = None,
                  dialect: str = "csv") -> str:
    sep, number = DIALECTS[dialect]
    t = atlas.territory(territory_id)
    ids = [indicator(indicator_id).id] if indicator_id else list(CATALOG)
    names = atlas.communes.table["nom"]
    rows, used_sources, header_ind = [], set(), []
    labels: dict = {}       # source id -> label: looked up once per source, not once per row (a pandas lookup)
    for iid in ids:
        ind = CATALOG[iid]
        years = [year] if year is not None else atlas.years_for(iid, t.codes)
        got = []
        for y in years:
            vals = atlas.commune_values(iid, t.codes, y) if t.codes else None
            if vals is None or (vals["status"] == "missing").all():
                continue
            got.append(y)
            for r in vals.itertuples(index=False):
                if r.source_id:
                    used_sources.add(r.source_id)
                if r.source_id not in labels:
                    labels[r.source_id] = atlas.source_label(r.source_id) or ""
                ok = r.status == "ok"
                rows.append([r.code, names.get(r.code, ""), iid, ind.label, y,
                             number(r.value) if ok else STATUS_TEXT[r.status],
                             number(r.numerator) if ok else "", number(r.denominator) if ok else "",
                             ind.unit, STATUS_TEXT[r.status] or "valeur", labels[r.source_id],
                             "oui" if bool(r.synthetic) else "non"])
        if not got:
            header_ind.append(f"  {iid} : {ind.label} ({ind.unit}) : {fmt.UNAVAILABLE}"
                              + (f" en {year}" if year is not None else ""))
        else:
            header_ind.append(f"  {iid} : {ind.label}, unité {ind.unit}, année(s) {', '.join(map(str, got))}, "
                              f"agrégation {ind.formula}"
                              + (f", secret statistique sous {ind.secret_threshold} au dénominateur"
                                 if ind.secret_threshold else ""))
    synthetic_rows = any(r[-1] == "oui" for r in rows)
    sources = {s["id"]: s for s in atlas.sources()}
    out = io.StringIO()
    h = lambda text: out.write(_header_line(text, sep))  # noqa: E731
    h("Atlas de l'accès aux soins des CPTS - export des valeurs communales")
    h(f"Territoire : {t.name} ({t.id}), {fmt.plural(len(t.codes), 'commune')}")
    h(f"Périmètre : {CONFIDENCE_LABELS.get(t.confidence, t.confidence)}")
    summary = perimeter_summary(atlas, t)
    if summary:
        h(f"Attention : {summary}")
    h("Données fictives : " + (f"OUI - {fmt.SYNTHETIC}" if synthetic_rows else
                               "non" + (" (la base contient aussi des sources fictives)" if atlas.any_synthetic else "")))
    h(f"Exporté le {fmt.date(dt.date.today().isoformat())}, base {atlas.build_id}")
    h("Sources (éditeur - titre, millésime, licence, adresse, fictive) :")
    for sid in sorted(used_sources):
        s = sources.get(sid)
        if s:
            where = s.get("url") or s.get("file") or "fichier fourni par l'utilisateur"
            h(f"  {sid} : {s['publisher']} - {s['title']}, millésime {s['vintage']}, {s['licence']}, {where}, "
              f"fictive : {'oui' if s['synthetic'] else 'non'}")
        else:
            h(f"  {sid} : {atlas.source_label(sid) or sid}")
    h("Indicateurs (unités) :")
    for line in header_ind:
        h(line)
    h(f"Valeurs « {fmt.SECRET} » : dénominateur sous le seuil, valeur masquée (jamais 0).")
    h("Format : " + ("séparateur point-virgule, virgule décimale" if sep == ";" else "séparateur virgule, point décimal")
      + ", UTF-8 avec BOM ; les lignes commençant par # sont des commentaires.")
    cw = csv.writer(out, delimiter=sep, lineterminator="\n")
    cw.writerow(COLUMNS)
    for r in rows:
        cw.writerow([neutralise(v) for v in r])
    return out.getvalue()
