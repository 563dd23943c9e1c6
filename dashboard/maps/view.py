"""What a view draws: the communes of the territory, or of its département, région, or France, and
from which built geometry file (the smallest that holds them, at the detail level of the extent)."""
from __future__ import annotations


def view_area(atlas, territory, extent: str) -> tuple[str, list[str] | None]:
    """(file id, communes to draw or None for the whole file) of a territory at an extent
    (``territoire``, ``departement``, ``region``, ``france``). A territory without communes is drawn
    on its département."""
    if extent == "france":
        return "france", None
    if extent == "region" and territory.region:
        return f"reg-{territory.region}", None
    if (extent == "departement" or not territory.codes) and territory.departement:
        return f"dep-{territory.departement}", None
    codes = list(atlas.geometry.drawable(territory.codes))
    if not codes:
        return (f"dep-{territory.departement}" if territory.departement else "france"), None
    return atlas.geometry.area_file(codes), codes


def view_codes(atlas, territory, extent: str) -> tuple[str, tuple[str, ...]]:
    """(file id, communes drawn) of :func:`view_area`."""
    area_id, codes = view_area(atlas, territory, extent)
    return area_id, tuple(codes) if codes is not None else atlas.geometry.area_codes(area_id)


def default_territory(atlas) -> str | None:
    """The first CPTS (by name) with communes, else the first territory."""
    for t in atlas.territories("cpts"):
        if t.codes:
            return t.id
    ts = atlas.territories()
    return ts[0].id if ts else None
