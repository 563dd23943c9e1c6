"""Web geometry: shared-border topology, simplification, TopoJSON encoding and decoding, insets,
outlines, the map's paint payload, and the geometry route. Tiny polygons written by the tests."""
from __future__ import annotations

import gzip
import json

import numpy as np
import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon, box

from atlas import fmt
from atlas.geo import topojson as tj
from etl.geo.encode import encode_arcs, feature_texts, topojson_text
from etl.geo.insets import inverse_mercator, layout_insets, mercator
from etl.geo.topology import build_topology, ring_signed_areas, simplify, to_shapely


def mp(*polys) -> MultiPolygon:
    return MultiPolygon(list(polys))


def wiggly_border(n=40, amp=0.002):
    """Two communes sharing a long wiggly border (x = 1 + small zigzag), as exact shared vertices."""
    ys = np.linspace(0, 1, n)
    xs = 1 + amp * np.sin(ys * 37)
    border = list(zip(xs, ys))
    left = Polygon([(0, 0)] + border + [(0, 1)])
    right = Polygon(border[::-1] + [(2, 0), (2, 1)])
    return left, right


def decode_text(text: str) -> tj.TopoFile:
    return tj.decode(json.loads(text))


def encode(topo, codes, names=None, grid_m=1.0, meta=None):
    names = names or codes
    return topojson_text(topo, encode_arcs(topo, grid_m), np.arange(len(codes)), feature_texts(codes, names), meta=meta)


# ---------- topology ----------

def test_shared_border_is_one_arc_used_twice_and_polygons_come_back_exactly():
    a, b = box(0, 0, 1, 1), box(1, 0, 2, 1)
    topo = build_topology([mp(a), mp(b)])
    uses = topo.arc_use_counts()
    assert sorted(uses.tolist()) == [1, 1, 2]                  # two outer arcs, one shared border
    shared = int(np.flatnonzero(uses == 2)[0])
    assert {tuple(p) for p in topo.arc(shared)} == {(1.0, 0.0), (1.0, 1.0)}
    back = to_shapely(topo)
    assert shapely.equals(back[0], a) and shapely.equals(back[1], b)
    assert topo.mismatched_arcs == 0


def test_enclave_and_its_hole_share_one_closed_arc():
    outer = Polygon(box(0, 0, 3, 3).exterior.coords, [box(1, 1, 2, 2).exterior.coords])
    inner = box(1, 1, 2, 2)
    topo = build_topology([mp(outer), mp(inner)])
    uses = topo.arc_use_counts()
    assert topo.n_arcs == 2 and sorted(uses.tolist()) == [1, 2]
    back = to_shapely(topo)
    assert back[0].area == pytest.approx(8) and back[1].area == pytest.approx(1)
    assert shapely.equals(back[0], mp(outer))


def test_rings_are_oriented_exterior_counter_clockwise_holes_clockwise():
    outer = Polygon(list(box(0, 0, 3, 3).exterior.coords)[::-1], [list(box(1, 1, 2, 2).exterior.coords)])
    topo = build_topology([mp(outer), mp(box(1, 1, 2, 2))])
    area = ring_signed_areas(topo)
    ext = topo.ring_is_exterior()
    assert (area[ext] > 0).all() and (area[~ext] < 0).all()


def test_features_without_geometry_are_kept_as_empty():
    topo = build_topology([mp(box(0, 0, 1, 1)), None, mp(box(1, 0, 2, 1))])
    back = to_shapely(topo)
    assert back[1] is None and back[0] is not None and back[2] is not None


def test_simplification_keeps_neighbours_gap_free_and_overlap_free():
    left, right = wiggly_border()
    topo = build_topology([mp(left), mp(right)])
    s = simplify(topo, 2_000)       # metres: the zigzag (~220 m) goes
    assert len(s.coords) < len(topo.coords)
    l2, r2 = to_shapely(s)
    assert shapely.intersection(l2, r2).area == pytest.approx(0, abs=1e-12)
    union = shapely.union_all([l2, r2])
    assert union.geom_type == "Polygon" and len(union.interiors) == 0
    assert union.area == pytest.approx(l2.area + r2.area)


