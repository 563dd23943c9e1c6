"""Travel times over the commune adjacency graph, on tiny polygons; the external time-matrix file."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely

from atlas.errors import InputError
from etl.access import traveltime as tt

KM_PER_DEG_LAT = 111.195   # great-circle km per degree of latitude (R = 6371.0088 km)


def squares_in_a_column(k: int, size_deg: float = 0.05):
    """k unit squares stacked north-south, sharing their borders (exact shared vertices), plus nothing else."""
    return [shapely.box(0.0, i * size_deg, size_deg, (i + 1) * size_deg) for i in range(k)]


def test_adjacency_by_shared_vertices():
    geoms = squares_in_a_column(3) + [shapely.box(1.0, 1.0, 1.05, 1.05)]   # the last one is an island
    i, j = tt.adjacency(np.array(geoms, dtype=object))
    assert sorted(zip(i.tolist(), j.tolist())) == [(0, 1), (1, 2)]


def test_edge_minutes_half_at_each_communes_speed():
    lon = np.array([0.0, 0.0])
    lat = np.array([0.0, 0.1])                      # 11.12 km apart
    speed = np.array([40.0, 60.0])
    t = tt.edge_minutes(lon, lat, np.array([0]), np.array([1]), speed, detour=1.0)
    km = 0.1 * KM_PER_DEG_LAT
    assert t[0] == pytest.approx(60 * (km / 2 / 40 + km / 2 / 60), rel=1e-4)


def test_density_classes():
    speeds = tt.density_speeds(np.array([10, 1000, 10_000, 100_000]), np.array([1.0, 10.0, 10.0, 10.0]),
                               bounds=(25, 300, 1500), speeds=(1, 2, 3, 4))
    assert speeds.tolist() == [1, 2, 3, 4]


def test_bounded_pairs_cutoff_and_no_self_pairs():
    # a chain 0-1-2-3, 8 minutes an edge: 0->1 8, 0->2 16, 0->3 24 (beyond 20)
    G = tt.graph(4, np.array([0, 1, 2]), np.array([1, 2, 3]), np.array([8.0, 8.0, 8.0]))
    o, d, t = tt.bounded_pairs(G, cutoff=20, batch=2)
    got = {(a, b): m for a, b, m in zip(o.tolist(), d.tolist(), t.tolist())}
    assert got[(0, 1)] == pytest.approx(8) and got[(0, 2)] == pytest.approx(16)
    assert (0, 3) not in got and (3, 0) not in got
    assert all(a != b for a, b in got)                       # t = 0 within a commune is never stored
    assert got[(2, 0)] == pytest.approx(16)                  # both directions


def test_ferry_link_reaches_an_island_and_a_bridge_costs_like_a_road():
    geoms = squares_in_a_column(2) + [shapely.box(0.2, 0.0, 0.25, 0.05), shapely.box(0.3, 0.0, 0.35, 0.05)]
    codes = np.array(["A", "B", "ISLE", "FAR"])
    links = (tt.Link("ISLE", "A", "bac", 7.0, "bac", ("isle", "a")),
             tt.Link("FAR", "ISLE", "pont", None, "pont", ("far", "isle")))
    pop = np.array([1000.0, 1000.0, 100.0, 100.0])
    res = tt.travel_time_table(codes, np.array(geoms, dtype=object), pop, None, {}, cutoff=60, links=links)
    times = {(a, b): m for a, b, m in res.table.itertuples(index=False)}
    assert times[("ISLE", "A")] == pytest.approx(7.0)
    assert times[("ISLE", "B")] == pytest.approx(7.0 + times[("A", "B")], rel=1e-5)
    assert ("FAR", "ISLE") in times and times[("FAR", "ISLE")] > 0
    assert res.links_added == 2 and res.components == 1
    assert res.town_hall_points == 0                          # no town halls given: points on the polygons


def test_town_hall_points_are_rekeyed_checked_and_fall_back_to_the_polygon():
    geoms = np.array([shapely.box(0, 0, 1, 1), shapely.box(2, 0, 3, 1), shapely.box(4, 0, 5, 1),
                      shapely.box(6, 0, 7, 1)], dtype=object)
    halls = pd.DataFrame({"code": ["01001", "01002", "01003", "01005"], "population": [10, 500, 20, 5],
                          "lon": [0.5, 2.2, 2.7, 49.5], "lat": [0.5, 0.2, 0.7, 49.5]})
    # 01002 merged into 01003, whose code it kept: 01003's own town hall wins over the more populous one
    rekey = {"01001": "01001", "01002": "01003", "01003": "01003", "01005": "01005"}
    lon, lat, found = tt.commune_points(np.array(["01001", "01003", "01004", "01005"]), geoms, halls, rekey)
    assert lon[:2].tolist() == [0.5, 2.7] and found.tolist() == [True, True, False, False]
    assert 4 <= lon[2] <= 5 and 6 <= lon[3] <= 7          # no town hall / a wrong one: a point on the polygon


def test_read_town_halls(tmp_path):
    import lzma
    point = shapely.to_wkb(shapely.Point(2.5, 46.0), hex=True)
    text = ("code,type,nom,population_municipale,mairie_localisation\n"
            f"01001,COM,A,776,{point}\n01002,COMD,B,10,{point}\n01003,COM,C,\\N,\\N\n")
    path = tmp_path / "communes.csv.lzma"
    with lzma.open(path, "wt", encoding="utf-8") as fh:
        fh.write(text)
    frame = tt.read_town_halls(path)
    assert frame["code"].tolist() == ["01001", "01003"]
    assert frame["lon"].iloc[0] == pytest.approx(2.5) and np.isnan(frame["lon"].iloc[1])


# -- the external time matrix -------------------------------------------------------------------------------
def test_travel_times_file_csv(tmp_path):
    path = tmp_path / "temps.csv"
    path.write_text("code_origine;code_destination;minutes\n01001;01002;7,5\n01002;01001;8\n01001;01001;0\n"
                    "01001;01003;25\n", encoding="utf-8")
    out = tt.read_travel_times_file(path, {"01001", "01002", "01003"}, cutoff=20)
    assert out.values.tolist() == [["01001", "01002", 7.5], ["01002", "01001", 8.0]]


def test_travel_times_file_bad_row_names_file_line_and_column(tmp_path):
    path = tmp_path / "temps.csv"
    path.write_text("code_origine,code_destination,minutes\n01001,01002,7.5\n01002,01001,vite\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        tt.read_travel_times_file(path, {"01001", "01002"})
    assert (err.value.line, err.value.column, err.value.value) == (3, "minutes", "vite")
    assert "temps.csv, ligne 3, colonne minutes" in str(err.value)


def test_travel_times_file_unknown_code_and_missing_column(tmp_path):
    path = tmp_path / "temps.csv"
    path.write_text("code_origine,code_destination,minutes\n01001,99999,5\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        tt.read_travel_times_file(path, {"01001"})
    assert (err.value.line, err.value.column) == (2, "code_destination")
    path.write_text("origine,destination,minutes\n", encoding="utf-8")
    with pytest.raises(InputError, match="colonne"):
        tt.read_travel_times_file(path, {"01001"})


def test_travel_times_file_parquet(tmp_path):
    path = tmp_path / "temps.parquet"
    pd.DataFrame({"code_origine": ["01001", "01002"], "code_destination": ["01002", "01001"],
                  "minutes": [3.0, -1.0]}).to_parquet(path)
    with pytest.raises(InputError) as err:
        tt.read_travel_times_file(path, {"01001", "01002"})
    assert (err.value.line, err.value.column) == (2, "minutes")


@pytest.mark.integration
def test_links_name_communes_of_the_cog(mirror_dir):
    from etl.parsers.decoupage import read_decoupage_tarball

    admin = read_decoupage_tarball(mirror_dir / "etalab" / "etalab-decoupage-administratif-6.0.0.tgz")
    names = dict(zip(admin.communes["code"], admin.communes["nom"]))
    for link in tt.LINKS:
        assert (names.get(link.a), names.get(link.b)) == link.names, link.name
        assert link.kind in ("pont", "bac") and (link.minutes is None) == (link.kind == "pont")
