"""The figure of one indicator over a set of communes, with its year, provenance and references:
an *entry*, the unit of everything the CLI, the pages and the exports show.

Year rules (DESIGN.md, "Years"): a year asked for is never replaced by another one — without data
for it the entry says so (``available: false`` and a ``reason`` in words). Without a year, each
indicator takes its own latest year *for this set of communes* (an import covering another
territory does not move this territory to a year it has no data for); an indicator with references
only (e.g. vaccination coverage, published by département) takes its latest reference year.
"""
from __future__ import annotations

import numpy as np

from .. import fmt
from ..catalog import Indicator
from ..figures import SECRET_COMPLEMENT, aggregate
from .references import FRANCE, LEVELS, ReferenceStore
from .values import ValueStore

NO_COMMUNE_DATA = {
    "access_mt": "aucune valeur communale : ces chiffres ne sont pas des données ouvertes, importez le tableau "
                 "remis par votre CPAM (page Import)",
    "prevention": "aucune valeur communale : ces chiffres ne sont pas des données ouvertes, importez le tableau "
                  "remis par votre CPAM (page Import)",
}


def resolve_year(ind: Indicator, pos: np.ndarray, year: int | None, values: ValueStore,
                 refs: ReferenceStore) -> int | None:
    if year is not None:
        return int(year)
    for y in reversed(values.years(ind.id)):
        if len(pos) and values.arrays(ind.id, y).has[pos].any():
            return y
    ref_years = refs.years(ind.id)
    if ref_years:
        return ref_years[-1]
    years = values.years(ind.id)
    return years[-1] if years else None


def _reason(ind: Indicator, year: int | None, requested: int | None, has_any_year: bool, years: list[int],
            fig, out_of_scope: str | None) -> str | None:
    if fig is not None and (fig.value is not None or fig.secret):
        if fig.secret:
            return ("secret statistique : les communes masquées du territoire comptent moins de "
                    f"{ind.secret_threshold} patients" if fig.secret_reason == SECRET_COMPLEMENT else
                    f"secret statistique : moins de {ind.secret_threshold} patients")
        return None
    if out_of_scope:
        return out_of_scope
    if not has_any_year:
        return NO_COMMUNE_DATA.get(ind.family, "indicateur absent des données chargées : source indisponible")
    if requested is not None and requested not in years:
        return (f"pas de donnée en {requested} (années disponibles : {', '.join(map(str, years))})"
                if years else f"pas de donnée en {requested}")
    if year is not None and ind.family in NO_COMMUNE_DATA:
        return NO_COMMUNE_DATA[ind.family]
    return f"aucune commune du territoire n'a de valeur en {year}" if year else "aucune donnée"


def make_entry(ind: Indicator, pos: np.ndarray, n_expected: int, departement: str | None, region: str | None,
               year: int | None, values: ValueStore, refs: ReferenceStore, provenance,
               out_of_scope: str | None = None) -> dict:
    requested = year
    y = resolve_year(ind, pos, year, values, refs)
    commune_years = values.years(ind.id)
    years = sorted(set(commune_years) | set(refs.years(ind.id)))
    fig = None
    source_ids: list[str] = []
    synthetic = False
    if y is not None and y in commune_years and len(pos):
        a = values.arrays(ind.id, y)
        used = pos[a.has[pos]]
        fig = aggregate(ind, a.numerator[pos], a.denominator[pos], a.value[pos], n_expected=n_expected)
        if fig.n_communes == 0:
            fig = None
        else:
            source_ids = a.source_ids(used)
            synthetic = bool(a.synthetic[used].any())
    reference, ref_sources, ref_synth = {}, {}, {}
    codes = {"departement": departement, "region": region, "france": FRANCE}
    for level in LEVELS:
        r = refs.get(ind.id, level, codes[level], y)
        reference[level] = r.value if r else None
        ref_sources[level] = r.source_id if r else None
        ref_synth[level] = r.synthetic if r else None
    value = None if fig is None or fig.secret else fig.value
    available = fig is not None
    return {
        "id": ind.id, "label": ind.label, "value": value, "unit": ind.unit, "year": y,
        "source": "; ".join(filter(None, (provenance.label(s) for s in source_ids))) or None,
        "source_id": source_ids[0] if len(source_ids) == 1 else (source_ids or None),
        "synthetic": synthetic,
        "numerator": None if fig is None or fig.secret else fig.numerator,
        "denominator": None if fig is None or fig.secret else fig.denominator,
        "secret": bool(fig is not None and fig.secret),
        "available": available,
        "reason": _reason(ind, y, requested, bool(commune_years or refs.years(ind.id)), years, fig, out_of_scope),
        "communes_with_value": fig.n_communes if fig else 0,
        "communes_without_value": fig.n_missing if fig else n_expected,
        "aggregation": ind.formula,
        "years": years,
        "reference": reference, "reference_codes": codes,
        "reference_sources": ref_sources, "reference_synthetic": ref_synth,
    }


def in_words(e: dict, ind: Indicator) -> str:
    """One line in words, for the CLI text output: value (or why there is none) and coverage."""
    if e["secret"] or e["value"] is not None:
        text = fmt.entry(e, ind, unit="long")
        if e["communes_without_value"] and e["communes_with_value"]:
            n = e["communes_with_value"] + e["communes_without_value"]
            text += f" (calculé sur {e['communes_with_value']} des {fmt.plural(n, 'commune')})"
        return text
    return f"{fmt.UNAVAILABLE} ({e['reason']})" if e.get("reason") else fmt.UNAVAILABLE
