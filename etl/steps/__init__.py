"""Build steps, one module per dataset family, run in this order by :func:`etl.build.run_build`.

A step declares the source ids it reads; ``python -m etl build --only ID`` re-runs the steps that
read ID (plus the ``always`` steps: communes, which every other step re-keys against, and
references, which recompute the reference levels) on a copy of the current build.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from . import (access, apl, bpe, communes, cpam, official_references, professionals, references, territories,
               web_geometry)


@dataclass(frozen=True)
class Step:
    name: str
    run: Callable
    source_ids: tuple[str, ...] = ()
    always: bool = False
    demo_only: bool = False


STEPS: list[Step] = [
    Step("communes", communes.run, ("communes_admin", "communes_geometry"), always=True),
    # always listed, but it returns at once unless the geometry changed (web_geometry.GEOMETRY_INPUTS)
    Step("web_geometry", web_geometry.run, ("communes_admin", "communes_geometry"), always=True),
    Step("territories", territories.run, ("cpts_perimeters", "cpts_published_figures")),
    Step("apl", apl.run, ("drees_apl_mg",)),
    Step("professionals", professionals.run, ("rpps_personne_activite", "insee_bpe")),
    Step("bpe", bpe.run, bpe.BPE_SOURCES),
    Step("official_references", official_references.run, official_references.OFFICIAL_SOURCES),
    Step("cpam_indicators", cpam.run, ("cpam_commune_indicators",)),
    # After communes (points, polygons), apl (standardised population) and the supply steps.
    Step("access", access.run, access.SOURCE_IDS),
    Step("references", references.run, (), always=True),
]