def test_simplification_never_drops_a_small_commune():
    big = Polygon([(0, 0), (1, 0), (1, 1), (0, 1)], [[(0.5, 0.5), (0.5005, 0.5), (0.5005, 0.5005), (0.5, 0.5005)]])
    tiny = box(0.5, 0.5, 0.5005, 0.5005)                          # ~55 m wide, far below the tolerance
    topo = build_topology([mp(big), mp(tiny)])
    s = simplify(topo, 5_000)
    back = to_shapely(s)
    assert back[1] is not None and back[1].area > 0.5 * tiny.area
    assert shapely.is_valid(back).all()


# ---------- TopoJSON encoding and decoding ----------

def test_topojson_round_trip_is_quantised_only():
    left, right = wiggly_border()
    topo = build_topology([mp(left), mp(right)])
    f = decode_text(encode(topo, ["01001", "01002"], ["Alpha", "Bêta"], grid_m=1.0))
    assert f.codes == ("01001", "01002") and f.names == ("Alpha", "Bêta")
    shapes = f.shapes()
    for code, src in zip(f.codes, (left, right)):
        assert shapely.hausdorff_distance(shapes[code], src) < 2e-5   # 1 m grid
    # the shared border is one arc in the file too
    assert sorted(f.topology.arc_use_counts().tolist()) == [1, 1, 2]


def test_outline_of_a_set_is_the_arcs_used_once_with_the_real_holes_only():
    # a 3x3 grid of communes; the set is the 8 around the centre, which is not a member
    cells = [box(x, y, x + 1, y + 1) for y in range(3) for x in range(3)]
    codes = [f"0100{i}" for i in range(9)]
    topo = build_topology([mp(c) for c in cells])
    f = decode_text(encode(topo, codes, grid_m=1.0))
    ring = [c for i, c in enumerate(codes) if i != 4]
    outline = f.outline(ring)
    polys = shapely.get_parts(shapely.polygonize(outline.geoms))
    assert len(polys) == 2                                      # the ring of 8 and the hole it surrounds
    assert sorted(p.area for p in polys) == pytest.approx([1.0, 8.0], rel=1e-3)
    assert sorted(len(p.interiors) for p in polys) == [0, 1]
    # without the hole: a set of adjacent communes has one ring, no inner line
    two = f.outline(codes[:2])
    assert shapely.polygonize(two.geoms).geoms[0].area == pytest.approx(2.0, rel=1e-3)
    inner_border = shapely.LineString([(1, 0.1), (1, 0.9)])
    assert two.intersection(inner_border).length == 0          # the border between the two is not drawn


def test_geojson_features_of_a_set():
    topo = build_topology([mp(box(0, 0, 1, 1)), mp(box(1, 0, 2, 1))])
    f = decode_text(encode(topo, ["01001", "01002"], ["Alpha", "Beta"]))
    gj = f.geojson(["01002", "99999"])
    assert [x["id"] for x in gj["features"]] == ["01002"]
    assert gj["features"][0]["properties"] == {"code": "01002", "nom": "Beta"}


# ---------- insets ----------

def test_insets_sit_west_of_the_metropole_and_keep_each_drom_shape():
    metro = (-5.2, 41.3, 9.6, 51.1)
    droms = {"971": (-61.81, 15.83, -61.0, 16.52), "973": (-54.6, 2.1, -51.6, 5.8), "974": (55.2, -21.4, 55.84, -20.87)}
    insets = layout_insets(metro, droms)
    assert [i.code for i in insets] == ["971", "973", "974"]
    boxes = [shapely.box(*i.box) for i in insets]
    assert all(b.bounds[2] < metro[0] for b in boxes)                     # left of the metropole
    assert not any(a.intersects(b) for k, a in enumerate(boxes) for b in boxes[k + 1:])
    for inset in insets:
        x0, y0, x1, y1 = droms[inset.code]
        lon, lat = inset.apply(np.array([x0, x1, x0]), np.array([y0, y0, y1]))
        assert shapely.box(*inset.box).buffer(1e-9).contains(shapely.MultiPoint(list(zip(lon, lat))))
        # a similarity in Mercator: the ratio of width to height is kept
        mx, my = mercator([x0, x1, x0], [y0, y0, y1])
        tx, ty = mercator(lon, lat)
        assert (tx[1] - tx[0]) / (ty[0] - ty[2]) == pytest.approx((mx[1] - mx[0]) / (my[0] - my[2]), rel=1e-9)
    lon, lat = inverse_mercator(*mercator(2.35, 48.85))
    assert (float(lon), float(lat)) == pytest.approx((2.35, 48.85))


