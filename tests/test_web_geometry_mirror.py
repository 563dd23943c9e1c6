"""Web geometry of the real build (mirror): shared borders, holes and overlaps against the source,
the France file's insets, territory outlines, precompressed copies."""
from __future__ import annotations

import gzip
import json

import pytest
import shapely

pytestmark = pytest.mark.integration

HECTARE = 10_000.0
OVERLAP_M2 = 1_000.0


@pytest.fixture(scope="module")
def build(built_data_dir):
    from atlas import paths
    return paths.current_build(built_data_dir).resolve()


@pytest.fixture(scope="module")
def frames(build):
    import geopandas as gpd
    from atlas import paths

    full = gpd.read_parquet(build / paths.COMMUNES_FULL_FILE)
    web = gpd.read_parquet(build / paths.COMMUNES_WEB_FILE)
    return full, web


def holes_over(geoms, min_area: float) -> list:
    u = shapely.union_all(geoms)
    return [shapely.Polygon(r) for p in getattr(u, "geoms", [u]) for r in p.interiors
            if shapely.Polygon(r).area > min_area]


def overlapping_pairs(geoms, min_area: float) -> set:
    tree = shapely.STRtree(geoms)
    a, b = tree.query(geoms, predicate="intersects")
    keep = a < b
    a, b = a[keep], b[keep]
    area = shapely.area(shapely.intersection(geoms[a], geoms[b]))
    return {(int(i), int(j)) for i, j, x in zip(a, b, area) if x > min_area}


@pytest.mark.parametrize("dep", ["17", "69", "25"])
def test_departement_web_polygons_add_no_hole_and_no_overlap(frames, dep):
    full, web = frames
    src = full[full["departement"] == dep].sort_values("code").to_crs(2154)
    out = web[web["departement"] == dep].sort_values("code").to_crs(2154)
    assert list(src["code"]) == list(out["code"]) and shapely.is_valid(out.geometry.values).all()
    src_holes = holes_over(src.geometry.values, HECTARE)
    web_holes = holes_over(out.geometry.values, HECTARE / 2)       # half the size: no new hole hides under it
    assert all(any(h.intersects(s) for s in src_holes) for h in web_holes if h.area > HECTARE)
    assert len([h for h in web_holes if h.area > HECTARE]) <= len(src_holes)
    assert overlapping_pairs(out.geometry.values, OVERLAP_M2) <= overlapping_pairs(src.geometry.values, OVERLAP_M2 / 2)


def test_web_parquet_keeps_its_columns(frames):
    _, web = frames
    assert list(web.columns) == ["code", "nom", "departement", "region", "epci", "population", "geometry"]
    assert web.crs.to_epsg() == 4326 and len(web) == 34_871


def test_france_file_draws_every_border_once(build):
    from atlas.geo.topojson import read_area, read_index

    index = read_index(build)
    france = read_area(build, "france")
    assert len(france.codes) == len(index.codes) == 34_871 and list(france.codes) == sorted(france.codes)
    assert {m["code"] for m in index.missing} == {"15031", "15035", "15047", "15171"}
    uses = france.topology.arc_use_counts()
    assert (uses == 2).sum() > 100_000 and uses.min() >= 1
    # a few shared borders fall onto another one at the France grid (100 m): a commune's narrow neck
    assert (uses > 2).sum() < 0.001 * len(uses)
    assert all(g.area > 0 for g in france.shapes().values())       # no commune vanished
    t = france.topology
    seen = set()
    for a in range(t.n_arcs):                     # no arc twice, in either direction
        xy = t.coords[t.arc_offsets[a]:t.arc_offsets[a + 1]]
        key = xy.tobytes() if tuple(xy[0]) <= tuple(xy[-1]) else xy[::-1].tobytes()
        assert key not in seen
        seen.add(key)


def test_france_file_has_the_drom_in_insets_beside_the_metropole(build):
    from atlas.geo.topojson import read_area

    france = read_area(build, "france")
    insets = {i["code"]: i for i in france.meta["insets"]}
    assert sorted(insets) == ["971", "972", "973", "974", "976"]
    shapes = france.shapes()
    metro = shapely.union_all([g.envelope for c, g in shapes.items() if not c.startswith("97")]).envelope
    for code, inset in insets.items():
        box = shapely.box(*inset["box"])
        drom = [g for c, g in shapes.items() if c.startswith(code)]
        assert drom and all(box.buffer(1e-6).contains(g) for g in drom)
        assert not box.intersects(metro)
    xmin, ymin, xmax, ymax = france.bbox
    assert xmax - xmin < 30 and ymax - ymin < 15                         # France and its boxes, not the globe


def test_seed_territory_outlines_have_only_the_source_holes(build, frames):
    import duckdb

    from atlas import paths
    from atlas.geo.topojson import read_area, read_index

    full, _ = frames
    con = duckdb.connect(str(build / paths.DATABASE_FILE), read_only=True)
    rows = con.execute("SELECT territory_id, code FROM territory_communes WHERE role = 'member'").fetchall()
    con.close()
    index = read_index(build)
    by_territory: dict[str, list[str]] = {}
    for tid, code in rows:
        by_territory.setdefault(tid, []).append(code)
    assert {"ouest-rhodanien", "aunis-sud", "venissieux"} <= set(by_territory)
    for tid, codes in by_territory.items():
        codes = [c for c in codes if c in set(index.codes)]
        area = index.smallest_area(codes)
        outline = read_area(build, area).outline(codes)
        polys = shapely.get_parts(shapely.polygonize(outline.geoms))
        rings = shapely.union_all(polys)                     # the territory, rebuilt from its outline only
        src = full[full["code"].isin(codes)].to_crs(2154)
        src_holes = holes_over(src.geometry.values, HECTARE)
        import geopandas as gpd
        rebuilt = gpd.GeoSeries([rings], crs=4326).to_crs(2154).values
        out_holes = holes_over(rebuilt, HECTARE)
        assert len(out_holes) <= len(src_holes), tid
        assert shapely.union_all(rebuilt).area == pytest.approx(src.geometry.union_all().area, rel=0.01), tid


def test_precompressed_copies_are_the_same_bytes(build):
    import brotli

    from atlas.geo.topojson import geo_dir

    for name in ("france.topo.json", "reg-84.topo.json", "dep-69.topo.json"):
        raw = (geo_dir(build) / name).read_bytes()
        assert gzip.decompress((geo_dir(build) / f"{name}.gz").read_bytes()) == raw
        assert brotli.decompress((geo_dir(build) / f"{name}.br").read_bytes()) == raw
        assert json.loads(raw)["type"] == "Topology"
