"""What a view draws: the communes of the territory, or of its département, région, or France."""
from __future__ import annotations


def area_codes(atlas, territory, extent: str) -> tuple[str, ...]:
    """Communes drawn for a territory at an extent (``territoire``, ``departement``, ``region``, ``france``).
    A territory without communes is drawn on its département."""
    if extent == "france":
        return tuple(atlas.communes.codes)
    if extent == "region" and territory.region:
        return atlas.territory(f"reg-{territory.region}").codes
    if (extent == "departement" or not territory.codes) and territory.departement:
        return atlas.territory(f"dep-{territory.departement}").codes
    return territory.codes


def default_territory(atlas) -> str | None:
    """The first CPTS (by name) with communes, else the first territory."""
    for t in atlas.territories("cpts"):
        if t.codes:
            return t.id
    ts = atlas.territories()
    return ts[0].id if ts else None