# ---------- paint payload ----------

@pytest.mark.parametrize("x, d", [(0.125, 2), (0.375, 2), (2.5, 0), (3.5, 0), (2.675, 2), (1.005, 2), (-0.04, 1),
                                  (-0.06, 1), (1234.5, 0), (12.345, 2), (0.045, 2), (99999.95, 1), (1e-9, 3)])
def test_encoded_values_carry_the_digits_fmt_writes(x, d):
    from dashboard.components.atlas_map import encode_values

    text, scale = encode_values([x], d)
    k = int(text)
    s = fmt.number(k / scale, d)
    assert s == fmt.number(x, d)


def test_paint_payload_is_positional_on_the_drawn_communes():
    from dashboard.components import atlas_map as am

    drawn = ("01001", "01002", "01004")
    p = am.paint_payload(drawn, ["01004", "01001", "99999"], [2.25, 3.5, 9.0], [3, 2, 4], ["#a", "#b", "#c", "#d"],
                         value_format=am.value_format(1, "/ 10 000 hab."))
    assert p["n"] == 3 and p["crc"] == am.codes_crc(drawn)
    assert p["classes"] == "203"                    # 01002 has no value: class 0
    assert p["values"].split(",") == ["35", "0", "22"] and p["scale"] == 10   # 2.25 -> 2,2 (half to even)
    assert p["format"]["decimal"] == "," and p["format"]["unit"] == "/ 10 000 hab."


def test_geometry_spec_and_drawn_codes():
    from dashboard.components import atlas_map as am

    index = tj.GeoIndex({"codes": ["01001", "01002", "02001", "97101"], "areas": {"dep-01": {}, "reg-84": {}, "france": {}},
                         "region_of": {"01": "84", "02": "32", "971": "01"}})
    assert index.area_codes("dep-01") == ("01001", "01002")
    assert index.area_codes("reg-84") == ("01001", "01002")
    assert index.smallest_area(["01001", "01002"]) == "dep-01"
    assert index.smallest_area(["01001", "02001"]) == "france"
    spec = am.geometry_spec(index, "dep-01", url="/atlas-geo/x/dep-01.topo.json", codes=["01002", "99999"],
                            outline=["01002"])
    assert spec["codes"] == ["01002"] and spec["n"] == 1 and am.drawn_codes(index, spec) == ("01002",)
    whole = am.geometry_spec(index, "france", url="/u")
    assert whole["codes"] is None and am.drawn_codes(index, whole) == index.codes


# ---------- the geometry route ----------

@pytest.fixture
def geo_build(tmp_path):
    build = tmp_path / "geodata" / "builds" / "b1"
    geo = build / "geo"
    geo.mkdir(parents=True)
    data = b'{"type":"Topology"}' * 50
    (geo / "dep-01.topo.json").write_bytes(data)
    (geo / "dep-01.topo.json.gz").write_bytes(gzip.compress(data))
    (geo / "dep-01.topo.json.br").write_bytes(b"brotli-bytes")
    (build / "atlas.duckdb").write_bytes(b"")
    (tmp_path / "secret.json").write_text("{}")
    (tmp_path / "geodata" / "current").symlink_to("builds/b1")
    return tmp_path / "geodata", data


