"""A what-if on supply as map layers: the computed accessibility of a supply before a scenario, after
it, and the change — over the communes a view draws — with the scenario's report (territory before
and after, population below the threshold, communes whose access changes).

One builder for the Simulation page and its exports (CSV, PNG, PDF). The "after" map keeps the
"before" map's classes, so that the two can be compared colour for colour.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from atlas.access.model import Change
from atlas.catalog import access_id, indicator
from atlas.read import OK
from atlas.read.access import scenario_report

from .layer import CHANGE, VALUE, Layer, build_layer, layer_from_values


@dataclass
class ScenarioView:
    before: Layer
    after: Layer
    change: Layer
    report: dict | None          # scenario_report, None without changes

    def layer(self, view: str) -> Layer:
        return {"avant": self.before, "apres": self.after, "ecart": self.change}.get(view, self.after)


def changes_of(state) -> list[Change]:
    return [Change(code, float(delta), activity) for code, delta, activity in state.changes]


def scenario_view(atlas, territory, codes, profession: str, changes: list[Change]) -> ScenarioView:
    """Layers over ``codes`` (the communes drawn) and the report of ``changes`` for ``territory``."""
    iid = access_id(profession)
    before = build_layer(atlas, iid, codes, None, focus=territory.codes)
    report = scenario_report(atlas, profession, changes, territory) if changes else None
    after_values = before.values.copy()
    delta = np.where(before.status == OK, 0.0, np.nan)
    if report:
        pos = {c: i for i, c in enumerate(before.codes)}
        for row in report["communes"]:
            i = pos.get(row["code"])
            if i is not None and before.status[i] == OK:
                after_values[i] = row["after"]
                delta[i] = row["after"] - row["before"]
    ind = indicator(iid)
    legend = before.legend
    common = dict(source_ids=[], synthetic=bool(legend.get("synthetic")))
    after = layer_from_values(atlas, iid, before.codes, after_values, before.status, before.year, mode=VALUE,
                              classification=before.classification, title=f"{ind.label} après le scénario", **common)
    change = layer_from_values(atlas, iid, before.codes, delta, np.where(np.isnan(delta), before.status, OK),
                               before.year, mode=CHANGE, since=before.year,
                               title=f"Écart dû au scénario : {ind.label}", **common)
    for layer in (after, change):
        layer.legend["source"] = legend.get("source")
        layer.legend["source_full"] = legend.get("source_full")
        layer.legend["period"] = "scénario" if layer is change else f"{before.year}, scénario"
    return ScenarioView(before, after, change, report)
