"""What colours the communes of a view: values, statuses, classes, legend — for one indicator and
year ("valeur") or for the change between two years ("évolution").

One builder for the explorer's map, the simulation page and the exported maps (PNG/PDF), so that a
board projects exactly what the planner saw. Values come from the read model (small numbers already
masked); hover texts are formatted in the browser from the values and :func:`format_spec`.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from atlas import fmt
from atlas.catalog import Indicator, indicator
from atlas.read import MISSING, OK, SECRET

from .. import palette
from .classes import Z_FIRST_CLASS, Z_NO_DATA, Z_SECRET, Classification, class_codes, classify, classify_change, colors_of

VALUE, CHANGE = "valeur", "evolution"
NO_DATA_LABEL = "donnée indisponible"


@dataclass
class Layer:
    indicator_id: str
    year: int | None
    since: int | None                 # first year of a change map
    mode: str                         # valeur | evolution
    codes: list[str]                  # communes, map order
    values: np.ndarray                # float64 (NaN: none), the value or the change
    status: np.ndarray                # ok | secret | missing
    z: np.ndarray                     # uint8 class codes
    classification: Classification
    legend: dict = field(default_factory=dict)

    @property
    def colors(self) -> list[str]:
        return colors_of(self.classification)


def format_spec(ind: Indicator, mode: str = VALUE) -> dict:
    """How the browser writes a value of this layer (same rules as :mod:`atlas.fmt`)."""
    return {**fmt.js_spec(), **fmt.unit_for_js(ind), "signed": mode == CHANGE, "label": ind.label,
            "no_data": NO_DATA_LABEL}


def _legend(atlas, ind: Indicator, layer_codes, z, cls: Classification, year, since, mode, source_ids, synthetic,
            reason) -> dict:
    counts = Counter(int(x) for x in z)
    entries = [{"kind": "class", "label": lab, "color": col, "count": counts.get(Z_FIRST_CLASS + k, 0)}
               for k, (lab, col) in enumerate(zip(cls.labels, cls.colors))]
    if ind.secret_threshold is not None:
        entries.append({"kind": "secret", "label": f"{fmt.SECRET} (moins de {ind.secret_threshold} patients)",
                        "color": palette.SECRET, "count": counts.get(Z_SECRET, 0)})
    entries.append({"kind": "no_data", "label": NO_DATA_LABEL, "color": palette.NO_DATA,
                    "count": counts.get(Z_NO_DATA, 0)})
    direction = {"higher": "Plus foncé : plus favorable (valeur plus élevée).",
                 "lower": "Plus foncé : plus favorable (valeur plus faible).", "neutral": ""}[cls.direction]
    if mode == CHANGE:
        direction = ""
    return {
        "indicator_id": ind.id, "title": ind.label if mode == VALUE else f"Évolution : {ind.label}",
        "unit": ind.unit if mode == VALUE else f"écart en {ind.short_unit}",
        "year": year, "since": since, "period": f"{since} → {year}" if mode == CHANGE else (str(year) if year else ""),
        "available": bool(len(layer_codes)) and cls.method != "empty", "reason": reason,
        "entries": entries, "method": cls.method, "method_note": cls.note, "direction_note": direction,
        "thresholds": [fmt.threshold_text(ind, t) for t in ind.thresholds] if mode == VALUE else [],
        "source": "; ".join(atlas.source_short(s) for s in source_ids),
        "source_full": "; ".join(filter(None, (atlas.source_label(s) for s in source_ids))),
        "synthetic": synthetic, "n_communes": len(layer_codes),
        "n_with_value": int(sum(v for k, v in counts.items() if k >= Z_FIRST_CLASS)),
        "reference_note": ind.reference_note,
    }


def layer_from_values(atlas, indicator_id: str, codes, values, status, year: int | None, *, mode: str = VALUE,
                      since: int | None = None, classification: Classification | None = None, source_ids=(),
                      synthetic: bool = False, reason: str | None = None, title: str | None = None) -> Layer:
    """A layer of given values (e.g. a scenario's access after a change), classified like the others
    unless ``classification`` is given (the "after" map keeps the "before" map's classes)."""
    ind = indicator(indicator_id)
    values = np.asarray(values, dtype="float64")
    status = np.asarray(status, dtype=object)
    if classification is not None:
        cls = classification
    elif mode == CHANGE:
        cls = classify_change(ind, values[status == OK])
    else:
        cls = classify(ind, values[status == OK])
    z = class_codes(values, status, cls)
    legend = _legend(atlas, ind, list(codes), z, cls, year, since, mode, list(source_ids), synthetic, reason)
    if title:
        legend["title"] = title
    return Layer(ind.id, year, since, mode, list(codes), values, status, z, cls, legend)


def build_layer(atlas, indicator_id: str, codes, year: int | None = None, *, mode: str = VALUE,
                since: int | None = None, focus=None) -> Layer:
    """The layer of ``indicator_id`` over ``codes`` (the communes drawn). ``year`` None: the
    indicator's latest year for ``focus`` (the territory's communes; default ``codes``)."""
    ind = indicator(indicator_id)
    codes = list(codes)
    if year is None:
        year = atlas.entry(ind.id, codes=list(focus if focus is not None else codes))["year"]
    cur = atlas.commune_values(ind.id, codes, year) if codes else None
    reason = None
    if cur is None or year not in atlas.values.years(ind.id):
        values = np.full(len(codes), np.nan)
        status = np.full(len(codes), MISSING, dtype=object)
        source_ids, synthetic = [], False
        reason = atlas.entry(ind.id, codes=codes, year=year)["reason"] if codes else None
    else:
        values = cur["value"].to_numpy(dtype="float64")
        status = cur["status"].to_numpy(dtype=object)
        source_ids = sorted({s for s in cur.loc[cur["status"] != MISSING, "source_id"] if s})
        synthetic = bool(cur.loc[cur["status"] != MISSING, "synthetic"].any())
    if mode == CHANGE and since is not None and since != year and cur is not None:
        before = atlas.commune_values(ind.id, codes, since)
        b = before["value"].to_numpy(dtype="float64")
        both = (status == OK) & (before["status"].to_numpy(dtype=object) == OK)
        values = np.where(both, values - b, np.nan)
        status = np.where(both, OK, np.where((status == SECRET) | (before["status"] == SECRET), SECRET, MISSING))
        synthetic = synthetic or bool(before.loc[before["status"] != MISSING, "synthetic"].any())
        source_ids = sorted(set(source_ids) | {s for s in before.loc[before["status"] != MISSING, "source_id"] if s})
    else:
        mode, since = VALUE, None
    return layer_from_values(atlas, ind.id, codes, values, status, year, mode=mode, since=since,
                             source_ids=source_ids, synthetic=synthetic, reason=reason)