def test_geo_files_are_served_precompressed_immutable_and_never_outside_the_build(geo_build):
    import flask

    from dashboard import server

    data_dir, data = geo_build
    app = type("A", (), {"server": flask.Flask("t")})()
    server.install(app, data_dir)
    c = app.server.test_client()
    assert server.geo_url(data_dir, "dep-01.topo.json") == "/atlas-geo/b1/dep-01.topo.json"
    r = c.get("/atlas-geo/b1/dep-01.topo.json", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert r.status_code == 200 and r.headers["Content-Encoding"] == "br" and r.data == b"brotli-bytes"
    assert r.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "Accept-Encoding" in r.headers["Vary"]
    r = c.get("/atlas-geo/b1/dep-01.topo.json", headers={"Accept-Encoding": "gzip"})
    assert r.headers["Content-Encoding"] == "gzip" and gzip.decompress(r.data) == data
    r = c.get("/atlas-geo/b1/dep-01.topo.json", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in r.headers and r.data == data
    etag = c.get("/atlas-geo/b1/dep-01.topo.json", headers={"Accept-Encoding": "br"}).headers["ETag"]
    r = c.get("/atlas-geo/b1/dep-01.topo.json", headers={"Accept-Encoding": "br", "If-None-Match": etag})
    assert r.status_code == 304 and not r.data
    for bad in ("/atlas-geo/b1/..%2F..%2Fsecret.json", "/atlas-geo/b1/../../secret.json", "/atlas-geo/..%2F/secret.json",
                "/atlas-geo/b1/atlas.duckdb", "/atlas-geo/b2/dep-01.topo.json", "/atlas-geo/b1/.hidden.json",
                "/atlas-geo/b1/nope.topo.json", "/atlas-geo/..%2Fgeodata/dep-01.topo.json"):
        r = c.get(bad)
        assert r.status_code in (404, 308) and b"{}" not in r.data, bad      # 308: werkzeug normalising the URL
    assert server.resolve_geo_file(data_dir, "b1", "../../secret.json") is None
    assert server.resolve_geo_file(data_dir, "..", "secret.json") is None
    assert server.resolve_geo_file(data_dir, "b1", "dep-01.topo.json") is not None


def test_other_responses_are_compressed(geo_build):
    import flask

    from dashboard import server

    data_dir, _ = geo_build
    app = type("A", (), {"server": flask.Flask("t")})()

    @app.server.route("/big.js")
    def big():
        return flask.Response("var a = 1;\n" * 2000, mimetype="application/javascript")

    server.install(app, data_dir)
    r = app.server.test_client().get("/big.js", headers={"Accept-Encoding": "gzip, br"})
    assert r.headers["Content-Encoding"] == "br" and len(r.data) < 2000


def test_borders_drawn_with_different_vertices_become_one_arc_once_simplified():
    # the source's neighbours do not always share vertices: A has an extra point on the common edge
    a = Polygon([(0, 0), (1, 0), (1, 0.5000001), (1, 1), (0, 1)])
    b = box(1, 0, 2, 1)
    topo = build_topology([mp(a), mp(b)])
    assert (topo.arc_use_counts() == 2).sum() == 0                # two distinct arcs for one border
    s = simplify(topo, 100)
    f = decode_text(encode(s, ["01001", "01002"], grid_m=10.0))
    uses = f.topology.arc_use_counts()
    assert (uses == 2).sum() == 1                                 # written once, used by both
    l, r = f.shapes().values()
    assert shapely.intersection(l, r).area == pytest.approx(0, abs=1e-12)


def test_arc_texts_cut_from_one_dump_equal_per_point_formatting():
    from etl.geo.encode import _arc_texts

    rng = np.random.default_rng(1)
    d = rng.integers(-10**7, 10**7, size=(500, 2))
    d[::7] = 0
    d[::11] = [10**6, -10**5]
    d[::13] = [-1, 9]
    starts = list(range(0, 500, 7))
    ends = starts[1:] + [500]
    want = ["[" + ",".join(f"[{x},{y}]" for x, y in d[a:b].tolist()) + "]" for a, b in zip(starts, ends)]
    assert _arc_texts(d, starts, ends) == want
